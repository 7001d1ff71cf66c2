//! The simulated KServe: InferenceServices (`serving.kserve.io/v1beta1`) served by the
//! simulated Kubernetes API server with a custom resource's semantics, a controller rolling
//! them out on a clock (revisions, conditions, canary traffic, as KServe's serverless mode
//! does), and their predictors' inference endpoints.
//!
//! Routes (at the root, beside the Kubernetes simulator, which serves the group's
//! discovery documents):
//! - `/apis/serving.kserve.io/v1beta1/inferenceservices` (all namespaces; list, watch);
//! - `/apis/serving.kserve.io/v1beta1/namespaces/{ns}/inferenceservices[/{name}[/status]]`;
//! - `/apis/serving.knative.dev/v1/namespaces/{ns}/revisions/{name}`: the predictors' Knative
//!   Revisions, read-only ([`knative`]);
//! - the predictors ([`predictor`]): `/ingress/...` by `Host` header (the ingress gateway
//!   `traffic[].url` hosts go through), the API server's service proxy to a revision's
//!   private service ([`private`], a middleware: the proxy route is the KFP simulator's), and
//!   `/kserve/{ns}/{name}/[{latest|prev|revision}/]v1|v2/...`, a shortcut for tests.
//!
//! Spec: `shared/specs/kserve/serving.kserve.io_inferenceservices.yaml` (the CRD).

mod admit;
mod controller;
pub mod crd;
pub mod isvc;
mod knative;
mod patch;
mod predictor;
pub mod private;
pub mod rollout;
mod scenario;
pub mod status;
mod store;
mod table;
mod watch;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::routing::{any, get};
use axum::{Extension, Router};
use serde_json::Value;

pub use self::isvc::Part;
pub use self::rollout::{Revision, RevisionState, TrafficTarget};
pub use self::scenario::{KserveScenario, ServiceScenario};
use self::store::KserveState;
use crate::kube::KubeHandle;
use crate::scenario::GithubScenario;

/// Shared access to the simulated KServe, for the handlers, tests and `kfops demo`.
///
/// The state sits behind a std `Mutex`, held only inside short closures, never across an
/// `await`; every change to an InferenceService is announced on a `tokio::sync::watch`
/// channel that watches wait on.
#[derive(Clone)]
pub struct KserveHandle {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<KserveState>,
    changes: tokio::sync::watch::Sender<u64>,
    kube: KubeHandle,
    ready_ms: u64,
    /// `http://ADDR/kserve`, when served.
    predictor_base: Option<String>,
}

impl fmt::Debug for KserveHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KserveHandle")
            .field("ready_ms", &self.inner.ready_ms)
            .field("predictor_base", &self.inner.predictor_base)
            .finish_non_exhaustive()
    }
}

impl KserveHandle {
    /// A KServe holding the scenario's InferenceServices (made from `github`'s template, all
    /// Ready), in the namespaces of `kube`. `predictor_base` is the URL the predictors are
    /// served under (`http://ADDR/kserve`; `None` when not served).
    pub fn new(
        scenario: &KserveScenario,
        github: &GithubScenario,
        kube: KubeHandle,
        predictor_base: Option<String>,
    ) -> KserveHandle {
        let (changes, _) = tokio::sync::watch::channel(0);
        let state = KserveState::new(
            kube.scenario().watch_window,
            scenario.never_ready.clone(),
            scenario.fail_sample.clone(),
        );
        let handle = KserveHandle {
            inner: Arc::new(Inner {
                state: Mutex::new(state),
                changes,
                kube,
                ready_ms: scenario.ready_ms,
                predictor_base,
            }),
        };
        for service in &scenario.services {
            if let Err(problem) = handle.seed(service, github) {
                tracing::warn!(%problem, "a scenario InferenceService was left out");
            }
        }
        handle
    }

    fn lock(&self) -> MutexGuard<'_, KserveState> {
        // A panic in another holder leaves the data usable: keep serving.
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the state.
    pub(crate) fn read<R>(&self, f: impl FnOnce(&KserveState) -> R) -> R {
        f(&self.lock())
    }

    /// Runs `f` on the state, then wakes watches.
    fn update<R>(&self, f: impl FnOnce(&mut KserveState) -> R) -> R {
        let out = f(&mut self.lock());
        self.inner.changes.send_modify(|n| *n += 1);
        out
    }

    /// Runs `f` on the state without waking watches (bookkeeping only).
    fn with_state<R>(&self, f: impl FnOnce(&mut KserveState) -> R) -> R {
        f(&mut self.lock())
    }

