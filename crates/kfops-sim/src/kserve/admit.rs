//! What the API server (and KServe's validating webhook) make of a written InferenceService:
//! the object stored on create (type, name or `generateName`, uid, creationTimestamp,
//! generation) and on update (immutable metadata kept, optimistic concurrency on
//! `resourceVersion`, `generation` bumped on a spec change, main resource and `/status` each
//! writing only their part), and the `metav1.Status` errors of both.

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Status, StatusDetails};
use serde_json::{json, Value};

use super::status::timestamp;
use super::store::name_of;
use crate::kube::status::FieldError;
use crate::kube::{uid, KubeError};

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

/// 422 for a JSON patch that cannot be applied (a failed `test`, a missing path).
pub fn invalid_patch(name: &str, why: &str) -> KubeError {
    error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "Invalid",
        format!("the server rejected our request due to an error in our request: {why}"),
        name,
    )
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
            let suffix = &crate::github::fake_sha(&format!("{namespace}/{prefix}/{serial}"))[..5];
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
