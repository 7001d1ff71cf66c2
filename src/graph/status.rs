//! Task status: the KFP `run_details.task_details[]` entries as the API sends them, and the
//! console's own [`NodeStatus`] derived from them.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// KFP's `v2beta1RuntimeState`, by its enum name. Unknown names become [`RuntimeState::Unknown`]
/// rather than failing the whole run (a newer server may add states).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RuntimeState {
    #[default]
    #[serde(rename = "RUNTIME_STATE_UNSPECIFIED")]
    Unspecified,
    Pending,
    Running,
    Succeeded,
    Skipped,
    Failed,
    Canceling,
    Canceled,
    Paused,
    #[serde(other)]
    Unknown,
}

/// A node's status as the console shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub enum NodeStatus {
    #[default]
    Pending,
    Running,
    Succeeded,
    Failed,
    /// Not run (a condition was false, or an upstream task failed).
    Skipped,
    /// Skipped because a cached execution supplied the outputs.
    Cached,
    Cancelled,
}

impl NodeStatus {
    /// Maps KFP's runtime state; `cache_hit` tells a cached `SKIPPED` from a plain skip.
    pub fn from_runtime(state: RuntimeState, cache_hit: bool) -> NodeStatus {
        match state {
            RuntimeState::Unspecified
            | RuntimeState::Pending
            | RuntimeState::Paused
            | RuntimeState::Unknown => NodeStatus::Pending,
            RuntimeState::Running | RuntimeState::Canceling => NodeStatus::Running,
            RuntimeState::Succeeded => NodeStatus::Succeeded,
            RuntimeState::Failed => NodeStatus::Failed,
            RuntimeState::Skipped if cache_hit => NodeStatus::Cached,
            RuntimeState::Skipped => NodeStatus::Skipped,
            RuntimeState::Canceled => NodeStatus::Cancelled,
        }
    }

    /// The one-cell symbol drawn in front of a node's name (`ascii` for plain terminals).
    pub fn symbol(self, ascii: bool) -> char {
        match (self, ascii) {
            (NodeStatus::Pending, false) => '○',
            (NodeStatus::Running, false) => '◐',
            (NodeStatus::Succeeded, false) => '✓',
            (NodeStatus::Failed, false) => '✗',
            (NodeStatus::Skipped, false) => '⊘',
            (NodeStatus::Cached, false) => '↺',
            (NodeStatus::Cancelled, false) => '■',
            (NodeStatus::Pending, true) => '.',
            (NodeStatus::Running, true) => '*',
            (NodeStatus::Succeeded, true) => '+',
            (NodeStatus::Failed, true) => 'x',
            (NodeStatus::Skipped, true) => '-',
            (NodeStatus::Cached, true) => 'c',
            (NodeStatus::Cancelled, true) => '#',
        }
    }

    /// A lowercase word for status lines and logs.
    pub fn label(self) -> &'static str {
        match self {
            NodeStatus::Pending => "pending",
            NodeStatus::Running => "running",
            NodeStatus::Succeeded => "succeeded",
            NodeStatus::Failed => "failed",
            NodeStatus::Skipped => "skipped",
            NodeStatus::Cached => "cached",
            NodeStatus::Cancelled => "cancelled",
        }
    }

    /// The task will not change any more.
    pub fn is_terminal(self) -> bool {
        !matches!(self, NodeStatus::Pending | NodeStatus::Running)
    }

    /// How much a status weighs when a group shows one status for all its children.
    fn weight(self) -> u8 {
        match self {
            NodeStatus::Failed => 6,
            NodeStatus::Running => 5,
            NodeStatus::Pending => 4,
            NodeStatus::Cancelled => 3,
            NodeStatus::Succeeded => 2,
            NodeStatus::Cached => 1,
            NodeStatus::Skipped => 0,
        }
    }

    /// One status for a group: Failed > Running > Pending > Cancelled > Succeeded/Cached >
    /// Skipped (a mix of succeeded and cached children reads as Succeeded). `None` when empty.
    pub fn aggregate(statuses: impl IntoIterator<Item = NodeStatus>) -> Option<NodeStatus> {
        statuses.into_iter().max_by_key(|s| s.weight())
    }
}

/// `42s`, `1m23s`, `1h05m`, `2d03h`: at most 6 columns.
pub fn format_duration(d: Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        s if s < 60 => format!("{s}s"),
        s if s < 3_600 => format!("{}m{:02}s", s / 60, s % 60),
        s if s < 86_400 => format!("{}h{:02}m", s / 3_600, (s % 3_600) / 60),
        s => format!("{}d{:02}h", (s / 86_400).min(999), (s % 86_400) / 3_600),
    }
}

/// `google.rpc.Status`, as far as the console uses it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RpcStatus {
    pub code: i32,
    pub message: String,
}

/// One entry of `state_history`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StateChange {
    pub update_time: Option<DateTime<Utc>>,
    pub state: RuntimeState,
    pub error: Option<RpcStatus>,
}

/// One of `child_tasks`: either another task's id or an orchestrator node (pod) name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChildTask {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_name: Option<String>,
}

/// A `run_details.task_details[]` entry of a KFP v2beta1 Run. Absent fields (the API omits
/// empty ones) take their defaults; fields the console does not use are ignored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TaskDetail {
    pub task_id: String,
    pub display_name: String,
    pub state: RuntimeState,
    pub create_time: Option<DateTime<Utc>>,
    pub start_time: Option<DateTime<Utc>>,
    pub end_time: Option<DateTime<Utc>>,
    /// Empty at the root level.
    pub parent_task_id: String,
    /// Not filled by the 2.x API server; kept for servers that do.
    pub pod_name: String,
    pub child_tasks: Vec<ChildTask>,
    pub error: Option<RpcStatus>,
    pub outputs: BTreeMap<String, serde_json::Value>,
    pub state_history: Vec<StateChange>,
}

