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

/// `[kfp] port_forward`: the console finds the UI's ready pod, opens the port-forward itself
/// (no kubectl) and lists the profile's runs through it with its token; `kfops check` proves
/// access the same way. Nothing goes through the service proxy, nothing is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_reaches_kfp_through_its_own_port_forward_to_the_ui() {
    let sim = start().await;
    let dir = tempfile::tempdir().unwrap();
    let token = MultiUser::service_account_token(PROFILE, "default-editor", TOKEN_AUDIENCE);
    let token_path = dir.path().join("sa-token");
    std::fs::write(&token_path, format!("{token}\n")).unwrap();
    let path = crate::headless::config_for(&sim, dir.path());
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text.replace(
        &format!("endpoint = \"{}\"\n", sim.kfp_url()),
        &format!("port_forward = \"ml-pipeline-ui\"\ntoken_path = {token_path:?}\n"),
    );
    std::fs::write(&path, text).unwrap();

    let out = crate::headless::kfops(&["runs", "--pr", "41", "--json"], &path).await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let runs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(runs.as_array().is_some_and(|r| r.len() >= 2), "{runs}");
    let forwards = |sim: &Simulator| {
        sim.requests()
            .iter()
            .filter(|r| r.path.ends_with(&format!("/pods/{UI_POD}/portforward")))
            .count()
    };
    assert!(forwards(&sim) >= 1);

    let (code, report) = crate::doctor::check_json_with(&path, &[], &[]).await;
    assert_eq!(code, 0, "{report:#}");
    let healthz = crate::doctor::detail(&report, "kfp.healthz");
    assert!(
        healthz.contains("port-forward to kubeflow/ml-pipeline-ui"),
        "{healthz}"
    );
    assert_eq!(
        crate::doctor::status(&report, &format!("kfp.access.{PROFILE}")),
        "pass"
    );

    let requests = sim.requests();
    assert!(
        requests.iter().all(|r| !r.path.contains("/proxy")),
        "{requests:?}"
    );
    // Only the check's access reviews (POSTs that change nothing); no KFP write.
    let writes: Vec<String> = crate::safety::mutating(&sim)
        .into_iter()
        .filter(|r| !r.ends_with("/selfsubjectaccessreviews"))
        .collect();
    assert_eq!(writes, Vec::<String>::new());
    sim.shutdown().await;
}

/// Each connection to the local listener gets its own port-forward: a connection that drops
/// (here: closed after every request) is opened again on the next request, to a ready pod.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_forward_is_opened_again_for_the_next_request() {
    let sim = start().await;
    let client =
        kube::Client::try_from(kube::Config::new(sim.kube_url().parse().unwrap())).unwrap();
    let ui = kfops_console::backends::kfp::UiService {
        namespace: sim.kfp().proxy_namespace(),
        name: "ml-pipeline-ui".to_owned(),
    };
    let url = ui.open(client.clone()).await.unwrap();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    for _ in 0..3 {
        let answer = http
            .get(format!("{url}/apis/v2beta1/healthz"))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), 200);
    }
    let forwards = sim
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/portforward"))
        .count();
    assert_eq!(forwards, 3);
    // A service with no ready pod is refused at start, naming the fix.
    let missing = kfops_console::backends::kfp::UiService {
        namespace: sim.kfp().proxy_namespace(),
        name: "ml-pipeline-ui-typo".to_owned(),
    };
    let e = missing.open(client).await.unwrap_err();
    assert!(e.to_string().contains("no ready pod"), "{e}");
    assert!(
        e.hint
            .as_deref()
            .is_some_and(|h| h.contains("[kfp] port_forward")),
        "{e:?}"
    );
    sim.shutdown().await;
}
