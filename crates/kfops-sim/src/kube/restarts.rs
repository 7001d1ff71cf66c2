//! Containers that crash and restart. A container whose image is named in `crash_images`
//! crashes (exit code 1, `Error`) after `crash_after_lines` lines of each instance, at most
//! `crash_restarts` times. Under restartPolicy OnFailure or Always the simulated kubelet
//! restarts it after `restart_delay_ms` (a short CrashLoopBackOff, whose waiting state is
//! not shown): `restartCount` goes up, `lastState.terminated` describes the crashed
//! instance, `state.running` the new one, the crashed instance's log becomes the previous
//! log (the kubelet keeps one, served with `previous=true`) and the new instance's log starts
//! empty. The new instance goes on with the program's remaining steps (programs are scripts
//! run once, not re-run from their start). The pod stays Running throughout.
//!
//! Under restartPolicy Never the crash is final: the container stays terminated and its
//! remaining steps are dropped. A program's own `Exit` is final under every policy (a
//! container that completes under Always is not restarted either: simulated pods are
//! run-to-completion jobs).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::{ContainerState, ContainerStateRunning, Pod};

use super::lifecycle::{exit_container, set_condition, terminate};
use super::scenario::KubeScenario;
use super::{k8s_time, KubeHandle, WeakKube};
use crate::github::fake_sha;

/// The exit code of a crash.
const CRASH_CODE: i32 = 1;

/// Which containers of one pod crash, and how far each got.
#[derive(Debug, Clone, Default)]
pub(super) struct CrashPlan {
    restartable: bool,
    after_lines: usize,
    restarts: u32,
    delay: Duration,
    /// Crashing containers: lines printed by the current instance, crashes so far.
    crashing: BTreeMap<String, (usize, u32)>,
    /// Containers that crashed for good (restartPolicy Never).
    dead: BTreeSet<String>,
}

impl CrashPlan {
    /// The plan for a pod about to run.
    pub(super) fn new(pod: &Pod, scenario: &KubeScenario) -> CrashPlan {
        let spec = pod.spec.as_ref();
        let policy = spec
            .and_then(|s| s.restart_policy.as_deref())
            .unwrap_or("Always");
        let crashing = spec
            .iter()
            .flat_map(|s| s.containers.iter())
            .filter(|c| {
                let image = c.image.as_deref().unwrap_or_default();
                scenario.crash_images.iter().any(|n| n == image_name(image))
            })
            .map(|c| (c.name.clone(), (0, 0)))
            .collect();
        CrashPlan {
            restartable: matches!(policy, "Always" | "OnFailure"),
            after_lines: scenario.crash_after_lines,
            restarts: scenario.crash_restarts,
            delay: Duration::from_millis(scenario.restart_delay_ms),
            crashing,
            dead: BTreeSet::new(),
        }
    }

    /// Whether `container` crashed for good (its remaining steps are dropped).
    pub(super) fn is_dead(&self, container: &str) -> bool {
        self.dead.contains(container)
    }

    /// `container` printed a line: whether it crashes now.
    pub(super) fn after_line(&mut self, container: &str) -> bool {
        let Some((lines, crashes)) = self.crashing.get_mut(container) else {
            return false;
        };
        *lines += 1;
        if *lines < self.after_lines || *crashes >= self.restarts {
            return false;
        }
        *lines = 0;
        *crashes += 1;
        true
    }
}

/// `registry.example/ml/printer:v1` → `printer`.
fn image_name(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or_default();
    let last = no_digest.rsplit('/').next().unwrap_or_default();
    last.split(':').next().unwrap_or_default()
}

/// `container` crashes; under a restarting policy it is restarted after the plan's delay.
/// `false` when the pod is gone (the program stops).
pub(super) async fn crash(
    kube: &WeakKube,
    (namespace, name, uid): (&str, &str, &str),
    container: &str,
    plan: &mut CrashPlan,
) -> bool {
    let Some(handle) = kube.upgrade() else {
        return false;
    };
    let now = Utc::now();
    if !plan.restartable {
        plan.dead.insert(container.to_owned());
        return handle
            .update_pod(namespace, name, uid, now, |pod| {
                exit_container(pod, now, container, CRASH_CODE);
            })
            .is_some();
    }
    let crashed = handle.update_pod(namespace, name, uid, now, |pod| {
        crashed(pod, now, container);
    });
    drop(handle);
    if crashed.is_none() {
        return false;
    }
    tokio::time::sleep(plan.delay).await;
    kube.upgrade()
        .is_some_and(|h| h.restart_container(namespace, name, uid, container))
}

