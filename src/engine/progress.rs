//! Step numbers for an action's progress (`step 3/7`): each action has a fixed list of
//! phases, and a [`Step`] names the phase it starts ([`Step::phase`]), so the number is the
//! phase's place in its action's list. Some phases are skipped depending on the config or
//! the PR (no images to build, a run ID given), so the number can jump; it never goes back
//! (the ready wait after the traffic moved keeps the later number). Notes (a watch retrying)
//! keep the current number.

use super::events::ActionKind;
use super::step::Step;
use crate::chatops::DeployTarget;

/// A phase of an action: the unit `step n/m` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    // `/build`
    ReadPr,
    /// The pipeline package: committed, or compiled in a pod.
    Package,
    /// The Kaniko pod template (only with images to build).
    PodTemplate,
    Upload,
    /// The Kaniko pods, from their start to the end of the last one (only with images).
    BuildImages,
    BuildComment,
    // `/run`
    /// The PR's last `KFOPS_VERSION_ID` (not when the version is given).
    LastVersion,
    FindExperiment,
    /// Only when the experiment is missing.
    CreateExperiment,
    StartRun,
    /// From the run's start to its end (not without `--wait`).
    WatchRun,
    /// The completion comment, or the comment saying how the run failed.
    RunComment,
    // `/deploy`, `/staging_deploy`
    ReadComments,
    CheckRun,
    CheckPull,
    ServiceTemplate,
    /// Creating or replacing the InferenceService (or finding it already serves the run).
    Rollout,
    WaitReady,
    /// Sending the sample input (only when one is configured and a revision is replaced).
    SampleTest,
    MoveTraffic,
    /// Production only.
    Merge,
    DeployComment,
}

const BUILD: [Phase; 6] = [
    Phase::ReadPr,
    Phase::Package,
    Phase::PodTemplate,
    Phase::Upload,
    Phase::BuildImages,
    Phase::BuildComment,
];

const RUN: [Phase; 6] = [
    Phase::LastVersion,
    Phase::FindExperiment,
    Phase::CreateExperiment,
    Phase::StartRun,
    Phase::WatchRun,
    Phase::RunComment,
];

const DEPLOY: [Phase; 10] = [
    Phase::ReadComments,
    Phase::CheckRun,
    Phase::CheckPull,
    Phase::ServiceTemplate,
    Phase::Rollout,
    Phase::WaitReady,
    Phase::SampleTest,
    Phase::MoveTraffic,
    Phase::Merge,
    Phase::DeployComment,
];

/// An action's phases, in order.
pub fn phases(kind: ActionKind) -> Vec<Phase> {
    match kind {
        ActionKind::Build => BUILD.to_vec(),
        ActionKind::Run => RUN.to_vec(),
        ActionKind::BuildRun => BUILD.iter().chain(RUN.iter()).copied().collect(),
        ActionKind::Deploy(DeployTarget::Production) => DEPLOY.to_vec(),
        ActionKind::Deploy(DeployTarget::Staging) => DEPLOY
            .iter()
            .copied()
            .filter(|p| *p != Phase::Merge)
            .collect(),
    }
}

/// How many phases an action has at most.
pub fn step_count(kind: ActionKind) -> usize {
    phases(kind).len()
}

/// The phase number (1-based) `step` starts, given the phase the action is at (`current`, 0
/// before the first step). `None` when it starts no later phase: a note, or a phase already
/// passed.
pub fn step_number(kind: ActionKind, current: usize, step: &Step) -> Option<usize> {
    let phase = step.phase()?;
    phases(kind)
        .iter()
        .position(|p| *p == phase)
        .map(|i| i + 1)
        .filter(|n| *n > current)
}

#[cfg(test)]
#[path = "progress_tests.rs"]
mod tests;
