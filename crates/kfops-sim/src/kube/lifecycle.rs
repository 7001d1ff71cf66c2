//! The simulated scheduler and kubelet, on a clock: a created pod is bound to `sim-node-1`
//! after `pod_start_ms`, waits in ContainerCreating for half that again, runs the
//! [`PodProgram`] chosen at its creation (lines on its containers' logs, then exits), and ends
//! Succeeded or Failed. Every status change is a MODIFIED event with a new resourceVersion.
//!
//! Containers run to completion once, unless the scenario makes them crash (`crash_images`):
//! then they restart as `restarts.rs` describes.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::stream::{self, BoxStream, StreamExt};
use k8s_openapi::api::core::v1::{
    ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStateWaiting,
    ContainerStatus, HostIP, Pod, PodCondition, PodIP,
};

use super::restarts::{self, CrashPlan};
use super::scenario::KubeScenario;
use super::{k8s_time, WeakKube};
use crate::github::{fake_sha, GithubHandle};

/// The one simulated node.
pub const NODE_NAME: &str = "sim-node-1";
/// Its address.
const HOST_IP: &str = "172.18.0.2";

/// One thing a pod's program does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A line on a container's log, stamped with the time the runner reaches it.
    Line { container: String, text: String },
    /// Simulated work before the next step.
    Sleep(Duration),
    /// A container exits: code 0 is `Completed`, anything else `Error`.
    Exit { container: String, code: i32 },
}

impl Step {
    /// A log line of `container`.
    pub fn line(container: &str, text: impl Into<String>) -> Step {
        Step::Line {
            container: container.to_owned(),
            text: text.into(),
        }
    }
}

/// What a program may consult when its pod starts.
#[derive(Debug, Clone)]
pub struct ProgramEnv {
    /// The cluster's knobs (line delays, failing images, ...).
    pub scenario: KubeScenario,
    /// The simulated GitHub (build contexts are read from it).
    pub github: GithubHandle,
}

/// What a pod's containers do once running. The program is chosen when the pod is created:
/// the most recently registered one whose [`accepts`](PodProgram::accepts) says yes
/// (see [`KubeHandle::register_program`](super::KubeHandle::register_program)); Kaniko and
/// a generic program are built in.
pub trait PodProgram: Send + Sync {
    /// A short name, for logs and tests.
    fn name(&self) -> &str;
    /// Whether this program runs `pod` (decided from its spec at creation).
    fn accepts(&self, pod: &Pod) -> bool;
    /// The steps, produced lazily: a step's text may depend on when it is reached. Containers
    /// that have not exited when the stream ends exit with code 0.
    fn run(&self, pod: &Pod, env: &ProgramEnv) -> BoxStream<'static, Step>;
}

/// A few lines per container, then success: what pods nobody simulates in detail do.
#[derive(Debug, Clone, Copy, Default)]
pub struct GenericProgram;

impl PodProgram for GenericProgram {
    fn name(&self) -> &str {
        "generic"
    }

    fn accepts(&self, _pod: &Pod) -> bool {
        true
    }

    fn run(&self, pod: &Pod, env: &ProgramEnv) -> BoxStream<'static, Step> {
        let pause = Step::Sleep(Duration::from_millis(env.scenario.kaniko_line_ms));
        let mut steps = Vec::new();
        for c in pod.spec.iter().flat_map(|s| s.containers.iter()) {
            let command: Vec<String> = c
                .command
                .iter()
                .flatten()
                .chain(c.args.iter().flatten())
                .cloned()
                .collect();
            let image = c.image.clone().unwrap_or_default();
            steps.push(Step::line(
                &c.name,
                format!("Starting {} ({image})", c.name),
            ));
            steps.push(pause.clone());
            if !command.is_empty() {
                steps.push(Step::line(&c.name, format!("+ {}", command.join(" "))));
                steps.push(pause.clone());
            }
            steps.push(Step::line(&c.name, "Done."));
            steps.push(Step::Exit {
                container: c.name.clone(),
                code: 0,
            });
        }
        stream::iter(steps).boxed()
    }
}

