//! `GET /repos/{owner}/{repo}`: the repository (`full-repository`), with the token user's
//! `permissions` (`kfops check` reads `permissions.push`; the scenario's
//! `github.push_permission` turns it off).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use super::http::{check_repo, json_response, ApiError, Req};
use super::render::Render;
use super::GithubHandle;

/// `repos/get`.
pub async fn get(
    State(gh): State<GithubHandle>,
    Path((owner, repo)): Path<(String, String)>,
    req: Req,
) -> Result<Response, ApiError> {
    gh.read(|s| {
        check_repo(s, &owner, &repo)?;
        let mut body = Render::new(s, req.api()).repository();
        let push = s.push_permission;
        if let Value::Object(map) = &mut body {
            map.insert(
                "permissions".to_owned(),
                json!({
                    "admin": false,
                    "maintain": push,
                    "push": push,
                    "triage": true,
                    "pull": true,
                }),
            );
            map.insert("network_count".to_owned(), json!(0));
            map.insert("subscribers_count".to_owned(), json!(1));
        }
        Ok(json_response(StatusCode::OK, &body))
    })
}
