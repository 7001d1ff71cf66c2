//! The labels of one pull request, under `/issues/{issue_number}/labels` as on GitHub: list,
//! add (`POST`), set (`PUT`), remove one and remove all. Naming a label the repository lacks
//! defines it (grey), as GitHub does.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use super::http::{find_pull, json_body, json_response, no_content, paginate, ApiError, Req};
use super::render::Render;
use super::state::GithubState;
use super::GithubHandle;

const LIST_DOC: &str = "https://docs.github.com/rest/issues/labels#list-labels-for-an-issue";
const ADD_DOC: &str = "https://docs.github.com/rest/issues/labels#add-labels-to-an-issue";
const SET_DOC: &str = "https://docs.github.com/rest/issues/labels#set-labels-for-an-issue";
const REMOVE_DOC: &str = "https://docs.github.com/rest/issues/labels#remove-a-label-from-an-issue";
const REMOVE_ALL_DOC: &str =
    "https://docs.github.com/rest/issues/labels#remove-all-labels-from-an-issue";

/// The labels of a PR as a JSON array.
fn labels_json(s: &GithubState, req: &Req, number: u64) -> Value {
    let render = Render::new(s, req.api());
    Value::Array(
        s.pulls
            .get(&number)
            .map(|p| render.labels_of(p))
            .unwrap_or_default(),
    )
}

/// `issues/list-labels-on-issue`.
pub async fn list(
    State(gh): State<GithubHandle>,
    Path((owner, repo, number)): Path<(String, String, String)>,
    req: Req,
) -> Result<Response, ApiError> {
    gh.read(|s| {
        let number = find_pull(s, &owner, &repo, &number, LIST_DOC)?;
        let render = Render::new(s, req.api());
        let labels = s
            .pulls
            .get(&number)
            .map(|p| render.labels_of(p))
            .unwrap_or_default();
        Ok(paginate(labels, &req, 30).into_response(Value::clone))
    })
}

/// `issues/add-labels`: 200 with all the PR's labels.
pub async fn add(
    State(gh): State<GithubHandle>,
    Path((owner, repo, number)): Path<(String, String, String)>,
    req: Req,
    body: Bytes,
) -> Result<Response, ApiError> {
    gh.update(|s| {
        let number = find_pull(s, &owner, &repo, &number, ADD_DOC)?;
        let names = label_names(&json_body(&body, ADD_DOC)?, Form::Add)?;
        s.add_labels(number, &names);
        Ok(json_response(StatusCode::OK, &labels_json(s, &req, number)))
    })
}

/// `issues/set-labels`: replaces the PR's labels (an empty list clears them).
pub async fn set(
    State(gh): State<GithubHandle>,
    Path((owner, repo, number)): Path<(String, String, String)>,
    req: Req,
    body: Bytes,
) -> Result<Response, ApiError> {
    gh.update(|s| {
        let number = find_pull(s, &owner, &repo, &number, SET_DOC)?;
        let names = label_names(&json_body(&body, SET_DOC)?, Form::Set)?;
        s.set_labels(number, &names);
        Ok(json_response(StatusCode::OK, &labels_json(s, &req, number)))
    })
}

/// `issues/remove-label`: 200 with the labels left; 404 `Label does not exist` when the PR
/// does not carry it.
pub async fn remove(
    State(gh): State<GithubHandle>,
    Path((owner, repo, number, name)): Path<(String, String, String, String)>,
    req: Req,
) -> Result<Response, ApiError> {
    gh.update(|s| {
        let number = find_pull(s, &owner, &repo, &number, REMOVE_DOC)?;
        match s.remove_label(number, &name) {
            Some(true) => Ok(json_response(StatusCode::OK, &labels_json(s, &req, number))),
            _ => Err(ApiError::message(
                StatusCode::NOT_FOUND,
                "Label does not exist",
                REMOVE_DOC,
            )),
        }
    })
}

/// `issues/remove-all-labels`: 204.
pub async fn remove_all(
    State(gh): State<GithubHandle>,
    Path((owner, repo, number)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    gh.update(|s| {
        let number = find_pull(s, &owner, &repo, &number, REMOVE_ALL_DOC)?;
        s.set_labels(number, &[]);
        Ok(no_content())
    })
}

/// Which operation a label list is for: their accepted body forms differ.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    Add,
    Set,
}

/// The label names of an add or set body: `{"labels": [...]}` or a bare array, items being
/// names or `{"name": ...}` objects; set also takes a single name as a bare string.
fn label_names(body: &Value, form: Form) -> Result<Vec<String>, ApiError> {
    let doc = match form {
        Form::Add => ADD_DOC,
        Form::Set => SET_DOC,
    };
    let invalid = |detail: String| ApiError::invalid_request(&detail, doc);
    let items = match body {
        Value::Object(object) => match object.get("labels") {
            None | Some(Value::Null) => {
                return Err(invalid("\"labels\" wasn't supplied.".to_owned()))
            }
            Some(Value::Array(items)) if items.is_empty() && form == Form::Add => {
                return Err(invalid(
                    "For 'properties/labels', [] has fewer items than 1.".to_owned(),
                ))
            }
            Some(Value::Array(items)) => items,
            Some(other) => {
                return Err(invalid(format!(
                    "For 'properties/labels', {other} is not an array."
                )))
            }
        },
        Value::Array(items) => items,
        Value::String(name) if form == Form::Set => return Ok(vec![name.clone()]),
        Value::Null => return Err(invalid("\"labels\" wasn't supplied.".to_owned())),
        other => {
            return Err(invalid(format!(
                "{other} is not an object or an array of labels."
            )))
        }
    };
    items
        .iter()
        .map(|item| {
            let name = match item {
                Value::String(name) => Some(name.as_str()),
                Value::Object(object) => object.get("name").and_then(Value::as_str),
                _ => None,
            };
            match name {
                Some(name) if !name.trim().is_empty() => Ok(name.trim().to_owned()),
                Some(_) => Err(ApiError::invalid_field(
                    "Label",
                    "name",
                    "missing_field",
                    doc,
                )),
                None => Err(invalid(format!(
                    "For 'items', {item} is not a label name or an object with a name."
                ))),
            }
        })
        .collect()
}
