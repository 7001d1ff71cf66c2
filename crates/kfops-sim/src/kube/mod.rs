//! The simulated Kubernetes API server (the subset in-cluster image builds need), served at
//! the root of the simulator: discovery, namespaces, pods (create, get, list, watch, delete),
//! pod logs, Secrets (get), coordination.k8s.io/v1 Leases (`leases.rs`), and a simulated kubelet running each pod's [`PodProgram`] on a clock, restarting
//! containers that crash (`restarts.rs`). Injected faults (log streams cut mid-body) are in
//! `faults.rs`.
//!
//! Paths, status codes and bodies follow the real API server (v1.36; specs in
//! `shared/specs/kubernetes/v1.36`): every error body is a `metav1.Status`, watches stream
//! `WatchEvent`s, `kubectl get` receives `meta.k8s.io/v1` Tables. kube-rs and kubectl work
//! against it (tests/e2e/sim_kube.rs, tests/e2e/kubectl.rs).

mod access;
mod admission;
mod compile;
mod compile_python;
mod discovery;
pub(crate) mod events;
mod faults;
pub mod flood;
mod kaniko;
mod kaniko_context;
mod kaniko_output;
mod leases;
mod lifecycle;
mod logs;
mod pods;
mod restarts;
mod run_output;
mod scenario;
mod secrets;
pub(crate) mod select;
pub(crate) mod status;
mod store;
pub(crate) mod table;
pub(crate) mod watch;

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;

pub(crate) use self::admission::name_suffix;
pub use self::events::{Event, EventType};
pub use self::kaniko::{KanikoBuild, KanikoProgram};
pub use self::kaniko_output::BUILD_ERROR;
pub use self::lifecycle::{GenericProgram, PodProgram, ProgramEnv, Step, NODE_NAME};
pub use self::scenario::{DeniedAccess, KubeScenario, SecretScenario};
pub use self::status::KubeError;
pub use self::store::{KubeState, LogLine, PodEvent, PodTimeline};
use crate::github::{fake_sha, GithubHandle};

/// Shared access to the simulated cluster, for the handlers, tests and other simulators.
///
/// The state sits behind a std `Mutex`, held only inside short closures, never across an
/// `await`. Every change is announced on a `tokio::sync::watch` channel that watches and
/// followed logs wait on.
#[derive(Clone)]
pub struct KubeHandle {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<KubeState>,
    changes: tokio::sync::watch::Sender<u64>,
    /// Programs pods may run, the last registered checked first.
    programs: Mutex<Vec<Arc<dyn PodProgram>>>,
    github: GithubHandle,
    scenario: KubeScenario,
    faults: Mutex<faults::LogFaults>,
    /// coordination.k8s.io/v1 Leases (`leases.rs`).
    leases: Mutex<leases::Leases>,
}

impl fmt::Debug for KubeHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KubeHandle")
            .field("scenario", &self.inner.scenario)
            .finish_non_exhaustive()
    }
}

/// A handle that does not keep the simulated cluster alive (for pod lifecycle tasks).
#[derive(Clone)]
pub(crate) struct WeakKube(Weak<Inner>);

impl WeakKube {
    fn upgrade(&self) -> Option<KubeHandle> {
        self.0.upgrade().map(|inner| KubeHandle { inner })
    }
}

