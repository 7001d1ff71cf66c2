//! The state machine of one run's tasks, without IO or clocks: the executor (live, with
//! pods) and the scenario's finished runs (replayed on a virtual clock) feed it the same
//! events.
//!
//! A task is created when it becomes ready (its parent DAG runs and its dependencies
//! succeeded) and is absent from `task_details` before that, as in KFP. Containers go
//! PENDING (pod created) → RUNNING (pod running) → SUCCEEDED/FAILED (pod ended); cached ones
//! are SKIPPED at once; DAG, loop and iteration tasks are RUNNING until all their children
//! ended. After a failure no new task starts anywhere (Argo's `failFast`), except exit
//! handlers; the run ends when nothing runs any more.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::plan::{ArtifactSource, NodeKind, Plan};
pub use super::tasks::{
    node_id, pod_name, Ids, RuntimeState, StateChange, StoredTask, CODE_CANCELLED, CODE_UNKNOWN,
};

/// What the knobs say about a task about to start.
pub trait Knobs {
    fn cached(&self, task: &str) -> bool;
    fn fails(&self, task: &str) -> bool;
}

/// One run's tasks, being advanced.
pub struct Exec<'a> {
    pub plan: &'a Plan,
    pub workflow: &'a str,
    pub tasks: &'a mut Vec<StoredTask>,
    pub ids: &'a Ids,
}

