//! Messages into the reducer and the effects it asks for.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyEvent, MouseEvent};

use crate::backends::kfp::Run;
use crate::backends::BackendError;
use crate::chatops::ChatCommand;
use crate::domain::{PodRef, PullRequest};
use crate::engine::ActionEvent;
use crate::logs::{BuildInfo, LogEvent};
use crate::tui::update_targets::TargetEvent;

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
    },
    /// An answer to [`Command::LoadPrs`] with several projects: each project's PRs or why
    /// they could not be loaded (one failing project does not hide the others' PRs).
    ProjectsLoaded {
        generation: u64,
        at: DateTime<Utc>,
        results: Vec<(usize, Result<Vec<PullRequest>, BackendError>)>,
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

/// Effects the runner carries out; their results come back as [`Msg`]s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Fetch the open PRs of every project; answer with [`Msg::PrsLoaded`] (one project) or
    /// [`Msg::ProjectsLoaded`] (several) carrying the same generation.
    LoadPrs { generation: u64 },
    /// Stream a pod's log until the pod is finished, as [`Msg::Log`]s (a follower for the
    /// same pod that is still running is stopped first).
    FollowLogs { pod: PodRef },
    /// Fetch a finished pod's log once, as [`Msg::Log`]s.
    FetchLogs { pod: PodRef },
    /// Stop following a pod's log (its stream was closed).
    StopLogs { pod: PodRef },
    /// Find a PR's build pods (current and earlier builds); answer with [`Msg::BuildsListed`].
    ListBuilds { project: usize, pr: u64 },
    /// Fetch a run (and, with `spec`, its pipeline version's spec), after waiting `after`;
    /// answer with [`Msg::RunLoaded`].
    LoadRun {
        run_id: String,
        spec: bool,
        after: Option<std::time::Duration>,
    },
    /// Find a PR's runs; answer with [`Msg::RunsListed`].
    ListRuns { project: usize, pr: u64 },
    /// Perform a Kfops action on a PR (the same rules and comments as the chat command);
    /// progress comes back as [`Msg::Action`]s ending with `ActionEvent::Done`.
    /// The action runs in `project`'s repository, with its settings.
    StartAction {
        project: usize,
        pr: u64,
        cmd: ChatCommand,
    },
    /// Watch the InferenceService `service_name` in both target namespaces until the console
    /// quits, as [`Msg::Target`]s (errors too; the watch is retried).
    WatchTargets {
        service_name: String,
        staging_namespace: String,
        production_namespace: String,
    },
    /// Read the audit log's newest entries; answer with [`Msg::AuditLoaded`].
    LoadAudit,
    /// Write `text` (`lines` lines) to a new file at `path`, never over an existing file (a
    /// free `NAME-1.log`, `NAME-2.log`… is taken instead); answer with [`Msg::LogSaved`].
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
