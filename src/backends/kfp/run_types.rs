//! The serde types of KFP's v2beta1 experiments and runs (`v2beta1Experiment`, `v2beta1Run`
//! with `run_details.task_details`), as the API server writes them: proto field names,
//! empty fields omitted (hence the `Option`s and defaults), int64 as decimal strings, enums
//! by name.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// A KFP experiment (`v2beta1Experiment`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Experiment {
    /// Always set by the server.
    #[serde(default)]
    pub experiment_id: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// `AVAILABLE` or `ARCHIVED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_run_created_at: Option<DateTime<Utc>>,
}

/// A run's or task's state (`v2beta1RuntimeState`); names this client does not know are
/// kept in [`Other`](RuntimeState::Other).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum RuntimeState {
    #[default]
    Unspecified,
    Pending,
    Running,
    Succeeded,
    /// Skipped, e.g. because the task's result was cached.
    Skipped,
    Failed,
    Canceling,
    Canceled,
    Paused,
    Other(String),
}

const STATE_NAMES: [(&str, RuntimeState); 9] = [
    ("RUNTIME_STATE_UNSPECIFIED", RuntimeState::Unspecified),
    ("PENDING", RuntimeState::Pending),
    ("RUNNING", RuntimeState::Running),
    ("SUCCEEDED", RuntimeState::Succeeded),
    ("SKIPPED", RuntimeState::Skipped),
    ("FAILED", RuntimeState::Failed),
    ("CANCELING", RuntimeState::Canceling),
    ("CANCELED", RuntimeState::Canceled),
    ("PAUSED", RuntimeState::Paused),
];

impl RuntimeState {
    /// The API's name of the state.
    pub fn as_str(&self) -> &str {
        match self {
            RuntimeState::Other(name) => name,
            known => STATE_NAMES
                .iter()
                .find(|(_, s)| s == known)
                .map_or("RUNTIME_STATE_UNSPECIFIED", |(n, _)| n),
        }
    }

    /// From the API's name (or enum number, as protojson also accepts).
    pub fn from_name(name: &str) -> RuntimeState {
        STATE_NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| s.clone())
            .or_else(|| {
                let number: usize = name.parse().ok()?;
                STATE_NAMES.get(number).map(|(_, s)| s.clone())
            })
            .unwrap_or_else(|| RuntimeState::Other(name.to_owned()))
    }

    /// Whether the run or task has ended (SUCCEEDED, SKIPPED, FAILED or CANCELED).
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            RuntimeState::Succeeded
                | RuntimeState::Skipped
                | RuntimeState::Failed
                | RuntimeState::Canceled
        )
    }
}

impl fmt::Display for RuntimeState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RuntimeState {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RuntimeState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::String(name) => RuntimeState::from_name(&name),
            Value::Number(n) => RuntimeState::from_name(&n.to_string()),
            _ => RuntimeState::Unspecified,
        })
    }
}

/// A `googleRpcStatus` error.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RpcStatus {
    #[serde(default)]
    pub code: i32,
    #[serde(default)]
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<Value>,
}

/// One state change (`v2beta1RuntimeStatus`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuntimeStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub state: RuntimeState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<RpcStatus>,
}

/// The pipeline version a run runs (`v2beta1PipelineVersionReference`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineVersionReference {
    #[serde(default)]
    pub pipeline_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline_version_id: Option<String>,
}

/// `v2beta1RuntimeConfig`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RuntimeConfig {
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub parameters: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline_root: Option<String>,
}

/// A KFP run (`v2beta1Run`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// Always set by the server.
    #[serde(default)]
    pub run_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experiment_id: Option<String>,
    #[serde(default)]
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Deprecated; see `pipeline_version_reference`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline_version_id: Option<String>,
    /// Set when the run was created from an inline spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline_spec: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline_version_reference: Option<PipelineVersionReference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_config: Option<RuntimeConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub state: RuntimeState,
    /// Why the run failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<RpcStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_details: Option<RunDetails>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurring_run_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub state_history: Vec<RuntimeStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugins_input: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugins_output: Option<Value>,
}

impl Run {
    /// The tasks (empty before the run started any).
    pub fn tasks(&self) -> &[TaskDetail] {
        self.run_details
            .as_ref()
            .map_or(&[], |d| d.task_details.as_slice())
    }

    /// The first task with this display name.
    pub fn task(&self, name: &str) -> Option<&TaskDetail> {
        self.tasks().iter().find(|t| t.display_name == name)
    }

    /// The run's pipeline version id, from the reference or the deprecated field.
    pub fn version_id(&self) -> Option<&str> {
        self.pipeline_version_reference
            .as_ref()
            .and_then(|r| r.pipeline_version_id.as_deref())
            .or(self.pipeline_version_id.as_deref())
    }
}

