//! Watches of pod lists (`?watch=true`): a chunked `application/json;stream=watch` response,
//! one `{"type": ..., "object": ...}` per line.
//!
//! - `resourceVersion` absent or `"0"`: ADDED for every matching pod, then changes;
//!   `resourceVersion=N`: every change after N, or one ERROR event (410 Expired, "too old
//!   resource version") when N left the retained event window.
//! - `sendInitialEvents=true` (with `allowWatchBookmarks`): the ADDED events end with a
//!   BOOKMARK annotated `k8s.io/initial-events-end: "true"`.
//! - `allowWatchBookmarks`: a BOOKMARK (only `metadata.resourceVersion`) every `bookmark_ms`.
//! - `timeoutSeconds`: the response ends after that long (default 30 minutes).
//! - Selectors apply to both sides of a change: a pod that stops matching is DELETED from
//!   the watch, one that starts matching is ADDED.

use std::time::Duration;

use axum::body::Bytes;
use axum::response::Response;
use chrono::Utc;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ListMeta, Status};
use serde_json::json;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::select::Selector;
use super::status::{streaming, FieldError, KubeError, Params};
use super::store::{EventType, PodEvent};
use super::{table, KubeHandle};

/// How long a watch without `timeoutSeconds` stays open.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1800);

/// What one watch request asked for.
struct Watch {
    namespace: Option<String>,
    selector: Selector,
    /// The resourceVersion events are sent after.
    cursor: u64,
    initial: Vec<Pod>,
    initial_end_bookmark: bool,
    bookmarks: bool,
    /// Objects as one-row Tables (`kubectl get -w`).
    table: bool,
    deadline: Instant,
}

/// Starts a watch of the pods of `namespace` (`None`: all namespaces).
pub fn pods(
    kube: KubeHandle,
    namespace: Option<String>,
    params: &Params,
) -> Result<Response, KubeError> {
    let selector = Selector::for_pods(params)?;
    let bookmarks = params.flag("allowWatchBookmarks")?;
    let send_initial = params.flag("sendInitialEvents")?;
    if send_initial && !bookmarks {
        return Err(KubeError::invalid(
            "ListOptions.meta.k8s.io",
            "",
            vec![FieldError {
                field: "allowWatchBookmarks".to_owned(),
                reason: "FieldValueRequired",
                message: "Required value: allowWatchBookmarks must be set to true when \
                          sendInitialEvents is set to true"
                    .to_owned(),
            }],
        ));
    }
    let timeout = params
        .int("timeoutSeconds")?
        .filter(|s| *s > 0)
        .map_or(DEFAULT_TIMEOUT, |s| {
            Duration::from_secs(u64::try_from(s).unwrap_or(u64::MAX))
        });
    let requested = match params.get("resourceVersion").unwrap_or_default() {
        "" | "0" => None,
        text => Some(text.parse::<u64>().map_err(|_| {
            KubeError::bad_request(format!("invalid resource version: \"{text}\""))
        })?),
    };
    let (cursor, initial) = kube.read(|s| match requested {
        Some(rv) if !send_initial => (rv, Vec::new()),
        _ => {
            let pods = s
                .pods(namespace.as_deref())
                .filter(|p| selector.matches_pod(p))
                .cloned()
                .collect();
            (s.resource_version(), pods)
        }
    });
    let watch = Watch {
        namespace,
        selector,
        cursor,
        initial,
        initial_end_bookmark: send_initial,
        bookmarks,
        table: params.wants_table(),
        deadline: Instant::now() + timeout,
    };
    let (tx, response) = streaming("application/json;stream=watch");
    tokio::spawn(run(kube, watch, tx));
    Ok(response)
}

fn line(value: &serde_json::Value) -> Bytes {
    let mut bytes = value.to_string().into_bytes();
    bytes.push(b'\n');
    Bytes::from(bytes)
}

fn event_line(kind: &str, pod: &Pod, table: bool) -> Bytes {
    if table {
        let rows = table::pods_table(std::slice::from_ref(pod), ListMeta::default(), Utc::now());
        return line(&json!({"type": kind, "object": rows}));
    }
    line(&json!({"type": kind, "object": pod}))
}

fn bookmark_line(rv: u64, initial_events_end: bool) -> Bytes {
    let mut metadata = json!({"resourceVersion": rv.to_string()});
    if initial_events_end {
        metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
    }
    line(&json!({
        "type": "BOOKMARK",
        "object": {"kind": "Pod", "apiVersion": "v1", "metadata": metadata},
    }))
}

fn error_line(status: &Status) -> Bytes {
    line(&json!({"type": "ERROR", "object": status}))
}

/// What a watcher with these selectors sees of one change, if anything.
fn visible<'a>(
    event: &'a PodEvent,
    namespace: Option<&str>,
    selector: &Selector,
) -> Option<(&'static str, &'a Pod)> {
    if namespace.is_some_and(|ns| event.pod.metadata.namespace.as_deref() != Some(ns)) {
        return None;
    }
    let now = selector.matches_pod(&event.pod);
    let before = event
        .previous
        .as_ref()
        .is_some_and(|p| selector.matches_pod(p));
    let kind = match (event.event, before, now) {
        (EventType::Added, _, true) => "ADDED",
        (EventType::Modified, true, true) => "MODIFIED",
        (EventType::Modified, false, true) => "ADDED",
        (EventType::Modified, true, false) => "DELETED",
        (EventType::Deleted, true, _) | (EventType::Deleted, _, true) => "DELETED",
        _ => return None,
    };
    Some((kind, &event.pod))
}

async fn run(kube: KubeHandle, watch: Watch, tx: mpsc::Sender<Bytes>) {
    let mut changes = kube.subscribe();
    for pod in &watch.initial {
        if tx
            .send(event_line("ADDED", pod, watch.table))
            .await
            .is_err()
        {
            return;
        }
    }
    let mut cursor = watch.cursor;
    if watch.initial_end_bookmark && tx.send(bookmark_line(cursor, true)).await.is_err() {
        return;
    }
    let interval = Duration::from_millis(kube.scenario().bookmark_ms.max(1));
    let mut next_bookmark = Instant::now() + interval;
    loop {
        changes.borrow_and_update();
        let events = kube.read(|s| s.events_after(cursor));
        match events {
            Err(expired) => {
                let _ = tx.send(error_line(&expired.status)).await;
                return;
            }
            Ok(events) => {
                for event in &events {
                    cursor = cursor.max(event.resource_version);
                    let seen = visible(event, watch.namespace.as_deref(), &watch.selector);
                    if let Some((kind, pod)) = seen {
                        if tx.send(event_line(kind, pod, watch.table)).await.is_err() {
                            return;
                        }
                    }
                }
            }
        }
        tokio::select! {
            changed = changes.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            () = tokio::time::sleep_until(watch.deadline) => return,
            () = tx.closed() => return,
            () = tokio::time::sleep_until(next_bookmark), if watch.bookmarks => {
                next_bookmark = Instant::now() + interval;
                if tx.send(bookmark_line(cursor, false)).await.is_err() {
                    return;
                }
            }
        }
    }
}
