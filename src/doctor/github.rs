//! Check 2: the GitHub token. `GET /user` (the login it belongs to), its scopes from the
//! `x-oauth-scopes` header (classic tokens need `repo`; fine-grained tokens send no header),
//! and `GET /repos/{owner}/{repo}` with `permissions.push`, once per project.

use std::time::Duration;

use futures::future::join_all;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION};
use serde_json::Value;

use super::config_check::Target;
use super::{runner::timed, Check};
use crate::backends::error::{flatten, hint_for_status, BackendError, Service, Throttle};
use crate::backends::retry;
use crate::config::{Config, Secret};

/// The scope a classic token needs (pull requests, contents, issues and labels).
pub const NEEDED_SCOPE: &str = "repo";
/// What a fine-grained token needs, since its scopes cannot be listed.
const FINE_GRAINED_NEEDS: &str = "pull requests: write, contents: write, issues: write";

const TOKEN_FIX: &str = "set GITHUB_TOKEN or GH_TOKEN (or [github] token_env / token) to a \
valid token for [github] api_url";

/// The token's scopes from an `x-oauth-scopes` value (`"repo, read:org"`).
pub fn parse_scopes(header: &str) -> Vec<String> {
    header
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The scope check's outcome from the `x-oauth-scopes` header (absent: a fine-grained token).
pub fn scope_verdict(header: Option<&str>) -> Check {
    let (id, title) = ("github.scopes", "GitHub token scopes");
    let Some(header) = header else {
        return Check::warn(
            id,
            title,
            format!("cannot list scopes of a fine-grained token; needs {FINE_GRAINED_NEEDS}"),
            format!("make sure the token has {FINE_GRAINED_NEEDS} on the repository"),
        );
    };
    let scopes = parse_scopes(header);
    let listed = if scopes.is_empty() {
        "(none)".to_owned()
    } else {
        scopes.join(", ")
    };
    if scopes.iter().any(|s| s == NEEDED_SCOPE) {
        Check::pass(id, title, listed)
    } else {
        Check::fail(
            id,
            title,
            format!("{listed}; missing `{NEEDED_SCOPE}`"),
            format!(
                "give the classic token the `{NEEDED_SCOPE}` scope, or use a fine-grained token \
                 with {FINE_GRAINED_NEEDS}"
            ),
        )
    }
}

/// The GitHub lines: the token's (shared by every project) and each project's repository.
#[derive(Debug)]
pub struct GithubChecks {
    /// The token: its user, then its scopes.
    pub token: Vec<Check>,
    /// One line per project, in the order of the targets.
    pub repositories: Vec<Check>,
}

const USER: (&str, &str) = ("github.user", "GitHub token");
const REPO: (&str, &str) = ("github.repository", "GitHub repository");

/// The GitHub checks: the token's user and scopes once, then each project's repository
/// (concurrently).
pub async fn checks(cfg: &Config, targets: &[Target]) -> GithubChecks {
    if cfg.github.app.is_some() {
        return super::github_app::checks(cfg, targets).await;
    }
    let (user_id, user_title) = USER;
    let unchecked = |user: Check, why: &str| GithubChecks {
        token: vec![
            user,
            Check::skip("github.scopes", "GitHub token scopes", why),
        ],
        repositories: targets
            .iter()
            .map(|t| Check::skip(REPO.0, REPO.1, why).about(t.name.iter().cloned().collect()))
            .collect(),
    };
    let Some(token) = cfg.github_token() else {
        let user = Check::fail(user_id, user_title, "no GitHub token", TOKEN_FIX);
        return unchecked(user, "no usable token");
    };
    let api = cfg.github.api_url.trim_end_matches('/').to_owned();
    let client = match reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("kfops-console/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            let user = Check::fail(user_id, user_title, e.to_string(), TOKEN_FIX);
            return unchecked(user, "no usable token");
        }
    };
    let user = timed(user_id, user_title, async {
        match get(&client, &format!("{api}/user"), &token, "GET /user").await {
            Ok((headers, body)) => {
                let login = body["login"].as_str().unwrap_or("?").to_owned();
                let scopes = headers
                    .get("x-oauth-scopes")
                    .map(|v| v.to_str().unwrap_or_default().to_owned());
                (
                    Check::pass(user_id, user_title, format!("logged in as {login}")),
                    Some(scopes),
                )
            }
            Err(e) => (Check::from_error(user_id, user_title, &e, TOKEN_FIX), None),
        }
    })
    .await;
    let (user, scopes) = match user {
        Ok(found) => found,
        Err(timeout) => (timeout, None),
    };
    let Some(scopes) = scopes else {
        return unchecked(user, "no usable token");
    };
    let scope_line = scope_verdict(scopes.as_deref());
    let repositories = join_all(targets.iter().map(|t| repository(&client, &api, &token, t))).await;
    GithubChecks {
        token: vec![user, scope_line],
        repositories,
    }
}

