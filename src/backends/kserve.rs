//! KServe InferenceServices (`serving.kserve.io/v1beta1`) through kube-rs's dynamic API: the
//! deployment targets' state, and the create / replace / merge-patch a deploy needs.

use std::collections::BTreeMap;

use futures::{Stream, StreamExt};
use kube::api::{ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams};
use kube::runtime::watcher;
use kube::Api;
use serde_json::Value;

use super::cluster::{map_err, require_name, Cluster};
use super::error::{BackendError, Service};
use super::retry;

/// The InferenceService resource.
pub fn resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("serving.kserve.io", "v1beta1", "InferenceService"),
        "inferenceservices",
    )
}

/// What the console shows about one InferenceService.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceState {
    pub namespace: String,
    pub name: String,
    /// The `Ready` condition: `Some(true)` ready, `Some(false)` not, `None` unknown.
    pub ready: Option<bool>,
    /// Why it is not ready (the failing condition's reason and message).
    pub reason: Option<String>,
    pub url: Option<String>,
    /// `(revision, percent, tag)` of each traffic target.
    pub traffic: Vec<(String, i64, Option<String>)>,
    pub latest_created: Option<String>,
    pub latest_ready: Option<String>,
    pub canary_percent: Option<i64>,
    /// The run whose model it serves (`kfops.io/run-id`, else read from the storage URI).
    pub run_id: Option<String>,
    /// The PR that deployed it (`kfops.io/pr`).
    pub pr: Option<u64>,
    pub storage_uri: Option<String>,
    pub generation: Option<i64>,
    pub observed_generation: Option<i64>,
    /// The model of each revision that has (or waits for) traffic, read from its Knative
    /// Revision ([`super::knative`]); empty until read (or when it cannot be).
    pub revisions: BTreeMap<String, RevisionModel>,
}

/// The model a predictor revision serves (its Knative Revision's annotations).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RevisionModel {
    pub run_id: Option<String>,
    pub pr: Option<u64>,
    pub storage_uri: Option<String>,
}

/// A revision with its share of the traffic and the run it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    pub revision: String,
    pub percent: i64,
    /// `None`: not known (its Knative Revision was not read).
    pub model: Option<RevisionModel>,
    /// `canary, not promoted` (the latest revision at 0%) or `not ready` (the latest revision
    /// never became Ready and gets nothing).
    pub note: Option<&'static str>,
}

