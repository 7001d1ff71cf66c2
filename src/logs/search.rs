//! Search over the stored lines of several streams: which lines a regex matches, kept up to
//! date as lines arrive and as the cap drops old ones, and the next/previous match in the
//! merged order (what `n`/`N` jump to).
//!
//! A line matches when the regex finds something in *what a terminal shows* of it (escape
//! sequences dropped, `\r` applied, tabs expanded; see [`super::ansi`]), so a search for a
//! coloured word finds it. Lines without control characters are searched where they are
//! stored: the regex runs over a whole chunk of lines at once (see
//! [`super::store::Segment`]) instead of line by line.
//!
//! The pattern is a Rust `regex` with smart case (no capital letter: case-insensitive) and
//! `^`/`$` matching at the start and end of each line.

use std::ops::Range;

use regex::Regex;

use super::merge::{self, MergedPos};
use super::scan::Matcher;
use super::store::{LogStore, Segment, StreamId};

/// Which way to look for the next match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Forward,
    Backward,
}

/// The lines one stream has that match.
#[derive(Debug, Clone, PartialEq, Eq)]
struct StreamHits {
    id: StreamId,
    /// Absolute indices of matching lines, ascending.
    hits: Vec<u64>,
    /// Lines before this absolute index have been searched.
    searched_to: u64,
}

/// A search: its regex and the matching lines of the streams searched so far.
#[derive(Debug, Clone)]
pub struct Search {
    pattern: String,
    matcher: Matcher,
    streams: Vec<StreamHits>,
}

pub use super::scan::compile;

impl Search {
    /// A search for `pattern` that has not looked at any line yet.
    pub fn new(pattern: &str) -> Result<Search, String> {
        Ok(Search {
            pattern: pattern.to_string(),
            matcher: Matcher::new(pattern)?,
            streams: Vec::new(),
        })
    }

    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    pub fn regex(&self) -> &Regex {
        &self.matcher.regex
    }

