//! What an action reports while it runs, and how it fails.

use std::fmt;

use crate::backends::kfp::Run;
use crate::backends::BackendError;
use crate::chatops::{ChatCommand, DeployTarget};
use crate::domain::PodRef;

use super::step::Step;

/// Which Kfops action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionKind {
    Build,
    Run,
    BuildRun,
    Deploy(DeployTarget),
}

impl ActionKind {
    pub fn of(cmd: &ChatCommand) -> ActionKind {
        match cmd {
            ChatCommand::Build => ActionKind::Build,
            ChatCommand::Run => ActionKind::Run,
            ChatCommand::BuildRun => ActionKind::BuildRun,
            ChatCommand::Deploy { target, .. } => ActionKind::Deploy(*target),
        }
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ActionKind::Build => "/build",
            ActionKind::Run => "/run",
            ActionKind::BuildRun => "/build_run",
            ActionKind::Deploy(DeployTarget::Production) => "/deploy",
            ActionKind::Deploy(DeployTarget::Staging) => "/staging_deploy",
        })
    }
}

/// Progress of an action, for the console and the headless CLI.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionEvent {
    /// A step started (`uploading pipeline demo to KFP`), or a note on the one in progress;
    /// its text is the step's `Display`.
    Step { pr: u64, step: Step },
    /// A build pod was created or changed phase (`Pending`, `Running`, `Succeeded`, `Failed`).
    BuildPod {
        pr: u64,
        image: String,
        pod: PodRef,
        /// The pipeline version ID the images are tagged with; empty for the compile pod,
        /// which runs before the version exists.
        version_id: String,
        /// All pods of one build share this (`kfops.io/build-id`: the version ID, or in
        /// compile mode an ID made before the compile pod starts).
        build_id: String,
        phase: String,
    },
    /// A pipeline run was created.
    RunStarted { pr: u64, run_id: String },
    /// The run changed (state or tasks): the whole run as KFP reports it.
    RunProgress { pr: u64, run: Box<Run> },
    /// The action ended.
    Done {
        pr: u64,
        action: ActionKind,
        outcome: Result<String, ActionError>,
    },
}

/// An action that stopped: at which step, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{step}: {message}")]
pub struct ActionError {
    pub step: String,
    pub message: String,
    /// Longer text for the PR comment only (a compiler's last lines), shown as a code block.
    pub details: Option<String>,
    /// Set when the action refused before changing anything (no failure comment is posted;
    /// headless commands exit 2).
    pub refusal: Option<Refusal>,
    /// What the PR is told (`failure.rs`): Kfops' failure comment unless said otherwise.
    pub comment: FailureComment,
}

/// The PR comment a failure gets (none for a refusal, whatever this says).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum FailureComment {
    /// Kfops' `{action} failed at step <b>{step}</b>: {message}`, with the details.
    #[default]
    Standard,
    /// A comment of its own: a run that ended without success says its state and failed tasks.
    /// (Boxed: an `ActionError` stays small enough to return.)
    Own(Box<String>),
    /// None: the watch of a run was given up (the run goes on in KFP).
    Silent,
}

impl FailureComment {
    /// [`FailureComment::Own`] with `body`.
    pub fn own(body: impl Into<String>) -> FailureComment {
        FailureComment::Own(Box::new(body.into()))
    }
}

/// Why an action refused before changing anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// What was asked cannot be done (a run KFP does not have, or that did not succeed).
    Invalid,
    /// The run was built for another PR: the operator must confirm it explicitly (the console
    /// asks for that PR's number to be typed; headless takes `--allow-run-of-pr`).
    RunOfOtherPr { run_id: String, pr: u64 },
}

impl ActionError {
    pub fn new(step: impl Into<String>, message: impl Into<String>) -> Self {
        ActionError {
            step: step.into(),
            message: message.into(),
            details: None,
            refusal: None,
            comment: FailureComment::Standard,
        }
    }

    /// A refusal before anything changed.
    pub fn refused(step: impl Into<String>, message: impl Into<String>, why: Refusal) -> Self {
        ActionError {
            refusal: Some(why),
            ..ActionError::new(step, message)
        }
    }

    /// The same error with `details` for the PR comment.
    pub fn with_details(mut self, details: impl Into<String>) -> Self {
        self.details = Some(details.into());
        self
    }

    /// The same error with its own PR comment, or none.
    pub fn with_comment(mut self, comment: FailureComment) -> Self {
        self.comment = comment;
        self
    }

    /// Wraps a backend failure at a step.
    pub fn backend(step: impl Into<String>) -> impl FnOnce(BackendError) -> ActionError {
        let step = step.into();
        move |e| ActionError::new(step, e.to_string())
    }
}
