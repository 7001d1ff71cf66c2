//! The runs part of the KFP v2beta1 API (`/apis/v2beta1/runs`) and the state runs and
//! experiments live in.
//!
//! A created run is stored PENDING in its experiment (the `Default` one when the request
//! names none) and handed to the [executor](super::executor), which runs its plan on the
//! simulated clock, one pod per container task. `:terminate` marks it CANCELING; the
//! executor then cancels its tasks and ends it CANCELED.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::errors::{Code, RpcError};
use super::execution::{self, Ids, Knobs, RuntimeState, StateChange, StoredTask};
use super::experiments::{
    list_json, new_id, now_secs, ok, param, query_of, read_body, StoredExperiment,
};
use super::filter::{self, Key, Keys, Kind, ListQuery, Listed};
use super::plan::Plan;
use super::runs_json::run_json;
use super::KfpHandle;

/// Default profile namespace: where runs (and their task pods) go.
pub const DEFAULT_PROFILE_NAMESPACE: &str = "kubeflow-user-example-com";
/// Service account of runs that name none (Kubeflow's profile default).
const DEFAULT_SERVICE_ACCOUNT: &str = "default-editor";
/// Letters of generated workflow name suffixes (no vowels, like Kubernetes').
const SUFFIX_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// How runs execute; tests set tiny times.
#[derive(Debug, Clone, PartialEq)]
pub struct RunKnobs {
    /// Milliseconds from creation (PENDING) to RUNNING.
    pub run_start_ms: u64,
    /// Milliseconds a task's main container runs.
    pub task_ms: u64,
    /// Task names whose pods exit 1.
    pub fail_tasks: Vec<String>,
    /// Task names reported as cached (SKIPPED at once, no pod).
    pub cached_tasks: Vec<String>,
    /// Namespace of the `Default` experiment and of runs whose experiment has none.
    pub profile_namespace: String,
}

impl Default for RunKnobs {
    fn default() -> Self {
        RunKnobs {
            run_start_ms: 300,
            task_ms: 1500,
            fail_tasks: Vec::new(),
            cached_tasks: Vec::new(),
            profile_namespace: DEFAULT_PROFILE_NAMESPACE.to_owned(),
        }
    }
}

impl Knobs for RunKnobs {
    fn cached(&self, task: &str) -> bool {
        self.cached_tasks.iter().any(|t| t == task)
    }

    fn fails(&self, task: &str) -> bool {
        self.fail_tasks.iter().any(|t| t == task)
    }
}

/// A run the simulated KFP holds.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRun {
    /// UUID.
    pub id: String,
    pub display_name: String,
    pub description: String,
    pub experiment_id: String,
    /// The experiment's namespace, or the profile namespace; where the task pods run.
    pub namespace: String,
    /// Set when the run was created from a pipeline version.
    pub pipeline_id: String,
    pub pipeline_version_id: String,
    /// Set when the run was created from an inline pipeline spec.
    pub pipeline_spec: Option<Value>,
    pub parameters: Map<String, Value>,
    pub pipeline_root: String,
    pub service_account: String,
    /// Full precision (the API shows whole seconds).
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub state: RuntimeState,
    /// `(gRPC code, message)` of a failed run.
    pub error: Option<(i32, String)>,
    pub state_history: Vec<StateChange>,
    /// Tasks in creation order.
    pub tasks: Vec<StoredTask>,
    pub archived: bool,
    /// The (simulated) Argo workflow's name: prefix of its pods' names.
    pub workflow: String,
    pub pipeline_context_id: i64,
    pub run_context_id: i64,
    /// What the run executes.
    pub plan: Arc<Plan>,
    /// Whether an executor drives the run.
    pub live: bool,
    /// Creation order.
    pub seq: u64,
}

impl StoredRun {
    /// The task with this display name (the first one, for names inside loops).
    pub fn task(&self, name: &str) -> Option<&StoredTask> {
        self.tasks.iter().find(|t| t.display_name == name)
    }

