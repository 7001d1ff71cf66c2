//! The run graph pane's model and geometry: a KFP run's task DAG read from the pipeline spec
//! ([`RunGraph::from_spec`]), kept up to date from the Run's `task_details`
//! ([`RunGraph::apply_task_details`]), folded for display ([`RunGraph::visible`]), laid out
//! in terminal cells by our own layered layout ([`Layout::compute`]); the console draws it
//! (`tui::graph_draw`). Nothing here touches the terminal or the network.
//!
//! The layout depends only on the visible structure (names, groups, dependencies), not on
//! statuses or times: a pane can keep it until a group is folded or new tasks appear.

mod details;
mod layered;
pub mod layout;
pub mod model;
mod placement;
mod routing;
mod spec;
pub mod status;
pub mod visible;

pub use layout::{CellRect, Direction, Layout, PlacedEdge, PlacedNode};
pub use model::{GraphError, NodeId, NodeKind, RunGraph, TaskNode};
pub use status::{NodeStatus, RuntimeState, TaskDetail};
pub use visible::{GroupState, VisibleGraph, VisibleNode};
