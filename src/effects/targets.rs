//! The deployment targets' watch: the InferenceService of a project in its staging and
//! production namespaces, every change and error handed to a sink, restarted with a backoff
//! after an error.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use kube::api::DynamicObject;
use kube::runtime::watcher;

use super::services::{no_cluster, pane_text};
use crate::backends::cluster::Cluster;
use crate::backends::knative;
use crate::backends::kserve::{self, ServiceState};
use crate::chatops::DeployTarget;

/// What a target's watch saw (the InferenceService of the configured name only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetChange {
    /// A (re)list starts: what follows up to `InitDone` replaces the state.
    Init,
    /// The service, as listed.
    InitApply(Box<ServiceState>),
    /// The list is complete (no `InitApply` before it: not deployed).
    InitDone,
    /// The service was created or changed.
    Apply(Box<ServiceState>),
    /// The service was deleted.
    Deleted,
    /// The watch failed; it is retried (the last good state stays).
    Error(String),
    /// The target cannot be watched at all (no cluster); not retried.
    Unavailable(String),
}

/// Events of the targets' watches (the console's `Msg::Target`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetEvent {
    Change {
        target: DeployTarget,
        /// When the watch saw it (the reducer has no clock).
        at: DateTime<Utc>,
        change: TargetChange,
    },
    /// Several at once.
    Batch(Vec<TargetEvent>),
}

impl TargetChange {
    /// The change a watcher event makes to the service named `name` (`None` for other
    /// services of the namespace).
    pub fn of_watch(event: watcher::Event<DynamicObject>, name: &str) -> Option<TargetChange> {
        let ours = |obj: &DynamicObject| obj.metadata.name.as_deref() == Some(name);
        match event {
            watcher::Event::Init => Some(TargetChange::Init),
            watcher::Event::InitDone => Some(TargetChange::InitDone),
            watcher::Event::InitApply(obj) if ours(&obj) => {
                Some(TargetChange::InitApply(Box::new(ServiceState::of(&obj))))
            }
            watcher::Event::Apply(obj) if ours(&obj) => {
                Some(TargetChange::Apply(Box::new(ServiceState::of(&obj))))
            }
            watcher::Event::Delete(obj) if ours(&obj) => Some(TargetChange::Deleted),
            _ => None,
        }
    }
}

/// Longest wait before a failed targets watch starts over.
const WATCH_BACKOFF_MAX: Duration = Duration::from_secs(30);

/// Watches the InferenceService `name` in each target's namespace (concurrently, on this
/// task), handing every change and error to `sink`, until the task is aborted.
pub async fn watch_targets(
    name: &str,
    namespaces: [(DeployTarget, String); 2],
    cluster: Option<&Cluster>,
    sink: &(dyn Fn(TargetEvent) + Send + Sync),
) {
    let Some(cluster) = cluster else {
        let reason = pane_text(&no_cluster("watch InferenceServices"));
        for (target, _) in namespaces {
            sink(TargetEvent::Change {
                target,
                at: Utc::now(),
                change: TargetChange::Unavailable(reason.clone()),
            });
        }
        return;
    };
    let [(a, a_ns), (b, b_ns)] = namespaces;
    futures::join!(
        watch_target(cluster, a, &a_ns, name, sink),
        watch_target(cluster, b, &b_ns, name, sink),
    );
}

/// One target's watch. After an error the watch starts over from a fresh list (after a
/// backoff) rather than letting kube's watcher resume silently: the relist (`Init` …
/// `InitDone`) tells the pane the stream is healthy again, and catches up on anything missed.
async fn watch_target(
    cluster: &Cluster,
    target: DeployTarget,
    namespace: &str,
    name: &str,
    sink: &(dyn Fn(TargetEvent) + Send + Sync),
) {
    let emit = |change| {
        sink(TargetEvent::Change {
            target,
            at: Utc::now(),
            change,
        })
    };
    let mut delay = Duration::from_secs(1);
    // The models of the predictor revisions (what really serves), read once each.
    let mut models = std::collections::BTreeMap::new();
    loop {
        let mut stream = std::pin::pin!(kserve::watch(cluster, namespace));
        while let Some(event) = stream.next().await {
            match event {
                Ok(event) => {
                    delay = Duration::from_secs(1);
                    if let Some(mut change) = TargetChange::of_watch(event, name) {
                        if let TargetChange::InitApply(state) | TargetChange::Apply(state) =
                            &mut change
                        {
                            knative::fill_models(cluster, state, &mut models).await;
                        }
                        emit(change);
                    }
                }
                Err(e) => {
                    emit(TargetChange::Error(pane_text(&e)));
                    break;
                }
            }
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(WATCH_BACKOFF_MAX);
    }
}
