//! Cell geometry of a visible run graph: node boxes, group frames and edge paths, top to
//! bottom like the KFP UI. Each DAG level is laid out by [`super::layered`]; an expanded group
//! is a box of its own at its level, framing its children's layout (edges never cross a
//! group's frame, because KFP dependencies stay within one DAG).

use std::collections::HashMap;

use unicode_width::UnicodeWidthStr;

use super::layered::{self, Item};
use super::model::NodeId;
use super::visible::{GroupState, VisibleGraph, VisibleNode};
use crate::text::ellipsize;

/// Columns kept for the duration, so a running task's box does not grow each second.
pub const DURATION_WIDTH: usize = 6;
/// Longer names are cut with `…`.
pub const MAX_LABEL_WIDTH: usize = 32;
/// Node boxes are three rows: border, text, border.
pub const NODE_HEIGHT: u16 = 3;
/// Columns around the text: `│ ✓ ` before, ` 1m23s │` after.
const BOX_CHROME: usize = 4 + 1 + DURATION_WIDTH + 2;

/// A rectangle of cells (the console converts it to its terminal's rectangles to draw).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct CellRect {
    pub x: u16,
    pub y: u16,
    pub width: u16,
    pub height: u16,
}

impl CellRect {
    /// A rectangle kept within the `u16` plane: its width and height are cut so that it ends
    /// by `u16::MAX` (as ratatui's `Rect::new` does, so drawing it loses nothing).
    pub fn new(x: u16, y: u16, width: u16, height: u16) -> CellRect {
        CellRect {
            x,
            y,
            width: width.min(u16::MAX - x),
            height: height.min(u16::MAX - y),
        }
    }
}

/// A box (node or group frame) and its layer within its DAG level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlacedNode {
    pub id: NodeId,
    pub rect: CellRect,
    pub layer: u16,
}

/// An edge as the cells it runs through, from just below the source's bottom border to just
/// above the target's top border (where the arrow is drawn).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedEdge {
    pub from: NodeId,
    pub to: NodeId,
    pub path: Vec<(u16, u16)>,
}

/// Where everything goes, in cells from the graph's top-left corner.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout {
    /// Tasks and collapsed groups (three-row boxes).
    pub nodes: Vec<PlacedNode>,
    /// Expanded groups' frames, outer ones first.
    pub groups: Vec<PlacedNode>,
    pub edges: Vec<PlacedEdge>,
    pub width: u16,
    pub height: u16,
    /// id → (is group, index).
    index: HashMap<NodeId, (bool, usize)>,
    /// Bounding box of each edge's path (the renderer skips edges out of view).
    edge_bounds: Vec<CellRect>,
}

/// For [`Layout::next_node`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
    Left,
    Right,
}

/// The text between the status symbol and the duration: `name`, or `▸ name (n)` for a
/// collapsed group and `▾ name (n)` for an expanded one (`>`/`v` in ASCII).
pub fn node_text(node: &VisibleNode, ascii: bool) -> String {
    let label = ellipsize(&node.label, MAX_LABEL_WIDTH);
    match (node.group, ascii) {
        (None, _) => label,
        (Some(GroupState::Collapsed { children }), false) => format!("▸ {label} ({children})"),
        (Some(GroupState::Collapsed { children }), true) => format!("> {label} ({children})"),
        (Some(GroupState::Expanded { children }), false) => format!("▾ {label} ({children})"),
        (Some(GroupState::Expanded { children }), true) => format!("v {label} ({children})"),
    }
}

/// Width of a node's box (and the least width of a group's frame).
pub fn box_width(node: &VisibleNode) -> u16 {
    clamp16((node_text(node, false).width() + BOX_CHROME) as i64)
}

fn clamp16(v: i64) -> u16 {
    v.clamp(0, i64::from(u16::MAX)) as u16
}

/// One level's result in level-local coordinates.
/// A box in level coordinates: (id, [x, y, w, h], layer).
type SubBox = (NodeId, [i32; 4], usize);

#[derive(Default)]
struct Sub {
    nodes: Vec<SubBox>,
    groups: Vec<SubBox>,
    edges: Vec<(NodeId, NodeId, layered::Path)>,
    w: i32,
    h: i32,
}

