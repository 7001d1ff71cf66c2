//! One key with its modifiers, as written in `[ui.keys]` and as pressed. Terminal-free: the
//! console turns a terminal event into a [`Key`] (`tui::keys`).

use std::fmt;

/// The keys `[ui.keys]` can name (a terminal's other keys are bound to nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyCode {
    Char(char),
    Tab,
    BackTab,
    Enter,
    Esc,
    Backspace,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    Delete,
    /// `F1` to `F12`.
    F(u8),
}

impl KeyCode {
    /// Whether the key types or moves in a line of text (with any modifiers): a
    /// character, backspace, delete, left, right, home, end.
    pub fn edits_line(self) -> bool {
        matches!(
            self,
            KeyCode::Char(_)
                | KeyCode::Backspace
                | KeyCode::Delete
                | KeyCode::Left
                | KeyCode::Right
                | KeyCode::Home
                | KeyCode::End
        )
    }
}

/// A key with its modifiers, as written in the config (`q`, `G`, `ctrl-c`, `tab`, `F5`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

impl Key {
    /// Parses `q`, `G`, `?`, `ctrl-c`, `alt-x`, `tab`, `backtab`, `enter`, `esc`, `up`, `pageup`,
    /// `home`, `F5`, `space`.
    pub fn parse(text: &str) -> Result<Key, String> {
        let mut ctrl = false;
        let mut alt = false;
        let mut rest = text;
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.len() > 1 && lower.starts_with("ctrl-") {
                ctrl = true;
                rest = &rest[5..];
            } else if rest.len() > 1 && lower.starts_with("alt-") {
                alt = true;
                rest = &rest[4..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => match rest.to_ascii_lowercase().as_str() {
                "tab" => KeyCode::Tab,
                "backtab" | "shift-tab" => KeyCode::BackTab,
                "enter" => KeyCode::Enter,
                "esc" => KeyCode::Esc,
                "space" => KeyCode::Char(' '),
                "backspace" => KeyCode::Backspace,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "pageup" | "pgup" => KeyCode::PageUp,
                "pagedown" | "pgdn" => KeyCode::PageDown,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "delete" | "del" => KeyCode::Delete,
                f if f.starts_with('f') => f[1..]
                    .parse::<u8>()
                    .ok()
                    .filter(|n| (1..=12).contains(n))
                    .map(KeyCode::F)
                    .ok_or_else(|| format!("unknown key `{text}`"))?,
                _ => return Err(format!("unknown key `{text}`")),
            },
        };
        if ctrl && !matches!(code, KeyCode::Char(_)) {
            return Err(format!("`{text}`: ctrl- only combines with a character"));
        }
        let code = match code {
            KeyCode::Char(c) if ctrl => KeyCode::Char(c.to_ascii_lowercase()),
            other => other,
        };
        Ok(Key { code, ctrl, alt })
    }

    /// Whether the key types or edits text in a one-line input: a character without ctrl or
    /// alt (space and shifted letters too), backspace, delete, and the cursor keys along the
    /// line. In text inputs these keys always edit, whatever they are bound to.
    pub fn edits_text(&self) -> bool {
        !self.ctrl && !self.alt && self.code.edits_line()
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::Delete => f.write_str("del"),
            KeyCode::F(n) => write!(f, "F{n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_parsing() {
        assert_eq!(Key::parse("ctrl-C").unwrap().to_string(), "ctrl-c");
        assert_eq!(Key::parse("F5").unwrap().code, KeyCode::F(5));
        assert!(Key::parse("ctrl-tab").is_err());
        assert!(Key::parse("hyper-x").is_err());
    }

    #[test]
    fn typing_and_editing_keys_are_told_apart() {
        for typing in [
            "q",
            "Q",
            "space",
            "?",
            "backspace",
            "delete",
            "left",
            "home",
        ] {
            assert!(Key::parse(typing).unwrap().edits_text(), "{typing}");
        }
        for other in [
            "esc", "enter", "ctrl-g", "alt-q", "F10", "tab", "up", "pageup",
        ] {
            assert!(!Key::parse(other).unwrap().edits_text(), "{other}");
        }
    }
}
