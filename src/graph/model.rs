//! The run graph: a KFP run's tasks (with sub-DAG nesting) and their dependencies, kept in a
//! petgraph `DiGraph` whose edges point upstream → downstream.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction as PgDirection;

use super::spec::{self, SpecTask};
use super::status::NodeStatus;

/// A node of a [`RunGraph`]. Stable for the graph's life: nodes are never removed, so a
/// selection or a collapsed set survives new task details.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(u32);

impl NodeId {
    pub fn index(self) -> usize {
        self.0 as usize
    }

    fn from_index(index: NodeIndex) -> NodeId {
        NodeId(index.index() as u32)
    }

    fn pg(self) -> NodeIndex {
        NodeIndex::new(self.index())
    }
}

/// What a node stands for in the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeKind {
    /// A container task (a component with an executor).
    Task,
    /// A task whose component is itself a DAG (condition, exit handler, nested pipeline).
    SubDag,
    /// A ParallelFor: its children are its iterations once the run reports them.
    Loop,
    /// One iteration of a ParallelFor, holding a copy of the loop body.
    LoopIteration,
}

/// One task of the run.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskNode {
    /// The spec's task name (what `dependentTasks` and sub-DAG display names use).
    pub name: String,
    /// `taskInfo.name`, what the KFP UI shows.
    pub display_name: String,
    pub component: Option<String>,
    pub kind: NodeKind,
    pub status: NodeStatus,
    pub create_time: Option<DateTime<Utc>>,
    pub start_time: Option<DateTime<Utc>>,
    pub end_time: Option<DateTime<Utc>>,
    /// KFP's task id, once a task detail matched this node.
    pub task_id: Option<String>,
    /// The orchestrator's pod (node) name, to open the task's logs.
    pub pod_name: Option<String>,
    pub error: Option<String>,
    /// The sub-DAG, loop or iteration this task belongs to (`None` at the root).
    pub parent: Option<NodeId>,
    pub children: Vec<NodeId>,
    /// The iteration index of a `LoopIteration`.
    pub iteration: Option<usize>,
    /// `false` for a task the run reported but the spec does not name.
    pub from_spec: bool,
}

impl TaskNode {
    pub(super) fn new(name: &str, display_name: &str, kind: NodeKind) -> TaskNode {
        TaskNode {
            name: name.to_string(),
            display_name: display_name.to_string(),
            component: None,
            kind,
            status: NodeStatus::Pending,
            create_time: None,
            start_time: None,
            end_time: None,
            task_id: None,
            pod_name: None,
            error: None,
            parent: None,
            children: Vec::new(),
            iteration: None,
            from_spec: false,
        }
    }

    /// A group is drawn as a frame around its children (or as one collapsed node).
    pub fn is_group(&self) -> bool {
        !self.children.is_empty() || self.kind != NodeKind::Task
    }
}

/// Why a pipeline spec could not be read as a run graph.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    #[error("not a KFP pipeline spec: {reason}; expected the compiled IR (root.dag.tasks) or {{pipeline_spec, platform_spec}}")]
    NotAPipelineSpec { reason: String },
    #[error("pipeline spec: task `{task}` in DAG `{dag}` is malformed: {reason}")]
    BadTask {
        dag: String,
        task: String,
        reason: String,
    },
    #[error("pipeline spec: task `{task}` in DAG `{dag}` depends on `{dependency}`, which that DAG does not have; recompile the pipeline")]
    UnknownDependency {
        dag: String,
        task: String,
        dependency: String,
    },
    #[error(
        "pipeline spec: the dependencies around task `{task}` form a cycle; recompile the pipeline"
    )]
    Cycle { task: String },
    #[error("pipeline spec: component `{component}` contains itself (or nests too deep)")]
    RecursiveComponent { component: String },
}

/// A run's task graph.
#[derive(Debug, Clone, Default)]
pub struct RunGraph {
    pub(super) graph: DiGraph<TaskNode, ()>,
    pub(super) roots: Vec<NodeId>,
    pub(super) by_task_id: HashMap<String, NodeId>,
}

