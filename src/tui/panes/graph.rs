//! The run graph pane: a KFP run's task DAG, live, laid out by `crate::graph`; a selected task
//! with its details; a run picker listing the PR's runs.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Row, Table, TableState};
use ratatui::Frame;

use super::{empty, pane_block};
use crate::backends::kfp::Run;
use crate::graph::{self, status::duration_text, Layout, NodeId, RunGraph, VisibleGraph};
use crate::tui::app::PaneId;
use crate::tui::format::short_id;
use crate::tui::graph_draw::{self, GraphView};
use crate::tui::theme::Theme;

/// The run picker: the PR's runs, newest first.
#[derive(Debug, Clone, Default)]
pub struct RunPicker {
    /// The PR's project (see [`crate::tui::app::PrId`]).
    pub project: usize,
    pub pr: u64,
    pub runs: Vec<Run>,
    pub selected: usize,
    pub loading: bool,
}

impl RunPicker {
    /// Moves the selection by `delta` rows, within the list.
    pub fn move_by(&mut self, delta: isize) {
        let last = self.runs.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }
}

/// State of the run graph pane.
#[derive(Debug, Default)]
pub struct GraphPane {
    /// The project of the PR whose run is shown.
    pub project: usize,
    /// The PR whose run is shown.
    pub pr: Option<u64>,
    /// The run shown (its last known state).
    pub run: Option<Box<Run>>,
    /// The version whose pipeline spec the graph was built from.
    pub spec_version: Option<String>,
    pub graph: Option<RunGraph>,
    pub collapsed: HashSet<NodeId>,
    /// Derived from `graph` and `collapsed` by [`GraphPane::relayout`].
    pub visible: VisibleGraph,
    pub layout: Option<Layout>,
    pub view: GraphView,
    /// A load is in flight.
    pub loading: bool,
    pub error: Option<String>,
    /// The details box of the selected task is open.
    pub details: bool,
    pub picker: Option<RunPicker>,
    /// The `run` action's key, for the run picker's "no runs yet" hint (empty: none).
    pub run_key: String,
}

impl GraphPane {
    /// The run ID shown, if any.
    pub fn run_id(&self) -> Option<&str> {
        self.run.as_ref().map(|r| r.run_id.as_str())
    }

    /// Shows a new run (its graph comes with the spec); forgets the old one.
    pub fn show(&mut self, pr: u64, run_id: &str) {
        if self.run_id() != Some(run_id) {
            self.graph = None;
            self.layout = None;
            self.visible = VisibleGraph::default();
            self.collapsed.clear();
            self.view = GraphView {
                ascii: self.view.ascii,
                ..GraphView::default()
            };
            self.spec_version = None;
            self.details = false;
            self.run = None;
        }
        self.pr = Some(pr);
        self.error = None;
    }

    /// Builds the graph from a pipeline spec (once per version).
    pub fn set_spec(&mut self, version: &str, spec: &serde_json::Value) {
        match RunGraph::from_spec(spec) {
            Ok(g) => {
                self.graph = Some(g);
                self.spec_version = Some(version.to_string());
                self.error = None;
            }
            Err(e) => self.error = Some(format!("cannot read the pipeline spec: {e}")),
        }
    }

    /// Applies a run's latest state to the graph.
    pub fn set_run(&mut self, run: Box<Run>) {
        if let Some(g) = &mut self.graph {
            let details: Vec<graph::TaskDetail> = serde_json::to_value(run.tasks())
                .ok()
                .and_then(|v| serde_json::from_value(v).ok())
                .unwrap_or_default();
            g.apply_task_details(&details);
        }
        self.run = Some(run);
        self.relayout();
    }

    /// Recomputes the visible graph, and the layout when the structure changed.
    pub fn relayout(&mut self) {
        let Some(g) = &self.graph else { return };
        let visible = g.visible(&self.collapsed);
        let same_shape = self.layout.is_some()
            && visible.edges == self.visible.edges
            && visible.nodes.len() == self.visible.nodes.len()
            && visible
                .nodes
                .iter()
                .zip(&self.visible.nodes)
                .all(|(a, b)| a.id == b.id && a.label == b.label && a.group == b.group);
        if !same_shape {
            self.layout = Some(Layout::compute(&visible));
        }
        self.visible = visible;
        if self
            .view
            .selected
            .is_none_or(|id| self.visible.node(id).is_none())
        {
            self.view.selected = self.layout.as_ref().and_then(Layout::first_node);
        }
    }

