//! Task pods: what the executor creates for a container task (shaped like the pods Argo
//! creates for KFP v2: `wait` and `main` containers, the KFP launcher wrapping the
//! component's command, the run and workflow labels), and the [`PodProgram`] that makes
//! them print KFP launcher and component output over `task_ms` and exit (1 for
//! `fail_tasks`).
//!
//! The program finds the task by the pod's `pipeline/runid` label and name in the KFP
//! state, so the output follows the task's component and resolved parameters.

use std::collections::BTreeMap;
use std::sync::{Mutex, Weak};
use std::time::Duration;

use futures::stream::{self, BoxStream, StreamExt};
use k8s_openapi::api::core::v1::{Container as PodContainer, EnvVar, Pod, PodSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use serde_json::{json, Map, Value};

use super::execution::StoredTask;
use super::plan::{ArtifactSource, NodeKind, Plan};
use super::runs::{RunsState, StoredRun};
use super::task_output::{self, Line, TaskInfo};
use crate::kube::{PodProgram, ProgramEnv, Step};

/// Label with the run id on every pod of a run (KFP's `LabelKeyWorkflowRunId`).
pub const RUN_ID_LABEL: &str = "pipeline/runid";
/// Label with the Argo workflow's name.
pub const WORKFLOW_LABEL: &str = "workflows.argoproj.io/workflow";
/// Label KFP puts on the pods of v2 components.
pub const V2_COMPONENT_LABEL: &str = "pipelines.kubeflow.org/v2_component";
/// Annotation with the Argo node name (`{workflow}.root.{task path}.executor`).
pub const NODE_NAME_ANNOTATION: &str = "workflows.argoproj.io/node-name";
/// The container running the component (its log is the task's log).
pub const MAIN: &str = "main";
/// Argo's sidecar.
pub const WAIT: &str = "wait";
/// Argo's executor image.
const ARGOEXEC: &str = "quay.io/argoproj/argoexec:v3.4.17";
/// Where a run's artifacts go when it names no `pipeline_root`.
const DEFAULT_ROOT: &str = "minio://mlpipeline/v2/artifacts";

/// The pod of a container task (the node's task must exist and have its `pod_name`).
pub fn pod(run: &StoredRun, tasks: &[StoredTask], node: usize) -> Pod {
    let n = &run.plan.nodes[node];
    let task = tasks.iter().find(|t| t.node == node);
    let name = task
        .and_then(|t| t.pod_name.clone())
        .unwrap_or_else(|| super::execution::pod_name(&run.workflow, &n.path));
    let NodeKind::Container(c) = &n.kind else {
        return Pod::default();
    };
    let execution_id = task.map_or(0, |t| t.execution_id);
    let input = executor_input(run, tasks, node, execution_id);
    let substitute = |s: &String| fill_placeholders(s, &input);
    let component: Vec<String> = c
        .command
        .iter()
        .chain(c.args.iter())
        .map(substitute)
        .collect();
    let mut launcher: Vec<String> = [
        "/var/run/argo/argoexec",
        "emissary",
        "--loglevel",
        "info",
        "--log-format",
        "text",
        "--",
        "/kfp-launcher/launch",
        "--pipeline_name",
    ]
    .map(str::to_owned)
    .to_vec();
    launcher.extend([
        run.plan.pipeline_name.clone(),
        "--run_id".to_owned(),
        run.id.clone(),
        "--execution_id".to_owned(),
        execution_id.to_string(),
        "--executor_input".to_owned(),
        input.to_string(),
        "--component_spec".to_owned(),
        json!({"executorLabel": c.executor}).to_string(),
        "--pod_name".to_owned(),
        "$(KFP_POD_NAME)".to_owned(),
        "--pod_uid".to_owned(),
        "$(KFP_POD_UID)".to_owned(),
        "--mlmd_server_address".to_owned(),
        "$(METADATA_GRPC_SERVICE_HOST)".to_owned(),
        "--mlmd_server_port".to_owned(),
        "$(METADATA_GRPC_SERVICE_PORT)".to_owned(),
        "--".to_owned(),
    ]);
    let labels = BTreeMap::from([
        (RUN_ID_LABEL.to_owned(), run.id.clone()),
        (WORKFLOW_LABEL.to_owned(), run.workflow.clone()),
        (
            "workflows.argoproj.io/completed".to_owned(),
            "false".to_owned(),
        ),
        (V2_COMPONENT_LABEL.to_owned(), "true".to_owned()),
    ]);
    let annotations = BTreeMap::from([
        (
            NODE_NAME_ANNOTATION.to_owned(),
            format!("{}.root.{}.executor", run.workflow, n.path),
        ),
        ("workflows.argoproj.io/node-id".to_owned(), name.clone()),
        (
            "pipelines.kubeflow.org/v2_component".to_owned(),
            "true".to_owned(),
        ),
    ]);
    let env = |name: &str, value: &str| EnvVar {
        name: name.to_owned(),
        value: Some(value.to_owned()),
        value_from: None,
    };
    Pod {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            namespace: Some(run.namespace.clone()),
            labels: Some(labels),
            annotations: Some(annotations),
            owner_references: Some(vec![OwnerReference {
                api_version: "argoproj.io/v1alpha1".to_owned(),
                kind: "Workflow".to_owned(),
                name: run.workflow.clone(),
                uid: crate::kube::uid(&format!("workflow/{}", run.id)),
                controller: Some(true),
                block_owner_deletion: Some(true),
            }]),
            ..Default::default()
        },
        spec: Some(PodSpec {
            restart_policy: Some("Never".to_owned()),
            service_account_name: Some(run.service_account.clone()),
            containers: vec![
                PodContainer {
                    name: WAIT.to_owned(),
                    image: Some(ARGOEXEC.to_owned()),
                    command: Some(
                        [
                            "argoexec",
                            "wait",
                            "--loglevel",
                            "info",
                            "--log-format",
                            "text",
                        ]
                        .map(str::to_owned)
                        .to_vec(),
                    ),
                    env: Some(vec![env("ARGO_POD_NAME", &name)]),
                    ..Default::default()
                },
                PodContainer {
                    name: MAIN.to_owned(),
                    image: Some(c.image.clone()),
                    command: Some(launcher),
                    args: Some(component),
                    env: Some(vec![
                        env("KFP_POD_NAME", &name),
                        env(
                            "METADATA_GRPC_SERVICE_HOST",
                            "metadata-grpc-service.kubeflow",
                        ),
                        env("METADATA_GRPC_SERVICE_PORT", "8080"),
                    ]),
                    ..Default::default()
                },
            ],
            ..Default::default()
        }),
        status: None,
    }
}

