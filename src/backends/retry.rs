//! The one retry policy of every backend (GitHub, KFP, Kubernetes), applied where the
//! wrappers issue requests.
//!
//! - Reads (GET, list, a watch's re-establishment) are retried on 5xx, 429, a 403 that is a
//!   rate limit (it carries `Retry-After` or GitHub's `x-ratelimit-remaining: 0`) and
//!   connection errors: at most [`RetryPolicy::max_attempts`] attempts, exponential backoff
//!   with jitter between them, never less than the server asked for (`Retry-After` in seconds
//!   or as an HTTP date, GitHub's `x-ratelimit-reset`), and never more than
//!   [`RetryPolicy::max_wait`] of waiting in total: a wait that would pass the cap is not
//!   started, and the error says when to try again instead.
//! - Writes (comment, merge, labels, creating a pod, a run or an InferenceService) are never
//!   retried: one attempt, and a failure says so (with the time to retry after, when
//!   rate-limited), so the action stops at that step.
//!
//! The clients' own retries are off (octocrab's `RetryConfig::None`, kube's
//! `default_retry = false`): both would retry writes too, and retries would multiply.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::error::BackendError;

/// Whether a request may be sent again without changing its effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    /// GET, list, watch: retried.
    Read,
    /// POST, PUT, PATCH, DELETE: never retried blindly.
    Write,
}

/// When the server said to come back, read from its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Throttle {
    /// `Retry-After` (or Kubernetes' `details.retryAfterSeconds`), from when the answer came.
    pub retry_after: Option<Duration>,
    /// GitHub's `x-ratelimit-reset`, when `x-ratelimit-remaining` was 0.
    pub reset_at: Option<DateTime<Utc>>,
}

impl Throttle {
    /// Reads `Retry-After` and GitHub's `x-ratelimit-remaining`/`x-ratelimit-reset`.
    pub fn from_headers(headers: &http::HeaderMap, now: DateTime<Utc>) -> Throttle {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let retry_after = text("retry-after").and_then(|v| parse_retry_after(v, now));
        let exhausted =
            text("x-ratelimit-remaining").and_then(|v| v.trim().parse::<u64>().ok()) == Some(0);
        let reset_at = text("x-ratelimit-reset")
            .filter(|_| exhausted)
            .and_then(|v| v.trim().parse::<i64>().ok())
            .and_then(|secs| DateTime::from_timestamp(secs, 0));
        Throttle {
            retry_after,
            reset_at,
        }
    }

    /// Whether the server said anything about waiting.
    pub fn is_set(&self) -> bool {
        self.retry_after.is_some() || self.reset_at.is_some()
    }

    /// How long from `now` the server asked to wait.
    pub fn wait(&self, now: DateTime<Utc>) -> Duration {
        let until_reset = self
            .reset_at
            .and_then(|at| (at - now).to_std().ok())
            .unwrap_or_default();
        self.retry_after.unwrap_or_default().max(until_reset)
    }

    /// When the server said to come back (for messages).
    pub fn until(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + chrono::Duration::from_std(self.wait(now)).unwrap_or_default()
    }
}

/// `Retry-After`: delay-seconds or an HTTP date (RFC 9110 §10.2.3); a date in the past is 0.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    // IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) is RFC 2822-compatible.
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or_default())
}

/// Bounds on retrying a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The most time spent waiting between attempts, in total.
    pub max_wait: Duration,
    /// The first backoff (doubled each time, with jitter).
    pub base: Duration,
    /// The longest single backoff (a server's `Retry-After` may ask for more).
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            max_wait: Duration::from_secs(30),
            base: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Wait this long, then try again.
    Retry(Duration),
    /// Give up with this error.
    Stop(BackendError),
}

/// Whether a failure may go away by itself.
fn transient(err: &BackendError) -> bool {
    match err.status {
        None => err.transport,
        Some(s) => s >= 500 || s == 429 || (s == 403 && err.throttle.is_set()),
    }
}

