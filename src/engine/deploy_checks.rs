//! What a deploy checks before it changes anything (no InferenceService write, no comment, no
//! label, no merge):
//!
//! - the run: KFP has it (`GET /apis/v2beta1/runs/{id}`), it SUCCEEDED, and it was built for
//!   this PR: its pipeline version is one of the PR's builds (a `KFOPS_VERSION_ID` of its
//!   comments, or a version named `{pipeline}-pr{N}-…` as `/build` names them), else its own
//!   name (`{pipeline}-pr{N}-…` as `/run` names runs). A run of another PR is refused unless
//!   the operator named that PR (`allow_run_of_pr`); these refusals are [`Refusal`]s;
//! - production: the PR is not behind its base (unless forced) and GitHub says it can be
//!   merged (`mergeable`, computed lazily: `null` is re-read a few times), so no model of a
//!   PR that cannot be merged ever serves.

use std::time::Duration;

use super::events::{ActionError, Refusal};
use super::step::Step;
use super::Backends;
use crate::backends::github::PullCheck;
use crate::backends::kfp::{Run, RuntimeState};
use crate::chatops::{vars_in, DeployTarget, VAR_VERSION_ID};
use crate::config::Config;

const RUN_STEP: &str = "check the run";
const PR_STEP: &str = "check the PR";

/// How many times `mergeable: null` is read again, and how long apart.
const MERGEABLE_READS: u32 = 4;
const MERGEABLE_POLL: Duration = Duration::from_millis(500);

/// Checks that `run_id` can be deployed on `pr` (see the module docs). `bodies` are the PR's
/// comments, oldest first.
pub async fn check_run(
    b: &Backends,
    cfg: &Config,
    pr: u64,
    run_id: &str,
    bodies: &[String],
    allow_run_of_pr: Option<u64>,
) -> Result<(), ActionError> {
    let run = match b.kfp.get_run(run_id).await {
        Ok(run) => run,
        Err(e) if e.status == Some(404) => {
            return Err(ActionError::refused(
                RUN_STEP,
                format!("run {run_id} not found in KFP; name a run of #{pr} with --run-id (kfops runs --pr {pr} lists them), or run it first with /run"),
                Refusal::Invalid,
            ))
        }
        Err(e) => return Err(ActionError::backend(RUN_STEP)(e)),
    };
    if run.state != RuntimeState::Succeeded {
        return Err(ActionError::refused(
            RUN_STEP,
            format!(
                "run {run_id} is {}, not SUCCEEDED: only a run that succeeded has a model to deploy",
                run.state.as_str()
            ),
            Refusal::Invalid,
        ));
    }
    match built_for(b, cfg, pr, &run, bodies).await? {
        Some(owner) if owner == pr || allow_run_of_pr == Some(owner) => Ok(()),
        Some(owner) => Err(ActionError::refused(
            RUN_STEP,
            format!(
                "run {run_id} was built for #{owner}, not #{pr}: deploying it would ship #{owner}'s model as #{pr}'s{}; \
                 to do it anyway, confirm #{owner} explicitly (type {owner} in the console's dialog, or pass --allow-run-of-pr {owner})",
                if allow_run_of_pr.is_some() { " (the PR allowed was another one)" } else { "" }
            ),
            Refusal::RunOfOtherPr {
                run_id: run_id.to_string(),
                pr: owner,
            },
        )),
        None => Err(ActionError::refused(
            RUN_STEP,
            format!(
                "run {run_id} was not built from a pipeline version of #{pr} (version {}); deploy a run of #{pr}",
                run.version_id().unwrap_or("unknown")
            ),
            Refusal::Invalid,
        )),
    }
}

/// The PR a run was built for: its version among the PR's builds, else the PR its version's
/// name says, else the PR its own name says.
async fn built_for(
    b: &Backends,
    cfg: &Config,
    pr: u64,
    run: &Run,
    bodies: &[String],
) -> Result<Option<u64>, ActionError> {
    let pipeline = &cfg.pipeline.name;
    if let Some(version) = run.version_id() {
        let of_this_pr = bodies
            .iter()
            .flat_map(|body| vars_in(body))
            .any(|(name, value)| name == VAR_VERSION_ID && value == version);
        if of_this_pr {
            return Ok(Some(pr));
        }
        let pipeline_id = run
            .pipeline_version_reference
            .as_ref()
            .map(|r| r.pipeline_id.as_str())
            .unwrap_or_default();
        if !pipeline_id.is_empty() {
            match b.kfp.get_version(pipeline_id, version).await {
                Ok(v) => {
                    let name = v.display_name.as_deref().unwrap_or(&v.name);
                    if let Some(owner) = pr_in_name(pipeline, name) {
                        return Ok(Some(owner));
                    }
                }
                // A deleted version: the run's name may still say.
                Err(e) if e.status == Some(404) => {}
                Err(e) => return Err(ActionError::backend(RUN_STEP)(e)),
            }
        }
    }
    Ok(pr_in_name(pipeline, &run.display_name))
}

