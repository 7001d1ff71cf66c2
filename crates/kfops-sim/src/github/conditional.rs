//! GitHub's conditional requests and primary rate-limit accounting.
//!
//! - Every `GET` answered 200 carries an `ETag` (a hash of the body). A `GET` whose
//!   `If-None-Match` names the current one is answered `304 Not Modified` with no body.
//! - "Making a conditional request does not count against your primary rate limit if a 304
//!   response is returned and the request was made while correctly authorized with an
//!   Authorization header" (GitHub, "Best practices for using the REST API", Use conditional
//!   requests if appropriate:
//!   <https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate>).
//! - Past the limit GitHub answers 403 (or 429) with `x-ratelimit-remaining: 0` and the
//!   message "API rate limit exceeded …" ("Rate limits for the REST API", Exceeding the
//!   primary rate limit:
//!   <https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-primary-rate-limit>).

use std::hash::{DefaultHasher, Hash, Hasher};

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::http::ApiError;

/// Where GitHub's rate-limit errors point.
const RATE_LIMIT_DOCS: &str = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api";

/// The 403 GitHub sends once the primary limit is used up (the headers are added by the
/// GitHub layer, `x-ratelimit-remaining: 0` among them).
pub fn exhausted() -> Response {
    ApiError::message(
        StatusCode::FORBIDDEN,
        "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, \
         please include the request ID.",
        RATE_LIMIT_DOCS,
    )
    .into_response()
}

/// `response` with its `ETag` when `method` is GET and it is a 200; `304 Not Modified` (no
/// body, the same `ETag`) when `if_none_match` names it. The flag says whether it was a 304.
pub async fn with_etag(
    method: &Method,
    if_none_match: Option<HeaderValue>,
    response: Response,
) -> (Response, bool) {
    if method != Method::GET || response.status() != StatusCode::OK {
        return (response, false);
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR.into_response(), false);
    };
    let etag = etag_of(&bytes);
    let matches = if_none_match
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let Ok(value) = HeaderValue::from_str(&etag) else {
        return (Response::from_parts(parts, Body::from(bytes)), false);
    };
    parts.headers.insert(header::ETAG, value);
    if matches {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_LENGTH);
        parts.headers.remove(header::CONTENT_TYPE);
        return (Response::from_parts(parts, Body::empty()), true);
    }
    (Response::from_parts(parts, Body::from(bytes)), false)
}

/// The `If-None-Match` of a request, if any.
pub fn if_none_match(headers: &HeaderMap) -> Option<HeaderValue> {
    headers.get(header::IF_NONE_MATCH).cloned()
}

/// A weak validator over the body's bytes, as GitHub's `W/"…"`.
fn etag_of(body: &[u8]) -> String {
    let mut hasher = DefaultHasher::new();
    body.hash(&mut hasher);
    format!("W/\"{:016x}\"", hasher.finish())
}
