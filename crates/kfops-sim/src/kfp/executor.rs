//! Runs a run's plan on the simulated clock: PENDING for `run_start_ms`, then RUNNING; each
//! ready container task gets a pod in the run's namespace (through the [`KubeHandle`]), which
//! runs the [task program](super::task_pod); the pods' phases drive the tasks
//! ([`Exec`]). A CANCELING run has its pods deleted and its open tasks canceled; a deleted
//! run has its pods deleted.
//!
//! One tokio task per run; it wakes on every change of the cluster or of KFP (and every
//! `POLL` at worst) and never holds a lock across an `await`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use tokio::sync::watch;
use tokio::time::Instant;

use super::execution::{Exec, RuntimeState, CODE_UNKNOWN};
use super::task_pod;
use super::KfpHandle;
use crate::kube::KubeHandle;

/// Longest sleep between two looks at the run.
const POLL: Duration = Duration::from_millis(500);

/// Starts executing a stored run (needs a tokio runtime; without one the run stays PENDING).
pub(super) fn spawn(kfp: &KfpHandle, run_id: &str) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        tracing::warn!(%run_id, "no tokio runtime: the run stays PENDING");
        return;
    };
    kfp.update_runs(|s| {
        if let Some(run) = s.run_mut(run_id) {
            run.live = true;
        }
    });
    runtime.spawn(drive(kfp.clone(), kfp.kube(), run_id.to_owned()));
}

