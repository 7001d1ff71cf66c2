//! The pipelines part of the KFP v2beta1 API: pipelines, their versions, the multipart
//! uploads, and the state they live in.
//!
//! JSON follows the API server's marshaler: proto field names, empty fields omitted, times in
//! RFC 3339 with whole seconds (KFP stores seconds).

use std::collections::BTreeMap;

use axum::extract::multipart::MultipartRejection;
use axum::extract::Query;
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Map, Value};

use super::errors::{json_response, Code, RpcError, UploadError};
use super::filter::{self, Key, Keys, Kind, ListQuery, Listed};
use super::package;
use super::scenario::KfpScenario;
use super::KfpHandle;
use crate::scenario::GithubScenario;

/// Most tags a pipeline or version may have, and the longest key or value (KFP's limits).
const MAX_TAGS: usize = 20;
const MAX_TAG_LEN: usize = 63;

/// A pipeline the simulated KFP holds.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPipeline {
    pub id: String,
    pub name: String,
    pub display_name: String,
    pub description: String,
    /// Empty: shared (no namespace).
    pub namespace: String,
    /// Whole seconds.
    pub created_at: DateTime<Utc>,
    pub tags: BTreeMap<String, String>,
    /// Creation order.
    pub seq: u64,
}

/// A pipeline version the simulated KFP holds.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredVersion {
    pub id: String,
    pub pipeline_id: String,
    pub name: String,
    pub display_name: String,
    pub description: String,
    /// Whole seconds.
    pub created_at: DateTime<Utc>,
    pub code_source_url: String,
    pub tags: BTreeMap<String, String>,
    /// The uploaded file, byte for byte.
    pub package: Vec<u8>,
    /// `pipeline_spec` as the API returns it (see [`package::Package::spec_json`]).
    pub pipeline_spec: Value,
    /// Creation order.
    pub seq: u64,
}

/// Everything the simulated KFP holds.
#[derive(Debug, Clone)]
pub struct KfpState {
    /// Namespace of the `ml-pipeline` service for the Kubernetes service proxy.
    pub proxy_namespace: String,
    /// When set, direct requests must carry `Authorization: Bearer` with it.
    pub token: Option<String>,
    /// Multi-user mode, when the scenario turns it on.
    pub multi_user: Option<super::multi_user::MultiUser>,
    /// In creation order.
    pub pipelines: Vec<StoredPipeline>,
    /// In creation order.
    pub versions: Vec<StoredVersion>,
    next_seq: u64,
}

/// Keys of pipelines for filters and `sort_by` (v2beta1 names and the v1 `id`).
const PIPELINE_KEYS: Keys = &[
    ("pipeline_id", Kind::Str),
    ("id", Kind::Str),
    ("name", Kind::Str),
    ("display_name", Kind::Str),
    ("description", Kind::Str),
    ("namespace", Kind::Str),
    ("created_at", Kind::Int),
];

/// Keys of pipeline versions.
const VERSION_KEYS: Keys = &[
    ("pipeline_version_id", Kind::Str),
    ("id", Kind::Str),
    ("pipeline_id", Kind::Str),
    ("name", Kind::Str),
    ("display_name", Kind::Str),
    ("description", Kind::Str),
    ("created_at", Kind::Int),
];

impl Listed for StoredPipeline {
    fn key(&self, name: &str) -> Option<Key> {
        let text = |s: &str| Some(Key::Str(s.to_owned()));
        match name {
            "pipeline_id" | "id" => text(&self.id),
            "name" => text(&self.name),
            "display_name" => text(&self.display_name),
            "description" => text(&self.description),
            "namespace" => text(&self.namespace),
            "created_at" => Some(Key::Int(self.created_at.timestamp())),
            _ => None,
        }
    }

    fn seq(&self) -> u64 {
        self.seq
    }
}

impl Listed for StoredVersion {
    fn key(&self, name: &str) -> Option<Key> {
        let text = |s: &str| Some(Key::Str(s.to_owned()));
        match name {
            "pipeline_version_id" | "id" => text(&self.id),
            "pipeline_id" => text(&self.pipeline_id),
            "name" => text(&self.name),
            "display_name" => text(&self.display_name),
            "description" => text(&self.description),
            "created_at" => Some(Key::Int(self.created_at.timestamp())),
            _ => None,
        }
    }

