//! Server-side printing: the `meta.k8s.io/v1` Table `kubectl get` asks for (`Accept:
//! application/json;as=Table;v=v1;g=meta.k8s.io`), with the API server's columns for pods
//! (NAME READY STATUS RESTARTS AGE, and IP NODE ... with `-o wide`) and namespaces.

use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::{Namespace, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ListMeta, ObjectMeta, Time};
use serde_json::{json, Value};

use super::status::json_as;

const TABLE_CONTENT_TYPE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io";

pub(crate) const NAME_DOC: &str =
    "Name must be unique within a namespace. Is required when creating \
resources, although some resources may allow a client to request the generation of an \
appropriate name automatically. Name is primarily intended for creation idempotence and \
configuration definition. Cannot be updated. More info: \
https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";

const AGE_DOC: &str = "CreationTimestamp is a timestamp representing the server time when \
this object was created. It is not guaranteed to be set in happens-before order across \
separate operations. Clients may not set this value. It is represented in RFC3339 form and is \
in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: \
https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

pub(crate) fn column(name: &str, format: &str, priority: i32, description: &str) -> Value {
    json!({
        "name": name,
        "type": "string",
        "format": format,
        "description": description,
        "priority": priority,
    })
}

pub(crate) fn table(columns: Vec<Value>, rows: Vec<Value>, metadata: ListMeta) -> Value {
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": columns,
        "rows": rows,
    })
}

pub(crate) fn respond(table: &Value) -> Response {
    json_as(StatusCode::OK, table, TABLE_CONTENT_TYPE)
}

/// The row's object: the metadata only (`includeObject=Metadata`, kubectl's default).
pub(crate) fn partial(metadata: &ObjectMeta) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
    })
}

pub(crate) fn age(created: Option<&Time>, now: DateTime<Utc>) -> String {
    match created {
        Some(t) => {
            let secs = now.timestamp() - t.0.as_second();
            human_duration(secs)
        }
        None => "<unknown>".to_owned(),
    }
}

/// A pods Table response.
pub fn pods(pods: &[Pod], metadata: ListMeta, now: DateTime<Utc>) -> Response {
    respond(&pods_table(pods, metadata, now))
}

/// A pods Table (also the object of each event of a watch that asked for Tables).
pub fn pods_table(pods: &[Pod], metadata: ListMeta, now: DateTime<Utc>) -> Value {
    let columns = vec![
        column("Name", "name", 0, NAME_DOC),
        column("Ready", "", 0, "The aggregate readiness state of this pod for accepting traffic."),
        column("Status", "", 0, "The aggregate status of the containers in this pod."),
        column("Restarts", "", 0, "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
        column("Age", "", 0, AGE_DOC),
        column("IP", "", 1, "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated."),
        column("Node", "", 1, "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for preemption by the scheduler."),
        column("Nominated Node", "", 1, "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods."),
        column("Readiness Gates", "", 1, "If specified, all readiness gates will be evaluated for pod readiness. More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates"),
    ];
    let rows = pods
        .iter()
        .map(|pod| {
            let (ready, total, reason) = pod_summary(pod);
            let status = pod.status.as_ref();
            let none = || "<none>".to_owned();
            json!({
                "cells": [
                    pod.metadata.name.clone().unwrap_or_default(),
                    format!("{ready}/{total}"),
                    reason,
                    restarts(pod, now),
                    age(pod.metadata.creation_timestamp.as_ref(), now),
                    status.and_then(|s| s.pod_ip.clone()).unwrap_or_else(none),
                    pod.spec.as_ref().and_then(|s| s.node_name.clone()).unwrap_or_else(none),
                    status.and_then(|s| s.nominated_node_name.clone()).unwrap_or_else(none),
                    none(),
                ],
                "object": partial(&pod.metadata),
            })
        })
        .collect();
    table(columns, rows, metadata)
}

/// RESTARTS as the API server prints it: the containers' restarts, and how long ago the last
/// restarted one last terminated (`2 (5s ago)`).
fn restarts(pod: &Pod, now: DateTime<Utc>) -> String {
    let statuses = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_deref())
        .unwrap_or_default();
    let total: i32 = statuses.iter().map(|c| c.restart_count).sum();
    let last = statuses
        .iter()
        .filter_map(|c| {
            c.last_state
                .as_ref()?
                .terminated
                .as_ref()?
                .finished_at
                .as_ref()
        })
        .max_by_key(|t| t.0);
    match last {
        Some(t) if total > 0 => format!("{total} ({} ago)", age(Some(t), now)),
        _ => total.to_string(),
    }
}

