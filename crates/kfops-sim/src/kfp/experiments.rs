//! The experiments part of the KFP v2beta1 API (`/apis/v2beta1/experiments`), and the
//! request/response helpers the runs part shares: protojson-like body reading (proto or
//! JSON field names, unknown fields refused) and proto-name JSON with empty fields omitted.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Map, Value};

use super::errors::{json_response, Code, RpcError};
use super::filter::{Key, Keys, Kind, Listed};
use super::paging::{self, ListQuery};
use super::runs::RunsState;
use super::KfpHandle;

/// Display name of the experiment runs go to when they name none.
pub const DEFAULT_EXPERIMENT: &str = "Default";
/// Its description, as KFP writes it.
pub const DEFAULT_DESCRIPTION: &str =
    "All runs created without specifying an experiment will be grouped here.";

/// An experiment the simulated KFP holds.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredExperiment {
    /// UUID.
    pub id: String,
    pub display_name: String,
    pub description: String,
    /// Empty: shared (single-user KFP).
    pub namespace: String,
    /// Whole seconds.
    pub created_at: DateTime<Utc>,
    pub archived: bool,
    pub last_run_created_at: Option<DateTime<Utc>>,
    /// Creation order.
    pub seq: u64,
}

/// Keys of experiments for filters and `sort_by`.
const EXPERIMENT_KEYS: Keys = &[
    ("experiment_id", Kind::Str),
    ("id", Kind::Str),
    ("display_name", Kind::Str),
    ("name", Kind::Str),
    ("description", Kind::Str),
    ("namespace", Kind::Str),
    ("storage_state", Kind::Str),
    ("created_at", Kind::Int),
    ("last_run_created_at", Kind::Int),
];

impl StoredExperiment {
    /// `AVAILABLE` or `ARCHIVED`.
    pub fn storage_state(&self) -> &'static str {
        if self.archived {
            "ARCHIVED"
        } else {
            "AVAILABLE"
        }
    }
}

impl Listed for StoredExperiment {
    fn key(&self, name: &str) -> Option<Key> {
        let text = |s: &str| Some(Key::Str(s.to_owned()));
        match name {
            "experiment_id" | "id" => text(&self.id),
            "display_name" | "name" => text(&self.display_name),
            "description" => text(&self.description),
            "namespace" => text(&self.namespace),
            "storage_state" => text(self.storage_state()),
            "created_at" => Some(Key::Int(self.created_at.timestamp())),
            "last_run_created_at" => Some(Key::Int(
                self.last_run_created_at.map_or(0, |t| t.timestamp()),
            )),
            _ => None,
        }
    }

    fn seq(&self) -> u64 {
        self.seq
    }
}

/// A `v2beta1Experiment`.
pub fn experiment_json(e: &StoredExperiment) -> Value {
    let mut o = Map::new();
    put(&mut o, "experiment_id", &e.id);
    put(&mut o, "display_name", &e.display_name);
    put(&mut o, "description", &e.description);
    put(&mut o, "created_at", &time(&e.created_at));
    put(&mut o, "namespace", &e.namespace);
    put(&mut o, "storage_state", e.storage_state());
    if let Some(t) = &e.last_run_created_at {
        put(&mut o, "last_run_created_at", &time(t));
    }
    Value::Object(o)
}

/// Fields of a `v2beta1Experiment` body, proto and JSON names.
const EXPERIMENT_FIELDS: &[(&str, &str)] = &[
    ("experiment_id", "experimentId"),
    ("display_name", "displayName"),
    ("description", "description"),
    ("created_at", "createdAt"),
    ("namespace", "namespace"),
    ("storage_state", "storageState"),
    ("last_run_created_at", "lastRunCreatedAt"),
];

/// `POST /apis/v2beta1/experiments`.
pub async fn create_experiment(State(kfp): State<KfpHandle>, body: Bytes) -> Response {
    let what = "Failed to create an experiment";
    let fields = match read_body(&body, EXPERIMENT_FIELDS, "v2beta1.Experiment") {
        Ok(fields) => fields,
        Err(e) => return e.into_response(),
    };
    let text = |key: &str| -> Result<String, RpcError> {
        match fields.get(key) {
            None => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(other) => Err(RpcError::invalid(format!(
                "{key} must be a string, got {other}"
            ))),
        }
    };
    let (name, description, namespace) =
        match (text("display_name"), text("description"), text("namespace")) {
            (Ok(n), Ok(d), Ok(ns)) => (n, d, ns),
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return e.into_response(),
        };
    if name.trim().is_empty() {
        return RpcError::invalid(format!(
            "{what}: Experiment name is empty. Please specify a valid experiment name"
        ))
        .into_response();
    }
    match kfp.update_runs(|s| s.create_experiment(&name, &description, &namespace)) {
        Ok(e) => ok(experiment_json(&e)),
        Err(e) => RpcError::new(e.code, format!("{what}: {}", e.message)).into_response(),
    }
}

