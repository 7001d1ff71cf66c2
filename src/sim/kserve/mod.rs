//! The simulated KServe: InferenceServices (`serving.kserve.io/v1beta1`) served by the
//! simulated Kubernetes API server with a custom resource's semantics, a controller rolling
//! them out on a clock (revisions, conditions, canary traffic, as KServe's serverless mode
//! does), and their predictors' inference endpoints.
//!
//! Routes (at the root, beside the Kubernetes simulator, which serves the group's
//! discovery documents):
//! - `/apis/serving.kserve.io/v1beta1/inferenceservices` (all namespaces; list, watch);
//! - `/apis/serving.kserve.io/v1beta1/namespaces/{ns}/inferenceservices[/{name}[/status]]`;
//! - `/kserve/{ns}/{name}/[{latest|prev|revision}/]v1|v2/...`: the predictors
//!   ([`predictor`]); `traffic[].url` of each InferenceService points there.
//!
//! Spec: `shared/specs/kserve/serving.kserve.io_inferenceservices.yaml` (the CRD).

pub mod isvc;
mod patch;
mod predictor;
pub mod rollout;
mod scenario;
pub mod status;
mod store;
mod table;
mod watch;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use axum::routing::{any, get};
use axum::Router;
use chrono::Utc;
use serde_json::Value;