    /// Moves to `state`, recording it in the history; final states set `finished_at`.
    pub fn set_state(&mut self, state: RuntimeState, at: DateTime<Utc>, error: Option<(i32, String)>) {
        self.state = state;
        self.state_history.push(StateChange {
            time: at,
            state,
            error: error.clone(),
        });
        if state.is_final() {
            self.finished_at = Some(at);
        }
        if error.is_some() {
            self.error = error;
        }
    }

    /// `AVAILABLE` or `ARCHIVED`.
    pub fn storage_state(&self) -> &'static str {
        if self.archived {
            "ARCHIVED"
        } else {
            "AVAILABLE"
        }
    }
}

/// Keys of runs for filters and `sort_by` (v2beta1 names and their v1 aliases).
const RUN_KEYS: Keys = &[
    ("run_id", Kind::Str),
    ("id", Kind::Str),
    ("display_name", Kind::Str),
    ("name", Kind::Str),
    ("description", Kind::Str),
    ("experiment_id", Kind::Str),
    ("namespace", Kind::Str),
    ("pipeline_id", Kind::Str),
    ("pipeline_version_id", Kind::Str),
    ("state", Kind::Str),
    ("status", Kind::Str),
    ("storage_state", Kind::Str),
    ("service_account", Kind::Str),
    ("created_at", Kind::Int),
    ("scheduled_at", Kind::Int),
    ("finished_at", Kind::Int),
];

impl Listed for StoredRun {
    fn key(&self, name: &str) -> Option<Key> {
        let text = |s: &str| Some(Key::Str(s.to_owned()));
        match name {
            "run_id" | "id" => text(&self.id),
            "display_name" | "name" => text(&self.display_name),
            "description" => text(&self.description),
            "experiment_id" => text(&self.experiment_id),
            "namespace" => text(&self.namespace),
            "pipeline_id" => text(&self.pipeline_id),
            "pipeline_version_id" => text(&self.pipeline_version_id),
            "state" => text(self.state.as_str()),
            "status" => text(self.state.v1()),
            "storage_state" => text(self.storage_state()),
            "service_account" => text(&self.service_account),
            "created_at" | "scheduled_at" => Some(Key::Int(self.created_at.timestamp())),
            "finished_at" => Some(Key::Int(self.finished_at.map_or(0, |t| t.timestamp()))),
            _ => None,
        }
    }

    fn seq(&self) -> u64 {
        self.seq
    }
}

/// Experiments, runs and how runs execute.
#[derive(Debug)]
pub struct RunsState {
    pub knobs: RunKnobs,
    /// In creation order.
    pub experiments: Vec<StoredExperiment>,
    /// In creation order.
    pub runs: Vec<StoredRun>,
    /// ML Metadata ids (executions, artifacts).
    pub(super) ids: Arc<Ids>,
    contexts: BTreeMap<String, i64>,
    next_context: i64,
    next_seq: u64,
}

/// What a new run executes and where it goes.
pub struct NewRun {
    pub id: String,
    pub display_name: String,
    pub description: String,
    /// Empty: the `Default` experiment.
    pub experiment_id: String,
    pub pipeline_id: String,
    pub pipeline_version_id: String,
    pub pipeline_spec: Option<Value>,
    pub parameters: Map<String, Value>,
    pub pipeline_root: String,
    pub service_account: String,
    pub created_at: DateTime<Utc>,
    pub plan: Plan,
}

impl RunsState {
    /// No runs, no experiments (not even `Default`, made on first use).
    pub fn new(knobs: RunKnobs) -> RunsState {
        RunsState {
            knobs,
            experiments: Vec::new(),
            runs: Vec::new(),
            ids: Arc::new(Ids::default()),
            contexts: BTreeMap::new(),
            next_context: 1,
            next_seq: 1,
        }
    }

