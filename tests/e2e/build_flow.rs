//! `/build` end to end against the simulator with the real clients (octocrab, kube, reqwest):
//! parallel Kaniko pods tagged with the uploaded version ID, the Kfops comment, failures named,
//! and one build per PR at a time.

use std::sync::{Arc, Mutex};

use kfops_console::chatops::{read_var, ChatCommand, VAR_VERSION_ID};
use kfops_console::config::{Config, ImageConfig};
use kfops_console::domain::build_labels;
use kfops_console::engine::{self, ActionEvent, Backends, InFlight};
use kfops_console::launch;
use kfops_sim::{Scenario, Simulator};

/// How often the tests poll a running pipeline run.
pub const POLL: std::time::Duration = std::time::Duration::from_millis(30);

/// The demo scenario with a fast clock.
pub fn fast_scenario() -> Scenario {
    let mut s = Scenario::demo();
    s.kube.pod_start_ms = 20;
    s.kube.kaniko_line_ms = 1;
    s.kfp.run_start_ms = 10;
    s.kfp.task_ms = 20;
    s
}

/// Simulator + demo config (three images) + the real backends.
pub async fn setup(scenario: Scenario) -> (Simulator, Config, Backends) {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), scenario)
        .await
        .unwrap();
    let mut cfg = launch::demo_config(&sim).unwrap();
    cfg.image_builder.images.push(ImageConfig {
        name: "evaluator".into(),
        dockerfile_folder: "images/trainer".into(),
        other_folders: vec![],
    });
    let backends = launch::backends(&cfg).await.unwrap();
    (sim, cfg, backends)
}

/// `/build` on PR `pr` through the engine.
pub async fn build(
    backends: &Backends,
    cfg: &Config,
    pr: u64,
    emit: &(dyn Fn(ActionEvent) + Send + Sync),
) -> Result<String, kfops_console::engine::ActionError> {
    let in_flight = InFlight::default();
    engine::perform(
        backends,
        cfg,
        &in_flight,
        pr,
        &ChatCommand::Build,
        POLL,
        emit,
    )
    .await
}

/// The newest version of the config's pipeline in the simulated KFP.
pub fn newest_version(sim: &Simulator, cfg: &Config) -> kfops_sim::kfp::StoredVersion {
    let pipeline = sim
        .kfp()
        .pipeline_named(&cfg.pipeline.name)
        .expect("pipeline exists");
    sim.kfp()
        .versions(&pipeline.id)
        .into_iter()
        .max_by_key(|v| (v.created_at, v.seq))
        .expect("a version")
}

/// The build pods of PR `pr` in the `kfops` namespace.
pub fn build_pods(sim: &Simulator, pr: u64) -> Vec<k8s_openapi::api::core::v1::Pod> {
    sim.kube()
        .pods("kfops")
        .into_iter()
        .filter(|p| {
            p.metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(build_labels::PR))
                .is_some_and(|v| *v == pr.to_string())
        })
        .collect()
}

/// Every one of `pods` was created before any of them finished (they built in parallel).
pub fn assert_parallel(sim: &Simulator, pods: &[k8s_openapi::api::core::v1::Pod]) {
    let timelines: Vec<_> = sim
        .kube()
        .timelines()
        .into_iter()
        .filter(|t| {
            pods.iter()
                .any(|p| p.metadata.name.as_deref() == Some(t.name.as_str()))
        })
        .collect();
    assert_eq!(timelines.len(), pods.len());
    let last_created = timelines.iter().map(|t| t.created).max().unwrap();
    let first_finished = timelines.iter().filter_map(|t| t.finished).min().unwrap();
    assert!(
        last_created < first_finished,
        "creation times overlap: {timelines:?}"
    );
}

/// Events collected from an action, and the `emit` that collects them.
pub fn collector() -> (
    Arc<Mutex<Vec<ActionEvent>>>,
    impl Fn(ActionEvent) + Send + Sync,
) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    (events, move |ev| sink.lock().unwrap().push(ev))
}