/// `GET /apis/v2beta1/experiments`: `namespace` (when given) and the list options.
pub async fn list_experiments(State(kfp): State<KfpHandle>, uri: Uri) -> Response {
    let query = query_of(&uri);
    let namespace = param(&query, &["namespace"]).to_owned();
    let list = ListQuery::from_pairs(&query);
    let all: Vec<StoredExperiment> = kfp.read_runs(|s| {
        s.experiments
            .iter()
            .filter(|e| namespace.is_empty() || e.namespace == namespace)
            .cloned()
            .collect()
    });
    match paging::page(&all, &list, EXPERIMENT_KEYS) {
        Ok(page) => ok(list_json(
            "experiments",
            page.items.iter().map(experiment_json).collect(),
            page.total_size,
            page.next_page_token,
        )),
        Err(e) => RpcError::new(
            e.code,
            format!("Failed to list experiments: ListExperiments: {}", e.message),
        )
        .into_response(),
    }
}

/// `GET /apis/v2beta1/experiments/{experiment_id}`.
pub async fn get_experiment(State(kfp): State<KfpHandle>, Path(id): Path<String>) -> Response {
    match kfp.read_runs(|s| s.experiment(&id).cloned()) {
        Some(e) => ok(experiment_json(&e)),
        None => experiment_not_found("Failed to get experiment", &id).into_response(),
    }
}

/// `DELETE /apis/v2beta1/experiments/{experiment_id}` (its runs stay).
pub async fn delete_experiment(State(kfp): State<KfpHandle>, Path(id): Path<String>) -> Response {
    let deleted = kfp.update_runs(|s| {
        let before = s.experiments.len();
        s.experiments.retain(|e| e.id != id);
        s.experiments.len() < before
    });
    if deleted {
        ok(json!({}))
    } else {
        experiment_not_found("Failed to delete experiment", &id).into_response()
    }
}

/// `POST /apis/v2beta1/experiments/{experiment_id}:archive` and `:unarchive`; archiving
/// archives the experiment's runs too.
pub async fn experiment_verb(
    State(kfp): State<KfpHandle>,
    Path(id_and_verb): Path<String>,
) -> Response {
    let Some((id, verb)) = id_and_verb.rsplit_once(':') else {
        return RpcError::not_found("Not Found").into_response();
    };
    let archive = match verb {
        "archive" => true,
        "unarchive" => false,
        _ => return RpcError::not_found("Not Found").into_response(),
    };
    let found = kfp.update_runs(|s| {
        let experiment = s.experiments.iter_mut().find(|e| e.id == id)?;
        experiment.archived = archive;
        if archive {
            for run in s.runs.iter_mut().filter(|r| r.experiment_id == id) {
                run.archived = true;
            }
        }
        Some(())
    });
    match found {
        Some(()) => ok(json!({})),
        None => experiment_not_found(&format!("Failed to {verb} experiment"), id).into_response(),
    }
}

fn experiment_not_found(what: &str, id: &str) -> RpcError {
    RpcError::not_found(format!(
        "{what} {id}: ResourceNotFoundError: Experiment {id} not found"
    ))
}

impl RunsState {
    /// The experiment with this id.
    pub fn experiment(&self, id: &str) -> Option<&StoredExperiment> {
        self.experiments.iter().find(|e| e.id == id)
    }

    /// The experiment with this display name in a namespace.
    pub fn experiment_named(&self, name: &str, namespace: &str) -> Option<&StoredExperiment> {
        self.experiments
            .iter()
            .find(|e| e.display_name == name && e.namespace == namespace)
    }

