//! The Knative Revisions behind the InferenceServices' predictors, read-only:
//! `GET /apis/serving.knative.dev/v1/namespaces/{ns}/revisions/{name}`.
//!
//! Knative makes a Revision from the Configuration's template, copying the template's
//! metadata (labels, annotations) onto it (knative/serving
//! `pkg/reconciler/configuration/resources/revision.go`, `MakeRevision`), and KServe writes
//! the InferenceService's propagated annotations and
//! `internal.serving.kserve.io/storage-initializer-sourceuri` into that template (kserve/kserve
//! `components/predictor.go`, `Reconcile`): so a revision names the model it serves, and with
//! Kfops' annotations the run and PR. Labels as Knative and KServe set them
//! (`serving.knative.dev/configuration`, `serving.knative.dev/service`,
//! `serving.kserve.io/inferenceservice`, `component: predictor`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use super::rollout::{Revision, RevisionState};
use super::KserveHandle;
use crate::kube::status::json;
use crate::kube::KubeError;

/// `revisions.serving.knative.dev`, as the API server names the resource in errors.
const RESOURCE: &str = "revisions.serving.knative.dev";

/// `GET .../namespaces/{namespace}/revisions/{name}`.
pub async fn get(
    State(kserve): State<KserveHandle>,
    Path((namespace, name)): Path<(String, String)>,
) -> Result<Response, KubeError> {
    let found = kserve.read(|s| {
        s.objects(Some(&namespace)).find_map(|object| {
            let service = object["metadata"]["name"].as_str()?;
            let entry = s.entry(&namespace, service)?;
            let revision = entry.rollout.revision(&name)?;
            Some(object_of(&namespace, service, revision))
        })
    });
    match found {
        Some(object) => Ok(json(StatusCode::OK, &object)),
        None => Err(KubeError::not_found(RESOURCE, &name)),
    }
}

/// A Revision object as Knative serves it (the fields a client reads).
fn object_of(namespace: &str, service: &str, r: &Revision) -> Value {
    let ready = match r.state {
        RevisionState::Ready => "True",
        RevisionState::Failed => "False",
        RevisionState::Pending => "Unknown",
    };
    let component = format!("{service}-predictor");
    json!({
        "apiVersion": "serving.knative.dev/v1",
        "kind": "Revision",
        "metadata": {
            "name": r.name,
            "namespace": namespace,
            "generation": 1,
            "creationTimestamp": r.created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "labels": {
                "serving.knative.dev/configuration": component,
                "serving.knative.dev/configurationGeneration": r.number.to_string(),
                "serving.knative.dev/service": component,
                "serving.kserve.io/inferenceservice": service,
                "component": "predictor",
            },
            "annotations": r.annotations,
        },
        "spec": {
            "containers": [{"name": "kserve-container"}],
        },
        "status": {
            "conditions": [{"type": "Ready", "status": ready}],
            "observedGeneration": 1,
        },
    })
}