#[tokio::test]
async fn build_starts_three_pods_in_parallel_tagged_with_the_version_and_comments() {
    let (sim, cfg, backends) = setup(fast_scenario()).await;
    let comments_before = sim.github().comments(42).len();
    let (events, emit) = collector();
    let summary = build(&backends, &cfg, 42, &emit).await.unwrap();

    // The version uploaded to KFP.
    let newest = newest_version(&sim, &cfg);
    let version_id = newest.id.clone();
    assert!(summary.contains(&version_id), "{summary}");
    assert_eq!(sim.kfp().package(&version_id).unwrap(), {
        let head = sim.github().pull(42).unwrap();
        sim.github().read(|g| {
            g.files_at(&head.head_sha).unwrap()["pipeline.yaml"]
                .clone()
                .into_bytes()
        })
    });

    // Three Kaniko pods, tagged with the version ID, built from the PR head.
    let pods = build_pods(&sim, 42);
    assert_eq!(pods.len(), 3, "one pod per image");
    let head_sha = sim.github().pull(42).unwrap().head_sha;
    let mut tags = Vec::new();
    for pod in &pods {
        let args = pod.spec.as_ref().unwrap().containers[0]
            .args
            .clone()
            .unwrap();
        let dest = args
            .iter()
            .find_map(|a| a.strip_prefix("--destination="))
            .unwrap();
        tags.push(dest.rsplit_once(':').unwrap().1.to_string());
        // Kfops' layout (the default): an init container fetches the PR head for the context.
        let init = pod.spec.as_ref().unwrap().init_containers.clone().unwrap();
        let commit = init[0]
            .env
            .iter()
            .flatten()
            .find(|e| e.name == "KFOPS_COMMIT")
            .and_then(|e| e.value.clone());
        assert_eq!(commit.as_deref(), Some(head_sha.as_str()), "{args:?}");
        assert_eq!(
            pod.status.as_ref().unwrap().phase.as_deref(),
            Some("Succeeded")
        );
    }
    assert!(
        tags.iter().all(|t| *t == version_id),
        "tags {tags:?} != {version_id}"
    );

    // In parallel: every pod was created before any of them finished.
    assert_parallel(&sim, &pods);

    // The Kfops build comment with the hidden version ID.
    let comments = sim.github().comments(42);
    assert_eq!(comments.len(), comments_before + 1);
    let bodies: Vec<&str> = comments.iter().map(|c| c.body.as_str()).collect();
    assert_eq!(
        read_var(bodies.iter().copied(), VAR_VERSION_ID),
        Some(version_id.clone())
    );
    assert!(bodies
        .last()
        .unwrap()
        .contains("Pipeline compiled successfully."));

    // Progress flowed: steps and every pod's phases.
    let events = events.lock().unwrap().clone();
    for image in ["trainer", "server", "evaluator"] {
        for phase in ["Pending", "Running", "Succeeded"] {
            assert!(
                events.iter().any(|e| matches!(e, ActionEvent::BuildPod { image: i, phase: p, .. } if i == image && p == phase)),
                "{image} {phase} not reported: {events:?}"
            );
        }
    }
    assert!(events.iter().any(|e| matches!(
        e,
        ActionEvent::Step {
            step: kfops_console::engine::Step::UploadPipeline { .. },
            ..
        }
    )));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_failing_image_fails_the_build_naming_it_and_no_comment_claims_success() {
    let mut scenario = fast_scenario();
    scenario.kube.fail_images = vec!["server".into()];
    let (sim, cfg, backends) = setup(scenario).await;
    let before: Vec<String> = sim
        .github()
        .comments(41)
        .iter()
        .map(|c| c.body.clone())
        .collect();
    let (_events, emit) = collector();
    let err = engine::perform(
        &backends,
        &cfg,
        &InFlight::default(),
        41,
        &ChatCommand::Build,
        POLL,
        &emit,
    )
    .await
    .unwrap_err();
    assert_eq!(err.step, "build the images");
    assert!(err.message.contains("server"), "{err}");
    assert!(
        !err.message.contains("trainer"),
        "only the failing image is named: {err}"
    );
    let after = sim.github().comments(41);
    let new: Vec<&str> = after[before.len()..]
        .iter()
        .map(|c| c.body.as_str())
        .collect();
    assert_eq!(new.len(), 1, "{new:?}");
    assert!(
        !new[0].contains("KFOPS_VERSION_ID"),
        "no success comment: {}",
        new[0]
    );
    assert!(
        new[0].contains("failed") && new[0].contains("server"),
        "{}",
        new[0]
    );
    // The last version ID of the PR is still the old one.
    let bodies: Vec<&str> = after.iter().map(|c| c.body.as_str()).collect();
    let old: Vec<&str> = before.iter().map(String::as_str).collect();
    assert_eq!(
        read_var(bodies, VAR_VERSION_ID),
        read_var(old, VAR_VERSION_ID)
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_second_concurrent_build_of_the_same_pr_is_refused() {
    let (sim, cfg, backends) = setup(fast_scenario()).await;
    let in_flight = InFlight::default();
    let (_events, emit) = collector();
    let first = engine::perform(
        &backends,
        &cfg,
        &in_flight,
        42,
        &ChatCommand::Build,
        POLL,
        &emit,
    );
    let second = async {
        // Let the first one claim the PR.
        tokio::task::yield_now().await;
        engine::perform(
            &backends,
            &cfg,
            &in_flight,
            42,
            &ChatCommand::Build,
            POLL,
            &emit,
        )
        .await
    };
    let (first, second) = tokio::join!(first, second);
    first.unwrap();
    let err = second.unwrap_err();
    assert!(err.message.contains("already running"), "{err}");
    // Only one build happened: one set of pods, one comment.
    let pods = build_pods(&sim, 42).len();
    assert_eq!(pods, 3);
    sim.shutdown().await;
}
