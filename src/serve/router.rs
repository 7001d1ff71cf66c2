//! The service's HTTP routes: `POST /webhook` (a GitHub delivery), `GET /healthz` and
//! `GET /readyz`. A delivery's body is read up to [`MAX_BODY`] (413 above), its
//! `X-Hub-Signature-256` checked before the body is parsed (401 and nothing done when missing
//! or wrong), each `X-GitHub-Delivery` taken once, and a command handed to [`Start`] at once
//! (202): the action runs in the background, not in the request. Headers as GitHub sends them:
//! <https://docs.github.com/en/webhooks/webhook-events-and-payloads#delivery-headers>.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::Router;

use super::deliveries::Deliveries;
use super::event::{classify, Verdict};
use super::signature::{Verifier, HEADER};
use crate::chatops::ChatCommand;

/// Largest delivery body read. GitHub caps payloads at 25 MB
/// (<https://docs.github.com/en/webhooks/webhook-events-and-payloads#payload-cap>); an
/// `issue_comment` is far smaller (a comment is at most 65536 characters), so 1 MiB.
pub const MAX_BODY: usize = 1024 * 1024;

/// Delivery IDs remembered (the bounded in-memory set of [`Deliveries`]).
pub const DELIVERIES_KEPT: usize = 10_000;

/// A command taken from a comment: PR, the commenter, the command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken {
    pub pr: u64,
    pub user: String,
    pub cmd: ChatCommand,
    pub delivery: String,
}

/// What starts a taken command in the background (returns at once). The hook for the
/// commenter's permission check and the reactions (issue #17 points 3, 4) is here.
pub type Start = Arc<dyn Fn(Taken) + Send + Sync>;

/// What the routes share.
pub struct Hooks {
    pub verifier: Verifier,
    /// The service's own GitHub login: its comments never command it.
    pub own_login: Option<String>,
    pub deliveries: Deliveries,
    pub start: Start,
}

/// The service's routes over `hooks`.
pub fn router(hooks: Arc<Hooks>) -> Router {
    Router::new()
        .route("/webhook", post(webhook))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(|| async { "ready\n" }))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(hooks)
}

async fn webhook(
    State(hooks): State<Arc<Hooks>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let signature = headers.get(HEADER).map(|v| v.as_bytes());
    if hooks.verifier.verify(signature, &body).is_err() {
        return (StatusCode::UNAUTHORIZED, "bad signature\n".into());
    }
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let event = header("X-GitHub-Event");
    let delivery = header("X-GitHub-Delivery");
    if delivery.is_empty() {
        return (StatusCode::BAD_REQUEST, "no X-GitHub-Delivery\n".into());
    }
    if !hooks.deliveries.first_time(&delivery) {
        return (StatusCode::OK, "delivery already handled\n".into());
    }
    match classify(&event, &body, hooks.own_login.as_deref()) {
        Verdict::Ping => (StatusCode::OK, "pong\n".into()),
        Verdict::Ignore(reason) => (StatusCode::OK, format!("ignored: {reason}\n")),
        Verdict::Command { pr, user, cmd } => {
            (hooks.start)(Taken {
                pr,
                user,
                cmd,
                delivery,
            });
            (StatusCode::ACCEPTED, "accepted\n".into())
        }
    }
}

#[cfg(test)]
#[path = "router_tests.rs"]
mod tests;