    /// Moves the selection towards `dir` and scrolls it into view in a pane of `area`.
    pub fn move_selection(&mut self, dir: graph::Direction, area: Rect) {
        let Some(layout) = &self.layout else { return };
        let next = match self.view.selected {
            Some(id) => layout.next_node(id, dir),
            None => layout.first_node(),
        };
        if let Some(id) = next {
            self.view.selected = Some(id);
            if let Some(rect) = layout.rect_of(id) {
                self.view.scroll_to(rect, graph_area(area, self.details));
            }
        }
    }

    /// Pans by `dx`, `dy` cells, kept within the graph.
    pub fn pan(&mut self, dx: i32, dy: i32, area: Rect) {
        let Some(layout) = &self.layout else { return };
        let shift = |v: u16, d: i32| -> u16 {
            u16::try_from((i32::from(v) + d).max(0)).unwrap_or(u16::MAX)
        };
        self.view.offset_x = shift(self.view.offset_x, dx);
        self.view.offset_y = shift(self.view.offset_y, dy);
        self.view.clamp(layout, graph_area(area, self.details));
    }

    /// Folds or unfolds the selected group.
    pub fn toggle_group(&mut self) -> bool {
        let Some(id) = self.view.selected else {
            return false;
        };
        let is_group = self
            .graph
            .as_ref()
            .and_then(|g| g.node(id))
            .is_some_and(|n| n.is_group());
        if !is_group {
            return false;
        }
        if !self.collapsed.remove(&id) {
            self.collapsed.insert(id);
        }
        self.relayout();
        true
    }

    /// The selected task of the model.
    pub fn selected_task(&self) -> Option<&graph::TaskNode> {
        self.view
            .selected
            .and_then(|id| self.graph.as_ref()?.node(id))
    }
}

/// Where the graph itself is drawn inside the pane (the details box takes the bottom).
pub fn graph_area(pane: Rect, details: bool) -> Rect {
    let inner = Rect::new(
        pane.x + 1,
        pane.y + 1,
        pane.width.saturating_sub(2),
        pane.height.saturating_sub(2),
    );
    if details && inner.height > 8 {
        Rect::new(inner.x, inner.y, inner.width, inner.height - 6)
    } else {
        inner
    }
}

/// Draws the pane.
pub fn render(
    frame: &mut Frame,
    area: Rect,
    pane: &GraphPane,
    now: DateTime<Utc>,
    focused: bool,
    theme: &Theme,
) {
    let Some(run) = &pane.run else {
        if pane.loading {
            let block = pane_block(PaneId::Graph, vec![], focused, theme);
            frame.render_widget(
                Paragraph::new(Span::styled(
                    format!("{} Loading the run…", crate::tui::format::spinner(now)),
                    theme.dim,
                ))
                .block(block),
                area,
            );
        } else if let Some(err) = &pane.error {
            let block = pane_block(PaneId::Graph, vec![], focused, theme);
            frame.render_widget(
                Paragraph::new(Span::styled(err.clone(), theme.error)).block(block),
                area,
            );
        } else {
            empty::render(frame, area, PaneId::Graph, focused, theme);
        }
        render_picker(frame, area, pane, now, theme);
        return;
    };
    let state_style = state_style(&run.state.to_string(), theme);
    let extra = vec![
        Span::styled(format!(" · #{} ", pane.pr.unwrap_or_default()), theme.dim),
        Span::styled(short_id(&run.run_id), theme.title),
        Span::raw(" "),
        Span::styled(run.state.to_string(), state_style),
        Span::styled(format!(" · {} tasks", pane.visible.len()), theme.dim),
    ];
    let block = pane_block(PaneId::Graph, extra, focused, theme);
    frame.render_widget(block, area);
    let inner = graph_area(area, pane.details);
    match (&pane.layout, &pane.error) {
        (Some(layout), _) => {
            graph_draw::render(
                &pane.visible,
                layout,
                inner,
                frame.buffer_mut(),
                &pane.view,
                theme,
                now,
            );
        }
        (None, Some(err)) => frame.render_widget(
            Paragraph::new(Span::styled(err.clone(), theme.error)),
            inner,
        ),
        (None, None) => frame.render_widget(
            Paragraph::new(Span::styled(
                format!(
                    "{} Loading the pipeline spec…",
                    crate::tui::format::spinner(now)
                ),
                theme.dim,
            )),
            inner,
        ),
    }
    if pane.details {
        render_details(frame, area, pane, now, theme);
    }
    render_picker(frame, area, pane, now, theme);
}

