//! `/run` and `/build_run` end to end against the simulator with the real clients: the
//! experiment is created once, the run gets `version_id`, it is watched to SUCCEEDED and the
//! completion comment carries the run ID; a failing task ends the action with its name.

use std::sync::{Arc, Mutex};

use kfops_console::backends::kfp::RuntimeState;
use kfops_console::chatops::{read_var, ChatCommand, VAR_RUN_ID, VAR_VERSION_ID};
use kfops_console::engine::run::{run, RunOptions};
use kfops_console::engine::{self, ActionEvent, InFlight};
use kfops_sim::Scenario;

use crate::build_flow::{fast_scenario, setup, POLL};

/// The fast demo without pre-existing experiments and runs.
fn fresh_kfp() -> Scenario {
    let mut s = fast_scenario();
    s.kfp.experiments.clear();
    s.kfp.runs.clear();
    s
}

fn options() -> RunOptions {
    RunOptions {
        version_id: None,
        wait: true,
        poll: POLL,
    }
}

#[tokio::test]
async fn build_then_run_creates_the_experiment_once_and_comments_the_run_id() {
    let (sim, cfg, backends) = setup(fresh_kfp()).await;
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let emit = move |ev: ActionEvent| sink.lock().unwrap().push(ev);
    let in_flight = InFlight::default();
    engine::perform(
        &backends,
        &cfg,
        &in_flight,
        41,
        &ChatCommand::Build,
        POLL,
        &emit,
    )
    .await
    .unwrap();
    let comments = sim.github().comments(41);
    let version = read_var(comments.iter().map(|c| c.body.as_str()), VAR_VERSION_ID).unwrap();

    let out = run(&backends, &cfg, 41, &options(), &emit).await.unwrap();
    assert_eq!(out.version_id, version, "the last built version of the PR");
    assert_eq!(out.state, RuntimeState::Succeeded);
    let stored = sim.kfp().run(&out.run_id).unwrap();
    assert_eq!(stored.pipeline_version_id, version);
    assert_eq!(stored.parameters["version_id"], serde_json::json!(version));
    for (k, v) in &cfg.pipeline.run_arguments {
        assert_eq!(&stored.parameters[k], v, "run argument {k} from the config");
    }
    let experiments: Vec<_> = sim
        .kfp()
        .experiments()
        .into_iter()
        .filter(|e| e.display_name == cfg.kfp.experiment_name)
        .collect();
    assert_eq!(experiments.len(), 1);
    assert_eq!(stored.experiment_id, experiments[0].id);

    // Comments: started, then Kfops' completion comment with the run ID and deploy hints.
    let comments = sim.github().comments(41);
    let bodies: Vec<&str> = comments.iter().map(|c| c.body.as_str()).collect();
    assert_eq!(
        read_var(bodies.iter().copied(), VAR_RUN_ID),
        Some(out.run_id.clone())
    );
    let last = bodies.last().unwrap();
    assert!(
        last.contains("Pipeline run successfully completed after"),
        "{last}"
    );
    assert!(
        last.contains(&format!("&#47;deploy --run-id={}", out.run_id)),
        "{last}"
    );
    assert!(bodies.iter().any(|b| b.contains("Pipeline run started.")));

    // A second run reuses the experiment.
    let second = run(&backends, &cfg, 41, &options(), &emit).await.unwrap();
    assert_ne!(second.run_id, out.run_id);
    let count = sim
        .kfp()
        .experiments()
        .iter()
        .filter(|e| e.display_name == cfg.kfp.experiment_name)
        .count();
    assert_eq!(count, 1, "experiment created once");

    // The run's progress was reported, ending with every task done.
    let events = events.lock().unwrap().clone();
    assert!(events
        .iter()
        .any(|e| matches!(e, ActionEvent::RunStarted { run_id, .. } if *run_id == out.run_id)));
    let last_progress = events
        .iter()
        .rev()
        .find_map(|e| match e {
            ActionEvent::RunProgress { run, .. } if run.run_id == second.run_id => {
                Some(run.clone())
            }
            _ => None,
        })
        .unwrap();
    assert_eq!(last_progress.state, RuntimeState::Succeeded);
    assert!(!last_progress.tasks().is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn a_failing_task_ends_the_run_action_with_its_name() {
    let mut scenario = fresh_kfp();
    scenario.kfp.fail_tasks = vec!["train".into()];
    let (sim, cfg, backends) = setup(scenario).await;
    let before = sim.github().comments(44).len();
    let err = run(&backends, &cfg, 44, &options(), &|_| {})
        .await
        .unwrap_err();
    assert!(err.message.contains("task train failed"), "{err}");
    assert!(err.message.contains("FAILED"), "{err}");
    let comments = sim.github().comments(44);
    let new: Vec<&str> = comments[before..].iter().map(|c| c.body.as_str()).collect();
    assert_eq!(new.len(), 2, "started + failed: {new:?}");
    assert!(new[1].contains("train"), "{}", new[1]);
    // The run's own failure comment (its state and failed task), not the generic one.
    assert!(new[1].contains("ended <b>FAILED</b>"), "{}", new[1]);
    assert!(!new[1].contains("failed at step"), "{}", new[1]);
    assert!(
        !new.iter().any(|b| b.contains("KFOPS_RUN_ID")),
        "no completion comment"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn run_without_a_build_says_so() {
    let (sim, cfg, backends) = setup(fresh_kfp()).await;
    let err = run(&backends, &cfg, 45, &options(), &|_| {})
        .await
        .unwrap_err();
    assert!(err.message.contains("no build yet"), "{err}");
    assert!(sim.kfp().runs().is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn build_run_chains_build_and_run_of_the_new_version() {
    let (sim, cfg, backends) = setup(fresh_kfp()).await;
    let summary = engine::perform(
        &backends,
        &cfg,
        &InFlight::default(),
        42,
        &ChatCommand::BuildRun,
        POLL,
        &|_| {},
    )
    .await
    .unwrap();
    let comments = sim.github().comments(42);
    let bodies: Vec<&str> = comments.iter().map(|c| c.body.as_str()).collect();
    let version = read_var(bodies.iter().copied(), VAR_VERSION_ID).unwrap();
    let run_id = read_var(bodies.iter().copied(), VAR_RUN_ID).unwrap();
    assert_eq!(sim.kfp().run(&run_id).unwrap().pipeline_version_id, version);
    assert!(summary.contains(&run_id), "{summary}");
    // The build comment of a chained build has no "Type /run" hint.
    let build_comment = bodies
        .iter()
        .find(|b| b.contains(&format!("KFOPS_VERSION_ID={version}")))
        .unwrap();
    assert!(!build_comment.contains("to run the compiled pipeline"));
    sim.shutdown().await;
}
