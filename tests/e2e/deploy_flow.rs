//! Deploy end to end against the simulator with the real clients, one test per Kfops rule.

use kfops_console::backends::kserve::{self, ServiceState};
use kfops_console::chatops::DeployTarget;
use kfops_console::config::Config;
use kfops_console::domain::{LABEL_PRODUCTION, LABEL_STAGING};
use kfops_console::engine::deploy::deploy;
use kfops_console::engine::Backends;

use crate::build_flow::setup;
use crate::support::deploy::{
    deploy_quietly, fast, has_label, last_run, no_half_production_deploy, pr_state, request,
    request_of_pr, success_comments,
};

async fn state(b: &Backends, cfg: &Config, ns: &str) -> ServiceState {
    let obj = kserve::get(&b.cluster, ns, &cfg.deployment.inference_service_name)
        .await
        .unwrap()
        .expect("the InferenceService exists");
    ServiceState::of(&obj)
}

// #42 has no run of its own: it deploys #41's run, confirmed explicitly (`allow_run_of_pr`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_refuses_a_pr_behind_its_base_then_deploys_it_with_force() {
    let (sim, cfg, b) = setup(fast()).await;
    let run = last_run(&sim, 41);
    let before = state(&b, &cfg, "production").await;
    let err = deploy_quietly(
        &b,
        &cfg,
        42,
        request_of_pr(DeployTarget::Production, run.clone(), false, 41),
    )
    .await
    .unwrap_err();
    assert_eq!(err.step, "check the PR");
    assert!(err.message.contains("3 commit(s) behind"), "{err}");
    assert_eq!(
        state(&b, &cfg, "production").await.run_id,
        before.run_id,
        "nothing deployed"
    );
    assert!(!sim.github().is_merged(42));
    assert!(!has_label(&sim, 42, LABEL_PRODUCTION));

    let out = deploy_quietly(
        &b,
        &cfg,
        42,
        request_of_pr(DeployTarget::Production, run.clone(), true, 41),
    )
    .await
    .unwrap();
    assert_eq!(out.run_id, run);
    let after = state(&b, &cfg, "production").await;
    assert_eq!(after.run_id.as_deref(), Some(run.as_str()));
    assert_eq!(after.ready, Some(true));
    assert!(sim.github().is_merged(42));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staging_moves_the_label_from_the_old_pr_to_the_new_one_and_does_not_merge() {
    let (sim, cfg, b) = setup(fast()).await;
    assert!(has_label(&sim, 44, LABEL_STAGING));
    deploy_quietly(&b, &cfg, 41, request(DeployTarget::Staging, None, false))
        .await
        .unwrap();
    assert!(has_label(&sim, 41, LABEL_STAGING));
    assert!(
        !has_label(&sim, 44, LABEL_STAGING),
        "removed from the old PR"
    );
    assert!(!sim.github().is_merged(41), "staging does not merge");
    assert_eq!(pr_state(&sim, 41).as_deref(), Some("open"));
    let s = state(&b, &cfg, "staging").await;
    assert_eq!(s.run_id, Some(last_run(&sim, 41)));
    assert_eq!(
        s.storage_uri,
        Some(format!("s3://trained-models/{}/", last_run(&sim, 41)))
    );
    // Canary rollout ended with all traffic on the new revision.
    assert_eq!(s.traffic.iter().map(|t| t.1).sum::<i64>(), 100);
    assert!(
        s.traffic
            .iter()
            .any(|t| t.1 == 100 && Some(&t.0) == s.latest_ready.as_ref()),
        "{s:?}"
    );
    assert_eq!(success_comments(&sim, 41), 1);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_merges_and_closes_the_pr_and_takes_the_label_from_the_closed_one() {
    let (sim, cfg, b) = setup(fast()).await;
    assert!(
        has_label(&sim, 40, LABEL_PRODUCTION),
        "the merged #40 has it"
    );
    let out = deploy_quietly(&b, &cfg, 41, request(DeployTarget::Production, None, false))
        .await
        .unwrap();
    assert!(out.merge_sha.is_some());
    assert!(sim.github().is_merged(41));
    assert_eq!(pr_state(&sim, 41).as_deref(), Some("closed"));
    assert!(has_label(&sim, 41, LABEL_PRODUCTION));
    assert!(
        !has_label(&sim, 40, LABEL_PRODUCTION),
        "state=all found the closed PR"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_sample_request_leaves_traffic_on_the_old_revision_and_moves_no_label() {
    let mut scenario = fast();
    scenario.kserve.fail_sample = vec!["churn-model".into()];
    let (sim, cfg, b) = setup(scenario).await;
    let before = state(&b, &cfg, "staging").await;
    let err = deploy_quietly(&b, &cfg, 41, request(DeployTarget::Staging, None, false))
        .await
        .unwrap_err();
    assert_eq!(err.step, "test the new revision with the sample input");
    assert!(err.message.contains("500"), "{err}");
    let after = state(&b, &cfg, "staging").await;
    // All traffic still goes to the revision that served before.
    let serving: Vec<_> = after.traffic.iter().filter(|t| t.1 > 0).collect();
    assert_eq!(serving.len(), 1, "{after:?}");
    assert_eq!(
        Some(&serving[0].0),
        before.latest_ready.as_ref(),
        "{after:?}"
    );
    assert!(has_label(&sim, 44, LABEL_STAGING), "label not moved");
    assert!(!has_label(&sim, 41, LABEL_STAGING));
    assert_eq!(success_comments(&sim, 41), 0);
    assert!(sim
        .github()
        .comments(41)
        .last()
        .unwrap()
        .body
        .contains("test the new revision"));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_that_never_becomes_ready_times_out_with_a_clear_message() {
    let mut scenario = fast();
    scenario.kserve.never_ready = vec!["churn-model".into()];
    let (sim, mut cfg, b) = setup(scenario).await;
    cfg.deployment.ready_timeout_seconds = 1;
    let err = deploy_quietly(&b, &cfg, 41, request(DeployTarget::Staging, None, false))
        .await
        .unwrap_err();
    assert_eq!(err.step, "wait for the InferenceService to be ready");
    assert!(
        err.message.contains("did not become ready within 1s"),
        "{err}"
    );
    assert!(!has_label(&sim, 41, LABEL_STAGING));
    sim.shutdown().await;
}

// The deploy pre-checks `mergeable` now: GitHub's answer changes between the check and the
// merge (a conflicting push to the base), so the merge itself is refused with 405.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_refused_with_405_is_reported_and_no_label_moves() {
    let (sim, cfg, b) = setup(fast()).await;
    // #43 is 1 commit behind (forced past the behind check) and mergeable when checked.
    sim.github().set_mergeable(43, Some(true), "behind");
    let run = last_run(&sim, 41);
    let gh = sim.github().clone();
    let emit = move |ev: kfops_console::engine::ActionEvent| {
        if let kfops_console::engine::ActionEvent::Step {
            step: kfops_console::engine::Step::Merge { .. },
            ..
        } = &ev
        {
            gh.set_mergeable(43, Some(false), "dirty");
        }
    };
    let err = deploy(
        &b,
        &cfg,
        43,
        &request_of_pr(DeployTarget::Production, run, true, 41),
        &emit,
    )
    .await
    .unwrap_err();
    assert_eq!(err.step, "merge the PR");
    assert!(err.message.contains("405"), "{err}");
    no_half_production_deploy(&sim, 43);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moved_head_refuses_the_merge_with_409() {
    let (sim, cfg, b) = setup(fast()).await;
    let run = last_run(&sim, 41);
    // Someone pushes to the PR just before the merge: the head SHA the deploy checked is stale.
    let gh = sim.github().clone();
    let emit = move |ev: kfops_console::engine::ActionEvent| {
        if let kfops_console::engine::ActionEvent::Step {
            step: kfops_console::engine::Step::Merge { .. },
            ..
        } = &ev
        {
            gh.set_head_sha(41, &"f".repeat(40));
        }
    };
    let err = deploy(
        &b,
        &cfg,
        41,
        &request(DeployTarget::Production, Some(run), false),
        &emit,
    )
    .await
    .unwrap_err();
    assert_eq!(err.step, "merge the PR");
    assert!(err.message.contains("409"), "{err}");
    assert!(!sim.github().is_merged(41));
    sim.shutdown().await;
}