pub use self::isvc::Part;
use self::rollout::{Due, Rollout};
pub use self::rollout::{Revision, RevisionState, TrafficTarget};
pub use self::scenario::{KserveScenario, ServiceScenario};
use self::store::{listed, name_of, KserveState};
use crate::sim::kube::{KubeError, KubeHandle};
use crate::sim::scenario::GithubScenario;

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

    /// Stores a scenario InferenceService, already rolled out.
    fn seed(&self, service: &ServiceScenario, github: &GithubScenario) -> Result<(), String> {
        let manifest = service.manifest(github)?;
        let base = self.inner.predictor_base.clone();
        self.update(|s| {
            let serial = s.next_serial();
            let mut object =
                isvc::admit_create(&service.namespace, manifest, serial, service.created_at)
                    .map_err(|e| e.status.message.clone().unwrap_or_default())?;
            let (namespace, name) = name_of(&object);
            let revision = service.revision.max(1);
            object["metadata"]["generation"] = Value::from(revision);
            let rollout = Rollout::rolled_out(
                &name,
                revision,
                Some(service.storage_uri()),
                service.deployed_at,
            );
            object["status"] = status::render(
                &name,
                &namespace,
                &rollout,
                &Value::Null,
                service.deployed_at,
                base.as_deref(),
            );
            s.insert(object, rollout)
                .map(|_| ())
                .map_err(|e| e.status.message.clone().unwrap_or_default())
        })
    }

    fn lock(&self) -> MutexGuard<'_, KserveState> {
        // A panic in another holder leaves the data usable: keep serving.
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the state.
    pub fn read<R>(&self, f: impl FnOnce(&KserveState) -> R) -> R {
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

    /// The root URL of a predictor, as KServe's (tagged) hosts are: `tag` `None` follows the
    /// traffic split, `latest`/`prev` the tagged revision, a revision name that revision.
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

    /// Creates an InferenceService as `POST .../inferenceservices` does (`dry_run`: checks
    /// and returns it without storing it). Its first revision rolls out on the clock.
    pub fn create_object(
        &self,
        namespace: &str,
        object: Value,
        dry_run: bool,
    ) -> Result<Value, KubeError> {
        if !self.inner.kube.namespaces().iter().any(|n| n == namespace) {
            return Err(KubeError::not_found("namespaces", namespace));
        }
        let now = Utc::now();
        let ready_ms = self.inner.ready_ms;
        let base = self.inner.predictor_base.clone();
        let (created, due) = self.update(|s| {
            let serial = s.next_serial();
            let mut object = isvc::admit_create(namespace, object, serial, now)?;
            let (_, name) = name_of(&object);
            if s.entry(namespace, &name).is_some() {
                return Err(isvc::already_exists(&name));
            }
            if dry_run {
                return Ok((object, None));
            }
            let mut rollout = Rollout::default();
            let due = rollout.spec_changed(&name, None, &object["spec"], 1, now, ready_ms);
            object["status"] = status::render(
                &name,
                namespace,
                &rollout,
                &Value::Null,
                now,
                base.as_deref(),
            );
            Ok((s.insert(object, rollout)?, Some(due)))
        })?;
        if let Some(due) = due {
            self.schedule(&created, due);
        }
        Ok(created)
    }

    /// Writes an InferenceService: `edit` turns the stored object into the one to store
    /// (checked with [`isvc::admit_update`]); a spec change starts a rollout.
    pub(crate) fn write(
        &self,
        namespace: &str,
        name: &str,
        part: Part,
        dry_run: bool,
        edit: impl FnOnce(&Value) -> Result<(Value, bool), KubeError>,
    ) -> Result<Value, KubeError> {
        let now = Utc::now();
        let ready_ms = self.inner.ready_ms;
        let base = self.inner.predictor_base.clone();
        let (written, due) = self.update(|s| {
            let entry = s
                .entry(namespace, name)
                .ok_or_else(|| isvc::not_found(name))?;
            let current = entry.object.clone();
            let mut rollout = entry.rollout.clone();
            let (mut object, spec_changed) = edit(&current)?;
            if dry_run {
                return Ok((object, None));
            }
            let mut due = None;
            if spec_changed && part == Part::Main {
                let generation = object["metadata"]["generation"].as_i64().unwrap_or(1);
                let old = Some(&current["spec"]);
                due = Some(rollout.spec_changed(
                    name,
                    old,
                    &object["spec"],
                    generation,
                    now,
                    ready_ms,
                ));
                object["status"] = status::render(
                    name,
                    namespace,
                    &rollout,
                    &current["status"],
                    now,
                    base.as_deref(),
                );
            }
            let stored = s
                .update(namespace, name, object, rollout)
                .ok_or_else(|| isvc::not_found(name))?;
            Ok((stored, due))
        })?;
        if let Some(due) = due {
            self.schedule(&written, due);
        }
        Ok(written)
    }

    /// Deletes an InferenceService at once; its predictor stops answering.
    pub fn delete(&self, namespace: &str, name: &str) -> Result<Value, KubeError> {
        self.update(|s| s.delete(namespace, name))
            .ok_or_else(|| isvc::not_found(name))
    }

    /// Settles the change `due` describes when its time comes (needs a tokio runtime;
    /// without one the rollout stays in progress).
    fn schedule(&self, object: &Value, due: Due) {
        let (namespace, name) = name_of(object);
        let uid = object["metadata"]["uid"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(%name, "no tokio runtime: the InferenceService stays in progress");
            return;
        };
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        runtime.spawn(async move {
            let wait = (due.at - Utc::now()).to_std().unwrap_or_default();
            tokio::time::sleep(wait).await;
            if let Some(inner) = weak.upgrade() {
                KserveHandle { inner }.settle(&namespace, &name, &uid, due.generation);
            }
        });
    }

    /// The controller's reconcile once a change settled: revisions Ready or Failed, traffic
    /// and status updated (if the object is still the same one and no later change is due).
    fn settle(&self, namespace: &str, name: &str, uid: &str, generation: i64) {
        let now = Utc::now();
        let base = self.inner.predictor_base.clone();
        self.update(|s| {
            let never_ready = s.never_ready.clone();
            let Some(entry) = s.entry(namespace, name) else {
                return;
            };
            if entry.object["metadata"]["uid"] != uid {
                return;
            }
            let mut rollout = entry.rollout.clone();
            let canary = rollout::canary_of(&entry.object["spec"]);
            let failing = |revision: &str| listed(&never_ready, namespace, name, Some(revision));
            if !rollout.settle(generation, canary, failing, now) {
                return;
            }
            let mut object = entry.object.clone();
            object["status"] = status::render(
                name,
                namespace,
                &rollout,
                &entry.object["status"],
                now,
                base.as_deref(),
            );
            s.update(namespace, name, object, rollout);
        });
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
                .fallback(isvc::not_allowed),
        )
        .route(
            &format!("{ns}/{{name}}/status"),
            get(isvc::get)
                .put(isvc::replace_status)
                .patch(isvc::patch_status)
                .fallback(isvc::not_allowed),
        )
        .route("/kserve/{namespace}/{name}/{*rest}", any(predictor::serve))
        .with_state(handle)
}