impl KubeHandle {
    /// A cluster holding the scenario's namespaces and no pods; Kaniko builds read their
    /// context from `github`.
    pub fn new(scenario: &KubeScenario, github: GithubHandle) -> KubeHandle {
        let (changes, _) = tokio::sync::watch::channel(0);
        KubeHandle {
            inner: Arc::new(Inner {
                state: Mutex::new(KubeState::new(&scenario.namespaces, scenario.watch_window)),
                changes,
                programs: Mutex::new(lifecycle::builtin_programs()),
                github,
                scenario: scenario.clone(),
                faults: Mutex::new(faults::LogFaults::new(scenario)),
                leases: Mutex::default(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, KubeState> {
        // A panic in another holder leaves the data usable: keep serving.
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The knobs the cluster runs with.
    pub fn scenario(&self) -> &KubeScenario {
        &self.inner.scenario
    }

    /// Runs `f` on the state.
    pub fn read<R>(&self, f: impl FnOnce(&KubeState) -> R) -> R {
        f(&self.lock())
    }

    /// Runs `f` on the state, then wakes watches and followed logs.
    fn update<R>(&self, f: impl FnOnce(&mut KubeState) -> R) -> R {
        let out = f(&mut self.lock());
        self.inner.changes.send_modify(|n| *n += 1);
        out
    }

    /// A receiver that changes whenever anything in the cluster does (pods, logs).
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.changes.subscribe()
    }

    /// Names of the namespaces.
    pub fn namespaces(&self) -> Vec<String> {
        self.read(|s| {
            s.namespaces()
                .filter_map(|n| n.metadata.name.clone())
                .collect()
        })
    }

    /// The pods of a namespace, by name.
    pub fn pods(&self, namespace: &str) -> Vec<Pod> {
        self.read(|s| s.pods(Some(namespace)).cloned().collect())
    }

    /// One pod.
    pub fn pod(&self, namespace: &str, name: &str) -> Option<Pod> {
        self.read(|s| s.pod(namespace, name).cloned())
    }

    /// What a container printed so far, each line with the time it was produced.
    pub fn logs_of(&self, namespace: &str, pod: &str, container: &str) -> Vec<LogLine> {
        self.read(|s| s.log(namespace, pod, container).map(<[_]>::to_vec))
            .unwrap_or_default()
    }

    /// What the previous instance of a restarted container printed (empty when it never
    /// restarted): what `previous=true` serves.
    pub fn previous_logs_of(&self, namespace: &str, pod: &str, container: &str) -> Vec<LogLine> {
        self.read(|s| s.previous_log(namespace, pod, container).map(<[_]>::to_vec))
            .unwrap_or_default()
    }

    /// The retained window of pod events (ADDED/MODIFIED/DELETED), oldest first.
    pub fn pod_events(&self) -> Vec<PodEvent> {
        self.read(|s| s.events().cloned().collect())
    }

    /// When each pod ever created was created, ran, finished and was deleted.
    pub fn timelines(&self) -> Vec<PodTimeline> {
        self.read(|s| s.timelines().to_vec())
    }

    /// Makes pods that `program` accepts run it (checked before the programs registered
    /// earlier and the built-in Kaniko and generic ones). For other simulators, e.g. KFP
    /// task pods.
    pub fn register_program(&self, program: Arc<dyn PodProgram>) {
        self.inner
            .programs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(program);
    }

    /// The program a new pod would run.
    pub fn program_for(&self, pod: &Pod) -> Option<Arc<dyn PodProgram>> {
        let programs = self
            .inner
            .programs
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        programs.iter().rev().find(|p| p.accepts(pod)).cloned()
    }

    /// Creates a pod as `POST /api/v1/namespaces/{ns}/pods` does, and starts its lifecycle
    /// (needs a tokio runtime; without one the pod stays Pending).
    pub fn create_pod(&self, namespace: &str, pod: Pod) -> Result<Pod, KubeError> {
        let now = Utc::now();
        let created = self.update(|s| {
            let admitted = admission::admit(s, namespace, pod, now)?;
            s.insert_pod(admitted, now)
        })?;
        let program = self.program_for(&created);
        let name = created.metadata.name.clone().unwrap_or_default();
        let uid = created.metadata.uid.clone().unwrap_or_default();
        match (tokio::runtime::Handle::try_current(), program) {
            (Ok(runtime), Some(program)) => {
                let weak = WeakKube(Arc::downgrade(&self.inner));
                runtime.spawn(lifecycle::run(
                    weak,
                    namespace.to_owned(),
                    name,
                    uid,
                    program,
                ));
            }
            (Err(_), _) => tracing::warn!(%name, "no tokio runtime: the pod stays Pending"),
            (_, None) => tracing::warn!(%name, "no program accepts the pod: it stays Pending"),
        }
        Ok(created)
    }

    /// Deletes a pod at once, as `DELETE .../pods/{name}` does; its program stops.
    pub fn delete_pod(&self, namespace: &str, name: &str) -> Result<Pod, KubeError> {
        let now = Utc::now();
        self.update(|s| s.delete_pod(namespace, name, now))
    }

    pub(crate) fn update_pod(
        &self,
        namespace: &str,
        name: &str,
        uid: &str,
        now: DateTime<Utc>,
        change: impl FnOnce(&mut Pod),
    ) -> Option<Pod> {
        self.update(|s| s.update_pod(namespace, name, uid, now, change))
    }

    /// Appends a line (stamped now) to a container's log, if the pod is still the same one.
    pub(crate) fn append_log(
        &self,
        namespace: &str,
        name: &str,
        uid: &str,
        container: &str,
        text: String,
    ) -> bool {
        self.update(|s| {
            let same = s
                .pod(namespace, name)
                .is_some_and(|p| p.metadata.uid.as_deref() == Some(uid));
            same && s.append_log(namespace, name, container, (Utc::now(), text))
        })
    }

    pub(crate) fn next_serial(&self) -> u64 {
        self.update(KubeState::next_serial)
    }

    /// What programs get to consult.
    pub fn program_env(&self) -> ProgramEnv {
        ProgramEnv {
            scenario: self.inner.scenario.clone(),
            github: self.inner.github.clone(),
        }
    }
}

/// The Kubernetes routes, at the root of the simulator (no fallback: the simulator's answers
/// unknown paths with the API server's `404 page not found`).
pub fn router(handle: KubeHandle) -> Router {
    let ns = "/api/v1/namespaces/{namespace}";
    let lease_ns = "/apis/coordination.k8s.io/v1/namespaces/{namespace}";
    Router::new()
        .route("/version", get(discovery::version))
        .route("/api", get(discovery::api_versions))
        .route("/api/v1", get(discovery::core_v1))
        .route("/apis", get(discovery::groups))
        .route("/apis/serving.kserve.io", get(discovery::kserve_group))
        .route(
            "/apis/serving.kserve.io/v1beta1",
            get(discovery::kserve_v1beta1),
        )
        .route(
            "/api/v1/namespaces",
            get(pods::list_namespaces).fallback(pods::not_allowed),
        )
        .route(ns, get(pods::get_namespace).fallback(pods::not_allowed))
        .route(
            "/api/v1/pods",
            get(pods::list_all).fallback(pods::not_allowed),
        )
        .route(
            &format!("{ns}/pods"),
            get(pods::list)
                .post(pods::create)
                .fallback(pods::not_allowed),
        )
        .route(
            &format!("{ns}/pods/{{name}}"),
            get(pods::get)
                .delete(pods::delete)
                .fallback(pods::not_allowed),
        )
        .route(
            &format!("{ns}/pods/{{name}}/status"),
            get(pods::get).fallback(pods::not_allowed),
        )
        .route(
            &format!("{ns}/pods/{{name}}/log"),
            get(logs::logs).fallback(pods::not_allowed),
        )
        .route(
            &format!("{ns}/secrets/{{name}}"),
            get(secrets::get).fallback(pods::not_allowed),
        )
        .route(
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            axum::routing::post(access::review).fallback(pods::not_allowed),
        )
        .route(
            "/apis/coordination.k8s.io",
            get(discovery::coordination_group),
        )
        .route(
            "/apis/coordination.k8s.io/v1",
            get(discovery::coordination_v1),
        )
        .route(
            &format!("{lease_ns}/leases"),
            get(leases::list)
                .post(leases::create)
                .fallback(pods::not_allowed),
        )
        .route(
            &format!("{lease_ns}/leases/{{name}}"),
            get(leases::get)
                .put(leases::replace)
                .delete(leases::delete)
                .fallback(pods::not_allowed),
        )
        .route("/api/v1/services", get(pods::list_services))
        .route(&format!("{ns}/services"), get(pods::list_services))
        .with_state(handle)
}

/// A chrono instant as a `metav1.Time`.
pub fn k8s_time(t: DateTime<Utc>) -> Time {
    let nanos = i32::try_from(t.timestamp_subsec_nanos()).unwrap_or(0);
    Time(Timestamp::new(t.timestamp(), nanos).unwrap_or(Timestamp::UNIX_EPOCH))
}

/// A stable UUID-shaped id derived from `seed`.
pub fn uid(seed: &str) -> String {
    let hex = fake_sha(seed);
    format!(
        "{}-{}-4{}-a{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}
