//! A scripted key flow in the console (no terminal: the runner's `Driver` with the real
//! backends against the simulator): select a PR, press `b`, the build pods' logs stream into
//! the logs pane, the PR gets its new version ID; a second `b` meanwhile sends nothing.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kfops_console::chatops::{read_var, VAR_VERSION_ID};
use kfops_console::launch;
use kfops_console::logs::StreamStatus;
use kfops_console::tui::runner::Driver;
use kfops_console::tui::{view, Msg};
use kfops_sim::Simulator;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use crate::build_flow::fast_scenario;

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn screen(driver: &Driver, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view::draw(f, &driver.app)).unwrap();
    terminal.backend().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pressing_b_builds_the_selected_pr_and_streams_its_pod_logs() {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), fast_scenario())
        .await
        .unwrap();
    let cfg = crate::support::console::test_config(&sim);
    let mut console = launch::console(&cfg, false, "demo").unwrap();
    launch::connect_cluster(&cfg, &mut console).await;
    let mut driver = Driver::new(console.app, console.services);
    driver.app.size = ratatui::layout::Rect::new(0, 0, 160, 45);
    driver.start();
    assert!(
        driver
            .run_until(Duration::from_secs(30), |app| !app.prs.items.is_empty())
            .await
    );

    // Select #42 with the keys.
    let target = driver
        .app
        .prs
        .items
        .iter()
        .position(|p| p.number == 42)
        .unwrap();
    for _ in 0..target {
        driver.handle(key('j'));
    }
    assert_eq!(driver.app.prs.selected_pr().map(|p| p.number), Some(42));
    let requests_before = sim.requests().len();

    driver.handle(key('b'));
    assert!(driver.app.actions.contains_key(&(0, 42)));
    let started = screen(&driver, 160, 45);
    assert!(
        started.contains("/build 0s · starting"),
        "the PR row shows the running action:\n{started}"
    );
    // A second `b` while it runs: refused, nothing sent.
    driver.handle(key('b'));
    assert!(driver
        .app
        .status
        .message
        .as_ref()
        .unwrap()
        .text
        .contains("already running"));

    // Logs appear while it runs.
    assert!(
        driver
            .run_until(Duration::from_secs(60), |app| {
                app.logs.streams.len() == 2
                    && app
                        .logs
                        .streams
                        .iter()
                        .any(|s| app.logs.store.len(s.id) > 0)
            })
            .await,
        "log streams did not open"
    );
    let running = screen(&driver, 160, 45);
    assert!(running.contains("Build logs · build"), "{running}");
    let mut titles: Vec<&str> = driver
        .app
        .logs
        .streams
        .iter()
        .map(|s| s.title.as_str())
        .collect();
    titles.sort_unstable();
    assert_eq!(titles, ["server", "trainer"]);

    // The build ends; both streams finish; the PR list reloads with the new version.
    assert!(
        driver
            .run_until(Duration::from_secs(60), |app| {
                app.actions.is_empty()
                    && app
                        .logs
                        .streams
                        .iter()
                        .all(|s| s.status == StreamStatus::Finished)
                    && !app.prs.refreshing
            })
            .await,
        "build did not finish: {:?}",
        driver.app.status
    );
    let msg = driver.app.status.message.clone().unwrap();
    assert!(msg.text.starts_with("✓ /build on #42"), "{}", msg.text);
    let comments = sim.github().comments(42);
    let version = read_var(comments.iter().map(|c| c.body.as_str()), VAR_VERSION_ID).unwrap();
    let pr = driver
        .app
        .prs
        .items
        .iter()
        .find(|p| p.number == 42)
        .unwrap();
    assert_eq!(pr.last_version_id.as_deref(), Some(version.as_str()));
    for stream in &driver.app.logs.streams {
        assert_eq!(stream.group, version, "streams belong to the new build");
        assert_eq!(stream.phase.as_deref(), Some("Succeeded"));
    }
    let done = screen(&driver, 160, 45);
    assert!(
        done.contains("Pushed"),
        "the end of the Kaniko output is on screen:\n{done}"
    );
    assert!(done.contains("Succeeded"), "{done}");
    // Exactly one build happened (one comment more, pods of one build).
    let posts = sim.requests()[requests_before..]
        .iter()
        .filter(|r| r.method == http::Method::POST && r.path.ends_with("/issues/42/comments"))
        .count();
    assert_eq!(posts, 1);
    sim.shutdown().await;
}
