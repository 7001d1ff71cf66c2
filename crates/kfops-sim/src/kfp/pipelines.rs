//! The pipelines part of the KFP v2beta1 API: listing, reading and deleting pipelines and
//! their versions (the multipart uploads are in [`super::uploads`], the state in
//! [`super::pipeline_store`]).
//!
//! JSON follows the API server's marshaler: proto field names, empty fields omitted, times in
//! RFC 3339 with whole seconds (KFP stores seconds).

use std::collections::BTreeMap;

use axum::extract::Query;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Map, Value};

use super::errors::{json_response, Code, RpcError};
use super::paging::{self, ListQuery};
use super::pipeline_store::{StoredPipeline, StoredVersion, PIPELINE_KEYS, VERSION_KEYS};
use super::KfpHandle;

fn time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Inserts `value` unless it is empty (protojson omits empty fields).
fn put(object: &mut Map<String, Value>, key: &str, value: &str) {
    if !value.is_empty() {
        object.insert(key.to_owned(), Value::String(value.to_owned()));
    }
}

fn put_tags(object: &mut Map<String, Value>, tags: &BTreeMap<String, String>) {
    if !tags.is_empty() {
        object.insert("tags".to_owned(), json!(tags));
    }
}

/// A `v2beta1Pipeline`.
pub fn pipeline_json(p: &StoredPipeline) -> Value {
    let mut o = Map::new();
    put(&mut o, "pipeline_id", &p.id);
    put(&mut o, "name", &p.name);
    put(&mut o, "display_name", &p.display_name);
    put(&mut o, "description", &p.description);
    put(&mut o, "created_at", &time(&p.created_at));
    put(&mut o, "namespace", &p.namespace);
    put_tags(&mut o, &p.tags);
    Value::Object(o)
}

/// A `v2beta1PipelineVersion`.
pub fn version_json(v: &StoredVersion) -> Value {
    let mut o = Map::new();
    put(&mut o, "pipeline_id", &v.pipeline_id);
    put(&mut o, "pipeline_version_id", &v.id);
    put(&mut o, "name", &v.name);
    put(&mut o, "display_name", &v.display_name);
    put(&mut o, "description", &v.description);
    put(&mut o, "created_at", &time(&v.created_at));
    put(&mut o, "code_source_url", &v.code_source_url);
    if !v.pipeline_spec.is_null() {
        o.insert("pipeline_spec".to_owned(), v.pipeline_spec.clone());
    }
    put_tags(&mut o, &v.tags);
    Value::Object(o)
}

pub(super) fn ok(body: Value) -> Response {
    json_response(StatusCode::OK, &body)
}

/// Decoded query pairs, in order.
type Pairs = Query<Vec<(String, String)>>;

/// The first value of a query parameter (proto or JSON name).
pub(super) fn param<'a>(query: &'a [(String, String)], names: &[&str]) -> &'a str {
    query
        .iter()
        .find(|(k, _)| names.contains(&k.as_str()))
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// `GET /apis/v2beta1/healthz`.
pub async fn healthz() -> Response {
    // `multi_user: false` is omitted like every other empty field.
    ok(json!({"pipeline_store": "database"}))
}

/// `GET /apis/v2beta1/pipelines`.
pub async fn list_pipelines(State(kfp): State<KfpHandle>, uri: Uri) -> Response {
    let query = query_of(&uri);
    let namespace = param(&query, &["namespace"]).to_owned();
    let list = ListQuery::from_pairs(&query);
    let all: Vec<StoredPipeline> = kfp.read(|s| {
        s.pipelines
            .iter()
            .filter(|p| p.namespace == namespace)
            .cloned()
            .collect()
    });
    match paging::page(&all, &list, PIPELINE_KEYS) {
        Ok(page) => {
            let mut o = Map::new();
            if !page.items.is_empty() {
                o.insert(
                    "pipelines".to_owned(),
                    page.items.iter().map(pipeline_json).collect(),
                );
            }
            if page.total_size > 0 {
                o.insert("total_size".to_owned(), json!(page.total_size));
            }
            put(
                &mut o,
                "next_page_token",
                page.next_page_token.as_deref().unwrap_or(""),
            );
            ok(Value::Object(o))
        }
        Err(e) => with_context(e, "ListPipelines", "Failed to list pipelines").into_response(),
    }
}

/// `GET /apis/v2beta1/pipelines/{pipeline_id}`.
pub async fn get_pipeline(State(kfp): State<KfpHandle>, Path(id): Path<String>) -> Response {
    match kfp.read(|s| s.pipeline(&id).cloned()) {
        Some(p) => ok(pipeline_json(&p)),
        None => pipeline_not_found("Failed to get a pipeline", &id).into_response(),
    }
}

