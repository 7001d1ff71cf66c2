//! Dialog keys are named actions: with `confirm`, `cancel`, `yes` and `no` moved in
//! `[ui.keys]`, every dialog, prompt, picker and overlay answers the new keys through
//! `update`, the old keys no longer answer, and typing in text inputs still types.

use super::projects::two_projects;
use super::*;
use crate::audit::file::Recent;
use crate::audit::{AuditEntry, Source};
use crate::chatops::DeployTarget;
use crate::keys::testing::{keymap, DIALOGS_MOVED};
use crate::tui::panes::graph::RunPicker;
use crate::tui::test_support::{ctrl, typed};

/// Two PRs; #2 is behind its base (a deploy needs the force word).
fn console() -> App {
    let mut behind = pr(2);
    behind.behind_by = Some(3);
    loaded_with(keymap(DIALOGS_MOVED), vec![pr(1), behind])
}

fn deploys(cmds: &[Command]) -> Vec<(u64, bool)> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::StartAction {
                pr,
                cmd:
                    ChatCommand::Deploy {
                        target: DeployTarget::Production,
                        force,
                        ..
                    },
                ..
            } => Some((*pr, *force)),
            _ => None,
        })
        .collect()
}

#[test]
fn the_deploy_confirmation_answers_the_remapped_keys_only() {
    let mut app = console();
    // The old keys: y, enter and esc are "any other key" now: No, nothing sent.
    for old in [key('y'), code(KeyCode::Enter), code(KeyCode::Esc)] {
        assert!(update(&mut app, key('d')).is_empty());
        assert!(matches!(app.overlay, Overlay::Deploy(_)));
        assert!(update(&mut app, old).is_empty());
        assert!(matches!(app.overlay, Overlay::None));
    }
    // The new no and cancel: No.
    for no in [key('x'), ctrl('g')] {
        update(&mut app, key('d'));
        assert!(update(&mut app, no).is_empty());
        assert!(matches!(app.overlay, Overlay::None));
    }
    // confirm on the default button: No; after choosing Yes: deploy.
    update(&mut app, key('d'));
    assert!(update(&mut app, ctrl('o')).is_empty());
    assert!(app.actions.is_empty());
    update(&mut app, key('d'));
    update(&mut app, code(KeyCode::Right));
    assert_eq!(deploys(&update(&mut app, ctrl('o'))), [(1, false)]);
    app.actions.clear();
    // The new yes.
    update(&mut app, key('d'));
    assert_eq!(deploys(&update(&mut app, key('o'))), [(1, false)]);
}

#[test]
fn the_force_word_is_typed_letters_and_all_and_checked_by_the_remapped_confirm() {
    let mut app = console();
    update(&mut app, key('j')); // #2, behind its base
    update(&mut app, key('d'));
    let Overlay::Deploy(d) = &app.overlay else {
        panic!("no dialog")
    };
    assert!(d.needs_force());
    // o (yes) and x (no) are letters here; typing goes on.
    assert!(typed(&mut app, "forxo").is_empty());
    assert!(matches!(app.overlay, Overlay::Deploy(_)));
    assert!(
        update(&mut app, ctrl('o')).is_empty(),
        "a wrong word cancels"
    );
    assert!(matches!(app.overlay, Overlay::None));
    update(&mut app, key('d'));
    typed(&mut app, "force");
    assert_eq!(deploys(&update(&mut app, ctrl('o'))), [(2, true)]);
    app.actions.clear();
    update(&mut app, key('d'));
    typed(&mut app, "force");
    assert!(update(&mut app, ctrl('g')).is_empty());
    assert!(matches!(app.overlay, Overlay::None) && app.actions.is_empty());
}

#[test]
fn the_quit_confirmation_quits_on_the_remapped_yes_only() {
    let mut app = console();
    update(&mut app, key('b'));
    for other in [
        key('y'),
        key('x'),
        ctrl('g'),
        ctrl('o'),
        key('q'),
        ctrl('c'),
    ] {
        update(&mut app, key('q'));
        assert!(matches!(app.overlay, Overlay::Quit));
        update(&mut app, other);
        assert!(matches!(app.overlay, Overlay::None) && !app.should_quit);
    }
    update(&mut app, key('q'));
    update(&mut app, key('o'));
    assert!(app.should_quit);
}

#[test]
fn the_command_line_runs_on_the_remapped_confirm_and_types_everything_else() {
    let mut app = console();
    update(&mut app, key(':'));
    // y, n, o, x and q type; enter does not break the line; nothing runs.
    assert!(typed(&mut app, "/build qyonx").is_empty());
    assert!(update(&mut app, code(KeyCode::Enter)).is_empty());
    let Overlay::Command(line) = &app.overlay else {
        panic!("closed")
    };
    assert_eq!(line.text(), "/build qyonx");
    assert!(update(&mut app, ctrl('g')).is_empty());
    assert!(matches!(app.overlay, Overlay::None));
    update(&mut app, key(':'));
    typed(&mut app, "/build");
    let cmds = update(&mut app, ctrl('o'));
    assert!(
        matches!(
            &cmds[..],
            [Command::StartAction {
                pr: 1,
                cmd: ChatCommand::Build,
                ..
            }]
        ),
        "{cmds:?}"
    );
    // ctrl-c (quit's key that does not type) leaves the line without quitting.
    update(&mut app, key(':'));
    typed(&mut app, "/run");
    assert!(update(&mut app, ctrl('c')).is_empty());
    assert!(matches!(app.overlay, Overlay::None) && !app.should_quit);
}

