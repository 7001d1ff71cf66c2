//! Step numbers for an action's progress (`step 3/7`), read from the step texts the engine
//! emits (`build.rs`, `run.rs`, `deploy.rs`). Each action has a fixed list of phases; some are
//! skipped depending on the config or the PR (no images to build, a run ID given), so the
//! number can jump, and it never goes back. Texts that are not a phase (a watch retrying)
//! keep the current number.

use super::events::ActionKind;
use crate::chatops::DeployTarget;

/// `/build`'s phases, in order, as the start of their step text.
const BUILD: [&str; 7] = [
    "reading PR #",
    "reading |compiling ", // the pipeline package: committed, or compiled in a pod
    "reading ",            // the Kaniko pod template (only with images to build)
    "uploading pipeline ",
    "pipeline version ",
    "starting ", // the Kaniko pods (only with images to build)
    "posting the build comment",
];

/// `/run`'s phases.
const RUN: [&str; 5] = [
    "reading the last built version",
    "finding experiment ",
    "creating experiment ",
    "starting run ",
    "run ",
];

/// `/deploy`'s and `/staging_deploy`'s phases (merging only for production).
const DEPLOY: [&str; 10] = [
    "reading the comments",
    "checking run ",
    "checking #",
    "reading ",
    "creating InferenceService |replacing ",
    "waiting for ",
    "sending ",
    "sample test ", // passed, or skipped without a sample input
    "merging #",
    "commenting and moving the label",
];

/// Texts that report on a phase without starting a new one.
fn is_note(text: &str) -> bool {
    text.contains("retrying")
}

fn phases(kind: ActionKind) -> Vec<&'static str> {
    match kind {
        ActionKind::Build => BUILD.to_vec(),
        ActionKind::Run => RUN.to_vec(),
        ActionKind::BuildRun => BUILD.iter().chain(RUN.iter()).copied().collect(),
        ActionKind::Deploy(DeployTarget::Production) => DEPLOY.to_vec(),
        ActionKind::Deploy(DeployTarget::Staging) => DEPLOY
            .iter()
            .copied()
            .filter(|p| *p != "merging #")
            .collect(),
    }
}

/// How many phases an action has at most.
pub fn step_count(kind: ActionKind) -> usize {
    phases(kind).len()
}

/// The phase number (1-based) a step text starts, given the phase the action is at
/// (`current`, 0 before the first step): the first later phase the text matches. `None` when
/// the text starts no later phase (a retry note, an unknown text).
pub fn step_number(kind: ActionKind, current: usize, text: &str) -> Option<usize> {
    if is_note(text) {
        return None;
    }
    phases(kind)
        .iter()
        .enumerate()
        .skip(current)
        .find(|(_, p)| p.split('|').any(|alt| text.starts_with(alt)))
        .map(|(i, _)| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(kind: ActionKind, texts: &[&str]) -> Vec<usize> {
        let mut at = 0;
        texts
            .iter()
            .map(|t| {
                if let Some(n) = step_number(kind, at, t) {
                    at = n;
                }
                at
            })
            .collect()
    }

    #[test]
    fn build_steps_count_up_and_retries_keep_the_number() {
        let texts = [
            "reading PR #41",
            "reading pipeline.yaml at abc1234",
            "reading kaniko.yaml at abc1234",
            "uploading pipeline demo to KFP",
            "pipeline version v1 uploaded",
            "starting 2 Kaniko pods in kfops",
            "watch interrupted, retrying: gone",
            "posting the build comment",
        ];
        assert_eq!(walk(ActionKind::Build, &texts), [1, 2, 3, 4, 5, 6, 6, 7]);
        assert_eq!(step_count(ActionKind::Build), 7);
    }

    #[test]
    fn skipped_phases_make_the_number_jump() {
        let texts = [
            "reading PR #41",
            "reading pipeline.yaml at abc1234",
            "uploading pipeline demo to KFP",
        ];
        assert_eq!(walk(ActionKind::Build, &texts), [1, 2, 4]);
        let run = [
            "finding experiment e",
            "starting run r",
            "run r started; watching it",
        ];
        assert_eq!(walk(ActionKind::Run, &run), [2, 4, 5]);
        let staging = [
            "checking #41 against its base branch",
            "reading isvc.yaml",
            "creating InferenceService staging/m",
            "waiting for staging/m to be ready (up to 60s)",
            "commenting and moving the label",
        ];
        assert_eq!(
            walk(ActionKind::Deploy(DeployTarget::Staging), &staging),
            [3, 4, 5, 6, 9]
        );
        assert_eq!(step_count(ActionKind::Deploy(DeployTarget::Staging)), 9);
        assert_eq!(step_count(ActionKind::BuildRun), 12);
    }
}
