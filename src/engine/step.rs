//! The steps an action reports as it goes (`ActionEvent::Step`), typed: each carries what its
//! text needs, the text is its `Display`, and [`Step::phase`] says which phase of its action
//! it starts (`progress.rs` numbers the phases), so nothing reads the human text back.

use std::fmt;

use super::progress::Phase;
use super::sample_test::SampleTest;
use crate::backends::kfp::RuntimeState;

/// A step of `/build`, `/run` or a deploy, or a note on the step in progress (a retry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    // `/build`
    ReadPr {
        pr: u64,
    },
    /// The committed pipeline package.
    ReadPackage {
        path: String,
        sha7: String,
    },
    /// `pipeline.mode = "compile"`: the package compiled in a pod instead.
    Compile {
        pipeline_path: String,
        sha7: String,
        pod: String,
    },
    /// The Kaniko pod template (only with images to build).
    ReadPodTemplate {
        path: String,
        sha7: String,
    },
    UploadPipeline {
        name: String,
    },
    /// Note: the upload's outcome, not a phase of its own.
    VersionUploaded {
        version_id: String,
    },
    StartImageBuilds {
        pods: usize,
        namespace: String,
    },
    /// Note: the build pods' watch broke and starts again.
    PodWatchRetry {
        error: String,
    },
    PostBuildComment,
    // `/run`
    ReadLastVersion {
        pr: u64,
    },
    FindExperiment {
        name: String,
    },
    CreateExperiment {
        name: String,
    },
    StartRun {
        name: String,
    },
    WatchRun {
        run_id: String,
    },
    /// Note: one poll of the run failed; the watch goes on.
    RunPollRetry {
        run_id: String,
        error: String,
    },
    /// The run ended; its result comment is posted next.
    RunEnded {
        run_id: String,
        state: RuntimeState,
    },
    // `/deploy`, `/staging_deploy`
    ReadComments {
        pr: u64,
    },
    CheckRun {
        run_id: String,
    },
    CheckPull {
        pr: u64,
    },
    /// Note: GitHub has not computed `mergeable` yet; read again.
    MergeableRetry {
        pr: u64,
    },
    ReadServiceTemplate {
        path: String,
    },
    CreateService {
        namespace: String,
        name: String,
    },
    ReplaceService {
        namespace: String,
        name: String,
    },
    /// Re-deploying what already serves: nothing to roll out.
    AlreadyServing {
        run_id: String,
        namespace: String,
        name: String,
        revision: String,
    },
    WaitReady {
        namespace: String,
        name: String,
        seconds: u64,
    },
    SendSample {
        path: String,
        revision: String,
        via: String,
    },
    /// The sample test is over (passed or skipped): all traffic moves to the new revision.
    MoveTraffic {
        sample: SampleTest,
    },
    Merge {
        pr: u64,
    },
    CommentAndLabel,
}

impl Step {
    /// The phase this step starts; `None` for a note on the phase in progress.
    pub fn phase(&self) -> Option<Phase> {
        use Step::*;
        Some(match self {
            ReadPr { .. } => Phase::ReadPr,
            ReadPackage { .. } | Compile { .. } => Phase::Package,
            ReadPodTemplate { .. } => Phase::PodTemplate,
            UploadPipeline { .. } => Phase::Upload,
            StartImageBuilds { .. } => Phase::BuildImages,
            PostBuildComment => Phase::BuildComment,
            ReadLastVersion { .. } => Phase::LastVersion,
            FindExperiment { .. } => Phase::FindExperiment,
            CreateExperiment { .. } => Phase::CreateExperiment,
            StartRun { .. } => Phase::StartRun,
            WatchRun { .. } => Phase::WatchRun,
            RunEnded { .. } => Phase::RunComment,
            ReadComments { .. } => Phase::ReadComments,
            CheckRun { .. } => Phase::CheckRun,
            CheckPull { .. } => Phase::CheckPull,
            ReadServiceTemplate { .. } => Phase::ServiceTemplate,
            CreateService { .. } | ReplaceService { .. } | AlreadyServing { .. } => Phase::Rollout,
            WaitReady { .. } => Phase::WaitReady,
            SendSample { .. } => Phase::SampleTest,
            MoveTraffic { .. } => Phase::MoveTraffic,
            Merge { .. } => Phase::Merge,
            CommentAndLabel => Phase::DeployComment,
            VersionUploaded { .. }
            | PodWatchRetry { .. }
            | RunPollRetry { .. }
            | MergeableRetry { .. } => return None,
        })
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Step::*;
        match self {
            ReadPr { pr } => write!(f, "reading PR #{pr}"),
            ReadPackage { path, sha7 } | ReadPodTemplate { path, sha7 } => {
                write!(f, "reading {path} at {sha7}")
            }
            Compile {
                pipeline_path,
                sha7,
                pod,
            } => write!(f, "compiling {pipeline_path} at {sha7} in pod {pod}"),
            UploadPipeline { name } => write!(f, "uploading pipeline {name} to KFP"),
            VersionUploaded { version_id } => write!(f, "pipeline version {version_id} uploaded"),
            StartImageBuilds { pods, namespace } => {
                write!(f, "starting {pods} Kaniko pods in {namespace}")
            }
            PodWatchRetry { error } => write!(f, "watch interrupted, retrying: {error}"),
            PostBuildComment => f.write_str("posting the build comment"),
            ReadLastVersion { pr } => write!(f, "reading the last built version of #{pr}"),
            FindExperiment { name } => write!(f, "finding experiment {name}"),
            CreateExperiment { name } => write!(f, "creating experiment {name}"),
            StartRun { name } => write!(f, "starting run {name}"),
            WatchRun { run_id } => write!(f, "run {run_id} started; watching it"),
            RunPollRetry { run_id, error } => {
                write!(f, "watching run {run_id}: {error} (retrying)")
            }
            RunEnded { run_id, state } => {
                write!(f, "run {run_id} ended {state}; commenting on the PR")
            }
            ReadComments { pr } => write!(f, "reading the comments of #{pr}"),
            CheckRun { run_id } => write!(f, "checking run {run_id} in KFP"),
            CheckPull { pr } => write!(f, "checking #{pr} against its base branch"),
            MergeableRetry { pr } => write!(
                f,
                "GitHub is still computing whether #{pr} can be merged; retrying"
            ),
            ReadServiceTemplate { path } => write!(f, "reading {path}"),
            CreateService { namespace, name } => {
                write!(f, "creating InferenceService {namespace}/{name}")
            }
            ReplaceService { namespace, name } => write!(
                f,
                "replacing {namespace}/{name} with the new revision at 0% traffic"
            ),
            AlreadyServing {
                run_id,
                namespace,
                name,
                revision,
            } => write!(
                f,
                "run {run_id} already serves all traffic in {namespace}/{name} ({revision}); nothing to roll out"
            ),
            WaitReady {
                namespace,
                name,
                seconds,
            } => write!(f, "waiting for {namespace}/{name} to be ready (up to {seconds}s)"),
            SendSample {
                path,
                revision,
                via,
            } => write!(f, "sending {path} to revision {revision} {via}"),
            MoveTraffic { sample } => match sample {
                SampleTest::Skipped => f.write_str("sample test skipped (no deployment.sample_input_path configured); moving all traffic to the new revision"),
                SampleTest::Passed { .. } => {
                    f.write_str("sample test passed; moving all traffic to the new revision")
                }
            },
            Merge { pr } => write!(f, "merging #{pr} into its base branch"),
            CommentAndLabel => f.write_str("commenting and moving the label"),
        }
    }
}
