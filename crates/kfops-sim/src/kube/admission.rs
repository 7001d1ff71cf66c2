//! What the API server does to a new pod before storing it, in its order: the namespace must
//! exist (404), `generateName` is expanded, the pod is validated (422 Invalid) and the
//! defaults are filled in (metadata, spec defaults, `status.phase` Pending).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::{Pod, PodStatus, ResourceRequirements, Toleration};

use super::scenario::{is_dns_label, is_dns_subdomain};
use super::status::{FieldError, KubeError};
use super::store::KubeState;
use super::{k8s_time, uid};
use crate::github::fake_sha;

/// Letters of generated name suffixes (apimachinery's `utilrand.String`: no vowels).
const SUFFIX_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

const SUBDOMAIN_HELP: &str = "a lowercase RFC 1123 subdomain must consist of lower case \
alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character \
(e.g. 'example.com', regex used for validation is \
'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

const LABEL_HELP: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric \
characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  \
or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/// Admits a pod created in `namespace`: the stored form, ready for [`KubeState::insert_pod`].
pub fn admit(
    state: &mut KubeState,
    namespace: &str,
    mut pod: Pod,
    now: DateTime<Utc>,
) -> Result<Pod, KubeError> {
    if let Some(ns) = pod.metadata.namespace.as_deref() {
        if !ns.is_empty() && ns != namespace {
            return Err(KubeError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
    }
    if state.namespace(namespace).is_none() {
        return Err(KubeError::not_found("namespaces", namespace));
    }
    let serial = state.next_serial();
    if pod.metadata.name.as_deref().unwrap_or_default().is_empty() {
        if let Some(prefix) = pod.metadata.generate_name.as_deref() {
            if !prefix.is_empty() {
                pod.metadata.name = Some(generated_name(prefix, serial, now));
            }
        }
    }
    validate(&pod)?;
    let name = pod.metadata.name.clone().unwrap_or_default();
    let meta = &mut pod.metadata;
    meta.namespace = Some(namespace.to_owned());
    meta.uid = Some(uid(&format!("pod/{namespace}/{name}/{serial}/{now}")));
    meta.creation_timestamp = Some(k8s_time(now));
    meta.generation = Some(1);
    meta.resource_version = None;
    meta.deletion_timestamp = None;
    let spec = pod.spec.get_or_insert_with(Default::default);
    spec.restart_policy
        .get_or_insert_with(|| "Always".to_owned());
    spec.dns_policy
        .get_or_insert_with(|| "ClusterFirst".to_owned());
    spec.scheduler_name
        .get_or_insert_with(|| "default-scheduler".to_owned());
    spec.termination_grace_period_seconds.get_or_insert(30);
    spec.security_context.get_or_insert_with(Default::default);
    let account = spec
        .service_account_name
        .get_or_insert_with(|| "default".to_owned())
        .clone();
    spec.service_account = Some(account);
    spec.enable_service_links.get_or_insert(true);
    spec.preemption_policy
        .get_or_insert_with(|| "PreemptLowerPriority".to_owned());
    spec.priority.get_or_insert(0);
    spec.node_name = None;
    let tolerations = spec.tolerations.get_or_insert_with(Vec::new);
    for key in [
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
    ] {
        if !tolerations.iter().any(|t| t.key.as_deref() == Some(key)) {
            tolerations.push(Toleration {
                key: Some(key.to_owned()),
                operator: Some("Exists".to_owned()),
                effect: Some("NoExecute".to_owned()),
                toleration_seconds: Some(300),
                value: None,
            });
        }
    }
    let mut any_resources = false;
    for c in &mut spec.containers {
        c.termination_message_path
            .get_or_insert_with(|| "/dev/termination-log".to_owned());
        c.termination_message_policy
            .get_or_insert_with(|| "File".to_owned());
        let policy = if pulls_always(&c.image.clone().unwrap_or_default()) {
            "Always"
        } else {
            "IfNotPresent"
        };
        c.image_pull_policy.get_or_insert_with(|| policy.to_owned());
        let resources: &mut ResourceRequirements = c.resources.get_or_insert_with(Default::default);
        any_resources |= resources.requests.as_ref().is_some_and(|r| !r.is_empty())
            || resources.limits.as_ref().is_some_and(|l| !l.is_empty());
    }
    pod.status = Some(PodStatus {
        phase: Some("Pending".to_owned()),
        qos_class: Some(
            if any_resources {
                "Burstable"
            } else {
                "BestEffort"
            }
            .to_owned(),
        ),
        ..Default::default()
    });
    Ok(pod)
}

/// Whether the default pull policy of an image is `Always` (no tag, or `:latest`).
fn pulls_always(image: &str) -> bool {
    if image.contains('@') {
        return false;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.rsplit_once(':') {
        Some((_, tag)) => tag == "latest",
        None => true,
    }
}

/// `prefix` plus five random-looking letters, like the API server's name generator.
fn generated_name(prefix: &str, serial: u64, now: DateTime<Utc>) -> String {
    let base: String = prefix.chars().take(58).collect();
    let suffix = name_suffix(&format!("{prefix}/{serial}/{now:?}"));
    format!("{base}{suffix}")
}

/// Five letters of the API server's generated-name alphabet, the same for the same `seed`
/// (pods' `generateName`; Argo-like workflow names in the KFP simulator).
pub(crate) fn name_suffix(seed: &str) -> String {
    let seed = fake_sha(seed);
    seed.as_bytes()
        .chunks(2)
        .take(5)
        .map(|pair| {
            let n = pair
                .iter()
                .fold(0usize, |acc, b| acc * 16 + usize::from(*b));
            char::from(SUFFIX_ALPHABET[n % SUFFIX_ALPHABET.len()])
        })
        .collect()
}

/// The validation errors of a pod, as one 422 Invalid.
fn validate(pod: &Pod) -> Result<(), KubeError> {
    let mut errors = Vec::new();
    let name = pod.metadata.name.clone().unwrap_or_default();
    if name.is_empty() {
        errors.push(FieldError {
            field: "metadata.name".to_owned(),
            reason: "FieldValueRequired",
            message: "Required value: name or generateName is required".to_owned(),
        });
    } else if !is_dns_subdomain(&name) {
        errors.push(FieldError::invalid("metadata.name", &name, SUBDOMAIN_HELP));
    }
    let containers = pod
        .spec
        .as_ref()
        .map(|s| s.containers.as_slice())
        .unwrap_or_default();
    if containers.is_empty() {
        errors.push(FieldError::required("spec.containers"));
    }
    let mut seen = BTreeSet::new();
    for (i, c) in containers.iter().enumerate() {
        let at = format!("spec.containers[{i}]");
        if c.name.is_empty() {
            errors.push(FieldError::required(format!("{at}.name")));
        } else if !is_dns_label(&c.name) {
            errors.push(FieldError::invalid(
                format!("{at}.name"),
                &c.name,
                LABEL_HELP,
            ));
        } else if !seen.insert(c.name.as_str()) {
            errors.push(FieldError {
                field: format!("{at}.name"),
                reason: "FieldValueDuplicate",
                message: format!("Duplicate value: \"{}\"", c.name),
            });
        }
        if c.image.as_deref().unwrap_or_default().trim().is_empty() {
            errors.push(FieldError::required(format!("{at}.image")));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(KubeError::invalid("Pod", &name, errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_and_untagged_images_pull_always() {
        assert!(pulls_always("python"));
        assert!(pulls_always("registry:5000/ml/trainer:latest"));
        assert!(pulls_always("registry:5000/ml/trainer"));
        assert!(!pulls_always("gcr.io/kaniko-project/executor:v1.23.2"));
    }

    #[test]
    fn generated_names_add_five_letters() {
        let name = generated_name("kfops-kaniko-", 7, Utc::now());
        assert_eq!(name.len(), "kfops-kaniko-".len() + 5);
        assert!(is_dns_subdomain(&name), "{name}");
    }
}
