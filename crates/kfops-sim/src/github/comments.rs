//! Issue comments of pull requests (GitHub serves them under `/issues`).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use super::http::{created, find_pull, paginate, ApiError, Req};
use super::list_params;
use super::render::Render;
use super::GithubHandle;

const LIST_COMMENTS_DOC: &str = "https://docs.github.com/rest/issues/comments#list-issue-comments";
const CREATE_COMMENT_DOC: &str =
    "https://docs.github.com/rest/issues/comments#create-an-issue-comment";

/// `issues/list-comments`: oldest first, `since` keeps comments updated at or after it.
pub async fn list_comments(
    State(gh): State<GithubHandle>,
    Path((owner, repo, number)): Path<(String, String, String)>,
    req: Req,
) -> Result<Response, ApiError> {
    let since = list_params::since(&req);
    gh.read(|s| {
        let number = find_pull(s, &owner, &repo, &number, LIST_COMMENTS_DOC)?;
        let comments: Vec<_> = s
            .comments_of(number)
            .filter(|c| since.is_none_or(|t| c.updated_at >= t))
            .collect();
        let render = Render::new(s, req.api());
        Ok(paginate(comments, &req, 30).into_response(|c| render.comment(c)))
    })
}

/// `issues/create-comment`: `{"body": "..."}` -> 201 with the comment and a `Location`.
pub async fn create_comment(
    State(gh): State<GithubHandle>,
    Path((owner, repo, number)): Path<(String, String, String)>,
    req: Req,
    body: Bytes,
) -> Result<Response, ApiError> {
    gh.update(|s| {
        let number = find_pull(s, &owner, &repo, &number, CREATE_COMMENT_DOC)?;
        let text = comment_body(&body)?;
        let viewer = s.viewer.clone();
        let comment = s
            .add_comment(number, &viewer, &text)
            .ok_or_else(|| ApiError::not_found(CREATE_COMMENT_DOC))?;
        Ok(created(&Render::new(s, req.api()).comment(&comment)))
    })
}

/// The `body` of a create-comment request, or GitHub's error for it.
fn comment_body(raw: &[u8]) -> Result<String, ApiError> {
    let value: Value = serde_json::from_slice(raw).map_err(|_| {
        ApiError::message(
            StatusCode::BAD_REQUEST,
            "Problems parsing JSON",
            CREATE_COMMENT_DOC,
        )
    })?;
    match value.get("body") {
        None | Some(Value::Null) => Err(ApiError::message(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid request.\n\n\"body\" wasn't supplied.",
            CREATE_COMMENT_DOC,
        )),
        Some(Value::String(text)) if text.trim().is_empty() => Err(ApiError::invalid_field(
            "IssueComment",
            "body",
            "missing_field",
            CREATE_COMMENT_DOC,
        )),
        Some(Value::String(text)) => Ok(text.clone()),
        Some(_) => Err(ApiError::message(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid request.\n\nFor 'properties/body', is not a string.",
            CREATE_COMMENT_DOC,
        )),
    }
}
