//! The `?` overlay: every key, generated from the effective key map.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph};
use ratatui::Frame;

use crate::tui::keys::{Group, KeyMap, ACTIONS};
use crate::tui::layout::centered;
use crate::tui::theme::Theme;

/// The help text, one line per action, grouped, plus the mouse and command-line notes.
pub fn lines(keymap: &KeyMap, theme: &Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for group in [Group::General, Group::Navigation, Group::Actions] {
        if !out.is_empty() {
            out.push(Line::raw(""));
        }
        out.push(Line::from(Span::styled(group.title(), theme.header)));
        for (action, _, g, description, _) in ACTIONS {
            if *g != group {
                continue;
            }
            out.push(Line::from(vec![
                Span::styled(format!("  {:<16}", keymap.describe(*action)), theme.key),
                Span::raw(description.to_string()),
            ]));
        }
    }
    out.push(Line::raw(""));
    out.push(Line::from(Span::styled("Mouse", theme.header)));
    out.push(Line::from(vec![
        Span::styled(format!("  {:<16}", "click"), theme.key),
        Span::raw("focus a pane / select a PR"),
    ]));
    out.push(Line::from(vec![
        Span::styled(format!("  {:<16}", "wheel"), theme.key),
        Span::raw("move the selection"),
    ]));
    out.push(Line::raw(""));
    out.push(Line::from(Span::styled(
        "esc / ? closes this help",
        theme.dim,
    )));
    out
}

/// Draws the help overlay centred on `area`.
pub fn render(frame: &mut Frame, area: Rect, keymap: &KeyMap, theme: &Theme) {
    let text = lines(keymap, theme);
    let height = u16::try_from(text.len())
        .unwrap_or(u16::MAX)
        .saturating_add(2);
    let rect = centered(area, 96, height);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(theme.border_focused)
        .title(Span::styled(" Help: keys ", theme.title));
    frame.render_widget(Paragraph::new(text).block(block), rect);
}
