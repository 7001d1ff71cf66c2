//! The log follower against the simulated Kubernetes through `Cluster` (kube-rs): a Kaniko
//! pod is followed from Pending to its end and every line the kubelet stored arrives exactly
//! once — also when a proxy cuts the log stream mid-response again and again. The console's
//! runner lists a PR's builds through the same cluster.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kfops_console::backends::cluster::{Cluster, LogLine};
use kfops_console::domain::{build_labels, PodRef};
use kfops_console::effects::Command;
use kfops_console::effects::Services;
use kfops_console::launch;
use kfops_console::logs::follow::{self, FollowOptions};
use kfops_console::logs::{LogEvent, StreamStatus};
use kfops_console::tui::msg::Msg;
use kfops_sim::{Scenario, Simulator};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support::console::answers;

const NS: &str = "kfops";

fn scenario(line_ms: u64) -> Scenario {
    let mut s = Scenario::demo();
    s.kube.pod_start_ms = 150;
    s.kube.kaniko_line_ms = line_ms;
    s
}

fn cluster(url: &str) -> Cluster {
    let client = kube::Client::try_from(kube::Config::new(url.parse().unwrap())).unwrap();
    Cluster::from_client(client, NS)
}

/// A Kaniko build pod of PR #41 with the console's build labels.
fn kaniko_pod(name: &str, build: &str, image: &str) -> Pod {
    let demo = Scenario::demo();
    let sha = demo.github.pull(41).unwrap().head_sha.clone();
    serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {
            build_labels::COMPONENT: build_labels::COMPONENT_BUILD,
            build_labels::PR: "41",
            build_labels::IMAGE: image,
            build_labels::BUILD_ID: build,
            build_labels::VERSION_ID: "v-41",
        }},
        "spec": {
            "restartPolicy": "Never",
            "containers": [{
                "name": "kaniko",
                "image": "gcr.io/kaniko-project/executor:v1.23.2",
                "args": [
                    "--dockerfile=images/trainer/Dockerfile",
                    format!("--context=git://github.com/acme-ml/churn-model.git#{sha}"),
                    format!("--destination=registry.acme.example/ml/{image}:v1"),
                ],
            }],
        },
    }))
    .unwrap()
}

fn pod_ref(name: &str) -> PodRef {
    PodRef {
        namespace: NS.into(),
        name: name.into(),
        container: None,
    }
}

/// Runs the follower to its end; returns the lines and the statuses it reported.
async fn follow_all(
    cluster: Cluster,
    name: &str,
    options: FollowOptions,
) -> (Vec<LogLine>, Vec<StreamStatus>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let done = tokio::time::timeout(
        Duration::from_secs(60),
        follow::follow_with(cluster, pod_ref(name), options, move |e| {
            sink.lock().unwrap().push(e);
        }),
    )
    .await
    .expect("the follower ends when the pod does");
    let events = events.lock().unwrap().clone();
    let mut lines = Vec::new();
    let mut statuses = Vec::new();
    for e in events {
        match e {
            LogEvent::Lines { lines: l, .. } => lines.extend(l),
            LogEvent::Status { status, .. } => statuses.push(status),
            _ => {}
        }
    }
    assert_eq!(statuses.last(), Some(&done));
    (lines, statuses)
}

fn stored(sim: &Simulator, name: &str) -> Vec<LogLine> {
    sim.kube()
        .logs_of(NS, name, "kaniko")
        .into_iter()
        .map(|(time, text)| LogLine {
            time: Some(time),
            text,
        })
        .collect()
}

#[tokio::test]
async fn follower_receives_exactly_the_pods_log_from_pending_to_succeeded() {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), scenario(2))
        .await
        .unwrap();
    sim.kube()
        .create_pod(NS, kaniko_pod("b1-trainer", "b1", "trainer"))
        .unwrap();
    let (lines, statuses) = follow_all(
        cluster(&sim.kube_url()),
        "b1-trainer",
        FollowOptions::default(),
    )
    .await;
    let expected = stored(&sim, "b1-trainer");
    assert!(
        expected.len() > 50,
        "a realistic Kaniko log: {}",
        expected.len()
    );
    assert_eq!(lines, expected, "no line lost, none repeated, times kept");
    assert_eq!(statuses.first(), Some(&StreamStatus::Connecting));
    assert!(statuses.contains(&StreamStatus::Streaming), "{statuses:?}");
    assert_eq!(statuses.last(), Some(&StreamStatus::Finished));
    assert!(
        !statuses
            .iter()
            .any(|s| matches!(s, StreamStatus::Reconnecting { .. })),
        "waiting for a Pending pod is not a reconnect: {statuses:?}"
    );

    // A finished pod is fetched once, the same lines.
    let once = Arc::new(Mutex::new(Vec::new()));
    let sink = once.clone();
    follow::fetch(cluster(&sim.kube_url()), pod_ref("b1-trainer"), move |e| {
        if let LogEvent::Lines { lines, .. } = e {
            sink.lock().unwrap().extend(lines);
        }
    })
    .await;
    assert_eq!(*once.lock().unwrap(), expected);
}

