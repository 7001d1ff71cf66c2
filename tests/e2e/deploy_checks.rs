//! What a deploy checks before it changes anything, end to end against the simulator: the run
//! (KFP has it, it SUCCEEDED, it was built for this PR, or the operator named its PR) and, for
//! production, GitHub's `mergeable`. Refusals send no mutating request.

use std::time::Duration;

use kfops_console::chatops::DeployTarget;
use kfops_console::domain::{LABEL_PRODUCTION, LABEL_STAGING};
use kfops_console::engine::run::{run, RunOptions};
use kfops_console::engine::{ActionEvent, Refusal};

use crate::build_flow::setup;
use crate::headless::{config_for, kfops};
use crate::support::deploy::{
    deploy_quietly, fast, has_label, last_run, mutating_requests, newest_run, request,
    request_of_pr,
};

/// What the InferenceService of a namespace serves (`kfops.io/run-id`).
fn serving(sim: &kfops_sim::Simulator, ns: &str) -> String {
    let isvc = sim.kserve().get(ns, "churn-model").unwrap();
    isvc["metadata"]["annotations"]["kfops.io/run-id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_kfp_does_not_have_is_refused_before_anything_changes() {
    let (sim, cfg, b) = setup(fast()).await;
    let before = serving(&sim, "staging");
    let comments = sim.github().comments(44).len();
    let err = deploy_quietly(
        &b,
        &cfg,
        44,
        request(DeployTarget::Staging, Some("nope".into()), false),
    )
    .await
    .unwrap_err();
    assert_eq!(err.step, "check the run");
    assert!(err.message.contains("run nope not found in KFP"), "{err}");
    assert_eq!(err.refusal, Some(Refusal::Invalid));
    assert_eq!(mutating_requests(&sim), Vec::<String>::new());
    assert_eq!(serving(&sim, "staging"), before);
    assert_eq!(sim.github().comments(44).len(), comments, "no comment");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_command_line_refuses_an_unknown_run_and_sends_nothing() {
    use crate::support::console::{code, driver_on, finish_actions, key, select_pr, typed};
    let (sim, _cfg, _b) = setup(fast()).await;
    let mut driver = driver_on(&sim, 160, 45).await;
    select_pr(&mut driver, 44);
    driver.handle(key(':'));
    typed(&mut driver, "/staging_deploy --run-id=nope");
    driver.handle(code(crossterm::event::KeyCode::Enter));
    assert!(driver.app.actions.contains_key(&(0, 44)));
    let msg = finish_actions(&mut driver).await;
    assert!(
        msg.contains("refused") && msg.contains("run nope not found in KFP"),
        "{msg}"
    );
    assert!(
        matches!(driver.app.overlay, kfops_console::tui::app::Overlay::None),
        "no dialog: nothing to confirm"
    );
    assert_eq!(mutating_requests(&sim), Vec::<String>::new());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_forced_production_deploy_of_an_unknown_run_exits_2_and_sends_nothing() {
    let (sim, _cfg, _b) = setup(fast()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(&sim, dir.path());
    let before = serving(&sim, "production");
    let out = kfops(
        &[
            "deploy", "--pr", "44", "--run-id", "nope", "--force", "--yes",
        ],
        &config,
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("run nope not found in KFP"), "{stderr}");
    assert_eq!(mutating_requests(&sim), Vec::<String>::new());
    assert!(!sim.github().is_merged(44));
    assert_eq!(serving(&sim, "production"), before);

    // With --json: the final object names the step, still exit 2.
    let out = kfops(
        &[
            "deploy",
            "--pr",
            "44",
            "--staging",
            "--run-id",
            "nope",
            "--json",
        ],
        &config,
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last: serde_json::Value =
        serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap();
    assert_eq!(last["ok"], false, "{last}");
    assert_eq!(last["error"]["step"], "check the run", "{last}");
    assert_eq!(mutating_requests(&sim), Vec::<String>::new());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_did_not_succeed_is_refused() {
    let mut scenario = fast();
    scenario.kfp.fail_tasks = vec!["train".into()];
    let (sim, cfg, b) = setup(scenario).await;
    let options = RunOptions {
        version_id: None,
        wait: true,
        poll: Duration::from_millis(20),
    };
    run(&b, &cfg, 44, &options, &|_| {}).await.unwrap_err();
    let failed = newest_run(&sim, 44);
    let writes = mutating_requests(&sim);
    let err = deploy_quietly(
        &b,
        &cfg,
        44,
        request(DeployTarget::Staging, Some(failed.clone()), false),
    )
    .await
    .unwrap_err();
    assert!(
        err.message.contains(&format!("run {failed} is FAILED")),
        "{err}"
    );
    assert_eq!(err.refusal, Some(Refusal::Invalid));
    assert_eq!(mutating_requests(&sim), writes, "nothing sent");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_of_another_pr_is_refused_even_forced_unless_that_pr_is_named() {
    let (sim, cfg, b) = setup(fast()).await;
    let run41 = last_run(&sim, 41);
    // Production, forced: --force (behind base) does not imply another PR's run.
    let err = deploy_quietly(
        &b,
        &cfg,
        44,
        request(DeployTarget::Production, Some(run41.clone()), true),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.refusal,
        Some(Refusal::RunOfOtherPr {
            run_id: run41.clone(),
            pr: 41
        })
    );
    assert!(err.message.contains("built for #41, not #44"), "{err}");
    assert!(err.message.contains("--allow-run-of-pr 41"), "{err}");
    // Naming another PR than the run's does not do either.
    let err = deploy_quietly(
        &b,
        &cfg,
        44,
        request_of_pr(DeployTarget::Staging, run41.clone(), false, 43),
    )
    .await
    .unwrap_err();
    assert!(err.message.contains("built for #41"), "{err}");
    assert_eq!(mutating_requests(&sim), Vec::<String>::new());
    assert!(!sim.github().is_merged(44));
    assert!(!has_label(&sim, 44, LABEL_PRODUCTION));

    // Headless: exit 2 and nothing sent; with --allow-run-of-pr 41 it deploys.
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(&sim, dir.path());
    let args = ["deploy", "--pr", "44", "--staging", "--run-id", &run41];
    let out = kfops(&args, &config).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--allow-run-of-pr 41"), "{stderr}");
    assert_eq!(mutating_requests(&sim), Vec::<String>::new());
    let mut allowed = args.to_vec();
    allowed.extend(["--allow-run-of-pr", "41"]);
    let out = kfops(&allowed, &config).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(serving(&sim, "staging"), run41);
    assert!(has_label(&sim, 44, LABEL_STAGING));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_refuses_a_pr_github_cannot_merge_before_touching_the_service() {
    let (sim, cfg, b) = setup(fast()).await;
    let before = serving(&sim, "production");
    // #44 is up to date, but a conflicting change landed on its base: GitHub says `dirty`.
    sim.github().set_mergeable(44, Some(false), "dirty");
    let err = deploy_quietly(&b, &cfg, 44, request(DeployTarget::Production, None, false))
        .await
        .unwrap_err();
    assert_eq!(err.step, "check the PR");
    assert!(err.message.contains("#44 cannot be merged"), "{err}");
    assert!(err.message.contains("conflicts"), "{err}");
    assert_eq!(serving(&sim, "production"), before, "nothing serves #44");
    let writes = mutating_requests(&sim);
    assert!(
        writes.iter().all(|w| w.starts_with("POST /github/")),
        "only the failure comment: {writes:?}"
    );
    no_production_change(&sim, 44);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_reads_mergeable_again_while_github_computes_it() {
    let (sim, cfg, b) = setup(fast()).await;
    // GitHub answers `mergeable: null` until its background job is done.
    sim.github().set_mergeable(44, None, "unknown");
    let gh = sim.github().clone();
    let emit = move |ev: ActionEvent| {
        if let ActionEvent::Step {
            step: kfops_console::engine::Step::MergeableRetry { .. },
            ..
        } = &ev
        {
            gh.set_mergeable(44, Some(true), "clean");
        }
    };
    let run44 = last_run(&sim, 44);
    let out = kfops_console::engine::deploy::deploy(
        &b,
        &cfg,
        44,
        &request(DeployTarget::Production, None, false),
        &emit,
    )
    .await
    .unwrap();
    assert_eq!(out.run_id, run44);
    assert!(sim.github().is_merged(44));
    sim.shutdown().await;

    // Never computed: refused, nothing served.
    let (sim, cfg, b) = setup(fast()).await;
    sim.github().set_mergeable(41, None, "unknown");
    let err = deploy_quietly(&b, &cfg, 41, request(DeployTarget::Production, None, false))
        .await
        .unwrap_err();
    assert!(err.message.contains("not computed"), "{err}");
    no_production_change(&sim, 41);
    sim.shutdown().await;
}

/// Production untouched: still #40's run, no merge, no label moved, no success comment.
#[track_caller]
fn no_production_change(sim: &kfops_sim::Simulator, pr: u64) {
    assert_eq!(
        serving(sim, "production"),
        last_run(sim, 40),
        "production still serves #40"
    );
    assert!(!sim.github().is_merged(pr), "#{pr} was merged");
    assert!(!has_label(sim, pr, LABEL_PRODUCTION));
    assert!(has_label(sim, 40, LABEL_PRODUCTION), "the label stays");
    assert!(
        !sim.github()
            .comments(pr)
            .iter()
            .any(|c| c.body.contains("deployed to production")),
        "no success comment"
    );
}
