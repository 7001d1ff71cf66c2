//! GitHub reads under faults: 5xx bursts retried (or reported with the last good data kept),
//! a 429's `Retry-After` honoured, an exhausted rate limit reported without a retry storm,
//! slow answers waited for.

use std::time::Duration;

use chrono::Utc;
use crossterm::event::KeyCode;
use kfops_sim::faults::{Fault, SimService};
use kfops_sim::Simulator;

use super::{requests_to, rule, statuses};
use crate::build_flow::{fast_scenario, setup};
use crate::support::console::{code, driver_on};

const PULLS: &str = "/repos/*/*/pulls";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_5xx_burst_on_the_pr_list_is_retried_and_the_list_loads() {
    let (sim, _cfg, b) = setup(fast_scenario()).await;
    sim.faults()
        .add(rule(
            SimService::Github,
            Some("GET"),
            Some(PULLS),
            Some(2),
            Fault::Status {
                status: 503,
                message: None,
            },
        ))
        .unwrap();
    let prs = b.github.open_pull_requests().await.unwrap();
    assert!(!prs.is_empty());
    assert_eq!(
        statuses(&requests_to(&sim, "GET", "/pulls")),
        [503, 503, 200],
        "two failures, then the retry that succeeded"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_longer_5xx_burst_shows_in_the_status_bar_and_the_last_good_prs_stay() {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), fast_scenario())
        .await
        .unwrap();
    let mut driver = driver_on(&sim, 160, 40).await;
    let shown: Vec<u64> = driver.app.prs.items.iter().map(|p| p.number).collect();
    sim.request_log().clear();
    sim.faults()
        .add(rule(
            SimService::Github,
            Some("GET"),
            Some(PULLS),
            None,
            Fault::Status {
                status: 502,
                message: None,
            },
        ))
        .unwrap();
    driver.handle(code(KeyCode::F(5)));
    assert!(
        driver
            .run_until(Duration::from_secs(30), |app| app.status.failing.is_some())
            .await
    );
    let failing = driver.app.status.failing.clone().unwrap();
    assert!(
        failing.text.starts_with("GitHub: list pull requests: 502"),
        "{}",
        failing.text
    );
    assert!(failing.text.contains("failed 3 times"), "{}", failing.text);
    assert_eq!(failing.count, 1);
    assert_eq!(
        driver
            .app
            .prs
            .items
            .iter()
            .map(|p| p.number)
            .collect::<Vec<_>>(),
        shown,
        "the last good list stays"
    );
    assert_eq!(
        statuses(&requests_to(&sim, "GET", "/pulls")),
        [502, 502, 502],
        "three attempts, no more"
    );
    let bar: String = kfops_console::tui::status_bar::spans(&driver.app)
        .iter()
        .map(|s| s.content.to_string())
        .collect();
    assert!(bar.contains("failing for"), "{bar}");
    assert!(bar.contains("showing last good data"), "{bar}");

    // The burst ends: the next refresh clears the failure.
    sim.faults().clear();
    driver.handle(code(KeyCode::F(5)));
    assert!(
        driver
            .run_until(Duration::from_secs(30), |app| app.status.failing.is_none())
            .await
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_with_retry_after_is_retried_only_after_the_delay_it_names() {
    let (sim, _cfg, b) = setup(fast_scenario()).await;
    sim.faults()
        .add(rule(
            SimService::Github,
            Some("GET"),
            Some(PULLS),
            Some(1),
            Fault::RateLimit {
                status: 429,
                retry_after: Some("1".into()),
                remaining: 0,
                limit: 5000,
                reset_in_seconds: 1,
                resource: "core".into(),
                secondary: false,
            },
        ))
        .unwrap();
    b.github.open_pull_requests().await.unwrap();
    let list = requests_to(&sim, "GET", "/pulls");
    assert_eq!(statuses(&list), [429, 200]);
    let waited = list[1].time - list[0].time;
    assert!(
        waited >= chrono::Duration::seconds(1),
        "re-requested after {waited:?}, before Retry-After's 1 s"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exhausted_rate_limit_resetting_in_an_hour_fails_at_once_naming_the_reset_time() {
    let (sim, _cfg, b) = setup(fast_scenario()).await;
    sim.faults()
        .add(rule(
            SimService::Github,
            None,
            None,
            None,
            Fault::RateLimit {
                status: 403,
                retry_after: None,
                remaining: 0,
                limit: 5000,
                reset_in_seconds: 3600,
                resource: "core".into(),
                secondary: false,
            },
        ))
        .unwrap();
    sim.request_log().clear();
    let before = Utc::now() + chrono::Duration::seconds(3600);
    let err = b.github.open_pull_requests().await.unwrap_err();
    let after = Utc::now() + chrono::Duration::seconds(3600);
    let text = err.to_string();
    assert_eq!(err.status, Some(403));
    assert!(text.contains("rate limited until"), "{text}");
    let named = (before.timestamp()..=after.timestamp()).any(|t| {
        let at = chrono::DateTime::from_timestamp(t, 0).unwrap();
        text.contains(&at.format("%H:%M:%S UTC").to_string())
    });
    assert!(named, "the reset time is named: {text}");
    let github: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/github"))
        .collect();
    assert_eq!(github.len(), 1, "one request, no retry storm: {github:?}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secondary_rate_limit_with_retry_after_on_a_write_is_not_retried_and_says_when() {
    let (sim, _cfg, b) = setup(fast_scenario()).await;
    sim.faults()
        .add(rule(
            SimService::Github,
            Some("POST"),
            Some("/repos/*/*/issues/*/comments"),
            None,
            Fault::RateLimit {
                status: 403,
                retry_after: Some("90".into()),
                remaining: 4000,
                limit: 5000,
                reset_in_seconds: 600,
                resource: "core".into(),
                secondary: true,
            },
        ))
        .unwrap();
    let comments = sim.github().comments(41).len();
    let err = b.github.post_comment(41, "hello").await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("not retried"), "{text}");
    assert!(text.contains("try again after"), "{text}");
    assert_eq!(requests_to(&sim, "POST", "/comments").len(), 1);
    assert_eq!(sim.github().comments(41).len(), comments);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_answers_still_complete() {
    let (sim, _cfg, b) = setup(fast_scenario()).await;
    let id = sim
        .faults()
        .add(rule(
            SimService::Github,
            Some("GET"),
            None,
            None,
            Fault::Delay { ms: 300 },
        ))
        .unwrap();
    let started = std::time::Instant::now();
    let prs = b.github.open_pull_requests().await.unwrap();
    assert!(!prs.is_empty());
    assert!(started.elapsed() >= Duration::from_millis(300));
    let hits = sim.faults().hits(id);
    assert!(hits > prs.len() as u64, "{hits}");
    assert!(statuses(&sim.requests()).iter().all(|s| *s == 200));
    sim.shutdown().await;
}
