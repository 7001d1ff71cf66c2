//! `/build` in compile mode (`pipeline.mode = "compile"`) end to end against the simulator: a
//! Kfops-layout repository (a Python pipeline, Kfops' `pipeline_path` and
//! `pipeline_function_name`) is compiled by a pod in the cluster, the package it prints is the
//! version uploaded, then the Kaniko pods build, all as one build in the logs pane; a compile
//! error fails the build with the compiler's last lines and builds and uploads nothing.

use std::time::Duration;

use kfops_console::config::{Config, PipelineMode};
use kfops_console::domain::build_labels;
use kfops_console::engine::compile::COMPILE_IMAGE;
use kfops_console::engine::ActionEvent;
use kfops_console::logs::StreamStatus;
use kfops_sim::Simulator;

use crate::build_flow::{build, collector, fast_scenario, newest_version, setup};
use crate::safety::mutating;
use crate::support::console::{driver_with, finish_actions, key, screen, select_pr, test_config};

/// A pipeline written as for Kfops (KFP v2 DSL), at Kfops' example path.
pub const PIPELINE_PY: &str = r#"from kfp import dsl


@dsl.component(base_image="python:3.11")
def prepare_data(rows: int) -> str:
    return f"{rows} rows"


@dsl.component(base_image="registry.example/ml/trainer:latest")
def train_model(data: str):
    print("training on", data)


@dsl.pipeline(name="Sklearn Iris", description="Example pipeline")
def my_pipeline_func(rows: int = 1000):
    data = prepare_data(rows=rows)
    train_model(data=data.output)


@dsl.pipeline(name="other")
def other_pipeline():
    prepare_data(rows=1)
"#;

const PIPELINE_PATH: &str = "my_pipeline/pipeline.py";

/// Puts `source` at [`PIPELINE_PATH`] in PR `pr`'s head and configures compile mode as a
/// Kfops user would (its keys, its version name).
pub fn compile_mode(sim: &Simulator, cfg: &mut Config, pr: u64, source: &str) {
    sim.github().update(|g| {
        if let Some(pull) = g.pulls.get_mut(&pr) {
            pull.files.insert(PIPELINE_PATH.into(), source.into());
        }
    });
    let p = &mut cfg.pipeline;
    p.mode = PipelineMode::Compile;
    p.pipeline_path = PIPELINE_PATH.into();
    p.pipeline_function_name = Some("my_pipeline_func".into());
    p.compile_image = "ghcr.io/acme/kfp-compiler:2.7.0".into();
    p.version_name = "Version {kfops_time}".into();
    p.version_description = "PR #{pr} at {sha7}".into();
}

/// How many pipeline versions the simulated KFP holds.
fn versions(sim: &Simulator) -> usize {
    let kfp = sim.kfp();
    kfp.pipelines()
        .iter()
        .map(|p| kfp.versions(&p.id).len())
        .sum()
}

fn pods_of(sim: &Simulator, pr: u64) -> Vec<k8s_openapi::api::core::v1::Pod> {
    let mut pods = sim.kube().pods("kfops");
    pods.retain(|p| label(p, build_labels::PR) == pr.to_string());
    pods
}

fn label(pod: &k8s_openapi::api::core::v1::Pod, key: &str) -> String {
    let labels = pod.metadata.labels.iter().flatten();
    labels
        .filter(|(k, _)| k.as_str() == key)
        .map(|(_, v)| v.clone())
        .next()
        .unwrap_or_default()
}

#[tokio::test]
async fn compile_mode_uploads_the_package_the_pod_compiled_then_builds_the_images() {
    let (sim, mut cfg, backends) = setup(fast_scenario()).await;
    compile_mode(&sim, &mut cfg, 42, PIPELINE_PY);
    let (events, emit) = collector();
    let summary = build(&backends, &cfg, 42, &emit).await.unwrap();

    // The version is the compiled pipeline, not the committed pipeline.yaml.
    let version = newest_version(&sim, &cfg);
    assert!(summary.contains(&version.id), "{summary}");
    let spec = &version.pipeline_spec;
    assert_eq!(spec["pipelineInfo"]["name"], "sklearn-iris");
    let tasks = spec["root"]["dag"]["tasks"].as_object().unwrap();
    let mut names: Vec<&str> = tasks.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["prepare-data", "train-model"]);
    // Kfops' version name (`Version %d %h %H:%M:%s, %Y`) and the configured description.
    assert!(version.name.starts_with("Version "), "{}", version.name);
    assert!(version.name.contains(", 20"), "{}", version.name);
    let head = sim.github().pull(42).unwrap().head_sha;
    assert_eq!(version.description, format!("PR #42 at {}", &head[..7]));

    // One compile pod and one Kaniko pod per image, all with one build ID.
    let pods = pods_of(&sim, 42);
    assert_eq!(pods.len(), 1 + cfg.image_builder.images.len());
    let compile: Vec<_> = pods
        .iter()
        .filter(|p| label(p, build_labels::IMAGE) == COMPILE_IMAGE)
        .collect();
    assert_eq!(compile.len(), 1);
    let build_id = label(compile[0], build_labels::BUILD_ID);
    assert!(build_id.ends_with(&head[..7]), "{build_id}");
    for pod in &pods {
        assert_eq!(label(pod, build_labels::BUILD_ID), build_id);
        assert_eq!(
            pod.status.as_ref().and_then(|s| s.phase.as_deref()),
            Some("Succeeded")
        );
    }

    // The compile pod ended before the first Kaniko pod was created; its events carry the
    // build ID and no version, the Kaniko pods' the version.
    let events = events.lock().unwrap().clone();
    let pod_events: Vec<(String, String, String, String)> = events
        .iter()
        .filter_map(|e| match e {
            ActionEvent::BuildPod {
                image,
                version_id,
                build_id,
                phase,
                ..
            } => Some((
                image.clone(),
                version_id.clone(),
                build_id.clone(),
                phase.clone(),
            )),
            _ => None,
        })
        .collect();
    let compiled_at = pod_events
        .iter()
        .position(|(i, _, _, p)| i == COMPILE_IMAGE && p == "Succeeded")
        .expect("the compile pod succeeded");
    let first_kaniko = pod_events
        .iter()
        .position(|(i, _, _, _)| i != COMPILE_IMAGE)
        .expect("Kaniko pods");
    assert!(compiled_at < first_kaniko, "{pod_events:?}");
    for (image, v, b, _) in &pod_events {
        assert_eq!(b, &build_id);
        let want = if image == COMPILE_IMAGE {
            ""
        } else {
            version.id.as_str()
        };
        assert_eq!(v, want, "{image}");
    }
}