/// The URI of an output artifact of a task.
fn artifact_uri(run: &StoredRun, task_name: &str, execution_id: i64, artifact: &str) -> String {
    let root = if run.pipeline_root.is_empty() {
        DEFAULT_ROOT
    } else {
        run.pipeline_root.trim_end_matches('/')
    };
    format!(
        "{root}/{}/{}/{task_name}/{execution_id}/{artifact}",
        run.plan.pipeline_name, run.id
    )
}

/// The URI of an input artifact: the producer's output, through the parent DAGs.
fn input_uri(run: &StoredRun, tasks: &[StoredTask], node: usize, input: &str) -> Option<String> {
    let plan: &Plan = &run.plan;
    let (_, source) = plan.nodes[node].inputs.iter().find(|(n, _)| n == input)?;
    match source {
        ArtifactSource::Task { producer, key } => {
            let task = tasks.iter().find(|t| t.node == *producer)?;
            Some(artifact_uri(
                run,
                &task.display_name,
                task.execution_id,
                key,
            ))
        }
        ArtifactSource::Parent(key) => input_uri(run, tasks, plan.nodes[node].parent?, key),
    }
}

/// The launcher's `--executor_input`: parameter values, input and output artifacts.
fn executor_input(run: &StoredRun, tasks: &[StoredTask], node: usize, execution_id: i64) -> Value {
    let n = &run.plan.nodes[node];
    let NodeKind::Container(c) = &n.kind else {
        return Value::Null;
    };
    let artifact = |name: &str, uri: String| json!({"artifacts": [{"name": name, "uri": uri, "metadata": {}}]});
    let inputs: Map<String, Value> = n
        .inputs
        .iter()
        .filter_map(|(name, _)| {
            Some((
                name.clone(),
                artifact(name, input_uri(run, tasks, node, name)?),
            ))
        })
        .collect();
    let outputs: Map<String, Value> = n
        .outputs
        .iter()
        .map(|name| {
            (
                name.clone(),
                artifact(name, artifact_uri(run, &n.name, execution_id, name)),
            )
        })
        .collect();
    let parameters: Map<String, Value> = c
        .output_parameters
        .iter()
        .map(|p| {
            (
                p.clone(),
                json!({"outputFile": format!("/tmp/kfp/outputs/{p}")}),
            )
        })
        .collect();
    json!({
        "inputs": {"parameterValues": c.parameters, "artifacts": inputs},
        "outputs": {
            "artifacts": outputs,
            "parameters": parameters,
            "outputFile": "/tmp/kfp_outputs/output_metadata.json",
        },
    })
}

/// Replaces KFP's `{{$...}}` placeholders as the launcher does.
fn fill_placeholders(text: &str, input: &Value) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{$") {
        out.push_str(&rest[..start]);
        let Some(len) = rest[start..].find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let inner = &rest[start + 3..start + len];
        out.push_str(
            &placeholder(inner, input).unwrap_or_else(|| rest[start..start + len + 2].to_owned()),
        );
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}

