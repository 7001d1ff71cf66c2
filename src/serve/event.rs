//! What a verified delivery asks: a Kfops command typed in a new PR comment, a ping, or
//! something to ignore with the reason said back. Payload fields as GitHub documents them for
//! `issue_comment` (<https://docs.github.com/en/webhooks/webhook-events-and-payloads#issue_comment>):
//! `action`, `issue.number`, `issue.pull_request` (present only on a PR), `comment.body`,
//! `comment.user.login`.

use serde::Deserialize;

use crate::chatops::{parse_comment, vars_in, ChatCommand};

/// What the service does with one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// `ping` (sent when the hook is created): answered 200.
    Ping,
    /// A command to run on `pr` for `user`.
    Command {
        pr: u64,
        user: String,
        cmd: ChatCommand,
    },
    /// Nothing to do, and why (the answer's body).
    Ignore(String),
}

#[derive(Deserialize)]
struct Payload {
    action: Option<String>,
    issue: Option<Issue>,
    comment: Option<Comment>,
}

#[derive(Deserialize)]
struct Issue {
    number: u64,
    pull_request: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Comment {
    body: Option<String>,
    user: Option<User>,
}

#[derive(Deserialize)]
struct User {
    login: String,
}

/// Sorts a delivery of `event` (`X-GitHub-Event`) with `body`; `own_login` is the service's
/// own GitHub login, whose comments never command it.
pub fn classify(event: &str, body: &[u8], own_login: Option<&str>) -> Verdict {
    match event {
        "ping" => return Verdict::Ping,
        "issue_comment" => {}
        other => return Verdict::Ignore(format!("event {other} is not handled")),
    }
    let Ok(p) = serde_json::from_slice::<Payload>(body) else {
        return Verdict::Ignore("payload is not an issue_comment".into());
    };
    if p.action.as_deref() != Some("created") {
        let action = p.action.unwrap_or_default();
        return Verdict::Ignore(format!("comment {action}: only new comments command"));
    }
    let (Some(issue), Some(comment)) = (p.issue, p.comment) else {
        return Verdict::Ignore("payload has no issue or comment".into());
    };
    if issue.pull_request.is_none() {
        return Verdict::Ignore("comment on an issue, not a pull request".into());
    }
    let Some(user) = comment.user.map(|u| u.login) else {
        return Verdict::Ignore("comment has no author".into());
    };
    if own_login.is_some_and(|own| own.eq_ignore_ascii_case(&user)) {
        return Verdict::Ignore("comment by the service itself".into());
    }
    let text = comment.body.unwrap_or_default();
    if !vars_in(&text).is_empty() {
        return Verdict::Ignore("comment carries Kfops' hidden variables".into());
    }
    match parse_comment(&text) {
        Some(Ok(cmd)) => Verdict::Command {
            pr: issue.number,
            user,
            cmd,
        },
        Some(Err(_)) => Verdict::Ignore("not a valid Kfops command".into()),
        None => Verdict::Ignore("not a Kfops command".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comment(action: &str, on_pr: bool, login: &str, body: &str) -> Vec<u8> {
        let mut issue = serde_json::json!({ "number": 42 });
        if on_pr {
            issue["pull_request"] = serde_json::json!({ "url": "x" });
        }
        serde_json::json!({
            "action": action,
            "issue": issue,
            "comment": { "body": body, "user": { "login": login } },
        })
        .to_string()
        .into_bytes()
    }

    #[test]
    fn a_new_pr_comment_with_a_command_is_a_command_of_its_author() {
        let v = classify(
            "issue_comment",
            &comment("created", true, "maria-ds", "/build"),
            Some("kfops-bot"),
        );
        assert_eq!(
            v,
            Verdict::Command {
                pr: 42,
                user: "maria-ds".into(),
                cmd: ChatCommand::Build
            }
        );
    }

    #[test]
    fn pings_edits_issues_own_comments_markers_and_chat_are_not_commands() {
        assert_eq!(classify("ping", b"{}", None), Verdict::Ping);
        let ignored = |event: &str, body: Vec<u8>| {
            matches!(
                classify(event, &body, Some("kfops-bot")),
                Verdict::Ignore(_)
            )
        };
        assert!(ignored("push", b"{}".to_vec()));
        assert!(ignored("issue_comment", b"not json".to_vec()));
        assert!(ignored(
            "issue_comment",
            comment("edited", true, "maria-ds", "/build")
        ));
        assert!(ignored(
            "issue_comment",
            comment("deleted", true, "maria-ds", "/build")
        ));
        assert!(ignored(
            "issue_comment",
            comment("created", false, "maria-ds", "/build")
        ));
        assert!(ignored(
            "issue_comment",
            comment("created", true, "KFOPS-BOT", "/build")
        ));
        assert!(ignored(
            "issue_comment",
            comment("created", true, "maria-ds", "looks good")
        ));
        assert!(ignored(
            "issue_comment",
            comment("created", true, "maria-ds", "/bulid")
        ));
        let marked = "/build\n<!-- KFOPS_RUN_ID=abc -->";
        assert!(ignored(
            "issue_comment",
            comment("created", true, "maria-ds", marked)
        ));
    }
}
