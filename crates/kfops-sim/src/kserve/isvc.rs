//! The InferenceService REST resource, with the API server's semantics for a custom resource
//! with a status subresource: list (selectors, Table, watch), get, create, replace
//! (optimistic concurrency), merge / JSON / apply patches, delete; `/status` reads and writes
//! only the status, the main resource everything else ([`super::admit`]). Errors are
//! `metav1.Status` bodies.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use chrono::Utc;
use serde_json::{json, Value};

pub use super::admit::{
    admit_create, admit_update, already_exists, conflict, invalid, not_found, Part, API_VERSION,
    GROUP, KIND, PLURAL,
};
use super::{admit, patch, table, watch, KserveHandle};
use crate::kube::select::Selector;
use crate::kube::status::{json, Params};
use crate::kube::KubeError;

/// The media type of a request body (without parameters).
fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

fn decode(media: &str, body: &[u8]) -> Result<Value, KubeError> {
    let parsed = if media.ends_with("yaml") {
        serde_norway::from_slice(body).map_err(|e| e.to_string())
    } else {
        serde_json::from_slice(body).map_err(|e| e.to_string())
    };
    parsed.map_err(|e| {
        KubeError::bad_request(format!(
            "the object provided is unrecognized (must be of type {KIND}): {e}"
        ))
    })
}

/// A create or replace body (JSON or YAML).
fn object_body(headers: &HeaderMap, body: &[u8]) -> Result<Value, KubeError> {
    let media = media_type(headers);
    match media.as_str() {
        "" | "application/json" | "application/yaml" => decode(&media, body),
        _ => Err(KubeError::unsupported_media_type(&media)),
    }
}

fn dry_run(params: &Params) -> bool {
    params.get("dryRun").is_some_and(|v| v == "All")
}

/// 405 for methods a path does not support.
pub async fn not_allowed() -> Response {
    KubeError::method_not_allowed().into_response()
}

/// `GET /apis/serving.kserve.io/v1beta1/inferenceservices` (all namespaces, or a watch).
pub async fn list_all(
    State(kserve): State<KserveHandle>,
    params: Params,
) -> Result<Response, KubeError> {
    list_in(kserve, None, params)
}

/// `GET .../namespaces/{namespace}/inferenceservices` (or a watch).
pub async fn list(
    State(kserve): State<KserveHandle>,
    Path(namespace): Path<String>,
    params: Params,
) -> Result<Response, KubeError> {
    list_in(kserve, Some(namespace), params)
}

fn list_in(
    kserve: KserveHandle,
    namespace: Option<String>,
    params: Params,
) -> Result<Response, KubeError> {
    if params.flag("watch")? {
        return watch::isvcs(kserve, namespace, &params);
    }
    let selector = Selector::for_objects(&params)?;
    let (items, rv) = kserve.read(|s| {
        let items: Vec<Value> = s
            .objects(namespace.as_deref())
            .filter(|o| selector.matches_object(o))
            .cloned()
            .collect();
        (items, s.resource_version())
    });
    let metadata = json!({"resourceVersion": rv.to_string()});
    if params.wants_table() {
        return Ok(table::respond(&items, metadata, Utc::now()));
    }
    let list = json!({
        "apiVersion": API_VERSION,
        "kind": "InferenceServiceList",
        "items": items,
        "metadata": metadata,
    });
    Ok(json(StatusCode::OK, &list))
}

/// `GET .../inferenceservices/{name}` (and `/status`).
pub async fn get(
    State(kserve): State<KserveHandle>,
    Path((namespace, name)): Path<(String, String)>,
    params: Params,
) -> Result<Response, KubeError> {
    let object = kserve
        .get(&namespace, &name)
        .ok_or_else(|| not_found(&name))?;
    if params.wants_table() {
        return Ok(table::respond(&[object], json!({}), Utc::now()));
    }
    Ok(json(StatusCode::OK, &object))
}

/// `POST .../namespaces/{namespace}/inferenceservices`: 201 with the stored object.
pub async fn create(
    State(kserve): State<KserveHandle>,
    Path(namespace): Path<String>,
    params: Params,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, KubeError> {
    let object = object_body(&headers, &body)?;
    let created = kserve.create_object(&namespace, object, dry_run(&params))?;
    Ok(json(StatusCode::CREATED, &created))
}

/// `PUT .../inferenceservices/{name}` and `.../status` (the route says which [`Part`]): 200,
/// or 409 on a stale resourceVersion.
pub async fn replace(
    State(kserve): State<KserveHandle>,
    Extension(part): Extension<Part>,
    Path((namespace, name)): Path<(String, String)>,
    params: Params,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, KubeError> {
    let object = object_body(&headers, &body)?;
    let written = kserve.write(&namespace, &name, part, dry_run(&params), |current| {
        admit_update(current, object, part, true)
    })?;
    Ok(json(StatusCode::OK, &written))
}

/// `PATCH .../inferenceservices/{name}` and `.../status` (the route says which [`Part`]):
/// merge, JSON or apply patches.
pub async fn patch(
    State(kserve): State<KserveHandle>,
    Extension(part): Extension<Part>,
    Path((namespace, name)): Path<(String, String)>,
    params: Params,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, KubeError> {
    let media = media_type(&headers);
    let dry = dry_run(&params);
    let change = match media.as_str() {
        "application/merge-patch+json" | "application/json-patch+json" => {
            serde_json::from_slice(&body)
                .map_err(|e| KubeError::bad_request(format!("error decoding patch: {e}")))?
        }
        "application/apply-patch+yaml" => {
            // Server-side apply, simplified: create when absent, else merge the fields given.
            let change = decode("yaml", &body)?;
            if part == Part::Main && kserve.get(&namespace, &name).is_none() {
                let mut object = change;
                object["metadata"]["name"] = json!(name);
                let created = kserve.create_object(&namespace, object, dry)?;
                return Ok(json(StatusCode::CREATED, &created));
            }
            change
        }
        _ => return Err(KubeError::unsupported_patch_type(&media)),
    };
    let patched = |current: &Value| -> Result<Value, KubeError> {
        match media.as_str() {
            "application/json-patch+json" => {
                patch::json_patch(current, &change).map_err(|e| admit::invalid_patch(&name, &e))
            }
            _ => {
                let mut out = current.clone();
                patch::merge(&mut out, &change);
                Ok(out)
            }
        }
    };
    let written = kserve.write(&namespace, &name, part, dry, |current| {
        admit_update(current, patched(current)?, part, false)
    })?;
    Ok(json(StatusCode::OK, &written))
}

/// `DELETE .../inferenceservices/{name}`: deleted at once; 200 with the object.
pub async fn delete(
    State(kserve): State<KserveHandle>,
    Path((namespace, name)): Path<(String, String)>,
) -> Result<Response, KubeError> {
    let deleted = kserve.delete(&namespace, &name)?;
    Ok(json(StatusCode::OK, &deleted))
}
