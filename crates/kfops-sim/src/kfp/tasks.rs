//! What a run's tasks are made of: states (KFP's `RuntimeState`), state changes, the stored
//! task details, ML Metadata ids, and Argo-like node and pod names.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};

use crate::github::fake_sha;

/// gRPC codes of the errors a run or task reports.
pub const CODE_CANCELLED: i32 = 1;
pub const CODE_UNKNOWN: i32 = 2;

/// KFP's `RuntimeState` (without UNSPECIFIED and PAUSED, which the simulator never reaches).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RuntimeState {
    Pending,
    Running,
    Succeeded,
    Skipped,
    Failed,
    Canceling,
    Canceled,
}

impl RuntimeState {
    /// The enum name the API uses.
    pub fn as_str(self) -> &'static str {
        match self {
            RuntimeState::Pending => "PENDING",
            RuntimeState::Running => "RUNNING",
            RuntimeState::Succeeded => "SUCCEEDED",
            RuntimeState::Skipped => "SKIPPED",
            RuntimeState::Failed => "FAILED",
            RuntimeState::Canceling => "CANCELING",
            RuntimeState::Canceled => "CANCELED",
        }
    }

    /// The v1 name (the `status` filter key, KFP's `Conditions` column).
    pub fn v1(self) -> &'static str {
        match self {
            RuntimeState::Pending => "Pending",
            RuntimeState::Running => "Running",
            RuntimeState::Succeeded => "Succeeded",
            RuntimeState::Skipped => "Skipped",
            RuntimeState::Failed => "Failed",
            RuntimeState::Canceling => "Terminating",
            RuntimeState::Canceled => "Canceled",
        }
    }

    /// By API name.
    pub fn parse(name: &str) -> Option<RuntimeState> {
        [
            RuntimeState::Pending,
            RuntimeState::Running,
            RuntimeState::Succeeded,
            RuntimeState::Skipped,
            RuntimeState::Failed,
            RuntimeState::Canceling,
            RuntimeState::Canceled,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }

    /// SUCCEEDED, SKIPPED, FAILED or CANCELED.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            RuntimeState::Succeeded
                | RuntimeState::Skipped
                | RuntimeState::Failed
                | RuntimeState::Canceled
        )
    }

    /// Done and good for the tasks that depend on it.
    pub(super) fn is_ok(self) -> bool {
        matches!(self, RuntimeState::Succeeded | RuntimeState::Skipped)
    }
}

/// One entry of a `state_history`.
#[derive(Debug, Clone, PartialEq)]
pub struct StateChange {
    pub time: DateTime<Utc>,
    pub state: RuntimeState,
    /// `(gRPC code, message)`.
    pub error: Option<(i32, String)>,
}

/// A task of a run, as `run_details.task_details` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredTask {
    /// UUID.
    pub task_id: String,
    pub display_name: String,
    /// Index of the task in the run's plan.
    pub node: usize,
    pub parent_task_id: Option<String>,
    /// The Argo node id (for container tasks, the node of the task, not of its pod).
    pub node_id: String,
    /// Container tasks: the pod running it (set when the pod is created).
    pub pod_name: Option<String>,
    /// Whether the pod was told to fail (`fail_tasks`).
    pub fails: bool,
    pub state: RuntimeState,
    pub create_time: DateTime<Utc>,
    pub start_time: Option<DateTime<Utc>>,
    pub end_time: Option<DateTime<Utc>>,
    pub state_history: Vec<StateChange>,
    /// `(gRPC code, message)`, for FAILED and CANCELED tasks.
    pub error: Option<(i32, String)>,
    /// The ML Metadata execution.
    pub execution_id: i64,
    /// Artifact ids by input and output name.
    pub inputs: BTreeMap<String, Vec<i64>>,
    pub outputs: BTreeMap<String, Vec<i64>>,
}

impl StoredTask {
    pub(super) fn set(
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
            self.end_time = Some(at);
            self.start_time.get_or_insert(at);
        }
        if error.is_some() {
            self.error = error;
        }
    }
}

/// Sources of ML Metadata ids, shared by all runs.
#[derive(Debug)]
pub struct Ids {
    execution: AtomicI64,
    artifact: AtomicI64,
}

impl Default for Ids {
    fn default() -> Self {
        Ids {
            execution: AtomicI64::new(101),
            artifact: AtomicI64::new(51),
        }
    }
}

impl Ids {
    pub(super) fn execution(&self) -> i64 {
        self.execution.fetch_add(1, Ordering::Relaxed)
    }

    pub(super) fn artifact(&self) -> i64 {
        self.artifact.fetch_add(1, Ordering::Relaxed)
    }
}

/// An Argo node id: `{workflow}-{10 digits}`.
pub fn node_id(workflow: &str, path: &str) -> String {
    let hex = fake_sha(&format!("{workflow}/{path}"));
    let digits = u64::from_str_radix(&hex[..12], 16).unwrap_or(0) % 10_000_000_000;
    format!("{workflow}-{digits:010}")
}

/// The name of a container task's pod.
pub fn pod_name(workflow: &str, path: &str) -> String {
    node_id(workflow, &format!("{path}/executor"))
}