/// `churn-model-pr42-…` → 42 (Kfops' names of pipeline versions and runs).
pub fn pr_in_name(pipeline: &str, name: &str) -> Option<u64> {
    let rest = name.strip_prefix(pipeline)?.strip_prefix("-pr")?;
    let (number, _) = rest.split_once('-')?;
    if number.is_empty() || !number.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    number.parse().ok().filter(|n| *n > 0)
}

/// Reads the PR fresh; production refuses a PR behind its base (unless `force`) or one GitHub
/// cannot merge. Returns the head SHA the deploy reads the template at and merges.
pub async fn check_pull(
    b: &Backends,
    pr: u64,
    target: DeployTarget,
    force: bool,
    step: &(dyn Fn(Step) + Sync),
) -> Result<String, ActionError> {
    step(Step::CheckPull { pr });
    let mut check = read_pull(b, pr).await?;
    if target != DeployTarget::Production {
        return Ok(check.head_sha);
    }
    if check.behind > 0 && !force {
        return Err(ActionError::new(
            PR_STEP,
            format!(
                "#{pr} is {} commit(s) behind its base branch; update it, or deploy with --force",
                check.behind
            ),
        ));
    }
    // GitHub computes `mergeable` in the background and answers `null` until it is done:
    // "Get a pull request", https://docs.github.com/rest/pulls/pulls#get-a-pull-request
    let mut reads = 1;
    while check.mergeable.is_none() && reads < MERGEABLE_READS {
        step(Step::MergeableRetry { pr });
        tokio::time::sleep(MERGEABLE_POLL).await;
        check = read_pull(b, pr).await?;
        reads += 1;
    }
    match unmergeable(&check) {
        None => Ok(check.head_sha),
        Some(why) => Err(ActionError::new(
            PR_STEP,
            format!("#{pr} cannot be merged ({why}); nothing was deployed. Resolve it on GitHub, then deploy again"),
        )),
    }
}

async fn read_pull(b: &Backends, pr: u64) -> Result<PullCheck, ActionError> {
    b.github
        .deploy_check(pr)
        .await
        .map_err(ActionError::backend(PR_STEP))
}

/// Why GitHub would refuse to merge the PR (`None`: it can be merged).
pub fn unmergeable(check: &PullCheck) -> Option<String> {
    let state = check.mergeable_state.as_deref().unwrap_or("unknown");
    let why = match (check.mergeable, state) {
        (None, _) => "GitHub has not computed its mergeability yet; try again in a moment",
        (_, "dirty") => "it conflicts with its base branch",
        (_, "draft") => "it is a draft",
        (_, "blocked") => "branch protection blocks it: required reviews or checks",
        (Some(false), _) => "GitHub says it is not mergeable",
        (Some(true), _) => return None,
    };
    Some(format!("mergeable_state {state}: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pr_in_kfops_names() {
        assert_eq!(
            pr_in_name("churn-model", "churn-model-pr42-59dba34-20261104131757208"),
            Some(42)
        );
        assert_eq!(
            pr_in_name("churn-model", "churn-model-pr7-0f3c9a2e-20261125T101500"),
            Some(7)
        );
        assert_eq!(pr_in_name("churn-model", "churn-model"), None);
        assert_eq!(pr_in_name("churn-model", "churn-model-pr-x-1"), None);
        assert_eq!(pr_in_name("churn-model", "churn-model-pr0-x"), None);
        assert_eq!(pr_in_name("churn", "churn-model-pr4-x"), None);
    }

    #[test]
    fn what_github_would_refuse_to_merge() {
        let check = |mergeable, state: &str| PullCheck {
            behind: 0,
            head_sha: "s".into(),
            mergeable,
            mergeable_state: Some(state.into()),
        };
        assert_eq!(unmergeable(&check(Some(true), "clean")), None);
        assert_eq!(unmergeable(&check(Some(true), "behind")), None);
        assert_eq!(unmergeable(&check(Some(true), "unstable")), None);
        let dirty = unmergeable(&check(Some(false), "dirty")).unwrap_or_default();
        assert!(dirty.contains("conflicts"), "{dirty}");
        assert!(unmergeable(&check(Some(true), "draft")).is_some());
        assert!(unmergeable(&check(Some(true), "blocked")).is_some());
        assert!(unmergeable(&check(None, "unknown")).is_some());
        assert!(unmergeable(&check(Some(false), "unknown")).is_some());
    }
}
