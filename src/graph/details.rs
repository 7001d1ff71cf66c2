//! Matching a run's `task_details` to the spec's tasks.
//!
//! A detail's place is found from its parent: the run's root DAG detail (no parent, parent of
//! others, not a task) stands for the root level; below it a detail matches the task of the
//! same name in its parent's DAG (KFP display names of sub-DAG children are the task names).
//! ParallelFor iterations (`for-loop-2(0)`, `for-loop-2-iteration-0`, `iteration-item(0)`, or
//! the loop's own name under the loop) become `LoopIteration` nodes holding a copy of the loop
//! body. Details that match nothing become extra nodes rather than being dropped. Matches are
//! remembered by task id, so applying the same details again changes nothing.

use std::collections::{HashMap, HashSet};

use super::model::{NodeId, NodeKind, RunGraph, TaskNode};
use super::status::TaskDetail;

/// Where a detail landed: the run's root level or a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Root,
    Node(NodeId),
}

impl RunGraph {
    /// Updates statuses, times, ids and errors from a Run's `run_details.task_details`.
    pub fn apply_task_details(&mut self, details: &[TaskDetail]) {
        let index: HashMap<&str, usize> = details
            .iter()
            .enumerate()
            .filter(|(_, d)| !d.task_id.is_empty())
            .map(|(i, d)| (d.task_id.as_str(), i))
            .collect();
        let parents: HashSet<&str> = details
            .iter()
            .map(|d| d.parent_task_id.as_str())
            .filter(|p| !p.is_empty())
            .collect();
        let mut placed: Vec<Option<Place>> = vec![None; details.len()];
        for start in 0..details.len() {
            if placed[start].is_some() {
                continue;
            }
            // Walk up to the first placed ancestor (or the top), then place downwards.
            let mut chain = vec![start];
            let mut seen = HashSet::from([start]);
            while let Some(&parent) = chain
                .last()
                .and_then(|&c| index.get(details[c].parent_task_id.as_str()))
            {
                if placed[parent].is_some() || !seen.insert(parent) {
                    break;
                }
                chain.push(parent);
            }
            for &i in chain.iter().rev() {
                let scope = match index.get(details[i].parent_task_id.as_str()) {
                    Some(&p) => match placed[p] {
                        Some(Place::Node(id)) => Some(id),
                        _ => None,
                    },
                    None => None,
                };
                let is_parent = parents.contains(details[i].task_id.as_str());
                placed[i] = Some(self.place(&details[i], scope, is_parent));
            }
        }
    }

    fn place(&mut self, detail: &TaskDetail, scope: Option<NodeId>, is_parent: bool) -> Place {
        if let Some(id) = self.find_task_id(&detail.task_id) {
            self.update(id, detail);
            return Place::Node(id);
        }
        let name = detail.display_name.as_str();
        let scope_node = scope.and_then(|s| self.node(s));
        if let Some(looped) = scope_node.filter(|n| n.kind == NodeKind::Loop) {
            let loop_name = looped.name.clone();
            let iterations = looped
                .children
                .iter()
                .filter_map(|&c| self.node(c))
                .filter(|c| c.kind == NodeKind::LoopIteration)
                .count();
            let claimed = looped
                .children
                .iter()
                .filter_map(|&c| self.node(c))
                .filter(|c| c.kind == NodeKind::LoopIteration && c.task_id.is_some())
                .count();
            let index = iteration_index(name, &loop_name).or_else(|| {
                (name == loop_name || name.starts_with("iteration")).then_some(claimed)
            });
            if let (Some(index), Some(looped)) = (index, scope) {
                let id = self.iteration(looped, index);
                self.update(id, detail);
                return Place::Node(id);
            }
            // A server that reports no iteration nodes: the body's tasks sit under the loop.
            if iterations > 0 {
                return self.extra(detail, scope);
            }
        }
        if let Some(id) = self.match_child(scope, name, &detail.task_id) {
            self.update(id, detail);
            return Place::Node(id);
        }
        // An iteration reported directly under the loop's own DAG.
        let siblings: Vec<NodeId> = match scope {
            Some(s) => self.children(s).to_vec(),
            None => self.roots().to_vec(),
        };
        for sibling in siblings {
            let Some(node) = self.node(sibling) else {
                continue;
            };
            if node.kind == NodeKind::Loop {
                if let Some(index) = iteration_index(name, &node.name) {
                    let id = self.iteration(sibling, index);
                    self.update(id, detail);
                    return Place::Node(id);
                }
            }
        }
        if scope.is_none() && is_parent {
            return Place::Root;
        }
        self.extra(detail, scope)
    }

