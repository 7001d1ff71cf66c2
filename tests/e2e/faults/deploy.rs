//! Deploys under faults stop at the failing step and leave no half state: no label moved, no
//! merge, no success comment.

use kfops_console::chatops::{read_var, DeployTarget, VAR_RUN_ID};
use kfops_console::domain::{LABEL_PRODUCTION, LABEL_STAGING};
use kfops_console::engine::deploy::{deploy, DeployRequest};
use kfops_console::sim::faults::{Fault, SimService};
use kfops_console::sim::{Scenario, Simulator};

use super::{requests_to, rule};
use crate::build_flow::{fast_scenario, setup};

fn fast() -> Scenario {
    let mut s = fast_scenario();
    s.kserve.ready_ms = 30;
    s
}

fn last_run(sim: &Simulator, pr: u64) -> String {
    let comments = sim.github().comments(pr);
    read_var(comments.iter().map(|c| c.body.as_str()), VAR_RUN_ID).unwrap()
}

fn production(run: String) -> DeployRequest {
    DeployRequest {
        target: DeployTarget::Production,
        run_id: Some(run),
        force: false,
    }
}

fn success_comments(sim: &Simulator, pr: u64) -> usize {
    sim.github()
        .comments(pr)
        .iter()
        .filter(|c| c.body.contains("deployed to"))
        .count()
}

/// Nothing of a production deploy of #41 reached GitHub: open, unmerged, no label moved, no
/// success comment.
fn no_half_state(sim: &Simulator) {
    assert!(!sim.github().is_merged(41));
    assert_eq!(
        sim.github()
            .state_of(41)
            .map(|s| s.as_str().to_string())
            .as_deref(),
        Some("open")
    );
    assert!(!sim
        .github()
        .labels_of(41)
        .contains(&LABEL_PRODUCTION.to_string()));
    assert!(
        sim.github()
            .labels_of(40)
            .contains(&LABEL_PRODUCTION.to_string()),
        "the label stays where it was"
    );
    assert_eq!(success_comments(sim, 41), 0);
}

async fn merge_refused(status: u16) {
    let (sim, cfg, b) = setup(fast()).await;
    sim.faults()
        .add(rule(
            SimService::Github,
            Some("PUT"),
            Some("/repos/*/*/pulls/41/merge"),
            None,
            Fault::Status {
                status,
                message: None,
            },
        ))
        .unwrap();
    let run = last_run(&sim, 41);
    let err = deploy(&b, &cfg, 41, &production(run), &|_| {})
        .await
        .unwrap_err();
    assert_eq!(err.step, "merge the PR");
    assert!(err.message.contains(&status.to_string()), "{err}");
    no_half_state(&sim);
    assert_eq!(
        requests_to(&sim, "PUT", "/merge").len(),
        1,
        "a merge is a write: sent once"
    );
    assert!(requests_to(&sim, "POST", "/labels").is_empty());
    assert!(sim
        .github()
        .comments(41)
        .last()
        .unwrap()
        .body
        .contains("merge the PR"));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_refused_with_405_stops_the_deploy_at_the_merge() {
    merge_refused(405).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_refused_with_409_stops_the_deploy_at_the_merge() {
    merge_refused(409).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_never_ready_by_fault_stops_the_deploy_before_the_merge() {
    let (sim, mut cfg, b) = setup(fast()).await;
    sim.faults()
        .add(rule(
            SimService::Kserve,
            None,
            None,
            None,
            Fault::NeverReady {
                names: vec!["churn-model".into()],
            },
        ))
        .unwrap();
    cfg.deployment.ready_timeout_seconds = 1;
    let run = last_run(&sim, 41);
    let err = deploy(&b, &cfg, 41, &production(run), &|_| {})
        .await
        .unwrap_err();
    assert_eq!(err.step, "wait for the InferenceService to be ready");
    no_half_state(&sim);
    assert!(requests_to(&sim, "PUT", "/merge").is_empty());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_deploy_comment_stops_before_the_label_and_says_when_to_retry() {
    let (sim, cfg, b) = setup(fast()).await;
    sim.faults()
        .add(rule(
            SimService::Github,
            Some("POST"),
            Some("/repos/*/*/issues/41/comments"),
            None,
            Fault::RateLimit {
                status: 429,
                retry_after: Some("120".into()),
                remaining: 0,
                limit: 5000,
                reset_in_seconds: 120,
                resource: "core".into(),
                secondary: false,
            },
        ))
        .unwrap();
    let err = deploy(
        &b,
        &cfg,
        41,
        &DeployRequest {
            target: DeployTarget::Staging,
            run_id: None,
            force: false,
        },
        &|_| {},
    )
    .await
    .unwrap_err();
    assert_eq!(err.step, "post the deploy comment");
    assert!(err.message.contains("try again after"), "{err}");
    assert!(!sim
        .github()
        .labels_of(41)
        .contains(&LABEL_STAGING.to_string()));
    assert!(sim
        .github()
        .labels_of(44)
        .contains(&LABEL_STAGING.to_string()));
    // The deploy comment and the failure comment: each sent once, neither retried.
    assert_eq!(requests_to(&sim, "POST", "/issues/41/comments").len(), 2);
    sim.shutdown().await;
}
