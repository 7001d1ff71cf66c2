//! Knative Revisions (`serving.knative.dev/v1`), read-only: which model a predictor revision
//! serves. Knative copies the revision template's annotations onto the Revision (knative/serving
//! `pkg/reconciler/configuration/resources/revision.go`), and KServe puts the
//! InferenceService's annotations (Kfops' `kfops.io/run-id`, `kfops.io/pr`) and
//! `internal.serving.kserve.io/storage-initializer-sourceuri` into that template (kserve/kserve
//! `components/predictor.go`). The InferenceService's own annotations describe its newest
//! spec, not what the traffic reaches (after a failed canary the old revision keeps 100%).

use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
use kube::Api;

use super::cluster::{map_err, Cluster};
use super::error::BackendError;
use super::kserve::{run_id_from_uri, RevisionModel};
use super::retry;

/// KServe's annotation with the model's storage URI.
pub const SOURCE_URI: &str = "internal.serving.kserve.io/storage-initializer-sourceuri";

fn resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("serving.knative.dev", "v1", "Revision"),
        "revisions",
    )
}

/// The model a revision serves (`None`: no such revision).
pub async fn revision_model(
    cluster: &Cluster,
    namespace: &str,
    name: &str,
) -> Result<Option<RevisionModel>, BackendError> {
    let what = format!("get Knative revision {namespace}/{name}");
    let api: Api<DynamicObject> = Api::namespaced_with(cluster.client(), namespace, &resource());
    let obj =
        retry::read(|| async { api.get_opt(name).await.map_err(|e| map_err(&what, e)) }).await?;
    Ok(obj.map(|o| model_of(&o)))
}

/// What a Revision's annotations say about its model.
pub fn model_of(obj: &DynamicObject) -> RevisionModel {
    let annotations = obj.metadata.annotations.clone().unwrap_or_default();
    let storage_uri = annotations.get(SOURCE_URI).cloned();
    RevisionModel {
        run_id: annotations
            .get("kfops.io/run-id")
            .cloned()
            .or_else(|| storage_uri.as_deref().and_then(run_id_from_uri)),
        pr: annotations.get("kfops.io/pr").and_then(|p| p.parse().ok()),
        storage_uri,
    }
}

/// Fills `state.revisions` for the revisions it shows, from `cache` (a Revision's template
/// never changes) or the cluster. A revision that cannot be read stays unknown (logged): the
/// console then says so rather than guessing from the spec.
pub async fn fill_models(
    cluster: &Cluster,
    state: &mut super::kserve::ServiceState,
    cache: &mut std::collections::BTreeMap<String, RevisionModel>,
) {
    for name in state.shown_revisions() {
        if !cache.contains_key(&name) {
            match revision_model(cluster, &state.namespace, &name).await {
                Ok(Some(model)) => {
                    cache.insert(name.clone(), model);
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(revision = %name, error = %e, "could not read the revision")
                }
            }
        }
        if let Some(model) = cache.get(&name) {
            state.revisions.insert(name, model.clone());
        }
    }
}