    /// The unclaimed (or already ours) child of `scope` named `name`.
    fn match_child(&self, scope: Option<NodeId>, name: &str, task_id: &str) -> Option<NodeId> {
        let candidates = match scope {
            Some(s) => self.children(s),
            None => self.roots(),
        };
        candidates.iter().copied().find(|&c| {
            self.node(c).is_some_and(|n| {
                n.from_spec
                    && (n.name == name || n.display_name == name)
                    && n.task_id
                        .as_deref()
                        .is_none_or(|t| t == task_id || task_id.is_empty())
            })
        })
    }

    /// A node for a detail the spec does not know (reused for id-less details by name).
    fn extra(&mut self, detail: &TaskDetail, scope: Option<NodeId>) -> Place {
        let candidates = match scope {
            Some(s) => self.children(s),
            None => self.roots(),
        };
        let existing = detail.task_id.is_empty().then(|| {
            candidates.iter().copied().find(|&c| {
                self.node(c)
                    .is_some_and(|n| !n.from_spec && n.display_name == detail.display_name)
            })
        });
        let id = match existing.flatten() {
            Some(id) => id,
            None => {
                let name = if detail.display_name.is_empty() {
                    detail.task_id.as_str()
                } else {
                    detail.display_name.as_str()
                };
                self.add_node(TaskNode::new(name, name, NodeKind::Task), scope)
            }
        };
        self.update(id, detail);
        Place::Node(id)
    }

    /// The iteration `index` of a loop, created (with a copy of the body) when new. The first
    /// iteration takes over the body nodes the spec gave the loop.
    pub(super) fn iteration(&mut self, looped: NodeId, index: usize) -> NodeId {
        let children = self.children(looped).to_vec();
        let existing: Vec<NodeId> = children
            .iter()
            .copied()
            .filter(|&c| {
                self.node(c)
                    .is_some_and(|n| n.kind == NodeKind::LoopIteration)
            })
            .collect();
        if let Some(&found) = existing
            .iter()
            .find(|&&c| self.node(c).is_some_and(|n| n.iteration == Some(index)))
        {
            return found;
        }
        let loop_name = self
            .node(looped)
            .map(|n| n.name.clone())
            .unwrap_or_default();
        let mut node = TaskNode::new(
            &format!("{loop_name}-iteration-{index}"),
            &format!("iteration {index}"),
            NodeKind::LoopIteration,
        );
        node.iteration = Some(index);
        node.from_spec = true;
        let id = self.add_node(node, Some(looped));
        match existing.first() {
            None => {
                for &b in &children {
                    if let Some(n) = self.node_mut(b) {
                        n.parent = Some(id);
                    }
                }
                if let Some(n) = self.node_mut(id) {
                    n.children = children;
                }
                if let Some(n) = self.node_mut(looped) {
                    n.children = vec![id];
                }
            }
            Some(&first) => self.copy_children(first, id),
        }
        let mut kids = self.children(looped).to_vec();
        kids.sort_by_key(|&k| self.node(k).and_then(|n| n.iteration));
        if let Some(n) = self.node_mut(looped) {
            n.children = kids;
        }
        id
    }

    fn update(&mut self, id: NodeId, detail: &TaskDetail) {
        if !detail.task_id.is_empty() {
            self.by_task_id.insert(detail.task_id.clone(), id);
        }
        let Some(node) = self.node_mut(id) else {
            return;
        };
        if !detail.task_id.is_empty() {
            node.task_id = Some(detail.task_id.clone());
        }
        node.status = detail.status();
        node.create_time = detail.created();
        node.start_time = detail.started();
        node.end_time = detail.ended();
        node.error = detail.error_message();
        let pod = Some(detail.pod_name.clone())
            .filter(|p| !p.is_empty())
            .or_else(|| detail.child_tasks.iter().find_map(|c| c.pod_name.clone()));
        if pod.is_some() {
            node.pod_name = pod;
        }
    }
}