impl Exec<'_> {
    fn task_of(&self, node: usize) -> Option<usize> {
        self.tasks.iter().position(|t| t.node == node)
    }

    fn state_of(&self, node: usize) -> Option<RuntimeState> {
        self.task_of(node).map(|t| self.tasks[t].state)
    }

    fn failed(&self) -> bool {
        self.tasks.iter().any(|t| t.state == RuntimeState::Failed)
    }

    /// Whether a task not yet created will never be.
    fn never_starts(&self, node: usize) -> bool {
        if self.task_of(node).is_some() {
            return false;
        }
        let n = &self.plan.nodes[node];
        (self.failed() && !n.after_all)
            || n.parent
                .and_then(|p| self.state_of(p))
                .is_some_and(RuntimeState::is_final)
            || n.deps.iter().any(|&d| {
                self.never_starts(d)
                    || (!n.after_all
                        && self.state_of(d).is_some_and(|s| s.is_final() && !s.is_ok()))
            })
    }

    /// Ended, or will never start.
    fn settled(&self, node: usize) -> bool {
        match self.state_of(node) {
            Some(state) => state.is_final(),
            None => self.never_starts(node),
        }
    }

    fn ready(&self, node: usize) -> bool {
        let n = &self.plan.nodes[node];
        if self.task_of(node).is_some() || (self.failed() && !n.after_all) {
            return false;
        }
        let parent_runs = match n.parent {
            None => true,
            Some(p) => self.state_of(p) == Some(RuntimeState::Running),
        };
        parent_runs
            && n.deps.iter().all(|&d| {
                if n.after_all {
                    self.settled(d)
                } else {
                    self.state_of(d).is_some_and(RuntimeState::is_ok)
                }
            })
    }

    /// Ends DAG tasks whose children all ended and creates the tasks that became ready;
    /// returns the container tasks that need a pod (already PENDING, with `pod_name`).
    pub fn advance(&mut self, now: DateTime<Utc>, knobs: &dyn Knobs) -> Vec<usize> {
        let mut launch = Vec::new();
        loop {
            let mut changed = false;
            for t in 0..self.tasks.len() {
                let node = self.tasks[t].node;
                let is_dag = !matches!(self.plan.nodes[node].kind, NodeKind::Container(_));
                if !is_dag || self.tasks[t].state != RuntimeState::Running {
                    continue;
                }
                let children: Vec<usize> = self.plan.children(Some(node)).collect();
                if !children.iter().all(|&c| self.settled(c)) {
                    continue;
                }
                let failed = children
                    .iter()
                    .find(|&&c| self.state_of(c) == Some(RuntimeState::Failed));
                let canceled = children
                    .iter()
                    .any(|&c| self.state_of(c) == Some(RuntimeState::Canceled));
                let name = self.tasks[t].display_name.clone();
                match failed {
                    Some(&c) => {
                        let child = self.plan.nodes[c].name.clone();
                        let message = format!("task '{name}' failed: child task '{child}' failed");
                        self.tasks[t].set(RuntimeState::Failed, now, Some((CODE_UNKNOWN, message)));
                    }
                    None if canceled => self.tasks[t].set(
                        RuntimeState::Canceled,
                        now,
                        Some((CODE_CANCELLED, format!("task '{name}' was canceled"))),
                    ),
                    None => self.tasks[t].set(RuntimeState::Succeeded, now, None),
                }
                changed = true;
            }
            for node in 0..self.plan.nodes.len() {
                if !self.ready(node) {
                    continue;
                }
                changed = true;
                if let Some(started) = self.create(node, now, knobs) {
                    launch.push(started);
                }
            }
            if !changed {
                return launch;
            }
        }
    }

    /// Creates the task of a ready node; `Some(node)` when it needs a pod.
    fn create(&mut self, node: usize, now: DateTime<Utc>, knobs: &dyn Knobs) -> Option<usize> {
        let n = &self.plan.nodes[node];
        let parent_task_id = n
            .parent
            .and_then(|p| self.task_of(p))
            .map(|t| self.tasks[t].task_id.clone());
        let inputs = self.resolve_inputs(node);
        let mut task = StoredTask {
            task_id: uuid::Uuid::new_v4().hyphenated().to_string(),
            display_name: n.name.clone(),
            node,
            parent_task_id,
            node_id: node_id(self.workflow, &n.path),
            pod_name: None,
            fails: false,
            state: RuntimeState::Pending,
            create_time: now,
            start_time: None,
            end_time: None,
            state_history: Vec::new(),
            error: None,
            execution_id: self.ids.execution(),
            inputs,
            outputs: BTreeMap::new(),
        };
        let container = matches!(n.kind, NodeKind::Container(_));
        let launch = if !container {
            task.start_time = Some(now);
            task.set(RuntimeState::Running, now, None);
            None
        } else if knobs.cached(&n.name) {
            task.outputs = self.new_outputs(node);
            task.set(RuntimeState::Skipped, now, None);
            None
        } else {
            task.fails = knobs.fails(&n.name);
            task.pod_name = Some(pod_name(self.workflow, &n.path));
            task.set(RuntimeState::Pending, now, None);
            Some(node)
        };
        self.tasks.push(task);
        launch
    }

    fn new_outputs(&self, node: usize) -> BTreeMap<String, Vec<i64>> {
        self.plan.nodes[node]
            .outputs
            .iter()
            .map(|name| (name.clone(), vec![self.ids.artifact()]))
            .collect()
    }

    fn resolve_inputs(&self, node: usize) -> BTreeMap<String, Vec<i64>> {
        let n = &self.plan.nodes[node];
        let mut out = BTreeMap::new();
        for (name, source) in &n.inputs {
            let ids = match source {
                ArtifactSource::Task { producer, key } => self
                    .task_of(*producer)
                    .and_then(|t| self.tasks[t].outputs.get(key)),
                ArtifactSource::Parent(key) => n
                    .parent
                    .and_then(|p| self.task_of(p))
                    .and_then(|t| self.tasks[t].inputs.get(key)),
            };
            if let Some(ids) = ids {
                out.insert(name.clone(), ids.clone());
            }
        }
        out
    }

    /// Container tasks whose pod is pending or running: `(node, pod name, state)`.
    pub fn active_pods(&self) -> Vec<(usize, String, RuntimeState)> {
        self.tasks
            .iter()
            .filter(|t| matches!(t.state, RuntimeState::Pending | RuntimeState::Running))
            .filter_map(|t| Some((t.node, t.pod_name.clone()?, t.state)))
            .collect()
    }

    /// The task's pod runs since `at`.
    pub fn pod_running(&mut self, node: usize, at: DateTime<Utc>) {
        if let Some(t) = self.task_of(node) {
            let task = &mut self.tasks[t];
            if task.state == RuntimeState::Pending {
                task.start_time = Some(at);
                task.set(RuntimeState::Running, at, None);
            }
        }
    }

    /// The task's pod ended at `end` with the main container's exit code.
    pub fn pod_finished(
        &mut self,
        node: usize,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        code: i32,
    ) {
        let Some(t) = self.task_of(node) else { return };
        if self.tasks[t].state.is_final() {
            return;
        }
        self.pod_running(node, start);
        if code == 0 {
            let outputs = self.new_outputs(node);
            let task = &mut self.tasks[t];
            task.outputs = outputs;
            task.set(RuntimeState::Succeeded, end, None);
        } else {
            let task = &mut self.tasks[t];
            let message = format!("task '{}' failed: exit status {code}", task.display_name);
            task.set(RuntimeState::Failed, end, Some((CODE_UNKNOWN, message)));
        }
    }

    /// The task's pod vanished or could not be created.
    pub fn pod_lost(&mut self, node: usize, at: DateTime<Utc>, why: &str) {
        if let Some(t) = self.task_of(node) {
            let task = &mut self.tasks[t];
            if !task.state.is_final() {
                let message = format!("task '{}' failed: {why}", task.display_name);
                task.set(RuntimeState::Failed, at, Some((CODE_UNKNOWN, message)));
            }
        }
    }

    /// Cancels every task that has not ended; returns the pods to stop.
    pub fn cancel(&mut self, at: DateTime<Utc>) -> Vec<String> {
        let mut pods = Vec::new();
        for task in self.tasks.iter_mut() {
            if task.state.is_final() {
                continue;
            }
            pods.extend(task.pod_name.clone());
            let message = format!(
                "task '{}' was canceled: the run was terminated",
                task.display_name
            );
            task.set(RuntimeState::Canceled, at, Some((CODE_CANCELLED, message)));
        }
        pods
    }

    /// How the run ended, once nothing runs or can start any more: the state and, for a
    /// failure, the error of the first task that failed.
    pub fn outcome(&self) -> Option<(RuntimeState, Option<String>)> {
        if !self.plan.children(None).all(|n| self.settled(n))
            || self.tasks.iter().any(|t| !t.state.is_final())
        {
            return None;
        }
        let first_failure = self
            .tasks
            .iter()
            .filter(|t| t.state == RuntimeState::Failed)
            .filter(|t| matches!(self.plan.nodes[t.node].kind, NodeKind::Container(_)))
            .min_by_key(|t| t.end_time)
            .or_else(|| self.tasks.iter().find(|t| t.state == RuntimeState::Failed));
        if let Some(task) = first_failure {
            let message = task
                .error
                .as_ref()
                .map(|(_, m)| m.clone())
                .unwrap_or_else(|| format!("task '{}' failed", task.display_name));
            return Some((RuntimeState::Failed, Some(message)));
        }
        if self.tasks.iter().any(|t| t.state == RuntimeState::Canceled) {
            return Some((RuntimeState::Canceled, None));
        }
        Some((RuntimeState::Succeeded, None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map};

    struct Fixed(&'static [&'static str], &'static [&'static str]);

    impl Knobs for Fixed {
        fn cached(&self, task: &str) -> bool {
            self.0.contains(&task)
        }
        fn fails(&self, task: &str) -> bool {
            self.1.contains(&task)
        }
    }

    fn plan() -> Plan {
        let spec = json!({
            "pipelineInfo": {"name": "p"},
            "components": {
                "comp-c": {"executorLabel": "exec-c", "outputDefinitions": {"artifacts": {"out": {}}}},
                "comp-sub": {"dag": {"tasks": {
                    "inner": {"componentRef": {"name": "comp-c"}, "taskInfo": {"name": "inner"}}
                }}}
            },
            "deploymentSpec": {"executors": {"exec-c": {"container": {"image": "i"}}}},
            "root": {"dag": {"tasks": {
                "a": {"componentRef": {"name": "comp-c"}, "taskInfo": {"name": "a"}},
                "b": {"componentRef": {"name": "comp-c"}, "taskInfo": {"name": "b"}, "dependentTasks": ["a"],
                      "inputs": {"artifacts": {"in": {"taskOutputArtifact": {"producerTask": "a", "outputArtifactKey": "out"}}}}},
                "s": {"componentRef": {"name": "comp-sub"}, "taskInfo": {"name": "s"}, "dependentTasks": ["a"]},
                "z": {"componentRef": {"name": "comp-c"}, "taskInfo": {"name": "z"}, "dependentTasks": ["b", "s"]}
            }}}
        });
        Plan::build(&spec, &Map::new()).unwrap_or_else(|e| panic!("{e}"))
    }

    fn names(tasks: &[StoredTask]) -> Vec<(String, RuntimeState)> {
        tasks
            .iter()
            .map(|t| (t.display_name.clone(), t.state))
            .collect()
    }

    #[test]
    fn tasks_start_after_their_dependencies_and_dags_end_with_their_children() {
        let plan = plan();
        let ids = Ids::default();
        let mut tasks = Vec::new();
        let mut exec = Exec {
            plan: &plan,
            workflow: "p-abcde",
            tasks: &mut tasks,
            ids: &ids,
        };
        let t = |s: i64| DateTime::from_timestamp(s, 0).unwrap_or_default();
        let none = Fixed(&[], &[]);
        assert_eq!(exec.advance(t(0), &none), [0], "only a is ready");
        exec.pod_finished(0, t(1), t(2), 0);
        let launched = exec.advance(t(3), &none);
        assert_eq!(launched.len(), 2, "b and s.inner: {:?}", names(exec.tasks));
        let b = &exec.tasks[1];
        assert_eq!(b.inputs["in"], exec.tasks[0].outputs["out"]);
        assert!(exec.outcome().is_none());
        for node in launched {
            exec.pod_finished(node, t(4), t(5), 0);
        }
        assert_eq!(exec.advance(t(6), &none).len(), 1, "z after b and s");
        let s = exec.tasks.iter().find(|t| t.display_name == "s").unwrap();
        assert_eq!(s.state, RuntimeState::Succeeded);
        let inner = exec
            .tasks
            .iter()
            .find(|t| t.display_name == "inner")
            .unwrap();
        assert_eq!(inner.parent_task_id.as_deref(), Some(s.task_id.as_str()));
        exec.pod_finished(4, t(7), t(8), 0);
        exec.advance(t(9), &none);
        assert_eq!(exec.outcome(), Some((RuntimeState::Succeeded, None)));
    }

    #[test]
    fn a_failure_stops_the_downstream_tasks_and_fails_the_run() {
        let plan = plan();
        let ids = Ids::default();
        let mut tasks = Vec::new();
        let mut exec = Exec {
            plan: &plan,
            workflow: "w",
            tasks: &mut tasks,
            ids: &ids,
        };
        let now = Utc::now();
        let knobs = Fixed(&["a"], &["inner"]);
        let launched = exec.advance(now, &knobs);
        assert_eq!(exec.tasks[0].state, RuntimeState::Skipped, "a is cached");
        assert!(exec.tasks.iter().any(|t| t.fails), "inner is told to fail");
        for node in launched {
            let code = i32::from(exec.tasks.iter().any(|t| t.node == node && t.fails));
            exec.pod_finished(node, now, now, code);
        }
        exec.advance(now, &knobs);
        let states: Vec<RuntimeState> = exec.tasks.iter().map(|t| t.state).collect();
        assert_eq!(
            states,
            [
                RuntimeState::Skipped,
                RuntimeState::Succeeded,
                RuntimeState::Failed,
                RuntimeState::Failed
            ],
            "{:?}",
            names(exec.tasks)
        );
        let (state, error) = exec.outcome().unwrap();
        assert_eq!(state, RuntimeState::Failed);
        assert_eq!(error.as_deref(), Some("task 'inner' failed: exit status 1"));
        assert!(!exec.tasks.iter().any(|t| t.display_name == "z"));
    }
}
