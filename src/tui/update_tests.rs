//! Reducer tests: state and returned effects, no I/O.

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};

use super::*;
use crate::backends::error::Service;
use crate::backends::BackendError;
use crate::domain::PullRequest;
use crate::keys::KeyMap;
use crate::tui::test_support::{code, console_time as t, key, pr, typed};

/// An app that has loaded `n` PRs (#1..=n).
fn loaded(n: u64) -> App {
    loaded_with(KeyMap::default(), (1..=n).map(pr).collect())
}

/// An app with these keys that has loaded these PRs.
fn loaded_with(keymap: KeyMap, prs: Vec<PullRequest>) -> App {
    let mut app = App::new("acme/model", "test", keymap);
    let cmds = init(&mut app);
    assert_eq!(cmds[0], Command::LoadPrs { generation: 1 });
    update(
        &mut app,
        Msg::PrsLoaded {
            budget: None,
            generation: 1,
            at: t(1),
            result: Ok(prs),
        },
    );
    app
}

fn fail(at: DateTime<Utc>) -> Result<Vec<PullRequest>, BackendError> {
    let _ = at;
    Err(BackendError::new(
        Service::GitHub,
        "list pull requests",
        "503 Service Unavailable",
    )
    .with_status(503))
}

#[test]
fn navigation_keys_move_and_clamp_the_selection() {
    let mut app = loaded(5);
    update(&mut app, key('j'));
    update(&mut app, key('j'));
    assert_eq!(app.prs.selected, 2);
    update(&mut app, key('k'));
    assert_eq!(app.prs.selected, 1);
    update(&mut app, key('G'));
    assert_eq!(app.prs.selected, 4);
    update(&mut app, key('j'));
    assert_eq!(app.prs.selected, 4, "clamped at the last row");
    update(&mut app, key('g'));
    assert_eq!(app.prs.selected, 0);
    update(&mut app, code(KeyCode::Down));
    assert_eq!(app.prs.selected, 1);
}

#[test]
fn selection_scrolls_into_view_on_a_small_screen() {
    let mut app = loaded(50);
    update(
        &mut app,
        Msg::Resize {
            width: 100,
            height: 20,
        },
    );
    update(&mut app, key('G'));
    let rows = PrPane::visible_rows(Areas::of_app(&app).prs);
    assert!(app.prs.offset + rows > app.prs.selected);
    assert!(app.prs.offset <= app.prs.selected);
    update(&mut app, key('g'));
    assert_eq!(app.prs.offset, 0);
}

#[test]
fn refresh_keeps_selection_on_the_same_pr_and_drops_stale_answers() {
    let mut app = loaded(3);
    update(&mut app, key('j')); // #2
    let cmds = update(&mut app, Msg::RefreshDue { now: t(2) });
    assert_eq!(cmds, vec![Command::LoadPrs { generation: 2 }]);
    // A new refresh while one is in flight is not started twice.
    assert!(update(&mut app, Msg::RefreshDue { now: t(3) }).is_empty());
    // A stale answer (generation 1) changes nothing.
    update(
        &mut app,
        Msg::PrsLoaded {
            budget: None,
            generation: 1,
            at: t(3),
            result: Ok(vec![pr(9)]),
        },
    );
    assert_eq!(app.prs.items.len(), 3);
    // The new list has #2 at another position; the selection follows it.
    update(
        &mut app,
        Msg::PrsLoaded {
            budget: None,
            generation: 2,
            at: t(4),
            result: Ok(vec![pr(7), pr(3), pr(2)]),
        },
    );
    assert_eq!(app.prs.selected_pr().map(|p| p.number), Some(2));
    assert!(!app.prs.refreshing);
}

#[test]
fn failing_refresh_keeps_last_good_data_and_says_since_when() {
    let mut app = loaded(2);
    update(&mut app, Msg::RefreshDue { now: t(5) });
    update(
        &mut app,
        Msg::PrsLoaded {
            budget: None,
            generation: 2,
            at: t(5),
            result: fail(t(5)),
        },
    );
    update(&mut app, Msg::RefreshDue { now: t(7) });
    update(
        &mut app,
        Msg::PrsLoaded {
            budget: None,
            generation: 3,
            at: t(7),
            result: fail(t(7)),
        },
    );
    assert_eq!(app.prs.items.len(), 2, "last good data stays");
    let failing = app.status.failing.clone().unwrap();
    assert_eq!(failing.since, t(5));
    assert_eq!(failing.count, 2);
    let bar: String = crate::tui::status_bar::spans(&app)
        .iter()
        .map(|s| s.content.to_string())
        .collect();
    assert!(bar.contains("503 Service Unavailable"), "{bar}");
    assert!(bar.contains("failing for 2m"), "{bar}");
    // Recovery clears the failure.
    update(&mut app, Msg::RefreshDue { now: t(8) });
    update(
        &mut app,
        Msg::PrsLoaded {
            budget: None,
            generation: 4,
            at: t(8),
            result: Ok(vec![pr(1)]),
        },
    );
    assert!(app.status.failing.is_none());
}