/// The iteration index in names like `for-loop-2(3)`, `for-loop-2-iteration-3`,
/// `for-loop-2 #3`, `iteration-item(3)` or `3`.
fn iteration_index(name: &str, loop_name: &str) -> Option<usize> {
    if !name.is_empty() && name.chars().all(|c| c.is_ascii_digit()) {
        return name.parse().ok();
    }
    let rest = match name.strip_prefix(loop_name) {
        Some(rest) if !loop_name.is_empty() => rest,
        _ => name.strip_prefix("iteration")?,
    };
    // `for-loop-23` is another task, not iteration 3 of `for-loop-2`.
    if !rest.starts_with(|c: char| !c.is_ascii_alphanumeric()) {
        return None;
    }
    let digits_at = rest.find(|c: char| c.is_ascii_digit())?;
    let words = rest[..digits_at]
        .replace("iteration", "")
        .replace("item", "");
    if !words.chars().all(|c| "-_ ()[]#:.".contains(c)) {
        return None;
    }
    let digits: String = rest[digits_at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let tail = &rest[digits_at + digits.len()..];
    if !tail
        .chars()
        .all(|c| c.is_ascii_digit() || ")]: ".contains(c))
    {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::status::{NodeStatus, RuntimeState};
    use serde_json::json;

    fn detail(id: &str, name: &str, parent: &str, state: RuntimeState) -> TaskDetail {
        TaskDetail {
            task_id: id.into(),
            display_name: name.into(),
            parent_task_id: parent.into(),
            state,
            ..TaskDetail::default()
        }
    }

    fn looped_spec() -> serde_json::Value {
        json!({
            "components": {"comp-for-loop-2": {"dag": {"tasks": {
                "train": {}, "score": {"dependentTasks": ["train"]}
            }}}},
            "root": {"dag": {"tasks": {
                "prepare": {},
                "for-loop-2": {"componentRef": {"name": "comp-for-loop-2"},
                    "parameterIterator": {"items": {"raw": "[1,2]"}}, "dependentTasks": ["prepare"]}
            }}}
        })
    }

    #[test]
    fn iteration_names() {
        assert_eq!(iteration_index("for-loop-2(3)", "for-loop-2"), Some(3));
        assert_eq!(
            iteration_index("for-loop-2-iteration-3", "for-loop-2"),
            Some(3)
        );
        assert_eq!(iteration_index("for-loop-2 #12", "for-loop-2"), Some(12));
        assert_eq!(iteration_index("iteration-item(0:4)", "x"), Some(0));
        assert_eq!(iteration_index("for-loop-23", "for-loop-2"), None);
        assert_eq!(iteration_index("for-loop-2-driver", "for-loop-2"), None);
        assert_eq!(iteration_index("train", "for-loop-2"), None);
    }

    #[test]
    fn loop_iterations_get_a_copy_of_the_body_and_their_own_statuses() {
        use RuntimeState::*;
        let mut g = RunGraph::from_spec(&looped_spec()).unwrap();
        let details = vec![
            detail("root", "my-run-abc", "", Running),
            detail("p", "prepare", "root", Succeeded),
            detail("l", "for-loop-2", "root", Running),
            detail("i0", "for-loop-2(0)", "l", Running),
            detail("i1", "for-loop-2(1)", "l", Failed),
            detail("t0", "train", "i0", Running),
            detail("t1", "train", "i1", Failed),
            detail("x", "mystery", "root", Pending),
        ];
        g.apply_task_details(&details);
        let before = g.len();
        g.apply_task_details(&details);
        assert_eq!(
            g.len(),
            before,
            "applying the same details twice adds nothing"
        );
        let looped = g.find("for-loop-2").unwrap();
        let iterations = g.children(looped).to_vec();
        assert_eq!(iterations.len(), 2);
        let it1 = g.node(iterations[1]).unwrap();
        assert_eq!(
            (it1.kind, it1.iteration),
            (NodeKind::LoopIteration, Some(1))
        );
        assert_eq!(it1.status, NodeStatus::Failed);
        let t1 = g.find_task_id("t1").unwrap();
        assert_eq!(g.node(t1).unwrap().parent, Some(iterations[1]));
        // The copied body keeps its dependency.
        let score1 = *g
            .children(iterations[1])
            .iter()
            .find(|&&c| g.node(c).unwrap().name == "score")
            .unwrap();
        assert_eq!(g.upstream(score1), vec![t1]);
        assert_eq!(g.node(score1).unwrap().status, NodeStatus::Pending);
        let mystery = g.find_task_id("x").unwrap();
        assert!(!g.node(mystery).unwrap().from_spec);
        assert_eq!(g.node(mystery).unwrap().parent, None);
        assert_eq!(
            g.node(g.find("prepare").unwrap()).unwrap().status,
            NodeStatus::Succeeded
        );
    }
}