/// `v2beta1RunDetails`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RunDetails {
    #[serde(default, with = "int64", skip_serializing_if = "Option::is_none")]
    pub pipeline_context_id: Option<i64>,
    #[serde(default, with = "int64", skip_serializing_if = "Option::is_none")]
    pub pipeline_run_context_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub task_details: Vec<TaskDetail>,
}

/// One task of a run (`v2beta1PipelineTaskDetail`). KFP 2.x fills neither `pod_name` nor
/// `executor_detail`; a container task's pod is in `child_tasks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskDetail {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    #[serde(default)]
    pub task_id: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executor_detail: Option<Value>,
    #[serde(default)]
    pub state: RuntimeState,
    /// The ML Metadata execution.
    #[serde(default, with = "int64", skip_serializing_if = "Option::is_none")]
    pub execution_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<RpcStatus>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub inputs: BTreeMap<String, ArtifactList>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub outputs: BTreeMap<String, ArtifactList>,
    /// The DAG task this one belongs to; absent at the root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_task_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub state_history: Vec<RuntimeStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub child_tasks: Vec<ChildTask>,
}

impl TaskDetail {
    /// Names of the pods (Argo nodes) among `child_tasks`, and `pod_name` if a server sets it.
    pub fn pod_names(&self) -> Vec<&str> {
        self.pod_name
            .iter()
            .map(String::as_str)
            .chain(
                self.child_tasks
                    .iter()
                    .filter_map(|c| c.pod_name.as_deref()),
            )
            .collect()
    }
}

/// Artifact ids (`v2beta1ArtifactList`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ArtifactList {
    #[serde(default, with = "int64_list", skip_serializing_if = "Vec::is_empty")]
    pub artifact_ids: Vec<i64>,
}

/// A child of a task: a task id or an Argo node (pod) name.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ChildTask {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_name: Option<String>,
}

/// An int64 the JSON way: a decimal string (a number is accepted too).
fn int64_of<E: serde::de::Error>(value: Value) -> Result<Option<i64>, E> {
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| E::custom(format!("{n} is not an int64"))),
        Value::String(s) => s
            .parse()
            .map(Some)
            .map_err(|_| E::custom(format!("`{s}` is not an int64"))),
        other => Err(E::custom(format!("{other} is not an int64"))),
    }
}

mod int64 {
    use serde::{Deserialize, Deserializer, Serializer};
    use serde_json::Value;

    pub fn serialize<S: Serializer>(value: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(n) => s.serialize_str(&n.to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        super::int64_of(Value::deserialize(d)?)
    }
}

mod int64_list {
    use serde::ser::SerializeSeq;
    use serde::{Deserialize, Deserializer, Serializer};
    use serde_json::Value;

    pub fn serialize<S: Serializer>(values: &[i64], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(values.len()))?;
        for n in values {
            seq.serialize_element(&n.to_string())?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<i64>, D::Error> {
        let values = Option::<Vec<Value>>::deserialize(d)?.unwrap_or_default();
        let mut out = Vec::with_capacity(values.len());
        for value in values {
            out.extend(super::int64_of::<D::Error>(value)?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn runs_read_int64_strings_unknown_states_and_omitted_fields() {
        let run: Run = serde_json::from_value(json!({
            "run_id": "r", "display_name": "d", "state": "SUCCEEDED",
            "run_details": {"pipeline_context_id": "12", "task_details": [{
                "task_id": "t", "display_name": "train", "state": "SOMETHING_NEW",
                "execution_id": "42", "outputs": {"model": {"artifact_ids": ["7", 8]}},
                "child_tasks": [{"pod_name": "wf-123"}]
            }]}
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(run.state, RuntimeState::Succeeded);
        assert!(run.state.is_final());
        let task = run.task("train").unwrap_or_else(|| panic!("no task"));
        assert_eq!(task.state, RuntimeState::Other("SOMETHING_NEW".into()));
        assert_eq!(task.execution_id, Some(42));
        assert_eq!(task.outputs["model"].artifact_ids, [7, 8]);
        assert_eq!(task.pod_names(), ["wf-123"]);
        let back = serde_json::to_value(&run).unwrap_or_default();
        assert_eq!(back["run_details"]["pipeline_context_id"], "12");
        assert_eq!(
            back["run_details"]["task_details"][0]["outputs"]["model"]["artifact_ids"],
            json!(["7", "8"])
        );
        assert!(back.get("error").is_none());
        assert_eq!(RuntimeState::from_name("7"), RuntimeState::Canceled);
    }
}
