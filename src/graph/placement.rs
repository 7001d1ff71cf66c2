//! Where layered nodes go: their order within each layer (barycenter sweeps, fewest
//! crossings) and their columns (pulled towards their neighbours, keeping order and gaps).

use super::layered::LNode;

/// Blank columns between two boxes, and next to an edge passing a layer.
const GAP_NODES: i32 = 2;
const GAP_DUMMY: i32 = 1;
const ORDER_SWEEPS: usize = 8;
const PLACEMENT_PASSES: usize = 4;

/// Barycenter sweeps; keeps the ordering with the fewest crossings.
pub(super) fn order_layers(
    layers: &mut [Vec<usize>],
    up: &[Vec<usize>],
    down: &[Vec<usize>],
    count: usize,
) {
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
    for layer in layers.iter_mut().skip(1) {
        sort(layer, up, &mut pos);
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
        for layer in layers.iter_mut().skip(1) {
            sort(layer, up, &mut pos);
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
pub(super) fn place_columns(
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
                    let mean =
                        n.iter().map(|&u| f64::from(anchor[u])).sum::<f64>() / n.len() as f64;
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
        for layer in layers.iter().skip(1) {
            pull(layer, up, &mut anchor);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn node(w: i32) -> LNode {
        LNode { w, item: Some(0) }
    }

    #[test]
    fn counts_crossings_between_layers() {
        // 0 → 3 and 1 → 2 with 2 left of 3: one crossing.
        let layers = vec![vec![0, 1], vec![2, 3]];
        let down = vec![vec![3], vec![2], vec![], vec![]];
        let pos = vec![0, 1, 0, 1];
        assert_eq!(crossings(&layers, &down, &pos), 1);
        let down = vec![vec![2], vec![3], vec![], vec![]];
        assert_eq!(crossings(&layers, &down, &pos), 0);
    }

    #[test]
    fn ordering_removes_an_avoidable_crossing() {
        let mut layers = vec![vec![0, 1], vec![2, 3]];
        let down = vec![vec![3], vec![2], vec![], vec![]];
        let up = vec![vec![], vec![], vec![1], vec![0]];
        order_layers(&mut layers, &up, &down, 4);
        let mut pos = vec![0; 4];
        for layer in &layers {
            for (i, &v) in layer.iter().enumerate() {
                pos[v] = i;
            }
        }
        assert_eq!(crossings(&layers, &down, &pos), 0);
    }

    #[test]
    fn isotonic_placement_keeps_order_and_gaps_and_centres_a_conflict() {
        let lnodes = vec![node(10), node(10)];
        // Both want column 20: they share the difference.
        let anchors = isotonic_place(&[0, 1], &lnodes, &[(20.0, 1.0), (20.0, 1.0)]);
        assert_eq!(anchors[1] - anchors[0], 10 + GAP_NODES);
        assert!((anchors[0] + anchors[1]) / 2 - 20 <= 1);
        // Far apart: each gets its wish.
        assert_eq!(
            isotonic_place(&[0, 1], &lnodes, &[(5.0, 1.0), (60.0, 1.0)]),
            vec![5, 60]
        );
    }
}
