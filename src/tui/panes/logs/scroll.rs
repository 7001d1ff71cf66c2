//! Which lines are on screen (shared by drawing and the reducer) and how scrolling moves
//! them: following the end, or paused at a line that stays put while lines arrive.

use ratatui::layout::Rect;

use super::{LogLayout, LogsPane, Scroll, Viewport};
use crate::logs::merge::MergedPos;

impl LogsPane {
    // ---- windows: which lines are on screen (shared by drawing and scrolling) --------------

    /// The first line shown of stream `i` when it follows the end.
    pub fn follow_top(&self, i: usize, vp: Viewport) -> u64 {
        let s = &self.streams[i];
        let range = self.store.range(s.id);
        let prefix = self.prefix_width(false);
        let mut rows = 0;
        let mut top = range.end;
        for index in self.lines_of(i).before(range.end) {
            if rows >= vp.height {
                break;
            }
            top = index;
            let text = self.store.get(s.id, index).map_or("", |l| l.text);
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
        let prefix = self.prefix_width(true);
        // Every line takes at least one row: a screenful of lines is enough.
        let last = self.merged_backward(None, vp.height.max(1));
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
            Scroll::Paused(p) => self
                .merged_forward(Some(p), 1)
                .first()
                .copied()
                .or_else(|| self.merged_backward(None, 1).first().copied()),
        }
    }

    /// The lines of stream `i` on screen (at least a row of each), top first.
    pub fn grid_window(&self, i: usize, vp: Viewport) -> Vec<u64> {
        let id = self.streams[i].id;
        let prefix = self.prefix_width(false);
        let mut rows = 0;
        let mut out = Vec::new();
        for index in self.lines_of(i).after(self.top_of(i, vp)) {
            if rows >= vp.height {
                break;
            }
            out.push(index);
            let text = self.store.get(id, index).map_or("", |l| l.text);
            rows += self.rows_of(text, vp.width, prefix);
        }
        out
    }

    /// The lines of the merged view on screen (at least a row of each), top first.
    pub fn merged_window(&self, vp: Viewport) -> Vec<MergedPos> {
        let prefix = self.prefix_width(true);
        let Some(top) = self.merged_top(vp) else {
            return Vec::new();
        };
        let mut rows = 0;
        let mut out = Vec::new();
        for p in self.merged_forward(Some(top), vp.height) {
            if rows >= vp.height {
                break;
            }
            out.push(p);
            let text = self.store.get(p.stream, p.index).map_or("", |l| l.text);
            rows += self.rows_of(text, vp.width, prefix);
        }
        out
    }

    /// Brings a line on screen and pauses there (so it stays while lines arrive): in the grid
    /// its stream is selected; the view scrolls only when the line is not on screen already,
    /// leaving a few lines above it.
    pub fn reveal(&mut self, at: MergedPos, area: Rect) {
        /// Lines kept above a revealed line, for context.
        const CONTEXT: usize = 2;
        match self.layout {
            LogLayout::Merged => {
                let vp = self.viewport(area);
                if self.merged_window(vp).contains(&at) {
                    if let Some(top) = self.merged_top(vp) {
                        self.merged = Scroll::Paused(top);
                    }
                    return;
                }
                let above = self.merged_backward(Some(at), CONTEXT.min(vp.height / 2));
                self.merged = Scroll::Paused(above.first().copied().unwrap_or(at));
            }
            LogLayout::Grid => {
                let shown = self.shown_indices();
                let Some(pos) = shown.iter().position(|&i| self.streams[i].id == at.stream) else {
                    return;
                };
                self.selected = pos;
                let i = shown[pos];
                let vp = self.viewport(area);
                if self.grid_window(i, vp).contains(&at.index) {
                    self.streams[i].scroll = Scroll::Paused(self.top_of(i, vp));
                    return;
                }
                let context = CONTEXT.min(vp.height / 2);
                let lines = self.lines_of(i);
                let top = lines.before(at.index).take(context).last();
                self.streams[i].scroll = Scroll::Paused(top.unwrap_or(at.index));
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
                let before = self.merged_backward(Some(top), n);
                self.merged = Scroll::Paused(before.first().copied().unwrap_or(top));
            }
            LogLayout::Grid => {
                let Some(i) = self.selected_index() else {
                    return;
                };
                let top = self.top_of(i, vp);
                let new = self.lines_of(i).before(top).take(n).last().unwrap_or(top);
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
                let after = self.merged_forward(Some(top), n + 1);
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
                let top = self.top_of(i, vp);
                let new = self.lines_of(i).after(top).nth(n);
                self.streams[i].scroll = match new {
                    Some(new) if new < self.follow_top(i, vp) => Scroll::Paused(new),
                    _ => Scroll::Follow,
                };
            }
        }
    }

    /// Jumps to the first line kept; pauses following.
    pub fn scroll_to_top(&mut self) {
        match self.layout {
            LogLayout::Merged => {
                if let Some(first) = self.merged_forward(None, 1).first() {
                    self.merged = Scroll::Paused(*first);
                }
            }
            LogLayout::Grid => {
                if let Some(i) = self.selected_index() {
                    let id = self.streams[i].id;
                    let first = self.lines_of(i).first();
                    let first = first.unwrap_or(self.store.range(id).start);
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
