//! Pull requests seen through the issues API, as GitHub shows them (schema `issue` with a
//! `pull_request` key): list with filters, get, and update (title, body, state, labels).
//! The simulated repository has no plain issues.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::http::{check_repo, find_pull, json_body, json_response, paginate, ApiError, Req};
use super::list_params;
use super::render::{time, Render};
use super::state::{now_secs, Pull};
use super::GithubHandle;
use crate::scenario::PullStatus;

const LIST_DOC: &str = "https://docs.github.com/rest/issues/issues#list-repository-issues";
const GET_DOC: &str = "https://docs.github.com/rest/issues/issues#get-an-issue";
const UPDATE_DOC: &str = "https://docs.github.com/rest/issues/issues#update-an-issue";

impl Render<'_> {
    /// `issue` for a pull request. `closed_by` is only in single-issue answers, like on GitHub.
    pub fn issue(&self, pull: &Pull, single: bool) -> Value {
        let api = self.repo_api();
        let web = self.repo_web();
        let n = pull.number;
        let mut value = json!({
            "url": format!("{api}/issues/{n}"),
            "repository_url": api,
            "labels_url": format!("{api}/issues/{n}/labels{{/name}}"),
            "comments_url": format!("{api}/issues/{n}/comments"),
            "events_url": format!("{api}/issues/{n}/events"),
            "html_url": format!("{web}/pull/{n}"),
            "id": pull.issue_id(),
            "node_id": format!("PR_kwDOK{}", pull.id()),
            "number": n,
            "title": pull.title,
            "user": self.user(&pull.author),
            "labels": self.labels_of(pull),
            "state": pull.state.as_str(),
            "locked": false,
            "assignee": null,
            "assignees": [],
            "milestone": null,
            "comments": self.state.comments_of(n).count(),
            "created_at": time(&pull.created_at),
            "updated_at": time(&pull.updated_at),
            "closed_at": pull.closed_at.as_ref().map(time),
            "author_association": self.association(&pull.author),
            "active_lock_reason": null,
            "draft": pull.draft,
            "pull_request": {
                "url": format!("{api}/pulls/{n}"),
                "html_url": format!("{web}/pull/{n}"),
                "diff_url": format!("{web}/pull/{n}.diff"),
                "patch_url": format!("{web}/pull/{n}.patch"),
                "merged_at": pull.merged_at.as_ref().map(time),
            },
            "body": pull.body,
            "reactions": {
                "url": format!("{api}/issues/{n}/reactions"),
                "total_count": 0, "+1": 0, "-1": 0, "laugh": 0, "hooray": 0,
                "confused": 0, "heart": 0, "rocket": 0, "eyes": 0,
            },
            "timeline_url": format!("{api}/issues/{n}/timeline"),
            "performed_via_github_app": null,
            "state_reason": null,
        });
        if single {
            value["closed_by"] = pull
                .closed_by
                .as_deref()
                .map_or(Value::Null, |login| self.user(login));
        }
        value
    }
}

/// How the list is ordered.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sort {
    Created,
    Updated,
    Comments,
}

/// `issues/list-for-repo`: `state`, `labels` (all of them, comma-separated), `creator`,
/// `since`, `sort`, `direction`, pagination. `assignee`/`milestone` other than `none` match
/// nothing: no PR has either.
pub async fn list(
    State(gh): State<GithubHandle>,
    Path((owner, repo)): Path<(String, String)>,
    req: Req,
) -> Result<Response, ApiError> {
    let invalid = |field: &str| ApiError::invalid_field("Issue", field, "invalid", LIST_DOC);
    let wanted_state = list_params::state(&req, invalid)?;
    let sort = match req.param("sort").unwrap_or("created") {
        "created" => Sort::Created,
        "updated" => Sort::Updated,
        "comments" => Sort::Comments,
        _ => return Err(invalid("sort")),
    };
    let descending = list_params::descending(&req, true, invalid)?;
    let since = list_params::since(&req);
    let labels: Vec<&str> = req
        .param("labels")
        .map(|l| {
            l.split(',')
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let unassigned = |param: &str| req.param(param).is_none_or(|v| v == "none");
    let matches_nothing = !unassigned("assignee") || !unassigned("milestone");
    gh.read(|s| {
        check_repo(s, &owner, &repo)?;
        let mut pulls: Vec<&Pull> = s
            .pulls
            .values()
            .filter(|_| !matches_nothing)
            .filter(|p| wanted_state.is_none_or(|st| p.state == st))
            .filter(|p| {
                labels
                    .iter()
                    .all(|want| p.labels.iter().any(|l| l.eq_ignore_ascii_case(want)))
            })
            .filter(|p| {
                req.param("creator")
                    .is_none_or(|c| p.author.eq_ignore_ascii_case(c))
            })
            .filter(|p| since.is_none_or(|t| p.updated_at >= t))
            .collect();
        let comments = |p: &Pull| s.comments_of(p.number).count();
        list_params::sort_pulls(&mut pulls, descending, |a, b| match sort {
            Sort::Created => a.created_at.cmp(&b.created_at),
            Sort::Updated => a.updated_at.cmp(&b.updated_at),
            Sort::Comments => comments(a).cmp(&comments(b)),
        });
        let render = Render::new(s, req.api());
        Ok(paginate(pulls, &req, 30).into_response(|p| render.issue(p, false)))
    })
}

/// `issues/get`.
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
        Ok(json_response(
            StatusCode::OK,
            &Render::new(s, req.api()).issue(pull, true),
        ))
    })
}

