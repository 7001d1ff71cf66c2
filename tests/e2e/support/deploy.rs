//! Helpers for the deploy tests (`deploy_flow`, `faults::deploy`): the demo world with fast
//! InferenceServices, deploying without watching progress, the demo PRs' state on GitHub and
//! the "no half state" check.

use kfops_console::chatops::{read_var, DeployTarget, VAR_RUN_ID};
use kfops_console::config::Config;
use kfops_console::domain::LABEL_PRODUCTION;
use kfops_console::engine::deploy::{deploy, DeployOutput, DeployRequest};
use kfops_console::engine::{ActionError, Backends};
use kfops_sim::{Scenario, Simulator};

use crate::build_flow::fast_scenario;

/// The demo PR that holds the production label at the start (merged and closed).
pub const PRODUCTION_HOLDER: u64 = 40;

/// The demo world on the fast clock, with InferenceServices ready in 30 ms.
pub fn fast() -> Scenario {
    let mut s = fast_scenario();
    s.kserve.ready_ms = 30;
    s
}

/// The run the PR's comments name last (its last KFOPS_RUN_ID).
pub fn last_run(sim: &Simulator, pr: u64) -> String {
    let comments = sim.github().comments(pr);
    read_var(comments.iter().map(|c| c.body.as_str()), VAR_RUN_ID).unwrap()
}

pub fn request(target: DeployTarget, run_id: Option<String>, force: bool) -> DeployRequest {
    DeployRequest {
        target,
        run_id,
        force,
        allow_run_of_pr: None,
    }
}

/// A deploy of a run built for PR `owner`, confirmed explicitly.
pub fn request_of_pr(
    target: DeployTarget,
    run_id: String,
    force: bool,
    owner: u64,
) -> DeployRequest {
    DeployRequest {
        allow_run_of_pr: Some(owner),
        ..request(target, Some(run_id), force)
    }
}

/// The requests that change something (POST/PUT/PATCH/DELETE) the simulator recorded.
pub fn mutating_requests(sim: &Simulator) -> Vec<String> {
    sim.requests()
        .iter()
        .filter(|r| r.method != http::Method::GET && r.method != http::Method::HEAD)
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

/// The newest KFP run whose name carries the PR (`…-pr41-…`), completed or not.
pub fn newest_run(sim: &Simulator, pr: u64) -> String {
    sim.kfp()
        .runs()
        .into_iter()
        .filter(|r| r.display_name.contains(&format!("-pr{pr}-")))
        .max_by_key(|r| r.created_at)
        .unwrap()
        .id
}

/// Deploys `pr`, ignoring the progress events.
pub async fn deploy_quietly(
    b: &Backends,
    cfg: &Config,
    pr: u64,
    request: DeployRequest,
) -> Result<DeployOutput, ActionError> {
    deploy(b, cfg, pr, &request, &|_| {}).await
}

/// Whether the PR carries the label on the simulated GitHub.
pub fn has_label(sim: &Simulator, pr: u64, label: &str) -> bool {
    sim.github().labels_of(pr).iter().any(|l| l == label)
}

/// The PR's state on the simulated GitHub (`open`, `closed`).
pub fn pr_state(sim: &Simulator, pr: u64) -> Option<String> {
    sim.github().state_of(pr).map(|s| s.as_str().to_string())
}

/// How many "deployed to" comments the PR has.
pub fn success_comments(sim: &Simulator, pr: u64) -> usize {
    sim.github()
        .comments(pr)
        .iter()
        .filter(|c| c.body.contains("deployed to"))
        .count()
}

/// Nothing of a production deploy of `pr` reached GitHub: open, unmerged, no label moved, no
/// success comment.
#[track_caller]
pub fn no_half_production_deploy(sim: &Simulator, pr: u64) {
    assert!(!sim.github().is_merged(pr), "#{pr} was merged");
    assert_eq!(pr_state(sim, pr).as_deref(), Some("open"));
    assert!(
        !has_label(sim, pr, LABEL_PRODUCTION),
        "#{pr} took the production label"
    );
    assert!(
        has_label(sim, PRODUCTION_HOLDER, LABEL_PRODUCTION),
        "the label stays where it was"
    );
    assert_eq!(success_comments(sim, pr), 0);
}
