//! The log store: line buffers per stream, and one cap on the lines kept across all streams
//! (`[ui] scrollback`). When the cap is reached the oldest line received is dropped and
//! counted, so the pane can say how much scrollback was lost.
//!
//! Lines are addressed by an *absolute* index per stream (0 = the first line ever received),
//! so a scroll position stays valid while older lines are dropped in front of it.
//!
//! Storage is compact (`chunks.rs`): a stream's lines live in chunks, each one `String` holding the texts
//! back to back (every line followed by `\n`) with parallel arrays of line ends, times and
//! sort keys (kept only where they differ from the times) — about 13 bytes per line besides
//! the text, no allocation per line. A chunk is
//! freed once the cap has dropped all its lines. The chunk's joined text is what
//! [`super::search`] runs its regex over, so a search does not visit lines one by one.

use std::collections::VecDeque;
use std::ops::Range;

use chrono::{DateTime, Utc};

use crate::backends::cluster::LogLine;

pub use super::chunks::Segment;
use super::chunks::{Buffer, Chunk, NO_TIME};

/// A stream in the store (never reused, even after the stream is removed).
pub type StreamId = u32;

/// One stored log line, borrowed from the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredLine<'a> {
    /// The container runtime's timestamp, when the server sent one.
    pub time: Option<DateTime<Utc>>,
    /// Sort key of the merged view: the time in nanoseconds, never less than the key of the
    /// line before it in the same stream (so every stream is sorted by key).
    pub key: i64,
    /// The text as received (escape sequences, `\r` and tabs included): the pane shows it
    /// through [`crate::logs::ansi::display_runs`].
    pub text: &'a str,
}

/// Line buffers of every stream under one cap.
#[derive(Debug)]
pub struct LogStore {
    buffers: Vec<Buffer>,
    /// The stream of every stored line, oldest received first: what the cap drops next
    /// (run-length encoded: a batch of one stream is one entry).
    arrival: VecDeque<(StreamId, u32)>,
    cap: usize,
    total: usize,
    dropped: u64,
}

impl Default for LogStore {
    fn default() -> Self {
        LogStore::new(crate::config::DEFAULT_SCROLLBACK)
    }
}

impl LogStore {
    /// A store keeping at most `cap` lines across all streams (at least one).
    pub fn new(cap: usize) -> LogStore {
        LogStore {
            buffers: Vec::new(),
            arrival: VecDeque::new(),
            cap: cap.max(1),
            total: 0,
            dropped: 0,
        }
    }

    pub fn cap(&self) -> usize {
        self.cap
    }

    /// A new, empty stream.
    pub fn add_stream(&mut self) -> StreamId {
        self.buffers.push(Buffer::default());
        StreamId::try_from(self.buffers.len() - 1).unwrap_or(StreamId::MAX)
    }

    /// Forgets a stream and its lines (they do not count as dropped).
    pub fn remove_stream(&mut self, id: StreamId) {
        let Some(buf) = self.buffer_mut(id) else {
            return;
        };
        let n = usize::try_from(buf.end - buf.first).unwrap_or(usize::MAX);
        *buf = Buffer {
            removed: true,
            ..Buffer::default()
        };
        self.total -= n;
        if n > 0 {
            self.arrival.retain(|(s, _)| *s != id);
        }
    }

    /// Appends lines to a stream, dropping the oldest lines of the store beyond the cap.
    /// Returns how many lines were appended (0 for an unknown or removed stream).
    pub fn extend(&mut self, id: StreamId, lines: impl IntoIterator<Item = LogLine>) -> usize {
        let Some(buf) = self.buffer_mut(id) else {
            return 0;
        };
        let before = buf.end;
        for line in lines {
            let nanos = line.time.and_then(|t| t.timestamp_nanos_opt());
            let key = match (nanos, buf.last_key) {
                (Some(k), Some(last)) => k.max(last),
                (Some(k), None) => k,
                (None, last) => last.unwrap_or(i64::MIN),
            };
            buf.last_key = Some(key);
            buf.push(nanos.unwrap_or(NO_TIME), key, &line.text);
        }
        let added = usize::try_from(buf.end - before).unwrap_or(usize::MAX);
        let mut left = added;
        while left > 0 {
            let run = u32::try_from(left).unwrap_or(u32::MAX);
            match self.arrival.back_mut() {
                Some((s, n)) if *s == id && n.checked_add(run).is_some() => *n += run,
                _ => self.arrival.push_back((id, run)),
            }
            left -= run as usize;
        }
        self.total += added;
        self.enforce_cap();
        added
    }

