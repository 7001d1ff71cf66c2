//! GitHub's request budget as its answers state it: every REST answer (a `304 Not Modified`
//! and a refusal too) carries `x-ratelimit-limit`, `x-ratelimit-remaining`,
//! `x-ratelimit-used`, `x-ratelimit-reset` (epoch seconds) and `x-ratelimit-resource`
//! (`core`, `graphql`, `search`…) (GitHub, "Rate limits for the REST API", Checking the
//! status of your rate limit:
//! <https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#checking-the-status-of-your-rate-limit>).
//!
//! [`Budgets`] keeps the latest budget per resource, shared by the clones of one client; the
//! console paces its refresh by it (`tui/refresh_pace.rs`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use http::HeaderMap;

/// One resource's budget, as the last answer stated it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateBudget {
    /// `core` (the REST API), `graphql`, `search`…
    pub resource: String,
    pub limit: u64,
    pub remaining: u64,
    pub used: u64,
    /// When the window starts again (`x-ratelimit-reset`).
    pub reset: DateTime<Utc>,
}

impl RateBudget {
    /// The budget stated by an answer's headers (`None` without them, e.g. GitHub Enterprise
    /// Server with rate limiting off).
    pub fn from_headers(headers: &HeaderMap) -> Option<RateBudget> {
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        };
        let number = |name: &str| text(name).and_then(|v| v.parse::<u64>().ok());
        let limit = number("x-ratelimit-limit")?;
        let remaining = number("x-ratelimit-remaining")?;
        let reset = text("x-ratelimit-reset")
            .and_then(|v| v.parse::<i64>().ok())
            .and_then(|secs| DateTime::from_timestamp(secs, 0))?;
        Some(RateBudget {
            resource: text("x-ratelimit-resource").unwrap_or("core").to_owned(),
            limit,
            remaining,
            used: number("x-ratelimit-used").unwrap_or(limit.saturating_sub(remaining)),
            reset,
        })
    }

    /// Whether `self` is newer than `other` (answers of concurrent requests arrive in any
    /// order): a later window, or the same window with less left.
    fn supersedes(&self, other: &RateBudget) -> bool {
        self.reset > other.reset || (self.reset == other.reset && self.remaining <= other.remaining)
    }
}

/// The latest budget per resource, shared by the clones of one GitHub client.
#[derive(Debug, Clone, Default)]
pub struct Budgets {
    latest: Arc<Mutex<HashMap<String, RateBudget>>>,
}

impl Budgets {
    /// Notes the budget an answer's headers state, if any.
    pub fn note(&self, headers: &HeaderMap) {
        let Some(budget) = RateBudget::from_headers(headers) else {
            return;
        };
        let mut latest = self.latest.lock().unwrap_or_else(|e| e.into_inner());
        let newer = latest
            .get(&budget.resource)
            .is_none_or(|kept| budget.supersedes(kept));
        if newer {
            latest.insert(budget.resource.clone(), budget);
        }
    }

    /// The latest budget of `resource` (`core` for the REST API).
    pub fn of(&self, resource: &str) -> Option<RateBudget> {
        let latest = self.latest.lock().unwrap_or_else(|e| e.into_inner());
        latest.get(resource).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.insert(*name, value.parse().expect("a header value"));
        }
        h
    }

    fn answer(remaining: &str, reset: &str) -> HeaderMap {
        headers(&[
            ("x-ratelimit-limit", "5000"),
            ("x-ratelimit-remaining", remaining),
            ("x-ratelimit-used", "10"),
            ("x-ratelimit-reset", reset),
            ("x-ratelimit-resource", "core"),
        ])
    }

    #[test]
    fn the_headers_state_the_budget_of_their_resource() {
        let b = RateBudget::from_headers(&answer("4990", "1700000000")).expect("a budget");
        assert_eq!((b.limit, b.remaining, b.used), (5000, 4990, 10));
        assert_eq!(b.resource, "core");
        assert_eq!(b.reset.timestamp(), 1_700_000_000);
        assert_eq!(RateBudget::from_headers(&HeaderMap::new()), None);
        let garbage = headers(&[("x-ratelimit-limit", "lots")]);
        assert_eq!(RateBudget::from_headers(&garbage), None);
    }

    #[test]
    fn the_latest_budget_wins_whatever_order_answers_arrive_in() {
        let budgets = Budgets::default();
        budgets.note(&answer("4000", "1700000000"));
        budgets.note(&answer("4100", "1700000000")); // an older answer, late
        assert_eq!(budgets.of("core").map(|b| b.remaining), Some(4000));
        budgets.note(&answer("5000", "1700003600")); // the next window
        assert_eq!(budgets.of("core").map(|b| b.remaining), Some(5000));
        assert_eq!(budgets.of("graphql"), None);
    }
}
