//! The console's safety rules against the simulator: in read-only mode (flag or config) every
//! key of the action table, with every dialog it could open answered "yes", sends no mutating
//! request, and neither do the headless commands; quitting while an action runs asks first.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kfops_console::keys::{Action, Key, ACTIONS};
use kfops_console::tui::app::Overlay;
use kfops_console::tui::dialogs::deploy_confirm::FORCE_WORD;
use kfops_console::tui::runner::Driver;
use kfops_console::tui::Msg;
use kfops_sim::Simulator;

use crate::build_flow::fast_scenario;
use crate::support::console::{code, driver_with, key, screen, select_pr, test_config, typed};

/// Requests that could change something, on any simulated service.
pub fn mutating(sim: &Simulator) -> Vec<String> {
    sim.requests()
        .iter()
        .filter(|r| r.method != http::Method::GET && r.method != http::Method::HEAD)
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

fn press_key(driver: &mut Driver, k: Key) {
    let mut modifiers = KeyModifiers::NONE;
    if k.ctrl {
        modifiers |= KeyModifiers::CONTROL;
    }
    if k.alt {
        modifiers |= KeyModifiers::ALT;
    }
    driver.handle(Msg::Key(KeyEvent::new(k.code.into(), modifiers)));
}

/// Presses every key bound to `action`, answering whatever it opens.
fn press(driver: &mut Driver, action: Action) {
    let keys = driver.app.keymap.keys_for(action).to_vec();
    for k in keys {
        press_key(driver, k);
        answer_yes(driver);
    }
}

/// Presses the first key bound to `action` (the dialog keys are named actions too, so the
/// answers follow the key map).
fn press_first(driver: &mut Driver, action: Action) {
    if let Some(k) = driver.app.keymap.keys_for(action).first().copied() {
        press_key(driver, k);
    }
}

/// Whatever dialog is open gets the answer that would go ahead: `force` typed where asked,
/// then `confirm`; elsewhere "Yes" chosen and `confirm`, then `yes`. Prompts (search, save
/// path) and overlays are cancelled: they send nothing.
fn answer_yes(driver: &mut Driver) {
    match &driver.app.overlay {
        Overlay::Deploy(d) if d.needs_force() => {
            typed(driver, FORCE_WORD);
            press_first(driver, Action::Confirm);
        }
        Overlay::Deploy(_) => {
            press_first(driver, Action::Right);
            press_first(driver, Action::Confirm);
            if matches!(driver.app.overlay, Overlay::Deploy(_)) {
                press_first(driver, Action::Yes);
            }
        }
        Overlay::Quit => press_first(driver, Action::Yes),
        Overlay::Prompt(_) | Overlay::Help(_) | Overlay::Audit(_) | Overlay::Command(_) => {
            press_first(driver, Action::Cancel);
        }
        Overlay::None => {}
    }
    // Pickers: confirm picks (a run picker's pick only opens the graph).
    if driver.app.graph.picker.is_some() || driver.app.logs.picker.is_some() {
        press_first(driver, Action::Confirm);
    }
    driver.app.should_quit = false;
}

/// Closes whatever is open and selects PR #41 in the PR pane.
fn reset(driver: &mut Driver) {
    driver.app.overlay = Overlay::None;
    driver.app.graph.picker = None;
    driver.app.logs.picker = None;
    select_pr(driver, 41);
}

/// Handles answers for a while (loads, pickers filling).
async fn settle(driver: &mut Driver, ms: u64) {
    let _ = driver.run_until(Duration::from_millis(ms), |_| false).await;
}

/// Every action key in every pane, alone and inside the run and build pickers; every action
/// key inside each overlay and prompt (the dialog keys `confirm`, `cancel`, `yes`, `no` act
/// there); then every chat command on the command line.
pub async fn press_everything(driver: &mut Driver) {
    let focus = [
        Action::FocusPrs,
        Action::FocusLogs,
        Action::FocusGraph,
        Action::FocusTargets,
    ];
    let openers = [None, Some(Action::GraphRuns), Some(Action::LogsBuilds)];
    for pane in focus {
        for opener in openers {
            for (action, ..) in ACTIONS {
                reset(driver);
                press(driver, pane);
                if let Some(o) = opener {
                    // Opened, not answered: the action's keys are pressed inside it.
                    press_first(driver, o);
                    settle(driver, 20).await;
                }
                press(driver, *action);
                driver.drain();
            }
            settle(driver, 100).await;
        }
    }
    // The save prompt is left out: its `confirm` writes a file (nothing is sent either way).
    let overlays = [
        Action::Help,
        Action::Audit,
        Action::CommandLine,
        Action::LogsSearch,
    ];
    for opener in overlays {
        for (action, ..) in ACTIONS {
            reset(driver);
            press_first(driver, opener);
            assert!(
                !matches!(driver.app.overlay, Overlay::None),
                "{opener:?} opened nothing"
            );
            press(driver, *action);
            driver.drain();
        }
        settle(driver, 100).await;
    }
    for chat in [
        "/build",
        "/run",
        "/build_run",
        "/deploy",
        "/deploy --force",
        "/staging_deploy",
        "/deploy --run-id=1944c4b2-0000-0000-0000-000000000000 --force",
    ] {
        driver.app.overlay = Overlay::None;
        press(driver, Action::CommandLine);
        driver.handle(key(':'));
        typed(driver, chat);
        press_first(driver, Action::Confirm);
        answer_yes(driver);
    }
    settle(driver, 300).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_console_sends_no_mutating_request_whatever_is_pressed() {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), fast_scenario())
        .await
        .unwrap();
    // `--read-only`, then `read_only = true` in the config, with the dialog keys moved
    // (the answers follow the key map).
    for (flag, in_config) in [(true, false), (false, true)] {
        let mut cfg = test_config(&sim);
        cfg.read_only = in_config;
        if in_config {
            for (action, k) in [
                ("confirm", "ctrl-o"),
                ("cancel", "ctrl-g"),
                ("yes", "o"),
                ("no", "x"),
            ] {
                cfg.ui.keys.insert(action.into(), vec![k.into()]);
            }
        }
        let mut driver = driver_with(&cfg, flag, 160, 45).await;
        assert!(driver.app.read_only);
        assert!(screen(&driver, 160, 45).contains("READ-ONLY"));
        press_everything(&mut driver).await;
        assert!(driver.app.actions.is_empty());
        assert_eq!(mutating(&sim), Vec::<String>::new(), "flag {flag}");
        // It did talk to the simulator, and says why nothing was sent.
        assert!(sim.requests().len() > 10);
        select_pr(&mut driver, 41);
        driver.handle(key('b'));
        let said = driver.app.status.message.clone().unwrap().text;
        assert!(
            said.starts_with("read-only: /build on #41 not sent"),
            "{said}"
        );
        assert!(
            !cfg.audit.path.as_ref().unwrap().exists(),
            "nothing started, nothing audited"
        );
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_headless_commands_send_nothing() {
    use crate::headless::{config_for, kfops};
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), fast_scenario())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(&sim, dir.path());
    let text = std::fs::read_to_string(&config).unwrap();
    let read_only_config = dir.path().join("read-only.toml");
    std::fs::write(&read_only_config, format!("read_only = true\n{text}")).unwrap();
    let commands: [&[&str]; 6] = [
        &["build", "--pr", "41"],
        &["run", "--pr", "41", "--wait"],
        &["build-run", "--pr", "41"],
        &["deploy", "--pr", "41", "--staging"],
        &["deploy", "--pr", "41", "--yes", "--force"],
        &["deploy", "--pr", "42", "--run-id", "r", "--yes", "--force"],
    ];
    for args in commands {
        for (flag, file) in [(true, &config), (false, &read_only_config)] {
            let mut argv = Vec::new();
            if flag {
                argv.push("--read-only");
            }
            argv.extend_from_slice(args);
            let before = sim.requests().len();
            let out = kfops(&argv, file).await;
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{argv:?}: {stderr}");
            assert!(stderr.contains("read-only"), "{stderr}");
            assert_eq!(sim.requests().len(), before, "{argv:?}: no request at all");
        }
    }
    assert_eq!(mutating(&sim), Vec::<String>::new());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quitting_while_a_build_runs_asks_first_and_names_it() {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), fast_scenario())
        .await
        .unwrap();
    let mut driver = driver_with(&test_config(&sim), false, 120, 30).await;
    select_pr(&mut driver, 42);
    driver.handle(key('b'));
    assert!(driver.app.actions.contains_key(&(0, 42)));
    // A second `b` on the same PR is refused before anything is sent.
    driver.handle(key('b'));
    assert!(driver
        .app
        .status
        .message
        .as_ref()
        .unwrap()
        .text
        .contains("already running"));

    driver.handle(key('q'));
    assert!(matches!(driver.app.overlay, Overlay::Quit));
    let text = screen(&driver, 120, 30);
    assert!(text.contains("Quit while actions run?"), "{text}");
    assert!(text.contains("/build on #42"), "{text}");
    assert!(text.contains("[ No ]"), "{text}");
    // The default (Enter) and any other key keep it running.
    driver.handle(code(KeyCode::Enter));
    assert!(!driver.app.should_quit && matches!(driver.app.overlay, Overlay::None));
    driver.handle(Msg::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )));
    assert!(matches!(driver.app.overlay, Overlay::Quit));
    driver.handle(key('n'));
    assert!(!driver.app.should_quit);
    assert!(driver.app.actions.contains_key(&(0, 42)), "still running");
    driver.handle(key('q'));
    driver.handle(key('y'));
    assert!(driver.app.should_quit);
    sim.shutdown().await;
}
