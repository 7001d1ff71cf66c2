//! `POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews`: "may I do this?", as
//! `kubectl auth can-i` and `kfops check` ask it. The answer is the review sent back (201)
//! with `status.allowed`; the scenario's `kube.denied` lists what is refused, everything else
//! is allowed (the simulator has no users or roles).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SubjectAccessReviewStatus,
};

use super::scenario::DeniedAccess;
use super::status::{json, KubeError};
use super::KubeHandle;

/// The reason RBAC gives for an allowed request, in the simulator's words.
const ALLOWED: &str = "RBAC: allowed by the simulated cluster (kube.denied does not name it)";

/// Answers one review.
pub async fn review(
    State(kube): State<KubeHandle>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, KubeError> {
    KubeError::require_json(&headers)?;
    let mut review: SelfSubjectAccessReview = serde_json::from_slice(&body).map_err(|e| {
        KubeError::bad_request(format!(
            "SelfSubjectAccessReview in version \"v1\" cannot be handled as a \
             SelfSubjectAccessReview: {e}"
        ))
    })?;
    let spec = &review.spec;
    if spec.resource_attributes.is_none() && spec.non_resource_attributes.is_none() {
        return Err(KubeError::invalid(
            "SelfSubjectAccessReview",
            "",
            vec![super::status::FieldError::invalid(
                "spec.resourceAttributes",
                "null",
                "exactly one of nonResourceAttributes or resourceAttributes must be specified",
            )],
        ));
    }
    let refused = spec
        .resource_attributes
        .as_ref()
        .and_then(|attrs| kube.scenario().denied.iter().find(|d| matches(d, attrs)));
    review.status = Some(match refused {
        Some(rule) => SubjectAccessReviewStatus {
            allowed: false,
            reason: Some(format!(
                "RBAC: {} {} is denied by the simulated cluster (kube.denied)",
                rule.verb, rule.resource
            )),
            ..Default::default()
        },
        None => SubjectAccessReviewStatus {
            allowed: true,
            reason: Some(ALLOWED.to_owned()),
            ..Default::default()
        },
    });
    Ok(json(StatusCode::CREATED, &review))
}

/// Whether a denial rule covers the asked attributes.
fn matches(rule: &DeniedAccess, attrs: &ResourceAttributes) -> bool {
    let verb = attrs.verb.as_deref().unwrap_or_default();
    let resource = attrs.resource.as_deref().unwrap_or_default();
    let asked = match attrs.subresource.as_deref().filter(|s| !s.is_empty()) {
        Some(sub) => format!("{resource}/{sub}"),
        None => resource.to_owned(),
    };
    (rule.verb == "*" || rule.verb == verb)
        && rule.resource == asked
        && rule
            .namespace
            .as_deref()
            .is_none_or(|ns| Some(ns) == attrs.namespace.as_deref())
        && rule
            .group
            .as_deref()
            .is_none_or(|g| g == attrs.group.as_deref().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(verb: &str, resource: &str, sub: Option<&str>, ns: &str) -> ResourceAttributes {
        ResourceAttributes {
            verb: Some(verb.to_owned()),
            resource: Some(resource.to_owned()),
            subresource: sub.map(str::to_owned),
            namespace: Some(ns.to_owned()),
            ..Default::default()
        }
    }

    #[test]
    fn a_rule_names_verb_resource_subresource_and_namespace() {
        let rule = DeniedAccess {
            verb: "get".to_owned(),
            resource: "pods/log".to_owned(),
            namespace: Some("kubeflow".to_owned()),
            group: None,
        };
        assert!(matches(
            &rule,
            &attrs("get", "pods", Some("log"), "kubeflow")
        ));
        assert!(!matches(&rule, &attrs("get", "pods", None, "kubeflow")));
        assert!(!matches(&rule, &attrs("get", "pods", Some("log"), "kfops")));
        assert!(!matches(
            &rule,
            &attrs("list", "pods", Some("log"), "kubeflow")
        ));
        let any = DeniedAccess {
            verb: "*".to_owned(),
            resource: "pods".to_owned(),
            namespace: None,
            group: Some(String::new()),
        };
        assert!(matches(&any, &attrs("delete", "pods", None, "x")));
    }

    #[test]
    fn the_knob_reads_from_a_scenario_and_refuses_unknown_keys() {
        let scenario: crate::kube::KubeScenario = toml::from_str(
            r#"denied = [{ verb = "create", resource = "pods", namespace = "kfops" }]"#,
        )
        .unwrap();
        assert_eq!(scenario.denied[0].namespace.as_deref(), Some("kfops"));
        let wrong = toml::from_str::<crate::kube::KubeScenario>(
            r#"denied = [{ verb = "create", resources = "pods" }]"#,
        );
        assert!(wrong.is_err());
    }
}
