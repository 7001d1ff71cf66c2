//! One file per pane: its state (if any) and a pure render function.

pub mod empty;
pub mod graph;
pub mod logs;
pub mod prs;
pub mod targets;

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders};

use super::app::PaneId;
use super::theme::Theme;

/// The framed block every pane sits in: `[n] Title` with extra title text, highlighted when
/// focused.
pub fn pane_block<'a>(
    pane: PaneId,
    extra: Vec<Span<'a>>,
    focused: bool,
    theme: &Theme,
) -> Block<'a> {
    let index = PaneId::ALL.iter().position(|p| *p == pane).unwrap_or(0) + 1;
    let mut spans = vec![
        Span::styled(format!(" [{index}] "), theme.dim),
        Span::styled(pane.title(), theme.title),
    ];
    spans.extend(extra);
    spans.push(Span::raw(" "));
    let (border_style, border_type): (Style, BorderType) = if focused {
        (theme.border_focused, BorderType::Thick)
    } else {
        (theme.border, BorderType::Rounded)
    };
    Block::default()
        .borders(Borders::ALL)
        .border_type(border_type)
        .border_style(border_style)
        .title(Line::from(spans))
}