#[test]
fn first_load_failure_is_shown_in_the_pane_state() {
    let mut app = App::new("acme/model", "test", KeyMap::default());
    init(&mut app);
    update(
        &mut app,
        Msg::PrsLoaded {
            budget: None,
            generation: 1,
            at: t(1),
            result: fail(t(1)),
        },
    );
    assert_eq!(app.prs.load, LoadState::Failed);
}

#[test]
fn focus_cycles_and_jumps() {
    let mut app = loaded(1);
    assert_eq!(app.focus, PaneId::Prs);
    update(&mut app, code(KeyCode::Tab));
    assert_eq!(app.focus, PaneId::Logs);
    update(&mut app, code(KeyCode::BackTab));
    update(&mut app, code(KeyCode::BackTab));
    assert_eq!(app.focus, PaneId::Targets);
    update(&mut app, key('3'));
    assert_eq!(app.focus, PaneId::Graph);
    // Navigation keys do not move the PR selection when another pane is focused.
    update(&mut app, key('j'));
    assert_eq!(app.prs.selected, 0);
}

#[test]
fn help_opens_and_closes_and_quit_quits() {
    let mut app = loaded(1);
    update(&mut app, key('?'));
    assert!(matches!(app.overlay, Overlay::Help(0)));
    update(&mut app, key('j'));
    assert!(
        matches!(app.overlay, Overlay::Help(1)),
        "j scrolls the help"
    );
    assert_eq!(app.prs.selected, 0, "and does not move the PR selection");
    update(&mut app, code(KeyCode::Esc));
    assert!(matches!(app.overlay, Overlay::None));
    update(&mut app, key('q'));
    assert!(app.should_quit);
}

#[test]
fn command_line_parses_chat_syntax_and_reports_errors_in_place() {
    let mut app = loaded(2);
    update(&mut app, key(':'));
    typed(&mut app, "/deplyo");
    update(&mut app, code(KeyCode::Enter));
    match &app.overlay {
        Overlay::Command(line) => assert!(line.error.as_deref().unwrap_or("").contains("/deploy")),
        other => panic!("command line closed: {other:?}"),
    }
    update(&mut app, code(KeyCode::Esc));
    assert!(matches!(app.overlay, Overlay::None));

    update(&mut app, key(':'));
    typed(&mut app, "/deploy --run-id=abc --force");
    let cmds = update(&mut app, code(KeyCode::Enter));
    assert!(cmds.is_empty(), "nothing is sent before the confirmation");
    match &app.overlay {
        Overlay::Deploy(d) => {
            assert_eq!(d.pr, 1);
            assert_eq!(d.run_id.as_deref(), Some("abc"));
        }
        other => panic!("no confirmation: {other:?}"),
    }
    // Confirming sends the deploy with the typed run ID.
    assert_eq!(
        update(&mut app, key('y')),
        vec![Command::StartAction {
            project: 0,
            pr: 1,
            cmd: ChatCommand::Deploy {
                target: DeployTarget::Production,
                run_id: Some("abc".into()),
                force: false,
                allow_run_of_pr: None,
            }
        }]
    );
    assert!(app.actions.contains_key(&(0, 1)));
}

