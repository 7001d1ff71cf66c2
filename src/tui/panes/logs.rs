//! The build logs pane: every build pod's log, live, as a grid of streams or merged into one.
//!
//! [`LogsPane`] is plain state: the [`LogStore`], the open streams (one per pod, grouped by
//! build), the layout and the scroll positions. The build wiring opens streams with
//! [`LogsPane::open_stream`]; the reducer feeds the follower's events; [`render`] draws the
//! visible lines only.

mod grid;
mod highlight;
mod picker;
mod render;
mod save;
mod scroll;
mod search;
mod styled;

use chrono::{FixedOffset, Offset};
use ratatui::layout::Rect;
use unicode_width::UnicodeWidthStr;

pub use grid::cells;
pub use picker::{BuildPicker, PickerState};
pub use render::render;
pub use save::{stream_text, view_text};
pub use search::{hits_backward, hits_forward, Lines, LogSearch};

use crate::backends::cluster::LogLine;
use crate::domain::PodRef;
use crate::logs::merge::MergedPos;
use crate::logs::{LogStore, StreamId, StreamStatus};

/// How the streams of the shown build are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogLayout {
    /// One cell per pod.
    #[default]
    Grid,
    /// All lines in one list, ordered by time, each prefixed with its image.
    Merged,
}

/// A scroll position: following the end, or paused with this line at the top.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scroll<P> {
    #[default]
    Follow,
    Paused(P),
}

impl<P> Scroll<P> {
    pub fn is_paused(&self) -> bool {
        matches!(self, Scroll::Paused(_))
    }
}

/// One pod's log stream.
#[derive(Debug, Clone)]
pub struct LogStream {
    pub pod: PodRef,
    /// The image name.
    pub title: String,
    /// The build (build or version ID) it belongs to.
    pub group: String,
    /// The pod phase (`Pending`, `Running`, `Succeeded`, `Failed`), when known.
    pub phase: Option<String>,
    pub status: StreamStatus,
    pub id: StreamId,
    /// Its scroll position in the grid (absolute line index at the top when paused).
    pub scroll: Scroll<u64>,
}

/// The width and height lines are drawn in (after borders and headers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewport {
    pub width: usize,
    pub height: usize,
}

/// Columns of the `HH:MM:SS.mmm ` prefix.
pub const TIMESTAMP_WIDTH: usize = 13;
/// The merged view's image prefix is cut to this many columns.
pub const MERGED_TITLE_MAX: usize = 16;

/// State of the build logs pane.
#[derive(Debug)]
pub struct LogsPane {
    pub store: LogStore,
    /// Open streams, in the order they were opened.
    pub streams: Vec<LogStream>,
    /// Known builds, in the order they were first opened.
    groups: Vec<String>,
    /// The build whose streams are shown.
    shown: Option<String>,
    pub layout: LogLayout,
    /// Position of the selected stream among the shown ones.
    pub selected: usize,
    pub timestamps: bool,
    pub wrap: bool,
    /// The merged view's scroll position.
    pub merged: Scroll<MergedPos>,
    /// The earlier-builds picker, when open.
    pub picker: Option<BuildPicker>,
    /// Timestamps are shown in this offset (the local one when the pane was created).
    pub tz: FixedOffset,
    /// How the follow key is written in the `PAUSED · f to follow` hint.
    pub follow_key: String,
    /// The build picker's key hint (`enter open · esc close`), from the effective keys.
    pub picker_hint: String,
    /// The search (`/`), its matches and the filter, when one is set.
    pub search: Option<LogSearch>,
}

impl Default for LogsPane {
    fn default() -> Self {
        LogsPane::new(crate::config::DEFAULT_SCROLLBACK)
    }
}

impl LogsPane {
    /// An empty pane keeping at most `scrollback` lines across all streams.
    pub fn new(scrollback: usize) -> LogsPane {
        LogsPane {
            store: LogStore::new(scrollback),
            streams: Vec::new(),
            groups: Vec::new(),
            shown: None,
            layout: LogLayout::Grid,
            selected: 0,
            timestamps: false,
            wrap: false,
            merged: Scroll::Follow,
            picker: None,
            tz: chrono::Local::now().offset().fix(),
            follow_key: "f".into(),
            picker_hint: "enter open · esc close".into(),
            search: None,
        }
    }

