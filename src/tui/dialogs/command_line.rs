//! The `:` command line: chat syntax (`/build`, `/deploy --run-id=X --force`, ...) plus a few
//! console commands (`q`, `help`), edited with tui-textarea.

use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;
use tui_textarea::TextArea;

use crate::chatops::{self, ChatCommand};
use crate::keys::KeyMap;
use crate::tui::theme::Theme;

/// What an entered line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entered {
    Chat(ChatCommand),
    Quit,
    Help,
    Refresh,
}

/// The open command line.
#[derive(Debug)]
pub struct CommandLine {
    pub input: TextArea<'static>,
    /// Why the last entered line was refused (shown under the input until the next edit).
    pub error: Option<String>,
}

impl Default for CommandLine {
    fn default() -> Self {
        let mut input = TextArea::default();
        input.set_cursor_line_style(ratatui::style::Style::default());
        input.set_placeholder_text(
            "/build  /run  /build_run  /deploy [--run-id=ID] [--force]  /staging_deploy",
        );
        CommandLine { input, error: None }
    }
}

impl CommandLine {
    /// The text typed so far.
    pub fn text(&self) -> String {
        self.input.lines().join(" ")
    }

    /// Feeds a key to the editor (`confirm` and `cancel` are handled by the caller).
    pub fn edit(&mut self, key: KeyEvent) {
        self.error = None;
        super::edit_line(&mut self.input, key);
    }

    /// Parses the typed line.
    pub fn parse(&self) -> Result<Entered, String> {
        parse_line(&self.text())
    }
}

/// Parses one command-line entry.
pub fn parse_line(line: &str) -> Result<Entered, String> {
    match line.trim() {
        "q" | "quit" => Ok(Entered::Quit),
        "help" | "?" => Ok(Entered::Help),
        "refresh" => Ok(Entered::Refresh),
        other => chatops::parse(other)
            .map(Entered::Chat)
            .map_err(|e| e.to_string()),
    }
}

/// Draws the command line over the bottom of `area`.
pub fn render(frame: &mut Frame, area: Rect, line: &CommandLine, keys: &KeyMap, theme: &Theme) {
    let height = if line.error.is_some() { 4 } else { 3 };
    let rect = Rect::new(
        area.x,
        area.y + area.height.saturating_sub(height + 1),
        area.width,
        height.min(area.height),
    );
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focused)
        .title(Line::from(vec![
            Span::styled(" : command ", theme.title),
            Span::styled(
                keys.fill("({confirm} runs on the selected PR, {cancel} cancels) "),
                theme.dim,
            ),
        ]));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let input_area = Rect::new(inner.x, inner.y, inner.width, 1);
    frame.render_widget(&line.input, input_area);
    if let Some(err) = &line.error {
        let err_area = Rect::new(inner.x, inner.y + 1, inner.width, 1);
        frame.render_widget(
            Paragraph::new(Span::styled(err.as_str(), theme.error)),
            err_area,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_words_and_chat_commands() {
        assert_eq!(parse_line(" q "), Ok(Entered::Quit));
        assert_eq!(parse_line("/build"), Ok(Entered::Chat(ChatCommand::Build)));
        assert!(parse_line("/deplyo").is_err());
    }
}
