//! Which lines are on screen (shared by drawing and the reducer) and how scrolling moves
//! them: following the end, or paused at a line that stays put while lines arrive.

use super::{LogLayout, LogsPane, Scroll, Viewport};
use crate::logs::merge::{self, MergedPos};

impl LogsPane {
    // ---- windows: which lines are on screen (shared by drawing and scrolling) --------------

    /// The first line shown of stream `i` when it follows the end.
    pub fn follow_top(&self, i: usize, vp: Viewport) -> u64 {
        let s = &self.streams[i];
        let range = self.store.range(s.id);
        let prefix = self.prefix_width(false);
        let mut rows = 0;
        let mut top = range.end;
        while top > range.start && rows < vp.height {
            top -= 1;
            let text = self.store.get(s.id, top).map_or("", |l| l.text);
            rows += self.rows_of(text, vp.width, prefix);
        }
        top
    }

    /// The first line shown of stream `i` (its paused position, clamped to what is kept).
    pub fn top_of(&self, i: usize, vp: Viewport) -> u64 {
        let s = &self.streams[i];
        match s.scroll {
            Scroll::Follow => self.follow_top(i, vp),
            Scroll::Paused(top) => {
                let range = self.store.range(s.id);
                top.clamp(range.start, range.end.saturating_sub(1).max(range.start))
            }
        }
    }

    /// The line shown first in the merged view when it follows the end.
    pub fn merged_follow_top(&self, vp: Viewport) -> Option<MergedPos> {
        let ids = self.shown_ids();
        let prefix = self.prefix_width(true);
        // Every line takes at least one row: a screenful of lines is enough.
        let last = merge::backward(&self.store, &ids, None, vp.height.max(1));
        let mut rows = 0;
        let mut top = None;
        for p in last.iter().rev() {
            if rows >= vp.height && top.is_some() {
                break;
            }
            let text = self.store.get(p.stream, p.index).map_or("", |l| l.text);
            rows += self.rows_of(text, vp.width, prefix);
            top = Some(*p);
        }
        top
    }

    /// The first line shown in the merged view (`None`: nothing to show).
    pub fn merged_top(&self, vp: Viewport) -> Option<MergedPos> {
        match self.merged {
            Scroll::Follow => self.merged_follow_top(vp),
            Scroll::Paused(p) => {
                let ids = self.shown_ids();
                merge::forward(&self.store, &ids, Some(p), 1)
                    .first()
                    .copied()
                    .or_else(|| merge::backward(&self.store, &ids, None, 1).first().copied())
            }
        }
    }

    // ---- scrolling ------------------------------------------------------------------------

    /// Scrolls the target up `n` lines; pauses following.
    pub fn scroll_up(&mut self, n: usize, vp: Viewport) {
        match self.layout {
            LogLayout::Merged => {
                let Some(top) = self.merged_top(vp) else {
                    return;
                };
                let before = merge::backward(&self.store, &self.shown_ids(), Some(top), n);
                self.merged = Scroll::Paused(before.first().copied().unwrap_or(top));
            }
            LogLayout::Grid => {
                let Some(i) = self.selected_index() else {
                    return;
                };
                let top = self.top_of(i, vp);
                let first = self.store.range(self.streams[i].id).start;
                let new = top.saturating_sub(n as u64).max(first);
                self.streams[i].scroll = Scroll::Paused(new);
            }
        }
    }

    /// Scrolls the target down `n` lines; reaching the end follows again.
    pub fn scroll_down(&mut self, n: usize, vp: Viewport) {
        match self.layout {
            LogLayout::Merged => {
                let Scroll::Paused(_) = self.merged else {
                    return;
                };
                let Some(top) = self.merged_top(vp) else {
                    return;
                };
                let ids = self.shown_ids();
                let after = merge::forward(&self.store, &ids, Some(top), n + 1);
                let new = after.last().copied().unwrap_or(top);
                let end = self.merged_follow_top(vp);
                self.merged = match end {
                    Some(end) if new < end => Scroll::Paused(new),
                    _ => Scroll::Follow,
                };
            }
            LogLayout::Grid => {
                let Some(i) = self.selected_index() else {
                    return;
                };
                let Scroll::Paused(_) = self.streams[i].scroll else {
                    return;
                };
                let new = self.top_of(i, vp) + n as u64;
                self.streams[i].scroll = if new < self.follow_top(i, vp) {
                    Scroll::Paused(new)
                } else {
                    Scroll::Follow
                };
            }
        }
    }

    /// Jumps to the first line kept; pauses following.
    pub fn scroll_to_top(&mut self) {
        match self.layout {
            LogLayout::Merged => {
                if let Some(first) = merge::forward(&self.store, &self.shown_ids(), None, 1).first()
                {
                    self.merged = Scroll::Paused(*first);
                }
            }
            LogLayout::Grid => {
                if let Some(i) = self.selected_index() {
                    let first = self.store.range(self.streams[i].id).start;
                    self.streams[i].scroll = Scroll::Paused(first);
                }
            }
        }
    }

    /// Follows the end again.
    pub fn follow(&mut self) {
        match self.layout {
            LogLayout::Merged => self.merged = Scroll::Follow,
            LogLayout::Grid => {
                if let Some(i) = self.selected_index() {
                    self.streams[i].scroll = Scroll::Follow;
                }
            }
        }
    }

    /// Follow ↔ pause where the view is.
    pub fn toggle_follow(&mut self, vp: Viewport) {
        if self.is_following() {
            self.scroll_up(0, vp);
        } else {
            self.follow();
        }
    }
}
