//! The pull-request pane: the open PRs of the model repository with their Kfops state.

use chrono::{DateTime, Utc};
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};
use ratatui::Frame;

use super::{empty, pane_block};
use crate::domain::{PullRequest, LABEL_PRODUCTION, LABEL_STAGING};
use std::collections::BTreeMap;

use crate::tui::app::{PaneId, PrId, RunningAction};
use crate::tui::format::{age, ellipsize, short_id, spinner};
use crate::tui::project::ProjectState;
use crate::tui::theme::Theme;

/// Where the PR list is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LoadState {
    #[default]
    NotLoaded,
    Loading,
    Loaded,
    /// The first load failed; the status bar says why.
    Failed,
}

/// State of the PR pane: the last good list, the selection and the scroll offset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrPane {
    /// The PRs shown: every project's, or the switcher's project only; by project (config
    /// order), then in GitHub's order.
    pub items: Vec<PullRequest>,
    /// Every project's last good list (what `items` is filtered from; a project whose last
    /// load failed keeps its PRs here, see `ProjectState::failure`).
    pub all: Vec<PullRequest>,
    /// The switcher's project (`None`: all).
    pub filter: Option<usize>,
    pub selected: usize,
    pub offset: usize,
    pub load: LoadState,
    /// A load is in flight (the old list stays on screen meanwhile).
    pub refreshing: bool,
    pub loaded_at: Option<DateTime<Utc>>,
}

/// Rows taken by the borders and the header.
const CHROME_ROWS: u16 = 3;

/// A PR's identity across projects.
pub fn id_of(p: &PullRequest) -> PrId {
    (p.project, p.number)
}

impl PrPane {
    pub fn selected_pr(&self) -> Option<&PullRequest> {
        self.items.get(self.selected)
    }

    /// The selected PR's identity (project, number).
    pub fn selected_id(&self) -> Option<PrId> {
        self.selected_pr().map(id_of)
    }

    /// The identities of the PRs shown, in order.
    pub fn ids(&self) -> Vec<PrId> {
        self.items.iter().map(id_of).collect()
    }

    /// Replaces the list, keeping the selection on the same PR when it is still there.
    pub fn set_items(&mut self, items: Vec<PullRequest>, at: DateTime<Utc>) {
        self.all = items;
        self.refilter();
        self.load = LoadState::Loaded;
        self.refreshing = false;
        self.loaded_at = Some(at);
    }

    /// Replaces one project's PRs (the others' stay).
    pub fn set_project_items(&mut self, project: usize, items: Vec<PullRequest>) {
        self.all.retain(|p| p.project != project);
        self.all.extend(items.into_iter().map(|mut p| {
            p.project = project;
            p
        }));
        // Stable: each project's PRs keep GitHub's order.
        self.all.sort_by_key(|p| p.project);
    }

    /// Shows the PRs of `filter` (`None`: all), keeping the selection when it stays visible.
    pub fn set_filter(&mut self, filter: Option<usize>) {
        self.filter = filter;
        self.refilter();
    }

    /// `items` from `all` and the filter, the selection kept on the same (project, number).
    pub fn refilter(&mut self) {
        let keep = self.selected_id();
        self.items = self
            .all
            .iter()
            .filter(|p| self.filter.is_none_or(|f| f == p.project))
            .cloned()
            .collect();
        self.selected = keep
            .and_then(|k| self.items.iter().position(|p| id_of(p) == k))
            .unwrap_or(0)
            .min(self.items.len().saturating_sub(1));
    }