    /// Opens the stream of a pod's log under a build; shows the build when it is new.
    /// Returns `true` when the stream is new (the caller starts a follower for it).
    pub fn open_stream(&mut self, pod: PodRef, title: String, group: String) -> bool {
        if self.streams.iter().any(|s| s.pod == pod) {
            return false;
        }
        if !self.groups.contains(&group) {
            self.groups.push(group.clone());
            self.show_group(&group);
        } else if self.shown.is_none() {
            self.show_group(&group);
        }
        let id = self.store.add_stream();
        self.streams.push(LogStream {
            pod,
            title,
            group,
            phase: None,
            status: StreamStatus::Connecting,
            id,
            scroll: Scroll::Follow,
        });
        self.sync_search();
        true
    }

    /// Sets the pod phase shown in a stream's title.
    pub fn set_phase(&mut self, pod: &PodRef, phase: &str) {
        if let Some(s) = self.stream_mut(pod) {
            s.phase = Some(phase.to_string());
        }
    }

    /// Sets a stream's status (from its follower).
    pub fn set_status(&mut self, pod: &PodRef, status: StreamStatus) {
        if let Some(s) = self.stream_mut(pod) {
            s.status = status;
        }
    }

    /// Appends lines to a pod's stream; returns how many were stored (0 for an unknown pod).
    pub fn append(&mut self, pod: &PodRef, lines: Vec<LogLine>) -> usize {
        let added = match self.stream(pod).map(|s| s.id) {
            Some(id) => self.store.extend(id, lines),
            None => 0,
        };
        if added > 0 {
            self.sync_search();
        }
        added
    }

    /// Forgets a build: its streams and their lines. Returns the pods whose followers can stop.
    /// When it was shown, the newest remaining build is shown instead.
    pub fn clear_group(&mut self, group: &str) -> Vec<PodRef> {
        let mut removed = Vec::new();
        let store = &mut self.store;
        self.streams.retain(|s| {
            if s.group == group {
                store.remove_stream(s.id);
                removed.push(s.pod.clone());
                false
            } else {
                true
            }
        });
        self.groups.retain(|g| g != group);
        if self.shown.as_deref() == Some(group) {
            self.shown = None;
            if let Some(last) = self.groups.last().cloned() {
                self.show_group(&last);
            }
        }
        self.sync_search();
        removed
    }

    /// Shows a known build's streams. Returns `false` for an unknown build.
    pub fn show_group(&mut self, group: &str) -> bool {
        if !self.groups.iter().any(|g| g == group) {
            return false;
        }
        if self.shown.as_deref() != Some(group) {
            self.shown = Some(group.to_string());
            self.selected = 0;
            self.merged = Scroll::Follow;
            if let Some(s) = &mut self.search {
                s.current = None;
            }
            self.sync_search();
        }
        true
    }

    /// Known builds, oldest opened first.
    pub fn groups(&self) -> &[String] {
        &self.groups
    }

    /// The build shown.
    pub fn shown_group(&self) -> Option<&str> {
        self.shown.as_deref()
    }

    pub fn stream(&self, pod: &PodRef) -> Option<&LogStream> {
        self.streams.iter().find(|s| &s.pod == pod)
    }

    fn stream_mut(&mut self, pod: &PodRef) -> Option<&mut LogStream> {
        self.streams.iter_mut().find(|s| &s.pod == pod)
    }

    /// Whether the pod's stream belongs to the shown build (its lines can be on screen).
    pub fn is_shown(&self, pod: &PodRef) -> bool {
        self.stream(pod)
            .is_some_and(|s| self.shown.as_deref() == Some(s.group.as_str()))
    }

    /// The streams of the shown build, in the order they were opened.
    pub fn shown_streams(&self) -> Vec<&LogStream> {
        match &self.shown {
            Some(g) => self.streams.iter().filter(|s| &s.group == g).collect(),
            None => Vec::new(),
        }
    }

    fn shown_indices(&self) -> Vec<usize> {
        let g = self.shown.as_deref();
        (0..self.streams.len())
            .filter(|&i| Some(self.streams[i].group.as_str()) == g)
            .collect()
    }

