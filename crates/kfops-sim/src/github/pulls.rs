//! `GET /repos/{owner}/{repo}/pulls`, `GET` and `PATCH /repos/{owner}/{repo}/pulls/{pull_number}`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Duration, Utc};
use serde_json::Value;

use super::http::{check_repo, find_pull, json_body, json_response, paginate, ApiError, Req};
use super::list_params;
use super::render::Render;
use super::state::{now_secs, Pull};
use super::GithubHandle;
use crate::scenario::PullStatus;

const LIST_DOC: &str = "https://docs.github.com/rest/pulls/pulls#list-pull-requests";
const GET_DOC: &str = "https://docs.github.com/rest/pulls/pulls#get-a-pull-request";
const UPDATE_DOC: &str = "https://docs.github.com/rest/pulls/pulls#update-a-pull-request";

/// How the list is ordered.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sort {
    Created,
    Updated,
    Popularity,
    LongRunning,
}

/// `pulls/list`.
pub async fn list(
    State(gh): State<GithubHandle>,
    Path((owner, repo)): Path<(String, String)>,
    req: Req,
) -> Result<Response, ApiError> {
    let invalid = |field: &str| ApiError::invalid_field("PullRequest", field, "invalid", LIST_DOC);
    let wanted_state = list_params::state(&req, invalid)?;
    let sort = match req.param("sort").unwrap_or("created") {
        "created" => Sort::Created,
        "updated" => Sort::Updated,
        "popularity" => Sort::Popularity,
        "long-running" => Sort::LongRunning,
        _ => return Err(invalid("sort")),
    };
    // GitHub: "desc when sort is created or sort is not specified, otherwise asc".
    let descending = list_params::descending(&req, sort == Sort::Created, invalid)?;
    gh.read(|s| {
        check_repo(s, &owner, &repo)?;
        // `head` is `user:ref-name`; a bare ref is accepted too.
        let head = req.param("head").map(|h| match h.split_once(':') {
            Some((user, name)) => (Some(user), name),
            None => (None, h),
        });
        let now = Utc::now();
        let mut pulls: Vec<&Pull> = s
            .pulls
            .values()
            .filter(|p| wanted_state.is_none_or(|st| p.state == st))
            .filter(|p| req.param("base").is_none_or(|b| p.base_ref == b))
            .filter(|p| {
                head.is_none_or(|(user, name)| {
                    p.head_ref == name && user.is_none_or(|u| u.eq_ignore_ascii_case(&s.repo.owner))
                })
            })
            .filter(|p| {
                sort != Sort::LongRunning
                    || (now - p.created_at > Duration::days(30)
                        && now - p.updated_at < Duration::days(30))
            })
            .collect();
        let comments = |p: &Pull| s.comments_of(p.number).count();
        list_params::sort_pulls(&mut pulls, descending, |a, b| match sort {
            Sort::Created | Sort::LongRunning => a.created_at.cmp(&b.created_at),
            Sort::Updated => a.updated_at.cmp(&b.updated_at),
            Sort::Popularity => comments(a).cmp(&comments(b)),
        });
        let render = Render::new(s, req.api());
        Ok(paginate(pulls, &req, 30).into_response(|p| render.pull_simple(p)))
    })
}

/// `pulls/get`.
pub async fn get(
    State(gh): State<GithubHandle>,
    Path((owner, repo, number)): Path<(String, String, String)>,
    req: Req,
) -> Result<Response, ApiError> {
    gh.read(|s| {
        let number = find_pull(s, &owner, &repo, &number, GET_DOC)?;
        let pull = s
            .pulls
            .get(&number)
            .ok_or_else(|| ApiError::not_found(GET_DOC))?;
        let body = Render::new(s, req.api()).pull_full(pull);
        Ok(json_response(StatusCode::OK, &body))
    })
}

/// `pulls/update`: `title`, `body`, `state` (`closed` closes it as the viewer; a merged PR
/// cannot be reopened) and `base` (only the default branch exists); 200 with the PR.
pub async fn update(
    State(gh): State<GithubHandle>,
    Path((owner, repo, number)): Path<(String, String, String)>,
    req: Req,
    body: Bytes,
) -> Result<Response, ApiError> {
    gh.update(|s| {
        let number = find_pull(s, &owner, &repo, &number, UPDATE_DOC)?;
        let body = json_body(&body, UPDATE_DOC)?;
        let fields = match &body {
            Value::Object(map) => map.clone(),
            Value::Null => serde_json::Map::new(),
            other => {
                return Err(ApiError::invalid_request(
                    &format!("{other} is not an object."),
                    UPDATE_DOC,
                ))
            }
        };
        let text = |key: &str| match fields.get(key) {
            None => Ok(None),
            Some(Value::String(t)) => Ok(Some(t.clone())),
            Some(other) => Err(ApiError::invalid_request(
                &format!("For 'properties/{key}', {other} is not a string."),
                UPDATE_DOC,
            )),
        };
        let invalid =
            |field: &str| ApiError::invalid_field("PullRequest", field, "invalid", UPDATE_DOC);
        let (title, text_body, state, base) =
            (text("title")?, text("body")?, text("state")?, text("base")?);
        let state = match state.as_deref() {
            None => None,
            Some("open") => Some(PullStatus::Open),
            Some("closed") => Some(PullStatus::Closed),
            Some(_) => return Err(invalid("state")),
        };
        if title.as_deref().is_some_and(|t| t.trim().is_empty()) {
            return Err(ApiError::invalid_field(
                "PullRequest",
                "title",
                "missing_field",
                UPDATE_DOC,
            ));
        }
        if let Some(base) = &base {
            let current = s.pulls.get(&number).map(|p| p.base_ref.as_str());
            if *base != s.repo.default_branch && Some(base.as_str()) != current {
                return Err(invalid("base"));
            }
        }
        if let Some(state) = state {
            s.set_pull_state(number, state).map_err(|code| {
                ApiError::invalid_field("PullRequest", "state", code, UPDATE_DOC)
            })?;
        }
        let pull = s
            .pulls
            .get_mut(&number)
            .ok_or_else(|| ApiError::not_found(UPDATE_DOC))?;
        if let Some(title) = title {
            pull.title = title;
        }
        if let Some(text_body) = text_body {
            pull.body = Some(text_body);
        }
        if let Some(base) = base {
            pull.base_ref = base;
        }
        pull.updated_at = now_secs();
        let pull = pull.clone();
        Ok(json_response(
            StatusCode::OK,
            &Render::new(s, req.api()).pull_full(&pull),
        ))
    })
}
