use super::*;
use crate::backends::kfp::RuntimeState;
use crate::engine::sample_test::SampleTest;

fn walk(kind: ActionKind, steps: &[Step]) -> Vec<usize> {
    let mut at = 0;
    steps
        .iter()
        .map(|s| {
            if let Some(n) = step_number(kind, at, s) {
                at = n;
            }
            at
        })
        .collect()
}

fn s(text: &str) -> String {
    text.to_string()
}

fn build_steps() -> Vec<Step> {
    vec![
        Step::ReadPr { pr: 41 },
        Step::ReadPackage {
            path: s("pipeline.yaml"),
            sha7: s("abc1234"),
        },
        Step::ReadPodTemplate {
            path: s("kaniko.yaml"),
            sha7: s("abc1234"),
        },
        Step::UploadPipeline { name: s("demo") },
        Step::VersionUploaded {
            version_id: s("v1"),
        },
        Step::StartImageBuilds {
            pods: 2,
            namespace: s("kfops"),
        },
        Step::PodWatchRetry { error: s("gone") },
        Step::PostBuildComment,
    ]
}

#[test]
fn build_steps_count_up_and_notes_keep_the_number() {
    assert_eq!(
        walk(ActionKind::Build, &build_steps()),
        [1, 2, 3, 4, 4, 5, 5, 6]
    );
    assert_eq!(step_count(ActionKind::Build), 6);
}

/// The image builds (where a build spends its time) were `step 6/7`: the upload's outcome
/// ("pipeline version … uploaded") counted as a phase of its own.
#[test]
fn the_image_builds_are_the_fifth_of_six_phases() {
    let at = *walk(ActionKind::Build, &build_steps()[..6])
        .last()
        .unwrap_or(&0);
    assert_eq!((at, step_count(ActionKind::Build)), (5, 6));
}

fn run_steps() -> Vec<Step> {
    vec![
        Step::FindExperiment { name: s("e") },
        Step::StartRun { name: s("r") },
        Step::WatchRun { run_id: s("r") },
        Step::RunPollRetry {
            run_id: s("r"),
            error: s("503"),
        },
        Step::RunEnded {
            run_id: s("r"),
            state: RuntimeState::Succeeded,
        },
    ]
}

/// While the run goes on, it is not the last phase (`5/5` said the action was at its end):
/// the result comment comes after it.
#[test]
fn a_running_run_is_not_the_last_phase() {
    assert_eq!(walk(ActionKind::Run, &run_steps()), [2, 4, 5, 5, 6]);
    assert_eq!(step_count(ActionKind::Run), 6);
}

#[test]
fn skipped_phases_make_the_number_jump() {
    let steps = [
        Step::ReadPr { pr: 41 },
        Step::ReadPackage {
            path: s("pipeline.yaml"),
            sha7: s("abc1234"),
        },
        Step::UploadPipeline { name: s("demo") },
    ];
    assert_eq!(walk(ActionKind::Build, &steps), [1, 2, 4]);
    let ns = || s("staging");
    let m = || s("m");
    let staging = [
        Step::CheckPull { pr: 41 },
        Step::MergeableRetry { pr: 41 },
        Step::ReadServiceTemplate {
            path: s("isvc.yaml"),
        },
        Step::CreateService {
            namespace: ns(),
            name: m(),
        },
        Step::WaitReady {
            namespace: ns(),
            name: m(),
            seconds: 60,
        },
        Step::CommentAndLabel,
    ];
    assert_eq!(
        walk(ActionKind::Deploy(DeployTarget::Staging), &staging),
        [3, 3, 4, 5, 6, 9]
    );
    assert_eq!(step_count(ActionKind::Deploy(DeployTarget::Staging)), 9);
    assert_eq!(step_count(ActionKind::BuildRun), 12);
}

/// The canary's second ready wait (after the traffic moved) keeps the later number.
#[test]
fn a_phase_already_passed_does_not_move_the_number_back() {
    let ns = || s("production");
    let m = || s("m");
    let wait = || Step::WaitReady {
        namespace: ns(),
        name: m(),
        seconds: 60,
    };
    let steps = [
        Step::ReplaceService {
            namespace: ns(),
            name: m(),
        },
        wait(),
        Step::SendSample {
            path: s("in.json"),
            revision: s("m-2"),
            via: s("through the proxy"),
        },
        Step::MoveTraffic {
            sample: SampleTest::Passed {
                revision: s("m-2"),
                via: s("through the proxy"),
            },
        },
        wait(),
        Step::Merge { pr: 41 },
    ];
    assert_eq!(
        walk(ActionKind::Deploy(DeployTarget::Production), &steps),
        [5, 6, 7, 8, 8, 9]
    );
}

/// `/build_run` counts the build's phases, then the run's (its version is given: no read).
#[test]
fn build_run_numbers_the_run_after_the_build() {
    let mut steps = build_steps();
    steps.extend(run_steps());
    let numbers = walk(ActionKind::BuildRun, &steps);
    assert_eq!(numbers[7..], [6, 8, 10, 11, 11, 12]);
}

/// The texts users see (console, headless, `--json`, audit log) are the ones matched before.
#[test]
fn texts_are_unchanged() {
    let texts: Vec<String> = build_steps().iter().map(Step::to_string).collect();
    assert_eq!(
        texts,
        [
            "reading PR #41",
            "reading pipeline.yaml at abc1234",
            "reading kaniko.yaml at abc1234",
            "uploading pipeline demo to KFP",
            "pipeline version v1 uploaded",
            "starting 2 Kaniko pods in kfops",
            "watch interrupted, retrying: gone",
            "posting the build comment",
        ]
    );
    let run: Vec<String> = run_steps().iter().map(Step::to_string).collect();
    assert_eq!(
        run,
        [
            "finding experiment e",
            "starting run r",
            "run r started; watching it",
            "watching run r: 503 (retrying)",
            "run r ended SUCCEEDED; commenting on the PR",
        ]
    );
}
