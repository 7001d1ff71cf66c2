//! `GET /user`: the authenticated user (the scenario's `viewer`), which the console asks once to
//! name the operator in its audit log. Without credentials GitHub answers 401.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::http::{json_response, ApiError, Req};
use super::render::Render;
use super::GithubHandle;

const DOC: &str = "https://docs.github.com/rest/users/users#get-the-authenticated-user";

/// `users/get-authenticated`: the viewer as a `simple-user`, or 401 without a token (a wrong
/// token is refused before this, by the layer checking the scenario's token).
pub async fn get(
    State(gh): State<GithubHandle>,
    headers: HeaderMap,
    req: Req,
) -> Result<Response, ApiError> {
    if super::presented_token(&headers).is_none() {
        return Err(ApiError::message(
            StatusCode::UNAUTHORIZED,
            "Requires authentication",
            DOC,
        ));
    }
    Ok(gh.read(|s| json_response(StatusCode::OK, &Render::new(s, req.api()).user(&s.viewer))))
}