    /// Moves the selection by `delta` rows, clamped.
    pub fn move_by(&mut self, delta: isize) {
        if self.items.is_empty() {
            return;
        }
        let last = self.items.len() - 1;
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    pub fn select_first(&mut self) {
        self.selected = 0;
    }

    pub fn select_last(&mut self) {
        self.selected = self.items.len().saturating_sub(1);
    }

    /// How many rows fit in a pane of `area`'s height.
    pub fn visible_rows(area: Rect) -> usize {
        usize::from(area.height.saturating_sub(CHROME_ROWS)).max(1)
    }

    /// Scrolls so the selection is visible in a pane of `area`.
    pub fn ensure_visible(&mut self, area: Rect) {
        let rows = Self::visible_rows(area);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + rows {
            self.offset = self.selected + 1 - rows;
        }
        let max_offset = self.items.len().saturating_sub(rows);
        self.offset = self.offset.min(max_offset);
    }

    /// The item index at a screen row of the pane, if a PR is drawn there.
    pub fn index_at_row(&self, area: Rect, row: u16) -> Option<usize> {
        let first = area.y + CHROME_ROWS - 1;
        if row < first || row >= area.y + area.height.saturating_sub(1) {
            return None;
        }
        let index = self.offset + usize::from(row - first);
        (index < self.items.len()).then_some(index)
    }
}

/// A table column: what it is called, how wide, and how early it is dropped on a narrow screen
/// (higher `keep` stays longer).
struct Column {
    title: &'static str,
    width: Constraint,
    min: u16,
    keep: u8,
}

const COLUMNS: [Column; 10] = [
    Column {
        title: "#",
        width: Constraint::Length(5),
        min: 5,
        keep: 9,
    },
    Column {
        title: "Title",
        width: Constraint::Fill(1),
        min: 20,
        keep: 9,
    },
    Column {
        title: "Author",
        width: Constraint::Length(12),
        min: 12,
        keep: 4,
    },
    Column {
        title: "Branch",
        width: Constraint::Length(26),
        min: 26,
        keep: 3,
    },
    Column {
        title: "Behind",
        width: Constraint::Length(8),
        min: 8,
        keep: 8,
    },
    Column {
        title: "Mergeable",
        width: Constraint::Length(10),
        min: 10,
        keep: 7,
    },
    Column {
        title: "Labels",
        width: Constraint::Length(24),
        min: 24,
        keep: 6,
    },
    Column {
        title: "Version",
        width: Constraint::Length(9),
        min: 9,
        keep: 5,
    },
    Column {
        title: "Run",
        width: Constraint::Length(9),
        min: 9,
        keep: 5,
    },
    Column {
        title: "Updated",
        width: Constraint::Length(7),
        min: 7,
        keep: 2,
    },
];

/// Which columns fit in `width` (all of them on a wide screen).
fn visible_columns(width: u16) -> Vec<usize> {
    let mut shown: Vec<usize> = (0..COLUMNS.len()).collect();
    let need = |cols: &[usize]| -> u16 { cols.iter().map(|&i| COLUMNS[i].min + 1).sum() };
    while need(&shown) > width && shown.len() > 2 {
        let Some(drop) = shown
            .iter()
            .enumerate()
            .min_by_key(|(pos, &i)| (COLUMNS[i].keep, usize::MAX - pos))
            .map(|(pos, _)| pos)
        else {
            break;
        };
        shown.remove(drop);
    }
    shown
}

fn behind_cell(pr: &PullRequest, theme: &Theme) -> Cell<'static> {
    match (pr.behind_by, pr.ahead_by) {
        (Some(0), Some(a)) => Cell::from(Line::from(vec![
            Span::styled("✓ ", theme.ok),
            Span::styled(format!("↑{a}"), theme.dim),
        ])),
        (Some(b), ahead) => Cell::from(Line::from(vec![
            Span::styled(format!("↓{b} "), theme.warn),
            Span::styled(
                ahead.map(|a| format!("↑{a}")).unwrap_or_default(),
                theme.dim,
            ),
        ])),
        (None, _) => Cell::from(Span::styled("?", theme.dim)),
    }
}

fn mergeable_cell(pr: &PullRequest, theme: &Theme) -> Cell<'static> {
    let state = pr.mergeable_state.clone().unwrap_or_default();
    match pr.mergeable {
        Some(true) if state == "clean" || state.is_empty() => {
            Cell::from(Span::styled("✓ clean", theme.ok))
        }
        Some(true) => Cell::from(Span::styled(format!("✓ {state}"), theme.warn)),
        Some(false) => Cell::from(Span::styled(
            format!("✗ {}", if state.is_empty() { "conflict" } else { &state }),
            theme.error,
        )),
        None => Cell::from(Span::styled("… checking", theme.dim)),
    }
}

fn labels_cell(pr: &PullRequest, theme: &Theme) -> Cell<'static> {
    let mut spans = Vec::new();
    // Deployment labels first: they are what an operator scans for.
    let mut labels: Vec<&String> = pr.labels.iter().collect();
    labels.sort_by_key(|l| !(l.as_str() == LABEL_PRODUCTION || l.as_str() == LABEL_STAGING));
    for label in labels {
        let style: Style = match label.as_str() {
            LABEL_PRODUCTION => theme.label_production,
            LABEL_STAGING => theme.label_staging,
            _ => theme.label,
        };
        if !spans.is_empty() {
            spans.push(Span::raw(" "));
        }
        spans.push(Span::styled(label.clone(), style));
    }
    Cell::from(Line::from(spans))
}

fn id_cell(id: Option<&String>, theme: &Theme) -> Cell<'static> {
    match id {
        Some(id) => Cell::from(short_id(id)),
        None => Cell::from(Span::styled("-", theme.dim)),
    }
}

/// How wide a running action's step text gets in the row.
const STEP_WIDTH: usize = 30;

