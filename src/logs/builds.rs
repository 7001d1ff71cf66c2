//! A PR's builds (current and earlier) as found in the cluster: its build pods grouped by the
//! build labels kfops-console puts on them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::Pod;

use crate::domain::{build_labels, PodRef};

/// One build pod (one image) of a build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildPod {
    pub pod: PodRef,
    /// The image name (`kfops.io/image`, else the pod name).
    pub image: String,
    /// The pod phase: `Pending`, `Running`, `Succeeded`, `Failed`, `Unknown`.
    pub phase: String,
    pub created: Option<DateTime<Utc>>,
}

impl BuildPod {
    /// Whether the pod is done (its log will not grow any more).
    pub fn is_terminal(&self) -> bool {
        is_terminal_phase(&self.phase)
    }
}

/// The pods of one build action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildInfo {
    /// What the logs pane groups streams by: the `kfops.io/build-id` label, else the
    /// `kfops.io/version-id` label, else the pod name.
    pub group: String,
    pub build_id: Option<String>,
    pub version_id: Option<String>,
    /// The creation time of its oldest pod.
    pub created: Option<DateTime<Utc>>,
    /// Ordered by image name.
    pub pods: Vec<BuildPod>,
}

/// `Succeeded` and `Failed` pods are finished.
pub fn is_terminal_phase(phase: &str) -> bool {
    matches!(phase, "Succeeded" | "Failed")
}

/// The group a build pod belongs to (see [`BuildInfo::group`]).
pub fn group_of(pod: &Pod) -> String {
    let labels = pod.metadata.labels.as_ref();
    let label = |k: &str| labels.and_then(|l| l.get(k)).cloned();
    label(build_labels::BUILD_ID)
        .or_else(|| label(build_labels::VERSION_ID))
        .unwrap_or_else(|| pod.metadata.name.clone().unwrap_or_default())
}

/// Where a pod's log is read: its namespace (else `namespace`), and the container when the
/// pod has more than one.
pub fn pod_ref(pod: &Pod, namespace: &str) -> PodRef {
    let containers = pod
        .spec
        .as_ref()
        .map(|s| s.containers.as_slice())
        .unwrap_or(&[]);
    PodRef {
        namespace: pod
            .metadata
            .namespace
            .clone()
            .unwrap_or_else(|| namespace.to_string()),
        name: pod.metadata.name.clone().unwrap_or_default(),
        container: (containers.len() > 1).then(|| containers[0].name.clone()),
    }
}

/// Keeps the pods of `repository`'s PRs (`owner/name`): PR numbers repeat across repositories,
/// so a pod labelled with another repository is not this PR's. Pods without the label (built
/// before it existed, or by Kfops itself) are kept.
pub fn retain_repository(pods: &mut Vec<Pod>, repository: &str) {
    let value = build_labels::repository_value(repository);
    pods.retain(|pod| {
        pod.metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(build_labels::REPOSITORY))
            .is_none_or(|label| *label == value)
    });
}

/// Groups build pods into builds, newest first.
pub fn builds_from_pods(pods: &[Pod], namespace: &str) -> Vec<BuildInfo> {
    let mut by_group: BTreeMap<String, BuildInfo> = BTreeMap::new();
    for pod in pods {
        let labels = pod.metadata.labels.as_ref();
        let label = |k: &str| labels.and_then(|l| l.get(k)).cloned();
        let created = pod.metadata.creation_timestamp.as_ref().map(|t| t.0);
        let created = created.and_then(crate::backends::cluster::from_jiff);
        let group = group_of(pod);
        let entry = by_group.entry(group.clone()).or_insert_with(|| BuildInfo {
            group,
            build_id: label(build_labels::BUILD_ID),
            version_id: label(build_labels::VERSION_ID),
            created,
            pods: Vec::new(),
        });
        entry.created = match (entry.created, created) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let pod_ref = pod_ref(pod, namespace);
        entry.pods.push(BuildPod {
            image: label(build_labels::IMAGE).unwrap_or_else(|| pod_ref.name.clone()),
            pod: pod_ref,
            phase: pod
                .status
                .as_ref()
                .and_then(|s| s.phase.clone())
                .unwrap_or_else(|| "Unknown".to_string()),
            created,
        });
    }
    let mut builds: Vec<BuildInfo> = by_group.into_values().collect();
    for b in &mut builds {
        b.pods.sort_by(|x, y| x.image.cmp(&y.image));
    }
    // Creation times have whole seconds: on a tie, the greater ID (IDs that start with a time
    // sort by it) comes first.
    builds.sort_by(|a, b| {
        b.created
            .cmp(&a.created)
            .then_with(|| b.group.cmp(&a.group))
    });
    builds
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::PodStatus;
    use kube::api::ObjectMeta;

    fn pod(name: &str, build: &str, image: &str, phase: &str, created: &str) -> Pod {
        let labels = [
            (build_labels::BUILD_ID, build),
            (build_labels::VERSION_ID, "v-1"),
            (build_labels::IMAGE, image),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        Pod {
            metadata: ObjectMeta {
                name: Some(name.into()),
                labels: Some(labels),
                creation_timestamp: Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                    created.parse().unwrap(),
                )),
                ..ObjectMeta::default()
            },
            status: Some(PodStatus {
                phase: Some(phase.into()),
                ..PodStatus::default()
            }),
            ..Pod::default()
        }
    }

    #[test]
    fn pods_are_grouped_by_build_newest_first() {
        let pods = [
            pod(
                "old-trainer",
                "b1",
                "trainer",
                "Succeeded",
                "2026-11-25T09:00:00Z",
            ),
            pod(
                "new-server",
                "b2",
                "server",
                "Running",
                "2026-11-25T10:00:01Z",
            ),
            pod(
                "new-trainer",
                "b2",
                "trainer",
                "Failed",
                "2026-11-25T10:00:00Z",
            ),
        ];
        let builds = builds_from_pods(&pods, "kfops");
        let groups: Vec<&str> = builds.iter().map(|b| b.group.as_str()).collect();
        assert_eq!(groups, ["b2", "b1"]);
        let images: Vec<&str> = builds[0].pods.iter().map(|p| p.image.as_str()).collect();
        assert_eq!(images, ["server", "trainer"]);
        assert_eq!(
            builds[0].created.map(|t| t.to_rfc3339()),
            Some("2026-11-25T10:00:00+00:00".to_string())
        );
        assert_eq!(builds[0].pods[0].pod.namespace, "kfops");
        assert!(builds[0].pods[1].is_terminal());
        assert!(!builds[0].pods[0].is_terminal());
    }
}