/// `14:05:00 UTC` (with the date when it is not today).
fn clock(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    if at.date_naive() == now.date_naive() {
        at.format("%H:%M:%S UTC").to_string()
    } else {
        at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
    }
}

fn seconds(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// The error's hint with `extra` after it.
fn add_hint(err: BackendError, extra: &str) -> BackendError {
    let hint = match &err.hint {
        Some(h) => format!("{h}; {extra}"),
        None => extra.to_owned(),
    };
    err.with_hint(hint)
}

impl RetryPolicy {
    /// What to do after attempt number `attempt` (1 for the first) failed with `err`, having
    /// waited `waited` so far; `jitter` in `[0, 1)` spreads the backoff.
    pub fn decide(
        &self,
        kind: Idempotency,
        err: BackendError,
        attempt: u32,
        waited: Duration,
        now: DateTime<Utc>,
        jitter: f64,
    ) -> Decision {
        if !transient(&err) {
            return Decision::Stop(err);
        }
        let rate_limited = err.status == Some(429) || err.throttle.is_set();
        if kind == Idempotency::Write {
            let hint = if rate_limited {
                format!(
                    "rate limited; not retried automatically (a write): try again after {}",
                    clock(err.throttle.until(now), now)
                )
            } else {
                return Decision::Stop(add_hint(
                    err,
                    "not retried automatically (a write): check whether it took effect, then try again",
                ));
            };
            return Decision::Stop(err.with_hint(hint));
        }
        let server = err.throttle.wait(now);
        if waited + server > self.max_wait {
            let until = err.throttle.until(now);
            let hint = format!(
                "rate limited until {} (in {}s); not waiting that long: try again after that",
                clock(until, now),
                seconds(server)
            );
            return Decision::Stop(err.with_hint(hint));
        }
        if attempt >= self.max_attempts {
            if rate_limited {
                let hint = format!(
                    "rate limited; gave up after {attempt} attempts: try again after {}",
                    clock(err.throttle.until(now), now)
                );
                return Decision::Stop(err.with_hint(hint));
            }
            let extra = format!("failed {attempt} times in a row; retried on the next refresh");
            return Decision::Stop(add_hint(err, &extra));
        }
        let exp = self
            .base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
            .min(self.max_backoff);
        // Full jitter over the upper half: between exp/2 and exp.
        let backoff = exp.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0));
        let wait = backoff.max(server);
        if waited + wait > self.max_wait {
            let extra = format!(
                "failed {attempt} times; stopped retrying after {}s of waiting",
                seconds(waited)
            );
            return Decision::Stop(add_hint(err, &extra));
        }
        Decision::Retry(wait)
    }

    /// Runs `op` once for a write; for a read, again after each transient failure while the
    /// policy allows.
    pub async fn run<T, F, Fut>(&self, kind: Idempotency, mut op: F) -> Result<T, BackendError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, BackendError>>,
    {
        let mut waited = Duration::ZERO;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let err = match op().await {
                Ok(value) => return Ok(value),
                Err(err) => err,
            };
            match self.decide(kind, err, attempt, waited, Utc::now(), fastrand::f64()) {
                Decision::Retry(wait) => {
                    tracing::debug!(attempt, ?wait, "retrying a read");
                    tokio::time::sleep(wait).await;
                    waited += wait;
                }
                Decision::Stop(err) => return Err(err),
            }
        }
    }
}

/// A read under the default policy.
pub async fn read<T, F, Fut>(op: F) -> Result<T, BackendError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, BackendError>>,
{
    RetryPolicy::default().run(Idempotency::Read, op).await
}

/// A write under the default policy (one attempt; its failure says it was not retried).
pub async fn write<T, F, Fut>(op: F) -> Result<T, BackendError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, BackendError>>,
{
    RetryPolicy::default().run(Idempotency::Write, op).await
}

#[cfg(test)]
#[path = "retry_tests.rs"]
mod tests;
