//! The pane's search: the pattern and its matching lines over the shown streams (kept up to
//! date as lines arrive and drop), the current match (where `n`/`N` went), and whether only
//! the matching lines are shown (filter mode). Also the merged order *over the matches only*,
//! which the filtered merged view scrolls through: like [`crate::logs::merge`], a k-way merge
//! from a position that visits only the lines asked for.

use std::ops::Range;

use super::LogsPane;
use crate::logs::merge::{pos_of, MergedPos};
use crate::logs::search::Search;
use crate::logs::{LogStore, StreamId};

/// The search of the logs pane.
#[derive(Debug, Clone)]
pub struct LogSearch {
    pub search: Search,
    /// The match `n`/`N` went to last (marked on screen, counted in the title).
    pub current: Option<MergedPos>,
    /// Only matching lines are shown.
    pub filter: bool,
}

/// The lines a stream shows: all it holds, or only its matches (filter mode).
#[derive(Debug, Clone)]
pub enum Lines<'a> {
    All(Range<u64>),
    Hits(&'a [u64]),
}

impl Lines<'_> {
    /// The shown lines from absolute index `from` on (inclusive), ascending.
    pub fn after(&self, from: u64) -> Box<dyn Iterator<Item = u64> + '_> {
        match self {
            Lines::All(r) => Box::new(from.max(r.start)..r.end),
            Lines::Hits(h) => Box::new(h[h.partition_point(|&x| x < from)..].iter().copied()),
        }
    }

    /// The shown lines before absolute index `end` (exclusive), nearest first.
    pub fn before(&self, end: u64) -> Box<dyn Iterator<Item = u64> + '_> {
        match self {
            Lines::All(r) => Box::new((r.start..end.min(r.end)).rev()),
            Lines::Hits(h) => Box::new(h[..h.partition_point(|&x| x < end)].iter().rev().copied()),
        }
    }

    /// The first shown line.
    pub fn first(&self) -> Option<u64> {
        self.after(0).next()
    }
}

/// Per stream, the position in its hits of the first hit at or after `at`.
fn cursors(store: &LogStore, search: &Search, ids: &[StreamId], at: MergedPos) -> Vec<usize> {
    ids.iter()
        .map(|&id| {
            // A hit the store no longer holds is older than anything held.
            search
                .hits(id)
                .partition_point(|&h| pos_of(store, id, h).is_none_or(|p| p < at))
        })
        .collect()
}

/// Up to `n` matching lines from `start` (inclusive; `None` = the first) in merged order.
pub fn hits_forward(
    store: &LogStore,
    search: &Search,
    ids: &[StreamId],
    start: Option<MergedPos>,
    n: usize,
) -> Vec<MergedPos> {
    let mut next = match start {
        Some(at) => cursors(store, search, ids, at),
        None => vec![0; ids.len()],
    };
    let mut out = Vec::with_capacity(n.min(1024));
    while out.len() < n {
        let best = ids
            .iter()
            .zip(&next)
            .enumerate()
            .filter_map(|(i, (&id, &k))| {
                let index = *search.hits(id).get(k)?;
                pos_of(store, id, index).map(|p| (p, i))
            })
            .min();
        let Some((pos, i)) = best else {
            break;
        };
        out.push(pos);
        next[i] += 1;
    }
    out
}

/// Up to `n` matching lines just before `end` (exclusive; `None` = after the last), in
/// merged order (oldest first).
pub fn hits_backward(
    store: &LogStore,
    search: &Search,
    ids: &[StreamId],
    end: Option<MergedPos>,
    n: usize,
) -> Vec<MergedPos> {
    let mut next = match end {
        Some(at) => cursors(store, search, ids, at),
        None => ids.iter().map(|&id| search.hits(id).len()).collect(),
    };
    let mut out = Vec::with_capacity(n.min(1024));
    while out.len() < n {
        let best = ids
            .iter()
            .zip(&next)
            .enumerate()
            .filter_map(|(i, (&id, &k))| {
                let index = *search.hits(id).get(k.checked_sub(1)?)?;
                pos_of(store, id, index).map(|p| (p, i))
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

/// How many matches of the streams come before `at` in merged order.
pub fn rank(store: &LogStore, search: &Search, ids: &[StreamId], at: MergedPos) -> usize {
    cursors(store, search, ids, at).iter().sum()
}

impl LogsPane {
    /// Replaces the search (`None` clears it); a filter stays on for the new pattern.
    pub fn set_search(&mut self, search: Option<Search>) {
        let filter = self.search.as_ref().is_some_and(|s| s.filter);
        self.search = search.map(|search| LogSearch {
            search,
            current: None,
            filter,
        });
        self.sync_search();
    }

    /// Brings the matches up to date with the store and the shown streams (after lines
    /// arrived or dropped, or the shown build changed).
    pub fn sync_search(&mut self) {
        let ids = self.shown_ids();
        if let Some(s) = &mut self.search {
            s.search.update(&self.store, &ids);
        }
    }

    /// Whether only the matching lines are shown.
    pub fn filtering(&self) -> bool {
        self.search.as_ref().is_some_and(|s| s.filter)
    }

    /// The lines stream `i` shows (its matches only when filtering).
    pub fn lines_of(&self, i: usize) -> Lines<'_> {
        let id = self.streams[i].id;
        match &self.search {
            Some(s) if s.filter => Lines::Hits(s.search.hits(id)),
            _ => Lines::All(self.store.range(id)),
        }
    }

    /// Up to `n` shown lines from `start` (inclusive) in merged order.
    pub fn merged_forward(&self, start: Option<MergedPos>, n: usize) -> Vec<MergedPos> {
        let ids = self.shown_ids();
        match &self.search {
            Some(s) if s.filter => hits_forward(&self.store, &s.search, &ids, start, n),
            _ => crate::logs::merge::forward(&self.store, &ids, start, n),
        }
    }

    /// Up to `n` shown lines just before `end` (exclusive) in merged order, oldest first.
    pub fn merged_backward(&self, end: Option<MergedPos>, n: usize) -> Vec<MergedPos> {
        let ids = self.shown_ids();
        match &self.search {
            Some(s) if s.filter => hits_backward(&self.store, &s.search, &ids, end, n),
            _ => crate::logs::merge::backward(&self.store, &ids, end, n),
        }
    }

    /// `(i, n)`: the current match is the `i`-th (from 1) of `n` in merged order; `i` is 0
    /// without a current match.
    pub fn match_counter(&self) -> Option<(usize, usize)> {
        let s = self.search.as_ref()?;
        let n = s.search.count();
        let i = s.current.map_or(0, |at| {
            let ids = self.shown_ids();
            rank(&self.store, &s.search, &ids, at) + 1
        });
        Some((i.min(n), n))
    }

    /// Whether the line is the current match.
    pub fn is_current(&self, stream: StreamId, index: u64) -> bool {
        self.search
            .as_ref()
            .and_then(|s| s.current)
            .is_some_and(|c| c.stream == stream && c.index == index)
    }
}
