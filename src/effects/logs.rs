//! Pods' logs for any front end: a PR's builds (its build pods, grouped) and one follower per
//! pod, streaming or reading once.

use super::services::no_cluster;
use crate::backends::cluster::Cluster;
use crate::backends::BackendError;
use crate::domain::{build_labels, PodRef};
use crate::logs::builds::{builds_from_pods, retain_repository};
use crate::logs::follow::{follow_with, FollowOptions, StreamStatus};
use crate::logs::{BuildInfo, LogEvent};

/// A PR's builds: its build pods grouped by build, newest first. With `repository`
/// (`owner/name`), only the pods labelled with it (PR numbers repeat across repositories).
pub async fn list_builds(
    cluster: Option<&Cluster>,
    pr: u64,
    repository: Option<&str>,
) -> Result<Vec<BuildInfo>, BackendError> {
    let cluster = cluster.ok_or_else(|| no_cluster("list builds"))?;
    let mut pods = cluster
        .list_pods(&build_labels::selector_for_pr(pr))
        .await?;
    if let Some(repository) = repository {
        retain_repository(&mut pods, repository);
    }
    Ok(builds_from_pods(&pods, cluster.namespace()))
}

/// Runs a follower for `pod` (until the pod is finished with `keep_following`, else one
/// read of its log), handing its events to `sink`; without a cluster, a failed status.
pub async fn stream(
    cluster: Option<Cluster>,
    pod: PodRef,
    keep_following: bool,
    mut sink: impl FnMut(LogEvent) + Send,
) {
    let Some(cluster) = cluster else {
        sink(LogEvent::Status {
            pod,
            status: StreamStatus::Failed(no_cluster("read logs").to_string()),
        });
        return;
    };
    let options = FollowOptions {
        follow: keep_following,
        ..FollowOptions::default()
    };
    follow_with(cluster, pod, options, sink).await;
}
