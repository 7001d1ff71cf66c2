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
//!
//! [`WatchOptions`] and [`stream`] serve other resources' watches too (the KServe
//! simulator's InferenceServices).

use std::time::Duration;

use axum::body::Bytes;
use axum::response::Response;
use chrono::Utc;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ListMeta, Status};
use serde_json::json;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::events::{Event, EventType};
use super::select::Selector;
use super::status::{streaming, FieldError, KubeError, Params};
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
    options: WatchOptions,
}

/// The options of a watch request any resource's watch honours, parsed and checked as the
/// API server does.
#[derive(Debug, Clone)]
pub(crate) struct WatchOptions {
    /// `resourceVersion` (absent, empty or `"0"`: `None`, start with the current objects).
    pub requested: Option<u64>,
    /// `sendInitialEvents=true`: ADDED for every object, then an initial-events-end BOOKMARK.
    pub send_initial: bool,
    /// `allowWatchBookmarks`.
    pub bookmarks: bool,
    /// Objects as one-row Tables (`kubectl get -w`).
    pub table: bool,
    /// When the response ends (`timeoutSeconds`, default 30 minutes).
    pub deadline: Instant,
}

impl WatchOptions {
    /// Reads and checks the watch parameters of a list request.
    pub(crate) fn parse(params: &Params) -> Result<WatchOptions, KubeError> {
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
        Ok(WatchOptions {
            requested,
            send_initial,
            bookmarks,
            table: params.wants_table(),
            deadline: Instant::now() + timeout,
        })
    }

    /// Whether the watch starts with the current objects (rather than resuming after
    /// `resourceVersion`).
    pub(crate) fn lists_first(&self) -> bool {
        self.requested.is_none() || self.send_initial
    }
}

/// One running watch of any resource, as [`stream`] serves it.
pub(crate) struct Feed {
    /// Changes whenever the watched store does.
    pub changes: tokio::sync::watch::Receiver<u64>,
    pub options: WatchOptions,
    /// The ADDED lines of the objects the watch starts with.
    pub initial: Vec<Bytes>,
    /// The resourceVersion changes are sent after.
    pub cursor: u64,
    /// `kind` and `apiVersion` of the BOOKMARK objects.
    pub kind: (&'static str, &'static str),
    /// Time between two BOOKMARKs (when asked for).
    pub bookmark_every: Duration,
}

/// Starts a watch of the pods of `namespace` (`None`: all namespaces).
pub fn pods(
    kube: KubeHandle,
    namespace: Option<String>,
    params: &Params,
) -> Result<Response, KubeError> {
    let selector = Selector::for_pods(params)?;
    let options = WatchOptions::parse(params)?;
    let (cursor, initial) = kube.read(|s| match options.requested {
        Some(rv) if !options.send_initial => (rv, Vec::new()),
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
        options,
    };
    let (tx, response) = streaming("application/json;stream=watch");
    tokio::spawn(run(kube, watch, tx));
    Ok(response)
}

/// One line of a watch stream.
pub(crate) fn line(value: &serde_json::Value) -> Bytes {
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

fn bookmark_line(kind: (&str, &str), rv: u64, initial_events_end: bool) -> Bytes {
    let mut metadata = json!({"resourceVersion": rv.to_string()});
    if initial_events_end {
        metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
    }
    line(&json!({
        "type": "BOOKMARK",
        "object": {"kind": kind.0, "apiVersion": kind.1, "metadata": metadata},
    }))
}

fn error_line(status: &Status) -> Bytes {
    line(&json!({"type": "ERROR", "object": status}))
}

/// The watch event a selector-filtered watcher sees for a change, given whether the object
/// matched the selector before and after it (a change out of the selection is a DELETED, into
/// it an ADDED, as the API server does); `None` when the watcher sees nothing.
fn event_kind(event: EventType, before: bool, now: bool) -> Option<&'static str> {
    Some(match (event, before, now) {
        (EventType::Added, _, true) => "ADDED",
        (EventType::Modified, true, true) => "MODIFIED",
        (EventType::Modified, false, true) => "ADDED",
        (EventType::Modified, true, false) => "DELETED",
        (EventType::Deleted, true, _) | (EventType::Deleted, _, true) => "DELETED",
        _ => return None,
    })
}

/// What a watcher sees of one change, if anything: nothing outside its namespace, else as
/// [`event_kind`] says from its selector (`matches`) on both sides of the change.
fn visible<T>(
    event: &Event<T>,
    in_namespace: impl Fn(&T) -> bool,
    matches: impl Fn(&T) -> bool,
) -> Option<&'static str> {
    if !in_namespace(&event.object) {
        return None;
    }
    let now = matches(&event.object);
    let before = event.previous.as_ref().is_some_and(&matches);
    event_kind(event.event, before, now)
}

