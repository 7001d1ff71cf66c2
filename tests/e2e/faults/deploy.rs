//! Deploys under faults stop at the failing step and leave no half state: no label moved, no
//! merge, no success comment.

use kfops_console::chatops::DeployTarget;
use kfops_console::domain::LABEL_STAGING;
use kfops_console::engine::deploy::DeployRequest;
use kfops_sim::faults::{Fault, SimService};

use super::{requests_to, rule};
use crate::build_flow::setup;
use crate::support::deploy::{
    deploy_quietly, fast, has_label, last_run, no_half_production_deploy, request,
};

/// A production deploy of the run, not forced.
fn production(run: String) -> DeployRequest {
    request(DeployTarget::Production, Some(run), false)
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
    let err = deploy_quietly(&b, &cfg, 41, production(run))
        .await
        .unwrap_err();
    assert_eq!(err.step, "merge the PR");
    assert!(err.message.contains(&status.to_string()), "{err}");
    no_half_production_deploy(&sim, 41);
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
    let err = deploy_quietly(&b, &cfg, 41, production(run))
        .await
        .unwrap_err();
    assert_eq!(err.step, "wait for the InferenceService to be ready");
    no_half_production_deploy(&sim, 41);
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
    let err = deploy_quietly(&b, &cfg, 41, request(DeployTarget::Staging, None, false))
        .await
        .unwrap_err();
    assert_eq!(err.step, "post the deploy comment");
    assert!(err.message.contains("try again after"), "{err}");
    assert!(!has_label(&sim, 41, LABEL_STAGING));
    assert!(has_label(&sim, 44, LABEL_STAGING));
    // The deploy comment and the failure comment: each sent once, neither retried.
    assert_eq!(requests_to(&sim, "POST", "/issues/41/comments").len(), 2);
    sim.shutdown().await;
}