#[tokio::test]
async fn a_compile_error_fails_the_build_with_the_compilers_last_lines_and_builds_nothing() {
    let (sim, mut cfg, backends) = setup(fast_scenario()).await;
    let broken = PIPELINE_PY.replace(
        "    train_model(data=data.output)\n",
        "    train_model(data=data.output\n",
    );
    compile_mode(&sim, &mut cfg, 42, &broken);
    let versions_before = versions(&sim);
    let writes_before = mutating(&sim).len();
    let (_events, emit) = collector();
    let err = build(&backends, &cfg, 42, &emit).await.unwrap_err();
    assert_eq!(err.step, "compile the pipeline");
    assert!(err.message.contains(PIPELINE_PATH), "{}", err.message);
    assert!(
        err.message
            .contains("'(' was never closed (/workspace/my_pipeline/pipeline.py, line 17)"),
        "{}",
        err.message
    );

    // The only writes: the compile pod and the failure comment. No Kaniko pod, no upload.
    let writes = mutating(&sim).split_off(writes_before);
    assert_eq!(writes.len(), 2, "{writes:?}");
    assert!(
        writes[0].starts_with("POST /api/v1/namespaces/kfops/pods"),
        "{writes:?}"
    );
    assert!(writes[1].contains("/issues/42/comments"), "{writes:?}");
    assert_eq!(pods_of(&sim, 42).len(), 1);
    assert_eq!(versions(&sim), versions_before);

    // The comment names the step and carries the compiler's last lines in a code block.
    let comments = sim.github().comments(42);
    let body = &comments.last().unwrap().body;
    assert!(
        body.contains("/build failed at step <b>compile the pipeline</b>"),
        "{body}"
    );
    assert!(body.contains("```text\n"), "{body}");
    assert!(
        body.contains("'(' was never closed (/workspace/my_pipeline/pipeline.py, line 17)\n```"),
        "{body}"
    );
}