impl ServiceState {
    /// Reads the state from an InferenceService object.
    pub fn of(obj: &DynamicObject) -> ServiceState {
        let data = &obj.data;
        let status = &data["status"];
        let conditions = status["conditions"].as_array().cloned().unwrap_or_default();
        let cond = |t: &str| conditions.iter().find(|c| c["type"] == t);
        let ready = cond("Ready")
            .and_then(|c| c["status"].as_str())
            .and_then(|s| match s {
                "True" => Some(true),
                "False" => Some(false),
                _ => None,
            });
        let reason = conditions.iter().find(|c| c["status"] != "True").map(|c| {
            format!(
                "{}: {} {}",
                c["type"].as_str().unwrap_or_default(),
                c["reason"].as_str().unwrap_or_default(),
                c["message"].as_str().unwrap_or_default()
            )
            .trim()
            .to_string()
        });
        let predictor = &status["components"]["predictor"];
        let traffic = predictor["traffic"]
            .as_array()
            .map(|ts| {
                ts.iter()
                    .map(|t| {
                        (
                            t["revisionName"].as_str().unwrap_or_default().to_string(),
                            t["percent"].as_i64().unwrap_or(0),
                            t["tag"].as_str().map(str::to_string),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let annotations = obj.metadata.annotations.clone().unwrap_or_default();
        let storage_uri = storage_uri(&data["spec"]);
        let run_id = annotations
            .get("kfops.io/run-id")
            .cloned()
            .or_else(|| storage_uri.as_deref().and_then(run_id_from_uri));
        ServiceState {
            namespace: obj.metadata.namespace.clone().unwrap_or_default(),
            name: obj.metadata.name.clone().unwrap_or_default(),
            ready,
            reason: if ready == Some(true) { None } else { reason },
            url: status["url"].as_str().map(str::to_string),
            traffic,
            latest_created: predictor["latestCreatedRevision"]
                .as_str()
                .map(str::to_string),
            latest_ready: predictor["latestReadyRevision"]
                .as_str()
                .map(str::to_string),
            canary_percent: data["spec"]["predictor"]["canaryTrafficPercent"].as_i64(),
            run_id,
            pr: annotations.get("kfops.io/pr").and_then(|p| p.parse().ok()),
            storage_uri,
            generation: obj.metadata.generation,
            observed_generation: status["observedGeneration"].as_i64(),
            revisions: BTreeMap::new(),
        }
    }

    /// The model `revision` serves: from its Knative Revision when read, else the spec's when
    /// it is the latest revision and the spec was observed (a revision is made from the spec
    /// it was created for); `None` when not known.
    pub fn model_of(&self, revision: &str) -> Option<RevisionModel> {
        if let Some(m) = self.revisions.get(revision) {
            return Some(m.clone());
        }
        (self.latest_created.as_deref() == Some(revision)
            && self.observed_generation >= self.generation)
            .then(|| RevisionModel {
                run_id: self.run_id.clone(),
                pr: self.pr,
                storage_uri: self.storage_uri.clone(),
            })
    }

    /// What really serves, most traffic first: each traffic target with its run, and the
    /// latest revision when it has no traffic because it never became Ready. After a failed canary the old revision
    /// keeps 100%, whatever the spec's annotations say.
    pub fn served(&self) -> Vec<Served> {
        let mut out: Vec<Served> = self
            .traffic
            .iter()
            .map(|(revision, percent, tag)| Served {
                revision: revision.clone(),
                percent: *percent,
                model: self.model_of(revision),
                // The latest revision at 0%: tagged `latest` only with KServe's tag routing
                // (`serving.kserve.io/enable-tag-routing`), so the revision name decides.
                note: (*percent == 0
                    && (tag.as_deref() == Some("latest")
                        || self.latest_created.as_ref() == Some(revision)))
                .then_some("canary, not promoted"),
            })
            .collect();
        if let Some(latest) = &self.latest_created {
            if !out.iter().any(|s| &s.revision == latest)
                && self.latest_ready.as_ref() != Some(latest)
                && !self.traffic.is_empty()
            {
                out.push(Served {
                    revision: latest.clone(),
                    percent: 0,
                    model: self.model_of(latest),
                    note: Some("not ready"),
                });
            }
        }
        // Most traffic first (stable: KServe's order on a tie).
        out.sort_by_key(|s| std::cmp::Reverse(s.percent));
        out
    }

    /// The revisions whose model [`served`](Self::served) shows.
    pub fn shown_revisions(&self) -> Vec<String> {
        let mut names: Vec<String> = self.traffic.iter().map(|t| t.0.clone()).collect();
        names.extend(self.latest_created.clone());
        names.sort();
        names.dedup();
        names
    }

    /// The run (and PR) with the largest share of the traffic; before any traffic (a first
    /// rollout), the latest revision's.
    pub fn main_model(&self) -> Option<RevisionModel> {
        match self
            .served()
            .into_iter()
            .filter(|s| s.percent > 0)
            .max_by_key(|s| s.percent)
        {
            Some(s) => s.model,
            None => self.model_of(self.latest_created.as_deref().unwrap_or_default()),
        }
    }

    /// The URL of the revision tagged `tag` (`latest`/`prev`), if KServe reports one.
    pub fn tagged_url(obj: &DynamicObject, tag: &str) -> Option<String> {
        obj.data["status"]["components"]["predictor"]["traffic"]
            .as_array()?
            .iter()
            .find(|t| t["tag"] == tag)
            .and_then(|t| t["url"].as_str())
            .map(str::to_string)
    }
}

/// `spec.predictor.model.storageUri`, or the older per-framework form.
pub fn storage_uri(spec: &Value) -> Option<String> {
    let predictor = &spec["predictor"];
    if let Some(uri) = predictor["model"]["storageUri"].as_str() {
        return Some(uri.to_string());
    }
    predictor
        .as_object()?
        .values()
        .find_map(|v| v["storageUri"].as_str())
        .map(str::to_string)
}

/// `s3://trained-models/<run_id>/` → `<run_id>`.
pub fn run_id_from_uri(uri: &str) -> Option<String> {
    let rest = uri.strip_prefix("s3://trained-models/")?;
    let id = rest.trim_end_matches('/');
    (!id.is_empty() && !id.contains('/')).then(|| id.to_string())
}

/// The InferenceService API of one namespace.
pub fn api(cluster: &Cluster, namespace: &str) -> Api<DynamicObject> {
    Api::namespaced_with(cluster.client(), namespace, &resource())
}

pub async fn get(
    cluster: &Cluster,
    namespace: &str,
    name: &str,
) -> Result<Option<DynamicObject>, BackendError> {
    let what = format!("get InferenceService {namespace}/{name}");
    let obj = retry::read(|| async {
        api(cluster, namespace)
            .get_opt(name)
            .await
            .map_err(|e| map_err(&what, e))
    })
    .await?;
    if let Some(obj) = &obj {
        require_name(&what, "InferenceService", &obj.metadata)?;
    }
    Ok(obj)
}

pub async fn create(
    cluster: &Cluster,
    namespace: &str,
    obj: &DynamicObject,
) -> Result<DynamicObject, BackendError> {
    let name = obj.metadata.name.clone().unwrap_or_default();
    retry::write(|| async {
        api(cluster, namespace)
            .create(&PostParams::default(), obj)
            .await
            .map_err(|e| map_err(&format!("create InferenceService {namespace}/{name}"), e))
    })
    .await
}

pub async fn replace(
    cluster: &Cluster,
    namespace: &str,
    obj: &DynamicObject,
) -> Result<DynamicObject, BackendError> {
    let name = obj.metadata.name.clone().unwrap_or_default();
    retry::write(|| async {
        api(cluster, namespace)
            .replace(&name, &PostParams::default(), obj)
            .await
            .map_err(|e| map_err(&format!("replace InferenceService {namespace}/{name}"), e))
    })
    .await
}

/// A JSON merge patch (RFC 7386).
pub async fn merge_patch(
    cluster: &Cluster,
    namespace: &str,
    name: &str,
    patch: &Value,
) -> Result<DynamicObject, BackendError> {
    retry::write(|| async {
        api(cluster, namespace)
            .patch(name, &PatchParams::default(), &Patch::Merge(patch))
            .await
            .map_err(|e| map_err(&format!("patch InferenceService {namespace}/{name}"), e))
    })
    .await
}

/// Watches the InferenceServices of a namespace (relists after 410, retries with backoff).
pub fn watch(
    cluster: &Cluster,
    namespace: &str,
) -> impl Stream<Item = Result<watcher::Event<DynamicObject>, BackendError>> + Send + 'static {
    let what = format!("watch InferenceServices in {namespace}");
    super::cluster::relisting_watcher(api(cluster, namespace), watcher::Config::default())
        .map(move |ev| ev.map_err(|e| BackendError::new(Service::Kubernetes, &what, e.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_from_an_object() {
        let obj: DynamicObject = serde_json::from_value(serde_json::json!({
            "apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": "m", "namespace": "staging", "generation": 3,
                          "annotations": {"kfops.io/pr": "44"}},
            "spec": {"predictor": {"canaryTrafficPercent": 10, "model": {"storageUri": "s3://trained-models/r-9/"}}},
            "status": {"url": "http://m.staging.example.com", "observedGeneration": 3,
                "conditions": [{"type": "Ready", "status": "True"}],
                "components": {"predictor": {"latestCreatedRevision": "m-predictor-00002",
                    "latestReadyRevision": "m-predictor-00002",
                    "traffic": [{"revisionName": "m-predictor-00002", "percent": 10, "tag": "latest", "url": "http://latest"},
                                {"revisionName": "m-predictor-00001", "percent": 90, "tag": "prev"}]}}}
        }))
        .unwrap();
        let s = ServiceState::of(&obj);
        assert_eq!(s.ready, Some(true));
        assert_eq!(s.run_id.as_deref(), Some("r-9"));
        assert_eq!(s.pr, Some(44));
        assert_eq!(s.canary_percent, Some(10));
        assert_eq!(s.traffic.len(), 2);
        assert_eq!(
            ServiceState::tagged_url(&obj, "latest").as_deref(),
            Some("http://latest")
        );
    }
}
