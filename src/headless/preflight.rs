//! What a headless command checks before it sends anything: that an action has a GitHub
//! token to act with, and that the PR exists. Each refusal is one clear line (exit code 2),
//! sent before the engine runs, so nothing is attempted on the PR (not even a failure comment).

use crate::backends::github::GitHub;
use crate::config::Config;

/// Why a headless command stops before it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The `step` of the `--json` final object (`token`, `pr`, `connect`).
    pub step: &'static str,
    pub message: String,
    /// 2 for bad input (no token, no such PR), 1 when GitHub could not be asked.
    pub exit_code: u8,
}

/// An action (`what`: `/build`, `deploy`) on `pr` without a GitHub token: GitHub would refuse
/// every write (401, or 404 for a private repository), so it is not started.
pub fn token_refusal(cfg: &Config, what: &str, pr: u64) -> Option<Refusal> {
    if cfg.github_authenticated() {
        return None;
    }
    let repository = cfg.repository.full_name();
    Some(Refusal {
        step: "token",
        message: format!(
            "no GitHub token: {what} on {repository}#{pr} not sent; {}",
            cfg.token_fix()
        ),
        exit_code: 2,
    })
}

/// Refuses a PR number the repository does not have (`PR #999 not found in owner/name`).
pub async fn pr_found(cfg: &Config, pr: u64) -> Result<(), Refusal> {
    let repository = cfg.repository.full_name();
    let token = cfg.github_token();
    let connect = |message: String| Refusal {
        step: "connect",
        message,
        exit_code: 1,
    };
    let github = GitHub::for_project(cfg).map_err(|e| connect(e.to_string()))?;
    match github.pull_exists(pr).await {
        Ok(true) => Ok(()),
        Ok(false) => {
            // GitHub hides a private repository from a request without a token.
            let why = if token.is_none() && cfg.github.app.is_none() {
                format!(
                    " (or the repository is private and there is no GitHub token: {})",
                    cfg.token_fix()
                )
            } else {
                String::new()
            };
            Err(Refusal {
                step: "pr",
                message: format!("PR #{pr} not found in {repository}{why}"),
                exit_code: 2,
            })
        }
        Err(e) => Err(connect(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_action_without_a_token_is_refused_with_the_fix() {
        let mut cfg = Config::for_repository("acme", "churn-model");
        cfg.github.token_env = vec!["KFOPS_TEST_SURELY_UNSET_TOKEN".into()];
        let refusal = token_refusal(&cfg, "/build", 42).unwrap();
        assert_eq!(refusal.exit_code, 2);
        assert_eq!(
            refusal.message,
            "no GitHub token: /build on acme/churn-model#42 not sent; \
             export KFOPS_TEST_SURELY_UNSET_TOKEN=…"
        );
        cfg.github.token = Some(crate::config::Secret::new("t"));
        assert_eq!(token_refusal(&cfg, "/build", 42), None);
    }
}