    /// Appends one line (see [`LogStore::extend`]).
    pub fn push(&mut self, id: StreamId, line: LogLine) -> bool {
        self.extend(id, [line]) == 1
    }

    fn enforce_cap(&mut self) {
        while self.total > self.cap {
            let Some((id, n)) = self.arrival.front_mut() else {
                break;
            };
            let id = *id;
            *n -= 1;
            if *n == 0 {
                self.arrival.pop_front();
            }
            if let Some(buf) = self.buffers.get_mut(id as usize) {
                if buf.drop_first() {
                    self.total -= 1;
                    self.dropped += 1;
                }
            }
        }
    }

    fn buffer(&self, id: StreamId) -> Option<&Buffer> {
        self.buffers.get(id as usize).filter(|b| !b.removed)
    }

    fn buffer_mut(&mut self, id: StreamId) -> Option<&mut Buffer> {
        self.buffers.get_mut(id as usize).filter(|b| !b.removed)
    }

    /// Lines kept across all streams.
    pub fn total_lines(&self) -> usize {
        self.total
    }

    /// Lines the cap dropped, across all streams (removed streams included).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Lines the cap dropped from one stream.
    pub fn stream_dropped(&self, id: StreamId) -> u64 {
        self.buffer(id).map_or(0, |b| b.first)
    }

    /// Absolute indices of the lines a stream still holds.
    pub fn range(&self, id: StreamId) -> Range<u64> {
        match self.buffer(id) {
            Some(b) => b.first..b.end,
            None => 0..0,
        }
    }

    /// Lines a stream still holds.
    pub fn len(&self, id: StreamId) -> usize {
        self.buffer(id).map_or(0, |b| {
            usize::try_from(b.end - b.first).unwrap_or(usize::MAX)
        })
    }

    pub fn is_empty(&self, id: StreamId) -> bool {
        self.len(id) == 0
    }

