//! The simulated Kubernetes API server, driven through kube-rs (and raw HTTP where the exact
//! bytes matter): Kaniko pods go Pending -> Running -> Succeeded/Failed and print a realistic
//! build of the scenario's Dockerfile, logs honour the kubelet's options, errors are
//! `metav1.Status` bodies, selectors and paging filter lists, watches resume, expire (410)
//! and bookmark, and `kube::runtime::watcher` follows a pod to its end.

use std::time::Duration;

use chrono::{DateTime, Timelike, Utc};
use futures::{AsyncBufReadExt, StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kfops_console::sim::kube::KubeScenario;
use kfops_console::sim::{Scenario, Simulator};
use kube::api::{DeleteParams, ListParams, LogParams, PostParams, WatchEvent, WatchParams};
use kube::runtime::watcher;
use kube::{Api, Client, Config};
use serde_json::{json, Value};

const NS: &str = "kfops";
const KANIKO: &str = "gcr.io/kaniko-project/executor:v1.23.2";
const BUILD_ERROR: &str = "error building image: error building stage: failed to execute \
command: waiting for process to exit: exit status 1";

/// The demo scenario with a fast clock.
fn scenario(tune: impl FnOnce(&mut KubeScenario)) -> Scenario {
    let mut scenario = Scenario::demo();
    scenario.kube.pod_start_ms = 10;
    scenario.kube.kaniko_line_ms = 1;
    scenario.kube.bookmark_ms = 50;
    scenario.kube.fail_images = vec!["broken".to_owned()];
    tune(&mut scenario.kube);
    scenario
}

async fn start(scenario: Scenario) -> (Simulator, Client) {
    let sim = Simulator::start("127.0.0.1:0".parse().unwrap(), scenario)
        .await
        .unwrap();
    let config = Config::new(sim.kube_url().parse().unwrap());
    let client = Client::try_from(config).unwrap();
    (sim, client)
}

/// PR #41's head: it changes the trainer Dockerfile (adds an ENV).
fn pr41() -> (String, String) {
    let demo = Scenario::demo();
    let pull = demo.github.pull(41).unwrap();
    let dockerfile = pull.files["images/trainer/Dockerfile"].clone();
    (pull.head_sha.clone(), dockerfile)
}

fn kaniko_pod(name: &str, sha: &str, destination: &str) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "kaniko", "build": name}},
        "spec": {
            "restartPolicy": "Never",
            "containers": [{
                "name": "kaniko",
                "image": KANIKO,
                "args": [
                    "--dockerfile=images/trainer/Dockerfile",
                    format!("--context=git://github.com/acme-ml/churn-model.git#{sha}"),
                    format!("--destination={destination}"),
                    "--cache=true",
                ],
            }],
        },
    }))
    .unwrap()
}

fn busybox(name: &str, labels: Value, containers: &[&str]) -> Pod {
    let containers: Vec<Value> = containers
        .iter()
        .map(|c| json!({"name": c, "image": "busybox:1.36", "command": ["sh", "-c", "echo hi"]}))
        .collect();
    serde_json::from_value(json!({
        "metadata": {"name": name, "labels": labels},
        "spec": {"restartPolicy": "Never", "containers": containers},
    }))
    .unwrap()
}

fn phase(pod: &Pod) -> String {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.clone())
        .unwrap_or_default()
}

