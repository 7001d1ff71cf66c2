//! Zero loss under a flaky network: the simulator cuts 100 log responses at random byte
//! points (seeded) while 8 pods print concurrently and 8 followers (kube-rs, through
//! `Cluster`) feed one `LogStore`; every stream ends holding exactly what its pod printed.
//! Also: a cut response breaks on the wire (an error, never a clean end of body).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use kfops_console::backends::cluster::{Cluster, LogLine};
use kfops_console::domain::PodRef;
use kfops_console::logs::follow::{self, FollowOptions};
use kfops_console::logs::{LogEvent, LogStore, StreamStatus};
use kfops_sim::{Scenario, Simulator};

use crate::support::printer::{printer_pod, Printer, CONTAINER};

const NS: &str = "kfops";
const PODS: usize = 8;
const CUTS: u32 = 100;

fn scenario() -> Scenario {
    let mut s = Scenario::demo();
    s.kube.pod_start_ms = 50;
    s.kube.fault_seed = 6;
    s
}

fn cluster(sim: &Simulator) -> Cluster {
    let client =
        kube::Client::try_from(kube::Config::new(sim.kube_url().parse().unwrap())).unwrap();
    Cluster::from_client(client, NS)
}

fn pod_ref(name: &str) -> PodRef {
    PodRef {
        namespace: NS.into(),
        name: name.into(),
        container: Some(CONTAINER.into()),
    }
}

/// What the simulated kubelet stored for a pod, as the follower should deliver it.
fn produced(sim: &Simulator, name: &str) -> Vec<LogLine> {
    sim.kube()
        .logs_of(NS, name, CONTAINER)
        .into_iter()
        .map(|(time, text)| LogLine {
            time: Some(time),
            text,
        })
        .collect()
}

/// Retries often and never gives up: the network fails 100 times on purpose.
fn patient() -> FollowOptions {
    FollowOptions {
        backoff_initial: Duration::from_millis(5),
        backoff_max: Duration::from_millis(40),
        max_attempts: 10_000,
        ..FollowOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_random_cuts_across_eight_streams_lose_and_repeat_no_line() {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), scenario())
        .await
        .unwrap();
    // ~200 lines a second per pod for ~3 s, ~90 bytes each with the timestamp.
    let printer = Printer {
        lines: 600,
        burst: 6,
        pause: Duration::from_millis(30),
    };
    sim.kube().register_program(Arc::new(printer));
    // Cut points from 1 KiB to 12 KiB: some land in the lines a resume repeats (the API
    // server drops sinceTime's fraction), most after them.
    sim.kube().set_log_cuts(CUTS, 1024, 12 * 1024);

    let store = Arc::new(Mutex::new(LogStore::new(1_000_000)));
    let mut followers = Vec::new();
    for i in 0..PODS {
        let name = format!("printer-{i}");
        sim.kube()
            .create_pod(NS, printer_pod(&name, "Never"))
            .unwrap();
        let id = store.lock().unwrap().add_stream();
        let (store, cluster) = (store.clone(), cluster(&sim));
        followers.push((
            name.clone(),
            id,
            tokio::spawn(async move {
                follow::follow_with(cluster, pod_ref(&name), patient(), move |e| {
                    if let LogEvent::Lines { lines, .. } = e {
                        store.lock().unwrap().extend(id, lines);
                    }
                })
                .await
            }),
        ));
    }
    for (name, _, follower) in &mut followers {
        let done = tokio::time::timeout(Duration::from_secs(60), follower)
            .await
            .unwrap_or_else(|_| panic!("{name}: the follower ends with its pod"))
            .unwrap();
        assert_eq!(done, StreamStatus::Finished, "{name}");
    }

    assert_eq!(
        sim.kube().log_cuts_made(),
        u64::from(CUTS),
        "every cut was made"
    );
    assert_eq!(sim.kube().log_cuts_left(), 0);
    let store = store.lock().unwrap();
    assert_eq!(store.dropped(), 0, "the store kept every line");
    for (name, id, _) in &followers {
        let expected = produced(&sim, name);
        let texts: Vec<&str> = expected.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            texts,
            printer.texts(name),
            "{name}: the kubelet stored what it printed"
        );
        let got: Vec<LogLine> = store
            .range(*id)
            .filter_map(|i| store.get(*id, i))
            .map(|l| LogLine {
                time: l.time,
                text: l.text.to_string(),
            })
            .collect();
        assert_eq!(
            got.len(),
            expected.len(),
            "{name}: no line lost or repeated"
        );
        assert_eq!(
            got, expected,
            "{name}: same lines, same order, same timestamps"
        );
    }
}

#[tokio::test]
async fn a_cut_response_breaks_the_connection_mid_body() {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), scenario())
        .await
        .unwrap();
    sim.kube().register_program(Arc::new(Printer {
        lines: 200,
        burst: 200,
        pause: Duration::ZERO,
    }));
    sim.kube()
        .create_pod(NS, printer_pod("short", "Never"))
        .unwrap();
    let whole = loop {
        let done = sim
            .kube()
            .pod(NS, "short")
            .and_then(|p| p.status?.phase)
            .is_some_and(|p| p == "Succeeded");
        if done {
            break sim.kube().logs_of(NS, "short", CONTAINER);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let url = format!(
        "{}/api/v1/namespaces/{NS}/pods/short/log?timestamps=true",
        sim.kube_url()
    );
    let read = |url: String| async move {
        let response = reqwest::get(&url).await.unwrap();
        assert_eq!(response.status(), 200);
        let mut body = response.bytes_stream();
        let mut bytes = Vec::new();
        while let Some(chunk) = body.next().await {
            match chunk {
                Ok(c) => bytes.extend_from_slice(&c),
                Err(e) => return (bytes, Some(e)),
            }
        }
        (bytes, None)
    };

    // No cuts: the whole log, a clean end.
    let (bytes, err) = read(url.clone()).await;
    assert!(err.is_none());
    assert_eq!(
        String::from_utf8(bytes).unwrap().lines().count(),
        whole.len()
    );

    // One cut at exactly 3,000 bytes: those bytes arrive, then the body fails.
    sim.kube().set_log_cuts(1, 3_000, 3_000);
    let (bytes, err) = read(url.clone()).await;
    assert_eq!(bytes.len(), 3_000);
    assert!(err.is_some(), "a cut is an error, not a clean end of body");
    assert_eq!(sim.kube().log_cuts_made(), 1);

    // The cuts are used up: whole again.
    let (bytes, err) = read(url).await;
    assert!(err.is_none());
    assert_eq!(
        String::from_utf8(bytes).unwrap().lines().count(),
        whole.len()
    );
}
