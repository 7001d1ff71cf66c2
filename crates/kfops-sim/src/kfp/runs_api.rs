//! The runs part of the KFP v2beta1 API (`/apis/v2beta1/runs`): create (protojson-like
//! body: proto or JSON field names, unknown fields refused), get, list (experiment,
//! namespace, filter, sort, pages), delete, and the `:terminate`, `:archive`,
//! `:unarchive`, `:retry` verbs. `:terminate` marks a run CANCELING; its executor then
//! cancels its tasks and ends it CANCELED.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{json, Map, Value};

use super::errors::{Code, RpcError};
use super::execution::{self, Ids, RuntimeState};
use super::experiments::{list_json, new_id, ok, param, query_of, read_body};
use super::paging::{self, ListQuery};
use super::plan::Plan;
use super::runs::{NewRun, RunsState, StoredRun, RUN_KEYS};
use super::runs_json::run_json;
use super::KfpHandle;

/// Fields of a `v2beta1Run` body, proto and JSON names.
const RUN_FIELDS: &[(&str, &str)] = &[
    ("experiment_id", "experimentId"),
    ("run_id", "runId"),
    ("display_name", "displayName"),
    ("storage_state", "storageState"),
    ("description", "description"),
    ("pipeline_version_id", "pipelineVersionId"),
    ("pipeline_spec", "pipelineSpec"),
    ("pipeline_version_reference", "pipelineVersionReference"),
    ("runtime_config", "runtimeConfig"),
    ("service_account", "serviceAccount"),
    ("created_at", "createdAt"),
    ("scheduled_at", "scheduledAt"),
    ("finished_at", "finishedAt"),
    ("state", "state"),
    ("error", "error"),
    ("run_details", "runDetails"),
    ("recurring_run_id", "recurringRunId"),
    ("state_history", "stateHistory"),
    ("plugins_input", "pluginsInput"),
    ("plugins_output", "pluginsOutput"),
];
const REFERENCE_FIELDS: &[(&str, &str)] = &[
    ("pipeline_id", "pipelineId"),
    ("pipeline_version_id", "pipelineVersionId"),
];
const CONFIG_FIELDS: &[(&str, &str)] = &[
    ("parameters", "parameters"),
    ("pipeline_root", "pipelineRoot"),
];

fn invalid(message: impl std::fmt::Display) -> RpcError {
    RpcError::invalid(message)
}

fn string_field(fields: &BTreeMap<&str, Value>, key: &str) -> Result<String, RpcError> {
    match fields.get(key) {
        None => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(invalid(format!("{key} must be a string, got {other}"))),
    }
}

fn object_field(
    fields: &BTreeMap<&str, Value>,
    key: &str,
    known: &[(&'static str, &'static str)],
) -> Result<BTreeMap<&'static str, Value>, RpcError> {
    match fields.get(key) {
        None => Ok(BTreeMap::new()),
        Some(value) => read_body(value.to_string().as_bytes(), known, key),
    }
}

/// `POST /apis/v2beta1/runs`.
pub async fn create_run(State(kfp): State<KfpHandle>, uri: Uri, body: Bytes) -> Response {
    let what = "Failed to create a run";
    match new_run(&kfp, &uri, &body) {
        Ok(new) => match kfp.update_runs(|s| s.create_run(new)) {
            Ok(run) => {
                super::executor::spawn(&kfp, &run.id);
                ok(run_json(&run))
            }
            Err(e) => RpcError::new(e.code, format!("{what}: {}", e.message)).into_response(),
        },
        Err(e) => RpcError::new(e.code, format!("{what}: {}", e.message)).into_response(),
    }
}

