//! Fixtures shared by the reducer's unit tests (`update_*_tests.rs`): the clocks, a PR, a
//! pod, key presses.

use chrono::{DateTime, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers};

use crate::domain::{PodRef, PullRequest};
use crate::effects::Command;
use crate::tui::app::App;
use crate::tui::msg::Msg;
use crate::tui::update::update;

/// 2026-11-25 12:00 UTC plus `min` minutes: the console tests' clock.
pub fn console_time(min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, min, 0).unwrap()
}

/// 2026-11-25 12:00 UTC.
pub fn t0() -> DateTime<Utc> {
    console_time(0)
}

/// 2026-11-25 10:00 UTC plus `ms` milliseconds: the log lines' clock.
pub fn log_time(ms: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap() + chrono::Duration::milliseconds(ms)
}

/// PR `number` "PR {number}" by ana from `feature-{number}`: up to date with main, mergeable,
/// no labels, updated at [`t0`], no version or run yet.
pub fn pr(number: u64) -> PullRequest {
    PullRequest {
        project: 0,
        number,
        title: format!("PR {number}"),
        author: "ana".into(),
        head_ref: format!("feature-{number}"),
        head_sha: "a".repeat(40),
        base_ref: "main".into(),
        behind_by: Some(0),
        ahead_by: Some(1),
        mergeable: Some(true),
        mergeable_state: Some("clean".into()),
        labels: vec![],
        updated_at: t0(),
        last_version_id: None,
        last_run_id: None,
    }
}

/// The pod `name` in the `kfops` namespace, its only container.
pub fn pod(name: &str) -> PodRef {
    PodRef {
        namespace: "kfops".into(),
        name: name.into(),
        container: None,
    }
}

/// A press of a character, with shift for an upper-case one (as a terminal sends it).
pub fn key(c: char) -> Msg {
    let modifiers = if c.is_ascii_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    Msg::Key(KeyEvent {
        code: KeyCode::Char(c),
        modifiers,
        kind: KeyEventKind::Press,
        state: KeyEventState::NONE,
    })
}

/// A press of a non-character key.
pub fn code(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// A press of ctrl and a character.
pub fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

/// Types the text key by key; the commands the keys asked for.
pub fn typed(app: &mut App, text: &str) -> Vec<Command> {
    text.chars().flat_map(|c| update(app, key(c))).collect()
}

/// The status bar's message text (empty without one).
pub fn said(app: &App) -> &str {
    app.status.message.as_ref().map_or("", |m| m.text.as_str())
}
