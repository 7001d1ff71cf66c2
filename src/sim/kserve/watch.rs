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
use super::store::IsvcEvent;
use super::{table, KserveHandle};
use crate::sim::kube::select::Selector;
use crate::sim::kube::status::{streaming, KubeError, Params};
use crate::sim::kube::watch::{line, stream, Feed, WatchOptions};

fn event_line(kind: &str, object: &Value, as_table: bool) -> Bytes {
    if as_table {
        let rows = table::isvc_table(std::slice::from_ref(object), json!({}), Utc::now());
        return line(&json!({"type": kind, "object": rows}));
    }
    line(&json!({"type": kind, "object": object}))
}

/// What a watcher with these selectors sees of one change, if anything.
fn visible<'a>(
    event: &'a IsvcEvent,
    namespace: Option<&str>,
    selector: &Selector,
) -> Option<(&'static str, &'a Value)> {
    let in_namespace = |o: &Value| namespace.is_none_or(|ns| o["metadata"]["namespace"] == ns);
    if !in_namespace(&event.object) {
        return None;
    }
    let now = selector.matches_object(&event.object);
    let before = event
        .previous
        .as_ref()
        .is_some_and(|o| selector.matches_object(o));
    let kind = crate::sim::kube::watch::event_kind(event.event, before, now)?;
    Some((kind, &event.object))
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
        let events = kserve
            .read(|s| s.events_after(cursor))
            .map_err(|e| e.status)?;
        let mut after = cursor;
        let mut lines = Vec::new();
        for event in &events {
            after = after.max(event.resource_version);
            if let Some((kind, object)) = visible(event, namespace.as_deref(), &selector) {
                lines.push(event_line(kind, object, as_table));
            }
        }
        Ok((after, lines))
    };
    let (tx, response) = streaming("application/json;stream=watch");
    tokio::spawn(stream(feed, poll, tx));
    Ok(response)
}
