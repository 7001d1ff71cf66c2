//! Kaniko builds: lifecycle, the build output of the PR's Dockerfile, failing images;
//! discovery.

use futures::{AsyncBufReadExt, TryStreamExt};
use k8s_openapi::api::core::v1::Pod;
use kfops_sim::kube::BUILD_ERROR;
use kube::api::{LogParams, PostParams};
use kube::Api;
use serde_json::{json, Value};

use super::{kaniko_pod, phase, pr41, raw, scenario, start, wait_for, wait_phase, NS};

#[tokio::test]
async fn a_kaniko_pod_builds_the_pr_dockerfile_and_its_followed_log_ends_with_the_push() {
    let (sim, client) = start(scenario(|_| {})).await;
    let api: Api<Pod> = Api::namespaced(client, NS);
    let (sha, dockerfile) = pr41();
    let dest = "registry.acme.example/ml/trainer:v1";
    let created = api
        .create(&PostParams::default(), &kaniko_pod("build-41", &sha, dest))
        .await
        .unwrap();
    assert_eq!(phase(&created), "Pending");
    assert!(created.metadata.uid.is_some() && created.metadata.creation_timestamp.is_some());
    let rv: u64 = created
        .metadata
        .resource_version
        .clone()
        .unwrap()
        .parse()
        .unwrap();
    assert!(rv > 0);

    // Following from the moment the container runs gets every line, then the stream ends.
    wait_for(&api, "build-41", |p| phase(p) != "Pending").await;
    let params = LogParams {
        follow: true,
        ..LogParams::default()
    };
    let mut stream = api.log_stream("build-41", &params).await.unwrap().lines();
    let mut lines = Vec::new();
    while let Some(line) = stream.try_next().await.unwrap() {
        lines.push(line);
    }
    let done = api.get("build-41").await.unwrap();
    assert_eq!(
        phase(&done),
        "Succeeded",
        "the followed log ended before the pod did"
    );
    let terminated = done.status.unwrap().container_statuses.unwrap()[0]
        .state
        .clone()
        .unwrap()
        .terminated
        .unwrap();
    assert_eq!(
        (terminated.exit_code, terminated.reason.as_deref()),
        (0, Some("Completed"))
    );

    let infos: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("INFO["))
        .map(|l| l[6..].trim_end())
        .collect();
    assert!(
        infos.contains(&"Resolved base name python:3.11-slim to base"),
        "{lines:#?}"
    );
    assert!(infos.contains(&"Retrieving image python:3.11-slim from registry index.docker.io"));
    assert!(infos.contains(&"Building stage 'python:3.11-slim' [idx: '0', base-idx: '-1']"));
    for instruction in dockerfile.lines().filter(|l| !l.trim().is_empty()) {
        if instruction.starts_with("FROM") {
            continue;
        }
        assert!(
            infos.contains(&instruction),
            "`{instruction}` missing from {infos:#?}"
        );
    }
    assert!(
        infos.contains(&"ENV CHURN_FEATURES=tenure_buckets"),
        "PR #41's Dockerfile was not used"
    );
    assert!(lines
        .iter()
        .any(|l| l.starts_with("Successfully installed ")));
    let pushed = infos.last().unwrap();
    let digest = pushed
        .strip_prefix("Pushed registry.acme.example/ml/trainer@sha256:")
        .unwrap_or_else(|| panic!("last line is {pushed}"));
    assert_eq!(digest.len(), 64);
    assert!(infos.contains(&"Pushing image to registry.acme.example/ml/trainer:v1"));
    assert_eq!(
        lines,
        sim.kube()
            .logs_of(NS, "build-41", "kaniko")
            .into_iter()
            .map(|l| l.1)
            .collect::<Vec<_>>()
    );

    // Every status change was an event with a growing resourceVersion.
    let events: Vec<_> = sim
        .kube()
        .pod_events()
        .into_iter()
        .filter(|e| e.object.metadata.name.as_deref() == Some("build-41"))
        .collect();
    let phases: Vec<String> = events.iter().map(|e| phase(&e.object)).collect();
    assert_eq!(phases.first().map(String::as_str), Some("Pending"));
    assert!(phases.contains(&"Running".to_owned()));
    assert_eq!(phases.last().map(String::as_str), Some("Succeeded"));
    assert!(events
        .windows(2)
        .all(|w| w[0].resource_version < w[1].resource_version));
    let running = events
        .iter()
        .find(|e| phase(&e.object) == "Running")
        .unwrap();
    let status = running.object.status.clone().unwrap();
    assert_eq!(
        running.object.spec.clone().unwrap().node_name.as_deref(),
        Some("sim-node-1")
    );
    assert!(status.pod_ip.is_some() && status.host_ip.is_some() && status.start_time.is_some());
    let kinds: Vec<String> = status
        .conditions
        .unwrap()
        .into_iter()
        .filter(|c| c.status == "True")
        .map(|c| c.type_)
        .collect();
    for kind in ["PodScheduled", "Initialized", "ContainersReady", "Ready"] {
        assert!(kinds.contains(&kind.to_owned()), "{kinds:?}");
    }
    let creating = events.iter().find_map(|e| {
        let s = e
            .object
            .status
            .as_ref()?
            .container_statuses
            .as_ref()?
            .first()?
            .state
            .clone()?;
        s.waiting?.reason
    });
    assert_eq!(creating.as_deref(), Some("ContainerCreating"));
    let timeline = sim
        .kube()
        .timelines()
        .into_iter()
        .find(|t| t.name == "build-41")
        .unwrap();
    assert!(timeline.created < timeline.running.unwrap());
    assert!(timeline.running.unwrap() < timeline.finished.unwrap());
}

