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

use std::collections::{HashMap, HashSet};

/// A box to place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Item {
    pub w: i32,
    pub h: i32,
}

/// Where the items and edges of one level went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct LevelLayout {
    /// Top-left corner of each item.
    pub pos: Vec<(i32, i32)>,
    pub layer: Vec<usize>,
    /// (from item, to item, cells from below the source to above the target).
    pub paths: Vec<(usize, usize, Vec<(i32, i32)>)>,
    pub width: i32,
    pub height: i32,
}

/// Blank columns between two boxes, and next to an edge passing a layer.
const GAP_NODES: i32 = 2;
const GAP_DUMMY: i32 = 1;
const ORDER_SWEEPS: usize = 8;
const PLACEMENT_PASSES: usize = 4;

#[derive(Debug, Clone, Copy)]
struct LNode {
    w: i32,
    /// The item, or `None` for a dummy.
    item: Option<usize>,
}

#[derive(Debug, Clone, Copy)]
struct Segment {
    upper: usize,
    lower: usize,
    /// Source column (on `upper`'s bottom) and target column (on `lower`'s top).
    px: i32,
    qx: i32,
    track: Option<usize>,
    /// For a dogleg: the spare column and the second track.
    dogleg: Option<(i32, usize)>,
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
        .map(|(i, it)| LNode { w: it.w.max(1), item: Some(i) })
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

    order_layers(&mut layers, &up, &down, lnodes.len());
    let anchor = place_columns(&layers, &lnodes, &up, &down);

