//! Reducer tests of Kfops actions: starting them from keys and the command line with the
//! safety rules (one per PR, read-only, production asks first), quitting while they run.
//! (Following their progress: `build_progress_…` in update_tests.rs, update_progress_tests.rs.)

use super::*;
use crate::tui::test_support::said;

#[test]
fn build_key_starts_one_build_per_pr_and_other_actions_are_not_available_yet() {
    let mut app = loaded(2);
    let cmds = update(&mut app, key('b'));
    assert_eq!(
        cmds,
        vec![Command::StartAction {
            project: 0,
            pr: 1,
            cmd: ChatCommand::Build
        }]
    );
    assert!(app.actions.contains_key(&(0, 1)));
    // A second `b` while the build runs says so and sends nothing.
    assert!(update(&mut app, key('b')).is_empty());
    let text = said(&app);
    assert!(text.contains("/build is already running on #1"), "{text}");
    // The same through the command line.
    update(&mut app, key(':'));
    typed(&mut app, "/build");
    assert!(update(&mut app, code(KeyCode::Enter)).is_empty());
    // Another PR is free.
    update(&mut app, key('j'));
    assert_eq!(update(&mut app, key('b')).len(), 1);
    // While #1 builds, no other action starts on it.
    update(&mut app, key('k'));
    for c in ['r', 'B', 'd', 's'] {
        assert!(update(&mut app, key(c)).is_empty());
    }
    app.actions.clear();
    // /run and /build_run start, and staging deploys at once.
    let staging = ChatCommand::Deploy {
        target: DeployTarget::Staging,
        run_id: None,
        force: false,
        allow_run_of_pr: None,
    };
    for (c, cmd) in [
        ('r', ChatCommand::Run),
        ('B', ChatCommand::BuildRun),
        ('s', staging),
    ] {
        assert_eq!(
            update(&mut app, key(c)),
            vec![Command::StartAction {
                project: 0,
                pr: 1,
                cmd
            }],
            "key {c}"
        );
        app.actions.clear();
    }
    // Production asks first and sends nothing before the answer.
    assert!(update(&mut app, key('d')).is_empty());
    assert!(matches!(app.overlay, Overlay::Deploy(_)));
    assert!(update(&mut app, code(KeyCode::Esc)).is_empty());
    assert!(matches!(app.overlay, Overlay::None));
    assert!(app.actions.is_empty());
}

#[test]
fn read_only_sends_no_action() {
    let mut app = loaded(1);
    app.read_only = true;
    for c in ['b', 'r', 'B', 'd', 's'] {
        assert!(update(&mut app, key(c)).is_empty());
        assert!(said(&app).starts_with("read-only: /"), "{}", said(&app));
    }
    assert!(app.actions.is_empty());
    // Without a token: read-only, and every refusal says how to give one.
    let mut app = loaded(1);
    crate::tui::update_actions::no_token(&mut app, "export GITHUB_TOKEN=…");
    assert!(app.read_only);
    for c in ['b', 'r', 'B', 'd', 's'] {
        assert!(update(&mut app, key(c)).is_empty());
        let text = said(&app);
        assert!(text.starts_with("read-only (no GitHub token): /"), "{text}");
        assert!(text.contains("export GITHUB_TOKEN=…"), "{text}");
    }
    assert!(app.actions.is_empty());
}

#[test]
fn a_fresh_production_confirmation_answers_enter_with_no() {
    let mut app = loaded(1);
    assert!(update(&mut app, key('d')).is_empty());
    assert!(matches!(app.overlay, Overlay::Deploy(_)));
    assert!(update(&mut app, code(KeyCode::Enter)).is_empty());
    assert!(matches!(app.overlay, Overlay::None));
    assert!(app.actions.is_empty());
    assert!(
        said(&app).contains("cancelled; nothing was sent"),
        "{}",
        said(&app)
    );
}

#[test]
fn quitting_while_an_action_runs_asks_first_and_only_y_quits() {
    let mut app = loaded(2);
    update(&mut app, key('b'));
    for quit in [
        key('q'),
        Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
    ] {
        assert!(update(&mut app, quit).is_empty());
        assert!(matches!(app.overlay, Overlay::Quit));
        assert!(!app.should_quit);
        // Enter (the default, No), Esc, q or any other key keep the console running.
        update(&mut app, code(KeyCode::Enter));
        assert!(matches!(app.overlay, Overlay::None) && !app.should_quit);
        assert!(app.actions.contains_key(&(0, 1)), "the build keeps running");
    }
    for other in [code(KeyCode::Esc), key('q'), key('n')] {
        update(&mut app, key('q'));
        update(&mut app, other);
        assert!(!app.should_quit);
    }
    // `:q` asks too.
    update(&mut app, key(':'));
    update(&mut app, key('q'));
    update(&mut app, code(KeyCode::Enter));
    assert!(matches!(app.overlay, Overlay::Quit));
    update(&mut app, key('y'));
    assert!(app.should_quit);
    // With nothing running, q quits at once.
    let mut idle = loaded(1);
    update(&mut idle, key('q'));
    assert!(idle.should_quit && matches!(idle.overlay, Overlay::None));
}
