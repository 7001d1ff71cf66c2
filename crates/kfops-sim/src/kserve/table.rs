//! The Table `kubectl get isvc` asks for: Name, then the CRD's additionalPrinterColumns (URL,
//! Ready, Prev, Latest, PrevRolledoutRevision, LatestReadyRevision), then Age, as the API
//! server's CRD table convertor fills them (first match of each JSONPath; nothing: null).

use axum::response::Response;
use chrono::{DateTime, Utc};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use serde_json::{json, Value};

use crate::kube::table::{age, column, partial, table, NAME_DOC};

fn typed(name: &str, kind: &str) -> Value {
    let mut c = column(name, "", 0, "");
    c["type"] = json!(kind);
    c
}

/// The traffic target of the predictor matching `pick`.
fn target(object: &Value, pick: impl Fn(&Value) -> bool) -> Option<&Value> {
    object["status"]["components"]["predictor"]["traffic"]
        .as_array()?
        .iter()
        .find(|t| pick(t))
}

fn row(object: &Value, now: DateTime<Utc>) -> Value {
    let metadata: ObjectMeta =
        serde_json::from_value(object["metadata"].clone()).unwrap_or_default();
    let ready = object["status"]["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == "Ready"))
        .map_or(Value::Null, |c| c["status"].clone());
    let prev = target(object, |t| t["tag"] == "prev");
    let latest = target(object, |t| t["latestRevision"] == true);
    let field = |t: Option<&Value>, key: &str| t.map_or(Value::Null, |t| t[key].clone());
    let created: Option<Time> = metadata.creation_timestamp.clone();
    json!({
        "cells": [
            metadata.name.clone().unwrap_or_default(),
            object["status"].get("url").cloned().unwrap_or(Value::Null),
            ready,
            field(prev, "percent"),
            field(latest, "percent"),
            field(prev, "revisionName"),
            field(latest, "revisionName"),
            age(created.as_ref(), now),
        ],
        "object": partial(&metadata),
    })
}

/// The Table of these InferenceServices.
pub fn isvc_table(items: &[Value], metadata: Value, now: DateTime<Utc>) -> Value {
    let columns = vec![
        column("Name", "name", 0, NAME_DOC),
        typed("URL", "string"),
        typed("Ready", "string"),
        typed("Prev", "integer"),
        typed("Latest", "integer"),
        typed("PrevRolledoutRevision", "string"),
        typed("LatestReadyRevision", "string"),
        typed("Age", "date"),
    ];
    let rows = items.iter().map(|o| row(o, now)).collect();
    let mut out = table(columns, rows, Default::default());
    out["metadata"] = metadata;
    out
}

/// A Table response.
pub fn respond(items: &[Value], metadata: Value, now: DateTime<Utc>) -> Response {
    crate::kube::table::respond(&isvc_table(items, metadata, now))
}