impl RunGraph {
    /// The graph of a pipeline spec (bare, or `{pipeline_spec, platform_spec}`); every task
    /// is Pending until [`RunGraph::apply_task_details`].
    pub fn from_spec(spec: &serde_json::Value) -> Result<RunGraph, GraphError> {
        let tasks = spec::parse(spec)?;
        let mut graph = RunGraph::default();
        graph.add_dag(&tasks, None);
        if let Err(cycle) = petgraph::algo::toposort(&graph.graph, None) {
            let task = graph.graph[cycle.node_id()].name.clone();
            return Err(GraphError::Cycle { task });
        }
        Ok(graph)
    }

    fn add_dag(&mut self, tasks: &[SpecTask], parent: Option<NodeId>) {
        let mut by_name = HashMap::new();
        for task in tasks {
            let mut node = TaskNode::new(&task.name, &task.display_name, task.kind);
            node.component = task.component.clone();
            node.from_spec = true;
            let id = self.add_node(node, parent);
            by_name.insert(task.name.as_str(), id);
            self.add_dag(&task.children, Some(id));
        }
        for task in tasks {
            for dep in &task.dependencies {
                if let (Some(&from), Some(&to)) =
                    (by_name.get(dep.as_str()), by_name.get(task.name.as_str()))
                {
                    self.graph.update_edge(from.pg(), to.pg(), ());
                }
            }
        }
    }

    /// Adds a node as the last child of `parent` (or as a root).
    pub(super) fn add_node(&mut self, mut node: TaskNode, parent: Option<NodeId>) -> NodeId {
        node.parent = parent;
        let id = NodeId::from_index(self.graph.add_node(node));
        match parent {
            Some(p) => self.graph[p.pg()].children.push(id),
            None => self.roots.push(id),
        }
        id
    }

    pub(super) fn add_dependency(&mut self, from: NodeId, to: NodeId) {
        self.graph.update_edge(from.pg(), to.pg(), ());
    }

    pub(super) fn node_mut(&mut self, id: NodeId) -> Option<&mut TaskNode> {
        self.graph.node_weight_mut(id.pg())
    }

    pub fn node(&self, id: NodeId) -> Option<&TaskNode> {
        self.graph.node_weight(id.pg())
    }

    /// Number of nodes (tasks, groups, iterations, extra nodes).
    pub fn len(&self) -> usize {
        self.graph.node_count()
    }

    pub fn is_empty(&self) -> bool {
        self.graph.node_count() == 0
    }

    /// The root DAG's nodes, in spec order (then extra nodes in arrival order).
    pub fn roots(&self) -> &[NodeId] {
        &self.roots
    }

    pub fn children(&self, id: NodeId) -> &[NodeId] {
        self.node(id).map(|n| n.children.as_slice()).unwrap_or(&[])
    }

    /// The tasks `id` waits for.
    pub fn upstream(&self, id: NodeId) -> Vec<NodeId> {
        self.neighbours(id, PgDirection::Incoming)
    }

    /// The tasks waiting for `id`.
    pub fn downstream(&self, id: NodeId) -> Vec<NodeId> {
        self.neighbours(id, PgDirection::Outgoing)
    }

    fn neighbours(&self, id: NodeId, dir: PgDirection) -> Vec<NodeId> {
        let mut out: Vec<NodeId> = self
            .graph
            .neighbors_directed(id.pg(), dir)
            .map(NodeId::from_index)
            .collect();
        out.sort();
        out
    }

