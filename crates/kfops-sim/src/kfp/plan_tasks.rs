//! What the tasks of a KFP pipeline spec say, read for [`super::plan`]: the dependency order
//! of a DAG's tasks, a task's input parameters (resolved in its DAG's scope) and artifacts,
//! and a ParallelFor's items.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::plan::ArtifactSource;

/// Most loop items a ParallelFor may have.
const MAX_ITEMS: usize = 500;

/// Task keys in dependency order, ties by name; refuses unknown dependencies and cycles.
pub(super) fn order(tasks: &Map<String, Value>) -> Result<Vec<&str>, String> {
    let mut waiting: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (key, task) in tasks {
        let mut deps = BTreeSet::new();
        for dep in task
            .get("dependentTasks")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let dep = dep.as_str().ok_or_else(|| {
                format!("task `{key}` has a dependentTasks entry that is not a name")
            })?;
            if !tasks.contains_key(dep) {
                return Err(format!(
                    "task `{key}` depends on `{dep}`, which is not a task of the same DAG"
                ));
            }
            deps.insert(dep);
        }
        waiting.insert(key.as_str(), deps);
    }
    let mut out = Vec::with_capacity(waiting.len());
    while !waiting.is_empty() {
        let ready: Vec<&str> = waiting
            .iter()
            .filter(|(_, deps)| deps.is_empty())
            .map(|(k, _)| *k)
            .collect();
        if ready.is_empty() {
            let stuck: Vec<&str> = waiting.keys().copied().collect();
            return Err(format!(
                "the dependentTasks of {} form a cycle",
                stuck.join(", ")
            ));
        }
        for key in ready {
            waiting.remove(key);
            for deps in waiting.values_mut() {
                deps.remove(key);
            }
            out.push(key);
        }
    }
    Ok(out)
}

/// The task's input parameters, resolved in the DAG's scope.
pub(super) fn resolve_parameters(
    task: &Value,
    scope: &Map<String, Value>,
) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    let Some(inputs) = task
        .pointer("/inputs/parameters")
        .and_then(Value::as_object)
    else {
        return out;
    };
    for (name, spec) in inputs {
        let value = if let Some(constant) = spec.pointer("/runtimeValue/constant") {
            constant.clone()
        } else if let Some(old) = spec
            .pointer("/runtimeValue/constantValue")
            .and_then(Value::as_object)
        {
            old.values().next().cloned().unwrap_or(Value::Null)
        } else if let Some(input) = spec.get("componentInputParameter").and_then(Value::as_str) {
            scope.get(input).cloned().unwrap_or(Value::Null)
        } else {
            Value::Null
        };
        out.insert(name.clone(), value);
    }
    out
}

/// The task's input artifacts and their producers (siblings already placed, or the parent).
pub(super) fn artifact_inputs(
    task: &Value,
    index_of: &BTreeMap<&str, usize>,
) -> Vec<(String, ArtifactSource)> {
    let Some(inputs) = task.pointer("/inputs/artifacts").and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, spec) in inputs {
        if let Some(from) = spec.get("taskOutputArtifact") {
            let producer = from.get("producerTask").and_then(Value::as_str);
            let key = from.get("outputArtifactKey").and_then(Value::as_str);
            if let (Some(producer), Some(key)) = (producer.and_then(|p| index_of.get(p)), key) {
                out.push((
                    name.clone(),
                    ArtifactSource::Task {
                        producer: *producer,
                        key: key.to_owned(),
                    },
                ));
            }
        } else if let Some(key) = spec.get("componentInputArtifact").and_then(Value::as_str) {
            out.push((name.clone(), ArtifactSource::Parent(key.to_owned())));
        }
    }
    out
}

/// The items of a ParallelFor: `items.raw` (a JSON list in a string) or an input parameter
/// holding a list (or a JSON list in a string).
pub(super) fn loop_items(
    iterator: &Value,
    scope: &Map<String, Value>,
    parameters: &BTreeMap<String, Value>,
) -> Result<Vec<Value>, String> {
    let items = iterator.get("items");
    let value = if let Some(raw) = items.and_then(|i| i.get("raw")) {
        raw.clone()
    } else if let Some(input) = items
        .and_then(|i| i.get("inputParameter"))
        .and_then(Value::as_str)
    {
        parameters
            .get(input)
            .or_else(|| scope.get(input))
            .cloned()
            .unwrap_or(Value::Null)
    } else {
        Value::Null
    };
    let list = match value {
        Value::Array(items) => items,
        Value::String(text) => match serde_json::from_str::<Value>(&text) {
            Ok(Value::Array(items)) => items,
            _ => Vec::new(),
        },
        // The items come from another task's output: the simulator does not know them.
        _ => vec![Value::from(0), Value::from(1)],
    };
    if list.len() > MAX_ITEMS {
        return Err(format!(
            "a ParallelFor has {} items; the simulator runs at most {MAX_ITEMS}",
            list.len()
        ));
    }
    Ok(list)
}

pub(super) fn names_under(component: &Value, pointer: &str) -> Vec<String> {
    component
        .pointer(pointer)
        .and_then(Value::as_object)
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

pub(super) fn to_map(parameters: &BTreeMap<String, Value>) -> Map<String, Value> {
    parameters
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}
