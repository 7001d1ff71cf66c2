//! The audit overlay (`A`): the audit log's recent entries, newest first; Enter shows the
//! selected action's steps. The file is read by an effect, never on the UI task.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph};
use ratatui::Frame;

use crate::audit::{AuditEntry, AuditOutcome};
use crate::keys::KeyMap;
use crate::tui::layout::centered;
use crate::tui::theme::Theme;

/// Whether the entries are there yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditLoad {
    Loading,
    Loaded,
    Failed(String),
}

/// The open overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditView {
    /// The file shown, for the title.
    pub path: String,
    pub load: AuditLoad,
    /// Newest first.
    pub entries: Vec<AuditEntry>,
    /// Lines of the file that are not entries.
    pub unreadable: usize,
    pub selected: usize,
    /// The selected entry's steps are shown instead of the list.
    pub details: bool,
}

impl AuditView {
    pub fn loading(path: String) -> AuditView {
        AuditView {
            path,
            load: AuditLoad::Loading,
            entries: Vec::new(),
            unreadable: 0,
            selected: 0,
            details: false,
        }
    }

    /// Moves the selection by `delta` rows, within the list.
    pub fn move_by(&mut self, delta: isize) {
        let last = self.entries.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    pub fn selected_entry(&self) -> Option<&AuditEntry> {
        self.entries.get(self.selected)
    }
}

/// `2026-05-01 12:00:03Z`: UTC, to the second (the file holds full RFC 3339 times).
fn when(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%SZ").to_string()
}

fn outcome_span(e: &AuditEntry, theme: &Theme) -> Span<'static> {
    match e.outcome {
        AuditOutcome::Ok => Span::styled("✓ ok   ", theme.ok),
        AuditOutcome::Error => Span::styled("✗ error", theme.error),
    }
}

/// One row of the list.
fn row(e: &AuditEntry, selected: bool, theme: &Theme) -> Line<'static> {
    let base = if selected {
        theme.selected
    } else {
        Style::default()
    };
    let mut spans = vec![
        Span::styled(format!("{}  ", when(&e.time)), base.patch(theme.dim)),
        outcome_span(e, theme),
        Span::styled(
            format!(
                "  {:<15} #{:<5} {:<14} {:<9}",
                e.action,
                e.pr,
                e.user,
                format!("{:?}", e.source).to_lowercase()
            ),
            base,
        ),
    ];
    let args = e.args.describe();
    if !args.is_empty() {
        spans.push(Span::styled(format!("{args}  "), base.patch(theme.key)));
    }
    spans.push(Span::styled(e.message.clone(), base));
    Line::from(spans)
}

/// The selected entry in full.
fn details(e: &AuditEntry, theme: &Theme) -> Vec<Line<'static>> {
    let field = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!("{k:<10}"), theme.dim),
            Span::raw(v),
        ])
    };
    let args = e.args.describe();
    let mut lines = vec![
        field(
            "action",
            match &e.repository {
                Some(repo) => format!("{} on {repo}#{}", e.action, e.pr),
                None => format!("{} on #{}", e.action, e.pr),
            },
        ),
        field(
            "by",
            format!("{} ({})", e.user, format!("{:?}", e.source).to_lowercase()),
        ),
        field("started", when(&e.time)),
        field("ended", when(&e.ended)),
        field(
            "arguments",
            if args.is_empty() { "none".into() } else { args },
        ),
        Line::from(vec![
            Span::styled(format!("{:<10}", "outcome"), theme.dim),
            outcome_span(e, theme),
            Span::raw(format!("  {}", e.message)),
        ]),
        Line::raw(""),
        Line::from(Span::styled("Steps", theme.header)),
    ];
    if e.steps.is_empty() {
        lines.push(Line::from(Span::styled("  (none recorded)", theme.dim)));
    }
    for s in &e.steps {
        lines.push(Line::from(vec![
            Span::styled(format!("  {}  ", when(&s.time)), theme.dim),
            Span::raw(s.text.clone()),
        ]));
    }
    lines
}

/// Draws the overlay over most of `area`; only the visible rows are built.
pub fn render(frame: &mut Frame, area: Rect, view: &AuditView, keys: &KeyMap, theme: &Theme) {
    let rect = centered(
        area,
        area.width.saturating_sub(4),
        area.height.saturating_sub(2),
    );
    frame.render_widget(Clear, rect);
    let hint = keys.fill(if view.details {
        "{cancel}: back to the list"
    } else {
        "{down}/{up} move · {confirm}: steps · {cancel} closes"
    });
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(theme.border_focused)
        .title(Span::styled(
            format!(" Audit log, newest first: {} ", view.path),
            theme.title,
        ))
        .title_bottom(Span::styled(format!(" {hint} "), theme.dim));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let lines: Vec<Line> = match (&view.load, view.selected_entry()) {
        (AuditLoad::Loading, _) => vec![Line::from(Span::styled("reading…", theme.dim))],
        (AuditLoad::Failed(e), _) => vec![Line::from(Span::styled(e.clone(), theme.error))],
        (AuditLoad::Loaded, None) => vec![Line::from(Span::styled(
            "No action recorded yet: actions started here or by headless commands appear here.",
            theme.dim,
        ))],
        (AuditLoad::Loaded, Some(e)) if view.details => details(e, theme),
        (AuditLoad::Loaded, Some(_)) => {
            let mut rows = usize::from(inner.height);
            let mut out = Vec::new();
            if view.unreadable > 0 {
                out.push(Line::from(Span::styled(
                    format!("{} line(s) of the file are not entries", view.unreadable),
                    theme.warn,
                )));
                rows = rows.saturating_sub(1);
            }
            let first = view.selected.saturating_sub(rows.saturating_sub(1));
            out.extend(
                view.entries
                    .iter()
                    .enumerate()
                    .skip(first)
                    .take(rows)
                    .map(|(i, e)| row(e, i == view.selected, theme)),
            );
            out
        }
    };
    frame.render_widget(Paragraph::new(lines), inner);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Source;
    use crate::chatops::ChatCommand;

    #[test]
    fn moving_stays_within_the_list() {
        let mut v = AuditView::loading("a".into());
        v.move_by(3);
        assert_eq!(v.selected, 0);
        v.entries = (0..3)
            .map(|pr| AuditEntry::started(Source::Console, "u".into(), pr, &ChatCommand::Build))
            .collect();
        v.move_by(5);
        assert_eq!(v.selected, 2);
        v.move_by(-9);
        assert_eq!(v.selected, 0);
    }
}
