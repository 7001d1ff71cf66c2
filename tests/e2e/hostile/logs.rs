//! Log streams that are not what kubelet sends: invalid UTF-8, lines without or with broken
//! timestamps, control characters, a huge line, a cut connection. The log client and the
//! follower keep every readable line (bytes that are not UTF-8 become U+FFFD), and a broken
//! stream ends as a clear failure after its retries — never a panic.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Response, StatusCode};
use futures::TryStreamExt;
use kfops_console::backends::cluster::LogLine;
use kfops_console::domain::PodRef;
use kfops_console::logs::follow::{follow_with, FollowOptions};
use kfops_console::logs::{LogEvent, StreamStatus};

use super::clients::cluster_at;
use super::server::{bytes, cut_after, json, Hostile};

const POD: &str = r#"{"apiVersion": "v1", "kind": "Pod",
  "metadata": {"name": "build-1", "namespace": "kfops"},
  "status": {"phase": "Succeeded"}}"#;

/// A kube API server whose pod `build-1` exists (Succeeded) and whose log is `log`.
async fn log_server(log: impl Fn() -> Response<Body> + Send + Sync + 'static) -> Hostile {
    Hostile::start(Arc::new(move |_, target| {
        if target.contains("/pods/build-1/log") {
            log()
        } else if target.starts_with("/api/v1/namespaces/kfops/pods/build-1") {
            json(POD.into())
        } else {
            Response::builder()
                .status(StatusCode::NOT_FOUND)
                .body(Body::from("{}"))
                .unwrap()
        }
    }))
    .await
}

fn pod() -> PodRef {
    PodRef {
        namespace: "kfops".into(),
        name: "build-1".into(),
        container: None,
    }
}

fn quick(follow: bool) -> FollowOptions {
    FollowOptions {
        follow,
        backoff_initial: Duration::from_millis(5),
        backoff_max: Duration::from_millis(20),
        max_attempts: 3,
        ..FollowOptions::default()
    }
}

/// Follows the pod's log to its end: (final status, every line delivered, every status).
async fn follow_all(
    server: &Hostile,
    follow: bool,
) -> (StreamStatus, Vec<LogLine>, Vec<StreamStatus>) {
    let cluster = cluster_at(&server.url).await;
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = {
        let events = events.clone();
        move |e: LogEvent| events.lock().unwrap().push(e)
    };
    let end = tokio::time::timeout(
        Duration::from_secs(30),
        follow_with(cluster, pod(), quick(follow), sink),
    )
    .await
    .expect("the follower ends");
    let mut lines = Vec::new();
    let mut statuses = Vec::new();
    for e in events.lock().unwrap().drain(..) {
        match e {
            LogEvent::Lines { lines: l, .. } => lines.extend(l),
            LogEvent::Status { status, .. } => statuses.push(status),
            _ => {}
        }
    }
    (end, lines, statuses)
}

fn texts(lines: &[LogLine]) -> Vec<&str> {
    lines.iter().map(|l| l.text.as_str()).collect()
}

#[tokio::test]
async fn invalid_utf8_in_a_log_line_keeps_the_line_and_the_rest_of_the_stream() {
    let log = b"2026-11-25T10:00:00Z before\n2026-11-25T10:00:01Z bad \xff\xfe bytes \xc3\n2026-11-25T10:00:02Z after\n".to_vec();
    let server = log_server(move || bytes(log.clone())).await;
    // The client itself.
    let cluster = cluster_at(&server.url).await;
    let lines: Vec<LogLine> = cluster
        .log_lines("build-1", None, false, None)
        .await
        .unwrap()
        .try_collect()
        .await
        .expect("invalid UTF-8 is not a stream error");
    assert_eq!(
        texts(&lines),
        ["before", "bad \u{fffd}\u{fffd} bytes \u{fffd}", "after"]
    );
    assert!(lines.iter().all(|l| l.time.is_some()));
    // The follower, once and following.
    for follow in [false, true] {
        let (end, lines, _) = follow_all(&server, follow).await;
        assert_eq!(end, StreamStatus::Finished, "follow={follow}");
        assert_eq!(lines.len(), 3, "follow={follow}: {lines:?}");
    }
}

