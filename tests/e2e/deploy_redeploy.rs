//! Re-deploying the run that already serves, and retrying after a failed merge: KServe makes
//! no new revision for an unchanged predictor (see `sim_kserve::revisions`), so the deploy
//! must complete without waiting for one, keep all traffic on the serving revision, and go on
//! to the merge and the labels.

use kfops_console::chatops::DeployTarget;
use kfops_console::domain::{LABEL_PRODUCTION, LABEL_STAGING};
use kfops_sim::faults::{Fault, SimService};

use crate::build_flow::setup;
use crate::faults::rule;
use crate::support::deploy::{deploy_quietly, fast, has_label, last_run, request};

/// `(revision, percent)` of the traffic with a share.
fn serving(sim: &kfops_sim::Simulator, ns: &str) -> Vec<(String, i64)> {
    sim.kserve()
        .traffic(ns, "churn-model")
        .into_iter()
        .filter(|t| t.percent > 0)
        .map(|t| (t.revision_name, t.percent))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redeploying_the_run_that_serves_completes_without_a_new_revision() {
    let (sim, mut cfg, b) = setup(fast()).await;
    // Short, so the old behaviour (waiting for a revision that never comes) fails quickly.
    cfg.deployment.ready_timeout_seconds = 2;
    let before = serving(&sim, "staging");
    let revisions = sim.kserve().revisions("staging", "churn-model").len();
    // #44's run serves staging already.
    let out = deploy_quietly(&b, &cfg, 44, request(DeployTarget::Staging, None, false))
        .await
        .unwrap();
    assert_eq!(out.run_id, last_run(&sim, 44));
    assert_eq!(
        sim.kserve().revisions("staging", "churn-model").len(),
        revisions,
        "no new revision"
    );
    assert_eq!(serving(&sim, "staging"), before, "all traffic where it was");
    assert!(has_label(&sim, 44, LABEL_STAGING));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_a_failed_merge_completes_and_merges() {
    let (sim, mut cfg, b) = setup(fast()).await;
    cfg.deployment.ready_timeout_seconds = 2;
    sim.faults()
        .add(rule(
            SimService::Github,
            Some("PUT"),
            Some("/repos/*/*/pulls/41/merge"),
            Some(1),
            Fault::Status {
                status: 502,
                message: None,
            },
        ))
        .unwrap();
    let err = deploy_quietly(&b, &cfg, 41, request(DeployTarget::Production, None, false))
        .await
        .unwrap_err();
    assert_eq!(err.step, "merge the PR");
    let served = serving(&sim, "production");
    let revisions = sim.kserve().revisions("production", "churn-model").len();
    // The model serves; the retry finds it serving and merges.
    let out = deploy_quietly(&b, &cfg, 41, request(DeployTarget::Production, None, false))
        .await
        .unwrap();
    assert!(out.merge_sha.is_some());
    assert!(sim.github().is_merged(41));
    assert!(has_label(&sim, 41, LABEL_PRODUCTION));
    assert_eq!(
        sim.kserve().revisions("production", "churn-model").len(),
        revisions
    );
    assert_eq!(serving(&sim, "production"), served);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redeploying_after_a_failed_sample_test_tests_the_same_revision_again() {
    let mut scenario = fast();
    scenario.kserve.fail_sample = vec!["churn-model".into()];
    let (sim, mut cfg, b) = setup(scenario).await;
    cfg.deployment.ready_timeout_seconds = 2;
    let old = serving(&sim, "staging");
    deploy_quietly(&b, &cfg, 41, request(DeployTarget::Staging, None, false))
        .await
        .unwrap_err();
    assert_eq!(serving(&sim, "staging"), old, "the failed canary has 0%");
    let revisions = sim.kserve().revisions("staging", "churn-model").len();
    // The sample now passes: the same revision is tested and promoted, no new one made.
    sim.kserve().set_fail_sample(Vec::<String>::new());
    deploy_quietly(&b, &cfg, 41, request(DeployTarget::Staging, None, false))
        .await
        .unwrap();
    let revs = sim.kserve().revisions("staging", "churn-model");
    assert_eq!(revs.len(), revisions);
    let latest = revs.last().unwrap().name.clone();
    assert_eq!(serving(&sim, "staging"), vec![(latest, 100)]);
    assert!(has_label(&sim, 41, LABEL_STAGING));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_serving_run_deployed_for_another_pr_makes_a_revision_naming_that_pr() {
    let (sim, mut cfg, b) = setup(fast()).await;
    cfg.deployment.ready_timeout_seconds = 5;
    let revisions = sim.kserve().revisions("staging", "churn-model").len();
    // #44's run, which serves staging, deployed for #41 (confirmed): the model is the same,
    // `kfops.io/pr` is not, and KServe copies it into the revision template.
    let run44 = last_run(&sim, 44);
    let out = deploy_quietly(
        &b,
        &cfg,
        41,
        crate::support::deploy::request_of_pr(DeployTarget::Staging, run44.clone(), false, 44),
    )
    .await
    .unwrap();
    assert_eq!(out.run_id, run44);
    let revs = sim.kserve().revisions("staging", "churn-model");
    assert_eq!(revs.len(), revisions + 1);
    let latest = revs.last().unwrap();
    assert_eq!(
        latest.annotations.get("kfops.io/pr").map(String::as_str),
        Some("41")
    );
    assert_eq!(serving(&sim, "staging"), vec![(latest.name.clone(), 100)]);
    assert!(has_label(&sim, 41, LABEL_STAGING));
    sim.shutdown().await;
}
