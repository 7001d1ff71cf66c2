//! The state runs and experiments live in: stored runs (with their tasks), the knobs of
//! their execution, and run creation. The HTTP side is in `runs_api`.
//!
//! A created run is stored PENDING in its experiment (the `Default` one when the request
//! names none) and handed to the [executor](super::executor), which runs its plan on the
//! simulated clock, one pod per container task.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::errors::{Code, RpcError};
use super::execution::{Ids, Knobs, RuntimeState, StateChange, StoredTask};
use super::experiments::StoredExperiment;
use super::filter::{Key, Keys, Kind, Listed};
use super::plan::Plan;

/// Default profile namespace: where runs (and their task pods) go.
pub const DEFAULT_PROFILE_NAMESPACE: &str = "kubeflow-user-example-com";
/// Service account of runs that name none (Kubeflow's profile default).
const DEFAULT_SERVICE_ACCOUNT: &str = "default-editor";

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
    pub fn set_state(
        &mut self,
        state: RuntimeState,
        at: DateTime<Utc>,
        error: Option<(i32, String)>,
    ) {
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
pub(super) const RUN_KEYS: Keys = &[
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
            self.experiment(&new.experiment_id)
                .cloned()
                .ok_or_else(|| {
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
    let suffix = crate::kube::name_suffix(run_id);
    format!("{base}-{suffix}")
}