/// Reads and checks a create request, and plans the run.
fn new_run(kfp: &KfpHandle, uri: &Uri, body: &[u8]) -> Result<NewRun, RpcError> {
    let fields = read_body(body, RUN_FIELDS, "v2beta1.Run")?;
    let query = query_of(uri);
    let display_name = string_field(&fields, "display_name")?;
    if display_name.trim().is_empty() {
        return Err(invalid(
            "The run's display_name is empty. Please specify a valid name",
        ));
    }
    let mut experiment_id = string_field(&fields, "experiment_id")?;
    if experiment_id.is_empty() {
        experiment_id = param(&query, &["experiment_id", "experimentId"]).to_owned();
    }
    let reference = object_field(&fields, "pipeline_version_reference", REFERENCE_FIELDS)?;
    let config = object_field(&fields, "runtime_config", CONFIG_FIELDS)?;
    let parameters = match config.get("parameters") {
        None => Map::new(),
        Some(Value::Object(p)) => p.clone(),
        Some(other) => {
            return Err(invalid(format!(
                "runtime_config.parameters must be an object, got {other}"
            )))
        }
    };
    let pipeline_root = string_field(&config, "pipeline_root")?;
    let mut version_id = string_field(&reference, "pipeline_version_id")?;
    if version_id.is_empty() {
        version_id = string_field(&fields, "pipeline_version_id")?;
    }
    let pipeline_id = string_field(&reference, "pipeline_id")?;
    let inline = fields.get("pipeline_spec").cloned();
    let (pipeline_id, version_id, spec) = match (inline, pipeline_id.is_empty() && version_id.is_empty()) {
        (Some(_), false) => {
            return Err(invalid(
                "set either pipeline_version_reference or pipeline_spec, not both (they are a oneof)",
            ))
        }
        (Some(spec), true) => {
            if !spec.is_object() {
                return Err(invalid("pipeline_spec must be an object"));
            }
            (String::new(), String::new(), spec)
        }
        (None, true) => {
            return Err(invalid(
                "Pipeline spec or pipeline version reference is required to create a run: set pipeline_version_reference {pipeline_id, pipeline_version_id} or pipeline_spec",
            ))
        }
        (None, false) => resolve_version(kfp, &pipeline_id, &version_id)?,
    };
    let plan = Plan::build(&spec, &parameters)
        .map_err(|e| invalid(format!("the pipeline spec cannot be run: {e}")))?;
    Ok(NewRun {
        id: new_id(),
        display_name,
        description: string_field(&fields, "description")?,
        experiment_id,
        pipeline_id,
        pipeline_version_id: version_id.clone(),
        pipeline_spec: if version_id.is_empty() {
            Some(spec)
        } else {
            None
        },
        parameters,
        pipeline_root,
        service_account: string_field(&fields, "service_account")?,
        created_at: Utc::now(),
        plan,
    })
}

/// `(pipeline id, version id, spec)` of a version reference; the pipeline's newest version
/// when the reference names only the pipeline.
fn resolve_version(
    kfp: &KfpHandle,
    pipeline_id: &str,
    version_id: &str,
) -> Result<(String, String, Value), RpcError> {
    kfp.read(|s| {
        let version = if version_id.is_empty() {
            if s.pipeline(pipeline_id).is_none() {
                return Err(invalid(format!(
                    "pipeline {pipeline_id} (of pipeline_version_reference) does not exist"
                )));
            }
            s.versions_of(pipeline_id)
                .max_by_key(|v| (v.created_at, v.seq))
                .ok_or_else(|| invalid(format!("pipeline {pipeline_id} has no versions")))?
        } else {
            s.version(version_id).ok_or_else(|| {
                invalid(format!(
                    "pipeline version {version_id} (of pipeline_version_reference) does not exist"
                ))
            })?
        };
        if !pipeline_id.is_empty() && version.pipeline_id != pipeline_id {
            return Err(invalid(format!(
                "pipeline version {} belongs to pipeline {}, not to {pipeline_id}",
                version.id, version.pipeline_id
            )));
        }
        Ok((
            version.pipeline_id.clone(),
            version.id.clone(),
            version.pipeline_spec.clone(),
        ))
    })
}

/// `GET /apis/v2beta1/runs/{run_id}`.
pub async fn get_run(State(kfp): State<KfpHandle>, Path(id): Path<String>) -> Response {
    match kfp.read_runs(|s| s.run(&id).map(run_json)) {
        Some(body) => ok(body),
        None => run_not_found("Failed to get a run", &id).into_response(),
    }
}

