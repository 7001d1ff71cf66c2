//! The "nothing yet" state of a pane: what will appear here and how to get it.

use ratatui::layout::{Alignment, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::pane_block;
use crate::tui::app::PaneId;
use crate::tui::theme::Theme;

/// What each pane says while it has nothing to show.
pub fn empty_text(pane: PaneId) -> (&'static str, &'static str) {
    match pane {
        PaneId::Prs => (
            "No open pull requests.",
            "Open PRs of the model repository show here.",
        ),
        PaneId::Logs => (
            "No build logs yet.",
            "Logs of a PR's Kaniko build pods stream here, one stream per image.",
        ),
        PaneId::Graph => (
            "No pipeline run selected.",
            "The task graph of a PR's Kubeflow pipeline run is drawn here, live.",
        ),
        PaneId::Targets => (
            "No deployment targets loaded.",
            "Staging and production InferenceServices, their readiness and traffic show here.",
        ),
    }
}

/// Draws `pane` in its empty state.
pub fn render(frame: &mut Frame, area: Rect, pane: PaneId, focused: bool, theme: &Theme) {
    let (headline, detail) = empty_text(pane);
    let block = pane_block(pane, Vec::new(), focused, theme);
    let inner_height = area.height.saturating_sub(2);
    let mut lines = Vec::new();
    for _ in 0..inner_height.saturating_sub(2) / 2 {
        lines.push(Line::raw(""));
    }
    lines.push(Line::from(Span::styled(headline, theme.title)));
    lines.push(Line::from(Span::styled(detail, theme.dim)));
    let paragraph = Paragraph::new(lines)
        .block(block)
        .alignment(Alignment::Center)
        .wrap(Wrap { trim: true });
    frame.render_widget(paragraph, area);
}
