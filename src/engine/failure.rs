//! Kfops' failure comment: one path for `/build`, `/run` and the deploys. Given the action and
//! how it failed ([`ActionError`]), post what the PR is told: Kfops' `{action} failed at step
//! <b>{step}</b>: {message}` (with a compiler's last lines as a code block), a comment of the
//! failure's own (a run that ended without success), or nothing (a refusal changed nothing).

use super::comments;
use super::events::{ActionError, ActionKind, FailureComment};
use crate::backends::github::GitHub;

/// The comment `action`'s failure `err` gets on the PR; `None` when it gets none.
pub fn failure_comment(action: ActionKind, err: &ActionError) -> Option<String> {
    if err.refusal.is_some() {
        return None;
    }
    let action = action.to_string();
    match &err.comment {
        FailureComment::Silent => None,
        FailureComment::Own(body) => Some(body.as_ref().clone()),
        FailureComment::Standard => Some(match &err.details {
            Some(details) => {
                comments::failed_with_details(&action, &err.step, &err.message, details)
            }
            None => comments::failed(&action, &err.step, &err.message),
        }),
    }
}

/// Posts the failure comment of `result` when it is a failure that gets one. A failure to
/// comment is logged, never returned: it must not hide the action's own failure.
pub async fn comment_on_failure<T>(
    github: &GitHub,
    pr: u64,
    action: ActionKind,
    result: &Result<T, ActionError>,
) {
    let Some(body) = result
        .as_ref()
        .err()
        .and_then(|e| failure_comment(action, e))
    else {
        return;
    };
    if let Err(e) = github.post_comment(pr, &body).await {
        tracing::warn!(pr, error = %e, "could not post the failure comment");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chatops::DeployTarget;
    use crate::engine::Refusal;

    #[test]
    fn each_action_gets_kfops_failure_comment_naming_it() {
        let err = ActionError::new("upload the pipeline", "409 Conflict");
        let deploy = ActionKind::Deploy(DeployTarget::Staging);
        assert_eq!(
            failure_comment(deploy, &err).as_deref(),
            Some("\n/staging_deploy failed at step <b>upload the pipeline</b>: 409 Conflict\n")
        );
        for (kind, name) in [
            (ActionKind::Build, "/build"),
            (ActionKind::Run, "/run"),
            (ActionKind::Deploy(DeployTarget::Production), "/deploy"),
        ] {
            let body = failure_comment(kind, &err).unwrap_or_default();
            assert_eq!(body, comments::failed(name, &err.step, &err.message));
        }
        let compiled = err.clone().with_details("SyntaxError");
        assert_eq!(
            failure_comment(ActionKind::Build, &compiled),
            Some(comments::failed_with_details(
                "/build",
                &err.step,
                &err.message,
                "SyntaxError"
            ))
        );
    }

    #[test]
    fn refusals_and_silent_failures_get_none_and_own_comments_are_kept() {
        let refused = ActionError::refused("check the run", "no such run", Refusal::Invalid);
        let deploy = ActionKind::Deploy(DeployTarget::Production);
        assert_eq!(failure_comment(deploy, &refused), None);
        let given_up =
            ActionError::new("run the pipeline", "24 hours").with_comment(FailureComment::Silent);
        assert_eq!(failure_comment(ActionKind::Run, &given_up), None);
        let ended = ActionError::new("run the pipeline", "ended FAILED")
            .with_comment(FailureComment::own("run r-1 ended FAILED"));
        assert_eq!(
            failure_comment(ActionKind::Run, &ended).as_deref(),
            Some("run r-1 ended FAILED")
        );
    }
}