    fn seq(&self) -> u64 {
        self.seq
    }
}

/// What an upload asks to create.
#[derive(Debug, Clone, Default)]
pub struct NewVersion {
    pub name: String,
    pub display_name: String,
    pub description: String,
    pub code_source_url: String,
    pub tags: BTreeMap<String, String>,
    pub package: Vec<u8>,
    pub pipeline_spec: Value,
}

impl KfpState {
    /// The state a scenario describes (packages resolved against the GitHub files).
    pub fn from_scenario(scenario: &KfpScenario, github: &GithubScenario) -> KfpState {
        let mut state = KfpState {
            proxy_namespace: scenario.proxy_namespace.clone(),
            token: scenario.token.clone(),
            multi_user: scenario.multi_user.clone(),
            pipelines: Vec::new(),
            versions: Vec::new(),
            next_seq: 1,
        };
        let mut pipelines: Vec<_> = scenario.pipelines.iter().collect();
        pipelines.sort_by_key(|p| p.created_at);
        for p in pipelines {
            let seq = state.seq();
            state.pipelines.push(StoredPipeline {
                id: p.id.clone(),
                name: p.name.clone(),
                display_name: p.display_name.clone().unwrap_or_else(|| p.name.clone()),
                description: p.description.clone().unwrap_or_default(),
                namespace: p.namespace.clone().unwrap_or_default(),
                created_at: p.created_at,
                tags: BTreeMap::new(),
                seq,
            });
        }
        let mut versions: Vec<_> = scenario
            .pipelines
            .iter()
            .flat_map(|p| p.versions.iter().map(move |v| (p, v)))
            .collect();
        versions.sort_by_key(|(_, v)| v.created_at);
        for (p, v) in versions {
            let text = v.package_text(github).unwrap_or_default();
            let pipeline_spec = match package::parse(text.as_bytes()) {
                Ok(parsed) => parsed.spec_json(),
                Err(err) => {
                    tracing::warn!(version = %v.id, %err, "scenario KFP package is not valid");
                    Value::Null
                }
            };
            let seq = state.seq();
            state.versions.push(StoredVersion {
                id: v.id.clone(),
                pipeline_id: p.id.clone(),
                name: v.name.clone(),
                display_name: v.display_name.clone().unwrap_or_else(|| v.name.clone()),
                description: v.description.clone().unwrap_or_default(),
                created_at: v.created_at,
                code_source_url: v.code_source_url.clone().unwrap_or_default(),
                tags: BTreeMap::new(),
                package: text.as_bytes().to_vec(),
                pipeline_spec,
                seq,
            });
        }
        state
    }

    fn seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// The pipeline with this id.
    pub fn pipeline(&self, id: &str) -> Option<&StoredPipeline> {
        self.pipelines.iter().find(|p| p.id == id)
    }

    /// The pipeline with this name in a namespace (`""`: shared).
    pub fn pipeline_named(&self, name: &str, namespace: &str) -> Option<&StoredPipeline> {
        self.pipelines
            .iter()
            .find(|p| p.name == name && p.namespace == namespace)
    }

    /// The version with this id.
    pub fn version(&self, id: &str) -> Option<&StoredVersion> {
        self.versions.iter().find(|v| v.id == id)
    }

