//! Merging, closing and reopening pull requests: `GET`/`PUT /pulls/{n}/merge` and the state
//! changes that `PATCH /pulls/{n}` and `PATCH /issues/{n}` share.
//!
//! A merge puts one commit on the base branch: the default branch's tip moves to the merge
//! commit (the old tip is kept in [`GithubState::base_history`]), the PR's files join the
//! branch, and every PR based on it is one commit further behind (compare agrees).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use super::http::{find_pull, json_body, json_response, no_content, ApiError};
use super::state::{fake_sha, now_secs, GithubState};
use super::GithubHandle;
use crate::scenario::PullStatus;

const CHECK_DOC: &str =
    "https://docs.github.com/rest/pulls/pulls#check-if-a-pull-request-has-been-merged";
const MERGE_DOC: &str = "https://docs.github.com/rest/pulls/pulls#merge-a-pull-request";
/// GitHub's answers to refused merges.
pub const NOT_MERGEABLE: &str = "Pull Request is not mergeable";
pub const STILL_DRAFT: &str = "Pull Request is still a draft";
pub const HEAD_MODIFIED: &str = "Head branch was modified. Review and try the merge again.";
pub const MERGED: &str = "Pull Request successfully merged";
const MERGE_METHODS: [&str; 3] = ["merge", "squash", "rebase"];

impl GithubState {
    /// Merges an open PR as the viewer and returns the merge commit's SHA (`None` if there is
    /// no such PR). Callers check mergeability first.
    pub fn merge_pull(&mut self, number: u64, method: &str) -> Option<String> {
        let now = now_secs();
        let viewer = self.viewer.clone();
        let old_tip = self.repo.head_sha.clone();
        let pull = self.pulls.get_mut(&number)?;
        let sha = fake_sha(&format!(
            "merge:{number}:{}:{old_tip}:{method}",
            pull.head_sha
        ));
        pull.state = PullStatus::Closed;
        pull.merged_at = Some(now);
        pull.closed_at = Some(now);
        pull.updated_at = now;
        pull.merged_by = Some(viewer.clone());
        pull.closed_by = Some(viewer);
        pull.merge_commit_sha = Some(sha.clone());
        // GitHub stops computing mergeability once a PR is merged.
        pull.mergeable = None;
        pull.mergeable_state = "unknown".to_owned();
        if pull.base_ref != self.repo.default_branch {
            // Only the default branch's history is simulated.
            return Some(sha);
        }
        let files = pull.files.clone();
        self.files.extend(files);
        self.base_history.push(old_tip);
        self.repo.head_sha.clone_from(&sha);
        self.repo.pushed_at = now;
        let default_branch = self.repo.default_branch.clone();
        // No branch moved but the base: every PR on it (the merged one too) is one further behind.
        for other in self.pulls.values_mut() {
            if other.base_ref != default_branch {
                continue;
            }
            other.behind_by += 1;
            // The demo repository requires up-to-date branches: a clean PR becomes "behind".
            if other.number != number
                && other.state == PullStatus::Open
                && other.mergeable_state == "clean"
            {
                other.mergeable_state = "behind".to_owned();
            }
        }
        Some(sha)
    }

    /// Closes (as the viewer) or reopens a PR. `Err` is the validation code when a merged PR
    /// would be reopened. Setting the state it already has changes nothing.
    pub fn set_pull_state(&mut self, number: u64, state: PullStatus) -> Result<(), &'static str> {
        let viewer = self.viewer.clone();
        let Some(pull) = self.pulls.get_mut(&number) else {
            return Ok(());
        };
        if pull.state == state {
            return Ok(());
        }
        let now = now_secs();
        match state {
            PullStatus::Closed => {
                pull.closed_at = Some(now);
                pull.closed_by = Some(viewer);
            }
            PullStatus::Open if pull.is_merged() => return Err("invalid"),
            PullStatus::Open => {
                pull.closed_at = None;
                pull.closed_by = None;
            }
        }
        pull.state = state;
        pull.updated_at = now;
        Ok(())
    }
}

