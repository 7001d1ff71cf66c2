//! Reducer tests of the refresh paced by GitHub's request budget (`refresh_pace.rs`): the
//! budget arrives in the PR-loaded answers, the time in messages.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::*;
use crate::backends::error::{Service, Throttle};
use crate::backends::github::RateBudget;
use crate::backends::BackendError;
use crate::keys::KeyMap;
use crate::tui::status_bar;
use crate::tui::test_support::{console_time as t, ctrl, pr};

fn budget(remaining: u64, used: u64, reset: DateTime<Utc>) -> RateBudget {
    RateBudget {
        resource: "core".into(),
        limit: 5000,
        remaining,
        used,
        reset,
    }
}

/// The answer to the load in flight.
fn loaded(app: &mut App, at: DateTime<Utc>, budget: Option<RateBudget>) {
    update(
        app,
        Msg::PrsLoaded {
            generation: app.prs_generation,
            at,
            result: Ok(vec![pr(1)]),
            budget,
        },
    );
}

fn refused(app: &mut App, at: DateTime<Utc>, status: u16, throttle: Throttle) {
    let err = BackendError::new(Service::GitHub, "list pull requests", "rate limit exceeded")
        .with_status(status)
        .with_throttle(throttle);
    update(
        app,
        Msg::PrsLoaded {
            generation: app.prs_generation,
            at,
            result: Err(err),
            budget: None,
        },
    );
}

fn status_text(app: &App) -> String {
    status_bar::spans(app)
        .iter()
        .map(|s| s.content.to_string())
        .collect()
}

fn due(app: &mut App, at: DateTime<Utc>) -> Vec<Command> {
    update(app, Msg::RefreshDue { now: at })
}

fn app() -> App {
    let mut app = App::new("acme/model", "test", KeyMap::default());
    init(&mut app);
    app
}

#[test]
fn a_plentiful_budget_keeps_the_interval_and_the_status_bar_quiet() {
    let mut app = app();
    loaded(&mut app, t(1), Some(budget(4000, 1000, t(50))));
    assert!(
        !status_text(&app).contains("budget"),
        "{}",
        status_text(&app)
    );
    assert_eq!(app.pace.next_at, None, "every tick of the timer refreshes");
    let next = t(1) + chrono::Duration::seconds(30);
    assert_eq!(
        due(&mut app, next).len(),
        1,
        "refreshed at the configured interval"
    );
}

#[test]
fn a_low_budget_is_shown_and_stretches_the_refresh_until_the_reset() {
    let mut app = app();
    loaded(&mut app, t(0), Some(budget(400, 4600, t(50))));
    due(&mut app, t(0) + chrono::Duration::seconds(30));
    // This refresh was charged 40 requests: 360 left last 9 refreshes over the 49 minutes to
    // the reset, one every 5m27s (rounded up), not every 30 s.
    loaded(&mut app, t(1), Some(budget(360, 4640, t(50))));
    assert_eq!(app.pace.cost, 40);
    assert_eq!(app.pace.interval(t(1)), Duration::from_secs(327));
    let text = status_text(&app);
    assert!(
        text.contains("GitHub budget low: 360/5000 core requests left (under 10 %), resets 12:50:00 UTC; refreshing every 5m27s"),
        "{text}"
    );
    assert!(due(&mut app, t(2)).is_empty(), "the 30 s tick is skipped");
    assert!(due(&mut app, t(6)).is_empty());
    assert_eq!(
        due(&mut app, t(6) + chrono::Duration::seconds(30)),
        vec![Command::LoadPrs {
            generation: app.prs_generation
        }]
    );
}

#[test]
fn an_exhausted_budget_waits_for_the_reset_keeping_the_last_good_list() {
    let mut app = app();
    loaded(&mut app, t(0), Some(budget(10, 4990, t(40))));
    due(&mut app, t(10));
    let reset = Throttle {
        retry_after: None,
        reset_at: Some(t(40)),
    };
    refused(&mut app, t(10), 403, reset);
    assert_eq!(app.prs.all.len(), 1, "the last good list stays");
    let text = status_text(&app);
    assert!(
        text.contains(
            "GitHub rate limit: next refresh at 12:40:00 UTC (showing the last good list)"
        ),
        "{text}"
    );
    // No request until the reset: not the timer, not the refresh key.
    for minute in 11..40 {
        assert!(due(&mut app, t(minute)).is_empty(), "refreshed at {minute}");
    }
    assert!(update(&mut app, ctrl('r')).is_empty());
    assert!(app
        .status
        .message
        .as_ref()
        .is_some_and(|m| m.text.contains("12:40:00")));
    assert_eq!(due(&mut app, t(40)).len(), 1, "refreshed at the reset");
    loaded(&mut app, t(40), Some(budget(5000, 0, t(59))));
    assert!(!status_text(&app).contains('⏳'), "{}", status_text(&app));
}

#[test]
fn a_secondary_limit_waits_retry_after_or_a_minute_when_it_names_no_time() {
    let mut app = app();
    loaded(&mut app, t(0), None);
    due(&mut app, t(1));
    let retry_after = Throttle {
        retry_after: Some(Duration::from_secs(120)),
        reset_at: None,
    };
    refused(&mut app, t(1), 403, retry_after);
    assert!(due(&mut app, t(2)).is_empty());
    assert_eq!(due(&mut app, t(3)).len(), 1);
    refused(&mut app, t(3), 429, Throttle::default());
    assert!(due(&mut app, t(3) + chrono::Duration::seconds(30)).is_empty());
    assert_eq!(due(&mut app, t(4)).len(), 1);
}

#[test]
fn a_403_that_is_not_a_rate_limit_does_not_hold_the_refresh() {
    let mut app = app();
    loaded(&mut app, t(0), None);
    due(&mut app, t(1));
    refused(&mut app, t(1), 403, Throttle::default());
    assert_eq!(app.pace.held_until, None);
    assert_eq!(due(&mut app, t(2)).len(), 1);
}
