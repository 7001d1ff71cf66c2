//! The console's side of the key map: terminal key events (crossterm) turned into the
//! terminal-free [`Key`]s of [`crate::keys`] and back (the mouse presses keys of actions), and
//! the key map looked up by event. Everything else about keys (actions, contexts, parsing,
//! the conflict rules) is in [`crate::keys`].

use crossterm::event::{self, KeyEvent, KeyModifiers};

use crate::keys::{Action, Context, Key, KeyCode, KeyMap};

impl From<KeyCode> for event::KeyCode {
    fn from(code: KeyCode) -> Self {
        match code {
            KeyCode::Char(c) => event::KeyCode::Char(c),
            KeyCode::Tab => event::KeyCode::Tab,
            KeyCode::BackTab => event::KeyCode::BackTab,
            KeyCode::Enter => event::KeyCode::Enter,
            KeyCode::Esc => event::KeyCode::Esc,
            KeyCode::Backspace => event::KeyCode::Backspace,
            KeyCode::Up => event::KeyCode::Up,
            KeyCode::Down => event::KeyCode::Down,
            KeyCode::Left => event::KeyCode::Left,
            KeyCode::Right => event::KeyCode::Right,
            KeyCode::PageUp => event::KeyCode::PageUp,
            KeyCode::PageDown => event::KeyCode::PageDown,
            KeyCode::Home => event::KeyCode::Home,
            KeyCode::End => event::KeyCode::End,
            KeyCode::Delete => event::KeyCode::Delete,
            KeyCode::F(n) => event::KeyCode::F(n),
        }
    }
}

/// The key a terminal key code stands for; `None` for keys `[ui.keys]` cannot name (no
/// action is bound to them).
pub fn key_code(code: event::KeyCode) -> Option<KeyCode> {
    Some(match code {
        event::KeyCode::Char(c) => KeyCode::Char(c),
        event::KeyCode::Tab => KeyCode::Tab,
        event::KeyCode::BackTab => KeyCode::BackTab,
        event::KeyCode::Enter => KeyCode::Enter,
        event::KeyCode::Esc => KeyCode::Esc,
        event::KeyCode::Backspace => KeyCode::Backspace,
        event::KeyCode::Up => KeyCode::Up,
        event::KeyCode::Down => KeyCode::Down,
        event::KeyCode::Left => KeyCode::Left,
        event::KeyCode::Right => KeyCode::Right,
        event::KeyCode::PageUp => KeyCode::PageUp,
        event::KeyCode::PageDown => KeyCode::PageDown,
        event::KeyCode::Home => KeyCode::Home,
        event::KeyCode::End => KeyCode::End,
        event::KeyCode::Delete => KeyCode::Delete,
        event::KeyCode::F(n) => KeyCode::F(n),
        _ => return None,
    })
}

impl Key {
    /// A key press event for this key (the mouse presses keys of actions this way, so it goes
    /// through the same handling, overlays and pickers included, as the keyboard).
    pub fn to_event(self) -> KeyEvent {
        let mut modifiers = KeyModifiers::NONE;
        if self.ctrl {
            modifiers |= KeyModifiers::CONTROL;
        }
        if self.alt {
            modifiers |= KeyModifiers::ALT;
        }
        if matches!(self.code, KeyCode::Char(c) if c.is_uppercase()) {
            modifiers |= KeyModifiers::SHIFT;
        }
        KeyEvent::new(self.code.into(), modifiers)
    }

    /// Whether a terminal key code types or moves in a line of text (with any modifiers): a
    /// character, backspace, delete, left, right, home, end.
    pub fn edits_line(code: event::KeyCode) -> bool {
        key_code(code).is_some_and(KeyCode::edits_line)
    }

    /// The key a terminal event stands for (shift is folded into the character); `None` for
    /// keys no action can be bound to.
    pub fn from_event(ev: &KeyEvent) -> Option<Key> {
        let code = match key_code(ev.code)? {
            KeyCode::Char(c) if ev.modifiers.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            other => other,
        };
        Some(Key {
            code,
            ctrl: ev.modifiers.contains(KeyModifiers::CONTROL),
            alt: ev.modifiers.contains(KeyModifiers::ALT),
        })
    }
}

impl KeyMap {
    /// The action bound to a key press in `context`, if any. In a text input, keys that type
    /// or edit text have none: they type.
    pub fn action_in(&self, context: Context, ev: &KeyEvent) -> Option<Action> {
        self.action_of(context, Key::from_event(ev)?)
    }

    /// The action bound to a key press on the main screen, if any.
    pub fn action_for(&self, ev: &KeyEvent) -> Option<Action> {
        self.action_in(Context::Screen, ev)
    }
}

#[cfg(test)]
#[path = "keys_tests.rs"]
mod tests;