    /// Searches what `streams` received since the last update (everything, the first time),
    /// forgets matches the cap dropped, and forgets streams not listed any more.
    pub fn update(&mut self, store: &LogStore, streams: &[StreamId]) {
        self.streams.retain(|s| streams.contains(&s.id));
        // What is left to search: (entry, segment), in stream then line order.
        let mut work: Vec<(usize, Segment<'_>)> = Vec::new();
        for &id in streams {
            let range = store.range(id);
            let i = match self.streams.iter().position(|s| s.id == id) {
                Some(i) => i,
                None => {
                    self.streams.push(StreamHits {
                        id,
                        hits: Vec::new(),
                        searched_to: range.start,
                    });
                    self.streams.len() - 1
                }
            };
            let entry = &mut self.streams[i];
            // Lines the cap dropped are no longer hits.
            let gone = entry.hits.partition_point(|&h| h < range.start);
            entry.hits.drain(..gone);
            if entry.searched_to < range.end {
                work.extend(store.segments(id, entry.searched_to).map(|s| (i, s)));
                entry.searched_to = range.end;
            }
        }
        for (i, hits) in search_all(&self.matcher, &work) {
            self.streams[i].hits.extend(hits);
        }
    }

    /// Matching lines of a stream (absolute indices, ascending).
    pub fn hits(&self, id: StreamId) -> &[u64] {
        self.streams
            .iter()
            .find(|s| s.id == id)
            .map_or(&[], |s| s.hits.as_slice())
    }

    /// Matching lines across the streams searched.
    pub fn count(&self) -> usize {
        self.streams.iter().map(|s| s.hits.len()).sum()
    }

    /// Whether a line matches (as of the last update).
    pub fn is_hit(&self, id: StreamId, index: u64) -> bool {
        self.hits(id).binary_search(&index).is_ok()
    }

    /// The next matching line of one stream after (or before) `index`.
    pub fn next_in_stream(&self, id: StreamId, index: u64, dir: Direction) -> Option<u64> {
        let hits = self.hits(id);
        match dir {
            Direction::Forward => {
                let i = hits.partition_point(|&h| h <= index);
                hits.get(i).copied()
            }
            Direction::Backward => {
                let i = hits.partition_point(|&h| h < index);
                i.checked_sub(1).map(|i| hits[i])
            }
        }
    }

    /// The next match in merged order after (or before) `from`, among `streams`; `None` =
    /// from the start (forward) or the end (backward).
    pub fn next_merged(
        &self,
        store: &LogStore,
        streams: &[StreamId],
        from: Option<MergedPos>,
        dir: Direction,
    ) -> Option<MergedPos> {
        let candidates = streams.iter().filter_map(|&id| {
            let hits = self.hits(id);
            let pos_of = |index: u64| merge::pos_of(store, id, index);
            let pos_at = |i: usize| hits.get(i).and_then(|&index| pos_of(index));
            match (dir, from) {
                (Direction::Forward, None) => pos_at(0),
                (Direction::Backward, None) => pos_at(hits.len().checked_sub(1)?),
                (Direction::Forward, Some(at)) => {
                    let i = hits.partition_point(|&h| pos_of(h).is_some_and(|p| p <= at));
                    pos_at(i)
                }
                (Direction::Backward, Some(at)) => {
                    let i = hits.partition_point(|&h| pos_of(h).is_some_and(|p| p < at));
                    pos_at(i.checked_sub(1)?)
                }
            }
        });
        match dir {
            Direction::Forward => candidates.min(),
            Direction::Backward => candidates.max(),
        }
    }

    /// Byte ranges of the matches in `shown`, the text a terminal shows of a line (what the
    /// pane highlights).
    pub fn highlights(&self, shown: &str) -> Vec<Range<usize>> {
        self.matcher
            .regex
            .find_iter(shown)
            .filter(|m| !m.is_empty())
            .map(|m| m.range())
            .collect()
    }
}

/// Below this many bytes a search runs on the calling thread.
const PARALLEL_BYTES: usize = 8 << 20;

/// The matching lines of every work item, in the items' order: on the calling thread for a
/// little text, else split in contiguous runs of about equal size across the cores (a search
/// over a million lines takes a few tens of milliseconds instead of twice that).
fn search_all(matcher: &Matcher, work: &[(usize, Segment<'_>)]) -> Vec<(usize, Vec<u64>)> {
    let run = |matcher: &Matcher, items: &[(usize, Segment<'_>)]| -> Vec<(usize, Vec<u64>)> {
        let mut scanner = matcher.scanner();
        items
            .iter()
            .map(|(i, segment)| {
                let mut hits = Vec::new();
                scanner.find_lines(*segment, &mut hits);
                (*i, hits)
            })
            .collect()
    };
    let bytes: usize = work.iter().map(|(_, s)| s.text.len()).sum();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if bytes < PARALLEL_BYTES || threads < 2 || work.len() < 2 {
        return run(matcher, work);
    }
    // Cut the work into `threads` contiguous runs by bytes.
    let share = bytes.div_ceil(threads);
    let mut runs: Vec<&[(usize, Segment<'_>)]> = Vec::new();
    let (mut start, mut acc) = (0, 0);
    for (n, (_, s)) in work.iter().enumerate() {
        acc += s.text.len();
        if acc >= share && runs.len() + 1 < threads {
            runs.push(&work[start..=n]);
            (start, acc) = (n + 1, 0);
        }
    }
    runs.push(&work[start..]);
    std::thread::scope(|scope| {
        let handles: Vec<_> = runs
            .iter()
            // Each worker its own clone: a clone of a `Regex` has its own cache pool (what
            // the general scan uses), so no worker takes a lock per call to get a cache.
            .map(|items| {
                let matcher = matcher.clone();
                scope.spawn(move || run(&matcher, items))
            })
            .collect();
        handles
            .into_iter()
            .zip(&runs)
            // A worker that panicked (it cannot: no unwrap in the search) is searched again here.
            .flat_map(|(h, items)| h.join().unwrap_or_else(|_| run(matcher, items)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backends::cluster::LogLine;
    use crate::logs::ansi;
    use chrono::{TimeZone, Utc};
    use proptest::prelude::*;

    fn line(ms: i64, text: &str) -> LogLine {
        LogLine {
            time: Some(
                Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap()
                    + chrono::Duration::milliseconds(ms),
            ),
            text: text.to_string(),
        }
    }

    fn store_of(streams: &[&[&str]]) -> (LogStore, Vec<StreamId>) {
        let mut store = LogStore::new(1_000);
        let mut ids = Vec::new();
        for (s, lines) in streams.iter().enumerate() {
            let id = store.add_stream();
            store.extend(
                id,
                lines
                    .iter()
                    .enumerate()
                    .map(|(i, t)| line((i * 10 + s) as i64, t)),
            );
            ids.push(id);
        }
        (store, ids)
    }

    #[test]
    fn finds_lines_by_what_a_terminal_shows_with_smart_case() {
        let (store, ids) = store_of(&[
            &[
                "INFO[0001] Retrieving image",
                "\u{1b}[31mERROR\u{1b}[0m: pull failed",
                "step 3/9 : RUN pip install",
                "10%\r55%\rdone 100%",
                "warning: error budget",
            ],
            &["error in stream two", "Error: capital"],
        ]);
        let mut search = Search::new("error").unwrap();
        search.update(&store, &ids);
        assert_eq!(search.hits(ids[0]), [1, 4]);
        assert_eq!(search.hits(ids[1]), [0, 1]);
        assert_eq!(search.count(), 4);
        // A capital letter makes it case-sensitive.
        let mut capital = Search::new("Error").unwrap();
        capital.update(&store, &ids);
        assert_eq!(capital.hits(ids[1]), [1]);
        assert_eq!(capital.hits(ids[0]), [] as [u64; 0]);
        // `\r` applied: only the last state of the progress line is there.
        let mut progress = Search::new("^done").unwrap();
        progress.update(&store, &ids);
        assert_eq!(progress.hits(ids[0]), [3]);
        let mut gone = Search::new("55%").unwrap();
        gone.update(&store, &ids);
        assert_eq!(gone.count(), 0);
        // Anchors are per line; a class that takes `\n` does not join two lines.
        let mut anchored = Search::new(r"image$").unwrap();
        anchored.update(&store, &ids);
        assert_eq!(anchored.hits(ids[0]), [0]);
        let mut across = Search::new(r"image\s+\S+").unwrap();
        across.update(&store, &ids);
        assert_eq!(across.count(), 0);
        assert!(Search::new("(unclosed").is_err());
    }

    #[test]
    fn updates_search_only_new_lines_and_forget_dropped_ones() {
        let mut store = LogStore::new(4);
        let a = store.add_stream();
        store.extend(a, [line(0, "hit 0"), line(1, "miss"), line(2, "hit 2")]);
        let mut search = Search::new("hit").unwrap();
        search.update(&store, &[a]);
        assert_eq!(search.hits(a), [0, 2]);
        store.extend(a, [line(3, "hit 3"), line(4, "hit 4")]);
        search.update(&store, &[a]);
        // Line 0 was dropped by the cap.
        assert_eq!(search.hits(a), [2, 3, 4]);
        assert!(search.is_hit(a, 3));
        assert!(!search.is_hit(a, 1));
        // A stream no longer shown is forgotten.
        search.update(&store, &[]);
        assert_eq!(search.count(), 0);
    }

    #[test]
    fn next_and_previous_follow_the_merged_order_across_streams() {
        // Stream a at 0,10,20,30 ms; stream b at 1,11,21 ms.
        let (store, ids) = store_of(&[&["x", "-", "x", "x"], &["x", "x", "-"]]);
        let mut search = Search::new("x").unwrap();
        search.update(&store, &ids);
        let order: Vec<(StreamId, u64)> = std::iter::successors(
            search.next_merged(&store, &ids, None, Direction::Forward),
            |p| search.next_merged(&store, &ids, Some(*p), Direction::Forward),
        )
        .map(|p| (p.stream, p.index))
        .collect();
        assert_eq!(order, [(0, 0), (1, 0), (1, 1), (0, 2), (0, 3)]);
        let back: Vec<(StreamId, u64)> = std::iter::successors(
            search.next_merged(&store, &ids, None, Direction::Backward),
            |p| search.next_merged(&store, &ids, Some(*p), Direction::Backward),
        )
        .map(|p| (p.stream, p.index))
        .collect();
        assert_eq!(back, [(0, 3), (0, 2), (1, 1), (1, 0), (0, 0)]);
        assert_eq!(
            search.next_in_stream(ids[0], 0, Direction::Forward),
            Some(2)
        );
        assert_eq!(
            search.next_in_stream(ids[0], 2, Direction::Backward),
            Some(0)
        );
        assert_eq!(search.next_in_stream(ids[0], 3, Direction::Forward), None);
    }

    #[test]
    fn highlights_are_the_non_empty_matches_of_the_shown_text() {
        let search = Search::new("o+").unwrap();
        assert_eq!(search.highlights("foo boo x"), [1..3, 5..7]);
        let empty = Search::new("z*").unwrap();
        assert!(empty.highlights("abc").is_empty());
    }

    #[test]
    fn a_search_split_across_threads_finds_what_one_thread_finds() {
        // Over PARALLEL_BYTES of text in 3 streams (one with escapes), so it is split.
        let mut store = LogStore::new(1_000_000);
        let ids: Vec<StreamId> = (0..3).map(|_| store.add_stream()).collect();
        for (s, &id) in ids.iter().enumerate() {
            let lines = (0..40_000).map(|i| {
                let level = if i % 97 == 0 { "WARN" } else { "info" };
                let level = if s == 2 {
                    format!("\u{1b}[33m{level}\u{1b}[0m")
                } else {
                    level.to_string()
                };
                line(
                    i,
                    &format!("{level} stream {s} line {i:06} {}", "x".repeat(60)),
                )
            });
            store.extend(id, lines);
        }
        let mut search = Search::new("WARN stream").unwrap();
        search.update(&store, &ids);
        let regex = compile("WARN stream").unwrap();
        for &id in &ids {
            let want: Vec<u64> = store
                .range(id)
                .filter(|&i| regex.is_match(&ansi::search_text(store.get(id, i).unwrap().text)))
                .collect();
            assert_eq!(want.len(), 40_000_usize.div_ceil(97));
            assert_eq!(search.hits(id), want.as_slice());
        }
    }

    /// Patterns of both kinds: matches inside one line, and classes that take a `\n` (`\s`,
    /// `[^a]`, `(?s).`), with anchors, word boundaries and empty matches.
    const PATTERNS: &[&str] = &[
        "a",
        "b",
        "ab",
        "[ab]{1,2}",
        "^a",
        "b$",
        "^$",
        "^",
        "$",
        "a*",
        "b?",
        r"\bb",
        ".*b",
        "a-",
        "[ab]-",
        r"\t",
        r"a\s+b",
        r"\s",
        "[^a]",
        "a[^b]*b",
        "(?s)a.b",
        r"\W$",
        "A",
    ];

    /// `^$` and `a*` also match (empty) after the last line's `\n`: that is no line (this
    /// crashed the console before).
    #[test]
    fn an_empty_match_after_the_last_line_is_no_line() {
        let (store, ids) = store_of(&[&["abc", "", "def"], &["xyz"]]);
        for (pattern, want) in [("^$", vec![1]), ("q*", vec![0, 1, 2]), (r"^\s*$", vec![1])] {
            let mut search = Search::new(pattern).unwrap();
            search.update(&store, &ids);
            assert_eq!(search.hits(ids[0]), want.as_slice(), "{pattern}");
            assert_eq!(
                search.hits(ids[1]).len(),
                usize::from(pattern == "q*"),
                "{pattern}"
            );
        }
    }

    proptest! {
        /// Whatever the lines and the pattern, the hits are exactly the lines whose shown
        /// text the regex matches, one line at a time.
        #[test]
        fn hits_equal_a_line_by_line_search(
            lines in proptest::collection::vec("[ab \u{1b}\\[0-9m\r\t-]{0,12}", 0..60),
            pattern in proptest::sample::select(PATTERNS),
            cap in 1usize..80,
        ) {
            let mut store = LogStore::new(cap);
            let id = store.add_stream();
            let mut search = Search::new(pattern).unwrap();
            for (n, chunk) in lines.chunks(7).enumerate() {
                store.extend(id, chunk.iter().map(|t| line(n as i64, t)));
                search.update(&store, &[id]);
            }
            let regex = compile(pattern).unwrap();
            let want: Vec<u64> = store
                .range(id)
                .filter(|&i| regex.is_match(&ansi::search_text(store.get(id, i).unwrap().text)))
                .collect();
            prop_assert_eq!(search.hits(id), want.as_slice());
        }
    }
}