/// `GET /repos/{owner}/{repo}` of one project: reachable, and whether the token may push.
async fn repository(client: &reqwest::Client, api: &str, token: &Secret, target: &Target) -> Check {
    let (id, title) = REPO;
    let slug = target.cfg.repository.full_name();
    let line = timed(id, title, async {
        let url = format!("{api}/repos/{slug}");
        match get(client, &url, token, &format!("GET /repos/{slug}")).await {
            Ok((_, body)) => push_verdict(&slug, &body["permissions"]),
            Err(mut e) => {
                let fix = if target.key_prefix.is_empty() {
                    "check [repository] owner/name and that the token can see the repository"
                        .to_owned()
                } else {
                    format!(
                        "check {} (owner/name) and that the token can see the repository",
                        target.key("repository")
                    )
                };
                // GitHub's 404 hint speaks of [repository]; ours names the project's key.
                if e.status == Some(404) {
                    e.hint = None;
                }
                Check::from_error(id, title, &e, &fix)
            }
        }
    })
    .await
    .unwrap_or_else(|timeout| timeout);
    line.about(target.name.iter().cloned().collect())
}

/// The repository line from its `permissions` object.
fn push_verdict(slug: &str, permissions: &Value) -> Check {
    let (id, title) = REPO;
    match permissions["push"].as_bool() {
        Some(true) => Check::pass(id, title, format!("{slug}: reachable, push allowed")),
        Some(false) => Check::fail(
            id,
            title,
            format!("{slug}: the token's user may not push"),
            "ask for write access to the repository (Kfops comments, labels and merges PRs)",
        ),
        None => Check::warn(
            id,
            title,
            format!("{slug}: reachable, but GitHub did not say whether the token may push"),
            "make sure the token's user has write access to the repository",
        ),
    }
}

/// A GitHub GET with `token` on a client of its own: the JSON body.
pub(super) async fn get_json(url: &str, token: &Secret, what: &str) -> Result<Value, BackendError> {
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("kfops-console/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| BackendError::new(Service::GitHub, what, e.to_string()))?;
    get(&client, url, token, what).await.map(|(_, body)| body)
}

/// A GitHub GET under the read retry policy: the headers and the JSON body.
async fn get(
    client: &reqwest::Client,
    url: &str,
    token: &Secret,
    what: &str,
) -> Result<(HeaderMap, Value), BackendError> {
    let mut auth = HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
        BackendError::new(
            Service::GitHub,
            what,
            "the token is not a valid header value",
        )
        .with_hint(TOKEN_FIX)
    })?;
    auth.set_sensitive(true);
    retry::read(|| async {
        let response = client
            .get(url)
            .header(AUTHORIZATION, auth.clone())
            .header(ACCEPT, "application/vnd.github+json")
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .map_err(|e| {
                BackendError::new(Service::GitHub, what, flatten(&e))
                    .with_hint("check [github] api_url and the network")
                    .transport()
            })?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !(200..300).contains(&status) {
            let message = body["message"].as_str().unwrap_or("").to_owned();
            let mut e = BackendError::new(Service::GitHub, what, format!("{status} {message}"))
                .with_status(status)
                .with_throttle(Throttle::from_headers(&headers, chrono::Utc::now()));
            e.hint = hint_for_status(Service::GitHub, status);
            return Err(e);
        }
        Ok((headers, body))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Status;

    #[test]
    fn scopes_are_split_on_commas_and_trimmed() {
        assert_eq!(parse_scopes("repo, read:org"), ["repo", "read:org"]);
        assert_eq!(parse_scopes("repo,workflow"), ["repo", "workflow"]);
        assert!(parse_scopes("").is_empty());
        assert!(parse_scopes(" , ").is_empty());
    }

    #[test]
    fn a_classic_token_needs_repo() {
        assert_eq!(scope_verdict(Some("repo, read:org")).status, Status::Pass);
        let missing = scope_verdict(Some("read:org, public_repo"));
        assert_eq!(missing.status, Status::Fail);
        assert!(
            missing.detail.contains("missing `repo`"),
            "{}",
            missing.detail
        );
        let none = scope_verdict(Some(""));
        assert_eq!(none.status, Status::Fail);
        assert!(none.detail.starts_with("(none)"));
    }

    #[test]
    fn a_fine_grained_token_is_a_warning_naming_the_permissions() {
        let check = scope_verdict(None);
        assert_eq!(check.status, Status::Warn);
        assert_eq!(
            check.detail,
            "cannot list scopes of a fine-grained token; needs pull requests: write, \
             contents: write, issues: write"
        );
    }

    #[test]
    fn push_permission_decides_the_repository_line() {
        let ok = push_verdict("a/b", &serde_json::json!({"push": true}));
        assert_eq!(ok.status, Status::Pass);
        let no = push_verdict("a/b", &serde_json::json!({"push": false}));
        assert_eq!(no.status, Status::Fail);
        assert_eq!(push_verdict("a/b", &Value::Null).status, Status::Warn);
    }
}
