//! The OAuth scope headers GitHub adds to every answer to a classic token: `x-oauth-scopes`
//! (what the token has, comma-separated) and `x-accepted-oauth-scopes` (what the operation
//! would accept). Fine-grained tokens get neither: the scenario says so with an empty
//! `github.token_scopes`.

use axum::http::{HeaderMap, HeaderName, HeaderValue};

/// Adds the scope headers for a request that presented a token with `scopes`.
pub fn add_headers(headers: &mut HeaderMap, scopes: &[String]) {
    if scopes.is_empty() {
        return;
    }
    if let Ok(value) = HeaderValue::from_str(&scopes.join(", ")) {
        headers.insert(HeaderName::from_static("x-oauth-scopes"), value);
        headers.insert(
            HeaderName::from_static("x-accepted-oauth-scopes"),
            HeaderValue::from_static(""),
        );
    }
}