    pub(super) fn seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    fn context(&mut self, pipeline: &str) -> i64 {
        if let Some(id) = self.contexts.get(pipeline) {
            return *id;
        }
        let id = self.next_context;
        self.next_context += 1;
        self.contexts.insert(pipeline.to_owned(), id);
        id
    }

    /// The run with this id.
    pub fn run(&self, id: &str) -> Option<&StoredRun> {
        self.runs.iter().find(|r| r.id == id)
    }

    /// The run with this id, to change.
    pub fn run_mut(&mut self, id: &str) -> Option<&mut StoredRun> {
        self.runs.iter_mut().find(|r| r.id == id)
    }

    /// Stores a new PENDING run in its experiment. NotFound for an unknown experiment,
    /// FailedPrecondition for an archived one.
    pub fn create_run(&mut self, new: NewRun) -> Result<StoredRun, RpcError> {
        let experiment = if new.experiment_id.is_empty() {
            self.default_experiment()
        } else {
            self.experiment(&new.experiment_id).cloned().ok_or_else(|| {
                RpcError::not_found(format!(
                    "ResourceNotFoundError: Experiment {} not found",
                    new.experiment_id
                ))
            })?
        };
        if experiment.archived {
            return Err(RpcError::new(
                Code::FailedPrecondition,
                format!(
                    "Failed precondition error: experiment {} is archived; unarchive it or create the run in another experiment",
                    experiment.id
                ),
            ));
        }
        let namespace = if experiment.namespace.is_empty() {
            self.knobs.profile_namespace.clone()
        } else {
            experiment.namespace.clone()
        };
        let run_context_id = self.next_context;
        self.next_context += 1;
        let mut run = StoredRun {
            workflow: workflow_name(&new.plan.pipeline_name, &new.id),
            pipeline_context_id: self.context(&new.plan.pipeline_name),
            run_context_id,
            id: new.id,
            display_name: new.display_name,
            description: new.description,
            experiment_id: experiment.id.clone(),
            namespace,
            pipeline_id: new.pipeline_id,
            pipeline_version_id: new.pipeline_version_id,
            pipeline_spec: new.pipeline_spec,
            parameters: new.parameters,
            pipeline_root: new.pipeline_root,
            service_account: if new.service_account.is_empty() {
                DEFAULT_SERVICE_ACCOUNT.to_owned()
            } else {
                new.service_account
            },
            created_at: new.created_at,
            finished_at: None,
            state: RuntimeState::Pending,
            error: None,
            state_history: Vec::new(),
            tasks: Vec::new(),
            archived: false,
            plan: Arc::new(new.plan),
            live: false,
            seq: self.seq(),
        };
        run.set_state(RuntimeState::Pending, new.created_at, None);
        if let Some(e) = self.experiments.iter_mut().find(|e| e.id == experiment.id) {
            let created = super::experiments::secs(new.created_at);
            if e.last_run_created_at.is_none_or(|t| t < created) {
                e.last_run_created_at = Some(created);
            }
        }
        self.runs.push(run.clone());
        Ok(run)
    }
}

/// An Argo-like workflow name: the pipeline name (cut) and five letters from the run id.
fn workflow_name(pipeline: &str, run_id: &str) -> String {
    let base: String = pipeline.chars().take(40).collect();
    let base = base.trim_end_matches('-');
    let seed = crate::sim::github::fake_sha(run_id);
    let suffix: String = seed
        .as_bytes()
        .chunks(2)
        .take(5)
        .map(|pair| {
            let n = pair.iter().fold(0usize, |acc, b| acc * 16 + usize::from(*b));
            char::from(SUFFIX_ALPHABET[n % SUFFIX_ALPHABET.len()])
        })
        .collect();
    format!("{base}-{suffix}")
}

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
        pipeline_spec: if version_id.is_empty() { Some(spec) } else { None },
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
    match filter::page(&all, &list, RUN_KEYS) {
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
        Err(e) => RpcError::new(
            e.code,
            format!("Failed to {verb} run {id}: {}", e.message.trim_start_matches(' ')),
        )
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
            run_id: id,
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
