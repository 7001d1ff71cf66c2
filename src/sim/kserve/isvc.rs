//! The InferenceService REST resource, with the API server's semantics for a custom resource
//! with a status subresource: list (selectors, Table, watch), get, create, replace
//! (optimistic concurrency), merge / JSON / apply patches, delete; `/status` reads and writes
//! only the status, the main resource everything else. `metadata.generation` counts spec
//! changes. Errors are `metav1.Status` bodies.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Status, StatusDetails};
use serde_json::{json, Value};

use super::status::timestamp;
use super::store::name_of;
use super::{patch, table, watch, KserveHandle};
use crate::sim::kube::select::Selector;
use crate::sim::kube::status::{json, FieldError, Params};
use crate::sim::kube::{uid, KubeError};

pub const GROUP: &str = "serving.kserve.io";
pub const API_VERSION: &str = "serving.kserve.io/v1beta1";
pub const KIND: &str = "InferenceService";
pub const PLURAL: &str = "inferenceservices";

/// Which part of the object a write changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The main resource: everything but `status`.
    Main,
    /// The `/status` subresource: only `status`.
    Status,
}

fn error(code: StatusCode, reason: &str, message: String, name: &str) -> KubeError {
    KubeError {
        code,
        status: Box::new(Status {
            code: Some(i32::from(code.as_u16())),
            details: Some(StatusDetails {
                name: Some(name.to_owned()),
                group: Some(GROUP.to_owned()),
                kind: Some(PLURAL.to_owned()),
                ..Default::default()
            }),
            message: Some(message),
            metadata: Default::default(),
            reason: Some(reason.to_owned()),
            status: Some("Failure".to_owned()),
        }),
    }
}

/// 404 `inferenceservices.serving.kserve.io "x" not found`.
pub fn not_found(name: &str) -> KubeError {
    let message = format!("{PLURAL}.{GROUP} \"{name}\" not found");
    error(StatusCode::NOT_FOUND, "NotFound", message, name)
}

/// 409 `inferenceservices.serving.kserve.io "x" already exists`.
pub fn already_exists(name: &str) -> KubeError {
    let message = format!("{PLURAL}.{GROUP} \"{name}\" already exists");
    error(StatusCode::CONFLICT, "AlreadyExists", message, name)
}

/// 409 Conflict: the write was based on a stale resourceVersion.
pub fn conflict(name: &str) -> KubeError {
    let message = format!(
        "Operation cannot be fulfilled on {PLURAL}.{GROUP} \"{name}\": the object has been \
         modified; please apply your changes to the latest version and try again"
    );
    error(StatusCode::CONFLICT, "Conflict", message, name)
}

/// 422 `InferenceService.serving.kserve.io "x" is invalid: ...`.
pub fn invalid(name: &str, causes: Vec<FieldError>) -> KubeError {
    let mut e = KubeError::invalid(&format!("{KIND}.{GROUP}"), name, causes);
    if let Some(details) = e.status.details.as_mut() {
        details.group = Some(GROUP.to_owned());
        details.kind = Some(KIND.to_owned());
    }
    e
}