async fn drive(kfp: KfpHandle, kube: Option<KubeHandle>, run_id: String) {
    let mut kfp_changes = kfp.subscribe();
    let mut kube_changes = kube.as_ref().map(KubeHandle::subscribe);
    let start = Duration::from_millis(kfp.read_runs(|s| s.knobs.run_start_ms));
    let begin = Instant::now() + start;
    loop {
        match kfp.read_runs(|s| s.run(&run_id).map(|r| r.state)) {
            None => return,
            Some(RuntimeState::Pending) if Instant::now() >= begin => {
                kfp.update_runs(|s| {
                    if let Some(run) = s.run_mut(&run_id) {
                        if run.state == RuntimeState::Pending {
                            run.set_state(RuntimeState::Running, Utc::now(), None);
                        }
                    }
                });
                break;
            }
            Some(RuntimeState::Pending) => {}
            Some(_) => break,
        }
        tokio::select! {
            _ = tokio::time::sleep_until(begin) => {}
            _ = changed(&mut kfp_changes) => {}
        }
    }
    let mut pods: Vec<(String, String)> = Vec::new();
    while !tick(&kfp, kube.as_ref(), &run_id, &mut pods) {
        tokio::select! {
            _ = changed(&mut kfp_changes) => {}
            _ = changed_opt(&mut kube_changes) => {}
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}

/// Waits for a change (forever once the sender is gone).
async fn changed(rx: &mut watch::Receiver<u64>) {
    if rx.changed().await.is_err() {
        std::future::pending::<()>().await;
    }
}

async fn changed_opt(rx: &mut Option<watch::Receiver<u64>>) {
    match rx {
        Some(rx) => changed(rx).await,
        None => std::future::pending::<()>().await,
    }
}

/// One look at the run; `true` once it is over (ended or deleted). `pods` collects
/// `(namespace, name)` of the pods created, to delete them with the run.
fn tick(
    kfp: &KfpHandle,
    kube: Option<&KubeHandle>,
    run_id: &str,
    pods: &mut Vec<(String, String)>,
) -> bool {
    let snapshot = kfp.read_runs(|s| {
        let r = s.run(run_id)?;
        Some((r.clone(), s.knobs.clone(), s.ids.clone()))
    });
    let Some((run, knobs, ids)) = snapshot else {
        // Deleted: Argo's garbage collection takes the pods with the workflow.
        if let Some(kube) = kube {
            for (namespace, name) in pods.iter() {
                let _ = kube.delete_pod(namespace, name);
            }
        }
        return true;
    };
    if run.state.is_final() {
        return true;
    }
    let mut tasks = run.tasks.clone();
    let mut exec = Exec {
        plan: &run.plan,
        workflow: &run.workflow,
        tasks: &mut tasks,
        ids: &ids,
    };
    if run.state == RuntimeState::Canceling {
        let now = Utc::now();
        for pod in exec.cancel(now) {
            if let Some(kube) = kube {
                let _ = kube.delete_pod(&run.namespace, &pod);
            }
        }
        kfp.update_runs(|s| {
            if let Some(r) = s.run_mut(run_id) {
                r.tasks = tasks;
                r.set_state(RuntimeState::Canceled, now, None);
            }
        });
        return true;
    }
    for (node, pod, _) in exec.active_pods() {
        let Some(kube) = kube else { continue };
        match kube.pod(&run.namespace, &pod) {
            None => exec.pod_lost(node, Utc::now(), &format!("pod {pod} was deleted")),
            Some(p) => observe(&mut exec, node, &p),
        }
    }
    // After the observations: later than every end they report.
    let now = Utc::now();
    loop {
        let launch = exec.advance(now, &knobs);
        if launch.is_empty() {
            break;
        }
        // The pods' program looks their tasks up: store the tasks before the pods exist.
        let created = exec.tasks.clone();
        kfp.update_runs(|s| {
            if let Some(r) = s.run_mut(run_id) {
                r.tasks = created;
            }
        });
        for node in launch {
            let Some(kube) = kube else {
                exec.pod_lost(
                    node,
                    now,
                    "the simulated KFP is not connected to a Kubernetes cluster",
                );
                continue;
            };
            let pod = task_pod::pod(&run, exec.tasks, node);
            let name = pod.metadata.name.clone().unwrap_or_default();
            match kube.create_pod(&run.namespace, pod) {
                Ok(_) => pods.push((run.namespace.clone(), name)),
                Err(e) => exec.pod_lost(
                    node,
                    now,
                    &format!(
                        "cannot create pod {name}: {}",
                        e.status.message.clone().unwrap_or_default()
                    ),
                ),
            }
        }
    }
    let outcome = exec.outcome();
    kfp.update_runs(|s| {
        let Some(r) = s.run_mut(run_id) else {
            return false;
        };
        r.tasks = tasks;
        match outcome {
            Some((state, error)) if r.state == RuntimeState::Running => {
                r.set_state(state, now, error.map(|m| (CODE_UNKNOWN, m)));
                true
            }
            _ => false,
        }
    })
}

/// Feeds what a task's pod did to the execution.
fn observe(exec: &mut Exec<'_>, node: usize, pod: &Pod) {
    let status = pod.status.as_ref();
    let phase = status.and_then(|s| s.phase.as_deref()).unwrap_or("");
    let containers = status
        .and_then(|s| s.container_statuses.as_deref())
        .unwrap_or_default();
    let main = containers.iter().find(|c| c.name == task_pod::MAIN);
    let state = main.and_then(|c| c.state.as_ref());
    let started = state
        .and_then(|s| {
            s.running
                .as_ref()
                .and_then(|r| r.started_at.as_ref())
                .or_else(|| s.terminated.as_ref().and_then(|t| t.started_at.as_ref()))
        })
        .and_then(chrono_time);
    match phase {
        "Running" => exec.pod_running(node, started.unwrap_or_else(Utc::now)),
        "Succeeded" | "Failed" => {
            let end = containers
                .iter()
                .filter_map(|c| c.state.as_ref()?.terminated.as_ref()?.finished_at.as_ref())
                .filter_map(chrono_time)
                .max()
                .unwrap_or_else(Utc::now);
            let code = state
                .and_then(|s| s.terminated.as_ref())
                .map_or(0, |t| t.exit_code);
            let code = if phase == "Failed" && code == 0 {
                1
            } else {
                code
            };
            exec.pod_finished(node, started.unwrap_or(end), end, code);
        }
        _ => {}
    }
}

fn chrono_time(t: &Time) -> Option<DateTime<Utc>> {
    let nanos = u32::try_from(t.0.subsec_nanosecond()).ok()?;
    DateTime::from_timestamp(t.0.as_second(), nanos)
}