#[tokio::test]
async fn a_fail_images_build_ends_failed_with_exit_code_1() {
    let (_sim, client) = start(scenario(|_| {})).await;
    let api: Api<Pod> = Api::namespaced(client, NS);
    let (sha, _) = pr41();
    api.create(
        &PostParams::default(),
        &kaniko_pod("broken", &sha, "registry.acme.example/ml/broken:v1"),
    )
    .await
    .unwrap();
    let pod = wait_phase(&api, "broken", "Failed").await;
    let state = pod.status.unwrap().container_statuses.unwrap()[0]
        .state
        .clone()
        .unwrap();
    let terminated = state.terminated.unwrap();
    assert_eq!(
        (terminated.exit_code, terminated.reason.as_deref()),
        (1, Some("Error"))
    );
    let log = api.logs("broken", &LogParams::default()).await.unwrap();
    let last = log.lines().last().unwrap();
    assert_eq!(last, BUILD_ERROR);
    assert!(log.contains("RUN pip install"));
    assert!(!log.contains("Pushed "), "{log}");
}

#[tokio::test]
async fn discovery_lists_core_pods_and_kserve_inferenceservices() {
    let (sim, client) = start(scenario(|_| {})).await;
    let version = client.apiserver_version().await.unwrap();
    assert_eq!(
        (version.git_version.as_str(), version.minor.as_str()),
        ("v1.36.2", "36")
    );
    let discovery = kube::discovery::Discovery::new(client.clone())
        .run()
        .await
        .unwrap();
    let (pods, caps) = discovery
        .resolve_gvk(&kube::api::GroupVersionKind::gvk("", "v1", "Pod"))
        .unwrap();
    assert_eq!(pods.plural, "pods");
    assert!(caps.supports_operation(kube::discovery::verbs::WATCH));
    let (isvc, _) = discovery
        .resolve_gvk(&kube::api::GroupVersionKind::gvk(
            "serving.kserve.io",
            "v1beta1",
            "InferenceService",
        ))
        .unwrap();
    assert_eq!(isvc.plural, "inferenceservices");
    let (_, _, body) = raw(&sim, "/apis/serving.kserve.io/v1beta1").await;
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["resources"][0]["shortNames"], json!(["isvc"]));
    assert_eq!(body["resources"][0]["namespaced"], true);
    let (_, _, body) = raw(&sim, "/api/v1").await;
    let body: Value = serde_json::from_str(&body).unwrap();
    let names: Vec<&str> = body["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    for want in [
        "pods",
        "pods/log",
        "pods/status",
        "namespaces",
        "services",
        "services/proxy",
    ] {
        assert!(names.contains(&want), "{names:?}");
    }
}
