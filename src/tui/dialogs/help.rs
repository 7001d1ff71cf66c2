//! The `?` overlay: every key, generated from the effective key map.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph};
use ratatui::Frame;

use crate::keys::{Action, Group, KeyMap, ACTIONS};
use crate::tui::layout::centered;
use crate::tui::theme::Theme;

/// The help text, one line per action, grouped, plus the mouse and command-line notes.
pub fn lines(keymap: &KeyMap, theme: &Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for group in Group::ALL {
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
    let again = format!(
        "open what is picked (as {})",
        keymap.describe(Action::Confirm)
    );
    for (what, does) in [
        (
            "click",
            "focus a pane; pick a PR, log cell, graph node, picker row, dialog button",
        ),
        ("click again", again.as_str()),
        (
            "wheel",
            "scroll the pane, picker or overlay under the pointer",
        ),
        ("shift-wheel", "pan the run graph sideways"),
    ] {
        out.push(Line::from(vec![
            Span::styled(format!("  {what:<16}"), theme.key),
            Span::raw(does.to_string()),
        ]));
    }
    out.push(Line::raw(""));
    out.push(Line::from(Span::styled("Command line", theme.header)));
    out.push(Line::from(Span::styled(
        "  /build  /run  /build_run  /deploy [--run-id=ID] [--force]",
        theme.key,
    )));
    out.push(Line::from(vec![
        Span::styled("  /staging_deploy [--run-id=ID]  ", theme.key),
        Span::raw("on the selected PR, as in PR comments"),
    ]));
    out.push(Line::from(vec![
        Span::styled("  q  help  refresh  ", theme.key),
        Span::raw("console commands"),
    ]));
    out.push(Line::raw(""));
    out.push(Line::from(Span::styled(
        format!(
            "{} / {} closes this help; {} / {} scroll",
            keymap.describe(Action::Cancel),
            keymap.describe(Action::Help),
            keymap.describe(Action::Down),
            keymap.describe(Action::Up)
        ),
        theme.dim,
    )));
    out
}

/// Draws the help overlay centred on `area`.
pub fn render(frame: &mut Frame, area: Rect, keymap: &KeyMap, scroll: u16, theme: &Theme) {
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
        .title(Span::styled(" Help: keys in effect ", theme.title));
    let max_scroll = height.saturating_sub(rect.height);
    frame.render_widget(
        Paragraph::new(text)
            .block(block)
            .scroll((scroll.min(max_scroll), 0)),
        rect,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn text(keymap: &KeyMap) -> String {
        lines(keymap, &Theme::default())
            .iter()
            .map(|l| {
                l.spans
                    .iter()
                    .map(|s| s.content.to_string())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn help_lists_every_action_with_its_effective_keys() {
        let keymap = KeyMap::default();
        let help = text(&keymap);
        for (action, _, _, description, _) in ACTIONS {
            let line = help
                .lines()
                .find(|l| l.contains(description))
                .unwrap_or_else(|| panic!("{description} missing from help"));
            assert!(line.contains(&keymap.describe(*action)), "{line}");
        }
    }

    #[test]
    fn help_follows_remapped_keys() {
        let mut o = BTreeMap::new();
        o.insert("build".to_string(), vec!["ctrl-b".to_string()]);
        let keymap = KeyMap::with_overrides(&o).unwrap();
        let help = text(&keymap);
        let line = help.lines().find(|l| l.contains("/build:")).unwrap();
        assert!(line.trim_start().starts_with("ctrl-b"), "{line}");
    }
}