/// Unset protobuf timestamps arrive as the Unix epoch; they mean "not yet".
fn real_time(t: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    t.filter(|t| t.timestamp() > 0)
}

impl TaskDetail {
    /// A skip that produced outputs is a cache hit.
    pub fn is_cache_hit(&self) -> bool {
        self.outputs.values().any(|v| match v {
            serde_json::Value::Object(map) => map
                .get("artifact_ids")
                .and_then(|ids| ids.as_array())
                .is_none_or(|ids| !ids.is_empty()),
            serde_json::Value::Null => false,
            _ => true,
        })
    }

    pub fn status(&self) -> NodeStatus {
        NodeStatus::from_runtime(self.state, self.is_cache_hit())
    }

    /// When the task started: `start_time`, else the first RUNNING in its history.
    pub fn started(&self) -> Option<DateTime<Utc>> {
        real_time(self.start_time).or_else(|| {
            self.state_history
                .iter()
                .find(|h| h.state == RuntimeState::Running)
                .and_then(|h| real_time(h.update_time))
        })
    }

    /// When the task ended: `end_time`, else the last history entry of a finished task.
    pub fn ended(&self) -> Option<DateTime<Utc>> {
        if !self.status().is_terminal() {
            return None;
        }
        real_time(self.end_time).or_else(|| {
            self.state_history
                .last()
                .and_then(|h| real_time(h.update_time))
        })
    }

    pub fn created(&self) -> Option<DateTime<Utc>> {
        real_time(self.create_time)
    }

    /// The error to show: the task's own, else the latest one in its history.
    pub fn error_message(&self) -> Option<String> {
        self.error
            .as_ref()
            .map(|e| e.message.clone())
            .filter(|m| !m.is_empty())
            .or_else(|| {
                self.state_history
                    .iter()
                    .rev()
                    .filter_map(|h| h.error.as_ref())
                    .map(|e| e.message.clone())
                    .find(|m| !m.is_empty())
            })
    }
}

/// `1m23s`: finished tasks from start to end, running ones to `now`.
pub fn duration_text(node: &super::visible::VisibleNode, now: DateTime<Utc>) -> String {
    match (node.start_time, node.end_time) {
        (Some(start), Some(end)) => format_duration(end - start),
        (Some(start), None) if !node.status.is_terminal() => format_duration(now - start),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_states_map_to_console_statuses() {
        use NodeStatus as N;
        use RuntimeState as R;
        assert_eq!(N::from_runtime(R::Unspecified, false), N::Pending);
        assert_eq!(N::from_runtime(R::Paused, false), N::Pending);
        assert_eq!(N::from_runtime(R::Canceling, false), N::Running);
        assert_eq!(N::from_runtime(R::Skipped, true), N::Cached);
        assert_eq!(N::from_runtime(R::Skipped, false), N::Skipped);
        assert_eq!(N::from_runtime(R::Canceled, false), N::Cancelled);
    }

    #[test]
    fn a_detail_parses_from_the_api_shape() {
        let json = serde_json::json!({
            "run_id": "r", "task_id": "t1", "display_name": "train", "state": "SKIPPED",
            "start_time": "2026-11-25T10:00:00Z", "end_time": "1970-01-01T00:00:00Z",
            "execution_id": "42", "outputs": {"model": {"artifact_ids": ["8"]}},
            "child_tasks": [{"pod_name": "wf-123"}],
            "state_history": [{"update_time": "2026-11-25T10:00:05Z", "state": "SKIPPED"}],
            "executor_detail": {"main_job": "x"}
        });
        let d: TaskDetail = serde_json::from_value(json).unwrap();
        assert_eq!(d.status(), NodeStatus::Cached);
        assert_eq!(d.child_tasks[0].pod_name.as_deref(), Some("wf-123"));
        // The epoch end time is "unset": the history supplies it.
        assert_eq!(d.ended().unwrap().to_rfc3339(), "2026-11-25T10:00:05+00:00");
        let odd: TaskDetail = serde_json::from_str(r#"{"state":"SOMETHING_NEW"}"#).unwrap();
        assert_eq!(odd.status(), NodeStatus::Pending);
    }

    #[test]
    fn groups_show_the_most_urgent_status() {
        use NodeStatus::*;
        assert_eq!(
            NodeStatus::aggregate([Succeeded, Failed, Running]),
            Some(Failed)
        );
        assert_eq!(
            NodeStatus::aggregate([Succeeded, Pending, Cancelled]),
            Some(Pending)
        );
        assert_eq!(NodeStatus::aggregate([Cached, Succeeded]), Some(Succeeded));
        assert_eq!(NodeStatus::aggregate([Cached, Skipped]), Some(Cached));
        assert_eq!(NodeStatus::aggregate([]), None);
    }

    #[test]
    fn durations_fit_six_columns() {
        assert_eq!(format_duration(Duration::seconds(42)), "42s");
        assert_eq!(format_duration(Duration::seconds(83)), "1m23s");
        assert_eq!(format_duration(Duration::seconds(3_900)), "1h05m");
        assert_eq!(format_duration(Duration::seconds(183_600)), "2d03h");
        assert_eq!(format_duration(Duration::seconds(-5)), "0s");
    }
}
