//! Quitting while Kfops actions run: asked first, default No. `yes` (y) quits (the actions
//! stop with the console and are recorded as interrupted in the audit log); any other key
//! (`no`, `cancel`, `confirm` on the default No, quit's own keys pressed again) closes the
//! dialog and the actions keep running.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph};
use ratatui::Frame;

use crate::keys::{Action, Context, KeyMap};
use crate::tui::app::RunningAction;
use crate::tui::format::age;
use crate::tui::layout::centered;
use crate::tui::theme::Theme;

/// What a key does in the dialog: only the keys of `yes` quit.
pub fn quits(key: &KeyEvent, keys: &KeyMap) -> bool {
    keys.action_in(Context::Confirmation, key) == Some(Action::Yes)
}

/// `/build on #41 (uploading pipeline, started 12s ago)`: one line per running action.
pub fn describe(
    actions: &BTreeMap<crate::tui::app::PrId, RunningAction>,
    now: DateTime<Utc>,
) -> Vec<String> {
    actions
        .iter()
        .map(|((_, pr), a)| {
            format!(
                "{} on #{pr} ({}, started {} ago)",
                a.kind,
                a.step,
                age(a.started, now)
            )
        })
        .collect()
}

/// Draws the dialog centred on `area`, naming the running actions.
pub fn render(
    frame: &mut Frame,
    area: Rect,
    actions: &BTreeMap<crate::tui::app::PrId, RunningAction>,
    now: DateTime<Utc>,
    keys: &KeyMap,
    theme: &Theme,
) {
    let running = describe(actions, now);
    let mut lines: Vec<Line> = vec![Line::from(Span::styled(
        "These actions are still running and stop if kfops quits:",
        theme.warn,
    ))];
    lines.extend(
        running
            .iter()
            .map(|r| Line::from(vec![Span::raw("  • "), Span::raw(r.clone())])),
    );
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::styled("[ No ]", theme.selected),
        Span::raw("  "),
        Span::styled("[ Yes ]", theme.dim),
        Span::styled(
            keys.fill("    {yes}: quit · any other key: keep running"),
            theme.dim,
        ),
    ]));
    let height = u16::try_from(lines.len())
        .unwrap_or(u16::MAX)
        .saturating_add(2);
    let rect = centered(area, 76, height);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(theme.error)
        .title(Span::styled(" Quit while actions run? ", theme.title));
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

    #[test]
    fn only_y_quits() {
        let keys = KeyMap::default();
        let k = |c| KeyEvent::new(c, KeyModifiers::NONE);
        assert!(quits(&k(KeyCode::Char('y')), &keys));
        assert!(quits(
            &KeyEvent::new(KeyCode::Char('Y'), KeyModifiers::SHIFT),
            &keys
        ));
        for other in [
            KeyCode::Enter,
            KeyCode::Esc,
            KeyCode::Char('q'),
            KeyCode::Char('n'),
        ] {
            assert!(!quits(&k(other), &keys), "{other:?}");
        }
        assert!(!quits(
            &KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL),
            &keys
        ));
    }

    #[test]
    fn a_remapped_yes_quits_and_y_no_longer_does() {
        let keys = crate::keys::testing::keymap(&[("yes", &["alt-q"])]);
        assert!(!quits(
            &KeyEvent::new(KeyCode::Char('y'), KeyModifiers::NONE),
            &keys
        ));
        assert!(quits(
            &KeyEvent::new(KeyCode::Char('q'), KeyModifiers::ALT),
            &keys
        ));
    }
}
