//! Edge routing between two layers: ports on the box borders, horizontal tracks in the
//! channel between the layers, and the cells of each stretch.

use std::collections::{HashMap, HashSet};

use super::layered::{LNode, Path, Segment};

/// Ports, one per edge end: target ports spread along the top border in the order of the
/// sources; source ports straight above their target port when it is under the box, else
/// spread, and off other edges' target columns (two edges would share a column).
pub(super) fn assign_ports(
    segments: &mut [Segment],
    lnodes: &[LNode],
    anchor: &[i32],
    lnode_layer: &[usize],
    layer_count: usize,
) {
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
    let mut targets_by_layer: Vec<HashSet<i32>> = vec![HashSet::new(); layer_count];
    for seg in segments.iter() {
        targets_by_layer[lnode_layer[seg.upper]].insert(seg.qx);
    }
    for v in 0..lnodes.len() {
        outs[v].sort_by_key(|&s| (anchor[segments[s].lower], segments[s].lower));
        let left = anchor[v] - lnodes[v].w / 2;
        let wishes: Vec<i32> = outs[v].iter().map(|&s| segments[s].qx).collect();
        let columns = out_ports(
            left,
            lnodes[v].w,
            &wishes,
            &targets_by_layer[lnode_layer[v]],
        );
        for (&s, px) in outs[v].iter().zip(columns) {
            segments[s].px = px;
        }
    }
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
    let (lo, hi) = if w >= 3 {
        (left + 1, left + w - 2)
    } else {
        (left + w / 2, left + w / 2)
    };
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
pub(super) fn assign_tracks(segments: &mut [Segment], channel: &[usize], limit: i32) -> usize {
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

/// The cells of one segment: down from `start` to its track, across, down to `arrow` (the row
/// above the lower box). `tracks_top` is the channel's first track row.
pub(super) fn segment_path(seg: &Segment, start: i32, tracks_top: i32, arrow: i32) -> Path {
    let mut cells = Vec::new();
    let row = |t: usize| tracks_top + t as i32;
    let across = |cells: &mut Path, from: i32, to: i32, y: i32| {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(px: i32, qx: i32) -> Segment {
        Segment {
            upper: 0,
            lower: 1,
            px,
            qx,
            track: None,
            dogleg: None,
        }
    }

    #[test]
    fn source_ports_go_straight_when_they_can_and_avoid_other_targets() {
        // Box at 10..30: targets 12 and 40; 40 is not under the box.
        let taken = HashSet::from([12, 40, 20]);
        let ports = out_ports(10, 20, &[12, 40], &taken);
        assert_eq!(ports[0], 12, "straight above its target");
        assert!(ports[1] > 12 && !taken.contains(&ports[1]));
    }

    #[test]
    fn overlapping_runs_get_different_tracks_and_a_column_owner_runs_first() {
        // 0: 5 → 9; 1: 9 → 15 (its source column is 0's target: 1 must run above 0).
        let mut segments = vec![seg(5, 9), seg(9, 15), seg(30, 30)];
        let tracks = assign_tracks(&mut segments, &[0, 1, 2], 40);
        assert_eq!(tracks, 2);
        assert!(segments[1].track < segments[0].track);
        assert_eq!(segments[2].track, None, "a straight edge needs no track");
    }

    #[test]
    fn two_edges_swapping_columns_take_a_dogleg() {
        let mut segments = vec![seg(10, 16), seg(16, 10)];
        let tracks = assign_tracks(&mut segments, &[0, 1], 40);
        assert_eq!(tracks, 3);
        let dogleg = segments.iter().find(|s| s.dogleg.is_some()).unwrap();
        let (spare, second) = dogleg.dogleg.unwrap();
        assert!(![10, 16].contains(&spare));
        assert!(second > dogleg.track.unwrap());
        let path = segment_path(dogleg, 0, 2, 2 + tracks as i32);
        assert!(path
            .windows(2)
            .all(|w| w[0].0.abs_diff(w[1].0) + w[0].1.abs_diff(w[1].1) == 1));
    }
}
