use std::sync::atomic::{AtomicU32, Ordering};

use chrono::TimeZone;

use super::*;
use crate::backends::error::Service;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0)
        .single()
        .unwrap()
}

fn failed(status: u16) -> BackendError {
    BackendError::new(
        Service::GitHub,
        "list pull requests",
        format!("{status} boom"),
    )
    .with_status(status)
}

fn headers(pairs: &[(&'static str, &str)]) -> http::HeaderMap {
    let mut map = http::HeaderMap::new();
    for (k, v) in pairs {
        map.insert(*k, v.parse().unwrap());
    }
    map
}

#[test]
fn retry_after_in_seconds_and_as_an_http_date() {
    assert_eq!(parse_retry_after("7", now()), Some(Duration::from_secs(7)));
    assert_eq!(
        parse_retry_after("Wed, 25 Nov 2026 10:00:30 GMT", now()),
        Some(Duration::from_secs(30))
    );
    assert_eq!(
        parse_retry_after("Wed, 25 Nov 2026 09:00:00 GMT", now()),
        Some(Duration::ZERO),
        "a date in the past means now"
    );
    assert_eq!(parse_retry_after("soon", now()), None);
    assert_eq!(parse_retry_after("-3", now()), None);
}

#[test]
fn the_reset_header_counts_only_when_nothing_remains() {
    let reset = (now().timestamp() + 120).to_string();
    let t = Throttle::from_headers(
        &headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", reset.as_str()),
        ]),
        now(),
    );
    assert_eq!(t.wait(now()), Duration::from_secs(120));
    let t = Throttle::from_headers(
        &headers(&[
            ("x-ratelimit-remaining", "12"),
            ("x-ratelimit-reset", reset.as_str()),
        ]),
        now(),
    );
    assert!(!t.is_set());
    let t = Throttle::from_headers(&headers(&[("retry-after", "3")]), now());
    assert_eq!(t.wait(now()), Duration::from_secs(3));
}

#[test]
fn reads_retry_server_errors_with_growing_jittered_backoff_up_to_the_attempt_cap() {
    let p = RetryPolicy::default();
    let d1 = p.decide(
        Idempotency::Read,
        failed(503),
        1,
        Duration::ZERO,
        now(),
        0.0,
    );
    let d2 = p.decide(
        Idempotency::Read,
        failed(503),
        2,
        Duration::ZERO,
        now(),
        1.0,
    );
    assert_eq!(d1, Decision::Retry(p.base / 2));
    assert_eq!(d2, Decision::Retry(p.base * 2));
    match p.decide(
        Idempotency::Read,
        failed(503),
        3,
        Duration::ZERO,
        now(),
        0.5,
    ) {
        Decision::Stop(e) => assert!(e.hint.unwrap().contains("failed 3 times")),
        d => panic!("{d:?}"),
    }
}

#[test]
fn client_errors_are_not_retried_and_keep_their_hint() {
    let p = RetryPolicy::default();
    let err = failed(404).with_hint("check the names");
    assert_eq!(
        p.decide(
            Idempotency::Read,
            err.clone(),
            1,
            Duration::ZERO,
            now(),
            0.0
        ),
        Decision::Stop(err)
    );
    // A 403 without rate-limit headers is a permission problem.
    assert!(matches!(
        p.decide(
            Idempotency::Read,
            failed(403),
            1,
            Duration::ZERO,
            now(),
            0.0
        ),
        Decision::Stop(_)
    ));
}

#[test]
fn a_server_wait_is_honoured_and_never_shortened_by_backoff() {
    let p = RetryPolicy::default();
    let err = failed(429).with_throttle(Throttle {
        retry_after: Some(Duration::from_secs(2)),
        reset_at: None,
    });
    assert_eq!(
        p.decide(Idempotency::Read, err, 1, Duration::ZERO, now(), 0.0),
        Decision::Retry(Duration::from_secs(2))
    );
}

#[test]
fn a_wait_past_the_cap_is_not_started_and_the_error_names_the_reset_time() {
    let p = RetryPolicy::default();
    let reset = now() + chrono::Duration::hours(1);
    let err = failed(403).with_throttle(Throttle {
        retry_after: None,
        reset_at: Some(reset),
    });
    match p.decide(Idempotency::Read, err, 1, Duration::ZERO, now(), 0.0) {
        Decision::Stop(e) => {
            let hint = e.hint.unwrap();
            assert!(hint.contains("11:00:00 UTC"), "{hint}");
            assert!(hint.contains("3600s"), "{hint}");
        }
        d => panic!("{d:?}"),
    }
    // Waits already spent count against the cap too.
    let err = failed(429).with_throttle(Throttle {
        retry_after: Some(Duration::from_secs(10)),
        reset_at: None,
    });
    assert!(matches!(
        p.decide(
            Idempotency::Read,
            err,
            2,
            Duration::from_secs(25),
            now(),
            0.0
        ),
        Decision::Stop(_)
    ));
}

#[test]
fn writes_are_never_retried_and_a_rate_limited_one_says_when_to_try_again() {
    let p = RetryPolicy::default();
    match p.decide(
        Idempotency::Write,
        failed(502),
        1,
        Duration::ZERO,
        now(),
        0.0,
    ) {
        Decision::Stop(e) => assert!(e.hint.unwrap().contains("not retried")),
        d => panic!("{d:?}"),
    }
    let err = failed(429).with_throttle(Throttle {
        retry_after: Some(Duration::from_secs(90)),
        reset_at: None,
    });
    match p.decide(Idempotency::Write, err, 1, Duration::ZERO, now(), 0.0) {
        Decision::Stop(e) => assert!(e.hint.unwrap().contains("after 10:01:30 UTC")),
        d => panic!("{d:?}"),
    }
}

#[test]
fn connection_errors_are_retried_for_reads_only() {
    let p = RetryPolicy::default();
    let err = BackendError::new(Service::Kfp, "list runs", "connection refused").transport();
    assert!(matches!(
        p.decide(
            Idempotency::Read,
            err.clone(),
            1,
            Duration::ZERO,
            now(),
            0.0
        ),
        Decision::Retry(_)
    ));
    assert!(matches!(
        p.decide(Idempotency::Write, err, 1, Duration::ZERO, now(), 0.0),
        Decision::Stop(_)
    ));
}

#[tokio::test]
async fn run_calls_a_write_once_and_a_read_up_to_the_cap() {
    let policy = RetryPolicy {
        base: Duration::from_millis(1),
        ..RetryPolicy::default()
    };
    let calls = AtomicU32::new(0);
    let out: Result<(), _> = policy
        .run(Idempotency::Write, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(failed(503))
        })
        .await;
    assert!(out.is_err());
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    calls.store(0, Ordering::SeqCst);
    let out: Result<(), _> = policy
        .run(Idempotency::Read, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(failed(503))
        })
        .await;
    assert!(out.is_err());
    assert_eq!(calls.load(Ordering::SeqCst), 3);

    calls.store(0, Ordering::SeqCst);
    let out = policy
        .run(Idempotency::Read, || async {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0 => Err(failed(500)),
                n => Ok(n),
            }
        })
        .await;
    assert_eq!(out.ok(), Some(1));
}
