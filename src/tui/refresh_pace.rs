//! How often the PR list is refreshed, from GitHub's request budget (pure: the budget comes
//! in the PR-loaded answers, the time in messages).
//!
//! - **Low** (less than [`LOW_PERCENT`] % of the limit left): the refresh slows down so that
//!   what is left lasts until the window resets, at the cost the last refresh had; the status
//!   bar shows what is left and when it resets.
//! - **Exhausted or throttled**: GitHub answers 403 or 429; with `x-ratelimit-remaining: 0`
//!   "you should not retry your request until after the time specified by the
//!   `x-ratelimit-reset` header", with `retry-after` "you should not retry your request until
//!   after that many seconds has elapsed", and otherwise "wait for at least one minute before
//!   retrying" (GitHub, "Best practices for using the REST API", Handle rate limit errors
//!   appropriately:
//!   <https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#handle-rate-limit-errors-appropriately>).
//!   The refresh waits that long (the last good list stays) and the status bar says until when.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::backends::github::RateBudget;
use crate::backends::BackendError;

/// Below this share of the limit left (in percent), the budget is low: shown, and the
/// refresh paced by it.
pub const LOW_PERCENT: u64 = 10;

/// How long to wait after a rate-limit refusal that names no time (GitHub: at least a minute).
const UNNAMED_WAIT: Duration = Duration::from_secs(60);

/// The refresh's pace and the budget it is paced by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshPace {
    /// The configured interval (`ui.refresh_seconds`): the pace while the budget lasts.
    pub every: Duration,
    /// GitHub's latest REST budget (the lowest of the projects').
    pub budget: Option<RateBudget>,
    /// Requests the last refresh was charged (from two budgets in one window), at least 1.
    pub cost: u64,
    /// No periodic refresh before this time.
    pub next_at: Option<DateTime<Utc>>,
    /// Rate limited: no refresh, periodic or asked for, before this time.
    pub held_until: Option<DateTime<Utc>>,
}

impl Default for RefreshPace {
    fn default() -> Self {
        RefreshPace {
            every: Duration::from_secs(crate::config::DEFAULT_REFRESH_SECONDS),
            budget: None,
            cost: 1,
            next_at: None,
            held_until: None,
        }
    }
}

impl RefreshPace {
    /// Whether a periodic refresh is due at `now`.
    pub fn due(&self, now: DateTime<Utc>) -> bool {
        self.next_at.is_none_or(|at| now >= at)
    }

    /// Whether GitHub asked to wait past `now`.
    pub fn held(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.held_until.filter(|until| now < *until)
    }

    /// A refresh answered at `at`, stating `budget` (if GitHub sent one).
    pub fn loaded(&mut self, budget: Option<RateBudget>, at: DateTime<Utc>) {
        if let Some(new) = budget {
            if let Some(old) = &self.budget {
                if old.resource == new.resource && old.reset == new.reset && new.used > old.used {
                    self.cost = new.used - old.used;
                }
            }
            self.budget = Some(new);
        }
        self.held_until = None;
        // At the configured pace every timer tick refreshes (the timer ticks at that
        // interval); a stretched pace skips ticks until then (so it is met within one tick).
        let every = self.interval(at);
        self.next_at = (every > self.every).then(|| at + chrono_of(every));
    }

    /// A refresh failed at `at`: when GitHub refused for its rate limit, wait as it asked.
    pub fn failed(&mut self, err: &BackendError, at: DateTime<Utc>) {
        let limited = err.status == Some(429) || (err.status == Some(403) && err.throttle.is_set());
        if !limited {
            return;
        }
        let until = if err.throttle.is_set() {
            err.throttle.until(at)
        } else {
            at + chrono_of(UNNAMED_WAIT)
        };
        self.held_until = Some(self.held_until.map_or(until, |h| h.max(until)));
        self.next_at = self.held_until;
        if let (Some(b), Some(reset)) = (&mut self.budget, err.throttle.reset_at) {
            b.remaining = 0;
            b.reset = reset;
        }
    }

    /// The budget, when it is low.
    pub fn low(&self) -> Option<&RateBudget> {
        self.budget
            .as_ref()
            .filter(|b| b.remaining.saturating_mul(100) < b.limit.saturating_mul(LOW_PERCENT))
    }

    /// The interval after a refresh at `now`: the configured one, stretched while the budget
    /// is low so that what is left lasts until the reset at the last refresh's cost.
    pub fn interval(&self, now: DateTime<Utc>) -> Duration {
        let Some(b) = self.low() else {
            return self.every;
        };
        let to_reset = (b.reset - now).to_std().unwrap_or_default();
        let refreshes_left = b.remaining / self.cost.max(1);
        if refreshes_left == 0 {
            return self.every.max(to_reset);
        }
        let spread = to_reset.div_f64(refreshes_left as f64);
        self.every
            .max(Duration::from_secs(spread.as_secs_f64().ceil() as u64))
    }

    /// The status bar's text: the wait while rate limited, the budget while low.
    pub fn status(&self, now: DateTime<Utc>) -> Option<String> {
        if let Some(until) = self.held(now) {
            return Some(format!(
                "GitHub rate limit: next refresh at {} (showing the last good list)",
                clock(until, now)
            ));
        }
        let b = self.low()?;
        let every = self.interval(now);
        let pace = if every > self.every {
            format!(
                "; refreshing every {}",
                super::format::elapsed(now, now + chrono_of(every))
            )
        } else {
            String::new()
        };
        Some(format!(
            "GitHub budget low: {}/{} {} requests left (under {LOW_PERCENT} %), resets {}{pace}",
            b.remaining,
            b.limit,
            b.resource,
            clock(b.reset, now)
        ))
    }
}

fn chrono_of(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// `14:05:00 UTC` (with the date when it is not `now`'s day).
fn clock(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    if at.date_naive() == now.date_naive() {
        at.format("%H:%M:%S UTC").to_string()
    } else {
        at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
    }
}
