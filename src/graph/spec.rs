//! Reading the DAG structure out of a compiled KFP pipeline spec (the IR: `root.dag.tasks`,
//! `components.<name>.dag.tasks` for sub-DAGs, `parameterIterator`/`artifactIterator` for
//! ParallelFor loops).

use std::borrow::Cow;

use serde_json::Value;

use super::model::{GraphError, NodeKind};

/// Sub-DAGs nested deeper than this are refused (a compiled spec never comes close).
const MAX_DEPTH: usize = 64;

/// A task of a spec DAG, with its own DAG's tasks when it is a sub-DAG or loop.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SpecTask {
    /// The key in `dag.tasks` (what `dependentTasks` refer to).
    pub name: String,
    /// `taskInfo.name`, else the key.
    pub display_name: String,
    pub component: Option<String>,
    pub kind: NodeKind,
    /// Upstream tasks of the same DAG.
    pub dependencies: Vec<String>,
    /// The tasks of the component's DAG (empty for a leaf task).
    pub children: Vec<SpecTask>,
}

/// The spec itself: accepts the bare spec, `{pipeline_spec, platform_spec}` and a whole Run
/// (its `pipeline_spec`), with `pipeline_spec` either an object or a JSON string.
fn bare_spec(value: &Value) -> Result<Cow<'_, Value>, GraphError> {
    if value.get("root").is_some() {
        return Ok(Cow::Borrowed(value));
    }
    match value
        .get("pipeline_spec")
        .or_else(|| value.get("pipelineSpec"))
    {
        Some(Value::String(text)) => {
            let parsed: Value =
                serde_json::from_str(text).map_err(|e| GraphError::NotAPipelineSpec {
                    reason: format!("pipeline_spec is a string but not JSON ({e})"),
                })?;
            if parsed.get("root").is_some() {
                Ok(Cow::Owned(parsed))
            } else {
                Err(GraphError::NotAPipelineSpec {
                    reason: "pipeline_spec has no `root`".into(),
                })
            }
        }
        Some(inner) if inner.get("root").is_some() => Ok(Cow::Borrowed(inner)),
        Some(_) => Err(GraphError::NotAPipelineSpec {
            reason: "pipeline_spec has no `root`".into(),
        }),
        None => Err(GraphError::NotAPipelineSpec {
            reason: "neither `root` nor `pipeline_spec` is present".into(),
        }),
    }
}

/// The root DAG's tasks, with sub-DAGs and loop bodies nested.
pub(crate) fn parse(value: &Value) -> Result<Vec<SpecTask>, GraphError> {
    let spec = bare_spec(value)?;
    let tasks = spec
        .get("root")
        .and_then(|r| r.get("dag"))
        .and_then(|d| d.get("tasks"))
        .ok_or_else(|| GraphError::NotAPipelineSpec {
            reason: "`root.dag.tasks` is missing".into(),
        })?;
    let empty = serde_json::Map::new();
    let components = spec
        .get("components")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut stack = Vec::new();
    parse_dag("root", tasks, components, &mut stack)
}

