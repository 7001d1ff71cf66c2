//! The merged view's order: every line of a set of streams sorted by (time key, stream,
//! index). Each stream is already sorted, so a window of the merged order is a k-way merge
//! from a position: only the lines on screen are visited, never the whole store.

use super::store::{LogStore, StreamId};

/// A line's place in the merged order (compared key first, then stream, then index).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MergedPos {
    pub key: i64,
    pub stream: StreamId,
    /// Absolute index of the line in its stream.
    pub index: u64,
}

/// The merged-order position of a line still held.
pub fn pos_of(store: &LogStore, stream: StreamId, index: u64) -> Option<MergedPos> {
    store.get(stream, index).map(|l| MergedPos {
        key: l.key,
        stream,
        index,
    })
}

/// Per stream, the absolute index of its first line at or after `at` (`None`: the start).
fn cursors(store: &LogStore, streams: &[StreamId], at: Option<MergedPos>) -> Vec<u64> {
    streams
        .iter()
        .map(|&s| match at {
            None => store.range(s).start,
            Some(at) => store.partition_point(s, |index, line| {
                MergedPos {
                    key: line.key,
                    stream: s,
                    index,
                } < at
            }),
        })
        .collect()
}

/// Up to `n` lines from `start` (inclusive; `None` = the first line) in merged order.
pub fn forward(
    store: &LogStore,
    streams: &[StreamId],
    start: Option<MergedPos>,
    n: usize,
) -> Vec<MergedPos> {
    let mut next = cursors(store, streams, start);
    let mut out = Vec::with_capacity(n.min(1024));
    while out.len() < n {
        let best = streams
            .iter()
            .zip(&next)
            .enumerate()
            .filter_map(|(i, (&s, &idx))| pos_of(store, s, idx).map(|p| (p, i)))
            .min();
        let Some((pos, i)) = best else {
            break;
        };
        out.push(pos);
        next[i] += 1;
    }
    out
}

/// Up to `n` lines just before `end` (exclusive; `None` = after the last line), in merged
/// order (oldest first).
pub fn backward(
    store: &LogStore,
    streams: &[StreamId],
    end: Option<MergedPos>,
    n: usize,
) -> Vec<MergedPos> {
    let mut next: Vec<u64> = match end {
        None => streams.iter().map(|&s| store.range(s).end).collect(),
        Some(_) => cursors(store, streams, end),
    };
    let mut out = Vec::with_capacity(n.min(1024));
    while out.len() < n {
        let best = streams
            .iter()
            .zip(&next)
            .enumerate()
            .filter_map(|(i, (&s, &idx))| {
                idx.checked_sub(1)
                    .and_then(|prev| pos_of(store, s, prev))
                    .map(|p| (p, i))
            })
            .max();
        let Some((pos, i)) = best else {
            break;
        };
        out.push(pos);
        next[i] -= 1;
    }
    out.reverse();
    out
}

/// How many lines of the streams come before `at` (its row number in the merged view).
pub fn rank(store: &LogStore, streams: &[StreamId], at: MergedPos) -> u64 {
    cursors(store, streams, Some(at))
        .iter()
        .zip(streams)
        .map(|(&c, &s)| c - store.range(s).start)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backends::cluster::LogLine;
    use chrono::{TimeZone, Utc};

    fn line(ms: u32, text: &str) -> LogLine {
        LogLine {
            time: Some(
                Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap()
                    + chrono::Duration::milliseconds(i64::from(ms)),
            ),
            text: text.to_string(),
        }
    }

    fn texts(store: &LogStore, ps: &[MergedPos]) -> Vec<String> {
        ps.iter()
            .map(|p| store.get(p.stream, p.index).unwrap().text.to_string())
            .collect()
    }

    /// Two builds logging at once; the second stream's batch arrives late.
    fn two_streams() -> (LogStore, Vec<StreamId>) {
        let mut store = LogStore::new(100);
        let a = store.add_stream();
        let b = store.add_stream();
        store.extend(a, [line(0, "a0"), line(20, "a20"), line(40, "a40")]);
        store.extend(b, [line(10, "b10"), line(20, "b20"), line(50, "b50")]);
        (store, vec![a, b])
    }

    #[test]
    fn merged_order_interleaves_by_timestamp_then_stream() {
        let (store, ids) = two_streams();
        let all = forward(&store, &ids, None, 100);
        assert_eq!(
            texts(&store, &all),
            ["a0", "b10", "a20", "b20", "a40", "b50"]
        );
        // A window from the middle, and the same window found backwards from the end.
        let mid = forward(&store, &ids, Some(all[2]), 2);
        assert_eq!(texts(&store, &mid), ["a20", "b20"]);
        let tail = backward(&store, &ids, None, 2);
        assert_eq!(texts(&store, &tail), ["a40", "b50"]);
        let before = backward(&store, &ids, Some(all[2]), 5);
        assert_eq!(texts(&store, &before), ["a0", "b10"]);
        assert_eq!(rank(&store, &ids, all[4]), 4);
    }

    #[test]
    fn windows_stay_consistent_after_the_cap_drops_lines() {
        let (mut store, ids) = two_streams();
        let first = forward(&store, &ids, None, 1)[0];
        // The same lines in a store that keeps only 4 of them.
        let mut small = LogStore::new(4);
        let a = small.add_stream();
        let b = small.add_stream();
        small.extend(a, [line(0, "a0"), line(20, "a20"), line(40, "a40")]);
        small.extend(b, [line(10, "b10"), line(20, "b20"), line(50, "b50")]);
        let ids2 = [a, b];
        // a0 and a20 were dropped; a position before them starts at the oldest kept line.
        assert_eq!(
            texts(&small, &forward(&small, &ids2, Some(first), 10)),
            ["b10", "b20", "a40", "b50"]
        );
        store.extend(ids[0], [line(60, "a60")]);
        assert_eq!(
            texts(&store, &backward(&store, &ids, None, 3)),
            ["a40", "b50", "a60"]
        );
    }
}