/// The value of one placeholder (`inner` is what follows `{{$`).
fn placeholder(inner: &str, input: &Value) -> Option<String> {
    if inner.is_empty() {
        return Some(input.to_string());
    }
    let quoted = |prefix: &str| -> Option<(String, String)> {
        let rest = inner.strip_prefix(prefix)?.strip_prefix("['")?;
        let (name, tail) = rest.split_once("']")?;
        Some((name.to_owned(), tail.to_owned()))
    };
    if let Some((name, _)) = quoted(".inputs.parameters") {
        return Some(
            match input.pointer(&format!("/inputs/parameterValues/{name}"))? {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            },
        );
    }
    for (prefix, side) in [
        (".outputs.artifacts", "outputs"),
        (".inputs.artifacts", "inputs"),
    ] {
        if let Some((name, tail)) = quoted(prefix) {
            let uri = input
                .pointer(&format!("/{side}/artifacts/{name}/artifacts/0/uri"))?
                .as_str()?;
            return Some(match tail.as_str() {
                ".uri" => uri.to_owned(),
                // The launcher mounts `scheme://bucket/key` at `/scheme/bucket/key`.
                _ => format!("/{}", uri.replacen("://", "/", 1)),
            });
        }
    }
    if let Some((name, _)) = quoted(".outputs.parameters") {
        return Some(format!("/tmp/kfp/outputs/{name}"));
    }
    None
}

/// The program of task pods.
pub struct TaskPodProgram {
    runs: Weak<Mutex<RunsState>>,
}

impl TaskPodProgram {
    pub fn new(runs: Weak<Mutex<RunsState>>) -> TaskPodProgram {
        TaskPodProgram { runs }
    }

    /// What the pod runs, from the KFP state (or from the pod alone).
    fn info(&self, pod: &Pod) -> TaskInfo {
        let name = pod.metadata.name.clone().unwrap_or_default();
        let label = |key: &str| {
            pod.metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(key))
                .cloned()
                .unwrap_or_default()
        };
        let run_id = label(RUN_ID_LABEL);
        let main = pod
            .spec
            .iter()
            .flat_map(|s| s.containers.iter())
            .find(|c| c.name == MAIN);
        let mut info = TaskInfo {
            task: name.clone(),
            pod: name.clone(),
            namespace: pod.metadata.namespace.clone().unwrap_or_default(),
            run_id: run_id.clone(),
            executor: String::new(),
            image: main.and_then(|c| c.image.clone()).unwrap_or_default(),
            command: main.and_then(|c| c.args.clone()).unwrap_or_default(),
            parameters: BTreeMap::new(),
            outputs: BTreeMap::new(),
            execution_id: 0,
            fails: false,
            task_ms: 1500,
        };
        let Some(runs) = self.runs.upgrade() else {
            return info;
        };
        let runs = runs.lock().unwrap_or_else(|e| e.into_inner());
        info.task_ms = runs.knobs.task_ms;
        let Some(run) = runs.run(&run_id) else {
            return info;
        };
        let Some(task) = run
            .tasks
            .iter()
            .find(|t| t.pod_name.as_deref() == Some(name.as_str()))
        else {
            return info;
        };
        info.task = task.display_name.clone();
        info.fails = task.fails;
        info.execution_id = task.execution_id;
        if let Some(NodeKind::Container(c)) = run.plan.nodes.get(task.node).map(|n| &n.kind) {
            info.executor = c.executor.clone();
            info.parameters = c.parameters.clone();
            for output in &run.plan.nodes[task.node].outputs {
                info.outputs.insert(
                    output.clone(),
                    artifact_uri(run, &task.display_name, task.execution_id, output),
                );
            }
        }
        info
    }
}

impl PodProgram for TaskPodProgram {
    fn name(&self) -> &str {
        "kfp-task"
    }

    fn accepts(&self, pod: &Pod) -> bool {
        pod.metadata.labels.as_ref().is_some_and(|l| {
            l.contains_key(RUN_ID_LABEL)
                && l.get(V2_COMPONENT_LABEL).map(String::as_str) == Some("true")
        })
    }

    fn run(&self, pod: &Pod, _env: &ProgramEnv) -> BoxStream<'static, Step> {
        let info = self.info(pod);
        let lines = task_output::script(&info);
        let work = lines.iter().filter(|l| l.work).count().max(1);
        let pause = Duration::from_millis(info.task_ms) / u32::try_from(work).unwrap_or(1);
        stream::iter(lines)
            .flat_map(move |line: Line| {
                let sleep = if line.work {
                    vec![Step::Sleep(pause)]
                } else {
                    Vec::new()
                };
                // The text (and its timestamp) is made when the step is reached.
                let step = stream::once(async move { line.step() });
                stream::iter(sleep).chain(step)
            })
            .boxed()
    }
}