/// `pulls/check-if-merged`: 204 if merged, else 404.
pub async fn check(
    State(gh): State<GithubHandle>,
    Path((owner, repo, number)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    gh.read(|s| {
        let number = find_pull(s, &owner, &repo, &number, CHECK_DOC)?;
        match s.pulls.get(&number) {
            Some(pull) if pull.is_merged() => Ok(no_content()),
            _ => Err(ApiError::not_found(CHECK_DOC)),
        }
    })
}

/// What a merge request asks for.
struct MergeRequest {
    sha: Option<String>,
    method: String,
}

impl MergeRequest {
    /// `commit_title`, `commit_message`, `sha` and `merge_method`, checked as GitHub does.
    fn parse(body: &Value) -> Result<MergeRequest, ApiError> {
        let invalid = |detail: String| ApiError::invalid_request(&detail, MERGE_DOC);
        let fields = match body {
            Value::Null => return Ok(MergeRequest::default_method()),
            Value::Object(fields) => fields,
            other => return Err(invalid(format!("{other} is not an object."))),
        };
        for key in ["commit_title", "commit_message", "sha", "merge_method"] {
            match fields.get(key) {
                None | Some(Value::String(_)) => {}
                Some(other) => {
                    return Err(invalid(format!(
                        "For 'properties/{key}', {other} is not a string."
                    )))
                }
            }
        }
        let text = |key: &str| fields.get(key).and_then(Value::as_str).map(str::to_owned);
        let method = text("merge_method").unwrap_or_else(|| "merge".to_owned());
        if !MERGE_METHODS.contains(&method.as_str()) {
            return Err(invalid(format!(
                "For 'properties/merge_method', \"{method}\" is not one of [\"merge\", \"squash\", \"rebase\"]."
            )));
        }
        Ok(MergeRequest {
            sha: text("sha"),
            method,
        })
    }

    fn default_method() -> MergeRequest {
        MergeRequest {
            sha: None,
            method: "merge".to_owned(),
        }
    }
}

/// `pulls/merge`: 200 `pull-request-merge-result`; 405 when the PR is closed, a draft or not
/// mergeable; 409 when `sha` is not the head; 422 for a bad body.
pub async fn merge(
    State(gh): State<GithubHandle>,
    Path((owner, repo, number)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    gh.update(|s| {
        let number = find_pull(s, &owner, &repo, &number, MERGE_DOC)?;
        let request = MergeRequest::parse(&json_body(&body, MERGE_DOC)?)?;
        let refuse = |status: StatusCode, message: &str| {
            Err(ApiError {
                status,
                body: json!({ "message": message, "documentation_url": MERGE_DOC }),
            })
        };
        let pull = s
            .pulls
            .get(&number)
            .ok_or_else(|| ApiError::not_found(MERGE_DOC))?;
        if pull.state != PullStatus::Open {
            return refuse(StatusCode::METHOD_NOT_ALLOWED, NOT_MERGEABLE);
        }
        if request
            .sha
            .as_ref()
            .is_some_and(|sha| *sha != pull.head_sha)
        {
            return refuse(StatusCode::CONFLICT, HEAD_MODIFIED);
        }
        if pull.draft {
            return refuse(StatusCode::METHOD_NOT_ALLOWED, STILL_DRAFT);
        }
        if pull.mergeable == Some(false) {
            return refuse(StatusCode::METHOD_NOT_ALLOWED, NOT_MERGEABLE);
        }
        let sha = s
            .merge_pull(number, &request.method)
            .ok_or_else(|| ApiError::not_found(MERGE_DOC))?;
        Ok(json_response(
            StatusCode::OK,
            &json!({ "sha": sha, "merged": true, "message": MERGED }),
        ))
    })
}
