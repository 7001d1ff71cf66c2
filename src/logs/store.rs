//! The log store: one line buffer per stream, and one cap on the lines kept across all streams
//! (`[ui] scrollback`). When the cap is reached the oldest line received is dropped and
//! counted, so the pane can say how much scrollback was lost.
//!
//! Lines are addressed by an *absolute* index per stream (0 = the first line ever received),
//! so a scroll position stays valid while older lines are dropped in front of it.

use std::collections::VecDeque;
use std::ops::Range;

use chrono::{DateTime, Utc};

use crate::backends::cluster::LogLine;

/// A stream in the store (never reused, even after the stream is removed).
pub type StreamId = u32;

/// One stored log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLine {
    /// The container runtime's timestamp, when the server sent one.
    pub time: Option<DateTime<Utc>>,
    /// Sort key of the merged view: the time in nanoseconds, never less than the key of the
    /// line before it in the same stream (so every stream is sorted by key).
    pub key: i64,
    /// The text as received (escape sequences, `\r` and tabs included): the pane shows it
    /// through [`crate::logs::ansi::display_line`].
    pub text: Box<str>,
}

#[derive(Debug, Default)]
struct Buffer {
    lines: VecDeque<StoredLine>,
    /// Absolute index of `lines[0]`: how many lines of this stream the cap dropped.
    first: u64,
    last_key: Option<i64>,
    removed: bool,
}

/// Line buffers of every stream under one cap.
#[derive(Debug)]
pub struct LogStore {
    buffers: Vec<Buffer>,
    /// The stream of every stored line, oldest received first: what the cap drops next.
    arrival: VecDeque<StreamId>,
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
        let n = buf.lines.len();
        *buf = Buffer {
            removed: true,
            ..Buffer::default()
        };
        self.total -= n;
        if n > 0 {
            self.arrival.retain(|s| *s != id);
        }
    }

    /// Appends lines to a stream, dropping the oldest lines of the store beyond the cap.
    /// Returns how many lines were appended (0 for an unknown or removed stream).
    pub fn extend(&mut self, id: StreamId, lines: impl IntoIterator<Item = LogLine>) -> usize {
        let Some(buf) = self.buffer_mut(id) else {
            return 0;
        };
        let before = buf.lines.len();
        for line in lines {
            let nanos = line.time.and_then(|t| t.timestamp_nanos_opt());
            let key = match (nanos, buf.last_key) {
                (Some(k), Some(last)) => k.max(last),
                (Some(k), None) => k,
                (None, last) => last.unwrap_or(i64::MIN),
            };
            buf.last_key = Some(key);
            buf.lines.push_back(StoredLine {
                time: line.time,
                key,
                text: line.text.into_boxed_str(),
            });
        }
        let added = buf.lines.len() - before;
        self.arrival.extend(std::iter::repeat_n(id, added));
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
            let Some(id) = self.arrival.pop_front() else {
                break;
            };
            if let Some(buf) = self.buffers.get_mut(id as usize) {
                if buf.lines.pop_front().is_some() {
                    buf.first += 1;
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
            Some(b) => b.first..b.first + b.lines.len() as u64,
            None => 0..0,
        }
    }

    /// Lines a stream still holds.
    pub fn len(&self, id: StreamId) -> usize {
        self.buffer(id).map_or(0, |b| b.lines.len())
    }

    pub fn is_empty(&self, id: StreamId) -> bool {
        self.len(id) == 0
    }

    /// The line at an absolute index, if still held.
    pub fn get(&self, id: StreamId, index: u64) -> Option<&StoredLine> {
        let b = self.buffer(id)?;
        let i = index.checked_sub(b.first)?;
        b.lines.get(usize::try_from(i).ok()?)
    }

    /// The absolute index of the first line for which `before` is false, assuming `before`
    /// is true for a prefix of the stream (binary search; `before` gets the absolute index).
    pub fn partition_point(
        &self,
        id: StreamId,
        mut before: impl FnMut(u64, &StoredLine) -> bool,
    ) -> u64 {
        let Some(b) = self.buffer(id) else {
            return 0;
        };
        let (mut lo, mut hi) = (0usize, b.lines.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if before(b.first + mid as u64, &b.lines[mid]) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        b.first + lo as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
        assert_eq!(store.get(a, 2).map(|l| &*l.text), Some("a2"));
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
}
