//! Driving the console without a terminal: the runner's `Driver` on the demo simulator, keys
//! as messages, the screen as text.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kfops_console::config::Config;
use kfops_console::effects::interpret::carry_out;
use kfops_console::effects::{Command, Services};
use kfops_console::launch;
use kfops_console::tui::app::App;
use kfops_console::tui::runner::Driver;
use kfops_console::tui::{view, Msg};
use kfops_sim::Simulator;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use crate::build_flow::POLL;

/// A key press of a character.
pub fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

/// A key press of a non-character key.
pub fn code(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

/// Types a text key by key.
pub fn typed(driver: &mut Driver, text: &str) {
    for c in text.chars() {
        driver.handle(key(c));
    }
}

/// Carries out `command` as the console's tasks do (the one interpreter,
/// `effects::interpret::carry_out`), to its end, and returns its answers as messages, in order.
pub async fn answers(command: Command, services: &Services) -> Vec<Msg> {
    let answers = std::sync::Mutex::new(Vec::new());
    carry_out(command, services, &|answer: Msg| {
        answers.lock().expect("answers").push(answer);
    })
    .await;
    answers.into_inner().expect("answers")
}

/// The whole console drawn at `width`×`height`.
pub fn screen(driver: &Driver, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal.draw(|f| view::draw(f, &driver.app)).expect("draw");
    terminal.backend().to_string()
}

/// A fresh audit file path of this test process under the temp directory (never the user's
/// state directory).
pub fn temp_audit_path() -> std::path::PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::env::temp_dir()
        .join(format!("kfops-e2e-{}", std::process::id()))
        .join(format!("audit-{n}.jsonl"))
}

/// The demo config on the simulator, auditing to a temp file: its first project only (the
/// demo's second repository is for the multi-project tests, `multi_project.rs`).
pub fn test_config(sim: &Simulator) -> Config {
    let mut cfg = launch::demo_config(sim).expect("demo config");
    cfg.projects.clear();
    cfg.audit.path = Some(temp_audit_path());
    cfg
}

/// The console on the simulator (demo config, real backends, fast run polling), with its PRs
/// loaded, on a `width`×`height` screen.
pub async fn driver_on(sim: &Simulator, width: u16, height: u16) -> Driver {
    driver_with(&test_config(sim), false, width, height).await
}

/// [`driver_on`] with a config of the test's own and `--read-only` or not.
pub async fn driver_with(cfg: &Config, read_only: bool, width: u16, height: u16) -> Driver {
    let cfg = cfg.clone();
    let mut console = launch::console(&cfg, read_only, "demo").expect("console");
    launch::connect_cluster(&cfg, &mut console).await;
    for engine in console.services.engines_mut() {
        engine.run_poll = POLL;
    }
    let mut driver = Driver::new(console.app, console.services);
    driver.app.size = ratatui::layout::Rect::new(0, 0, width, height);
    driver.start();
    assert!(
        driver
            .run_until(Duration::from_secs(30), |app| !app.prs.items.is_empty())
            .await,
        "the PRs did not load"
    );
    driver
}

/// Focuses the graph pane and selects the task named `name` of the run shown.
pub fn select_task(driver: &mut Driver, name: &str) {
    driver.handle(key('3'));
    let graph = driver.app.graph.graph.as_ref().expect("a run's graph");
    let task = graph.find(name).expect("the task is in the graph");
    driver.app.graph.view.selected = Some(task);
}

/// Focuses the PR pane and selects PR `number` with the keys.
pub fn select_pr(driver: &mut Driver, number: u64) {
    driver.handle(key('1'));
    driver.handle(key('g'));
    let target = driver
        .app
        .prs
        .items
        .iter()
        .position(|p| p.number == number)
        .expect("the PR is listed");
    for _ in 0..target {
        driver.handle(key('j'));
    }
    assert_eq!(driver.app.prs.selected_pr().map(|p| p.number), Some(number));
}

/// Opens the run picker of the selected PR (`p`) and waits until it has loaded its runs.
pub async fn open_run_picker(driver: &mut Driver) {
    driver.handle(key('p'));
    let loaded = |app: &App| app.graph.picker.as_ref().is_some_and(|p| !p.loading);
    let in_time = driver.run_until(Duration::from_secs(30), loaded).await;
    assert!(in_time, "the run picker did not load");
}

/// Moves the open run picker to its second (older) run and returns that run's id.
pub fn pick_older_run(driver: &mut Driver) -> String {
    driver.handle(key('j'));
    let picker = driver.app.graph.picker.as_ref().expect("the run picker");
    picker.runs[1].run_id.clone()
}

/// Waits (up to 60 s) until no action runs any more and returns the status line left.
pub async fn finish_actions(driver: &mut Driver) -> String {
    assert!(
        driver
            .run_until(Duration::from_secs(60), |app| app.actions.is_empty())
            .await,
        "the actions did not end"
    );
    driver
        .app
        .status
        .message
        .clone()
        .expect("a status message")
        .text
}
