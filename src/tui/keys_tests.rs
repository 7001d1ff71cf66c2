//! The key map's rules, and key presses looked up through it.

use std::collections::BTreeMap;

use super::*;
use crate::keys::testing::overrides;
use crate::keys::ACTIONS;
use crossterm::event::{KeyCode, KeyEventKind, KeyModifiers};

fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
    KeyEvent {
        code,
        modifiers,
        kind: KeyEventKind::Press,
        state: crossterm::event::KeyEventState::NONE,
    }
}

fn ch(c: char) -> KeyEvent {
    press(KeyCode::Char(c), KeyModifiers::NONE)
}

fn refused(pairs: &[(&str, &[&str])]) -> String {
    match KeyMap::with_overrides(&overrides(pairs)) {
        Ok(_) => panic!("{pairs:?} was accepted"),
        Err(e) => e,
    }
}

#[test]
fn defaults_have_no_conflicts_and_every_action_a_key() {
    let map = KeyMap::default();
    map.check_conflicts().unwrap();
    map.check_dialog_rules().unwrap();
    for (action, ..) in ACTIONS {
        assert!(!map.keys_for(*action).is_empty(), "{action:?} has no key");
    }
}

#[test]
fn shifted_letters_and_ctrl_resolve() {
    let map = KeyMap::default();
    assert_eq!(
        map.action_for(&press(KeyCode::Char('G'), KeyModifiers::SHIFT)),
        Some(Action::Bottom)
    );
    assert_eq!(
        map.action_for(&press(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        Some(Action::Quit)
    );
    assert_eq!(
        map.action_for(&press(KeyCode::Char('c'), KeyModifiers::NONE)),
        None
    );
}

#[test]
fn overrides_replace_keys_and_report_conflicts_and_unknown_names() {
    let mut o = BTreeMap::new();
    o.insert("quit".to_string(), vec!["x".to_string()]);
    let map = KeyMap::with_overrides(&o).unwrap();
    assert_eq!(
        map.action_for(&press(KeyCode::Char('x'), KeyModifiers::NONE)),
        Some(Action::Quit)
    );
    assert_eq!(
        map.action_for(&press(KeyCode::Char('q'), KeyModifiers::NONE)),
        None
    );
    o.insert("build".to_string(), vec!["x".to_string()]);
    let err = KeyMap::with_overrides(&o).unwrap_err();
    assert!(err.contains("`x` is bound to both"), "{err}");
    let mut o = BTreeMap::new();
    o.insert("launch".to_string(), vec!["x".to_string()]);
    assert!(KeyMap::with_overrides(&o)
        .unwrap_err()
        .contains("unknown action `launch`"));
}

#[test]
fn a_key_means_one_thing_per_context_not_per_console() {
    // `n` is `no` in a confirmation and `logs_search_next` on the screen: no conflict.
    let map = KeyMap::default();
    assert_eq!(
        map.action_in(Context::Screen, &ch('n')),
        Some(Action::LogsSearchNext)
    );
    assert_eq!(
        map.action_in(Context::Confirmation, &ch('n')),
        Some(Action::No)
    );
    assert_eq!(map.action_in(Context::TextInput, &ch('n')), None, "n types");
    // `no` moved onto a pane key: still no conflict (`f` follows logs on the screen).
    let map = KeyMap::with_overrides(&overrides(&[("no", &["f"])])).unwrap();
    assert_eq!(
        map.action_in(Context::Confirmation, &ch('f')),
        Some(Action::No)
    );
    assert_eq!(
        map.action_in(Context::Screen, &ch('f')),
        Some(Action::LogsFollow)
    );
    // Two dialog actions on one key: a conflict, naming where.
    let err = refused(&[("yes", &["y"]), ("no", &["y"])]);
    assert!(
        err.contains("`y` is bound to both `yes` and `no`, which both act in the deploy and quit confirmations"),
        "{err}"
    );
    // A dialog action on a key that a screen action also uses inside an overlay: a conflict
    // there (ctrl-d pages the audit log), though not on the screen.
    let err = refused(&[("cancel", &["ctrl-d"])]);
    assert!(
        err.contains("`ctrl-d` is bound to both `page_down` and `cancel`, which both act in the audit overlay"),
        "{err}"
    );
    // In the build picker the logs pane's keys stay live: ctrl-s cannot also confirm there.
    let err = refused(&[("confirm", &["ctrl-s"])]);
    assert!(
        err.contains("`ctrl-s` is bound to both `logs_save_stream` and `confirm`, which both act in the build picker"),
        "{err}"
    );
}

#[test]
fn quit_is_the_way_out_everywhere_and_never_types_or_answers_yes() {
    let map = KeyMap::default();
    let ctrl_c = press(KeyCode::Char('c'), KeyModifiers::CONTROL);
    for context in Context::ALL {
        assert_eq!(
            map.action_in(context, &ctrl_c),
            Some(Action::Quit),
            "{context:?}"
        );
    }
    assert_eq!(
        map.action_in(Context::Confirmation, &ch('q')),
        Some(Action::Quit)
    );
    assert_eq!(map.action_in(Context::TextInput, &ch('q')), None, "q types");
    // So `no` on quit's key is a conflict in the confirmations (both act there).
    let err = refused(&[("no", &["q"])]);
    assert!(
        err.contains("`q` is bound to both `quit` and `no`"),
        "{err}"
    );
    // ctrl-c never answers yes, even when quit is moved elsewhere.
    for action in ["yes", "confirm"] {
        let err = refused(&[("quit", &["ctrl-q"]), (action, &["ctrl-c"])]);
        assert!(
            err.contains("`ctrl-c` is the key pressed to get out"),
            "{err}"
        );
    }
}

#[test]
fn confirm_and_cancel_may_not_be_keys_that_type() {
    for (action, key) in [
        ("cancel", "q"),
        ("cancel", "Q"),
        ("confirm", "space"),
        ("confirm", "y"),
        ("cancel", "backspace"),
        ("confirm", "left"),
    ] {
        let err = refused(&[(action, &[key])]);
        assert!(
            err.starts_with(&format!("[ui.keys] {action}: `"))
                && err.contains("types or edits text in text inputs"),
            "{action} = {key}: {err}"
        );
    }
    // Keys that do not type are fine, and act in text inputs.
    let map = KeyMap::with_overrides(&overrides(&[
        ("cancel", &["ctrl-g", "esc"]),
        ("confirm", &["alt-enter"]),
    ]))
    .unwrap();
    let ctrl_g = press(KeyCode::Char('g'), KeyModifiers::CONTROL);
    assert_eq!(
        map.action_in(Context::TextInput, &ctrl_g),
        Some(Action::Cancel)
    );
    let alt_enter = press(KeyCode::Enter, KeyModifiers::ALT);
    assert_eq!(
        map.action_in(Context::TextInput, &alt_enter),
        Some(Action::Confirm)
    );
    let enter = press(KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(map.action_in(Context::TextInput, &enter), None);
}

#[test]
fn confirmations_stay_answerable_and_default_to_no() {
    for action in ["confirm", "cancel", "yes"] {
        let err = refused(&[(action, &[])]);
        assert!(err.contains("needs at least one key"), "{err}");
    }
    // `no` may be unbound: any other key answers no.
    KeyMap::with_overrides(&overrides(&[("no", &[])])).unwrap();
    let err = refused(&[("yes", &["enter"]), ("confirm", &["alt-enter"])]);
    assert!(err.contains("`enter` must not answer yes"), "{err}");
    let err = refused(&[("deploy", &["D"]), ("yes", &["D"])]);
    assert!(
        err.contains("`D` is bound to both `deploy` and `yes`: pressing it twice"),
        "{err}"
    );
    let err = refused(&[("deploy", &["ctrl-y"]), ("confirm", &["ctrl-y"])]);
    assert!(
        err.contains("`ctrl-y` is bound to both `deploy` and `confirm`"),
        "{err}"
    );
}

#[test]
fn hints_name_the_keys_in_effect() {
    let map = crate::keys::testing::keymap(&[("yes", &["o", "O"]), ("cancel", &["ctrl-g"])]);
    assert_eq!(
        map.fill("{yes}: yes · {cancel} cancels · {confirm} · {nothing} · {"),
        "o: yes · ctrl-g cancels · enter · {nothing} · {"
    );
}
