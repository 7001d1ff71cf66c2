//! One line of the audit log.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::chatops::{ChatCommand, DeployTarget};
use crate::engine::ActionKind;

/// Who started the action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A key or the `:` command line in the console.
    Console,
    /// `kfops build|run|build-run|deploy` (on the project of `--project`, else the first).
    Headless,
    /// A command typed in a PR comment, delivered to `kfops serve` (the commenter as user).
    Chat,
}

/// The arguments an action was started with.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditArgs {
    /// `--run-id` of a deploy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// `--version-id` of a headless `kfops run`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// `--force` of a production deploy.
    #[serde(default)]
    pub force: bool,
    /// `production` / `staging` for deploys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The other PR whose run the operator confirmed deploying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_run_of_pr: Option<u64>,
}

/// One step the action went through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditStep {
    pub time: DateTime<Utc>,
    pub text: String,
}

/// How the action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    Ok,
    Error,
}

/// One action, as written on one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When the action started (RFC 3339, UTC).
    pub time: DateTime<Utc>,
    /// The operator: GitHub login, else the kube context's user, else `$USER`.
    pub user: String,
    pub source: Source,
    /// `owner/name` of the PR's repository (written by the console and the headless commands,
    /// which may act on several projects; absent in older lines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    pub pr: u64,
    /// `/build`, `/run`, `/build_run`, `/deploy`, `/staging_deploy`.
    pub action: String,
    pub args: AuditArgs,
    pub steps: Vec<AuditStep>,
    pub outcome: AuditOutcome,
    /// The summary on success, `step: reason` on failure.
    pub message: String,
    /// When the action ended.
    pub ended: DateTime<Utc>,
}

impl AuditEntry {
    /// An entry for an action starting now (outcome filled in when it ends).
    pub fn started(source: Source, user: String, pr: u64, cmd: &ChatCommand) -> AuditEntry {
        let now = Utc::now();
        AuditEntry {
            time: now,
            user,
            source,
            repository: None,
            pr,
            action: ActionKind::of(cmd).to_string(),
            args: AuditArgs::of(cmd),
            steps: Vec::new(),
            outcome: AuditOutcome::Error,
            message: String::new(),
            ended: now,
        }
    }

    /// The JSON line (without the newline).
    pub fn to_line(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }
}

impl AuditArgs {
    fn of(cmd: &ChatCommand) -> AuditArgs {
        match cmd {
            ChatCommand::Build | ChatCommand::Run | ChatCommand::BuildRun => AuditArgs::default(),
            ChatCommand::Deploy {
                target,
                run_id,
                force,
                allow_run_of_pr,
            } => AuditArgs {
                run_id: run_id.clone(),
                version_id: None,
                force: *force,
                allow_run_of_pr: *allow_run_of_pr,
                target: Some(
                    match target {
                        DeployTarget::Production => "production",
                        DeployTarget::Staging => "staging",
                    }
                    .to_string(),
                ),
            },
        }
    }

    /// `run_id=… force target=…`: the arguments in one short line, for the console.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(t) = &self.target {
            parts.push(format!("target={t}"));
        }
        if let Some(r) = &self.run_id {
            parts.push(format!("run_id={r}"));
        }
        if let Some(v) = &self.version_id {
            parts.push(format!("version_id={v}"));
        }
        if self.force {
            parts.push("force".to_string());
        }
        if let Some(other) = self.allow_run_of_pr {
            parts.push(format!("run_of_pr={other}"));
        }
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deploy_entry_round_trips_with_its_arguments() {
        let cmd = ChatCommand::Deploy {
            target: DeployTarget::Production,
            run_id: Some("r-1".into()),
            force: true,
            allow_run_of_pr: None,
        };
        let mut e = AuditEntry::started(Source::Console, "alice".into(), 41, &cmd);
        e.steps.push(AuditStep {
            time: e.time,
            text: "checking the PR".into(),
        });
        e.outcome = AuditOutcome::Ok;
        let line = e.to_line().unwrap();
        assert!(!line.contains('\n'));
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["action"], "/deploy");
        assert_eq!(v["args"]["run_id"], "r-1");
        assert_eq!(v["args"]["force"], true);
        assert_eq!(v["args"]["target"], "production");
        assert_eq!(v["outcome"], "ok");
        assert_eq!(v["source"], "console");
        assert!(v["time"].as_str().unwrap().ends_with('Z'));
        let back: AuditEntry = serde_json::from_str(&line).unwrap();
        assert_eq!(back, e);
        assert_eq!(e.args.describe(), "target=production run_id=r-1 force");
    }
}
