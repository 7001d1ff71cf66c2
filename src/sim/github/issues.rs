//! Issue comments and labels of pull requests (GitHub serves both under `/issues`), and the
//! repository's labels.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::http::{json_response, paginate, ApiError, Req, DOCS};
use super::render::Render;
use super::state::GithubState;
use super::GithubHandle;

const LIST_COMMENTS_DOC: &str = "https://docs.github.com/rest/issues/comments#list-issue-comments";
const CREATE_COMMENT_DOC: &str =
    "https://docs.github.com/rest/issues/comments#create-an-issue-comment";
const ISSUE_LABELS_DOC: &str =
    "https://docs.github.com/rest/issues/labels#list-labels-for-an-issue";
const GET_LABEL_DOC: &str = "https://docs.github.com/rest/issues/labels#get-a-label";

/// The PR number of `/issues/{issue_number}` if the repository and the PR exist.
fn issue(
    s: &GithubState,
    owner: &str,
    repo: &str,
    number: &str,
    doc: &str,
) -> Result<u64, ApiError> {
    if !s.is_repo(owner, repo) {
        return Err(ApiError::not_found(DOCS));
    }
    number
        .parse::<u64>()
        .ok()
        .filter(|n| s.pulls.contains_key(n))
        .ok_or_else(|| ApiError::not_found(doc))
}

/// `issues/list-comments`: oldest first, `since` keeps comments updated at or after it.
pub async fn list_comments(
    State(gh): State<GithubHandle>,
    Path((owner, repo, number)): Path<(String, String, String)>,
    req: Req,
) -> Result<Response, ApiError> {
    // GitHub ignores a `since` it cannot read rather than failing the request.
    let since = req
        .param("since")
        .and_then(|v| DateTime::parse_from_rfc3339(v).ok())
        .map(|t| t.with_timezone(&Utc));
    gh.read(|s| {
        let number = issue(s, &owner, &repo, &number, LIST_COMMENTS_DOC)?;
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
        let number = issue(s, &owner, &repo, &number, CREATE_COMMENT_DOC)?;
        let text = comment_body(&body)?;
        let viewer = s.viewer.clone();
        let comment = s
            .add_comment(number, &viewer, &text)
            .ok_or_else(|| ApiError::not_found(CREATE_COMMENT_DOC))?;
        let value = Render::new(s, req.api()).comment(&comment);
        let mut response = json_response(StatusCode::CREATED, &value);
        if let Some(location) = value
            .get("url")
            .and_then(Value::as_str)
            .and_then(|u| HeaderValue::from_str(u).ok())
        {
            response.headers_mut().insert(header::LOCATION, location);
        }
        Ok(response)
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

/// `issues/list-labels-on-issue`.
pub async fn list_issue_labels(
    State(gh): State<GithubHandle>,
    Path((owner, repo, number)): Path<(String, String, String)>,
    req: Req,
) -> Result<Response, ApiError> {
    gh.read(|s| {
        let number = issue(s, &owner, &repo, &number, ISSUE_LABELS_DOC)?;
        let render = Render::new(s, req.api());
        let labels = s
            .pulls
            .get(&number)
            .map(|p| render.labels_of(p))
            .unwrap_or_default();
        Ok(paginate(labels, &req, 30).into_response(Value::clone))
    })
}

/// `issues/list-labels-for-repo`.
pub async fn list_repo_labels(
    State(gh): State<GithubHandle>,
    Path((owner, repo)): Path<(String, String)>,
    req: Req,
) -> Result<Response, ApiError> {
    gh.read(|s| {
        if !s.is_repo(&owner, &repo) {
            return Err(ApiError::not_found(DOCS));
        }
        let render = Render::new(s, req.api());
        Ok(paginate(s.labels.iter().collect(), &req, 30).into_response(|l| render.label(l)))
    })
}

/// `issues/get-label`.
pub async fn get_label(
    State(gh): State<GithubHandle>,
    Path((owner, repo, name)): Path<(String, String, String)>,
    req: Req,
) -> Result<Response, ApiError> {
    gh.read(|s| {
        if !s.is_repo(&owner, &repo) {
            return Err(ApiError::not_found(DOCS));
        }
        let label = s
            .label(&name)
            .ok_or_else(|| ApiError::not_found(GET_LABEL_DOC))?;
        Ok(json_response(
            StatusCode::OK,
            &Render::new(s, req.api()).label(label),
        ))
    })
}