impl KubeHandle {
    /// Restarts a container of the pod with this uid: moves its log to the previous one and
    /// reports the new instance running. `false` if the pod is gone.
    pub(crate) fn restart_container(
        &self,
        namespace: &str,
        name: &str,
        uid: &str,
        container: &str,
    ) -> bool {
        let now = Utc::now();
        self.update(|s| {
            let same = s
                .pod(namespace, name)
                .is_some_and(|p| p.metadata.uid.as_deref() == Some(uid));
            same && s.restart_log(namespace, name, container)
                && s.update_pod(namespace, name, uid, now, |pod| {
                    restarted(pod, now, container);
                })
                .is_some()
        })
    }
}

/// The container's instance terminated with an error; the pod stays Running.
fn crashed(pod: &mut Pod, now: DateTime<Utc>, container: &str) {
    terminate(pod, now, container, CRASH_CODE);
    for kind in ["Ready", "ContainersReady"] {
        set_condition(pod, now, kind, false, Some("ContainersNotReady"));
    }
}

/// A new instance of the container runs; the crashed one becomes `lastState`.
fn restarted(pod: &mut Pod, now: DateTime<Utc>, container: &str) {
    let uid = pod.metadata.uid.clone().unwrap_or_default();
    let status = pod.status.get_or_insert_with(Default::default);
    for c in status.container_statuses.iter_mut().flatten() {
        if c.name != container {
            continue;
        }
        c.restart_count += 1;
        c.last_state = c.state.take();
        let seed = format!("{uid}/{}/{}", c.name, c.restart_count);
        c.container_id = Some(format!(
            "containerd://{}{}",
            fake_sha(&seed),
            &fake_sha(&uid)[..24]
        ));
        c.ready = true;
        c.started = Some(true);
        c.state = Some(ContainerState {
            running: Some(ContainerStateRunning {
                started_at: Some(k8s_time(now)),
            }),
            ..Default::default()
        });
    }
    let all_ready = status.container_statuses.iter().flatten().all(|c| c.ready);
    if all_ready {
        for kind in ["Ready", "ContainersReady"] {
            set_condition(pod, now, kind, true, None);
        }
    }
}

/// The restart count of a container (0 when it has no status yet).
pub(super) fn restart_count(pod: &Pod, container: &str) -> i32 {
    pod.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.name == container))
        .map_or(0, |c| c.restart_count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(policy: &str, image: &str) -> Pod {
        serde_json::from_value(json!({
            "metadata": {"name": "p"},
            "spec": {"restartPolicy": policy, "containers": [
                {"name": "main", "image": image},
                {"name": "side", "image": "busybox"},
            ]},
        }))
        .unwrap()
    }

    fn scenario() -> KubeScenario {
        KubeScenario {
            crash_images: vec!["printer".into()],
            crash_after_lines: 3,
            crash_restarts: 2,
            ..KubeScenario::default()
        }
    }

    #[test]
    fn image_names_drop_registry_tag_and_digest() {
        assert_eq!(image_name("registry.example/ml/printer:v1"), "printer");
        assert_eq!(image_name("printer@sha256:abc"), "printer");
        assert_eq!(image_name("printer"), "printer");
    }

    #[test]
    fn a_crashing_container_crashes_every_n_lines_as_many_times_as_asked() {
        let mut plan = CrashPlan::new(&pod("OnFailure", "r.example/printer:1"), &scenario());
        assert!(plan.restartable);
        let crashes: Vec<bool> = (0..12).map(|_| plan.after_line("main")).collect();
        let at: Vec<usize> = (0..12).filter(|&i| crashes[i]).collect();
        assert_eq!(at, [2, 5], "after 3 lines, twice");
        assert!(
            !(0..10).any(|_| plan.after_line("side")),
            "other images never crash"
        );
        assert!(!CrashPlan::new(&pod("Never", "printer"), &scenario()).restartable);
    }

    #[test]
    fn a_restart_counts_up_and_keeps_the_crashed_state_as_last_state() {
        let mut p = pod("Always", "printer");
        let now = Utc::now();
        p.status = Some(Default::default());
        p.status.as_mut().unwrap().container_statuses =
            Some(vec![k8s_openapi::api::core::v1::ContainerStatus {
                name: "main".into(),
                state: Some(ContainerState {
                    running: Some(ContainerStateRunning {
                        started_at: Some(k8s_time(now)),
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            }]);
        crashed(&mut p, now, "main");
        assert_eq!(restart_count(&p, "main"), 0);
        restarted(&mut p, now, "main");
        let c = &p
            .status
            .as_ref()
            .unwrap()
            .container_statuses
            .as_ref()
            .unwrap()[0];
        assert_eq!(c.restart_count, 1);
        let last = c.last_state.as_ref().and_then(|s| s.terminated.as_ref());
        assert_eq!(last.map(|t| t.exit_code), Some(1));
        assert!(c.state.as_ref().is_some_and(|s| s.running.is_some()));
        assert!(c.ready);
    }
}