    /// The `Default` experiment (created when missing).
    pub fn default_experiment(&mut self) -> StoredExperiment {
        let namespace = self.knobs.profile_namespace.clone();
        if let Some(e) = self.experiment_named(DEFAULT_EXPERIMENT, &namespace) {
            return e.clone();
        }
        let e = StoredExperiment {
            id: crate::kube::uid(&format!("kfp/experiment/{namespace}/Default")),
            display_name: DEFAULT_EXPERIMENT.to_owned(),
            description: DEFAULT_DESCRIPTION.to_owned(),
            namespace,
            created_at: now_secs(),
            archived: false,
            last_run_created_at: None,
            seq: self.seq(),
        };
        self.experiments.push(e.clone());
        e
    }

    /// Creates an experiment; AlreadyExists when the namespace has one of that name.
    pub fn create_experiment(
        &mut self,
        name: &str,
        description: &str,
        namespace: &str,
    ) -> Result<StoredExperiment, RpcError> {
        if self.experiment_named(name, namespace).is_some() {
            return Err(RpcError::new(
                Code::AlreadyExists,
                format!(
                    "Already exist error: Failed to create a new experiment. The name {name} already exists in namespace {namespace:?}. Please specify a new name"
                ),
            ));
        }
        let e = StoredExperiment {
            id: new_id(),
            display_name: name.to_owned(),
            description: description.to_owned(),
            namespace: namespace.to_owned(),
            created_at: now_secs(),
            archived: false,
            last_run_created_at: None,
            seq: self.seq(),
        };
        self.experiments.push(e.clone());
        Ok(e)
    }
}

// --- helpers shared with runs.rs -------------------------------------------------------

/// A new UUIDv4 id.
pub(super) fn new_id() -> String {
    uuid::Uuid::new_v4().hyphenated().to_string()
}

/// Now, in whole seconds (KFP stores times in seconds).
pub(super) fn now_secs() -> DateTime<Utc> {
    secs(Utc::now())
}

/// `t` without its fraction of a second.
pub(super) fn secs(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

/// RFC 3339 in whole seconds, as the API server writes KFP's second-resolution times.
pub(super) fn time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Inserts `value` unless it is empty (protojson omits empty fields).
pub(super) fn put(object: &mut Map<String, Value>, key: &str, value: &str) {
    if !value.is_empty() {
        object.insert(key.to_owned(), Value::String(value.to_owned()));
    }
}

/// A 200 answer.
pub(super) fn ok(body: Value) -> Response {
    json_response(StatusCode::OK, &body)
}

/// A list answer: `{<field>: [...], total_size, next_page_token}`, empty parts omitted.
pub(super) fn list_json(
    field: &str,
    items: Vec<Value>,
    total_size: usize,
    next_page_token: Option<String>,
) -> Value {
    let mut o = Map::new();
    if !items.is_empty() {
        o.insert(field.to_owned(), Value::Array(items));
    }
    if total_size > 0 {
        o.insert("total_size".to_owned(), json!(total_size));
    }
    put(
        &mut o,
        "next_page_token",
        next_page_token.as_deref().unwrap_or(""),
    );
    Value::Object(o)
}

/// Decoded query pairs, in order.
pub(super) fn query_of(uri: &Uri) -> Vec<(String, String)> {
    Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map(|q| q.0)
        .unwrap_or_default()
}

/// The first value of a query parameter (proto or JSON name).
pub(super) fn param<'a>(query: &'a [(String, String)], names: &[&str]) -> &'a str {
    query
        .iter()
        .find(|(k, _)| names.contains(&k.as_str()))
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// Reads a JSON object body as protojson does: each field under its proto or JSON name,
/// unknown fields refused, `null` taken as absent. Returns the fields by proto name.
pub(super) fn read_body(
    body: &[u8],
    fields: &[(&'static str, &'static str)],
    message: &str,
) -> Result<BTreeMap<&'static str, Value>, RpcError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        RpcError::new(
            Code::InvalidArgument,
            format!("proto: syntax error: the body is not JSON ({e})"),
        )
    })?;
    let Value::Object(object) = value else {
        return Err(RpcError::new(
            Code::InvalidArgument,
            format!("proto: the body is not a JSON object of a {message}"),
        ));
    };
    let mut out = BTreeMap::new();
    for (name, value) in object {
        let Some((proto, _)) = fields
            .iter()
            .find(|(proto, json)| name == *proto || name == *json)
        else {
            return Err(RpcError::new(
                Code::InvalidArgument,
                format!("proto: unknown field \"{name}\" (in {message})"),
            ));
        };
        if !value.is_null() {
            out.insert(*proto, value);
        }
    }
    Ok(out)
}