#[tokio::test]
async fn a_missing_pipeline_function_fails_with_the_compilers_message() {
    let (sim, mut cfg, backends) = setup(fast_scenario()).await;
    compile_mode(&sim, &mut cfg, 42, PIPELINE_PY);
    cfg.pipeline.pipeline_function_name = None;
    let (_events, emit) = collector();
    let err = build(&backends, &cfg, 42, &emit).await.unwrap_err();
    assert!(
        err.message
            .contains("Expect one pipeline or component function in module <module 'pipeline'"),
        "{}",
        err.message
    );
    assert_eq!(pods_of(&sim, 42).len(), 1, "no Kaniko pod");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_compile_pods_log_streams_in_the_logs_pane_beside_the_kaniko_pods() {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), fast_scenario())
        .await
        .unwrap();
    let mut cfg = test_config(&sim);
    compile_mode(&sim, &mut cfg, 42, PIPELINE_PY);
    let mut driver = driver_with(&cfg, false, 160, 45).await;
    select_pr(&mut driver, 42);
    driver.handle(key('b'));
    let status = finish_actions(&mut driver).await;
    assert!(status.starts_with("✓ /build on #42"), "{status}");
    assert!(
        driver
            .run_until(Duration::from_secs(30), |app| app
                .logs
                .streams
                .iter()
                .all(|s| s.status == StreamStatus::Finished))
            .await
    );
    let streams = &driver.app.logs.streams;
    let mut titles: Vec<&str> = streams.iter().map(|s| s.title.as_str()).collect();
    titles.sort_unstable();
    assert_eq!(titles, [COMPILE_IMAGE, "server", "trainer"]);
    let group = &streams[0].group;
    assert!(streams.iter().all(|s| &s.group == group), "one build");
    let shown = screen(&driver, 160, 45);
    assert!(
        shown.contains(&format!("Build logs · build {group}")),
        "{shown}"
    );
    // The compile pod's box (its title cut to the box) with the end of its log.
    assert!(shown.contains("pipelin… · Succeeded"), "{shown}");
    assert!(
        shown.contains("----- end of kfops pipeline pack"),
        "{shown}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_build_prints_the_compilers_last_lines_and_json_carries_them() {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), fast_scenario())
        .await
        .unwrap();
    let broken = PIPELINE_PY.replace("-> str:", "-> str");
    let mut unused = test_config(&sim);
    compile_mode(&sim, &mut unused, 42, &broken);
    let dir = tempfile::tempdir().unwrap();
    let path = crate::headless::config_for(&sim, dir.path());
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "[pipeline]\n",
        &format!(
            "[pipeline]\nmode = \"compile\"\npipeline_path = \"{PIPELINE_PATH}\"\npipeline_function_name = \"my_pipeline_func\"\ncompile_image = \"ghcr.io/acme/kfp-compiler:2.7.0\"\n"
        ),
    );
    std::fs::write(&path, text).unwrap();

    let out = crate::headless::kfops(&["build", "--pr", "42"], &path).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("pipeline-compile"), "{stdout}");
    assert!(
        stdout.contains("failed at step \"compile the pipeline\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("    | expected ':' (/workspace/my_pipeline/pipeline.py, line 5)"),
        "{stdout}"
    );

    let out = crate::headless::kfops(&["build", "--pr", "42", "--json"], &path).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last: serde_json::Value =
        serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap();
    let details = last["error"]["details"].as_str().unwrap_or_default();
    assert!(
        details.ends_with("expected ':' (/workspace/my_pipeline/pipeline.py, line 5)"),
        "{last}"
    );
    assert!(
        last.get("version_id").is_none(),
        "no version was made: {last}"
    );
    assert_eq!(
        pods_of(&sim, 42).len(),
        2,
        "two compile pods, no Kaniko pod"
    );
}

/// The compile pod fetches a private repository as the Kaniko pods do: with
/// `image_builder.git_secret` by reference (never the token in the spec), checked before any
/// pod; without credentials git refuses it and nothing is uploaded or built.
#[tokio::test]
async fn a_private_repository_compiles_only_with_the_named_git_secret() {
    // The demo's repository is private and its scenario holds the `git-credentials` Secret.
    let (sim, mut cfg, backends) = setup(fast_scenario()).await;
    assert!(sim.github().read(|g| g.repo.private));
    compile_mode(&sim, &mut cfg, 42, PIPELINE_PY);
    compile_mode(&sim, &mut cfg, 41, PIPELINE_PY);
    let versions_before = versions(&sim);

    // A Secret that does not exist: refused before any pod.
    cfg.image_builder.git_secret = Some("no-such-secret".into());
    let err = build(&backends, &cfg, 42, &|_| {}).await.unwrap_err();
    assert_eq!(err.step, kfops_console::engine::kaniko_context::SECRET_STEP);
    assert!(pods_of(&sim, 42).is_empty(), "no pod was created");

    // No credentials: the checkout fails as git does; no image, no upload.
    cfg.image_builder.git_secret = None;
    let err = build(&backends, &cfg, 42, &|_| {}).await.unwrap_err();
    assert_eq!(err.step, "compile the pipeline");
    assert!(
        err.message.contains("could not read Username"),
        "{}",
        err.message
    );
    let pods = pods_of(&sim, 42);
    assert_eq!(pods.len(), 1, "only the compile pod");
    assert_eq!(versions(&sim), versions_before);

    // With the Secret: compiled and built; the token reaches git by reference only.
    cfg.image_builder.git_secret = Some("git-credentials".into());
    build(&backends, &cfg, 41, &|_| {}).await.unwrap();
    let compile_pod = pods_of(&sim, 41)
        .into_iter()
        .find(|p| label(p, build_labels::IMAGE) == COMPILE_IMAGE)
        .expect("a compile pod");
    let checkout = &compile_pod
        .spec
        .as_ref()
        .unwrap()
        .init_containers
        .as_ref()
        .unwrap()[0];
    let refs: Vec<_> = checkout
        .env
        .iter()
        .flatten()
        .filter_map(|e| e.value_from.as_ref()?.secret_key_ref.as_ref())
        .map(|r| (r.name.clone(), r.key.clone()))
        .collect();
    assert_eq!(
        refs,
        [
            ("git-credentials".to_owned(), "username".to_owned()),
            ("git-credentials".to_owned(), "password".to_owned())
        ]
    );
    let spec = serde_json::to_string(&compile_pod).unwrap();
    let token = fast_scenario()
        .kube
        .secrets
        .iter()
        .find(|s| s.name == "git-credentials")
        .and_then(|s| s.data.get("password").cloned())
        .expect("the demo's git Secret has a password");
    assert!(!spec.contains(&token), "the token is in the pod");
    sim.shutdown().await;
}
