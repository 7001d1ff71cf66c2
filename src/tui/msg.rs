//! Messages into the reducer: terminal input, timers, and the effects layer's answers (`Msg`
//! implements [`Answer`], one constructor per answer). The effects it asks for are
//! [`Command`]s, defined by the effects layer below the console.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyEvent, MouseEvent};

use crate::backends::github::RateBudget;
use crate::backends::kfp::Run;
use crate::backends::BackendError;
use crate::domain::PullRequest;
use crate::effects::command::{Answer, ProjectPrs};
use crate::effects::targets::TargetEvent;
#[cfg(doc)]
use crate::effects::Command;
use crate::effects::LoadedRun;
use crate::engine::ActionEvent;
use crate::logs::{BuildInfo, LogEvent};

/// Everything that can happen to the console.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize {
        width: u16,
        height: u16,
    },
    /// The animation timer fired (the runner sends it only while `App::animating`).
    Tick {
        now: DateTime<Utc>,
    },
    /// The periodic refresh timer fired.
    RefreshDue {
        now: DateTime<Utc>,
    },
    /// An answer to [`Command::LoadPrs`]; stale generations are dropped.
    PrsLoaded {
        generation: u64,
        at: DateTime<Utc>,
        result: Result<Vec<PullRequest>, BackendError>,
        /// GitHub's request budget as the refresh's answers stated it.
        budget: Option<RateBudget>,
    },
    /// An answer to [`Command::LoadPrs`] with several projects: each project's PRs or why
    /// they could not be loaded (one failing project does not hide the others' PRs).
    ProjectsLoaded {
        generation: u64,
        at: DateTime<Utc>,
        results: Vec<(usize, Result<Vec<PullRequest>, BackendError>)>,
        /// The lowest of the projects' request budgets.
        budget: Option<RateBudget>,
    },
    /// A log follower's lines or status (from [`Command::FollowLogs`] / [`Command::FetchLogs`]).
    Log(LogEvent),
    /// Progress of a Kfops action started with [`Command::StartAction`] (ends with `Done`),
    /// on a PR of `project`.
    Action {
        project: usize,
        event: ActionEvent,
    },
    /// An answer to [`Command::LoadRun`].
    RunLoaded {
        run_id: String,
        result: Result<LoadedRun, BackendError>,
    },
    /// An answer to [`Command::ListRuns`]: the PR's runs, newest first.
    RunsListed {
        project: usize,
        pr: u64,
        result: Result<Vec<Run>, BackendError>,
    },
    /// An answer to [`Command::ListBuilds`]: the PR's builds, newest first.
    BuildsListed {
        project: usize,
        pr: u64,
        result: Result<Vec<BuildInfo>, BackendError>,
    },
    /// What the deployment targets' watch saw (from [`Command::WatchTargets`]).
    Target(TargetEvent),
    /// An answer to [`Command::LoadAudit`]: the audit log's newest entries, or why not.
    AuditLoaded(Result<crate::audit::file::Recent, String>),
    /// An action's audit line could not be written.
    AuditFailed(String),
    /// An answer to [`Command::SaveLog`]: where the text was written, or why not.
    LogSaved {
        /// The path asked for.
        asked: PathBuf,
        lines: usize,
        /// The path written (another name when `asked` existed), or the I/O error.
        result: Result<PathBuf, String>,
    },
}

/// The effects layer's answers are messages of the console.
impl Answer for Msg {
    fn prs_loaded(
        generation: u64,
        at: DateTime<Utc>,
        result: Result<Vec<PullRequest>, BackendError>,
        budget: Option<RateBudget>,
    ) -> Msg {
        Msg::PrsLoaded {
            generation,
            at,
            result,
            budget,
        }
    }

    fn projects_loaded(
        generation: u64,
        at: DateTime<Utc>,
        results: ProjectPrs,
        budget: Option<RateBudget>,
    ) -> Msg {
        Msg::ProjectsLoaded {
            generation,
            at,
            results,
            budget,
        }
    }

    fn log(event: LogEvent) -> Msg {
        Msg::Log(event)
    }

    fn action(project: usize, event: ActionEvent) -> Msg {
        Msg::Action { project, event }
    }

    fn run_loaded(run_id: String, result: Result<LoadedRun, BackendError>) -> Msg {
        Msg::RunLoaded { run_id, result }
    }

    fn runs_listed(project: usize, pr: u64, result: Result<Vec<Run>, BackendError>) -> Msg {
        Msg::RunsListed {
            project,
            pr,
            result,
        }
    }

    fn builds_listed(project: usize, pr: u64, result: Result<Vec<BuildInfo>, BackendError>) -> Msg {
        Msg::BuildsListed {
            project,
            pr,
            result,
        }
    }

    fn target(event: TargetEvent) -> Msg {
        Msg::Target(event)
    }

    fn audit_loaded(result: Result<crate::audit::file::Recent, String>) -> Msg {
        Msg::AuditLoaded(result)
    }

    fn audit_failed(error: String) -> Msg {
        Msg::AuditFailed(error)
    }

    fn log_saved(asked: PathBuf, lines: usize, result: Result<PathBuf, String>) -> Msg {
        Msg::LogSaved {
            asked,
            lines,
            result,
        }
    }
}