/// The title, after the running action's progress
/// (`⠹ /build 4/7 · 1m12s · uploading pipeline demo… │ Title`).
fn title_cell(
    pr: &PullRequest,
    running: Option<&RunningAction>,
    now: DateTime<Utc>,
    spinner: &str,
    theme: &Theme,
) -> Cell<'static> {
    match running {
        Some(action) => Cell::from(Line::from(vec![
            Span::styled(format!("{spinner} {} ", action.kind), theme.warn),
            Span::styled(
                format!("{} │ ", action.progress(now, STEP_WIDTH)),
                theme.dim,
            ),
            Span::raw(pr.title.clone()),
        ])),
        None => Cell::from(pr.title.clone()),
    }
}

fn row_cells(
    pr: &PullRequest,
    running: Option<&RunningAction>,
    now: DateTime<Utc>,
    spinner: &str,
    theme: &Theme,
) -> [Cell<'static>; 10] {
    [
        Cell::from(format!("#{}", pr.number)),
        title_cell(pr, running, now, spinner, theme),
        Cell::from(ellipsize(&pr.author, 12)),
        Cell::from(ellipsize(&format!("{}→{}", pr.head_ref, pr.base_ref), 26)),
        behind_cell(pr, theme),
        mergeable_cell(pr, theme),
        labels_cell(pr, theme),
        id_cell(pr.last_version_id.as_ref(), theme),
        id_cell(pr.last_run_id.as_ref(), theme),
        Cell::from(Span::styled(age(pr.updated_at, now), theme.dim)),
    ]
}

/// Draws the PR pane; `projects` name the PRs' projects (a column when there are several)
/// and those that failed to load.
#[allow(clippy::too_many_arguments)]
pub fn render(
    frame: &mut Frame,
    area: Rect,
    pane: &PrPane,
    projects: &[ProjectState],
    running: &BTreeMap<PrId, RunningAction>,
    now: DateTime<Utc>,
    focused: bool,
    theme: &Theme,
) {
    let spinner = spinner(now);
    let mut extra = vec![Span::styled(format!(" ({})", pane.items.len()), theme.dim)];
    if pane.refreshing || pane.load == LoadState::Loading {
        extra.push(Span::styled(format!(" {spinner} refreshing"), theme.warn));
    }
    // A project that failed to load is named; the others' PRs stay listed.
    for (index, project) in projects.iter().enumerate() {
        let Some(why) = &project.failure else {
            continue;
        };
        if pane.filter.is_some_and(|f| f != index) {
            continue;
        }
        extra.push(Span::styled(
            format!(" ✗ {}: {}", project.repo, ellipsize(why, 60)),
            theme.error,
        ));
    }
    let block = pane_block(PaneId::Prs, extra, focused, theme);
    if pane.items.is_empty() {
        let loading = format!("{spinner} Loading pull requests…");
        let text = match pane.load {
            LoadState::NotLoaded | LoadState::Loading => loading.as_str(),
            LoadState::Loaded => empty::empty_text(PaneId::Prs).0,
            LoadState::Failed => "Could not load pull requests: see the status bar.",
        };
        frame.render_widget(
            Paragraph::new(Span::styled(text.to_string(), theme.dim)).block(block),
            area,
        );
        return;
    }
    // With several projects, a project column (the repository name) comes first.
    let multi = projects.len() > 1;
    let project_width = projects
        .iter()
        .map(|p| p.short_name().chars().count())
        .max()
        .unwrap_or(0)
        .min(20) as u16;
    let width =
        area.width
            .saturating_sub(2)
            .saturating_sub(if multi { project_width + 1 } else { 0 });
    let columns = visible_columns(width);
    let mut titles: Vec<Cell> = Vec::new();
    if multi {
        titles.push(Cell::from("Project"));
    }
    titles.extend(columns.iter().map(|&i| Cell::from(COLUMNS[i].title)));
    let header = Row::new(titles).style(theme.header);
    let rows = pane.items.iter().map(|pr| {
        let mut cells = row_cells(
            pr,
            running.get(&(pr.project, pr.number)),
            now,
            spinner,
            theme,
        )
        .map(Some);
        let mut row: Vec<Cell> = Vec::new();
        if multi {
            let name = projects
                .get(pr.project)
                .map_or("?", ProjectState::short_name);
            row.push(Cell::from(Span::styled(ellipsize(name, 20), theme.dim)));
        }
        row.extend(columns.iter().map(|&i| cells[i].take().unwrap_or_default()));
        Row::new(row)
    });
    let mut widths: Vec<Constraint> = Vec::new();
    if multi {
        widths.push(Constraint::Length(project_width));
    }
    widths.extend(columns.iter().map(|&i| COLUMNS[i].width));
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .row_highlight_style(theme.selected)
        .highlight_symbol("▶ ");
    let mut state = TableState::default()
        .with_offset(pane.offset)
        .with_selected(Some(pane.selected));
    frame.render_stateful_widget(table, area, &mut state);
}
