//! Runs as the API server writes them (`v2beta1Run` with `run_details.task_details`):
//! proto field names, empty fields omitted, int64 as strings, enums by name, times in whole
//! seconds. Like KFP 2.x, a task detail has no `pod_name` nor `executor_detail`; its
//! `child_tasks` name Argo nodes by `pod_name`: a container task's pod, or a DAG task's
//! child nodes.

use serde_json::{json, Map, Value};

use super::execution::{StateChange, StoredTask};
use super::experiments::{put, time};
use super::plan::NodeKind;
use super::runs::StoredRun;

/// A `v2beta1Run`.
pub fn run_json(r: &StoredRun) -> Value {
    let mut o = Map::new();
    put(&mut o, "experiment_id", &r.experiment_id);
    put(&mut o, "run_id", &r.id);
    put(&mut o, "display_name", &r.display_name);
    put(&mut o, "storage_state", r.storage_state());
    put(&mut o, "description", &r.description);
    if !r.pipeline_version_id.is_empty() {
        let mut reference = Map::new();
        put(&mut reference, "pipeline_id", &r.pipeline_id);
        put(
            &mut reference,
            "pipeline_version_id",
            &r.pipeline_version_id,
        );
        o.insert(
            "pipeline_version_reference".to_owned(),
            Value::Object(reference),
        );
    } else if let Some(spec) = &r.pipeline_spec {
        o.insert("pipeline_spec".to_owned(), spec.clone());
    }
    let mut config = Map::new();
    if !r.parameters.is_empty() {
        config.insert("parameters".to_owned(), Value::Object(r.parameters.clone()));
    }
    put(&mut config, "pipeline_root", &r.pipeline_root);
    if !config.is_empty() {
        o.insert("runtime_config".to_owned(), Value::Object(config));
    }
    put(&mut o, "service_account", &r.service_account);
    put(&mut o, "created_at", &time(&r.created_at));
    // A one-off run is scheduled when it is created.
    put(&mut o, "scheduled_at", &time(&r.created_at));
    if let Some(t) = &r.finished_at {
        put(&mut o, "finished_at", &time(t));
    }
    put(&mut o, "state", r.state.as_str());
    if let Some(error) = &r.error {
        o.insert("error".to_owned(), status(error));
    }
    let mut details = Map::new();
    details.insert(
        "pipeline_context_id".to_owned(),
        json!(r.pipeline_context_id.to_string()),
    );
    details.insert(
        "pipeline_run_context_id".to_owned(),
        json!(r.run_context_id.to_string()),
    );
    if !r.tasks.is_empty() {
        details.insert(
            "task_details".to_owned(),
            r.tasks.iter().map(|t| task_json(r, t)).collect(),
        );
    }
    o.insert("run_details".to_owned(), Value::Object(details));
    if !r.state_history.is_empty() {
        o.insert(
            "state_history".to_owned(),
            r.state_history.iter().map(change_json).collect(),
        );
    }
    Value::Object(o)
}

/// A `v2beta1PipelineTaskDetail`.
fn task_json(run: &StoredRun, t: &StoredTask) -> Value {
    let mut o = Map::new();
    put(&mut o, "run_id", &run.id);
    put(&mut o, "task_id", &t.task_id);
    put(&mut o, "display_name", &t.display_name);
    put(&mut o, "create_time", &time(&t.create_time));
    if let Some(start) = &t.start_time {
        put(&mut o, "start_time", &time(start));
    }
    if let Some(end) = &t.end_time {
        put(&mut o, "end_time", &time(end));
    }
    put(&mut o, "state", t.state.as_str());
    put(&mut o, "execution_id", &t.execution_id.to_string());
    if let Some(error) = &t.error {
        o.insert("error".to_owned(), status(error));
    }
    for (key, artifacts) in [("inputs", &t.inputs), ("outputs", &t.outputs)] {
        if !artifacts.is_empty() {
            let lists: Map<String, Value> = artifacts
                .iter()
                .map(|(name, ids)| {
                    let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
                    (name.clone(), json!({ "artifact_ids": ids }))
                })
                .collect();
            o.insert(key.to_owned(), Value::Object(lists));
        }
    }
    put(
        &mut o,
        "parent_task_id",
        t.parent_task_id.as_deref().unwrap_or(""),
    );
    if !t.state_history.is_empty() {
        o.insert(
            "state_history".to_owned(),
            t.state_history.iter().map(change_json).collect(),
        );
    }
    let children: Vec<Value> = match run.plan.nodes.get(t.node).map(|n| &n.kind) {
        Some(NodeKind::Container(_)) => t
            .pod_name
            .iter()
            .map(|pod| json!({ "pod_name": pod }))
            .collect(),
        _ => run
            .tasks
            .iter()
            .filter(|c| c.parent_task_id.as_deref() == Some(t.task_id.as_str()))
            .map(|c| json!({ "pod_name": c.node_id }))
            .collect(),
    };
    if !children.is_empty() {
        o.insert("child_tasks".to_owned(), Value::Array(children));
    }
    Value::Object(o)
}

/// A `v2beta1RuntimeStatus`.
fn change_json(c: &StateChange) -> Value {
    let mut o = Map::new();
    put(&mut o, "update_time", &time(&c.time));
    put(&mut o, "state", c.state.as_str());
    if let Some(error) = &c.error {
        o.insert("error".to_owned(), status(error));
    }
    Value::Object(o)
}

/// A `googleRpcStatus`.
fn status((code, message): &(i32, String)) -> Value {
    json!({"code": code, "message": message})
}
