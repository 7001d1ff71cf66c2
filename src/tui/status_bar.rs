//! The status bar: where the data comes from, what is failing (and since when), the last
//! message, and the keys to remember.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::app::{App, Level};
use super::format::{age, elapsed};
use crate::keys::Action;

/// The spans of the status bar (pure; used by the view and by tests).
pub fn spans(app: &App) -> Vec<Span<'static>> {
    let theme = &app.theme;
    let mut spans = vec![
        Span::styled(format!(" {} ", app.header()), theme.title),
        Span::styled(format!("[{}] ", app.source), theme.dim),
    ];
    if app.no_token.is_some() {
        spans.push(Span::styled("READ-ONLY (no GitHub token) ", theme.warn));
    } else if app.read_only {
        spans.push(Span::styled("READ-ONLY ", theme.warn));
    }
    if let Some(w) = &app.status.warning {
        spans.push(Span::styled(format!("⚠ {w} "), theme.warn));
    }
    if let Some(pace) = app.pace.status(app.now) {
        spans.push(Span::styled(format!("⏳ {pace} "), theme.warn));
    }
    if let Some(f) = &app.status.failing {
        let times = if f.count > 1 {
            format!(", {} times", f.count)
        } else {
            String::new()
        };
        spans.push(Span::styled(
            format!(
                "✗ {} (failing for {}{times}; showing last good data) ",
                f.text,
                age(f.since, app.now)
            ),
            theme.error,
        ));
    }
    // Actions in flight: `⠹ /build #41 · step 4/7 · 1m12s` (the step text is in the PR row).
    for (pr, a) in &app.actions {
        let mut text = format!("{} {} {}", app.spinner(), a.kind, app.pr_label(*pr));
        let of = a.step_of();
        if !of.is_empty() {
            text.push_str(&format!(" · {of}"));
        }
        text.push_str(&format!(" · {} ", elapsed(a.started, app.now)));
        spans.push(Span::styled(text, theme.warn));
    }
    if let Some(m) = &app.status.message {
        let style = match m.level {
            Level::Info => theme.ok,
            Level::Warn => theme.warn,
            Level::Error => theme.error,
        };
        spans.push(Span::styled(format!("{} ", m.text), style));
    }
    spans
}

/// The key hints on the right.
pub fn hints(app: &App) -> String {
    let k = &app.keymap;
    format!(
        "{} help  {} command  {} quit ",
        k.describe(Action::Help),
        k.describe(Action::CommandLine),
        k.describe(Action::Quit)
    )
}

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let hints = hints(app);
    let hint_width = u16::try_from(hints.chars().count()).unwrap_or(0);
    let left = Rect::new(
        area.x,
        area.y,
        area.width.saturating_sub(hint_width),
        area.height,
    );
    let right = Rect::new(
        area.x + left.width,
        area.y,
        area.width - left.width,
        area.height,
    );
    frame.render_widget(
        Paragraph::new(Line::from(spans(app))).style(app.theme.status_bar),
        left,
    );
    frame.render_widget(
        Paragraph::new(Span::styled(hints, app.theme.dim)).style(app.theme.status_bar),
        right,
    );
}