#[tokio::test]
async fn lines_without_or_with_broken_timestamps_are_kept_as_text() {
    let log = "plain line one\n\
               2026-13-45T99:00:00Z bad month\n\
               not-a-time text\n\
               2026-11-25T10:00:00 no zone\n\
               2026-11-25T10:00:00Z\n\
               \n\
               \t\r\n\
               2026-11-25T10:00:01.123456789123Z too many digits\n\
               +99999-01-01T00:00:00Z far future\n\
               \u{1b}[31mred\u{1b}[0m \u{0} nul \u{7} bell\n\
               last line without a newline";
    let server = log_server(move || bytes(log.as_bytes().to_vec())).await;
    let (end, lines, _) = follow_all(&server, false).await;
    assert_eq!(end, StreamStatus::Finished);
    let got = texts(&lines);
    assert_eq!(got.len(), 11, "{got:?}");
    assert_eq!(got[0], "plain line one");
    assert_eq!(got[1], "2026-13-45T99:00:00Z bad month");
    assert_eq!(got[2], "not-a-time text");
    assert_eq!(got[3], "2026-11-25T10:00:00 no zone");
    assert_eq!(got[10], "last line without a newline");
    // Only well-formed RFC 3339 stamps become times.
    let timed: Vec<bool> = lines.iter().map(|l| l.time.is_some()).collect();
    assert_eq!(timed[..4], [false, false, false, false]);
    // The display of every line is free of control characters.
    for line in &lines {
        let shown = kfops_console::logs::ansi::search_text(&line.text);
        assert!(!shown.chars().any(char::is_control), "{shown:?}");
    }
}

#[tokio::test]
async fn a_huge_log_line_arrives_whole_and_the_stream_goes_on() {
    let mut log = b"2026-11-25T10:00:00Z ".to_vec();
    log.extend(std::iter::repeat_n(b'x', 3 << 20));
    log.extend_from_slice(b"\n2026-11-25T10:00:01Z next\n");
    let server = log_server(move || bytes(log.clone())).await;
    let (end, lines, _) = follow_all(&server, false).await;
    assert_eq!(end, StreamStatus::Finished);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].text.len(), 3 << 20);
    assert_eq!(lines[1].text, "next");
}

#[tokio::test]
async fn a_log_stream_cut_every_time_fails_with_a_clear_reason_after_its_retries() {
    let server = log_server(|| {
        cut_after(
            b"2026-11-25T10:00:00Z first\n2026-11-25T10:00:01Z sec",
            "text/plain",
        )
    })
    .await;
    let (end, lines, statuses) = follow_all(&server, false).await;
    // The first line once (resumes skip it), then a failure naming the service and the pod.
    assert_eq!(texts(&lines), ["first"]);
    let StreamStatus::Failed(reason) = &end else {
        panic!("{end:?}")
    };
    assert!(
        reason.starts_with("Kubernetes: logs of pod build-1: "),
        "{reason}"
    );
    assert!(statuses
        .iter()
        .any(|s| matches!(s, StreamStatus::Reconnecting { attempt: 3, .. })));
}

#[tokio::test]
async fn a_log_request_answered_with_an_html_page_or_json_is_shown_as_text_not_a_crash() {
    for body in [
        super::server::HTML.as_bytes().to_vec(),
        b"{\"kind\": \"Status\", \"code\": 7}".to_vec(),
        vec![0u8; 1000],
    ] {
        let server = log_server(move || bytes(body.clone())).await;
        let (end, lines, _) = follow_all(&server, false).await;
        assert_eq!(end, StreamStatus::Finished);
        assert!(!lines.is_empty());
    }
}
