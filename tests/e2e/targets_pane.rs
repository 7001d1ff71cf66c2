//! The deployment targets pane: drawn from fixed states (snapshots at a pane's usual width
//! and zoomed, colours checked), and live against the simulator's KServe: the demo's staging
//! and production InferenceServices appear after start, and a change made through the
//! Kubernetes API (or the simulator's handle) shows without a key press.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use kfops_console::backends::cluster::Cluster;
use kfops_console::backends::kserve::{self, RevisionModel, ServiceState};
use kfops_console::chatops::DeployTarget;
use kfops_console::domain::{PullRequest, LABEL_STAGING};
use kfops_console::effects::targets::TargetChange;
use kfops_console::launch;
use kfops_console::tui::layout::Areas;
use kfops_console::tui::panes::targets::{self, StreamState, TargetsPane};
use kfops_console::tui::runner::Driver;
use kfops_console::tui::theme::Theme;
use kfops_console::tui::view;
use kfops_sim::Simulator;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::Terminal;

use crate::build_flow::fast_scenario;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
}

fn ago(minutes: i64) -> DateTime<Utc> {
    now() - chrono::Duration::minutes(minutes)
}

fn service(ns: &str, run: &str, pr: u64) -> ServiceState {
    ServiceState {
        namespace: ns.into(),
        name: "churn-model".into(),
        ready: Some(true),
        url: Some(format!("http://churn-model.{ns}.example.com")),
        traffic: vec![(
            "churn-model-predictor-00003".into(),
            100,
            Some("latest".into()),
        )],
        latest_created: Some("churn-model-predictor-00003".into()),
        latest_ready: Some("churn-model-predictor-00003".into()),
        run_id: Some(run.into()),
        pr: Some(pr),
        generation: Some(3),
        observed_generation: Some(3),
        ..ServiceState::default()
    }
}

/// Staging in a 10 % canary of revision 00006 (PR #44, open, labelled); production Ready
/// (PR #40, merged, known from the service's annotation).
fn canary_split() -> ServiceState {
    ServiceState {
        traffic: vec![
            (
                "churn-model-predictor-00006".into(),
                10,
                Some("latest".into()),
            ),
            (
                "churn-model-predictor-00005".into(),
                90,
                Some("prev".into()),
            ),
        ],
        latest_created: Some("churn-model-predictor-00006".into()),
        latest_ready: Some("churn-model-predictor-00006".into()),
        canary_percent: Some(10),
        revisions: models(&[
            ("00006", "f1669f97-4534-47b5-82ec-4ca5d6b35337", 44),
            ("00005", "28caaa6e-ad23-44d2-9546-de190ef52d35", 41),
        ]),
        ..service("staging", "f1669f97-4534-47b5-82ec-4ca5d6b35337", 44)
    }
}

/// The models of revisions `churn-model-predictor-{n}` (`(n, run, pr)`), as their Knative
/// Revisions say.
fn models(revisions: &[(&str, &str, u64)]) -> BTreeMap<String, RevisionModel> {
    revisions
        .iter()
        .map(|(n, run, pr)| {
            (
                format!("churn-model-predictor-{n}"),
                RevisionModel {
                    run_id: Some(run.to_string()),
                    pr: Some(*pr),
                    storage_uri: Some(format!("s3://trained-models/{run}/")),
                },
            )
        })
        .collect()
}

/// Staging after a failed sample test: the canary 00006 (#41's run, the spec's newest
/// annotations) has 0%, the old revision 00005 (#44's run) keeps 100%.
fn failed_canary() -> ServiceState {
    ServiceState {
        traffic: vec![
            (
                "churn-model-predictor-00006".into(),
                0,
                Some("latest".into()),
            ),
            (
                "churn-model-predictor-00005".into(),
                100,
                Some("prev".into()),
            ),
        ],
        latest_created: Some("churn-model-predictor-00006".into()),
        latest_ready: Some("churn-model-predictor-00006".into()),
        canary_percent: Some(0),
        revisions: models(&[
            ("00006", "28caaa6e-ad23-44d2-9546-de190ef52d35", 41),
            ("00005", "f1669f97-4534-47b5-82ec-4ca5d6b35337", 44),
        ]),
        ..service("staging", "28caaa6e-ad23-44d2-9546-de190ef52d35", 41)
    }
}

#[test]
fn after_a_failed_canary_the_pane_names_the_run_that_keeps_the_traffic() {
    let production = service("production", "1944c4b2-af10-4f57-bad0-7233f4788c0d", 40);
    let pane = listed(Some(failed_canary()), Some(production));
    let terminal = draw(&pane, 60, 20, true);
    insta::assert_snapshot!("targets_failed_canary_60x20", terminal.backend());
    assert_eq!(
        pane.serving_now(DeployTarget::Staging),
        "run f1669f97 from #44 (ready); run 28caaa6e from #41 has no traffic (canary, not promoted)"
    );
}