/// What a watch's `poll` (see [`stream`]) makes of the changes after its cursor, for any
/// resource: the new cursor (the last change's resourceVersion) and a line (`line(kind,
/// object)`) for each change the watcher sees ([`visible`]); the `Status` of the ERROR event
/// when the changes left the window.
pub(crate) fn changes_seen<T>(
    changes: Result<Vec<Event<T>>, KubeError>,
    cursor: u64,
    in_namespace: impl Fn(&T) -> bool,
    matches: impl Fn(&T) -> bool,
    line: impl Fn(&'static str, &T) -> Bytes,
) -> Result<(u64, Vec<Bytes>), Box<Status>> {
    let changes = changes.map_err(|e| e.status)?;
    let mut after = cursor;
    let mut lines = Vec::new();
    for change in &changes {
        after = after.max(change.resource_version);
        if let Some(kind) = visible(change, &in_namespace, &matches) {
            lines.push(line(kind, &change.object));
        }
    }
    Ok((after, lines))
}

async fn run(kube: KubeHandle, watch: Watch, tx: mpsc::Sender<Bytes>) {
    let table = watch.options.table;
    let feed = Feed {
        changes: kube.subscribe(),
        initial: watch
            .initial
            .iter()
            .map(|pod| event_line("ADDED", pod, table))
            .collect(),
        cursor: watch.cursor,
        options: watch.options,
        kind: ("Pod", "v1"),
        bookmark_every: Duration::from_millis(kube.scenario().bookmark_ms.max(1)),
    };
    let namespace = watch.namespace;
    let selector = watch.selector;
    let poll = |cursor: u64| {
        changes_seen(
            kube.read(|s| s.events_after(cursor)),
            cursor,
            |pod: &Pod| {
                namespace
                    .as_deref()
                    .is_none_or(|ns| pod.metadata.namespace.as_deref() == Some(ns))
            },
            |pod| selector.matches_pod(pod),
            |kind, pod| event_line(kind, pod, table),
        )
    };
    stream(feed, poll, tx).await;
}

/// Serves a watch: the initial lines, then whatever `poll` makes of the changes after the
/// cursor each time the store changes (`poll(cursor)` returns the new cursor and the lines to
/// send, or the `Status` of an ERROR event that ends the watch), BOOKMARKs when asked for,
/// until the deadline or the client leaves.
pub(crate) async fn stream<P>(feed: Feed, mut poll: P, tx: mpsc::Sender<Bytes>)
where
    P: FnMut(u64) -> Result<(u64, Vec<Bytes>), Box<Status>>,
{
    let Feed {
        mut changes,
        options,
        initial,
        mut cursor,
        kind,
        bookmark_every,
    } = feed;
    for added in initial {
        if tx.send(added).await.is_err() {
            return;
        }
    }
    if options.send_initial && tx.send(bookmark_line(kind, cursor, true)).await.is_err() {
        return;
    }
    let mut next_bookmark = Instant::now() + bookmark_every;
    loop {
        changes.borrow_and_update();
        match poll(cursor) {
            Err(expired) => {
                let _ = tx.send(error_line(&expired)).await;
                return;
            }
            Ok((after, lines)) => {
                cursor = after;
                for line in lines {
                    if tx.send(line).await.is_err() {
                        return;
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
            () = tokio::time::sleep_until(options.deadline) => return,
            () = tx.closed() => return,
            () = tokio::time::sleep_until(next_bookmark), if options.bookmarks => {
                next_bookmark = Instant::now() + bookmark_every;
                if tx.send(bookmark_line(kind, cursor, false)).await.is_err() {
                    return;
                }
            }
        }
    }
}
