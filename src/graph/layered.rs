//! One level of our layered (Sugiyama-style) layout, top to bottom: boxes of any size and the
//! dependencies between them, in cell coordinates.
//!
//! 1. Layers: longest path from the sources, so every edge points down.
//! 2. Edges spanning several layers get a one-column dummy node per skipped layer.
//! 3. Order within layers: barycenter sweeps down and up, keeping the order with the fewest
//!    crossings.
//! 4. Columns: each layer is pulled towards its neighbours' centres in alternating passes; the
//!    closest placement that keeps the order and the gaps is an isotonic regression (PAV).
//! 5. Routing: every edge leaves its source through its own port on the bottom border and
//!    enters the target through its own port on the top border. Between two layers it runs
//!    down, along a horizontal track, and down again; tracks are assigned left-edge first,
//!    with an edge whose source column is another edge's target column placed above it (and a
//!    dogleg through a spare column when two edges swap columns), so two edges never share a
//!    cell except where they cross.

use super::{placement, routing};

/// A box to place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Item {
    pub w: i32,
    pub h: i32,
}

/// An edge's cells, from just below the source to just above the target.
pub(super) type Path = Vec<(i32, i32)>;

/// Where the items and edges of one level went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct LevelLayout {
    /// Top-left corner of each item.
    pub pos: Vec<(i32, i32)>,
    pub layer: Vec<usize>,
    /// (from item, to item, cells from below the source to above the target).
    pub paths: Vec<(usize, usize, Path)>,
    pub width: i32,
    pub height: i32,
}

/// A node of the layered graph: an item or a one-column dummy on a long edge.
#[derive(Debug, Clone, Copy)]
pub(super) struct LNode {
    pub(super) w: i32,
    /// The item, or `None` for a dummy.
    pub(super) item: Option<usize>,
}

/// An edge's stretch between two consecutive layers.
#[derive(Debug, Clone, Copy)]
pub(super) struct Segment {
    pub(super) upper: usize,
    pub(super) lower: usize,
    /// Source column (on `upper`'s bottom) and target column (on `lower`'s top).
    pub(super) px: i32,
    pub(super) qx: i32,
    pub(super) track: Option<usize>,
    /// For a dogleg: the spare column and the second track.
    pub(super) dogleg: Option<(i32, usize)>,
}

/// Lays out one level.
pub(super) fn layout_level(items: &[Item], edges: &[(usize, usize)]) -> LevelLayout {
    let n = items.len();
    if n == 0 {
        return LevelLayout::default();
    }
    let mut edges = clean_edges(n, edges);
    let item_layer = layers_by_longest_path(n, &edges);
    // Only a cyclic input (refused by the model) has edges that do not point down.
    edges.retain(|&(u, v)| item_layer[u] < item_layer[v]);
    let layer_count = item_layer.iter().max().map_or(1, |m| m + 1);

    // Layered graph with dummies.
    let mut lnodes: Vec<LNode> = items
        .iter()
        .enumerate()
        .map(|(i, it)| LNode {
            w: it.w.max(1),
            item: Some(i),
        })
        .collect();
    let mut lnode_layer = item_layer.clone();
    let mut chains: Vec<Vec<usize>> = Vec::with_capacity(edges.len());
    for &(u, v) in &edges {
        let mut chain = vec![u];
        for layer in item_layer[u] + 1..item_layer[v] {
            chain.push(lnodes.len());
            lnodes.push(LNode { w: 1, item: None });
            lnode_layer.push(layer);
        }
        chain.push(v);
        chains.push(chain);
    }
    let mut up = vec![Vec::new(); lnodes.len()];
    let mut down = vec![Vec::new(); lnodes.len()];
    for chain in &chains {
        for pair in chain.windows(2) {
            down[pair[0]].push(pair[1]);
            up[pair[1]].push(pair[0]);
        }
    }
    let mut layers: Vec<Vec<usize>> = vec![Vec::new(); layer_count];
    for (v, &l) in lnode_layer.iter().enumerate() {
        layers[l].push(v);
    }

    placement::order_layers(&mut layers, &up, &down, lnodes.len());
    let anchor = placement::place_columns(&layers, &lnodes, &up, &down);

    // One segment per edge per pair of layers, and its ports.
    let mut segments: Vec<Segment> = Vec::new();
    let mut chain_segments: Vec<Vec<usize>> = Vec::with_capacity(chains.len());
    for chain in &chains {
        let mut ids = Vec::with_capacity(chain.len() - 1);
        for pair in chain.windows(2) {
            ids.push(segments.len());
            segments.push(Segment {
                upper: pair[0],
                lower: pair[1],
                px: 0,
                qx: 0,
                track: None,
                dogleg: None,
            });
        }
        chain_segments.push(ids);
    }
    routing::assign_ports(&mut segments, &lnodes, &anchor, &lnode_layer, layer_count);

    // Tracks per channel, then rows.
    let mut by_channel: Vec<Vec<usize>> = vec![Vec::new(); layer_count];
    for (s, seg) in segments.iter().enumerate() {
        by_channel[lnode_layer[seg.upper]].push(s);
    }
    let width = (0..lnodes.len())
        .map(|v| anchor[v] - lnodes[v].w / 2 + lnodes[v].w)
        .max()
        .unwrap_or(0);
    let mut channel_h = vec![1; layer_count];
    for (l, segs) in by_channel.iter().enumerate() {
        let tracks = routing::assign_tracks(&mut segments, segs, width);
        channel_h[l] = match (segs.is_empty(), tracks) {
            (true, _) => 1,
            (false, 0) => 2,
            (false, t) => t as i32 + 2,
        };
    }
    let band_h: Vec<i32> = (0..layer_count)
        .map(|l| {
            layers[l]
                .iter()
                .filter_map(|&v| lnodes[v].item.map(|i| items[i].h.max(1)))
                .max()
                .unwrap_or(1)
        })
        .collect();
    let mut band_top = vec![0; layer_count];
    let mut y = 0;
    for l in 0..layer_count {
        band_top[l] = y;
        y += band_h[l];
        if l + 1 < layer_count {
            y += channel_h[l];
        }
    }
    let height = y;

    // Paths.
    let seg_path = |seg: &Segment| -> Path {
        let l = lnode_layer[seg.upper];
        let start = match lnodes[seg.upper].item {
            Some(i) => band_top[l] + items[i].h.max(1),
            None => band_top[l],
        };
        routing::segment_path(seg, start, band_top[l] + band_h[l] + 1, band_top[l + 1] - 1)
    };
    let paths = edges
        .iter()
        .zip(&chain_segments)
        .map(|(&(u, v), segs)| {
            let cells = segs.iter().flat_map(|&s| seg_path(&segments[s])).collect();
            (u, v, cells)
        })
        .collect();

    let pos: Vec<(i32, i32)> = (0..n)
        .map(|i| (anchor[i] - lnodes[i].w / 2, band_top[item_layer[i]]))
        .collect();
    LevelLayout {
        pos,
        layer: item_layer,
        paths,
        width,
        height,
    }
}