fn pr(number: u64, labels: &[&str]) -> PullRequest {
    PullRequest {
        project: 0,
        number,
        title: format!("PR {number}"),
        author: "ana".into(),
        head_ref: "feature".into(),
        head_sha: "a".repeat(40),
        base_ref: "main".into(),
        behind_by: Some(0),
        ahead_by: Some(1),
        mergeable: Some(true),
        mergeable_state: None,
        labels: labels.iter().map(|l| l.to_string()).collect(),
        updated_at: now(),
        last_version_id: None,
        last_run_id: None,
    }
}

fn open_prs() -> Vec<PullRequest> {
    vec![pr(41, &[]), pr(44, &[LABEL_STAGING])]
}

/// A pane whose targets were listed with these states.
fn listed(staging: Option<ServiceState>, production: Option<ServiceState>) -> TargetsPane {
    let mut pane = TargetsPane::new("churn-model", "staging", "production");
    for (target, state) in [
        (DeployTarget::Staging, staging),
        (DeployTarget::Production, production),
    ] {
        pane.apply(target, TargetChange::Init, ago(30));
        if let Some(s) = state {
            pane.apply(target, TargetChange::InitApply(Box::new(s)), ago(30));
        }
        pane.apply(target, TargetChange::InitDone, ago(30));
    }
    pane
}

fn draw(pane: &TargetsPane, width: u16, height: u16, focused: bool) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    let prs = open_prs();
    terminal
        .draw(|f| {
            targets::render(
                f,
                f.area(),
                pane,
                Some(&prs),
                now(),
                focused,
                &Theme::dark(),
            )
        })
        .unwrap();
    terminal
}

/// The cell where `symbol` is first drawn.
fn cell_of<'a>(buffer: &'a Buffer, symbol: &str) -> &'a ratatui::buffer::Cell {
    let area = buffer.area;
    (area.y..area.y + area.height)
        .flat_map(|y| (area.x..area.x + area.width).map(move |x| (x, y)))
        .map(|(x, y)| &buffer[(x, y)])
        .find(|c| c.symbol() == symbol)
        .unwrap_or_else(|| panic!("`{symbol}` is not drawn"))
}

#[test]
fn both_ready_with_a_canary_split() {
    let production = service("production", "1944c4b2-af10-4f57-bad0-7233f4788c0d", 40);
    let pane = listed(Some(canary_split()), Some(production));
    let terminal = draw(&pane, 60, 20, true);
    insta::assert_snapshot!("targets_ready_canary_60x20", terminal.backend());
    let ready = cell_of(terminal.backend().buffer(), "●");
    assert_eq!(ready.fg, Theme::dark().ok.fg.unwrap());

    // Zoomed: the cards side by side, nothing cut.
    let terminal = draw(&pane, 160, 20, true);
    insta::assert_snapshot!("targets_ready_canary_zoomed_160x20", terminal.backend());
}

#[test]
fn not_ready_with_its_reason_and_not_deployed() {
    let staging = ServiceState {
        ready: Some(false),
        reason: Some(
            "PredictorReady: ContainerHealthCheckFailed revision churn-model-predictor-00007 failed the health check"
                .into(),
        ),
        latest_created: Some("churn-model-predictor-00007".into()),
        generation: Some(7),
        observed_generation: Some(7),
        ..canary_split()
    };
    let mut pane = listed(Some(staging), None);
    pane.select(DeployTarget::Production);
    let terminal = draw(&pane, 60, 20, true);
    insta::assert_snapshot!("targets_not_ready_not_deployed_60x20", terminal.backend());
    let buffer = terminal.backend().buffer();
    let not_ready = cell_of(buffer, "○");
    assert_eq!(not_ready.fg, Theme::dark().error.fg.unwrap());
    assert!(terminal.backend().to_string().contains("— not deployed"));

    let terminal = draw(&pane, 160, 20, false);
    insta::assert_snapshot!(
        "targets_not_ready_not_deployed_zoomed_160x20",
        terminal.backend()
    );
}

#[test]
fn a_failing_watch_keeps_the_last_state_and_says_since_when_even_when_narrow() {
    let production = service("production", "1944c4b2-af10-4f57-bad0-7233f4788c0d", 40);
    let mut pane = listed(Some(canary_split()), Some(production));
    let error = "connection refused";
    pane.apply(
        DeployTarget::Production,
        TargetChange::Error(error.into()),
        ago(3),
    );
    pane.apply(
        DeployTarget::Production,
        TargetChange::Error(error.into()),
        ago(1),
    );
    assert!(matches!(
        pane.production.stream,
        StreamState::Failing { count: 2, .. }
    ));
    // A short, narrow pane keeps the readiness, the PR and the watch's trouble.
    let terminal = draw(&pane, 34, 14, false);
    insta::assert_snapshot!("targets_failing_watch_34x14", terminal.backend());
    let text = terminal.backend().to_string();
    assert!(text.contains("⚠ failing for 3m (2×)"), "{text}");
    assert!(text.contains("#40"), "{text}");
}

