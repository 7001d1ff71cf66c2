//! A one-line prompt at the bottom of the logs pane (tui-textarea): the search pattern (`/`)
//! and the file name a save writes to. `confirm` and `cancel` are the reducer's; a refused
//! entry keeps the typed text and shows why under it.

use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;
use tui_textarea::{CursorMove, TextArea};

use crate::domain::PodRef;
use crate::keys::KeyMap;
use crate::tui::theme::Theme;

/// What a save writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveWhat {
    /// The view as shown: the shown streams merged, the filter applied.
    View,
    /// One stream, raw, as received.
    Stream(PodRef),
}

/// What the prompt asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptFor {
    Search,
    SavePath(SaveWhat),
}

/// The open prompt.
#[derive(Debug)]
pub struct Prompt {
    pub purpose: PromptFor,
    pub input: TextArea<'static>,
    /// Why the last entry was refused (shown under the input until the next edit).
    pub error: Option<String>,
}

impl Prompt {
    /// The search prompt; the previous pattern is the placeholder (`cancel` keeps it).
    pub fn search(previous: Option<&str>, keys: &KeyMap) -> Prompt {
        let mut input = TextArea::default();
        input.set_cursor_line_style(ratatui::style::Style::default());
        input.set_placeholder_text(match previous {
            Some(p) => format!(
                "{p}   ({})",
                keys.fill("{confirm} with nothing typed clears the search")
            ),
            None => "regex, smart case: a capital letter makes it case-sensitive".to_string(),
        });
        Prompt {
            purpose: PromptFor::Search,
            input,
            error: None,
        }
    }

    /// The file-name prompt of a save, filled with `default` (cursor at the end).
    pub fn save(what: SaveWhat, default: &str) -> Prompt {
        let mut input = TextArea::new(vec![default.to_string()]);
        input.set_cursor_line_style(ratatui::style::Style::default());
        input.move_cursor(CursorMove::End);
        Prompt {
            purpose: PromptFor::SavePath(what),
            input,
            error: None,
        }
    }

    /// The text typed so far.
    pub fn text(&self) -> String {
        self.input.lines().join(" ")
    }

    /// Feeds a key to the editor.
    pub fn edit(&mut self, key: KeyEvent) {
        self.error = None;
        super::edit_line(&mut self.input, key);
    }
}

/// regex's message in one line: `regex parse error: … error: unclosed group` becomes
/// `invalid regex: unclosed group`.
pub fn regex_error(message: &str) -> String {
    let last = message
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or(message);
    format!(
        "invalid regex: {}",
        last.strip_prefix("error: ").unwrap_or(last)
    )
}

/// Draws the prompt over the bottom rows of `area` (the logs pane).
pub fn render(frame: &mut Frame, area: Rect, prompt: &Prompt, keys: &KeyMap, theme: &Theme) {
    let height = if prompt.error.is_some() { 4 } else { 3 };
    let rect = Rect::new(
        area.x,
        area.y + area.height.saturating_sub(height),
        area.width,
        height.min(area.height),
    );
    frame.render_widget(Clear, rect);
    let save = "({confirm} saves, never over an existing file; {cancel} cancels) ";
    let (title, hint) = match &prompt.purpose {
        PromptFor::Search => (
            " / search ",
            "({confirm} applies, empty clears, {cancel} cancels) ",
        ),
        PromptFor::SavePath(SaveWhat::View) => (" save the view to ", save),
        PromptFor::SavePath(SaveWhat::Stream(_)) => (" save the stream (raw) to ", save),
    };
    let hint = keys.fill(hint);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focused)
        .title(Line::from(vec![
            Span::styled(title, theme.title),
            Span::styled(hint, theme.dim),
        ]));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    frame.render_widget(&prompt.input, Rect::new(inner.x, inner.y, inner.width, 1));
    if let Some(err) = &prompt.error {
        frame.render_widget(
            Paragraph::new(Span::styled(err.as_str(), theme.error)),
            Rect::new(inner.x, inner.y + 1, inner.width, 1),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_errors_fit_on_one_line() {
        let err = crate::logs::search::Search::new("(unclosed").unwrap_err();
        assert_eq!(regex_error(&err), "invalid regex: unclosed group");
    }
}
