//! The PR pane end to end: simulator on 127.0.0.1:0, the real octocrab client, the console's
//! state built from its answers, drawn with ratatui's TestBackend.

use chrono::{TimeZone, Utc};
use kfops_console::chatops::{read_var, VAR_RUN_ID, VAR_VERSION_ID};
use kfops_console::domain::{PullRequest, LABEL_STAGING};
use kfops_console::launch;
use kfops_console::tui::update::{init, update};
use kfops_console::tui::{view, App};
use kfops_sim::{Scenario, Simulator};
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use ratatui::Terminal;

use crate::support::console::answers;

/// Starts the demo simulator and loads the console's PR list from it through octocrab.
async fn console_on_demo() -> (Simulator, App) {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), Scenario::demo())
        .await
        .unwrap();
    // One repository's pane (the combined view of the demo's two: multi_project.rs).
    let mut cfg = launch::demo_config(&sim).unwrap();
    cfg.projects.clear();
    let mut console = launch::console(&cfg, false, "demo").unwrap();
    let app = &mut console.app;
    app.size = ratatui::layout::Rect::new(0, 0, 180, 40);
    for cmd in init(app) {
        for msg in answers(cmd, &console.services).await {
            update(app, msg);
        }
    }
    (sim, console.app)
}

fn find(app: &App, number: u64) -> &PullRequest {
    app.prs
        .items
        .iter()
        .find(|p| p.number == number)
        .unwrap_or_else(|| panic!("PR #{number} missing from {:?}", app.prs.items))
}

#[tokio::test]
async fn pr_pane_shows_the_demo_prs_with_their_kfops_state() {
    let (sim, app) = console_on_demo().await;
    assert!(app.status.failing.is_none(), "{:?}", app.status.failing);
    let scenario = Scenario::demo();
    let open: Vec<_> = scenario
        .github
        .pulls
        .iter()
        .filter(|p| p.state.as_str() == "open")
        .collect();
    let mut numbers: Vec<u64> = app.prs.items.iter().map(|p| p.number).collect();
    numbers.sort_unstable();
    let mut expected: Vec<u64> = open.iter().map(|p| p.number).collect();
    expected.sort_unstable();
    assert_eq!(numbers, expected, "exactly the open PRs");
    assert!(!numbers.contains(&40), "the closed PR is not listed");

    // The four kinds the demo must show.
    let up_to_date = find(&app, 41);
    assert_eq!(up_to_date.behind_by, Some(0));
    assert_eq!(up_to_date.mergeable, Some(true));
    assert_eq!(up_to_date.mergeable_state.as_deref(), Some("clean"));
    let behind = find(&app, 42);
    assert_eq!(behind.behind_by, Some(3));
    assert_eq!(behind.mergeable_state.as_deref(), Some("behind"));
    let conflicting = find(&app, 43);
    assert_eq!(conflicting.mergeable, Some(false));
    assert_eq!(conflicting.mergeable_state.as_deref(), Some("dirty"));
    let staging = find(&app, 44);
    assert!(staging.labels.iter().any(|l| l == LABEL_STAGING));

    // Version and run IDs: the last hidden variable of each PR's comments wins.
    for pr in &open {
        let bodies: Vec<&str> = pr.comments.iter().map(|c| c.body.as_str()).collect();
        let got = find(&app, pr.number);
        assert_eq!(
            got.last_version_id,
            read_var(bodies.iter().copied(), VAR_VERSION_ID),
            "#{}",
            pr.number
        );
        assert_eq!(
            got.last_run_id,
            read_var(bodies.iter().copied(), VAR_RUN_ID),
            "#{}",
            pr.number
        );
        assert_eq!(got.title, pr.title);
        assert_eq!(got.author, pr.author);
        assert_eq!(got.behind_by, Some(pr.behind_by));
        assert_eq!(got.ahead_by, Some(pr.ahead_by));
    }
    assert!(find(&app, 41).last_run_id.is_some());
    assert!(find(&app, 42).last_version_id.is_some());
    assert!(find(&app, 42).last_run_id.is_none());
    sim.shutdown().await;
}

#[tokio::test]
async fn pr_pane_snapshot_from_the_simulator() {
    let (sim, mut app) = console_on_demo().await;
    // A fixed clock so the "Updated" ages are stable.
    app.now = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
    let mut terminal = Terminal::new(TestBackend::new(180, 40)).unwrap();
    terminal.draw(|f| view::draw(f, &app)).unwrap();
    insta::assert_snapshot!("demo_console_180x40", terminal.backend());

    // Colours are not in the snapshot: the deployment label is highlighted.
    let buffer = terminal.backend().buffer().clone();
    let staging_cell = (0..buffer.area.height)
        .flat_map(|y| (0..buffer.area.width).map(move |x| (x, y)))
        .find(|&(x, y)| {
            buffer[(x, y)].symbol() == "D"
                && (x..x + 19)
                    .map(|x| buffer[(x, y)].symbol().to_string())
                    .collect::<String>()
                    == LABEL_STAGING
        })
        .expect("the staging label is drawn");
    let bg = buffer[staging_cell].bg;
    assert_ne!(bg, Color::Reset, "Deployed-to-staging is highlighted");
    sim.shutdown().await;
}

#[tokio::test]
async fn pr_pane_on_a_narrow_terminal_keeps_the_essential_columns() {
    let (sim, mut app) = console_on_demo().await;
    app.now = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| view::draw(f, &app)).unwrap();
    insta::assert_snapshot!("demo_console_80x24", terminal.backend());
    sim.shutdown().await;
}

#[tokio::test]
async fn unreachable_github_shows_in_the_status_bar() {
    // A port nothing listens on: bind, learn the port, drop the listener.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), Scenario::demo())
        .await
        .unwrap();
    let mut cfg = launch::demo_config(&sim).unwrap();
    cfg.projects.clear();
    cfg.github.api_url = format!("http://127.0.0.1:{port}/github");
    let mut console = launch::console(&cfg, false, "demo").unwrap();
    for cmd in init(&mut console.app) {
        for msg in answers(cmd, &console.services).await {
            update(&mut console.app, msg);
        }
    }
    let failing = console
        .app
        .status
        .failing
        .clone()
        .expect("a failure is shown");
    assert!(
        failing.text.starts_with("GitHub: list pull requests"),
        "{}",
        failing.text
    );
    assert!(
        failing.text.contains("api_url"),
        "has a hint: {}",
        failing.text
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn help_overlay_snapshot() {
    let (sim, mut app) = console_on_demo().await;
    app.now = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
    app.overlay = kfops_console::tui::app::Overlay::Help(0);
    let mut terminal = Terminal::new(TestBackend::new(120, 50)).unwrap();
    terminal.draw(|f| view::draw(f, &app)).unwrap();
    insta::assert_snapshot!("help_overlay_120x50", terminal.backend());
    sim.shutdown().await;
}