// --- live, against the simulator ------------------------------------------------------------

async fn driver_on(sim: &Simulator) -> Driver {
    let cfg = launch::demo_config(sim).unwrap();
    let mut console = launch::console(&cfg, false, "demo").unwrap();
    launch::connect_cluster(&cfg, &mut console).await;
    let mut driver = Driver::new(console.app, console.services);
    driver.app.size = Rect::new(0, 0, 200, 60);
    driver.start();
    driver
}

fn pane_text(driver: &Driver) -> String {
    let size = driver.app.size;
    let mut terminal = Terminal::new(TestBackend::new(size.width, size.height)).unwrap();
    terminal.draw(|f| view::draw(f, &driver.app)).unwrap();
    let area = Areas::of_app(&driver.app).targets;
    let buffer = terminal.backend().buffer();
    (area.y..area.y + area.height)
        .map(|y| {
            let row: String = (area.x..area.x + area.width)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect();
            row.trim_end().to_string() + "\n"
        })
        .collect()
}

fn canary(driver: &Driver, target: DeployTarget) -> Option<i64> {
    driver
        .app
        .targets
        .state(target)
        .and_then(|s| s.canary_percent)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_targets_show_after_start_and_changes_appear_without_a_key() {
    let mut scenario = fast_scenario();
    scenario.kserve.ready_ms = 100;
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), scenario)
        .await
        .unwrap();
    let mut driver = driver_on(&sim).await;
    let listed = |app: &kfops_console::tui::App| {
        app.targets.state(DeployTarget::Staging).is_some()
            && app.targets.state(DeployTarget::Production).is_some()
            && !app.prs.items.is_empty()
    };
    assert!(
        driver.run_until(Duration::from_secs(30), listed).await,
        "{:?}",
        driver.app.targets
    );
    let staging = driver.app.targets.state(DeployTarget::Staging).unwrap();
    assert_eq!(staging.namespace, "staging");
    assert_eq!(staging.ready, Some(true));
    assert_eq!(staging.pr, Some(44));
    assert_eq!(
        staging.run_id.as_deref(),
        Some("f1669f97-4534-47b5-82ec-4ca5d6b35337")
    );
    let production = driver.app.targets.state(DeployTarget::Production).unwrap();
    assert_eq!(production.pr, Some(40));
    assert_eq!(production.ready, Some(true));
    let text = pane_text(&driver);
    for expected in [
        "● live",
        "staging/churn-model",
        "production/churn-model",
        "f1669f97",
        "1944c4b2",
        "#40",
        "#44",
        "● Ready",
    ] {
        assert!(text.contains(expected), "`{expected}` missing:\n{text}");
    }

    // A canary through the Kubernetes API: the pane follows the watch, no key pressed.
    let cfg = launch::demo_config(&sim).unwrap();
    let cluster = Cluster::connect(&cfg.cluster).await.unwrap();
    kserve::merge_patch(
        &cluster,
        "staging",
        "churn-model",
        &serde_json::json!({"spec": {"predictor": {"canaryTrafficPercent": 20}}}),
    )
    .await
    .unwrap();
    let split = |app: &kfops_console::tui::App| {
        app.targets
            .state(DeployTarget::Staging)
            .is_some_and(|s| s.canary_percent == Some(20) && s.traffic.iter().any(|t| t.1 == 20))
    };
    assert!(
        driver.run_until(Duration::from_secs(30), split).await,
        "{:?}",
        driver.app.targets.staging
    );
    assert_eq!(canary(&driver, DeployTarget::Staging), Some(20));
    let text = pane_text(&driver);
    assert!(text.contains("20%"), "{text}");
    assert!(text.contains("80%"), "{text}");

    // Deleted through the simulator's handle: production is not deployed any more.
    sim.kserve().delete("production", "churn-model").unwrap();
    assert!(
        driver
            .run_until(Duration::from_secs(30), |app| app
                .targets
                .state(DeployTarget::Production)
                .is_none())
            .await
    );
    let text = pane_text(&driver);
    assert!(text.contains("— not deployed"), "{text}");
    sim.shutdown().await;
}

#[tokio::test]
async fn without_a_cluster_the_targets_say_why() {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), fast_scenario())
        .await
        .unwrap();
    let cfg = launch::demo_config(&sim).unwrap();
    let console = launch::console(&cfg, false, "demo").unwrap();
    let mut driver = Driver::new(console.app, console.services);
    driver.app.size = Rect::new(0, 0, 200, 40);
    driver.app.zoom = Some(kfops_console::tui::app::PaneId::Targets);
    driver.start();
    assert!(
        driver
            .run_until(Duration::from_secs(10), |app| matches!(
                app.targets.production.stream,
                StreamState::Unavailable(_)
            ) && matches!(
                app.targets.staging.stream,
                StreamState::Unavailable(_)
            ))
            .await
    );
    assert!(pane_text(&driver).contains("not connected to a cluster"));
    sim.shutdown().await;
}