/// (ready containers, containers, STATUS) as kubectl prints them.
pub fn pod_summary(pod: &Pod) -> (usize, usize, String) {
    let total = pod.spec.as_ref().map_or(0, |s| s.containers.len());
    let status = pod.status.as_ref();
    let mut reason = status
        .and_then(|s| s.reason.clone().or_else(|| s.phase.clone()))
        .unwrap_or_default();
    let mut ready = 0;
    let mut has_running = false;
    let statuses = status
        .and_then(|s| s.container_statuses.as_deref())
        .unwrap_or_default();
    for c in statuses.iter().rev() {
        let state = c.state.as_ref();
        let waiting = state.and_then(|s| s.waiting.as_ref());
        let terminated = state.and_then(|s| s.terminated.as_ref());
        if let Some(why) = waiting.and_then(|w| w.reason.clone()) {
            reason = why;
        } else if let Some(t) = terminated {
            reason = match (&t.reason, t.signal) {
                (Some(why), _) => why.clone(),
                (None, Some(signal)) => format!("Signal:{signal}"),
                (None, None) => format!("ExitCode:{}", t.exit_code),
            };
        } else if c.ready && state.is_some_and(|s| s.running.is_some()) {
            has_running = true;
            ready += 1;
        }
    }
    if reason == "Completed" && has_running {
        reason = "Running".to_owned();
    }
    if pod.metadata.deletion_timestamp.is_some() {
        reason = "Terminating".to_owned();
    }
    (ready, total, reason)
}

/// A namespaces Table response.
pub fn namespaces(items: &[Namespace], metadata: ListMeta, now: DateTime<Utc>) -> Response {
    let columns = vec![
        column("Name", "name", 0, NAME_DOC),
        column("Status", "", 0, "The status of the namespace"),
        column("Age", "", 0, AGE_DOC),
    ];
    let rows = items
        .iter()
        .map(|ns| {
            json!({
                "cells": [
                    ns.metadata.name.clone().unwrap_or_default(),
                    ns.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_default(),
                    age(ns.metadata.creation_timestamp.as_ref(), now),
                ],
                "object": partial(&ns.metadata),
            })
        })
        .collect();
    respond(&table(columns, rows, metadata))
}

/// apimachinery's `duration.HumanDuration` (what the AGE column shows).
pub fn human_duration(seconds: i64) -> String {
    if seconds < -1 {
        return "<invalid>".to_owned();
    }
    if seconds < 0 {
        return "0s".to_owned();
    }
    if seconds < 120 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 180 {
        return format!("{minutes}m");
    }
    let hours = seconds / 3600;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{h}h", hours / 24)
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let days = (hours / 24) % 365;
        return if days == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{days}d", hours / 24 / 365)
        };
    }
    format!("{}y", hours / 24 / 365)
}

#[cfg(test)]
mod tests {
    use super::human_duration;

    #[test]
    fn ages_read_like_kubectl() {
        assert_eq!(human_duration(5), "5s");
        assert_eq!(human_duration(119), "119s");
        assert_eq!(human_duration(150), "2m30s");
        assert_eq!(human_duration(600), "10m");
        assert_eq!(human_duration(3 * 3600 + 120), "3h2m");
        assert_eq!(human_duration(30 * 3600), "30h");
        assert_eq!(human_duration(3 * 86400 + 3600), "3d1h");
        assert_eq!(human_duration(-5), "<invalid>");
    }
}
