//! `ml-pipeline-ui` through a port-forward by the Kubernetes API (issue 16 point 1): the
//! simulator's `pods/{name}/portforward` speaks the API server's WebSocket protocol
//! (`v4.channel.k8s.io`, a channel byte per message, the port first on each channel), checked
//! here with kube-rs's own client (`Api::<Pod>::portforward`), and the UI behind it proxies
//! KFP's API with the caller's identity in the multi-user mode.

use k8s_openapi::api::core::v1::Pod;
use kfops_sim::kfp::ui_forward::{UI_POD, UI_PORT};
use kfops_sim::kfp::{MultiUser, TOKEN_AUDIENCE};
use kfops_sim::Simulator;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PROFILE: &str = "kubeflow-user-example-com";

async fn start() -> Simulator {
    let mut scenario = crate::build_flow::fast_scenario();
    scenario.kfp.multi_user = Some(MultiUser {
        users: [("user@example.com".to_owned(), vec![PROFILE.to_owned()])].into(),
        sessions: Default::default(),
    });
    Simulator::start(([127, 0, 0, 1], 0).into(), scenario)
        .await
        .unwrap()
}

/// One HTTP/1.1 request over a fresh port-forward to the UI pod; the raw answer.
async fn through_the_ui(sim: &Simulator, path: &str, token: Option<&str>) -> String {
    let client =
        kube::Client::try_from(kube::Config::new(sim.kube_url().parse().unwrap())).unwrap();
    let pods: kube::Api<Pod> = kube::Api::namespaced(client, &sim.kfp().proxy_namespace());
    let mut forwarder = pods.portforward(UI_POD, &[UI_PORT]).await.unwrap();
    let mut stream = forwarder.take_stream(UI_PORT).unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: localhost:{UI_PORT}\r\n{auth}Connection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    // The UI closed the connection (`Connection: close`), so the API server ends the stream.
    forwarder.abort();
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ui_pod_port_forward_speaks_the_api_servers_websocket_and_carries_the_identity() {
    let sim = start().await;
    let runs = format!("/apis/v2beta1/runs?namespace={PROFILE}");
    let token = MultiUser::service_account_token(PROFILE, "default-editor", TOKEN_AUDIENCE);

    // With the profile's token the UI's API proxy lists the profile's runs.
    let answer = through_the_ui(&sim, &runs, Some(&token)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    let listed: serde_json::Value = serde_json::from_str(body).unwrap();
    assert!(
        listed["runs"].as_array().is_some_and(|r| !r.is_empty()),
        "{answer}"
    );
    // Without one, KFP's own 401 comes back through the tunnel.
    let answer = through_the_ui(&sim, &runs, None).await;
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");

    // The API server saw port-forwards (never the service proxy) and nothing was written.
    let requests = sim.requests();
    let forwards = requests
        .iter()
        .filter(|r| r.path.ends_with(&format!("/pods/{UI_POD}/portforward")))
        .count();
    assert_eq!(forwards, 2, "{requests:?}");
    assert!(requests.iter().all(|r| !r.path.contains("/proxy")));
    assert!(crate::safety::mutating(&sim).is_empty());

    // Another pod, or a plain GET without the WebSocket upgrade: refused as the API server does.
    let plain = reqwest::get(format!(
        "{}/api/v1/namespaces/kubeflow/pods/{UI_POD}/portforward?ports={UI_PORT}",
        sim.kube_url()
    ))
    .await
    .unwrap();
    assert_eq!(plain.status().as_u16(), 400);
    let client =
        kube::Client::try_from(kube::Config::new(sim.kube_url().parse().unwrap())).unwrap();
    let pods: kube::Api<Pod> = kube::Api::namespaced(client, "kubeflow");
    assert!(pods
        .portforward("ml-pipeline-ui-gone", &[UI_PORT])
        .await
        .is_err());
    sim.shutdown().await;
}