async fn wait_for(api: &Api<Pod>, name: &str, ok: impl Fn(&Pod) -> bool) -> Pod {
    for _ in 0..1000 {
        let pod = api.get(name).await.unwrap();
        if ok(&pod) {
            return pod;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("pod {name} never reached the expected state");
}

async fn wait_phase(api: &Api<Pod>, name: &str, want: &str) -> Pod {
    wait_for(api, name, |p| phase(p) == want).await
}

/// GET on the simulator: status, content type, body text.
async fn raw(sim: &Simulator, path_and_query: &str) -> (u16, String, String) {
    let response = reqwest::get(format!("{}{path_and_query}", sim.kube_url()))
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

fn api_error(err: kube::Error) -> Box<kube::core::Status> {
    match err {
        kube::Error::Api(status) => status,
        other => panic!("expected an API error, got {other}"),
    }
}

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
        .filter(|e| e.pod.metadata.name.as_deref() == Some("build-41"))
        .collect();
    let phases: Vec<String> = events.iter().map(|e| phase(&e.pod)).collect();
    assert_eq!(phases.first().map(String::as_str), Some("Pending"));
    assert!(phases.contains(&"Running".to_owned()));
    assert_eq!(phases.last().map(String::as_str), Some("Succeeded"));
    assert!(events
        .windows(2)
        .all(|w| w[0].resource_version < w[1].resource_version));
    let running = events.iter().find(|e| phase(&e.pod) == "Running").unwrap();
    let status = running.pod.status.clone().unwrap();
    assert_eq!(
        running.pod.spec.clone().unwrap().node_name.as_deref(),
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
            .pod
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
async fn log_options_match_the_kubelet() {
    // Slow enough lines that the build spans more than one second.
    let (sim, client) = start(scenario(|k| {
        k.kaniko_line_ms = 12;
        k.log_lines_scale = 3.0;
    }))
    .await;
    let api: Api<Pod> = Api::namespaced(client, NS);
    let (sha, _) = pr41();
    api.create(
        &PostParams::default(),
        &kaniko_pod("logs", &sha, "r.example/ml/trainer:v1"),
    )
    .await
    .unwrap();
    wait_phase(&api, "logs", "Succeeded").await;
    let produced = sim.kube().logs_of(NS, "logs", "kaniko");
    let plain: String = produced.iter().map(|(_, l)| format!("{l}\n")).collect();
    assert_eq!(
        api.logs("logs", &LogParams::default()).await.unwrap(),
        plain
    );

    // timestamps: the production time, nine fraction digits, a space.
    let stamped = api
        .logs(
            "logs",
            &LogParams {
                timestamps: true,
                ..LogParams::default()
            },
        )
        .await
        .unwrap();
    for (line, (at, text)) in stamped.lines().zip(&produced) {
        let (stamp, rest) = line.split_once(' ').unwrap();
        assert_eq!(stamp, at.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string());
        assert_eq!(stamp.len(), "2026-11-25T10:00:00.123456789Z".len());
        assert_eq!(rest, text);
    }

    // sinceTime at a whole second: exactly the lines produced at or after it.
    let first_second = produced[0].0.timestamp();
    let (cut_index, _) = produced
        .iter()
        .enumerate()
        .find(|(_, (at, _))| at.timestamp() > first_second)
        .expect("the build should span more than one second");
    let boundary = produced[cut_index].0.with_nanosecond(0).unwrap();
    let since = LogParams {
        since_time: Some(k8s_openapi::jiff::Timestamp::from_second(boundary.timestamp()).unwrap()),
        ..LogParams::default()
    };
    let resumed = api.logs("logs", &since).await.unwrap();
    let expected: String = produced
        .iter()
        .filter(|(at, _)| *at >= boundary)
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    assert_eq!(resumed, expected);
    assert!(!resumed.is_empty() && resumed.len() < plain.len());
    // Like the real API server, a fractional sinceTime counts from its whole second.
    let mid = produced[cut_index + 1].0;
    let query = format!("sinceTime={}", mid.format("%Y-%m-%dT%H:%M:%S%.9fZ"));
    let (status, content_type, body) = raw(
        &sim,
        &format!("/api/v1/namespaces/{NS}/pods/logs/log?{query}"),
    )
    .await;
    assert_eq!((status, content_type.as_str()), (200, "text/plain"));
    let whole_second = mid.with_nanosecond(0).unwrap();
    let from_second: String = produced
        .iter()
        .filter(|(at, _)| *at >= whole_second)
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    assert_eq!(body, from_second);

    // tailLines, limitBytes, sinceSeconds.
    let tail = api
        .logs(
            "logs",
            &LogParams {
                tail_lines: Some(3),
                ..LogParams::default()
            },
        )
        .await
        .unwrap();
    let last3: String = produced[produced.len() - 3..]
        .iter()
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    assert_eq!(tail, last3);
    let limited = api
        .logs(
            "logs",
            &LogParams {
                limit_bytes: Some(100),
                ..LogParams::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(limited, plain[..100]);
    let recent = api
        .logs(
            "logs",
            &LogParams {
                since_seconds: Some(3600),
                ..LogParams::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(recent, plain);

    // previous: containers never restarted.
    let err = api
        .logs(
            "logs",
            &LogParams {
                previous: true,
                ..LogParams::default()
            },
        )
        .await
        .unwrap_err();
    let status = api_error(err);
    assert_eq!((status.code, status.reason.as_str()), (400, "BadRequest"));
    assert_eq!(
        status.message,
        "previous terminated container \"kaniko\" in pod \"logs\" not found"
    );
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
async fn errors_are_status_objects_with_the_api_servers_codes() {
    // Bound after 1 s, running half a second later: time to see ContainerCreating.
    let (sim, client) = start(scenario(|k| k.pod_start_ms = 1000)).await;
    let api: Api<Pod> = Api::namespaced(client.clone(), NS);
    let pod = busybox("dup", json!({}), &["main", "sidecar"]);
    api.create(&PostParams::default(), &pod).await.unwrap();

    // An unbound pod has an empty log; a container being created is a 400.
    let (status, _, body) = raw(
        &sim,
        &format!("/api/v1/namespaces/{NS}/pods/dup/log?container=main"),
    )
    .await;
    assert_eq!((status, body.as_str()), (200, ""));
    wait_for(&api, "dup", |p| {
        p.spec.as_ref().unwrap().node_name.is_some()
    })
    .await;
    let (status, _, body) = raw(
        &sim,
        &format!("/api/v1/namespaces/{NS}/pods/dup/log?container=main"),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body["message"],
        "container \"main\" in pod \"dup\" is waiting to start: ContainerCreating"
    );

    let status = api_error(api.create(&PostParams::default(), &pod).await.unwrap_err());
    assert_eq!(
        (status.code, status.reason.as_str()),
        (409, "AlreadyExists")
    );
    assert_eq!(status.message, "pods \"dup\" already exists");

    let (status, content_type, body) = raw(&sim, &format!("/api/v1/namespaces/{NS}/pods/x")).await;
    assert_eq!((status, content_type.as_str()), (404, "application/json"));
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": "pods \"x\" not found", "reason": "NotFound",
               "details": {"name": "x", "kind": "pods"}, "code": 404})
    );

    let (status, _, body) = raw(&sim, &format!("/api/v1/namespaces/{NS}/pods/dup/log")).await;
    assert_eq!(status, 400);
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["reason"], "BadRequest");
    assert_eq!(
        body["message"],
        "a container name must be specified for pod dup, choose one of: [main sidecar]"
    );
    let (status, _, body) = raw(
        &sim,
        &format!("/api/v1/namespaces/{NS}/pods/dup/log?container=nope"),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body.contains("container nope is not valid for pod dup"),
        "{body}"
    );

    let elsewhere: Api<Pod> = Api::namespaced(client.clone(), "nowhere");
    let status = api_error(
        elsewhere
            .create(&PostParams::default(), &busybox("a", json!({}), &["a"]))
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (status.code, status.message.as_str()),
        (404, "namespaces \"nowhere\" not found")
    );
    let status = api_error(
        api.create(&PostParams::default(), &busybox("empty", json!({}), &[]))
            .await
            .unwrap_err(),
    );
    assert_eq!((status.code, status.reason.as_str()), (422, "Invalid"));
    assert_eq!(
        status.message,
        "Pod \"empty\" is invalid: spec.containers: Required value"
    );
    let unnamed: Pod =
        serde_json::from_value(json!({"spec": {"containers": [{"name": "a", "image": "x"}]}}))
            .unwrap();
    let status = api_error(
        api.create(&PostParams::default(), &unnamed)
            .await
            .unwrap_err(),
    );
    assert_eq!(status.code, 422);
    assert!(
        status.message.contains("name or generateName is required"),
        "{}",
        status.message
    );

    let namespaces: Api<Namespace> = Api::all(client.clone());
    let status = api_error(namespaces.get("nowhere").await.unwrap_err());
    assert_eq!(
        (status.code, status.message.as_str()),
        (404, "namespaces \"nowhere\" not found")
    );
    let names: Vec<String> = namespaces
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|n| n.metadata.name)
        .collect();
    assert_eq!(
        names,
        [
            "default",
            "kfops",
            "kubeflow",
            "kubeflow-user-example-com",
            "production",
            "staging"
        ]
    );

    let put = reqwest::Client::new()
        .put(format!("{}/api/v1/namespaces/{NS}/pods", sim.kube_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status().as_u16(), 405);
    let body: Value = put.json().await.unwrap();
    assert_eq!(body["reason"], "MethodNotAllowed");
    let (status, _, body) = raw(&sim, "/api/v1/nothing-here/at-all").await;
    assert_eq!((status, body.as_str()), (404, "404 page not found\n"));

    // generateName, and deletion returning the pod.
    let generated: Pod = serde_json::from_value(json!({
        "metadata": {"generateName": "kfops-kaniko-"},
        "spec": {"containers": [{"name": "a", "image": "busybox"}]},
    }))
    .unwrap();
    let created = api
        .create(&PostParams::default(), &generated)
        .await
        .unwrap();
    let name = created.metadata.name.clone().unwrap();
    assert!(
        name.starts_with("kfops-kaniko-") && name.len() == "kfops-kaniko-".len() + 5,
        "{name}"
    );
    let deleted = api.delete(&name, &DeleteParams::default()).await.unwrap();
    let deleted = deleted.left().expect("the deleted pod");
    assert_eq!(deleted.metadata.name.as_deref(), Some(name.as_str()));
    assert!(api.get_opt(&name).await.unwrap().is_none());
}

#[tokio::test]
async fn lists_filter_by_label_and_field_selectors_and_page_with_continue() {
    let (sim, client) = start(scenario(|_| {})).await;
    let api: Api<Pod> = Api::namespaced(client.clone(), NS);
    for (name, labels) in [
        ("a", json!({"app": "kaniko", "pr": "41"})),
        ("b", json!({"app": "kaniko", "pr": "42"})),
        ("c", json!({"app": "kfp"})),
        ("d", json!({})),
    ] {
        api.create(&PostParams::default(), &busybox(name, labels, &["main"]))
            .await
            .unwrap();
    }
    Api::<Pod>::namespaced(client.clone(), "staging")
        .create(
            &PostParams::default(),
            &busybox("e", json!({"app": "kaniko"}), &["main"]),
        )
        .await
        .unwrap();
    let names = |list: kube::core::ObjectList<Pod>| -> Vec<String> {
        list.items
            .into_iter()
            .filter_map(|p| p.metadata.name)
            .collect()
    };
    let select = |s: &str| ListParams::default().labels(s);
    assert_eq!(
        names(api.list(&select("app=kaniko")).await.unwrap()),
        ["a", "b"]
    );
    assert_eq!(
        names(api.list(&select("app==kaniko,pr!=41")).await.unwrap()),
        ["b"]
    );
    assert_eq!(
        names(api.list(&select("app!=kaniko")).await.unwrap()),
        ["c", "d"]
    );
    assert_eq!(
        names(api.list(&select("pr in (41, 42)")).await.unwrap()),
        ["a", "b"]
    );
    assert_eq!(
        names(api.list(&select("app notin (kaniko)")).await.unwrap()),
        ["c", "d"]
    );
    assert_eq!(names(api.list(&select("pr")).await.unwrap()), ["a", "b"]);
    assert_eq!(names(api.list(&select("!app")).await.unwrap()), ["d"]);
    assert_eq!(
        names(
            api.list(&ListParams::default().fields("metadata.name=c"))
                .await
                .unwrap()
        ),
        ["c"]
    );
    wait_phase(&api, "d", "Succeeded").await;
    let done = names(
        api.list(&ListParams::default().fields("status.phase=Succeeded,metadata.name!=a"))
            .await
            .unwrap(),
    );
    assert!(
        done.contains(&"d".to_owned()) && !done.contains(&"a".to_owned()),
        "{done:?}"
    );
    let status = api_error(
        api.list(&ListParams::default().fields("spec.bogus=1"))
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (status.code, status.message.as_str()),
        (400, "field label not supported: spec.bogus")
    );
    assert_eq!(
        api_error(api.list(&select("app in kaniko")).await.unwrap_err()).code,
        400
    );

    let all: Api<Pod> = Api::all(client.clone());
    assert_eq!(
        names(all.list(&select("app=kaniko")).await.unwrap()),
        ["a", "b", "e"]
    );

    // limit + continue walk the list in order.
    let first = api.list(&ListParams::default().limit(3)).await.unwrap();
    assert_eq!(first.metadata.remaining_item_count, Some(1));
    let token = first.metadata.continue_.clone().unwrap();
    let rv: u64 = first
        .metadata
        .resource_version
        .clone()
        .unwrap()
        .parse()
        .unwrap();
    assert!(rv >= 5);
    let rest = api
        .list(&ListParams::default().limit(3).continue_token(&token))
        .await
        .unwrap();
    assert!(rest
        .metadata
        .continue_
        .as_deref()
        .unwrap_or_default()
        .is_empty());
    let mut walked = names(first);
    walked.extend(names(rest));
    assert_eq!(walked, ["a", "b", "c", "d"]);
    assert_eq!(sim.kube().pods(NS).len(), 4);
}

#[tokio::test]
async fn kube_runtime_watcher_follows_a_build_to_succeeded() {
    let (_sim, client) = start(scenario(|_| {})).await;
    let api: Api<Pod> = Api::namespaced(client, NS);
    let mut events = watcher(
        api.clone(),
        watcher::Config::default().labels("build=watched"),
    )
    .boxed();
    // The initial list (empty) comes first.
    loop {
        match events.try_next().await.unwrap().unwrap() {
            watcher::Event::InitDone => break,
            watcher::Event::Init | watcher::Event::InitApply(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    let (sha, _) = pr41();
    api.create(
        &PostParams::default(),
        &kaniko_pod("watched", &sha, "r.example/ml/trainer:w"),
    )
    .await
    .unwrap();
    let mut phases = Vec::new();
    let seen = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(event) = events.try_next().await.unwrap() {
            if let watcher::Event::Apply(pod) = event {
                phases.push(phase(&pod));
                if phase(&pod) == "Succeeded" {
                    return;
                }
            }
        }
    })
    .await;
    assert!(seen.is_ok(), "watcher saw only {phases:?}");
    assert_eq!(phases.first().map(String::as_str), Some("Pending"));
    assert!(phases.contains(&"Running".to_owned()), "{phases:?}");
}

#[tokio::test]
async fn watches_resume_expire_with_410_and_bookmark() {
    let (sim, client) = start(scenario(|k| k.watch_window = 5)).await;
    let api: Api<Pod> = Api::namespaced(client, NS);
    let listed = api.list(&ListParams::default()).await.unwrap();
    let start_rv = listed.metadata.resource_version.clone().unwrap();
    api.create(
        &PostParams::default(),
        &busybox("w1", json!({"k": "v"}), &["main"]),
    )
    .await
    .unwrap();

    // From the list's resourceVersion: ADDED, then the MODIFIED events of its lifecycle.
    let params = WatchParams::default().labels("k=v").timeout(5);
    let mut stream = api.watch(&params, &start_rv).await.unwrap().boxed();
    let mut kinds = Vec::new();
    while let Some(event) = stream.try_next().await.unwrap() {
        match event {
            WatchEvent::Added(p) => kinds.push(format!("ADDED {}", phase(&p))),
            WatchEvent::Modified(p) => {
                kinds.push(format!("MODIFIED {}", phase(&p)));
                if phase(&p) == "Succeeded" {
                    break;
                }
            }
            WatchEvent::Bookmark(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(
        kinds.first().map(String::as_str),
        Some("ADDED Pending"),
        "{kinds:?}"
    );
    assert_eq!(kinds.last().map(String::as_str), Some("MODIFIED Succeeded"));

    // The window keeps 5 events: another pod's lifecycle pushes the start out of it.
    api.create(&PostParams::default(), &busybox("w2", json!({}), &["main"]))
        .await
        .unwrap();
    wait_phase(&api, "w2", "Succeeded").await;
    let mut stream = api
        .watch(&WatchParams::default(), &start_rv)
        .await
        .unwrap()
        .boxed();
    match stream.try_next().await.unwrap() {
        Some(WatchEvent::Error(status)) => {
            assert_eq!((status.code, status.reason.as_str()), (410, "Expired"));
            assert!(
                status.message.starts_with("too old resource version:"),
                "{}",
                status.message
            );
        }
        other => panic!("expected a 410 ERROR event, got {other:?}"),
    }
    assert!(
        stream.try_next().await.unwrap().is_none(),
        "the watch should end after the error"
    );
    let (_, content_type, body) = raw(
        &sim,
        &format!("/api/v1/namespaces/{NS}/pods?watch=1&resourceVersion=1"),
    )
    .await;
    assert_eq!(content_type, "application/json;stream=watch");
    let event: Value = serde_json::from_str(body.lines().next().unwrap()).unwrap();
    assert_eq!(event["type"], "ERROR");
    assert_eq!(event["object"]["code"], 410);

    // resourceVersion 0: ADDED for what exists; bookmarks only when asked; timeoutSeconds ends it.
    let mut stream = api
        .watch(&WatchParams::default().timeout(1), "0")
        .await
        .unwrap()
        .boxed();
    let (mut added, mut bookmarks) = (0, 0);
    let began = std::time::Instant::now();
    while let Some(event) = stream.try_next().await.unwrap() {
        match event {
            WatchEvent::Added(_) => added += 1,
            WatchEvent::Bookmark(b) => {
                assert!(b.metadata.resource_version.parse::<u64>().unwrap() > 0);
                bookmarks += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(began.elapsed() < Duration::from_secs(4));
    assert_eq!(added, 2);
    assert!(bookmarks >= 2, "{bookmarks} bookmarks in a second at 50 ms");
    let mut stream = api
        .watch(&WatchParams::default().timeout(1).disable_bookmarks(), "0")
        .await
        .unwrap()
        .boxed();
    while let Some(event) = stream.try_next().await.unwrap() {
        assert!(matches!(event, WatchEvent::Added(_)), "{event:?}");
    }

    // A deletion is a DELETED event.
    let now = api
        .list(&ListParams::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    let mut stream = api
        .watch(&WatchParams::default().timeout(5), &now)
        .await
        .unwrap()
        .boxed();
    api.delete("w1", &DeleteParams::default()).await.unwrap();
    loop {
        match stream.try_next().await.unwrap() {
            Some(WatchEvent::Deleted(p)) => {
                assert_eq!(p.metadata.name.as_deref(), Some("w1"));
                assert!(p.metadata.deletion_timestamp.is_some());
                break;
            }
            Some(WatchEvent::Bookmark(_)) => {}
            other => panic!("expected DELETED, got {other:?}"),
        }
    }
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

/// Times in the handle's log and `DateTime` parsing agree (helper sanity for the tests above).
#[test]
fn rfc3339_nanos_round_trip() {
    let t: DateTime<Utc> = "2026-11-25T10:00:00.123456789Z".parse().unwrap();
    assert_eq!(
        t.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string(),
        "2026-11-25T10:00:00.123456789Z"
    );
}
