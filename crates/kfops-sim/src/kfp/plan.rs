//! A run's plan: the tasks a KFP pipeline spec (the IR the v2 SDK compiles) makes for one
//! run's parameters, as a flat tree.
//!
//! `root.dag.tasks` and every `components.<c>.dag` are expanded recursively: a task whose
//! component has a `dag` is a DAG node whose children are that DAG's tasks; a task with a
//! `parameterIterator` (ParallelFor) is a loop node with one iteration node per item (items
//! from `items.raw` or an input parameter), each holding the loop body; any other task is a
//! container (its `executorLabel`'s `deploymentSpec.executors.<label>.container`).
//! `dependentTasks` name siblings; `triggerPolicy.condition` is taken as true, and the
//! `ALL_UPSTREAM_TASKS_COMPLETED` strategy (exit handlers) lets a task run after a failure.
//! Parameters are resolved here, since the run's parameters and the loop items are known:
//! constants, component inputs and loop items; task outputs stay `null`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::plan_tasks::{
    artifact_inputs, loop_items, names_under, order, resolve_parameters, to_map,
};

/// Deepest nesting of sub-DAGs and most tasks a plan may have (the most loop items are in
/// [`super::plan_tasks`]).
const MAX_DEPTH: usize = 16;
const MAX_NODES: usize = 2000;

/// Image of tasks whose executor is not a container (importers, resolvers).
const SYSTEM_IMAGE: &str = "ghcr.io/kubeflow/kfp-launcher:2.5.0";

/// Every task of a run, parents before their children, each DAG's tasks in dependency
/// order (ties by name).
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// `pipelineInfo.name`.
    pub pipeline_name: String,
    pub nodes: Vec<PlanNode>,
}

/// One task of the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanNode {
    /// The display name: `taskInfo.name` (else the task key); iterations are `loop(i)`.
    pub name: String,
    /// Dotted names from the root, unique in the plan: `evaluate.compute-metrics`.
    pub path: String,
    pub parent: Option<usize>,
    /// Siblings this task waits for.
    pub deps: Vec<usize>,
    /// Runs once its dependencies ended, however they ended (exit handlers).
    pub after_all: bool,
    pub kind: NodeKind,
    /// Input artifacts and where they come from.
    pub inputs: Vec<(String, ArtifactSource)>,
    /// Output artifact names (containers).
    pub outputs: Vec<String>,
}

/// What a task is.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// Runs in a pod.
    Container(Box<Container>),
    /// A sub-DAG.
    Dag,
    /// A ParallelFor; its children are the iterations.
    Loop,
    /// One iteration of a ParallelFor (the index); its children are the loop body.
    Iteration(usize),
}

/// Where an input artifact comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum ArtifactSource {
    /// An output of a sibling task.
    Task { producer: usize, key: String },
    /// An input artifact of the parent DAG.
    Parent(String),
}

/// A container task's executor and inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Container {
    /// `componentRef.name`, e.g. `comp-train`.
    pub component: String,
    /// The executor label, e.g. `exec-train`.
    pub executor: String,
    pub image: String,
    pub command: Vec<String>,
    pub args: Vec<String>,
    /// Input parameters, resolved (`null`: the output of another task).
    pub parameters: BTreeMap<String, Value>,
    /// Output parameter names.
    pub output_parameters: Vec<String>,
}

impl Plan {
    /// The plan of `spec` (a version's `pipeline_spec`, possibly `{pipeline_spec,
    /// platform_spec}`) for these run parameters; `Err` says what in the spec is wrong.
    pub fn build(spec: &Value, parameters: &Map<String, Value>) -> Result<Plan, String> {
        let spec = match spec.get("pipeline_spec") {
            Some(inner) if spec.get("root").is_none() => inner,
            _ => spec,
        };
        let root = spec
            .get("root")
            .filter(|r| r.is_object())
            .ok_or("the pipeline spec has no root component")?;
        let mut scope = Map::new();
        if let Some(defs) = root
            .pointer("/inputDefinitions/parameters")
            .and_then(Value::as_object)
        {
            for (name, def) in defs {
                if let Some(default) = def.get("defaultValue") {
                    scope.insert(name.clone(), default.clone());
                }
            }
        }
        for (name, value) in parameters {
            scope.insert(name.clone(), value.clone());
        }
        let mut builder = Builder {
            components: spec.get("components").and_then(Value::as_object),
            executors: spec
                .pointer("/deploymentSpec/executors")
                .and_then(Value::as_object),
            nodes: Vec::new(),
        };
        let empty = Value::Object(Map::new());
        let dag = root.get("dag").unwrap_or(&empty);
        builder.dag(dag, None, "", &scope, 0)?;
        Ok(Plan {
            pipeline_name: spec
                .pointer("/pipelineInfo/name")
                .and_then(Value::as_str)
                .unwrap_or("pipeline")
                .to_owned(),
            nodes: builder.nodes,
        })
    }

