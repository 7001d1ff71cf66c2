//! The answers a fault puts in place of the real one, shaped as each service's spec says:
//! GitHub's `{message, documentation_url}` (with its rate-limit headers), Kubernetes'
//! `metav1.Status`, KFP's `googleRpcStatus` (`{code, message, details}`).

use std::io;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use chrono::Utc;
use futures::stream::{self, StreamExt};
use serde_json::{json, Value};

use super::rule::SimService;

/// GitHub's documentation links in error bodies.
const GITHUB_DOCS: &str = "https://docs.github.com/rest";
const GITHUB_RATE_DOCS: &str = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api";
const GITHUB_MERGE_DOCS: &str = "https://docs.github.com/rest/pulls/pulls#merge-a-pull-request";
/// How long a cut body waits between its last bytes and the error, so hyper flushes them.
const FLUSH_PAUSE: Duration = Duration::from_millis(2);

/// An error answer with the service's body for `status`.
pub fn error(service: SimService, status: u16, message: Option<&str>, path: &str) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let message = message.map_or_else(|| default_message(service, code, path), str::to_owned);
    let docs = if path.ends_with("/merge") {
        GITHUB_MERGE_DOCS
    } else {
        GITHUB_DOCS
    };
    json_response(code, &body(service, code, &message, docs))
}

/// The service's error body.
fn body(service: SimService, code: StatusCode, message: &str, docs: &str) -> Value {
    match service {
        SimService::Github => json!({"message": message, "documentation_url": docs}),
        SimService::Kfp => json!({
            "code": grpc_code(code),
            "message": message,
            "details": [],
        }),
        SimService::Kube | SimService::Kserve => kube_status(code, message),
    }
}

/// A `metav1.Status` failure.
pub fn kube_status(code: StatusCode, message: &str) -> Value {
    let reason = match code.as_u16() {
        405 => "MethodNotAllowed",
        409 => "Conflict",
        410 => "Expired",
        429 => "TooManyRequests",
        500 => "InternalError",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        403 => "Forbidden",
        404 => "NotFound",
        _ => "Unknown",
    };
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code.as_u16(),
    })
}

/// grpc-gateway's gRPC code for an HTTP status.
fn grpc_code(code: StatusCode) -> i32 {
    match code.as_u16() {
        400 => 3,
        401 => 16,
        403 => 7,
        404 => 5,
        409 => 6,
        429 => 8,
        501 => 12,
        503 => 14,
        504 => 4,
        _ => 13,
    }
}

fn default_message(service: SimService, code: StatusCode, path: &str) -> String {
    match (service, code.as_u16()) {
        (SimService::Github, 405) if path.ends_with("/merge") => {
            "Pull Request is not mergeable".to_owned()
        }
        (SimService::Github, 409) if path.ends_with("/merge") => {
            "Head branch was modified. Review and try the merge again.".to_owned()
        }
        (SimService::Github, s) if s >= 500 => "Server Error".to_owned(),
        (SimService::Kube | SimService::Kserve, s) if s >= 500 => {
            "the server is currently unable to handle the request".to_owned()
        }
        (_, _) => code.canonical_reason().unwrap_or("error").to_owned(),
    }
}

/// What a rate-limit answer carries.
pub struct RateLimit<'a> {
    pub status: u16,
    pub retry_after: Option<&'a str>,
    pub remaining: u64,
    pub limit: u64,
    pub reset_in_seconds: i64,
    pub resource: &'a str,
    pub secondary: bool,
}

/// A 429 or 403 rate-limit answer: `Retry-After` when set, GitHub's `x-ratelimit-*` headers
/// on GitHub.
pub fn rate_limited(service: SimService, limit: &RateLimit<'_>) -> Response {
    let code = StatusCode::from_u16(limit.status).unwrap_or(StatusCode::TOO_MANY_REQUESTS);
    let message = if limit.secondary {
        "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. \
         If you reach out to GitHub Support for help, please include the request ID."
            .to_owned()
    } else if service == SimService::Github {
        "API rate limit exceeded for user ID 1. (But here's the good news: Authenticated \
         requests get a higher rate limit.)"
            .to_owned()
    } else {
        "Too many requests, please try again later.".to_owned()
    };
    let mut body = body(service, code, &message, GITHUB_RATE_DOCS);
    // The API server repeats Retry-After in the Status (`details.retryAfterSeconds`).
    if let (SimService::Kube | SimService::Kserve, Some(secs)) = (
        service,
        limit.retry_after.and_then(|v| v.trim().parse::<u64>().ok()),
    ) {
        body["details"] = json!({"retryAfterSeconds": secs});
    }
    let mut response = json_response(code, &body);
    let headers = response.headers_mut();
    if let Some(value) = limit
        .retry_after
        .and_then(|v| HeaderValue::from_str(v).ok())
    {
        headers.insert(header::RETRY_AFTER, value);
    }
    if service == SimService::Github {
        let reset = Utc::now().timestamp() + limit.reset_in_seconds;
        let used = limit.limit.saturating_sub(limit.remaining);
        for (name, value) in [
            ("x-ratelimit-limit", limit.limit.to_string()),
            ("x-ratelimit-remaining", limit.remaining.to_string()),
            ("x-ratelimit-used", used.to_string()),
            ("x-ratelimit-reset", reset.to_string()),
            ("x-ratelimit-resource", limit.resource.to_owned()),
        ] {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
    }
    response
}

/// A watch request refused with 410 (its `resourceVersion` is too old).
pub fn gone(resource_version: &str) -> Response {
    let message = format!("too old resource version: {resource_version} (1000000)");
    json_response(StatusCode::GONE, &kube_status(StatusCode::GONE, &message))
}

/// A watch that answers one `ERROR` event with a 410 Expired `Status`, then ends.
pub fn gone_event() -> Response {
    let status = kube_status(StatusCode::GONE, "too old resource version: 1 (1000000)");
    let mut line = json!({"type": "ERROR", "object": status}).to_string();
    line.push('\n');
    let mut response = Response::new(Body::from(line));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;stream=watch"),
    );
    response
}

/// The response with its body aborted after `after_bytes` bytes (the client sees a broken
/// connection, never a clean end).
pub fn cut(response: Response, after_bytes: usize) -> Response {
    let (mut parts, body) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    let inner = body.into_data_stream();
    let body = stream::unfold(
        (inner, 0usize, false),
        move |(mut inner, sent, broken)| async move {
            if broken {
                return None;
            }
            if sent >= after_bytes {
                tokio::time::sleep(FLUSH_PAUSE).await;
                let err = io::Error::new(io::ErrorKind::ConnectionAborted, "fault: dropped");
                return Some((Err(err), (inner, sent, true)));
            }
            match inner.next().await {
                Some(Ok(chunk)) => {
                    let room = after_bytes - sent;
                    let chunk: Bytes = if chunk.len() > room {
                        chunk.slice(..room)
                    } else {
                        chunk
                    };
                    let sent = sent + chunk.len();
                    Some((Ok(chunk), (inner, sent, false)))
                }
                Some(Err(e)) => Some((Err(io::Error::other(e)), (inner, sent, true))),
                None => None,
            }
        },
    );
    Response::from_parts(parts, Body::from_stream(body))
}

fn json_response(code: StatusCode, body: &Value) -> Response {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = code;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}