    /// The line at an absolute index, if still held.
    pub fn get(&self, id: StreamId, index: u64) -> Option<StoredLine<'_>> {
        let (chunk, i) = self.buffer(id)?.chunk_of(index)?;
        Some(chunk.line(i))
    }

    /// The stream's lines from absolute index `from` on, as segments of lines stored back to
    /// back (oldest first).
    pub fn segments(&self, id: StreamId, from: u64) -> impl Iterator<Item = Segment<'_>> + '_ {
        let buf = self.buffer(id);
        let from = buf.map_or(from, |b| from.max(b.first));
        buf.into_iter()
            .flat_map(|b| b.chunks.iter())
            .filter(move |c| c.base + c.len() as u64 > from)
            .map(move |c| {
                let skip = usize::try_from(from.saturating_sub(c.base)).unwrap_or(0);
                let offset = c.start_of(skip);
                Segment {
                    first: c.base + skip as u64,
                    text: &c.text[offset..],
                    plain: c.plain,
                    offset,
                    ends: &c.ends[skip..],
                }
            })
    }

    /// Bytes of heap the store uses for its lines (chunks and bookkeeping).
    pub fn memory_bytes(&self) -> usize {
        let chunks: usize = self
            .buffers
            .iter()
            .flat_map(|b| b.chunks.iter())
            .map(Chunk::memory)
            .sum();
        chunks
            + self.buffers.capacity() * std::mem::size_of::<Buffer>()
            + self.arrival.capacity() * std::mem::size_of::<(StreamId, u32)>()
    }

    /// The absolute index of the first line for which `before` is false, assuming `before`
    /// is true for a prefix of the stream (binary search; `before` gets the absolute index).
    pub fn partition_point(
        &self,
        id: StreamId,
        mut before: impl FnMut(u64, StoredLine<'_>) -> bool,
    ) -> u64 {
        let Some(b) = self.buffer(id) else {
            return 0;
        };
        let (mut lo, mut hi) = (b.first, b.end);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let Some((chunk, i)) = b.chunk_of(mid) else {
                break;
            };
            if before(mid, chunk.line(i)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::chunks::is_plain;
    use chrono::TimeZone;

    fn line(sec: u32, text: &str) -> LogLine {
        LogLine {
            time: Some(Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, sec).unwrap()),
            text: text.to_string(),
        }
    }

    fn texts(store: &LogStore, id: StreamId) -> Vec<String> {
        store
            .range(id)
            .filter_map(|i| store.get(id, i).map(|l| l.text.to_string()))
            .collect()
    }

    #[test]
    fn cap_drops_the_oldest_lines_received_across_streams_and_counts_them() {
        let mut store = LogStore::new(5);
        let a = store.add_stream();
        let b = store.add_stream();
        store.extend(a, [line(0, "a0"), line(1, "a1"), line(2, "a2")]);
        store.extend(b, [line(0, "b0"), line(1, "b1")]);
        assert_eq!(store.total_lines(), 5);
        assert_eq!(store.dropped(), 0);
        store.extend(b, [line(2, "b2"), line(3, "b3")]);
        // a0 and a1 arrived first: they go.
        assert_eq!(store.total_lines(), 5);
        assert_eq!(store.dropped(), 2);
        assert_eq!(texts(&store, a), ["a2"]);
        assert_eq!(texts(&store, b), ["b0", "b1", "b2", "b3"]);
        assert_eq!(store.stream_dropped(a), 2);
        assert_eq!(store.stream_dropped(b), 0);
        // Absolute indices survive the drop.
        assert_eq!(store.range(a), 2..3);
        assert_eq!(store.get(a, 2).map(|l| l.text), Some("a2"));
        assert!(store.get(a, 0).is_none());
        // One big batch beyond the cap keeps only its newest lines.
        store.extend(a, (10..20).map(|s| line(s, &format!("a{s}"))));
        assert_eq!(store.total_lines(), 5);
        assert_eq!(store.dropped(), 2 + 10);
        assert_eq!(texts(&store, a), ["a15", "a16", "a17", "a18", "a19"]);
        assert!(store.is_empty(b));
    }

    #[test]
    fn removed_streams_free_their_share_without_counting_as_dropped() {
        let mut store = LogStore::new(4);
        let a = store.add_stream();
        let b = store.add_stream();
        store.extend(a, [line(0, "a0"), line(1, "a1"), line(2, "a2")]);
        store.extend(b, [line(0, "b0")]);
        store.remove_stream(a);
        assert_eq!(store.total_lines(), 1);
        assert_eq!(store.extend(a, [line(3, "late")]), 0, "removed: ignored");
        store.extend(b, [line(1, "b1"), line(2, "b2"), line(3, "b3")]);
        assert_eq!(store.dropped(), 0);
        store.extend(b, [line(4, "b4")]);
        assert_eq!(store.dropped(), 1);
        assert_eq!(texts(&store, b), ["b1", "b2", "b3", "b4"]);
    }

    #[test]
    fn keys_never_go_back_within_a_stream() {
        let mut store = LogStore::new(10);
        let a = store.add_stream();
        store.extend(
            a,
            [
                line(5, "x"),
                line(3, "earlier clock"),
                LogLine {
                    time: None,
                    text: "no time".into(),
                },
            ],
        );
        let keys: Vec<i64> = store
            .range(a)
            .map(|i| store.get(a, i).unwrap().key)
            .collect();
        assert!(keys.windows(2).all(|w| w[0] <= w[1]), "{keys:?}");
        assert_eq!(store.get(a, 1).unwrap().time, line(3, "").time, "time kept");
    }

    #[test]
    fn text_is_kept_as_received() {
        let mut store = LogStore::new(10);
        let id = store.add_stream();
        store.push(id, line(1, "\u{1b}[32mINFO\u{1b}[0m\tok\r"));
        assert_eq!(texts(&store, id), ["\u{1b}[32mINFO\u{1b}[0m\tok\r"]);
    }

    /// A model of the store: every line ever pushed with its stream, minus the oldest ones.
    fn model_kept(pushed: &[(usize, String)], cap: usize, stream: usize) -> Vec<String> {
        let kept = &pushed[pushed.len().saturating_sub(cap)..];
        kept.iter()
            .filter(|(s, _)| *s == stream)
            .map(|(_, t)| t.clone())
            .collect()
    }

    proptest::proptest! {
        /// Random batches of random lengths into 3 streams under a random cap: every stream
        /// keeps exactly the newest lines the model keeps, the dropped count is what went,
        /// and the segments a search scans give the same lines.
        #[test]
        fn store_matches_a_model(
            cap in 1usize..200,
            batches in proptest::collection::vec(
                (0usize..3, proptest::collection::vec(
                    proptest::prop_oneof![
                        4 => "[a-z\u{1b}\\[0-9m]{0,40}",
                        1 => proptest::strategy::Just("x".repeat(5_000)),
                    ],
                    0..20,
                )),
                0..30,
            ),
        ) {
            let mut store = LogStore::new(cap);
            let ids: Vec<StreamId> = (0..3).map(|_| store.add_stream()).collect();
            let mut pushed = Vec::new();
            for (n, (stream, texts)) in batches.iter().enumerate() {
                let lines: Vec<LogLine> = texts
                    .iter()
                    .map(|t| line((n % 60) as u32, t))
                    .collect();
                let added = store.extend(ids[*stream], lines);
                proptest::prop_assert_eq!(added, texts.len());
                pushed.extend(texts.iter().map(|t| (*stream, t.clone())));
            }
            proptest::prop_assert_eq!(store.total_lines(), pushed.len().min(cap));
            proptest::prop_assert_eq!(store.dropped() as usize, pushed.len().saturating_sub(cap));
            for (s, &id) in ids.iter().enumerate() {
                let want = model_kept(&pushed, cap, s);
                proptest::prop_assert_eq!(texts(&store, id), want.clone());
                let total = pushed.iter().filter(|(t, _)| *t == s).count() as u64;
                proptest::prop_assert_eq!(store.range(id).end, total);
                proptest::prop_assert_eq!(store.stream_dropped(id), total - want.len() as u64);
                // Segments from the first kept line and from a later one.
                for from in [0, store.range(id).start + 1] {
                    let mut seen = Vec::new();
                    let mut next = store.range(id).start.max(from);
                    for seg in store.segments(id, from) {
                        proptest::prop_assert_eq!(seg.first, next);
                        for i in 0..seg.len() {
                            let r = seg.line_range(i);
                            proptest::prop_assert_eq!(seg.line_at(r.start), i);
                            proptest::prop_assert_eq!(seg.line_at(r.end), i);
                            for from in [0, i.saturating_sub(3), i] {
                                proptest::prop_assert_eq!(seg.line_at_from(r.start, from), i);
                            }
                            seen.push(seg.text[r].to_string());
                        }
                        next += seg.len() as u64;
                    }
                    let skip = usize::try_from(from.saturating_sub(store.range(id).start)).unwrap();
                    proptest::prop_assert_eq!(seen, want.iter().skip(skip).cloned().collect::<Vec<_>>());
                }
            }
        }
    }

    #[test]
    fn plain_chunks_are_told_apart_from_ones_with_escapes() {
        assert!(is_plain("INFO all good — ünïcode"));
        assert!(!is_plain("\u{1b}[32mINFO"));
        assert!(!is_plain("50%\r100%"));
        assert!(!is_plain("a\tb"));
        assert!(!is_plain("c1 \u{9b} csi"));
        let mut store = LogStore::new(10);
        let id = store.add_stream();
        store.push(id, line(1, "plain"));
        assert!(store.segments(id, 0).all(|s| s.plain));
        store.push(id, line(2, "\u{1b}[1mbold"));
        assert!(!store.segments(id, 0).all(|s| s.plain));
    }

    #[test]
    fn memory_per_line_is_the_text_plus_a_small_fixed_cost() {
        let mut store = LogStore::new(1_000_000);
        let id = store.add_stream();
        let text = "x".repeat(80);
        for n in 0..100_000 {
            store.push(id, line(n % 60, &text));
        }
        let per_line = store.memory_bytes() as f64 / 100_000.0;
        // 80 bytes of text, `\n`, an end offset, a time and a key, plus the spare room of the
        // chunk being filled.
        assert!(
            per_line < 80.0 + 1.0 + 20.0 + 8.0,
            "{per_line} bytes per line"
        );
    }
}