    /// The direct children of a node (`None`: the top-level tasks).
    pub fn children(&self, parent: Option<usize>) -> impl Iterator<Item = usize> + '_ {
        self.nodes
            .iter()
            .enumerate()
            .filter(move |(_, n)| n.parent == parent)
            .map(|(i, _)| i)
    }

    /// The container tasks' names.
    pub fn container_names(&self) -> BTreeSet<&str> {
        self.nodes
            .iter()
            .filter(|n| matches!(n.kind, NodeKind::Container(_)))
            .map(|n| n.name.as_str())
            .collect()
    }
}

struct Builder<'a> {
    components: Option<&'a Map<String, Value>>,
    executors: Option<&'a Map<String, Value>>,
    nodes: Vec<PlanNode>,
}

impl<'a> Builder<'a> {
    /// Adds the tasks of `dag` under `parent`; `scope` holds the DAG's input parameters.
    fn dag(
        &mut self,
        dag: &'a Value,
        parent: Option<usize>,
        prefix: &str,
        scope: &Map<String, Value>,
        depth: usize,
    ) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!(
                "sub-DAGs are nested more than {MAX_DEPTH} deep (is a component its own sub-DAG?)"
            ));
        }
        let empty = Map::new();
        let tasks = dag
            .get("tasks")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let mut index_of: BTreeMap<&str, usize> = BTreeMap::new();
        for key in order(tasks)? {
            let task = &tasks[key];
            let mut deps = Vec::new();
            for dep in task
                .get("dependentTasks")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                deps.extend(index_of.get(dep).copied());
            }
            let name = task
                .pointer("/taskInfo/name")
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty())
                .unwrap_or(key)
                .to_owned();
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}.{name}")
            };
            let component_name = task
                .pointer("/componentRef/name")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("task `{key}` has no componentRef"))?;
            let component = self
                .components
                .and_then(|c| c.get(component_name))
                .ok_or_else(|| {
                    format!(
                        "task `{key}` refers to component `{component_name}`, which the spec lacks"
                    )
                })?;
            let parameters = resolve_parameters(task, scope);
            let inputs = artifact_inputs(task, &index_of);
            let after_all = task
                .pointer("/triggerPolicy/strategy")
                .and_then(Value::as_str)
                == Some("ALL_UPSTREAM_TASKS_COMPLETED");
            let node = PlanNode {
                name: name.clone(),
                path: path.clone(),
                parent,
                deps,
                after_all,
                kind: NodeKind::Dag,
                inputs: inputs.clone(),
                outputs: Vec::new(),
            };
            let index = self.push(node)?;
            index_of.insert(key, index);
            match component.get("dag") {
                Some(sub) if task.get("parameterIterator").is_some() => {
                    self.nodes[index].kind = NodeKind::Loop;
                    let iterator = &task["parameterIterator"];
                    let item_input = iterator
                        .get("itemInput")
                        .and_then(Value::as_str)
                        .unwrap_or("loop-item");
                    for (i, item) in loop_items(iterator, scope, &parameters)?
                        .into_iter()
                        .enumerate()
                    {
                        let label = format!("{name}({i})");
                        let iteration = self.push(PlanNode {
                            name: label.clone(),
                            path: format!("{path}.{label}"),
                            parent: Some(index),
                            deps: Vec::new(),
                            after_all: false,
                            kind: NodeKind::Iteration(i),
                            inputs: inputs
                                .iter()
                                .map(|(k, _)| (k.clone(), ArtifactSource::Parent(k.clone())))
                                .collect(),
                            outputs: Vec::new(),
                        })?;
                        let mut inner = to_map(&parameters);
                        inner.insert(item_input.to_owned(), item);
                        self.dag(
                            sub,
                            Some(iteration),
                            &format!("{path}.{label}"),
                            &inner,
                            depth + 1,
                        )?;
                    }
                }
                Some(sub) => {
                    self.dag(sub, Some(index), &path, &to_map(&parameters), depth + 1)?;
                }
                None => {
                    let container = self.container(component_name, component, parameters)?;
                    self.nodes[index].outputs =
                        names_under(component, "/outputDefinitions/artifacts");
                    self.nodes[index].kind = NodeKind::Container(Box::new(container));
                }
            }
        }
        Ok(())
    }

    fn push(&mut self, node: PlanNode) -> Result<usize, String> {
        if self.nodes.len() >= MAX_NODES {
            return Err(format!("the run would have more than {MAX_NODES} tasks"));
        }
        self.nodes.push(node);
        Ok(self.nodes.len() - 1)
    }

    fn container(
        &self,
        component_name: &str,
        component: &Value,
        parameters: BTreeMap<String, Value>,
    ) -> Result<Container, String> {
        let executor = component
            .get("executorLabel")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                format!("component `{component_name}` has neither a dag nor an executorLabel")
            })?;
        let spec = self
            .executors
            .and_then(|e| e.get(executor))
            .ok_or_else(|| {
                format!("component `{component_name}` uses executor `{executor}`, which deploymentSpec lacks")
            })?;
        let strings = |v: Option<&Value>| -> Vec<String> {
            v.and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|s| match s {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect()
        };
        let container = spec.get("container");
        Ok(Container {
            component: component_name.to_owned(),
            executor: executor.to_owned(),
            image: container
                .and_then(|c| c.get("image"))
                .and_then(Value::as_str)
                .unwrap_or(SYSTEM_IMAGE)
                .to_owned(),
            command: strings(container.and_then(|c| c.get("command"))),
            args: strings(container.and_then(|c| c.get("args"))),
            parameters,
            output_parameters: names_under(component, "/outputDefinitions/parameters"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> Value {
        json!({
            "pipelineInfo": {"name": "p"},
            "components": {
                "comp-a": {"executorLabel": "exec-a", "outputDefinitions": {"artifacts": {"out": {}}}},
                "comp-b": {"executorLabel": "exec-a"},
                "comp-sub": {"dag": {"tasks": {
                    "x": {"componentRef": {"name": "comp-b"}, "taskInfo": {"name": "x"},
                          "inputs": {"parameters": {"v": {"componentInputParameter": "item"}}}},
                    "y": {"componentRef": {"name": "comp-b"}, "dependentTasks": ["x"], "taskInfo": {"name": "y"}}
                }}}
            },
            "deploymentSpec": {"executors": {"exec-a": {"container": {"image": "img", "command": ["run"]}}}},
            "root": {
                "inputDefinitions": {"parameters": {"n": {"defaultValue": 3}}},
                "dag": {"tasks": {
                    "b": {"componentRef": {"name": "comp-b"}, "dependentTasks": ["a"], "taskInfo": {"name": "b"},
                          "inputs": {"parameters": {"n": {"componentInputParameter": "n"}}}},
                    "a": {"componentRef": {"name": "comp-a"}, "taskInfo": {"name": "a"}},
                    "loop": {"componentRef": {"name": "comp-sub"}, "dependentTasks": ["a"],
                             "parameterIterator": {"itemInput": "item", "items": {"raw": "[1, 2]"}},
                             "taskInfo": {"name": "for-loop-1"}},
                    "sub": {"componentRef": {"name": "comp-sub"}, "taskInfo": {"name": "sub"}}
                }}
            }
        })
    }

    #[test]
    fn dags_loops_and_parameters_are_expanded() {
        let mut params = Map::new();
        params.insert("n".into(), json!(7));
        let plan = Plan::build(&spec(), &params).unwrap_or_else(|e| panic!("{e}"));
        let paths: Vec<&str> = plan.nodes.iter().map(|n| n.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "a",
                "sub",
                "sub.x",
                "sub.y",
                "b",
                "for-loop-1",
                "for-loop-1.for-loop-1(0)",
                "for-loop-1.for-loop-1(0).x",
                "for-loop-1.for-loop-1(0).y",
                "for-loop-1.for-loop-1(1)",
                "for-loop-1.for-loop-1(1).x",
                "for-loop-1.for-loop-1(1).y",
            ]
        );
        let b = &plan.nodes[4];
        assert_eq!(b.deps, [0]);
        let NodeKind::Container(c) = &b.kind else {
            panic!("b is a container")
        };
        assert_eq!(
            c.parameters["n"],
            json!(7),
            "run parameters win over defaults"
        );
        let NodeKind::Container(x) = &plan.nodes[10].kind else {
            panic!("x is a container")
        };
        assert_eq!(
            x.parameters["v"],
            json!(2),
            "the loop item reaches the body"
        );
        assert_eq!(plan.nodes[8].deps, [7]);
        assert_eq!(plan.nodes[0].outputs, ["out"]);
        assert!(matches!(plan.nodes[9].kind, NodeKind::Iteration(1)));
    }

    #[test]
    fn broken_specs_are_refused_with_a_reason() {
        for (pointer, value, reason) in [
            ("/root/dag/tasks/a/dependentTasks", json!(["b"]), "cycle"),
            ("/root/dag/tasks/a/dependentTasks", json!(["nope"]), "nope"),
            (
                "/root/dag/tasks/a/componentRef/name",
                json!("comp-x"),
                "comp-x",
            ),
            (
                "/components/comp-sub/dag/tasks/x/componentRef/name",
                json!("comp-sub"),
                "nested",
            ),
        ] {
            let mut s = spec();
            let (parent, key) = pointer.rsplit_once('/').unwrap_or_default();
            match s.pointer_mut(parent).and_then(Value::as_object_mut) {
                Some(object) => object.insert(key.to_owned(), value),
                None => panic!("{parent} not in the spec"),
            };
            let err = Plan::build(&s, &Map::new()).map(|_| ()).unwrap_err();
            assert!(err.contains(reason), "{pointer}: {err}");
        }
    }
}