    /// A receiver that changes whenever an InferenceService does.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.changes.subscribe()
    }

    fn bookmark_ms(&self) -> u64 {
        self.inner.kube.scenario().bookmark_ms.max(1)
    }

    /// One InferenceService, as the API serves it.
    pub fn get(&self, namespace: &str, name: &str) -> Option<Value> {
        self.read(|s| s.entry(namespace, name).map(|e| e.object.clone()))
    }

    /// The InferenceServices of a namespace, by name.
    pub fn list(&self, namespace: &str) -> Vec<Value> {
        self.read(|s| s.objects(Some(namespace)).cloned().collect())
    }

    /// Where the predictor's traffic goes (`status.components.predictor.traffic`).
    pub fn traffic(&self, namespace: &str, name: &str) -> Vec<TrafficTarget> {
        self.read(|s| s.entry(namespace, name).map(|e| e.rollout.traffic.clone()))
            .unwrap_or_default()
    }

    /// The predictor's revisions, oldest first.
    pub fn revisions(&self, namespace: &str, name: &str) -> Vec<Revision> {
        self.read(|s| {
            s.entry(namespace, name)
                .map(|e| e.rollout.revisions.clone())
        })
        .unwrap_or_default()
    }

    /// How many inference requests each revision answered.
    pub fn sample_requests(&self, namespace: &str, name: &str) -> BTreeMap<String, u64> {
        self.read(|s| s.entry(namespace, name).map(|e| e.samples.clone()))
            .unwrap_or_default()
    }

    /// Replaces the `never_ready` list (`ns/name`, `name` or revision names); it applies to
    /// revisions that settle from now on.
    pub fn set_never_ready<S: Into<String>>(&self, names: impl IntoIterator<Item = S>) {
        let names = names.into_iter().map(Into::into).collect();
        self.with_state(|s| s.never_ready = names);
    }

    /// Replaces the `fail_sample` list (names as for `never_ready`).
    pub fn set_fail_sample<S: Into<String>>(&self, names: impl IntoIterator<Item = S>) {
        let names = names.into_iter().map(Into::into).collect();
        self.with_state(|s| s.fail_sample = names);
    }

    /// The URL prefix of the predictors (`http://ADDR/kserve`), when served.
    pub fn predictor_base(&self) -> Option<&str> {
        self.inner.predictor_base.as_deref()
    }

    /// The root URL of a predictor on the simulator's `/kserve` shortcut (a real cluster has
    /// hosts instead): `tag` `None` follows the traffic split, `latest`/`prev` the tagged
    /// revision (if KServe tagged one), a revision name that revision.
    /// Append `/v1/models/{name}:predict` or `/v2/models/{name}/infer`.
    pub fn predictor_root(&self, namespace: &str, name: &str, tag: Option<&str>) -> String {
        let base = self.predictor_base().unwrap_or("http://127.0.0.1/kserve");
        match tag {
            Some(tag) => format!("{base}/{namespace}/{name}/{tag}"),
            None => format!("{base}/{namespace}/{name}"),
        }
    }

    /// The URL to send a sample request to: V2 `.../v2/models/{name}/infer` when the
    /// InferenceService's `protocolVersion` is `v2`, else V1 `.../v1/models/{name}:predict`.
    pub fn predictor_url(&self, namespace: &str, name: &str, tag: Option<&str>) -> String {
        let root = self.predictor_root(namespace, name, tag);
        let v2 = self
            .get(namespace, name)
            .is_some_and(|o| o["spec"]["predictor"]["model"]["protocolVersion"] == "v2");
        if v2 {
            format!("{root}/v2/models/{name}/infer")
        } else {
            format!("{root}/v1/models/{name}:predict")
        }
    }
}

/// The KServe routes, at the root of the simulator (its discovery documents are the
/// Kubernetes simulator's).
pub fn router(handle: KserveHandle) -> Router {
    let group = "/apis/serving.kserve.io/v1beta1";
    let ns = format!("{group}/namespaces/{{namespace}}/inferenceservices");
    Router::new()
        .route(
            &format!("{group}/inferenceservices"),
            get(isvc::list_all).fallback(isvc::not_allowed),
        )
        .route(
            &ns,
            get(isvc::list)
                .post(isvc::create)
                .fallback(isvc::not_allowed),
        )
        .route(
            &format!("{ns}/{{name}}"),
            get(isvc::get)
                .put(isvc::replace)
                .patch(isvc::patch)
                .delete(isvc::delete)
                .fallback(isvc::not_allowed)
                .layer(Extension(Part::Main)),
        )
        .route(
            &format!("{ns}/{{name}}/status"),
            get(isvc::get)
                .put(isvc::replace)
                .patch(isvc::patch)
                .fallback(isvc::not_allowed)
                .layer(Extension(Part::Status)),
        )
        .route(
            "/apis/serving.knative.dev/v1/namespaces/{namespace}/revisions/{name}",
            get(knative::get).fallback(isvc::not_allowed),
        )
        .route("/kserve/{namespace}/{name}/{*rest}", any(predictor::serve))
        .route("/ingress/{*rest}", any(predictor::ingress))
        .with_state(handle)
}