/// A proxy in front of the simulator that cuts `cuts` log responses after `after` bytes of
/// each (the client sees the connection drop mid-body). Returns its address and a counter
/// of the cuts made.
async fn cutting_proxy(
    upstream: SocketAddr,
    cuts: usize,
    after: usize,
) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let left = Arc::new(AtomicUsize::new(cuts));
    let made = Arc::new(AtomicUsize::new(0));
    let made_out = made.clone();
    tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            let (left, made) = (left.clone(), made.clone());
            tokio::spawn(async move {
                let up = TcpStream::connect(upstream).await.unwrap();
                let (mut cr, mut cw) = client.into_split();
                let (mut ur, mut uw) = up.into_split();
                // The request the response bytes belong to: (is a log request, sequence).
                let current = Arc::new(Mutex::new((false, 0u64)));
                let seen = current.clone();
                let requests = tokio::spawn(async move {
                    let mut buf = vec![0u8; 16 * 1024];
                    loop {
                        let n = match cr.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => n,
                        };
                        let text = String::from_utf8_lossy(&buf[..n]);
                        if let Some(line) = text.lines().find(|l| l.starts_with("GET ")) {
                            let mut c = seen.lock().unwrap();
                            *c = (line.contains("/log?"), c.1 + 1);
                        }
                        if uw.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                });
                let mut buf = vec![0u8; 16 * 1024];
                let (mut sent, mut request) = (0usize, 0u64);
                loop {
                    let n = match ur.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    let (is_log, seq) = *current.lock().unwrap();
                    if seq != request {
                        (sent, request) = (0, seq);
                    }
                    if is_log && sent + n > after && left.load(Ordering::SeqCst) > 0 {
                        left.fetch_sub(1, Ordering::SeqCst);
                        made.fetch_add(1, Ordering::SeqCst);
                        let _ = cw.write_all(&buf[..after.saturating_sub(sent)]).await;
                        break;
                    }
                    sent += n;
                    if cw.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
                requests.abort();
                let _ = cw.shutdown().await;
            });
        }
    });
    (addr, made_out)
}

#[tokio::test]
async fn cut_log_streams_resume_without_losing_or_repeating_a_line() {
    // Lines 10 ms apart: the log spans seconds, so resumes start at different seconds.
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), scenario(10))
        .await
        .unwrap();
    let (proxy, cuts) = cutting_proxy(sim.addr(), 4, 2_500).await;
    sim.kube()
        .create_pod(NS, kaniko_pod("b2-trainer", "b2", "trainer"))
        .unwrap();
    let options = FollowOptions {
        backoff_initial: Duration::from_millis(20),
        ..FollowOptions::default()
    };
    let (lines, statuses) =
        follow_all(cluster(&format!("http://{proxy}")), "b2-trainer", options).await;
    assert!(
        cuts.load(Ordering::SeqCst) >= 2,
        "the proxy cut the log stream"
    );
    assert!(
        statuses
            .iter()
            .any(|s| matches!(s, StreamStatus::Reconnecting { .. })),
        "{statuses:?}"
    );
    let expected = stored(&sim, "b2-trainer");
    assert_eq!(lines.len(), expected.len(), "no line lost or repeated");
    assert_eq!(lines, expected);
    assert_eq!(statuses.last(), Some(&StreamStatus::Finished));
}

#[tokio::test]
async fn the_runner_lists_a_prs_builds_and_fetches_their_logs() {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), scenario(1))
        .await
        .unwrap();
    for (name, build, image) in [
        ("b1-trainer", "b1", "trainer"),
        ("b1-server", "b1", "server"),
        ("b2-trainer", "b2", "trainer"),
    ] {
        if build == "b2" {
            // Creation times have whole seconds: b2 is a second newer.
            tokio::time::sleep(Duration::from_millis(1_100)).await;
        }
        sim.kube()
            .create_pod(NS, kaniko_pod(name, build, image))
            .unwrap();
    }
    let cfg = launch::demo_config(&sim).unwrap();
    let mut console = launch::console(&cfg, false, "demo").unwrap();
    launch::connect_cluster(&cfg, &mut console).await;
    assert!(console.services.cluster.is_some());

    let listed = answers(
        Command::ListBuilds { project: 0, pr: 41 },
        &console.services,
    )
    .await;
    let [Msg::BuildsListed { pr, result, .. }] = <[Msg; 1]>::try_from(listed).expect("one answer")
    else {
        panic!("not a builds answer");
    };
    assert_eq!(pr, 41);
    let builds = result.unwrap();
    let groups: Vec<&str> = builds.iter().map(|b| b.group.as_str()).collect();
    assert_eq!(groups, ["b2", "b1"], "newest first");
    let images: Vec<&str> = builds[1].pods.iter().map(|p| p.image.as_str()).collect();
    assert_eq!(images, ["server", "trainer"]);

    // Followed to the end through the console's interpreter: every line, as log answers.
    let follow = Command::FollowLogs {
        pod: pod_ref("b2-trainer"),
    };
    let events = log_events(follow, &console.services).await;
    let lines: Vec<LogLine> = events
        .iter()
        .flat_map(|e| match e {
            LogEvent::Lines { lines, .. } => lines.clone(),
            _ => Vec::new(),
        })
        .collect();
    assert_eq!(lines, stored(&sim, "b2-trainer"));

    // Without a cluster the log commands answer with the reason.
    console.services.cluster = None;
    let fetch = Command::FetchLogs {
        pod: pod_ref("b1-server"),
    };
    let events = log_events(fetch, &console.services).await;
    assert!(matches!(
        events.last(),
        Some(LogEvent::Status {
            status: StreamStatus::Failed(reason),
            ..
        }) if reason.contains("not connected")
    ));
}

/// The log events a log command answers with (each answer must be one).
async fn log_events(command: Command, services: &Services) -> Vec<LogEvent> {
    answers(command, services)
        .await
        .into_iter()
        .map(|msg| match msg {
            Msg::Log(ev) => ev,
            other => panic!("not a log answer: {other:?}"),
        })
        .collect()
}