impl Layout {
    /// Lays out `graph` (nodes whose parent is not an expanded group in `graph` are skipped).
    pub fn compute(graph: &VisibleGraph) -> Layout {
        let mut members: HashMap<Option<NodeId>, Vec<usize>> = HashMap::new();
        for (i, n) in graph.nodes.iter().enumerate() {
            members.entry(n.parent).or_default().push(i);
        }
        let mut edges: HashMap<Option<NodeId>, Vec<(NodeId, NodeId)>> = HashMap::new();
        for &(a, b) in &graph.edges {
            if let (Some(na), Some(nb)) = (graph.node(a), graph.node(b)) {
                if na.parent == nb.parent {
                    edges.entry(na.parent).or_default().push((a, b));
                }
            }
        }
        let sub = level(graph, None, &members, &edges);
        let rect = |r: [i32; 4]| {
            CellRect::new(
                clamp16(r[0].into()),
                clamp16(r[1].into()),
                clamp16(r[2].into()),
                clamp16(r[3].into()),
            )
        };
        let placed = |v: Vec<SubBox>| -> Vec<PlacedNode> {
            v.into_iter()
                .map(|(id, r, layer)| PlacedNode {
                    id,
                    rect: rect(r),
                    layer: clamp16(layer as i64),
                })
                .collect()
        };
        let mut layout = Layout {
            nodes: placed(sub.nodes),
            groups: placed(sub.groups),
            edges: sub
                .edges
                .into_iter()
                .map(|(from, to, path)| PlacedEdge {
                    from,
                    to,
                    path: path
                        .into_iter()
                        .map(|(x, y)| (clamp16(x.into()), clamp16(y.into())))
                        .collect(),
                })
                .collect(),
            width: clamp16(sub.w.into()),
            height: clamp16(sub.h.into()),
            index: HashMap::new(),
            edge_bounds: Vec::new(),
        };
        layout.edge_bounds = layout.edges.iter().map(|e| bounds(&e.path)).collect();
        for (i, n) in layout.nodes.iter().enumerate() {
            layout.index.insert(n.id, (false, i));
        }
        for (i, g) in layout.groups.iter().enumerate() {
            layout.index.insert(g.id, (true, i));
        }
        layout
    }

    /// The bounding box of edge `i`'s path.
    pub(crate) fn edge_bounds(&self, i: usize) -> CellRect {
        self.edge_bounds.get(i).copied().unwrap_or_default()
    }

    /// The box or frame of `id`.
    pub fn rect_of(&self, id: NodeId) -> Option<CellRect> {
        self.placed(id).map(|p| p.rect)
    }

    /// Whether `id` is drawn as an expanded group's frame.
    pub fn is_group(&self, id: NodeId) -> bool {
        matches!(self.index.get(&id), Some((true, _)))
    }

    fn placed(&self, id: NodeId) -> Option<&PlacedNode> {
        match self.index.get(&id)? {
            (false, i) => self.nodes.get(*i),
            (true, i) => self.groups.get(*i),
        }
    }

    /// The node box at a cell, else the innermost group frame around it.
    pub fn node_at(&self, x: u16, y: u16) -> Option<NodeId> {
        let hit = |r: &CellRect| x >= r.x && y >= r.y && x - r.x < r.width && y - r.y < r.height;
        self.nodes
            .iter()
            .find(|n| hit(&n.rect))
            .or_else(|| self.groups.iter().rev().find(|g| hit(&g.rect)))
            .map(|n| n.id)
    }

    /// The top-most, then left-most node: where a selection starts.
    pub fn first_node(&self) -> Option<NodeId> {
        self.nodes
            .iter()
            .chain(&self.groups)
            .min_by_key(|n| (n.rect.y, n.rect.x))
            .map(|n| n.id)
    }