    /// Whether there is anything to draw (else the empty state is shown).
    pub fn has_streams(&self) -> bool {
        !self.shown_streams().is_empty()
    }

    /// Store IDs of the shown streams.
    pub fn shown_ids(&self) -> Vec<StreamId> {
        self.shown_streams().iter().map(|s| s.id).collect()
    }

    /// Whether the scroll target (selected stream, or the merged view) follows the end.
    pub fn is_following(&self) -> bool {
        match self.layout {
            LogLayout::Merged => !self.merged.is_paused(),
            LogLayout::Grid => self
                .selected_index()
                .is_none_or(|i| !self.streams[i].scroll.is_paused()),
        }
    }

    /// The index in `streams` of the selected stream.
    pub fn selected_index(&self) -> Option<usize> {
        let shown = self.shown_indices();
        shown
            .get(self.selected.min(shown.len().saturating_sub(1)))
            .copied()
    }

    /// Moves the stream selection by `delta`, wrapping around.
    pub fn select_stream(&mut self, delta: isize) {
        let n = self.shown_indices().len();
        if n == 0 {
            return;
        }
        let n = isize::try_from(n).unwrap_or(isize::MAX);
        let cur = isize::try_from(self.selected).unwrap_or(0).min(n - 1);
        self.selected = usize::try_from((cur + delta).rem_euclid(n)).unwrap_or(0);
    }

    pub fn toggle_layout(&mut self) {
        self.layout = match self.layout {
            LogLayout::Grid => LogLayout::Merged,
            LogLayout::Merged => LogLayout::Grid,
        };
    }

    // ---- geometry -------------------------------------------------------------------------

    /// Where the grid cells go inside the pane's `area` (borders included).
    pub fn grid_cells(&self, area: Rect) -> Vec<(usize, Rect)> {
        let inner = inner(area);
        cells(inner, self.shown_indices().len(), self.selected)
    }

    /// The viewport of the scroll target (the selected cell, or the merged list) in a pane
    /// drawn in `area`.
    pub fn viewport(&self, area: Rect) -> Viewport {
        let rect = match self.layout {
            // One line is the streams legend.
            LogLayout::Merged => {
                let r = inner(area);
                Rect::new(r.x, r.y + 1, r.width, r.height.saturating_sub(1))
            }
            LogLayout::Grid => self
                .grid_cells(area)
                .into_iter()
                .find(|(i, _)| *i == self.selected)
                .map(|(_, r)| inner(r))
                .unwrap_or_default(),
        };
        Viewport {
            width: usize::from(rect.width),
            height: usize::from(rect.height),
        }
    }

    /// Columns before a line's text: timestamp, and the image prefix when merged.
    pub fn prefix_width(&self, merged: bool) -> usize {
        let ts = if self.timestamps { TIMESTAMP_WIDTH } else { 0 };
        ts + if merged {
            self.merged_title_width() + 3
        } else {
            0
        }
    }

    /// Width of the image prefix in the merged view (the longest shown title, capped).
    pub fn merged_title_width(&self) -> usize {
        self.shown_streams()
            .iter()
            .map(|s| s.title.width())
            .max()
            .unwrap_or(0)
            .min(MERGED_TITLE_MAX)
    }

    /// Screen rows a (raw, stored) line takes at `width` columns after a prefix of `prefix`
    /// columns.
    pub fn rows_of(&self, text: &str, width: usize, prefix: usize) -> usize {
        if !self.wrap {
            return 1;
        }
        let room = width.saturating_sub(prefix).max(1);
        // The width of what is shown: escapes dropped, `\r` applied, cut at the display cap.
        let shown = crate::logs::ansi::display_text(text, crate::logs::ansi::DISPLAY_MAX_CHARS);
        shown.width().div_ceil(room).max(1)
    }
}

/// The area inside a bordered block.
pub fn inner(area: Rect) -> Rect {
    Rect::new(
        area.x.saturating_add(1),
        area.y.saturating_add(1),
        area.width.saturating_sub(2),
        area.height.saturating_sub(2),
    )
}

#[cfg(test)]
mod tests;