    // Ports, one per edge end, spread along the border in the order of the other ends.
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
    let mut outs = vec![Vec::new(); lnodes.len()];
    let mut ins = vec![Vec::new(); lnodes.len()];
    for (s, seg) in segments.iter().enumerate() {
        outs[seg.upper].push(s);
        ins[seg.lower].push(s);
    }
    for v in 0..lnodes.len() {
        ins[v].sort_by_key(|&s| (anchor[segments[s].upper], segments[s].upper));
        let left = anchor[v] - lnodes[v].w / 2;
        for (i, &s) in ins[v].iter().enumerate() {
            segments[s].qx = port(left, lnodes[v].w, i, ins[v].len());
        }
    }
    // Source ports go straight above their target port when it is under the box, and keep
    // off other edges' target columns (which would make two edges share a column).
    let mut targets_by_layer: Vec<HashSet<i32>> = vec![HashSet::new(); layer_count];
    for seg in &segments {
        targets_by_layer[lnode_layer[seg.upper]].insert(seg.qx);
    }
    for v in 0..lnodes.len() {
        outs[v].sort_by_key(|&s| (anchor[segments[s].lower], segments[s].lower));
        let left = anchor[v] - lnodes[v].w / 2;
        let wishes: Vec<i32> = outs[v].iter().map(|&s| segments[s].qx).collect();
        let columns = out_ports(left, lnodes[v].w, &wishes, &targets_by_layer[lnode_layer[v]]);
        for (&s, px) in outs[v].iter().zip(columns) {
            segments[s].px = px;
        }
    }

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
        let tracks = assign_tracks(&mut segments, segs, width);
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
    let seg_path = |seg: &Segment| -> Vec<(i32, i32)> {
        let l = lnode_layer[seg.upper];
        let start = match lnodes[seg.upper].item {
            Some(i) => band_top[l] + items[i].h.max(1),
            None => band_top[l],
        };
        let arrow = band_top[l + 1] - 1;
        let mut cells = Vec::new();
        let row = |t: usize| band_top[l] + band_h[l] + 1 + t as i32;
        let across = |cells: &mut Vec<(i32, i32)>, from: i32, to: i32, y: i32| {
            let step = if to > from { 1 } else { -1 };
            let mut x = from;
            while x != to {
                x += step;
                cells.push((x, y));
            }
        };
        match (seg.track, seg.dogleg) {
            (Some(t), Some((spare, t2))) => {
                cells.extend((start..=row(t)).map(|y| (seg.px, y)));
                across(&mut cells, seg.px, spare, row(t));
                cells.extend((row(t) + 1..=row(t2)).map(|y| (spare, y)));
                across(&mut cells, spare, seg.qx, row(t2));
                cells.extend((row(t2) + 1..=arrow).map(|y| (seg.qx, y)));
            }
            (Some(t), None) if seg.px != seg.qx => {
                cells.extend((start..=row(t)).map(|y| (seg.px, y)));
                across(&mut cells, seg.px, seg.qx, row(t));
                cells.extend((row(t) + 1..=arrow).map(|y| (seg.qx, y)));
            }
            _ => cells.extend((start..=arrow).map(|y| (seg.px, y))),
        }
        cells
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
    let mut ready: std::collections::BTreeSet<usize> = (0..n).filter(|&v| indegree[v] == 0).collect();
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

/// Barycenter sweeps; keeps the ordering with the fewest crossings.
fn order_layers(layers: &mut [Vec<usize>], up: &[Vec<usize>], down: &[Vec<usize>], count: usize) {
    let mut pos = vec![0usize; count];
    let refresh = |layer: &[usize], pos: &mut [usize]| {
        for (i, &v) in layer.iter().enumerate() {
            pos[v] = i;
        }
    };
    for layer in layers.iter() {
        refresh(layer, &mut pos);
    }
    let sort = |layer: &mut Vec<usize>, adj: &[Vec<usize>], pos: &mut [usize]| {
        let mut keyed: Vec<(f64, usize)> = layer
            .iter()
            .map(|&v| {
                let n = &adj[v];
                let key = if n.is_empty() {
                    pos[v] as f64
                } else {
                    n.iter().map(|&u| pos[u] as f64).sum::<f64>() / n.len() as f64
                };
                (key, v)
            })
            .collect();
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
        *layer = keyed.into_iter().map(|(_, v)| v).collect();
        for (i, &v) in layer.iter().enumerate() {
            pos[v] = i;
        }
    };
    for l in 1..layers.len() {
        sort(&mut layers[l], up, &mut pos);
    }
    let mut best = layers.to_vec();
    let mut best_crossings = crossings(layers, down, &pos);
    for _ in 0..ORDER_SWEEPS {
        if best_crossings == 0 {
            break;
        }
        for l in (0..layers.len().saturating_sub(1)).rev() {
            sort(&mut layers[l], down, &mut pos);
        }
        for l in 1..layers.len() {
            sort(&mut layers[l], up, &mut pos);
        }
        let c = crossings(layers, down, &pos);
        if c < best_crossings {
            best_crossings = c;
            best = layers.to_vec();
        }
    }
    layers.clone_from_slice(&best);
}

/// Edge crossings between consecutive layers (inversions, counted with a Fenwick tree).
fn crossings(layers: &[Vec<usize>], down: &[Vec<usize>], pos: &[usize]) -> usize {
    let mut total = 0;
    for pair in layers.windows(2) {
        let width = pair[1].len();
        let mut ends: Vec<(usize, usize)> = pair[0]
            .iter()
            .flat_map(|&u| down[u].iter().map(move |&v| (pos[u], pos[v])))
            .collect();
        ends.sort_unstable();
        let mut tree = vec![0usize; width + 1];
        for (seen, &(_, x)) in ends.iter().enumerate() {
            let mut i = x + 1;
            let mut not_greater = 0;
            while i > 0 {
                not_greater += tree[i];
                i &= i - 1;
            }
            total += seen - not_greater;
            let mut i = x + 1;
            while i <= width {
                tree[i] += 1;
                i += i & i.wrapping_neg();
            }
        }
    }
    total
}

fn gap(a: &LNode, b: &LNode) -> i32 {
    if a.item.is_some() && b.item.is_some() {
        GAP_NODES
    } else {
        GAP_DUMMY
    }
}

/// The anchor column (`left + w / 2`) of every layered node.
fn place_columns(
    layers: &[Vec<usize>],
    lnodes: &[LNode],
    up: &[Vec<usize>],
    down: &[Vec<usize>],
) -> Vec<i32> {
    let mut anchor = vec![0i32; lnodes.len()];
    for layer in layers {
        let mut x = 0;
        for (i, &v) in layer.iter().enumerate() {
            anchor[v] = x + lnodes[v].w / 2;
            x += lnodes[v].w + layer.get(i + 1).map_or(0, |&n| gap(&lnodes[v], &lnodes[n]));
        }
    }
    let pull = |layer: &[usize], adj: &[Vec<usize>], anchor: &mut [i32]| {
        let targets: Vec<(f64, f64)> = layer
            .iter()
            .map(|&v| {
                let n = &adj[v];
                if n.is_empty() {
                    (f64::from(anchor[v]), 0.05)
                } else {
                    let mean = n.iter().map(|&u| f64::from(anchor[u])).sum::<f64>() / n.len() as f64;
                    // Dummies weigh more: long edges stay straight.
                    (mean, if lnodes[v].item.is_none() { 4.0 } else { 1.0 })
                }
            })
            .collect();
        let placed = isotonic_place(layer, lnodes, &targets);
        for (&v, x) in layer.iter().zip(placed) {
            anchor[v] = x;
        }
    };
    for _ in 0..PLACEMENT_PASSES {
        for l in 1..layers.len() {
            pull(&layers[l], up, &mut anchor);
        }
        for l in (0..layers.len().saturating_sub(1)).rev() {
            pull(&layers[l], down, &mut anchor);
        }
    }
    let min_left = layers
        .iter()
        .flatten()
        .map(|&v| anchor[v] - lnodes[v].w / 2)
        .min()
        .unwrap_or(0);
    for a in &mut anchor {
        *a -= min_left;
    }
    anchor
}

/// The anchors closest (weighted least squares) to `targets` that keep the layer's order and
/// gaps: substitute `b = anchor - offset` so the constraints become `b` non-decreasing, solve
/// with pool-adjacent-violators, round (monotone, so still feasible).
fn isotonic_place(layer: &[usize], lnodes: &[LNode], targets: &[(f64, f64)]) -> Vec<i32> {
    let mut offsets = Vec::with_capacity(layer.len());
    let mut offset = 0i32;
    for (i, &v) in layer.iter().enumerate() {
        if i > 0 {
            let p = &lnodes[layer[i - 1]];
            offset += p.w - p.w / 2 + gap(p, &lnodes[v]) + lnodes[v].w / 2;
        }
        offsets.push(offset);
    }
    // Blocks of (total weight, weighted sum, members).
    let mut blocks: Vec<(f64, f64, usize)> = Vec::with_capacity(layer.len());
    for (i, &(target, weight)) in targets.iter().enumerate() {
        blocks.push((weight, weight * (target - f64::from(offsets[i])), 1));
        while blocks.len() >= 2 {
            let (w2, s2, c2) = blocks[blocks.len() - 1];
            let (w1, s1, c1) = blocks[blocks.len() - 2];
            if s1 / w1 <= s2 / w2 {
                break;
            }
            blocks.pop();
            if let Some(last) = blocks.last_mut() {
                *last = (w1 + w2, s1 + s2, c1 + c2);
            }
        }
    }
    let mut out = Vec::with_capacity(layer.len());
    for (w, s, c) in blocks {
        let b = (s / w).round() as i32;
        out.extend(std::iter::repeat_n(b, c));
    }
    out.iter().zip(&offsets).map(|(b, o)| b + o).collect()
}

/// Column of port `i` of `k` on a border from `left` of width `w` (corners excluded).
fn port(left: i32, w: i32, i: usize, k: usize) -> i32 {
    let inner = w - 2;
    if inner <= 0 || k == 0 {
        return left + w / 2;
    }
    let (i, k) = (i as i64, k as i64);
    left + 1 + ((2 * i + 1) * i64::from(inner) / (2 * k)) as i32
}

/// Source port columns on a bottom border from `left` of width `w`, one per target column
/// in `targets` (in order): the target column itself when it lies under the box, else the
/// evenly spread column, moved to the nearest column not in `taken` (other edges' targets).
fn out_ports(left: i32, w: i32, targets: &[i32], taken: &HashSet<i32>) -> Vec<i32> {
    let k = targets.len();
    let (lo, hi) = if w >= 3 { (left + 1, left + w - 2) } else { (left + w / 2, left + w / 2) };
    if k as i64 > i64::from(hi - lo + 1) {
        // More edges than columns: some share a port.
        return (0..k).map(|i| port(left, w, i, k)).collect();
    }
    let mut out = Vec::with_capacity(k);
    let mut prev = lo - 1;
    for (i, &target) in targets.iter().enumerate() {
        let min = prev + 1;
        let max = hi - (k - 1 - i) as i32;
        let wish = if (lo..=hi).contains(&target) {
            target
        } else {
            port(left, w, i, k)
        };
        let start = wish.clamp(min, max);
        let free = |c: i32| c == target || !taken.contains(&c);
        let column = (0..=(max - min))
            .flat_map(|d| [start + d, start - d])
            .find(|&c| (min..=max).contains(&c) && free(c))
            .unwrap_or(start);
        out.push(column);
        prev = column;
    }
    out
}

/// One horizontal run of a segment between two layers.
#[derive(Debug, Clone, Copy)]
struct Leg {
    from: i32,
    to: i32,
    seg: usize,
    second: bool,
    track: Option<usize>,
}

/// Left-edge track assignment within one channel; returns the number of tracks.
///
/// A leg whose target column is another leg's source column must run below it (else the two
/// would share that column). When these constraints form a cycle (two edges swapping columns),
/// one segment takes a dogleg: down to a track, across to a column no edge uses, down to a
/// later track and across to its target.
fn assign_tracks(segments: &mut [Segment], channel: &[usize], limit: i32) -> usize {
    let mut legs: Vec<Leg> = channel
        .iter()
        .copied()
        .filter(|&s| segments[s].px != segments[s].qx)
        .map(|s| Leg {
            from: segments[s].px,
            to: segments[s].qx,
            seg: s,
            second: false,
            track: None,
        })
        .collect();
    let ports: HashSet<i32> = channel
        .iter()
        .flat_map(|&s| [segments[s].px, segments[s].qx])
        .collect();
    let mut by_from: HashMap<i32, Vec<usize>> = HashMap::new();
    for (i, leg) in legs.iter().enumerate() {
        by_from.entry(leg.from).or_default().push(i);
    }
    let span = |l: &Leg| (l.from.min(l.to), l.from.max(l.to));
    let mut remaining: Vec<usize> = (0..legs.len()).collect();
    let mut track = 0;
    while !remaining.is_empty() {
        remaining.sort_by_key(|&i| span(&legs[i]));
        let mut last_right: Option<i32> = None;
        let mut placed = Vec::new();
        for &i in &remaining {
            let (lo, hi) = span(&legs[i]);
            let free = last_right.is_none_or(|r| lo > r + 1);
            let ready = by_from.get(&legs[i].to).is_none_or(|above| {
                above
                    .iter()
                    .all(|&a| a == i || legs[a].track.is_some_and(|t| t < track))
            });
            if free && ready {
                legs[i].track = Some(track);
                last_right = Some(hi);
                placed.push(i);
            }
        }
        if placed.is_empty() {
            let i = remaining[0];
            let leg = legs[i];
            let mid = (leg.from + leg.to) / 2;
            let spare = (0..limit.max(1))
                .flat_map(|d| [mid + d, mid - d])
                .find(|c| (0..limit).contains(c) && !ports.contains(c));
            legs[i].track = Some(track);
            placed.push(i);
            if let Some(c) = spare {
                legs[i].to = c;
                by_from.entry(c).or_default().push(legs.len());
                remaining.push(legs.len());
                legs.push(Leg {
                    from: c,
                    to: leg.to,
                    seg: leg.seg,
                    second: true,
                    track: None,
                });
            }
        }
        remaining.retain(|i| !placed.contains(i));
        track += 1;
    }
    for leg in &legs {
        let seg = &mut segments[leg.seg];
        if leg.second {
            seg.dogleg = Some((leg.from, leg.track.unwrap_or(0)));
        } else {
            seg.track = leg.track;
        }
    }
    track
}