#[test]
fn the_search_prompt_applies_on_the_remapped_confirm_and_cancels_on_the_remapped_cancel() {
    let mut app = console();
    update(&mut app, key('/'));
    typed(&mut app, "oops");
    update(&mut app, code(KeyCode::Esc));
    assert!(matches!(app.overlay, Overlay::Prompt(_)), "esc is unbound");
    update(&mut app, ctrl('g'));
    assert!(matches!(app.overlay, Overlay::None));
    assert!(app.logs.search.is_none());
    update(&mut app, key('/'));
    typed(&mut app, "error");
    update(&mut app, ctrl('o'));
    assert!(matches!(app.overlay, Overlay::None));
    let pattern = app
        .logs
        .search
        .as_ref()
        .map(|s| s.search.pattern().to_string());
    assert_eq!(pattern.as_deref(), Some("error"));
}

fn run(id: &str) -> crate::backends::kfp::Run {
    serde_json::from_value(serde_json::json!({"run_id": id, "display_name": id})).unwrap()
}

#[test]
fn the_run_picker_opens_on_the_remapped_confirm_and_closes_on_the_remapped_cancel() {
    let mut app = console();
    let cmds = update(&mut app, key('p'));
    assert!(
        matches!(&cmds[..], [Command::ListRuns { pr: 1, .. }]),
        "{cmds:?}"
    );
    update(
        &mut app,
        Msg::RunsListed {
            project: 0,
            pr: 1,
            result: Ok(vec![run("run-c"), run("run-b"), run("run-a")]),
        },
    );
    let selected = |app: &App| app.graph.picker.as_ref().map(|p| p.selected);
    // It reuses the list keys: down, bottom, top, page down.
    update(&mut app, key('j'));
    assert_eq!(selected(&app), Some(1));
    update(&mut app, key('G'));
    assert_eq!(selected(&app), Some(2));
    update(&mut app, key('g'));
    assert_eq!(selected(&app), Some(0));
    update(&mut app, ctrl('d'));
    assert_eq!(selected(&app), Some(2));
    // enter and esc are not the picker's any more.
    assert!(update(&mut app, code(KeyCode::Enter)).is_empty());
    update(&mut app, code(KeyCode::Esc));
    assert_eq!(selected(&app), Some(2));
    let cmds = update(&mut app, ctrl('o'));
    assert!(app.graph.picker.is_none());
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Command::LoadRun { run_id, .. } if run_id == "run-a")),
        "{cmds:?}"
    );
    app.graph.picker = Some(RunPicker {
        project: 0,
        pr: 1,
        runs: vec![run("run-a")],
        selected: 0,
        loading: false,
    });
    assert!(update(&mut app, ctrl('g')).is_empty());
    assert!(app.graph.picker.is_none());
}

#[test]
fn the_build_picker_opens_on_the_remapped_confirm_and_keeps_the_logs_keys() {
    let mut app = console();
    let cmds = update(&mut app, key('o'));
    assert!(
        matches!(&cmds[..], [Command::ListBuilds { pr: 1, .. }]),
        "{cmds:?}"
    );
    assert!(app.logs.picker.is_some());
    update(&mut app, code(KeyCode::Esc));
    assert!(app.logs.picker.is_some(), "esc is unbound");
    // A logs key still works while it is open.
    let wrap = app.logs.wrap;
    update(&mut app, key('w'));
    assert_ne!(app.logs.wrap, wrap);
    update(&mut app, ctrl('g'));
    assert!(app.logs.picker.is_none());
    update(&mut app, key('o'));
    // Nothing listed yet: confirm closes it without opening anything.
    assert!(update(&mut app, ctrl('o')).is_empty());
    assert!(app.logs.picker.is_none());
}

#[test]
fn help_and_audit_close_on_the_remapped_cancel() {
    let mut app = console();
    update(&mut app, key('?'));
    update(&mut app, code(KeyCode::Esc));
    assert!(matches!(app.overlay, Overlay::Help(_)), "esc is unbound");
    update(&mut app, ctrl('g'));
    assert!(matches!(app.overlay, Overlay::None));

    update(&mut app, key('A'));
    update(
        &mut app,
        Msg::AuditLoaded(Ok(Recent {
            entries: vec![AuditEntry::started(
                Source::Console,
                "ana".into(),
                1,
                &ChatCommand::Build,
            )],
            unreadable: 0,
        })),
    );
    let details = |app: &App| match &app.overlay {
        Overlay::Audit(v) => Some(v.details),
        _ => None,
    };
    update(&mut app, code(KeyCode::Enter));
    assert_eq!(details(&app), Some(false), "enter is unbound");
    update(&mut app, ctrl('o'));
    assert_eq!(details(&app), Some(true));
    update(&mut app, ctrl('g'));
    assert_eq!(
        details(&app),
        Some(false),
        "cancel goes back to the list first"
    );
    update(&mut app, ctrl('g'));
    assert_eq!(details(&app), None);
}

#[test]
fn the_project_switcher_is_a_screen_key_and_the_dialog_keys_do_not_touch_it() {
    // The switcher has no keys of its own: `switch_project` cycles it from the screen.
    let mut app = two_projects();
    app.keymap = keymap(&[("switch_project", &["ctrl-p"])]);
    update(&mut app, key('P'));
    assert_eq!(app.project_filter, None, "P is no longer the switcher");
    update(&mut app, ctrl('p'));
    assert_eq!(app.project_filter, Some(0));
    for dialog_key in [code(KeyCode::Enter), code(KeyCode::Esc), key('y'), key('n')] {
        update(&mut app, dialog_key);
        assert_eq!(app.project_filter, Some(0));
        assert!(matches!(app.overlay, Overlay::None));
    }
}
