//! The Kfops chat commands as values, and their canonical text (`Display`).

use std::fmt;

use super::parse::{FLAG_FORCE, FLAG_RUN_ID};

/// Where a deploy command sends the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeployTarget {
    /// `/deploy`: the production model; merges and closes the PR on success.
    Production,
    /// `/staging_deploy`: the staging model.
    Staging,
}

impl DeployTarget {
    /// The command deploying to this target, without the slash:
    /// `deploy` or `staging_deploy`.
    pub fn command_name(self) -> &'static str {
        match self {
            Self::Production => "deploy",
            Self::Staging => "staging_deploy",
        }
    }

    /// The flags this target's command accepts, for error messages.
    pub(super) fn valid_flags(self) -> &'static str {
        match self {
            Self::Production => "--run-id=ID, --force",
            Self::Staging => "--run-id=ID",
        }
    }
}

/// A Kfops chat command.
///
/// Its [`Display`](fmt::Display) is the canonical chat syntax (`/deploy --run-id=abc --force`),
/// and [`parse`](super::parse()) reads it back: `parse(&c.to_string()) == Ok(c)` for every command
/// `parse` can produce (valid run id; `force` only on production).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ChatCommand {
    /// `/build`: compile the pipeline.
    Build,
    /// `/run`: run the last compiled pipeline.
    Run,
    /// `/build_run`: compile, then run.
    BuildRun,
    /// `/deploy` or `/staging_deploy`.
    Deploy {
        /// Production or staging.
        target: DeployTarget,
        /// The pipeline run to deploy; `None` means the PR's last completed run.
        run_id: Option<String>,
        /// `--force`: deploy to production even if Kfops would block it.
        /// Always `false` for staging.
        force: bool,
        /// Deploy a run built for this other PR: set only by an operator's explicit
        /// confirmation (the console's dialog, headless `--allow-run-of-pr`), never by the
        /// chat syntax (a comment typed on GitHub cannot deploy another PR's run), so it is
        /// not part of the canonical form either.
        allow_run_of_pr: Option<u64>,
    },
}

impl ChatCommand {
    /// Whether the command changes anything (pipelines, runs, models, the PR).
    /// Every Kfops command does, so this is always `true`; callers use it to
    /// decide on confirmation.
    pub fn is_mutating(&self) -> bool {
        true
    }

    /// The command's name without the slash, as Kfops spells it:
    /// `build`, `run`, `build_run`, `deploy` or `staging_deploy`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Build => "build",
            Self::Run => "run",
            Self::BuildRun => "build_run",
            Self::Deploy { target, .. } => target.command_name(),
        }
    }
}

impl fmt::Display for ChatCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}", self.name())?;
        if let Self::Deploy { run_id, force, .. } = self {
            if let Some(id) = run_id {
                write!(f, " {FLAG_RUN_ID}={id}")?;
            }
            if *force {
                write!(f, " {FLAG_FORCE}")?;
            }
        }
        Ok(())
    }
}
