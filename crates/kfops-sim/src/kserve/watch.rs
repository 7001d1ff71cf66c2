//! Watches of InferenceService lists (`?watch=true`), served by the Kubernetes simulator's
//! watch machinery: the same parameters (`resourceVersion`, `sendInitialEvents`,
//! `allowWatchBookmarks`, `timeoutSeconds`), 410 Expired for a resourceVersion that left the
//! window, BOOKMARKs, and selectors applied to both sides of a change.

use std::time::Duration;

use axum::body::Bytes;
use axum::response::Response;
use chrono::Utc;
use serde_json::{json, Value};

use super::isvc::{API_VERSION, KIND};
use super::{table, KserveHandle};
use crate::kube::select::Selector;
use crate::kube::status::{streaming, KubeError, Params};
use crate::kube::watch::{changes_seen, line, stream, Feed, WatchOptions};

fn event_line(kind: &str, object: &Value, as_table: bool) -> Bytes {
    if as_table {
        let rows = table::isvc_table(std::slice::from_ref(object), json!({}), Utc::now());
        return line(&json!({"type": kind, "object": rows}));
    }
    line(&json!({"type": kind, "object": object}))
}

/// Starts a watch of the InferenceServices of `namespace` (`None`: all namespaces).
pub fn isvcs(
    kserve: KserveHandle,
    namespace: Option<String>,
    params: &Params,
) -> Result<Response, KubeError> {
    let selector = Selector::for_objects(params)?;
    let options = WatchOptions::parse(params)?;
    let as_table = options.table;
    let changes = kserve.subscribe();
    let (cursor, initial) = kserve.read(|s| match options.requested {
        Some(rv) if !options.lists_first() => (rv, Vec::new()),
        _ => {
            let lines = s
                .objects(namespace.as_deref())
                .filter(|o| selector.matches_object(o))
                .map(|o| event_line("ADDED", o, as_table))
                .collect();
            (s.resource_version(), lines)
        }
    });
    let feed = Feed {
        changes,
        options,
        initial,
        cursor,
        kind: (KIND, API_VERSION),
        bookmark_every: Duration::from_millis(kserve.bookmark_ms()),
    };
    let poll = move |cursor: u64| {
        changes_seen(
            kserve.read(|s| s.events_after(cursor)),
            cursor,
            |o: &Value| {
                namespace
                    .as_deref()
                    .is_none_or(|ns| o["metadata"]["namespace"] == ns)
            },
            |o| selector.matches_object(o),
            |kind, o| event_line(kind, o, as_table),
        )
    };
    let (tx, response) = streaming("application/json;stream=watch");
    tokio::spawn(stream(feed, poll, tx));
    Ok(response)
}