    /// The versions of a pipeline, oldest first.
    pub fn versions_of<'a>(
        &'a self,
        pipeline_id: &'a str,
    ) -> impl Iterator<Item = &'a StoredVersion> {
        self.versions
            .iter()
            .filter(move |v| v.pipeline_id == pipeline_id)
    }

    /// Creates a pipeline and its first version (named like the pipeline), as an upload does.
    pub fn create_pipeline(
        &mut self,
        namespace: &str,
        version: NewVersion,
    ) -> Result<(StoredPipeline, StoredVersion), String> {
        if self.pipeline_named(&version.name, namespace).is_some() {
            return Err(format!(
                "Already exist error: Failed to create a new pipeline. The name {} already exists. Please specify a new name",
                version.name
            ));
        }
        let now = now_secs();
        let pipeline = StoredPipeline {
            id: new_id(),
            name: version.name.clone(),
            display_name: version.display_name.clone(),
            description: version.description.clone(),
            namespace: namespace.to_owned(),
            created_at: now,
            tags: version.tags.clone(),
            seq: self.seq(),
        };
        self.pipelines.push(pipeline.clone());
        let version = self.push_version(&pipeline.id, version, now);
        Ok((pipeline, version))
    }

    /// Adds a version to a pipeline. `Err((NotFound | AlreadyExists, message))`.
    pub fn create_version(
        &mut self,
        pipeline_id: &str,
        version: NewVersion,
    ) -> Result<StoredVersion, (Code, String)> {
        if self.pipeline(pipeline_id).is_none() {
            return Err((
                Code::NotFound,
                format!("ResourceNotFoundError: Pipeline {pipeline_id} not found"),
            ));
        }
        if self
            .versions_of(pipeline_id)
            .any(|v| v.name == version.name)
        {
            return Err((
                Code::AlreadyExists,
                format!(
                    "Already exist error: Failed to create a new pipeline version. The name {} already exists in pipeline {pipeline_id}. Please specify a new name",
                    version.name
                ),
            ));
        }
        Ok(self.push_version(pipeline_id, version, now_secs()))
    }

    fn push_version(
        &mut self,
        pipeline_id: &str,
        v: NewVersion,
        now: DateTime<Utc>,
    ) -> StoredVersion {
        let stored = StoredVersion {
            id: new_id(),
            pipeline_id: pipeline_id.to_owned(),
            name: v.name,
            display_name: v.display_name,
            description: v.description,
            created_at: now,
            code_source_url: v.code_source_url,
            tags: v.tags,
            package: v.package,
            pipeline_spec: v.pipeline_spec,
            seq: self.seq(),
        };
        self.versions.push(stored.clone());
        stored
    }
}

/// A new UUIDv4 id.
fn new_id() -> String {
    uuid::Uuid::new_v4().hyphenated().to_string()
}

/// Now, in whole seconds (KFP stores `created_at` in seconds).
fn now_secs() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now)
}

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

fn ok(body: Value) -> Response {
    json_response(StatusCode::OK, &body)
}

/// Decoded query pairs, in order.
type Pairs = Query<Vec<(String, String)>>;