/// `GET /apis/v2beta1/pipelines/names/{name}`.
pub async fn get_pipeline_by_name(
    State(kfp): State<KfpHandle>,
    Path(name): Path<String>,
    uri: Uri,
) -> Response {
    let query = query_of(&uri);
    let namespace = param(&query, &["namespace"]);
    match kfp.read(|s| s.pipeline_named(&name, namespace).cloned()) {
        Some(p) => ok(pipeline_json(&p)),
        None => RpcError::not_found(format!(
            "Failed to get a pipeline with name {name} and namespace {namespace}: ResourceNotFoundError: Pipeline {name} not found"
        ))
        .into_response(),
    }
}

/// `DELETE /apis/v2beta1/pipelines/{pipeline_id}` (`cascade=true` deletes the versions too).
pub async fn delete_pipeline(
    State(kfp): State<KfpHandle>,
    Path(id): Path<String>,
    uri: Uri,
) -> Response {
    let query = query_of(&uri);
    let cascade = param(&query, &["cascade"]) == "true";
    let outcome = kfp.update(|s| {
        s.pipeline(&id)?;
        let versions = s.versions_of(&id).count();
        if versions > 0 && !cascade {
            return Some(Err(versions));
        }
        s.versions.retain(|v| v.pipeline_id != id);
        s.pipelines.retain(|p| p.id != id);
        Some(Ok(()))
    });
    match outcome {
        None => pipeline_not_found("Failed to delete a pipeline", &id).into_response(),
        Some(Err(n)) => RpcError::new(
            Code::FailedPrecondition,
            format!(
                "Failed to delete a pipeline with id {id}: Failed precondition error: Pipeline {id} has {n} pipeline version(s); delete them first or pass cascade=true"
            ),
        )
        .into_response(),
        Some(Ok(())) => ok(json!({})),
    }
}

/// `GET /apis/v2beta1/pipelines/{pipeline_id}/versions`.
///
/// Like KFP in single-user mode, an unknown pipeline has no versions (not a 404).
pub async fn list_versions(
    State(kfp): State<KfpHandle>,
    Path(pipeline_id): Path<String>,
    uri: Uri,
) -> Response {
    let query = query_of(&uri);
    let list = ListQuery::from_pairs(&query);
    let all: Vec<StoredVersion> = kfp.read(|s| s.versions_of(&pipeline_id).cloned().collect());
    match paging::page(&all, &list, VERSION_KEYS) {
        Ok(page) => {
            let mut o = Map::new();
            if !page.items.is_empty() {
                o.insert(
                    "pipeline_versions".to_owned(),
                    page.items.iter().map(version_json).collect(),
                );
            }
            put(
                &mut o,
                "next_page_token",
                page.next_page_token.as_deref().unwrap_or(""),
            );
            if page.total_size > 0 {
                o.insert("total_size".to_owned(), json!(page.total_size));
            }
            ok(Value::Object(o))
        }
        Err(e) => with_context(
            e,
            "ListPipelineVersions",
            &format!("Failed to list pipeline versions of pipeline {pipeline_id}"),
        )
        .into_response(),
    }
}

/// `GET /apis/v2beta1/pipelines/{pipeline_id}/versions/{pipeline_version_id}`.
pub async fn get_version(
    State(kfp): State<KfpHandle>,
    Path((pipeline_id, version_id)): Path<(String, String)>,
) -> Response {
    let found = kfp.read(|s| {
        s.version(&version_id)
            .filter(|v| v.pipeline_id == pipeline_id)
            .cloned()
    });
    match found {
        Some(v) => ok(version_json(&v)),
        None => version_not_found(
            "Failed to get a pipeline version",
            &pipeline_id,
            &version_id,
        )
        .into_response(),
    }
}

/// `DELETE /apis/v2beta1/pipelines/{pipeline_id}/versions/{pipeline_version_id}`.
pub async fn delete_version(
    State(kfp): State<KfpHandle>,
    Path((pipeline_id, version_id)): Path<(String, String)>,
) -> Response {
    let deleted = kfp.update(|s| {
        let before = s.versions.len();
        s.versions
            .retain(|v| !(v.id == version_id && v.pipeline_id == pipeline_id));
        s.versions.len() < before
    });
    if deleted {
        ok(json!({}))
    } else {
        version_not_found(
            "Failed to delete a pipeline version",
            &pipeline_id,
            &version_id,
        )
        .into_response()
    }
}

pub(super) fn query_of(uri: &Uri) -> Vec<(String, String)> {
    Pairs::try_from_uri(uri).map(|q| q.0).unwrap_or_default()
}

fn pipeline_not_found(what: &str, id: &str) -> RpcError {
    RpcError::not_found(format!(
        "{what} with id {id}: ResourceNotFoundError: Pipeline {id} not found"
    ))
}

fn version_not_found(what: &str, pipeline_id: &str, version_id: &str) -> RpcError {
    RpcError::not_found(format!(
        "{what} with id {version_id}: ResourceNotFoundError: PipelineVersion {version_id} of pipeline {pipeline_id} not found"
    ))
}

/// Prefixes a list error like the API server does.
fn with_context(e: RpcError, method: &str, what: &str) -> RpcError {
    RpcError::new(e.code, format!("{what}: {method}: {}", e.message))
}
