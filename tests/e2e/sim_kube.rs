//! The simulated Kubernetes API server, driven through kube-rs (and raw HTTP where the exact
//! bytes matter): Kaniko pods go Pending -> Running -> Succeeded/Failed and print a realistic
//! build of the scenario's Dockerfile, logs honour the kubelet's options, errors are
//! `metav1.Status` bodies, selectors and paging filter lists, watches resume, expire (410)
//! and bookmark, and `kube::runtime::watcher` follows a pod to its end.

use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kfops_sim::kube::KubeScenario;
use kfops_sim::{Scenario, Simulator};
use kube::{Api, Client, Config};
use serde_json::{json, Value};

mod builds;
mod errors;
mod leases;
mod lists;
mod logs;
mod watches;

const NS: &str = "kfops";
const KANIKO: &str = "gcr.io/kaniko-project/executor:v1.23.2";

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
