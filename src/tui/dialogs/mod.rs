//! Overlays drawn above the panes: help, the `:` command line, confirmations, the audit log.

pub mod audit;
pub mod command_line;
pub mod deploy_confirm;
pub mod help;
pub mod prompt;
pub mod quit_confirm;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tui_textarea::TextArea;

/// The keys the force-word input takes (typing, deleting, moving along the line, with any
/// modifiers: tui-textarea's ctrl- editing keys too); any other key not bound to an action
/// cancels the deploy.
pub(crate) fn edits_line(key: &KeyEvent) -> bool {
    crate::keys::Key::edits_line(key.code)
}

/// Feeds a key to a one-line tui-textarea. Keys that would break the line (enter, ctrl-m,
/// a typed newline: with `confirm` bound elsewhere they reach the editor) are dropped, so
/// the inputs stay one line.
pub(crate) fn edit_line(input: &mut TextArea<'static>, key: KeyEvent) {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let breaks = match key.code {
        KeyCode::Enter | KeyCode::Char('\n' | '\r') => true,
        KeyCode::Char('m') => ctrl,
        _ => false,
    };
    if !breaks {
        input.input(key);
    }
}
