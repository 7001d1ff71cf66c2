//! Check 2 with `[github.app]`: the GitHub App's access, proven the way the console gets it.
//!
//! `GET /user` is not available to an installation token (GitHub answers 403 `Resource not
//! accessible by integration`) and installation tokens carry no `x-oauth-scopes`, so instead:
//! per project, an installation token is obtained (the App's JWT, the repository's
//! installation, `POST …/access_tokens`: the same code the console runs), the App's granted
//! permissions are read from that answer, and `GET /repos/{owner}/{repo}` is sent with the
//! token.

use futures::future::join_all;
use serde_json::Value;

use super::config_check::Target;
use super::github::{get_json, GithubChecks};
use super::{runner::timed, Check};
use crate::backends::github::app_auth::InstallationToken;
use crate::backends::github::GitHub;
use crate::config::Config;

const APP: (&str, &str) = ("github.user", "GitHub App");
const PERMISSIONS: (&str, &str) = ("github.scopes", "GitHub App permissions");
const REPO: (&str, &str) = ("github.repository", "GitHub repository");

/// The permissions Kfops needs on the App's installation (comments and labels are issues;
/// merging needs contents).
const NEEDED: [&str; 3] = ["contents", "issues", "pull_requests"];

/// The App lines: its token and permissions (of the first project's installation), then each
/// project's repository reached with its installation's token.
pub async fn checks(cfg: &Config, targets: &[Target]) -> GithubChecks {
    let id = cfg.github.app.as_ref().map_or("?", |a| a.id.as_str());
    let per_project = join_all(targets.iter().map(|t| project(id, t))).await;
    let (app_line, permissions_line) = match per_project.first().map(|(token, _)| token) {
        Some(Ok(token)) => (
            Check::pass(
                APP.0,
                APP.1,
                format!(
                    "App {id}: installation {} token obtained (valid until {})",
                    token.installation_id,
                    token.expires_at.format("%H:%M UTC")
                ),
            ),
            permission_verdict(&token.permissions),
        ),
        Some(Err(failed)) => (
            failed.clone(),
            Check::skip(PERMISSIONS.0, PERMISSIONS.1, "no installation token"),
        ),
        None => (
            Check::skip(APP.0, APP.1, "no project to check"),
            Check::skip(PERMISSIONS.0, PERMISSIONS.1, "no installation token"),
        ),
    };
    GithubChecks {
        token: vec![app_line, permissions_line],
        repositories: per_project.into_iter().map(|(_, line)| line).collect(),
    }
}

/// One project: its installation token (or the App line saying why there is none), then
/// its repository's line, reached with that token.
async fn project(app_id: &str, target: &Target) -> (Result<InstallationToken, Check>, Check) {
    let (id, title) = REPO;
    let slug = target.cfg.repository.full_name();
    let about = target.name.iter().cloned().collect::<Vec<_>>();
    let token = match installation_token(app_id, target, &slug).await {
        Ok(token) => token,
        Err(failed) => {
            let skipped = Check::skip(id, title, "no installation token").about(about.clone());
            return (Err(failed.about(about)), skipped);
        }
    };
    let api = target.cfg.github.api_url.trim_end_matches('/');
    let url = format!("{api}/repos/{slug}");
    let line = timed(id, title, async {
        match get_json(&url, &token.token, &format!("GET /repos/{slug}")).await {
            Ok(_) => Check::pass(
                id,
                title,
                format!(
                    "{slug}: reachable with installation {}",
                    token.installation_id
                ),
            ),
            Err(e) => {
                let fix = format!("add {slug} to the repositories of the App's installation");
                Check::from_error(id, title, &e, &fix)
            }
        }
    })
    .await
    .unwrap_or_else(|timeout| timeout);
    (Ok(token), line.about(about))
}

/// A project's installation token, through the console's own client; the failed App line
/// otherwise.
async fn installation_token(
    app_id: &str,
    target: &Target,
    slug: &str,
) -> Result<InstallationToken, Check> {
    let (id, title) = APP;
    let github = GitHub::for_project(&target.cfg)
        .map_err(|e| Check::from_error(id, title, &e, "check [github.app] private_key_file"))?;
    match timed(id, title, async { github.app_token().await }).await? {
        Some(Ok(token)) => Ok(token),
        Some(Err(e)) => {
            let fix = format!("install App {app_id} on {slug} and check [github.app]");
            Err(Check::from_error(id, title, &e, &fix))
        }
        None => Err(Check::skip(id, title, "no [github.app] configured")),
    }
}

/// The permissions line from the token answer's `permissions` object.
fn permission_verdict(permissions: &Value) -> Check {
    let (id, title) = PERMISSIONS;
    let missing: Vec<&str> = NEEDED
        .into_iter()
        .filter(|p| permissions[*p].as_str() != Some("write"))
        .collect();
    let granted = NEEDED
        .iter()
        .map(|p| format!("{p}: {}", permissions[*p].as_str().unwrap_or("none")))
        .collect::<Vec<_>>()
        .join(", ");
    if missing.is_empty() {
        Check::pass(id, title, granted)
    } else {
        Check::fail(
            id,
            title,
            format!("{granted}; needs write on {}", missing.join(", ")),
            "give the App Read and write on Contents, Issues and Pull requests (App settings → \
             Permissions), then accept the new permissions on its installation",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Status;
    use serde_json::json;

    #[test]
    fn the_app_needs_write_on_contents_issues_and_pull_requests() {
        let all = json!({"contents": "write", "issues": "write", "pull_requests": "write"});
        assert_eq!(permission_verdict(&all).status, Status::Pass);
        let read = json!({"contents": "read", "issues": "write", "pull_requests": "write"});
        let check = permission_verdict(&read);
        assert_eq!(check.status, Status::Fail);
        assert!(
            check.detail.ends_with("needs write on contents"),
            "{}",
            check.detail
        );
    }
}