fn parse_dag(
    dag: &str,
    tasks: &Value,
    components: &serde_json::Map<String, Value>,
    stack: &mut Vec<String>,
) -> Result<Vec<SpecTask>, GraphError> {
    let tasks = tasks.as_object().ok_or_else(|| GraphError::BadTask {
        dag: dag.into(),
        task: "(tasks)".into(),
        reason: "`tasks` is not a map".into(),
    })?;
    let mut out = Vec::with_capacity(tasks.len());
    for (name, task) in tasks {
        if !task.is_object() {
            return Err(GraphError::BadTask {
                dag: dag.into(),
                task: name.clone(),
                reason: "the task is not a map".into(),
            });
        }
        let display_name = task
            .pointer("/taskInfo/name")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .unwrap_or(name)
            .to_string();
        let component = task
            .pointer("/componentRef/name")
            .and_then(Value::as_str)
            .map(str::to_string);
        let dependencies = match task.get("dependentTasks") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(deps)) => deps
                .iter()
                .map(|d| {
                    d.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| GraphError::BadTask {
                            dag: dag.into(),
                            task: name.clone(),
                            reason: "`dependentTasks` holds a non-string".into(),
                        })
                })
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(GraphError::BadTask {
                    dag: dag.into(),
                    task: name.clone(),
                    reason: "`dependentTasks` is not a list".into(),
                })
            }
        };
        for dep in &dependencies {
            if !tasks.contains_key(dep) {
                return Err(GraphError::UnknownDependency {
                    dag: dag.into(),
                    task: name.clone(),
                    dependency: dep.clone(),
                });
            }
        }
        let sub_dag = component
            .as_ref()
            .and_then(|c| components.get(c))
            .and_then(|c| c.pointer("/dag/tasks"));
        let is_loop =
            task.get("parameterIterator").is_some() || task.get("artifactIterator").is_some();
        let children = match (sub_dag, &component) {
            (Some(sub), Some(comp)) => {
                if stack.contains(comp) || stack.len() >= MAX_DEPTH {
                    return Err(GraphError::RecursiveComponent {
                        component: comp.clone(),
                    });
                }
                stack.push(comp.clone());
                let children = parse_dag(comp, sub, components, stack)?;
                stack.pop();
                children
            }
            _ => Vec::new(),
        };
        let kind = if is_loop {
            NodeKind::Loop
        } else if sub_dag.is_some() {
            NodeKind::SubDag
        } else {
            NodeKind::Task
        };
        out.push(SpecTask {
            name: name.clone(),
            display_name,
            component,
            kind,
            dependencies,
            children,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn nested() -> Value {
        json!({
            "components": {
                "comp-train": {"executorLabel": "exec-train"},
                "comp-for-loop-2": {"dag": {"tasks": {
                    "train": {"componentRef": {"name": "comp-train"}, "taskInfo": {"name": "train"}}
                }}}
            },
            "root": {"dag": {"tasks": {
                "prepare": {"componentRef": {"name": "comp-train"}, "taskInfo": {"name": "Prepare data"}},
                "for-loop-2": {
                    "componentRef": {"name": "comp-for-loop-2"},
                    "dependentTasks": ["prepare"],
                    "parameterIterator": {"itemInput": "x", "items": {"raw": "[1,2]"}},
                    "taskInfo": {"name": "for-loop-2"}
                }
            }}}
        })
    }

    #[test]
    fn reads_loops_and_display_names() {
        let tasks = parse(&nested()).unwrap();
        assert_eq!(tasks.len(), 2);
        let looped = tasks.iter().find(|t| t.name == "for-loop-2").unwrap();
        assert_eq!(looped.kind, NodeKind::Loop);
        assert_eq!(looped.dependencies, vec!["prepare".to_string()]);
        assert_eq!(looped.children[0].kind, NodeKind::Task);
        let prepare = tasks.iter().find(|t| t.name == "prepare").unwrap();
        assert_eq!(prepare.display_name, "Prepare data");
    }

    #[test]
    fn accepts_the_api_wrapper_and_a_string_spec() {
        let wrapped = json!({"pipeline_spec": nested(), "platform_spec": {}});
        assert_eq!(parse(&wrapped).unwrap().len(), 2);
        let text = json!({"pipeline_spec": nested().to_string()});
        assert_eq!(parse(&text).unwrap().len(), 2);
        assert!(matches!(
            parse(&json!({"hello": 1})),
            Err(GraphError::NotAPipelineSpec { .. })
        ));
    }

    #[test]
    fn refuses_unknown_dependencies_and_recursive_components() {
        let bad = json!({"root": {"dag": {"tasks": {"a": {"dependentTasks": ["nope"]}}}}});
        assert!(matches!(
            parse(&bad),
            Err(GraphError::UnknownDependency { .. })
        ));
        let recursive = json!({
            "components": {"comp-a": {"dag": {"tasks": {"x": {"componentRef": {"name": "comp-a"}}}}}},
            "root": {"dag": {"tasks": {"a": {"componentRef": {"name": "comp-a"}}}}}
        });
        assert!(matches!(
            parse(&recursive),
            Err(GraphError::RecursiveComponent { .. })
        ));
    }
}