/// In-range, deduplicated, without self-loops.
fn clean_edges(n: usize, edges: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = edges
        .iter()
        .copied()
        .filter(|&(u, v)| u < n && v < n && u != v)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Layer of each item: the longest path from a source. In a cyclic input (which the model
/// refuses) edges against the order found are ignored.
fn layers_by_longest_path(n: usize, edges: &[(usize, usize)]) -> Vec<usize> {
    let mut indegree = vec![0usize; n];
    let mut out = vec![Vec::new(); n];
    for &(u, v) in edges {
        indegree[v] += 1;
        out[u].push(v);
    }
    let mut ready: std::collections::BTreeSet<usize> =
        (0..n).filter(|&v| indegree[v] == 0).collect();
    let mut rank = vec![usize::MAX; n];
    let mut next = 0;
    while next < n {
        let v = match ready.pop_first() {
            Some(v) => v,
            // A cycle: continue with the lowest unranked node.
            None => match (0..n).find(|&v| rank[v] == usize::MAX) {
                Some(v) => v,
                None => break,
            },
        };
        if rank[v] != usize::MAX {
            continue;
        }
        rank[v] = next;
        next += 1;
        for &w in &out[v] {
            indegree[w] = indegree[w].saturating_sub(1);
            if indegree[w] == 0 && rank[w] == usize::MAX {
                ready.insert(w);
            }
        }
    }
    let mut by_rank: Vec<usize> = (0..n).collect();
    by_rank.sort_by_key(|&v| rank[v]);
    let mut layer = vec![0usize; n];
    let mut incoming = vec![Vec::new(); n];
    for &(u, v) in edges {
        incoming[v].push(u);
    }
    for &v in &by_rank {
        layer[v] = incoming[v]
            .iter()
            .filter(|&&u| rank[u] < rank[v])
            .map(|&u| layer[u] + 1)
            .max()
            .unwrap_or(0);
    }
    layer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diamond_takes_three_layers_with_edges_from_bottom_to_top_borders() {
        let items = vec![Item { w: 12, h: 3 }; 4];
        let out = layout_level(&items, &[(0, 1), (0, 2), (1, 3), (2, 3)]);
        assert_eq!(out.layer, vec![0, 1, 1, 2]);
        assert_eq!(out.paths.len(), 4);
        for (u, v, path) in &out.paths {
            let (first, last) = (path[0], path[path.len() - 1]);
            assert_eq!(first.1, out.pos[*u].1 + 3);
            assert_eq!(last.1 + 1, out.pos[*v].1);
        }
        // The two middle boxes sit side by side.
        assert_eq!(out.pos[1].1, out.pos[2].1);
        assert!(out.pos[1].0 + 12 < out.pos[2].0 || out.pos[2].0 + 12 < out.pos[1].0);
    }

    #[test]
    fn a_long_edge_runs_through_the_layers_it_skips() {
        let items = vec![Item { w: 10, h: 3 }; 3];
        let out = layout_level(&items, &[(0, 1), (1, 2), (0, 2)]);
        assert_eq!(out.layer, vec![0, 1, 2]);
        let long = out.paths.iter().find(|p| (p.0, p.1) == (0, 2)).unwrap();
        assert_eq!(long.2.last().unwrap().1 + 1, out.pos[2].1);
        assert!(long.2.iter().all(|&(x, y)| {
            let (bx, by) = out.pos[1];
            !(x >= bx && x < bx + 10 && y >= by && y < by + 3)
        }));
    }
}
