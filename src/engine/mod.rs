//! The Kfops actions (build; later run and deploy): orchestration over the backends, emitting
//! [`ActionEvent`]s as they progress. Knows nothing about terminals: the console and the
//! headless CLI both drive it.

pub mod build;
pub mod comments;
pub mod compile;
pub mod deploy;
pub mod deploy_checks;
pub mod events;
pub mod failure;
pub mod in_flight;
pub mod kaniko;
pub mod kaniko_context;
pub mod progress;
pub mod revision;
pub mod run;
pub mod sample_test;
pub mod step;

pub use events::{ActionError, ActionEvent, ActionKind, FailureComment, Refusal};
pub use in_flight::{ActionGuard, InFlight};
pub use step::Step;

use crate::backends::cluster::Cluster;
use crate::backends::github::GitHub;
use crate::backends::kfp::Kfp;

/// The real clients an action uses.
#[derive(Debug, Clone)]
pub struct Backends {
    pub github: GitHub,
    pub cluster: Cluster,
    pub kfp: Kfp,
}

use crate::chatops::ChatCommand;
use crate::config::Config;

/// Performs a chat command on a PR with Kfops' rules, holding the PR's in-flight slot for the
/// whole action: a second action on the same PR is refused while one runs. Returns a one-line
/// summary on success.
pub async fn perform(
    b: &Backends,
    cfg: &Config,
    in_flight: &InFlight,
    pr: u64,
    cmd: &ChatCommand,
    run_poll: std::time::Duration,
    emit: &(dyn Fn(ActionEvent) + Send + Sync),
) -> Result<String, ActionError> {
    let run_options = |version_id: Option<String>| run::RunOptions {
        version_id,
        wait: true,
        poll: run_poll,
    };
    let kind = ActionKind::of(cmd);
    let _guard = in_flight.try_begin(pr, kind).map_err(|running| {
        ActionError::new(
            "start",
            format!("{running} is already running on #{pr}; wait for it to finish"),
        )
    })?;
    match cmd {
        ChatCommand::Build => build::build(b, cfg, pr, true, emit)
            .await
            .map(|o| format!("pipeline version {}", o.version_id)),
        ChatCommand::Run => run::run(b, cfg, pr, &run_options(None), emit)
            .await
            .map(|o| format!("run {} {}", o.run_id, o.state)),
        ChatCommand::BuildRun => {
            let built = build::build(b, cfg, pr, false, emit).await?;
            run::run(
                b,
                cfg,
                pr,
                &run_options(Some(built.version_id.clone())),
                emit,
            )
            .await
            .map(|o| {
                format!(
                    "pipeline version {}, run {} {}",
                    built.version_id, o.run_id, o.state
                )
            })
        }
        ChatCommand::Deploy {
            target,
            run_id,
            force,
            allow_run_of_pr,
        } => {
            let req = deploy::DeployRequest {
                target: *target,
                run_id: run_id.clone(),
                force: *force,
                allow_run_of_pr: *allow_run_of_pr,
            };
            deploy::deploy(b, cfg, pr, &req, emit).await.map(|o| {
                let merged = o
                    .merge_sha
                    .map(|s| format!("; merged as {s}"))
                    .unwrap_or_default();
                format!(
                    "run {} serves in {}/{}{merged}",
                    o.run_id, o.namespace, o.name
                )
            })
        }
    }
}