/// `GET /apis/v2beta1/runs`: `experiment_id` and `namespace` (when given) and the list
/// options; newest-first paging with `sort_by=created_at desc`.
pub async fn list_runs(State(kfp): State<KfpHandle>, uri: Uri) -> Response {
    let query = query_of(&uri);
    let experiment = param(&query, &["experiment_id", "experimentId"]).to_owned();
    let namespace = param(&query, &["namespace"]).to_owned();
    let list = ListQuery::from_pairs(&query);
    let all: Vec<StoredRun> = kfp.read_runs(|s| {
        s.runs
            .iter()
            .filter(|r| experiment.is_empty() || r.experiment_id == experiment)
            .filter(|r| namespace.is_empty() || r.namespace == namespace)
            .cloned()
            .collect()
    });
    match paging::page(&all, &list, RUN_KEYS) {
        Ok(page) => ok(list_json(
            "runs",
            page.items.iter().map(run_json).collect(),
            page.total_size,
            page.next_page_token,
        )),
        Err(e) => RpcError::new(
            e.code,
            format!("Failed to list runs: ListRuns: {}", e.message),
        )
        .into_response(),
    }
}

/// `DELETE /apis/v2beta1/runs/{run_id}`: the run goes, and its executor stops its pods.
pub async fn delete_run(State(kfp): State<KfpHandle>, Path(id): Path<String>) -> Response {
    let deleted = kfp.update_runs(|s| {
        let before = s.runs.len();
        s.runs.retain(|r| r.id != id);
        s.runs.len() < before
    });
    if deleted {
        kfp.poke();
        ok(json!({}))
    } else {
        run_not_found("Failed to delete a run", &id).into_response()
    }
}

/// `POST /apis/v2beta1/runs/{run_id}:terminate`, `:archive`, `:unarchive` and `:retry`.
pub async fn run_verb(State(kfp): State<KfpHandle>, Path(id_and_verb): Path<String>) -> Response {
    let Some((id, verb)) = id_and_verb.rsplit_once(':') else {
        return RpcError::not_found("Not Found").into_response();
    };
    let outcome = match verb {
        "terminate" => kfp.update_runs(|s| terminate(s, id)),
        "archive" | "unarchive" => kfp.update_runs(|s| {
            let run = s.run_mut(id).ok_or_else(|| run_not_found("", id))?;
            run.archived = verb == "archive";
            Ok(())
        }),
        "retry" => kfp.read_runs(|s| match s.run(id) {
            None => Err(run_not_found("", id)),
            Some(_) => Err(RpcError::new(
                Code::FailedPrecondition,
                "the simulated KFP does not retry runs; create a new run instead",
            )),
        }),
        _ => return RpcError::not_found("Not Found").into_response(),
    };
    match outcome {
        Ok(()) => {
            kfp.poke();
            ok(json!({}))
        }
        Err(e) => RpcError::new(e.code, format!("Failed to {verb} run {id}: {}", e.message))
            .into_response(),
    }
}

/// CANCELING, for runs that have not ended (KFP's `TerminateRun` store update); a run
/// without an executor ends CANCELED at once.
fn terminate(s: &mut RunsState, id: &str) -> Result<(), RpcError> {
    let run = s.run_mut(id).ok_or_else(|| run_not_found("", id))?;
    if !matches!(run.state, RuntimeState::Pending | RuntimeState::Running) {
        return Err(invalid(format!(
            "Failed to terminate a run {id}. Row not found (the run is {}; only PENDING, RUNNING or PAUSED runs can be terminated)",
            run.state.as_str()
        )));
    }
    let now = Utc::now();
    run.set_state(RuntimeState::Canceling, now, None);
    if !run.live {
        let mut tasks = std::mem::take(&mut run.tasks);
        let ids = Ids::default();
        execution::Exec {
            plan: &run.plan,
            workflow: &run.workflow,
            tasks: &mut tasks,
            ids: &ids,
        }
        .cancel(now);
        run.tasks = tasks;
        run.set_state(RuntimeState::Canceled, now, None);
    }
    Ok(())
}

fn run_not_found(what: &str, id: &str) -> RpcError {
    let message = format!("ResourceNotFoundError: Run {id} not found");
    if what.is_empty() {
        RpcError::not_found(message)
    } else {
        RpcError::not_found(format!("{what} with id {id}: {message}"))
    }
}