/// Drives one pod from creation to its end. Stops when the pod is deleted (or the simulator
/// is gone).
pub(super) async fn run(
    kube: WeakKube,
    namespace: String,
    name: String,
    uid: String,
    program: Arc<dyn PodProgram>,
) {
    let Some(handle) = kube.upgrade() else { return };
    let start = Duration::from_millis(handle.scenario().pod_start_ms);
    drop(handle);
    tokio::time::sleep(start).await;
    let update = |change: &dyn Fn(&mut Pod, DateTime<Utc>)| -> Option<Pod> {
        let handle = kube.upgrade()?;
        let now = Utc::now();
        handle.update_pod(&namespace, &name, &uid, now, |pod| change(pod, now))
    };
    // The scheduler binds the pod; the kubelet then reports it, its containers being created.
    if update(&bind).is_none() || update(&accept).is_none() {
        return;
    }
    tokio::time::sleep(start / 2).await;
    let serial = match kube.upgrade() {
        Some(handle) => handle.next_serial(),
        None => return,
    };
    let Some(pod) = update(&|pod, now| start_containers(pod, now, serial)) else {
        return;
    };
    let Some(handle) = kube.upgrade() else { return };
    let env = handle.program_env();
    drop(handle);
    let mut crashes = CrashPlan::new(&pod, &env.scenario);
    let mut steps = program.run(&pod, &env);
    while let Some(step) = steps.next().await {
        match step {
            Step::Sleep(pause) => tokio::time::sleep(pause).await,
            Step::Line { container, .. } | Step::Exit { container, .. }
                if crashes.is_dead(&container) => {}
            Step::Line { container, text } => {
                let Some(handle) = kube.upgrade() else { return };
                if !handle.append_log(&namespace, &name, &uid, &container, text) {
                    return;
                }
                drop(handle);
                if crashes.after_line(&container)
                    && !restarts::crash(&kube, (&namespace, &name, &uid), &container, &mut crashes)
                        .await
                {
                    return;
                }
            }
            Step::Exit { container, code } => {
                if update(&|pod, now| exit_container(pod, now, &container, code)).is_none() {
                    return;
                }
            }
        }
    }
    let Some(now) = kube.upgrade().and_then(|h| h.pod(&namespace, &name)) else {
        return;
    };
    let running: Vec<String> = container_names(&now)
        .into_iter()
        .filter(|c| !is_terminated(&now, c))
        .collect();
    for container in running {
        let _ = update(&|pod, now| exit_container(pod, now, &container, 0));
    }
}

fn container_names(pod: &Pod) -> Vec<String> {
    pod.spec
        .iter()
        .flat_map(|s| s.containers.iter())
        .map(|c| c.name.clone())
        .collect()
}

fn is_terminated(pod: &Pod, container: &str) -> bool {
    statuses(pod)
        .iter()
        .any(|s| s.name == container && s.state.as_ref().is_some_and(|st| st.terminated.is_some()))
}

fn statuses(pod: &Pod) -> &[ContainerStatus] {
    pod.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_deref())
        .unwrap_or_default()
}

/// Sets (or replaces) a pod condition; the transition time changes only with the status.
pub(super) fn set_condition(
    pod: &mut Pod,
    now: DateTime<Utc>,
    kind: &str,
    ok: bool,
    reason: Option<&str>,
) {
    let status = pod.status.get_or_insert_with(Default::default);
    let conditions = status.conditions.get_or_insert_with(Vec::new);
    let value = if ok { "True" } else { "False" };
    let generation = pod.metadata.generation;
    match conditions.iter_mut().find(|c| c.type_ == kind) {
        Some(c) => {
            if c.status != value {
                c.last_transition_time = Some(k8s_time(now));
            }
            c.status = value.to_owned();
            c.reason = reason.map(str::to_owned);
        }
        None => conditions.push(PodCondition {
            type_: kind.to_owned(),
            status: value.to_owned(),
            reason: reason.map(str::to_owned),
            last_transition_time: Some(k8s_time(now)),
            observed_generation: generation,
            ..Default::default()
        }),
    }
}

/// The scheduler's binding.
fn bind(pod: &mut Pod, now: DateTime<Utc>) {
    pod.spec.get_or_insert_with(Default::default).node_name = Some(NODE_NAME.to_owned());
    set_condition(pod, now, "PodScheduled", true, None);
}

