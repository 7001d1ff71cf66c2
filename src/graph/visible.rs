//! What the pane shows of a run graph: collapsed groups become one node with an aggregated
//! status, expanded ones frame their children.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::model::{NodeId, NodeKind, RunGraph};
use super::status::NodeStatus;

/// Groups nested deeper than this are shown collapsed (keeps the nested layout shallow).
pub const MAX_EXPANDED_DEPTH: usize = 24;

/// How a group is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupState {
    /// One node: `▸ name (children)`.
    Collapsed { children: usize },
    /// A frame around its children: `▾ name (children)`.
    Expanded { children: usize },
}

/// A node as drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct VisibleNode {
    pub id: NodeId,
    /// The expanded group this node is drawn inside.
    pub parent: Option<NodeId>,
    pub label: String,
    pub kind: NodeKind,
    /// For groups, the aggregate of their children.
    pub status: NodeStatus,
    /// `None` for plain tasks.
    pub group: Option<GroupState>,
    pub start_time: Option<DateTime<Utc>>,
    pub end_time: Option<DateTime<Utc>>,
}

/// The nodes and dependencies to lay out and draw, parents before children.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VisibleGraph {
    pub nodes: Vec<VisibleNode>,
    /// (upstream, downstream), both in `nodes` and in the same group.
    pub edges: Vec<(NodeId, NodeId)>,
    index: HashMap<NodeId, usize>,
}

impl VisibleGraph {
    pub fn node(&self, id: NodeId) -> Option<&VisibleNode> {
        self.index.get(&id).map(|&i| &self.nodes[i])
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

impl RunGraph {
    /// The graph as shown with the groups in `collapsed` folded into one node each.
    pub fn visible(&self, collapsed: &HashSet<NodeId>) -> VisibleGraph {
        let order = self.walk();
        let summary = self.summaries(&order);
        let mut out = VisibleGraph::default();
        // (node, drawn inside, nesting depth)
        let mut stack: Vec<(NodeId, Option<NodeId>, usize)> =
            self.roots().iter().rev().map(|&r| (r, None, 0)).collect();
        while let Some((id, parent, depth)) = stack.pop() {
            let Some(node) = self.node(id) else { continue };
            let (status, start_time, end_time) =
                summary
                    .get(&id)
                    .copied()
                    .unwrap_or((node.status, None, None));
            let children = node.children.len();
            let group = if !node.is_group() {
                None
            } else if children == 0 || collapsed.contains(&id) || depth >= MAX_EXPANDED_DEPTH {
                Some(GroupState::Collapsed { children })
            } else {
                Some(GroupState::Expanded { children })
            };
            out.index.insert(id, out.nodes.len());
            out.nodes.push(VisibleNode {
                id,
                parent,
                label: node.display_name.clone(),
                kind: node.kind,
                status,
                group,
                start_time,
                end_time,
            });
            if let Some(GroupState::Expanded { .. }) = group {
                stack.extend(
                    node.children
                        .iter()
                        .rev()
                        .map(|&c| (c, Some(id), depth + 1)),
                );
            }
        }
        out.edges = self
            .dependencies()
            .filter(|(a, b)| out.index.contains_key(a) && out.index.contains_key(b))
            .collect();
        out.edges.sort();
        out.edges.dedup();
        out
    }

    /// Status and times of every node, groups summarising their children: a group that
    /// failed, was cancelled or skipped by itself keeps that status, otherwise it shows the
    /// aggregate of its children; its times are its own, else its children's span.
    #[allow(clippy::type_complexity)]
    fn summaries(
        &self,
        order: &[NodeId],
    ) -> HashMap<NodeId, (NodeStatus, Option<DateTime<Utc>>, Option<DateTime<Utc>>)> {
        let mut out = HashMap::with_capacity(order.len());
        for &id in order.iter().rev() {
            let Some(node) = self.node(id) else { continue };
            let kids: Vec<_> = node
                .children
                .iter()
                .filter_map(|c| out.get(c))
                .copied()
                .collect();
            if kids.is_empty() {
                out.insert(id, (node.status, node.start_time, node.end_time));
                continue;
            }
            let own_final = matches!(
                node.status,
                NodeStatus::Failed | NodeStatus::Cancelled | NodeStatus::Skipped
            );
            let status = if own_final {
                node.status
            } else {
                NodeStatus::aggregate(kids.iter().map(|k| k.0)).unwrap_or(node.status)
            };
            let start = node
                .start_time
                .or_else(|| kids.iter().filter_map(|k| k.1).min());
            let end = node.end_time.or_else(|| {
                if status.is_terminal() {
                    kids.iter().filter_map(|k| k.2).max()
                } else {
                    None
                }
            });
            out.insert(id, (status, start, end));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::status::{RuntimeState, TaskDetail};
    use serde_json::json;

    #[test]
    fn a_collapsed_group_is_one_node_with_the_worst_child_status() {
        let spec = json!({
            "components": {"comp-sub": {"dag": {"tasks": {"x": {}, "y": {"dependentTasks": ["x"]}}}}},
            "root": {"dag": {"tasks": {
                "a": {}, "sub": {"componentRef": {"name": "comp-sub"}, "dependentTasks": ["a"]}
            }}}
        });
        let mut g = RunGraph::from_spec(&spec).unwrap();
        let details = [
            ("sub", "", RuntimeState::Running),
            ("x", "s", RuntimeState::Failed),
        ]
        .map(|(name, parent, state)| TaskDetail {
            task_id: if name == "sub" {
                "s".into()
            } else {
                name.into()
            },
            display_name: name.into(),
            parent_task_id: parent.into(),
            state,
            ..TaskDetail::default()
        });
        g.apply_task_details(&details);
        let sub = g.find("sub").unwrap();

        let open = g.visible(&HashSet::new());
        assert_eq!(open.len(), 4);
        assert_eq!(open.edges.len(), 2);
        assert_eq!(
            open.node(sub).unwrap().group,
            Some(GroupState::Expanded { children: 2 })
        );
        assert_eq!(open.node(sub).unwrap().status, NodeStatus::Failed);

        let closed = g.visible(&HashSet::from([sub]));
        assert_eq!(closed.len(), 2);
        assert_eq!(closed.edges.len(), 1);
        assert_eq!(
            closed.node(sub).unwrap().group,
            Some(GroupState::Collapsed { children: 2 })
        );
        assert_eq!(closed.node(sub).unwrap().status, NodeStatus::Failed);
    }
}