    /// Every dependency as (upstream, downstream).
    pub fn dependencies(&self) -> impl Iterator<Item = (NodeId, NodeId)> + '_ {
        self.graph.raw_edges().iter().map(|e| {
            (
                NodeId::from_index(e.source()),
                NodeId::from_index(e.target()),
            )
        })
    }

    /// The node a KFP task id was matched to.
    pub fn find_task_id(&self, task_id: &str) -> Option<NodeId> {
        self.by_task_id.get(task_id).copied()
    }

    /// The first node with this task name, searching the tree in display order.
    pub fn find(&self, name: &str) -> Option<NodeId> {
        self.walk()
            .into_iter()
            .find(|&id| self.node(id).is_some_and(|n| n.name == name))
    }

    /// All nodes reachable from the roots, parents before children, in display order.
    pub fn walk(&self) -> Vec<NodeId> {
        let mut out = Vec::with_capacity(self.len());
        let mut stack: Vec<NodeId> = self.roots.iter().rev().copied().collect();
        while let Some(id) = stack.pop() {
            out.push(id);
            stack.extend(self.children(id).iter().rev().copied());
        }
        out
    }

    /// Sub-DAGs, loops and iterations (the nodes a pane can collapse).
    pub fn groups(&self) -> Vec<NodeId> {
        self.walk()
            .into_iter()
            .filter(|&id| self.node(id).is_some_and(TaskNode::is_group))
            .collect()
    }

    /// `parent/child` names from the root to `id`, for status lines.
    pub fn path(&self, id: NodeId) -> String {
        let mut names = Vec::new();
        let mut cur = Some(id);
        while let Some(node) = cur.and_then(|c| self.node(c)) {
            names.push(node.display_name.as_str());
            cur = node.parent;
            if names.len() > self.len() {
                break;
            }
        }
        names.reverse();
        names.join("/")
    }

    /// Copies the subtree under `from` into `to` (spec nodes only, reset to Pending), with the
    /// dependencies among the copies.
    pub(super) fn copy_children(&mut self, from: NodeId, to: NodeId) {
        let mut map: HashMap<NodeId, NodeId> = HashMap::new();
        let mut stack: Vec<(NodeId, NodeId)> =
            self.children(from).iter().rev().map(|&c| (c, to)).collect();
        while let Some((src, parent)) = stack.pop() {
            let Some(node) = self.node(src) else { continue };
            if !node.from_spec {
                continue;
            }
            let mut copy = TaskNode::new(&node.name, &node.display_name, node.kind);
            copy.component = node.component.clone();
            copy.iteration = node.iteration;
            copy.from_spec = true;
            let kids: Vec<NodeId> = node.children.iter().rev().copied().collect();
            let new = self.add_node(copy, Some(parent));
            map.insert(src, new);
            stack.extend(kids.into_iter().map(|k| (k, new)));
        }
        let edges: Vec<(NodeId, NodeId)> = self
            .dependencies()
            .filter_map(|(a, b)| Some((*map.get(&a)?, *map.get(&b)?)))
            .collect();
        for (a, b) in edges {
            self.add_dependency(a, b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn builds_nodes_edges_and_nesting_from_a_spec() {
        let spec = json!({
            "components": {"comp-sub": {"dag": {"tasks": {
                "inner-a": {}, "inner-b": {"dependentTasks": ["inner-a"]}
            }}}},
            "root": {"dag": {"tasks": {
                "a": {}, "b": {"dependentTasks": ["a"]},
                "sub": {"componentRef": {"name": "comp-sub"}, "dependentTasks": ["a"]}
            }}}
        });
        let g = RunGraph::from_spec(&spec).unwrap();
        assert_eq!(g.len(), 5);
        let (a, b, sub) = (
            g.find("a").unwrap(),
            g.find("b").unwrap(),
            g.find("sub").unwrap(),
        );
        assert_eq!(g.downstream(a), {
            let mut v = vec![b, sub];
            v.sort();
            v
        });
        assert_eq!(g.node(sub).unwrap().kind, NodeKind::SubDag);
        let inner_b = g.find("inner-b").unwrap();
        assert_eq!(g.node(inner_b).unwrap().parent, Some(sub));
        assert_eq!(g.upstream(inner_b), vec![g.find("inner-a").unwrap()]);
        assert_eq!(g.path(inner_b), "sub/inner-b");
        assert!(g
            .walk()
            .iter()
            .all(|&id| g.node(id).unwrap().status == NodeStatus::Pending));
    }

    #[test]
    fn refuses_a_dependency_cycle() {
        let spec = json!({"root": {"dag": {"tasks": {
            "a": {"dependentTasks": ["b"]}, "b": {"dependentTasks": ["a"]}
        }}}});
        assert!(matches!(
            RunGraph::from_spec(&spec),
            Err(GraphError::Cycle { .. })
        ));
    }
}
