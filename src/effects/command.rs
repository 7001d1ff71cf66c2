//! What a front end asks the effects layer for ([`Command`]) and what comes back
//! ([`Answer`], built as the front end's own message type: the console's `Msg` implements it).

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use super::targets::TargetEvent;
use crate::backends::github::RateBudget;
use crate::backends::kfp::Run;
use crate::backends::BackendError;
use crate::chatops::ChatCommand;
use crate::domain::{PodRef, PullRequest};
use crate::engine::ActionEvent;
use crate::logs::{BuildInfo, LogEvent};

/// Effects a front end asks for; their results come back as [`Answer`]s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Fetch the open PRs of every project; answer with [`Answer::prs_loaded`] (one project) or
    /// [`Answer::projects_loaded`] (several) carrying the same generation.
    LoadPrs { generation: u64 },
    /// Stream a pod's log until the pod is finished, as [`Answer::log`]s (a follower for the
    /// same pod that is still running is stopped first).
    FollowLogs { pod: PodRef },
    /// Fetch a finished pod's log once, as [`Answer::log`]s.
    FetchLogs { pod: PodRef },
    /// Stop following a pod's log (its stream was closed).
    StopLogs { pod: PodRef },
    /// Find a PR's build pods (current and earlier builds); answer with
    /// [`Answer::builds_listed`].
    ListBuilds { project: usize, pr: u64 },
    /// Fetch a run of `project` (and, with `spec`, its pipeline version's spec), after
    /// waiting `after`; answer with [`Answer::run_loaded`].
    LoadRun {
        project: usize,
        run_id: String,
        spec: bool,
        after: Option<std::time::Duration>,
    },
    /// Find a PR's runs; answer with [`Answer::runs_listed`].
    ListRuns { project: usize, pr: u64 },
    /// Perform a Kfops action on a PR (the same rules and comments as the chat command);
    /// progress comes back as [`Answer::action`]s ending with `ActionEvent::Done`.
    /// The action runs in `project`'s repository, with its settings.
    StartAction {
        project: usize,
        pr: u64,
        cmd: ChatCommand,
    },
    /// Watch the InferenceService `service_name` in both target namespaces until the front
    /// end stops it, as [`Answer::target`]s (errors too; the watch is retried).
    WatchTargets {
        service_name: String,
        staging_namespace: String,
        production_namespace: String,
    },
    /// Read the audit log's newest entries; answer with [`Answer::audit_loaded`].
    LoadAudit,
    /// Write `text` (`lines` lines) to a new file at `path`, never over an existing file (a
    /// free `NAME-1.log`, `NAME-2.log`… is taken instead); answer with [`Answer::log_saved`].
    SaveLog {
        path: PathBuf,
        text: String,
        lines: usize,
    },
}

/// A run as loaded for the graph pane.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedRun {
    pub run: Box<Run>,
    /// `(version ID, pipeline spec)` when asked for.
    pub spec: Option<(String, serde_json::Value)>,
}

/// What the effects answer, as the front end's own message type: each answer is built with
/// one of these constructors (the console's `Msg` implements them one to one), so no front end
/// converts between two enums of the same shape.
pub trait Answer: Send + 'static {
    /// An answer to [`Command::LoadPrs`] with one project, with GitHub's request budget as
    /// its answers stated it.
    fn prs_loaded(
        generation: u64,
        at: DateTime<Utc>,
        result: Result<Vec<PullRequest>, BackendError>,
        budget: Option<RateBudget>,
    ) -> Self;
    /// An answer to [`Command::LoadPrs`] with several projects: each project's PRs or why
    /// they could not be loaded, and the lowest of their request budgets.
    fn projects_loaded(
        generation: u64,
        at: DateTime<Utc>,
        results: ProjectPrs,
        budget: Option<RateBudget>,
    ) -> Self;
    /// A log follower's lines or status.
    fn log(event: LogEvent) -> Self;
    /// Progress of an action on a PR of `project` (ends with `Done`).
    fn action(project: usize, event: ActionEvent) -> Self;
    /// An answer to [`Command::LoadRun`].
    fn run_loaded(run_id: String, result: Result<LoadedRun, BackendError>) -> Self;
    /// An answer to [`Command::ListRuns`]: the PR's runs, newest first.
    fn runs_listed(project: usize, pr: u64, result: Result<Vec<Run>, BackendError>) -> Self;
    /// An answer to [`Command::ListBuilds`]: the PR's builds, newest first.
    fn builds_listed(project: usize, pr: u64, result: Result<Vec<BuildInfo>, BackendError>)
        -> Self;
    /// What the deployment targets' watch saw.
    fn target(event: TargetEvent) -> Self;
    /// An answer to [`Command::LoadAudit`]: the audit log's newest entries, or why not.
    fn audit_loaded(result: Result<crate::audit::file::Recent, String>) -> Self;
    /// An action's audit line could not be written.
    fn audit_failed(error: String) -> Self;
    /// An answer to [`Command::SaveLog`]: the path asked for, the lines, and the path
    /// written (another name when `asked` existed) or the I/O error.
    fn log_saved(asked: PathBuf, lines: usize, result: Result<PathBuf, String>) -> Self;
}

/// Each project's open PRs (by project index), or why they could not be loaded.
pub type ProjectPrs = Vec<(usize, Result<Vec<PullRequest>, BackendError>)>;
