//! `/_sim/faults`: the fault rules at run time, as JSON.
//!
//! - `GET /_sim/faults` → `200 {"rules": [{"id", "service", "method"?, "path"?, "times"?,
//!   "fault", "left", "hits"}]}`;
//! - `POST /_sim/faults` with one rule (`{"service", "method"?, "path"?, "times"?, "fault":
//!   {"kind", ...}}`) → `201 {"id"}`, or `400 {"error"}` naming what is wrong;
//! - `DELETE /_sim/faults` → `204`, every rule gone; `DELETE /_sim/faults/{id}` → `204`, or
//!   `404` when there is no such rule.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde_json::json;

use super::{FaultRule, FaultsHandle};

/// The admin routes.
pub fn router(faults: FaultsHandle) -> Router {
    Router::new()
        .route("/_sim/faults", get(list).post(add).delete(clear))
        .route("/_sim/faults/{id}", delete(remove))
        .with_state(faults)
}

async fn list(State(faults): State<FaultsHandle>) -> Response {
    Json(json!({"rules": faults.rules()})).into_response()
}

async fn add(State(faults): State<FaultsHandle>, body: Bytes) -> Response {
    let rule: FaultRule = match serde_json::from_slice(&body) {
        Ok(rule) => rule,
        Err(e) => return bad_request(format!("not a fault rule: {e}")),
    };
    match faults.add(rule) {
        Ok(id) => (StatusCode::CREATED, Json(json!({"id": id}))).into_response(),
        Err(problem) => bad_request(problem),
    }
}

async fn clear(State(faults): State<FaultsHandle>) -> StatusCode {
    faults.clear();
    StatusCode::NO_CONTENT
}

async fn remove(State(faults): State<FaultsHandle>, Path(id): Path<u64>) -> Response {
    if faults.remove(id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        (
            StatusCode::NOT_FOUND,
            Json(json!({"error": format!("no fault rule {id}")})),
        )
            .into_response()
    }
}

fn bad_request(error: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": error}))).into_response()
}