/// `issues/update`: `title`, `body`, `state` (closing a PR here closes the PR) and `labels`
/// (replacing them); other fields are accepted and ignored.
pub async fn update(
    State(gh): State<GithubHandle>,
    Path((owner, repo, number)): Path<(String, String, String)>,
    req: Req,
    body: Bytes,
) -> Result<Response, ApiError> {
    gh.update(|s| {
        let number = find_pull(s, &owner, &repo, &number, UPDATE_DOC)?;
        let body = json_body(&body, UPDATE_DOC)?;
        let empty = Map::new();
        let fields = match &body {
            Value::Object(map) => map,
            Value::Null => &empty,
            _ => {
                return Err(ApiError::invalid_request(
                    "The request body is not an object.",
                    UPDATE_DOC,
                ))
            }
        };
        let invalid = |key: &str, value: &Value, what: &str| {
            ApiError::invalid_request(
                &format!("For 'properties/{key}', {value} is not {what}."),
                UPDATE_DOC,
            )
        };
        let title = match fields.get("title") {
            None | Some(Value::Null) => None,
            Some(Value::String(t)) if t.trim().is_empty() => {
                return Err(ApiError::invalid_field(
                    "Issue",
                    "title",
                    "missing_field",
                    UPDATE_DOC,
                ))
            }
            Some(Value::String(t)) => Some(t.clone()),
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Some(n.to_string()),
            Some(other) => return Err(invalid("title", other, "a string or an integer")),
        };
        let text = match fields.get("body") {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::String(t)) => Some(Some(t.clone())),
            Some(other) => return Err(invalid("body", other, "a string")),
        };
        let state = match fields.get("state") {
            None => None,
            Some(Value::String(st)) if st == "open" => Some(PullStatus::Open),
            Some(Value::String(st)) if st == "closed" => Some(PullStatus::Closed),
            Some(other) => return Err(invalid("state", other, "one of [\"open\", \"closed\"]")),
        };
        let labels = match fields.get("labels") {
            None => None,
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .map(|item| match item {
                        Value::String(name) => Ok(name.clone()),
                        Value::Object(o) => match o.get("name") {
                            Some(Value::String(name)) => Ok(name.clone()),
                            _ => Err(invalid("labels", item, "a label name")),
                        },
                        _ => Err(invalid("labels", item, "a label name")),
                    })
                    .collect::<Result<Vec<String>, ApiError>>()?,
            ),
            Some(other) => return Err(invalid("labels", other, "an array")),
        };
        if let Some(state) = state {
            s.set_pull_state(number, state)
                .map_err(|code| ApiError::invalid_field("Issue", "state", code, UPDATE_DOC))?;
        }
        if let Some(labels) = labels {
            s.set_labels(number, &labels);
        }
        if let Some(pull) = s.pulls.get_mut(&number) {
            if let Some(title) = title {
                pull.title = title;
            }
            if let Some(text) = text {
                pull.body = text;
            }
            pull.updated_at = now_secs();
        }
        let pull = s
            .pulls
            .get(&number)
            .ok_or_else(|| ApiError::not_found(UPDATE_DOC))?;
        Ok(json_response(
            StatusCode::OK,
            &Render::new(s, req.api()).issue(pull, true),
        ))
    })
}
