//! The simulated KServe controller: writes through the API (create, update, delete) start a
//! rollout, and each rollout settles on the clock (`ready_ms`), when the revisions become
//! Ready or Failed and the traffic, conditions and `observedGeneration` catch up.

use std::sync::{Arc, Weak};

use chrono::Utc;
use serde_json::Value;

use super::rollout::{self, Due, Rollout};
use super::store::{listed, name_of};
use super::{isvc, status, Inner, KserveHandle, Part, ServiceScenario};
use crate::kube::KubeError;
use crate::scenario::GithubScenario;

impl KserveHandle {
    /// Stores a scenario InferenceService, already rolled out.
    pub(super) fn seed(
        &self,
        service: &ServiceScenario,
        github: &GithubScenario,
    ) -> Result<(), String> {
        let manifest = service.manifest(github)?;
        self.update(|s| {
            let serial = s.next_serial();
            let mut object =
                isvc::admit_create(&service.namespace, manifest, serial, service.created_at)
                    .map_err(|e| e.status.message.clone().unwrap_or_default())?;
            let (namespace, name) = name_of(&object);
            let revision = service.revision.max(1);
            object["metadata"]["generation"] = Value::from(revision);
            let rollout = Rollout::rolled_out(&name, revision, &object, service.deployed_at);
            object["status"] = status::render(
                &name,
                &namespace,
                &rollout,
                &Value::Null,
                service.deployed_at,
            );
            s.insert(object, rollout)
                .map(|_| ())
                .map_err(|e| e.status.message.clone().unwrap_or_default())
        })
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
            let due = rollout.spec_changed(&name, None, &object, 1, now, ready_ms);
            object["status"] = status::render(&name, namespace, &rollout, &Value::Null, now);
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
            // KServe reconciles on any change; only the template decides on a revision.
            let template_changed =
                rollout::revision_template(&current) != rollout::revision_template(&object);
            if (spec_changed || template_changed) && part == Part::Main {
                let generation = object["metadata"]["generation"].as_i64().unwrap_or(1);
                due = Some(rollout.spec_changed(
                    name,
                    Some(&current),
                    &object,
                    generation,
                    now,
                    ready_ms,
                ));
                object["status"] =
                    status::render(name, namespace, &rollout, &current["status"], now);
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
            // The route follows the settled object, its tag-routing annotation included.
            rollout.tag_routing = rollout::tag_routing(&entry.object);
            let failing = |revision: &str| listed(&never_ready, namespace, name, Some(revision));
            if !rollout.settle(generation, canary, failing, now) {
                return;
            }
            let mut object = entry.object.clone();
            object["status"] =
                status::render(name, namespace, &rollout, &entry.object["status"], now);
            s.update(namespace, name, object, rollout);
        });
    }
}