    /// The nearest box in `dir` from `from`'s, by geometry: boxes overlapping `from`'s span
    /// across the move count as straight ahead. A group is reached at its title row.
    pub fn next_node(&self, from: NodeId, dir: Direction) -> Option<NodeId> {
        let cur = *self.placed(from)?;
        let point = |p: &PlacedNode| -> (i64, i64) {
            let r = p.rect;
            let y = if self.is_group(p.id) {
                i64::from(r.y) + 1
            } else {
                i64::from(r.y) + i64::from(r.height) / 2
            };
            (i64::from(r.x) + i64::from(r.width) / 2, y)
        };
        let span = |r: CellRect, horizontal: bool| -> (i64, i64) {
            if horizontal {
                (i64::from(r.x), i64::from(r.x) + i64::from(r.width) - 1)
            } else {
                (i64::from(r.y), i64::from(r.y) + i64::from(r.height) - 1)
            }
        };
        let (cx, cy) = point(&cur);
        self.nodes
            .iter()
            .chain(&self.groups)
            .filter(|p| p.id != from)
            .filter_map(|p| {
                let (x, y) = point(p);
                let (ahead, side, across_x) = match dir {
                    Direction::Down => (y - cy, x - cx, true),
                    Direction::Up => (cy - y, x - cx, true),
                    Direction::Right => (x - cx, y - cy, false),
                    Direction::Left => (cx - x, y - cy, false),
                };
                if ahead <= 0 {
                    return None;
                }
                let (a0, a1) = span(cur.rect, across_x);
                let (b0, b1) = span(p.rect, across_x);
                let side = if a0 <= b1 && b0 <= a1 { 0 } else { side.abs() };
                Some((ahead + 3 * side, p.rect.y, p.rect.x, p.id))
            })
            .min()
            .map(|(.., id)| id)
    }
}

fn bounds(path: &[(u16, u16)]) -> CellRect {
    let (mut x0, mut y0, mut x1, mut y1) = (u16::MAX, u16::MAX, 0, 0);
    for &(x, y) in path {
        (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
    }
    if x0 > x1 {
        return CellRect::default();
    }
    CellRect::new(x0, y0, x1 - x0 + 1, y1 - y0 + 1)
}

/// Lays out the members of one DAG level (recursing into expanded groups).
fn level(
    graph: &VisibleGraph,
    parent: Option<NodeId>,
    members: &HashMap<Option<NodeId>, Vec<usize>>,
    edges: &HashMap<Option<NodeId>, Vec<(NodeId, NodeId)>>,
) -> Sub {
    let Some(list) = members.get(&parent) else {
        return Sub::default();
    };
    let mut local: HashMap<NodeId, usize> = HashMap::with_capacity(list.len());
    let mut items = Vec::with_capacity(list.len());
    let mut inner: Vec<Option<Sub>> = Vec::with_capacity(list.len());
    for (k, &i) in list.iter().enumerate() {
        let node = &graph.nodes[i];
        local.insert(node.id, k);
        let min_w = i32::from(box_width(node));
        if matches!(node.group, Some(GroupState::Expanded { .. })) {
            let sub = level(graph, Some(node.id), members, edges);
            items.push(Item {
                w: (sub.w + 4).max(min_w),
                h: sub.h + 4,
            });
            inner.push(Some(sub));
        } else {
            items.push(Item {
                w: min_w,
                h: i32::from(NODE_HEIGHT),
            });
            inner.push(None);
        }
    }
    let level_edges: Vec<(usize, usize)> = edges
        .get(&parent)
        .map(|v| {
            v.iter()
                .filter_map(|(a, b)| Some((*local.get(a)?, *local.get(b)?)))
                .collect()
        })
        .unwrap_or_default();
    let placed = layered::layout_level(&items, &level_edges);
    let mut out = Sub {
        w: placed.width,
        h: placed.height,
        ..Sub::default()
    };
    for (k, &i) in list.iter().enumerate() {
        let id = graph.nodes[i].id;
        let (x, y) = placed.pos[k];
        let rect = [x, y, items[k].w, items[k].h];
        match inner[k].take() {
            None => out.nodes.push((id, rect, placed.layer[k])),
            Some(sub) => {
                out.groups.push((id, rect, placed.layer[k]));
                // Children centred under the title row.
                let (dx, dy) = (x + (items[k].w - sub.w) / 2, y + 3);
                let shift = |r: [i32; 4]| [r[0] + dx, r[1] + dy, r[2], r[3]];
                out.nodes
                    .extend(sub.nodes.into_iter().map(|(i, r, l)| (i, shift(r), l)));
                out.groups
                    .extend(sub.groups.into_iter().map(|(i, r, l)| (i, shift(r), l)));
                out.edges.extend(sub.edges.into_iter().map(|(a, b, p)| {
                    (a, b, p.into_iter().map(|(x, y)| (x + dx, y + dy)).collect())
                }));
            }
        }
    }
    for (u, v, path) in placed.paths {
        out.edges
            .push((graph.nodes[list[u]].id, graph.nodes[list[v]].id, path));
    }
    out
}
