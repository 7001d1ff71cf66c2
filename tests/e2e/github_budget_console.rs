//! The console's refresh paced by GitHub's request budget, against the simulator: an
//! exhausted limit (one refused refresh, then no request, periodic or asked for, until the
//! reset GitHub named, the last good list kept and the next refresh's time in the status bar;
//! at the reset the list loads again), a secondary limit's `retry-after`, a low budget shown.

use std::time::Duration;

use chrono::{DateTime, Utc};
use crossterm::event::KeyCode;
use kfops_console::tui::msg::Msg;
use kfops_console::tui::runner::Driver;
use kfops_sim::{Scenario, Simulator};

use crate::support::console::{code, driver_on, screen};

/// Requests sent to the simulated GitHub so far.
fn github_requests(sim: &Simulator) -> usize {
    sim.requests()
        .iter()
        .filter(|r| r.path.starts_with("/github"))
        .count()
}

/// The demo simulator and the console on it, its PRs loaded, on a `width`×30 screen.
async fn console(width: u16) -> (Simulator, Driver) {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), Scenario::demo())
        .await
        .unwrap();
    let driver = driver_on(&sim, width, 30).await;
    (sim, driver)
}

/// The timer fires at `now` (simulated time); waits for the answers of what it started.
async fn tick(driver: &mut Driver, now: DateTime<Utc>) {
    driver.handle(Msg::RefreshDue { now });
    driver
        .run_until(Duration::from_secs(30), |app| !app.prs.refreshing)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exhausted_budget_sends_nothing_until_the_reset_then_refreshes() {
    let (sim, mut driver) = console(160).await;
    let listed = driver.app.prs.all.len();
    // The budget is used up; GitHub names the reset an hour from now.
    let reset = Utc::now().timestamp() + 3600;
    sim.github().update(|s| {
        s.rate_used = s.rate_limit;
        s.rate_reset = reset;
    });
    let reset_at = DateTime::from_timestamp(reset, 0).unwrap();
    let before = github_requests(&sim);
    let due = Utc::now();
    tick(&mut driver, due).await;
    let refused = github_requests(&sim) - before;
    assert_eq!(refused, 1, "the list was refused once, not retried");
    assert!(driver.app.status.failing.is_some());
    assert_eq!(driver.app.prs.all.len(), listed, "the last good list stays");
    let shown = screen(&driver, 160, 30);
    let next = format!("next refresh at {}", reset_at.format("%H:%M:%S UTC"));
    assert!(shown.contains(&next), "{shown}");

    // Every timer tick and the refresh key until the reset: nothing sent.
    for minutes in [1, 10, 30, 59] {
        tick(&mut driver, due + chrono::Duration::minutes(minutes)).await;
    }
    driver.handle(code(KeyCode::F(5)));
    driver.drain();
    assert_eq!(
        github_requests(&sim) - before,
        refused,
        "sent while exhausted"
    );

    // The window resets: the tick at the reset refreshes and the failure clears.
    sim.github().update(|s| s.rate_used = 0);
    tick(&mut driver, reset_at).await;
    assert!(github_requests(&sim) - before > refused);
    assert!(driver.app.status.failing.is_none());
    sim.shutdown().await;
}

/// The budget GitHub states on its answers reaches the status bar when it runs low.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_low_budget_stated_by_github_shows_in_the_status_bar() {
    let (sim, mut driver) = console(200).await;
    assert!(!screen(&driver, 200, 30).contains("budget low"));
    sim.github().update(|s| s.rate_used = s.rate_limit - 300);
    tick(&mut driver, Utc::now()).await;
    let shown = screen(&driver, 200, 30);
    assert!(shown.contains("GitHub budget low:"), "{shown}");
    assert!(shown.contains("/5000 core requests left"), "{shown}");
    sim.shutdown().await;
}

/// A secondary rate limit (403, `retry-after`, requests left): nothing is sent until the delay
/// it names has passed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secondary_limit_holds_the_refresh_for_its_retry_after() {
    use kfops_sim::faults::{Fault, SimService};
    let (sim, mut driver) = console(160).await;
    sim.faults()
        .add(crate::faults::rule(
            SimService::Github,
            Some("GET"),
            None,
            Some(1),
            Fault::RateLimit {
                status: 403,
                retry_after: Some("600".into()),
                remaining: 4000,
                limit: 5000,
                reset_in_seconds: 3600,
                resource: "core".into(),
                secondary: true,
            },
        ))
        .unwrap();
    let at = Utc::now();
    let before = github_requests(&sim);
    tick(&mut driver, at).await;
    assert_eq!(
        github_requests(&sim) - before,
        1,
        "refused once, not retried"
    );
    tick(&mut driver, at + chrono::Duration::minutes(5)).await;
    assert_eq!(github_requests(&sim) - before, 1, "sent within retry-after");
    tick(&mut driver, at + chrono::Duration::minutes(11)).await;
    assert!(github_requests(&sim) - before > 1);
    assert!(driver.app.status.failing.is_none());
    sim.shutdown().await;
}