fn state_style(state: &str, theme: &Theme) -> ratatui::style::Style {
    match state {
        "SUCCEEDED" => theme.ok,
        "FAILED" | "CANCELED" => theme.error,
        "RUNNING" | "PENDING" | "CANCELING" => theme.warn,
        _ => theme.dim,
    }
}

fn render_details(
    frame: &mut Frame,
    area: Rect,
    pane: &GraphPane,
    now: DateTime<Utc>,
    theme: &Theme,
) {
    let inner = Rect::new(
        area.x + 1,
        area.y + 1,
        area.width.saturating_sub(2),
        area.height.saturating_sub(2),
    );
    if inner.height <= 8 {
        return;
    }
    let rect = Rect::new(inner.x, inner.y + inner.height - 6, inner.width, 6);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(theme.border)
        .title(Span::styled(" task ", theme.title));
    let lines = match (
        pane.selected_task(),
        pane.view.selected.and_then(|id| pane.visible.node(id)),
    ) {
        (Some(task), Some(node)) => vec![
            Line::from(vec![
                Span::styled(task.display_name.clone(), theme.title),
                Span::raw("  "),
                Span::styled(node.status.label(), theme.status_style(node.status)),
                Span::styled(format!("  {}", duration_text(node, now)), theme.dim),
            ]),
            Line::from(Span::styled(
                format!(
                    "component {}  ·  task id {}",
                    task.component.clone().unwrap_or_else(|| "-".into()),
                    task.task_id.clone().unwrap_or_else(|| "-".into())
                ),
                theme.dim,
            )),
            Line::from(Span::styled(
                format!(
                    "pod {}",
                    task.pod_name
                        .clone()
                        .unwrap_or_else(|| "- (not started)".into())
                ),
                theme.dim,
            )),
            Line::from(Span::styled(
                task.error.clone().unwrap_or_default(),
                theme.error,
            )),
        ],
        _ => vec![Line::from(Span::styled("No task selected.", theme.dim))],
    };
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}

/// The run picker floats over the screen (a run ID needs more room than the pane has).
fn render_picker(
    frame: &mut Frame,
    _pane_area: Rect,
    pane: &GraphPane,
    now: DateTime<Utc>,
    theme: &Theme,
) {
    let Some(picker) = &pane.picker else { return };
    let rect = crate::tui::layout::run_picker(frame.area(), picker.runs.len());
    frame.render_widget(Clear, rect);
    let title = format!(
        " runs of #{} {}",
        picker.pr,
        if picker.loading { "(loading…) " } else { "" }
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focused)
        .title(Span::styled(title, theme.title));
    if picker.runs.is_empty() {
        let text = if picker.loading {
            format!("{} Loading…", crate::tui::format::spinner(now))
        } else {
            match pane.run_key.as_str() {
                "" => "No runs for this PR yet.".to_string(),
                key => format!("No runs for this PR yet: {key} runs it."),
            }
        };
        frame.render_widget(
            Paragraph::new(Span::styled(text, theme.dim)).block(block),
            rect,
        );
        return;
    }
    let rows = picker.runs.iter().map(|r| {
        let state = r.state.to_string();
        let started = r
            .created_at
            .map(|t| crate::tui::format::age(t, now) + " ago")
            .unwrap_or_default();
        let duration = match (r.created_at, r.finished_at) {
            (Some(s), Some(e)) => graph::status::format_duration(e - s),
            (Some(s), None) => graph::status::format_duration(now - s),
            _ => "-".into(),
        };
        Row::new(vec![
            ratatui::widgets::Cell::from(Span::styled(state.clone(), state_style(&state, theme))),
            ratatui::widgets::Cell::from(started),
            ratatui::widgets::Cell::from(duration),
            ratatui::widgets::Cell::from(r.run_id.clone()),
        ])
    });
    let widths = [
        ratatui::layout::Constraint::Length(10),
        ratatui::layout::Constraint::Length(9),
        ratatui::layout::Constraint::Length(9),
        ratatui::layout::Constraint::Fill(1),
    ];
    let table = Table::new(rows, widths)
        .header(Row::new(vec!["STATE", "STARTED", "DURATION", "RUN ID"]).style(theme.header))
        .block(block)
        .row_highlight_style(theme.selected)
        .highlight_symbol("▶ ");
    let mut state = TableState::default().with_selected(Some(picker.selected));
    frame.render_stateful_widget(table, rect, &mut state);
}