/// The kubelet's first report: Pending, containers being created.
fn accept(pod: &mut Pod, now: DateTime<Utc>) {
    let images: Vec<(String, String)> = pod
        .spec
        .iter()
        .flat_map(|s| s.containers.iter())
        .map(|c| (c.name.clone(), c.image.clone().unwrap_or_default()))
        .collect();
    for (kind, ok) in [
        ("PodReadyToStartContainers", false),
        ("Initialized", true),
        ("Ready", false),
        ("ContainersReady", false),
    ] {
        let reason = (!ok && kind != "PodReadyToStartContainers").then_some("ContainersNotReady");
        set_condition(pod, now, kind, ok, reason);
    }
    let status = pod.status.get_or_insert_with(Default::default);
    status.host_ip = Some(HOST_IP.to_owned());
    status.host_ips = Some(vec![HostIP {
        ip: HOST_IP.to_owned(),
    }]);
    status.start_time = Some(k8s_time(now));
    status.container_statuses = Some(
        images
            .into_iter()
            .map(|(name, image)| ContainerStatus {
                name,
                image,
                image_id: String::new(),
                ready: false,
                restart_count: 0,
                started: Some(false),
                state: Some(ContainerState {
                    waiting: Some(ContainerStateWaiting {
                        reason: Some("ContainerCreating".to_owned()),
                        message: None,
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            })
            .collect(),
    );
}

/// The containers start: Running, with a pod IP.
fn start_containers(pod: &mut Pod, now: DateTime<Utc>, serial: u64) {
    let ip = format!("10.244.{}.{}", (serial / 250) % 250, serial % 250 + 2);
    let uid = pod.metadata.uid.clone().unwrap_or_default();
    let status = pod.status.get_or_insert_with(Default::default);
    status.phase = Some("Running".to_owned());
    status.pod_ip = Some(ip.clone());
    status.pod_ips = Some(vec![PodIP { ip }]);
    for c in status.container_statuses.iter_mut().flatten() {
        let repo = c
            .image
            .split(['@', ':'])
            .next()
            .unwrap_or_default()
            .to_owned();
        let digest = fake_sha(&format!("image:{}", c.image)) + &fake_sha(&c.image)[..24];
        c.image_id = format!("{repo}@sha256:{digest}");
        let id = fake_sha(&format!("{uid}/{}", c.name)) + &fake_sha(&uid)[..24];
        c.container_id = Some(format!("containerd://{id}"));
        c.ready = true;
        c.started = Some(true);
        c.state = Some(ContainerState {
            running: Some(ContainerStateRunning {
                started_at: Some(k8s_time(now)),
            }),
            ..Default::default()
        });
    }
    for kind in ["PodReadyToStartContainers", "Ready", "ContainersReady"] {
        set_condition(pod, now, kind, true, None);
    }
}

/// A container's instance ends with `code`: its state becomes `terminated` (`Completed` or
/// `Error`), keeping when it started.
pub(super) fn terminate(pod: &mut Pod, now: DateTime<Utc>, container: &str, code: i32) {
    let status = pod.status.get_or_insert_with(Default::default);
    for c in status.container_statuses.iter_mut().flatten() {
        if c.name != container {
            continue;
        }
        let started_at = c
            .state
            .as_ref()
            .and_then(|s| s.running.as_ref())
            .and_then(|r| r.started_at.clone());
        c.ready = false;
        c.started = Some(false);
        c.state = Some(ContainerState {
            terminated: Some(ContainerStateTerminated {
                container_id: c.container_id.clone(),
                exit_code: code,
                finished_at: Some(k8s_time(now)),
                reason: Some(if code == 0 { "Completed" } else { "Error" }.to_owned()),
                started_at,
                ..Default::default()
            }),
            ..Default::default()
        });
    }
}

/// A container exits; when it was the last one, the pod's phase becomes final.
pub(super) fn exit_container(pod: &mut Pod, now: DateTime<Utc>, container: &str, code: i32) {
    terminate(pod, now, container, code);
    let status = pod.status.get_or_insert_with(Default::default);
    let all: Vec<Option<i32>> = status
        .container_statuses
        .iter()
        .flatten()
        .map(|c| {
            c.state
                .as_ref()
                .and_then(|s| s.terminated.as_ref())
                .map(|t| t.exit_code)
        })
        .collect();
    let done = all.iter().all(Option::is_some);
    if done {
        let failed = all.iter().any(|code| code.is_some_and(|c| c != 0));
        status.phase = Some(if failed { "Failed" } else { "Succeeded" }.to_owned());
    }
    let reason = if done {
        "PodCompleted"
    } else {
        "ContainersNotReady"
    };
    for kind in ["Ready", "ContainersReady"] {
        set_condition(pod, now, kind, false, Some(reason));
    }
    if done {
        set_condition(pod, now, "PodReadyToStartContainers", false, None);
    }
}

/// The built-in programs, checked after the registered ones (last registered first).
pub(super) fn builtin_programs() -> Vec<Arc<dyn PodProgram>> {
    vec![
        Arc::new(GenericProgram),
        Arc::new(super::kaniko::KanikoProgram),
        Arc::new(super::flood::FloodProgram),
        Arc::new(super::compile::CompileProgram),
    ]
}
