//! The earlier-builds picker: a PR's builds found in the cluster, newest first, drawn inside
//! the logs pane.

use chrono::{DateTime, Utc};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::logs::BuildInfo;
use crate::tui::format::{age, ellipsize, short_id};
use crate::tui::theme::Theme;

/// What the picker has to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickerState {
    Loading,
    Loaded(Vec<BuildInfo>),
    Failed(String),
}

/// The open picker: a PR's builds and the one selected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildPicker {
    /// The PR's project (see [`crate::tui::app::PrId`]).
    pub project: usize,
    pub pr: u64,
    pub state: PickerState,
    pub selected: usize,
}

impl BuildPicker {
    pub fn loading(pr: u64) -> BuildPicker {
        BuildPicker {
            project: 0,
            pr,
            state: PickerState::Loading,
            selected: 0,
        }
    }

    pub fn builds(&self) -> &[BuildInfo] {
        match &self.state {
            PickerState::Loaded(b) => b,
            _ => &[],
        }
    }

    /// Moves the selection by `delta`, clamped.
    pub fn move_by(&mut self, delta: isize) {
        let last = self.builds().len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    pub fn chosen(&self) -> Option<&BuildInfo> {
        self.builds().get(self.selected)
    }
}

fn phase_mark(phase: &str, theme: &Theme) -> Span<'static> {
    match phase {
        "Succeeded" => Span::styled("✓", theme.ok),
        "Failed" => Span::styled("✗", theme.error),
        "Running" => Span::styled("●", theme.key),
        _ => Span::styled("…", theme.warn),
    }
}

/// Draws the picker in `area` (the inside of the logs pane).
pub fn render(
    frame: &mut Frame,
    area: Rect,
    picker: &BuildPicker,
    hint: &str,
    now: DateTime<Utc>,
    theme: &Theme,
) {
    let mut lines = vec![Line::from(vec![
        Span::styled(
            format!("Builds of #{} (newest first)", picker.pr),
            theme.header,
        ),
        Span::styled(format!("  {hint}"), theme.dim),
    ])];
    let rows = usize::from(area.height.saturating_sub(1));
    match &picker.state {
        PickerState::Loading => lines.push(Line::from(Span::styled(
            format!(
                "{} Looking for the PR's build pods…",
                crate::tui::format::spinner(now)
            ),
            theme.dim,
        ))),
        PickerState::Failed(e) => {
            lines.push(Line::from(Span::styled(format!("✗ {e}"), theme.error)));
        }
        PickerState::Loaded(builds) if builds.is_empty() => lines.push(Line::from(Span::styled(
            "No build pods found for this PR.",
            theme.dim,
        ))),
        PickerState::Loaded(builds) => {
            // Only the rows that fit, scrolled to keep the selection visible.
            let offset = (picker.selected + 1).saturating_sub(rows);
            for (i, b) in builds.iter().enumerate().skip(offset).take(rows) {
                let mut spans = vec![
                    Span::raw(if i == picker.selected { "▶ " } else { "  " }),
                    Span::raw(format!("{:<10}", ellipsize(&short_id(&b.group), 10))),
                    Span::styled(
                        format!(
                            "{:<10}",
                            b.version_id.as_deref().map(short_id).unwrap_or_default()
                        ),
                        theme.dim,
                    ),
                    Span::styled(
                        format!(
                            "{:>4}  ",
                            b.created.map(|c| age(c, now)).unwrap_or_default()
                        ),
                        theme.dim,
                    ),
                ];
                for p in &b.pods {
                    spans.push(phase_mark(&p.phase, theme));
                    spans.push(Span::raw(format!(" {} ", p.image)));
                }
                let mut line = Line::from(spans);
                if i == picker.selected {
                    line = line.style(theme.selected);
                }
                lines.push(line);
            }
        }
    }
    frame.render_widget(Paragraph::new(lines), area);
}