#[test]
fn build_progress_opens_log_streams_and_done_frees_the_pr() {
    use crate::domain::PodRef;
    use crate::engine::{ActionError, ActionEvent, ActionKind};
    let mut app = loaded(1);
    update(&mut app, key('b'));
    update(
        &mut app,
        Msg::Action {
            project: 0,
            event: ActionEvent::Step {
                pr: 1,
                step: crate::engine::Step::UploadPipeline { name: "x".into() },
            },
        },
    );
    assert_eq!(app.actions[&(0, 1)].step, "uploading pipeline x to KFP");
    let pod = PodRef {
        namespace: "kfops".into(),
        name: "kfops-build-pr1-trainer-abc".into(),
        container: None,
    };
    let ev = |phase: &str| Msg::Action {
        project: 0,
        event: ActionEvent::BuildPod {
            pr: 1,
            image: "trainer".into(),
            pod: pod.clone(),
            version_id: "v1".into(),
            build_id: "v1".into(),
            phase: phase.into(),
        },
    };
    assert_eq!(
        update(&mut app, ev("Pending")),
        vec![Command::FollowLogs { pod: pod.clone() }]
    );
    assert!(update(&mut app, ev("Running")).is_empty(), "followed once");
    let cmds = update(
        &mut app,
        Msg::Action {
            project: 0,
            event: ActionEvent::Done {
                pr: 1,
                action: ActionKind::Build,
                outcome: Err(ActionError::new(
                    "build the images",
                    "image build failed: trainer",
                )),
            },
        },
    );
    assert!(app.actions.is_empty());
    assert!(
        matches!(cmds.as_slice(), [Command::LoadPrs { .. }]),
        "{cmds:?}"
    );
    let msg = app.status.message.clone().unwrap();
    assert_eq!(msg.level, crate::tui::app::Level::Error);
    assert!(msg
        .text
        .contains("failed at build the images: image build failed: trainer"));
}

#[test]
fn mouse_click_selects_a_row_and_focuses_panes_and_wheel_scrolls() {
    let mut app = loaded(5);
    update(
        &mut app,
        Msg::Resize {
            width: 160,
            height: 40,
        },
    );
    let prs = Areas::of_app(&app).prs;
    // Row of the third PR: border, header, then rows.
    let click = |column, row| {
        Msg::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    update(&mut app, click(prs.x + 5, prs.y + 2 + 2));
    assert_eq!(app.prs.selected, 2);
    let logs = Areas::of_app(&app).logs;
    update(&mut app, click(logs.x + 2, logs.y + 2));
    assert_eq!(app.focus, PaneId::Logs);
    let wheel = Msg::Mouse(MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: prs.x + 5,
        row: prs.y + 3,
        modifiers: KeyModifiers::NONE,
    });
    update(&mut app, wheel);
    assert_eq!(app.prs.selected, 3);
}

#[test]
fn z_zooms_the_focused_pane_and_follows_focus() {
    let mut app = loaded(3);
    update(
        &mut app,
        Msg::Resize {
            width: 160,
            height: 40,
        },
    );
    update(&mut app, key('z'));
    assert_eq!(app.zoom, Some(PaneId::Prs));
    let areas = Areas::of_app(&app);
    assert_eq!(areas.prs.height, 39, "the whole body");
    assert_eq!(areas.logs.width, 0);
    update(&mut app, key('2'));
    assert_eq!(app.zoom, Some(PaneId::Logs));
    update(&mut app, key('z'));
    assert_eq!(app.zoom, None);
    assert_eq!(Areas::of_app(&app), Areas::of(app.size));
}

#[test]
fn the_audit_key_opens_the_overlay_and_reads_the_file_by_an_effect() {
    use crate::audit::file::Recent;
    use crate::audit::{AuditEntry, Source};
    let mut app = loaded(1);
    assert_eq!(update(&mut app, key('A')), vec![Command::LoadAudit]);
    let entries: Vec<AuditEntry> = [3, 2, 1]
        .into_iter()
        .map(|pr| AuditEntry::started(Source::Console, "ana".into(), pr, &ChatCommand::Build))
        .collect();
    update(
        &mut app,
        Msg::AuditLoaded(Ok(Recent {
            entries,
            unreadable: 0,
        })),
    );
    let Overlay::Audit(view) = &app.overlay else {
        panic!("no overlay")
    };
    assert_eq!(view.entries.len(), 3);
    update(&mut app, key('j'));
    update(&mut app, code(KeyCode::Enter));
    let Overlay::Audit(view) = &app.overlay else {
        panic!("no overlay")
    };
    assert!(view.details && view.selected_entry().map(|e| e.pr) == Some(2));
    // Esc leaves the details, then the overlay; `b` inside it starts nothing.
    assert!(update(&mut app, key('b')).is_empty());
    update(&mut app, code(KeyCode::Esc));
    assert!(matches!(&app.overlay, Overlay::Audit(v) if !v.details));
    update(&mut app, code(KeyCode::Esc));
    assert!(matches!(app.overlay, Overlay::None));
    // An answer arriving after the overlay closed is dropped.
    update(&mut app, Msg::AuditLoaded(Err("late".into())));
    assert!(matches!(app.overlay, Overlay::None));
}

#[path = "update_actions_tests.rs"]
mod actions;

#[path = "update_projects_tests.rs"]
mod projects;

#[path = "update_dialog_keys_tests.rs"]
mod dialog_keys;