/// A DNS-1035 label, what KServe's webhook requires of InferenceService names.
fn is_dns1035(name: &str) -> bool {
    name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// What the API server and KServe's webhook check of any written object.
fn validate(name: &str, object: &Value) -> Result<(), KubeError> {
    let mut causes = Vec::new();
    if !is_dns1035(name) {
        causes.push(FieldError::invalid(
            "metadata.name",
            name,
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', \
             start with an alphabetic character, and end with an alphanumeric character",
        ));
    }
    if !object["spec"]["predictor"].is_object() {
        causes.push(FieldError::required("spec.predictor"));
    }
    if causes.is_empty() {
        Ok(())
    } else {
        Err(invalid(name, causes))
    }
}

fn check_type(object: &Value) -> Result<(), KubeError> {
    if !object.is_object() {
        return Err(KubeError::bad_request(
            "the body of the request was not a JSON object",
        ));
    }
    for (field, want) in [("apiVersion", API_VERSION), ("kind", KIND)] {
        match object[field].as_str() {
            None => {}
            Some(got) if got == want => {}
            Some(got) => {
                return Err(KubeError::bad_request(format!(
                    "the {field} in the data ({got}) does not match the expected {field} ({want})"
                )))
            }
        }
    }
    Ok(())
}

/// A new object as the API server stores it: type, namespace, name (from `generateName`
/// when needed), uid, creationTimestamp, generation 1, no status.
pub fn admit_create(
    namespace: &str,
    mut object: Value,
    serial: u64,
    now: DateTime<Utc>,
) -> Result<Value, KubeError> {
    check_type(&object)?;
    let meta = &object["metadata"];
    if meta["namespace"]
        .as_str()
        .is_some_and(|ns| !ns.is_empty() && ns != namespace)
    {
        return Err(KubeError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    let name = match (meta["name"].as_str(), meta["generateName"].as_str()) {
        (Some(name), _) if !name.is_empty() => name.to_owned(),
        (_, Some(prefix)) if !prefix.is_empty() => {
            let suffix =
                &crate::sim::github::fake_sha(&format!("{namespace}/{prefix}/{serial}"))[..5];
            format!("{prefix}{suffix}")
        }
        _ => {
            return Err(invalid(
                "",
                vec![FieldError {
                    field: "metadata.name".to_owned(),
                    reason: "FieldValueRequired",
                    message: "Required value: name or generateName is required".to_owned(),
                }],
            ))
        }
    };
    validate(&name, &object)?;
    let Some(fields) = object.as_object_mut() else {
        return Err(KubeError::bad_request(
            "the body of the request was not a JSON object",
        ));
    };
    fields.remove("status");
    fields.insert("apiVersion".into(), json!(API_VERSION));
    fields.insert("kind".into(), json!(KIND));
    let meta = fields.entry("metadata").or_insert_with(|| json!({}));
    if let Some(meta) = meta.as_object_mut() {
        for managed in [
            "resourceVersion",
            "deletionTimestamp",
            "managedFields",
            "selfLink",
        ] {
            meta.remove(managed);
        }
        meta.insert("name".into(), json!(name));
        meta.insert("namespace".into(), json!(namespace));
        meta.insert(
            "uid".into(),
            json!(uid(&format!("isvc/{namespace}/{name}/{serial}"))),
        );
        meta.insert("creationTimestamp".into(), json!(timestamp(now)));
        meta.insert("generation".into(), json!(1));
    }
    Ok(object)
}

/// The object a write of `new` over `current` stores, and whether its spec changed.
/// `require_rv`: a PUT must name the resourceVersion it replaces (patches need not).
pub fn admit_update(
    current: &Value,
    mut new: Value,
    part: Part,
    require_rv: bool,
) -> Result<(Value, bool), KubeError> {
    check_type(&new)?;
    let (_, name) = name_of(current);
    if let Some(other) = new["metadata"]["name"].as_str() {
        if other != name {
            return Err(KubeError::bad_request(format!(
                "the name of the object ({other}) does not match the name on the URL ({name})"
            )));
        }
    }
    let stored_rv = &current["metadata"]["resourceVersion"];
    match new["metadata"]["resourceVersion"].as_str() {
        Some(rv) if !rv.is_empty() && Some(rv) != stored_rv.as_str() => {
            return Err(conflict(&name))
        }
        None | Some("") if require_rv => {
            return Err(invalid(
                &name,
                vec![FieldError::invalid(
                    "metadata.resourceVersion",
                    "0x0",
                    "must be specified for an update",
                )],
            ))
        }
        _ => {}
    }
    let mut out = match part {
        Part::Status => {
            let mut out = current.clone();
            out["status"] = new.get("status").cloned().unwrap_or(Value::Null);
            if out["status"].is_null() {
                if let Some(fields) = out.as_object_mut() {
                    fields.remove("status");
                }
            }
            return Ok((out, false));
        }
        Part::Main => {
            new["status"] = current.get("status").cloned().unwrap_or(Value::Null);
            new
        }
    };
    if out["status"].is_null() {
        if let Some(fields) = out.as_object_mut() {
            fields.remove("status");
        }
    }
    out["apiVersion"] = json!(API_VERSION);
    out["kind"] = json!(KIND);
    if !out["metadata"].is_object() {
        out["metadata"] = json!({});
    }
    for kept in [
        "name",
        "namespace",
        "uid",
        "creationTimestamp",
        "generation",
    ] {
        out["metadata"][kept] = current["metadata"][kept].clone();
    }
    out["metadata"]["resourceVersion"] = stored_rv.clone();
    validate(&name, &out)?;
    let changed = out.get("spec") != current.get("spec");
    if changed {
        let generation = current["metadata"]["generation"].as_i64().unwrap_or(1);
        out["metadata"]["generation"] = json!(generation + 1);
    }
    Ok((out, changed))
}

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

async fn replace_part(
    kserve: KserveHandle,
    (namespace, name): (String, String),
    params: Params,
    headers: HeaderMap,
    body: Bytes,
    part: Part,
) -> Result<Response, KubeError> {
    let object = object_body(&headers, &body)?;
    let written = kserve.write(&namespace, &name, part, dry_run(&params), |current| {
        admit_update(current, object, part, true)
    })?;
    Ok(json(StatusCode::OK, &written))
}

async fn patch_part(
    kserve: KserveHandle,
    (namespace, name): (String, String),
    params: Params,
    headers: HeaderMap,
    body: Bytes,
    part: Part,
) -> Result<Response, KubeError> {
    let media = media_type(&headers);
    let dry = dry_run(&params);
    let patched = |current: &Value, change: &Value| -> Result<Value, KubeError> {
        match media.as_str() {
            "application/json-patch+json" => {
                patch::json_patch(current, change).map_err(|e| invalid_patch(&name, &e))
            }
            _ => {
                let mut out = current.clone();
                patch::merge(&mut out, change);
                Ok(out)
            }
        }
    };
    match media.as_str() {
        "application/merge-patch+json" | "application/json-patch+json" => {
            let change: Value = serde_json::from_slice(&body)
                .map_err(|e| KubeError::bad_request(format!("error decoding patch: {e}")))?;
            let written = kserve.write(&namespace, &name, part, dry, |current| {
                admit_update(current, patched(current, &change)?, part, false)
            })?;
            Ok(json(StatusCode::OK, &written))
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
            let written = kserve.write(&namespace, &name, part, dry, |current| {
                admit_update(current, patched(current, &change)?, part, false)
            })?;
            Ok(json(StatusCode::OK, &written))
        }
        _ => Err(KubeError {
            code: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            status: Box::new(Status {
                code: Some(415),
                message: Some(format!(
                    "the body of the request was in an unknown format - accepted media types \
                     include: application/json-patch+json, application/merge-patch+json, \
                     application/apply-patch+yaml (got {media:?})"
                )),
                reason: Some("UnsupportedMediaType".to_owned()),
                status: Some("Failure".to_owned()),
                ..Default::default()
            }),
        }),
    }
}

fn invalid_patch(name: &str, why: &str) -> KubeError {
    error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "Invalid",
        format!("the server rejected our request due to an error in our request: {why}"),
        name,
    )
}

/// `PUT .../inferenceservices/{name}`: 200, or 409 on a stale resourceVersion.
pub async fn replace(
    State(kserve): State<KserveHandle>,
    Path(path): Path<(String, String)>,
    params: Params,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, KubeError> {
    replace_part(kserve, path, params, headers, body, Part::Main).await
}

/// `PUT .../inferenceservices/{name}/status`.
pub async fn replace_status(
    State(kserve): State<KserveHandle>,
    Path(path): Path<(String, String)>,
    params: Params,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, KubeError> {
    replace_part(kserve, path, params, headers, body, Part::Status).await
}

/// `PATCH .../inferenceservices/{name}`.
pub async fn patch(
    State(kserve): State<KserveHandle>,
    Path(path): Path<(String, String)>,
    params: Params,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, KubeError> {
    patch_part(kserve, path, params, headers, body, Part::Main).await
}

/// `PATCH .../inferenceservices/{name}/status`.
pub async fn patch_status(
    State(kserve): State<KserveHandle>,
    Path(path): Path<(String, String)>,
    params: Params,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, KubeError> {
    patch_part(kserve, path, params, headers, body, Part::Status).await
}

/// `DELETE .../inferenceservices/{name}`: deleted at once; 200 with the object.
pub async fn delete(
    State(kserve): State<KserveHandle>,
    Path((namespace, name)): Path<(String, String)>,
) -> Result<Response, KubeError> {
    let deleted = kserve.delete(&namespace, &name)?;
    Ok(json(StatusCode::OK, &deleted))
}