/// The first value of a query parameter (proto or JSON name).
fn param<'a>(query: &'a [(String, String)], names: &[&str]) -> &'a str {
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
    match filter::page(&all, &list, PIPELINE_KEYS) {
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
    match filter::page(&all, &list, VERSION_KEYS) {
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

/// `POST /apis/v2beta1/pipelines/upload`: creates a pipeline and its first version.
pub async fn upload_pipeline(
    State(kfp): State<KfpHandle>,
    uri: Uri,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let query = query_of(&uri);
    let what = "Failed to create a pipeline";
    let (filename, bytes) = match read_upload(form, what).await {
        Ok(file) => file,
        Err(e) => return e.into_response(),
    };
    let new = match new_version(&query, filename, bytes, what) {
        Ok(new) => new,
        Err(e) => return e.into_response(),
    };
    let namespace = param(&query, &["namespace"]).to_owned();
    match kfp.update(|s| s.create_pipeline(&namespace, new)) {
        Ok((pipeline, _)) => ok(pipeline_json(&pipeline)),
        Err(message) => UploadError::conflict(format!(
            "Failed to create a pipeline and a pipeline version. The pipeline already exists.: {message}"
        ))
        .into_response(),
    }
}

/// `POST /apis/v2beta1/pipelines/upload_version?pipelineid=...`.
pub async fn upload_version(
    State(kfp): State<KfpHandle>,
    uri: Uri,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let query = query_of(&uri);
    let what = "Failed to create a pipeline version";
    let (filename, bytes) = match read_upload(form, what).await {
        Ok(file) => file,
        Err(e) => return e.into_response(),
    };
    let pipeline_id = param(&query, &["pipelineid"]).to_owned();
    if pipeline_id.is_empty() {
        return UploadError::bad_request(format!(
            "{what} due to error parsing pipeline id: the `pipelineid` query parameter is missing"
        ))
        .into_response();
    }
    let new = match new_version(&query, filename, bytes, what) {
        Ok(new) => new,
        Err(e) => return e.into_response(),
    };
    match kfp.update(|s| s.create_version(&pipeline_id, new)) {
        Ok(version) => ok(version_json(&version)),
        Err((Code::NotFound, message)) => {
            UploadError::not_found(format!("{what}: {message}")).into_response()
        }
        Err((_, message)) => UploadError::conflict(format!(
            "{what}. The pipeline version already exists.: {message}"
        ))
        .into_response(),
    }
}

/// The `uploadfile` part of the form: its file name and bytes.
async fn read_upload(
    form: Result<Multipart, MultipartRejection>,
    what: &str,
) -> Result<(String, Vec<u8>), UploadError> {
    let missing = |detail: String| {
        UploadError::bad_request(format!(
            "{what} due to error parsing pipeline spec filename: {detail}"
        ))
    };
    let mut form = form.map_err(|e| {
        missing(format!(
            "request Content-Type isn't multipart/form-data ({})",
            e.body_text()
        ))
    })?;
    loop {
        let field = form
            .next_field()
            .await
            .map_err(|e| missing(format!("the multipart body is malformed ({e})")))?;
        let Some(field) = field else {
            return Err(missing(
                "http: no such file (the form has no `uploadfile` field)".to_owned(),
            ));
        };
        if field.name() != Some("uploadfile") {
            continue;
        }
        let filename = field.file_name().unwrap_or("").to_owned();
        let bytes = field.bytes().await.map_err(|e| {
            UploadError::bad_request(format!(
                "{what} due to error reading pipeline spec file: {e}"
            ))
        })?;
        return Ok((filename, bytes.to_vec()));
    }
}

/// Checks the package and reads the names, description, source URL and tags of the query.
fn new_version(
    query: &[(String, String)],
    filename: String,
    bytes: Vec<u8>,
    what: &str,
) -> Result<NewVersion, UploadError> {
    let parsed = package::parse(&bytes).map_err(|e| {
        UploadError::bad_request(format!(
            "{what} due to error creating pipeline spec from the uploaded file: {e}"
        ))
    })?;
    let display_name = param(query, &["display_name", "displayName"]);
    let name = match param(query, &["name"]) {
        "" if !display_name.is_empty() => display_name.to_owned(),
        "" => filename,
        name => name.to_owned(),
    };
    if name.is_empty() {
        return Err(UploadError::bad_request(format!(
            "{what}: Invalid input error: the name is empty; pass `name` or a file name"
        )));
    }
    let tags = parse_tags(param(query, &["tags"]))
        .map_err(|e| UploadError::bad_request(format!("{what}: Invalid input error: {e}")))?;
    Ok(NewVersion {
        display_name: if display_name.is_empty() {
            name.clone()
        } else {
            display_name.to_owned()
        },
        name,
        description: param(query, &["description"]).to_owned(),
        code_source_url: param(query, &["code_source_url", "codeSourceUrl"]).to_owned(),
        tags,
        package: bytes,
        pipeline_spec: parsed.spec_json(),
    })
}

/// The `tags` query parameter: a JSON object of strings.
fn parse_tags(text: &str) -> Result<BTreeMap<String, String>, String> {
    if text.trim().is_empty() {
        return Ok(BTreeMap::new());
    }
    let tags: BTreeMap<String, String> = serde_json::from_str(text).map_err(|e| {
        format!("Failed to parse tags `{text}`: {e}; pass a JSON object of strings")
    })?;
    if tags.len() > MAX_TAGS {
        return Err(format!(
            "at most {MAX_TAGS} tags are allowed, got {}",
            tags.len()
        ));
    }
    if let Some((k, v)) = tags
        .iter()
        .find(|(k, v)| k.is_empty() || k.len() > MAX_TAG_LEN || v.len() > MAX_TAG_LEN)
    {
        return Err(format!(
            "tag `{k}`=`{v}`: keys must be non-empty and keys and values at most {MAX_TAG_LEN} characters"
        ));
    }
    Ok(tags)
}

fn query_of(uri: &Uri) -> Vec<(String, String)> {
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
