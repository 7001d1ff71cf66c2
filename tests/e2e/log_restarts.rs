//! Restarted containers: the simulated kubelet restarts a crashing container (restartCount,
//! lastState, a fresh log, the old one served with `previous=true`), a followed log of the
//! old instance ends when it crashes, and the console's follower goes on from one instance to
//! the next with every line of each exactly once — also when log streams are cut meanwhile.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kfops_console::backends::cluster::{Cluster, LogLine};
use kfops_console::domain::PodRef;
use kfops_console::logs::follow::{self, FollowOptions};
use kfops_console::logs::{LogEvent, StreamStatus};
use kfops_sim::{Scenario, Simulator};
use kube::api::LogParams;
use kube::Api;

use crate::support::printer::{printer_pod, Printer, CONTAINER};

const NS: &str = "kfops";

/// Printer pods crash after `after` lines, `restarts` times.
fn scenario(after: usize, restarts: u32, delay_ms: u64) -> Scenario {
    let mut s = Scenario::demo();
    s.kube.pod_start_ms = 50;
    s.kube.crash_images = vec!["printer".into()];
    s.kube.crash_after_lines = after;
    s.kube.crash_restarts = restarts;
    s.kube.restart_delay_ms = delay_ms;
    s.kube.fault_seed = 11;
    s
}

fn client(sim: &Simulator) -> kube::Client {
    kube::Client::try_from(kube::Config::new(sim.kube_url().parse().unwrap())).unwrap()
}

fn lines(stored: Vec<(chrono::DateTime<chrono::Utc>, String)>) -> Vec<LogLine> {
    stored
        .into_iter()
        .map(|(time, text)| LogLine {
            time: Some(time),
            text,
        })
        .collect()
}

fn container_status(pod: &Pod) -> k8s_openapi::api::core::v1::ContainerStatus {
    pod.status
        .as_ref()
        .unwrap()
        .container_statuses
        .as_ref()
        .unwrap()[0]
        .clone()
}

async fn wait_for(sim: &Simulator, name: &str, ok: impl Fn(&Pod) -> bool) -> Pod {
    for _ in 0..1_000 {
        if let Some(pod) = sim.kube().pod(NS, name).filter(|p| ok(p)) {
            return pod;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("pod {name} never reached the expected state");
}

fn phase_is(phase: &'static str) -> impl Fn(&Pod) -> bool {
    move |p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some(phase)
}

#[tokio::test]
async fn previous_serves_the_crashed_instance_and_a_followed_log_ends_with_it() {
    // A line every 20 ms: the first instance runs for half a second.
    let printer = Printer {
        lines: 60,
        burst: 1,
        pause: Duration::from_millis(20),
    };
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), scenario(25, 1, 300))
        .await
        .unwrap();
    sim.kube().register_program(Arc::new(printer));
    sim.kube()
        .create_pod(NS, printer_pod("crashy", "OnFailure"))
        .unwrap();
    let api: Api<Pod> = Api::namespaced(client(&sim), NS);

    // Before any restart `previous` is 400, like the kubelet's.
    wait_for(&sim, "crashy", phase_is("Running")).await;
    let previous = LogParams {
        previous: true,
        ..LogParams::default()
    };
    let err = api.logs("crashy", &previous).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("previous terminated container \"main\" in pod \"crashy\" not found"),
        "{err}"
    );

    // A followed log of the first instance ends when it crashes, with its 25 lines.
    let follow = LogParams {
        follow: true,
        ..LogParams::default()
    };
    let mut stream = api.log_stream("crashy", &follow).await.unwrap();
    let mut first = Vec::new();
    futures::AsyncReadExt::read_to_end(&mut stream, &mut first)
        .await
        .unwrap();
    let texts = printer.texts("crashy");
    let first: Vec<&str> = std::str::from_utf8(&first).unwrap().lines().collect();
    assert_eq!(
        first,
        texts[..25],
        "the first instance, whole, then a clean end"
    );
    let crashed = sim.kube().pod(NS, "crashy").unwrap();
    assert_eq!(
        crashed.status.as_ref().unwrap().phase.as_deref(),
        Some("Running"),
        "the pod goes on"
    );

    // The restart: restartCount 1, lastState the crash, a new instance running.
    let pod = wait_for(&sim, "crashy", phase_is("Succeeded")).await;
    let status = container_status(&pod);
    assert_eq!(status.restart_count, 1);
    let last = status.last_state.unwrap().terminated.unwrap();
    assert_eq!((last.exit_code, last.reason.as_deref()), (1, Some("Error")));
    let now = status.state.unwrap().terminated.unwrap();
    assert_eq!(
        (now.exit_code, now.reason.as_deref()),
        (0, Some("Completed"))
    );

    // `previous` serves the crashed instance (with the kubelet's options), the log the new one.
    let old = api.logs("crashy", &previous).await.unwrap();
    assert_eq!(old.lines().collect::<Vec<_>>(), texts[..25]);
    let tail = LogParams {
        previous: true,
        tail_lines: Some(2),
        timestamps: true,
        ..LogParams::default()
    };
    let stamped = api.logs("crashy", &tail).await.unwrap();
    let stored = sim.kube().previous_logs_of(NS, "crashy", CONTAINER);
    let expected: String = stored[23..]
        .iter()
        .map(|(t, l)| format!("{} {l}\n", t.format("%Y-%m-%dT%H:%M:%S%.9fZ")))
        .collect();
    assert_eq!(stamped, expected);
    let new = api.logs("crashy", &LogParams::default()).await.unwrap();
    assert_eq!(new.lines().collect::<Vec<_>>(), texts[25..]);
}

/// Follows a pod to its end; the lines delivered and the statuses reported.
async fn follow_all(
    sim: &Simulator,
    name: &str,
    options: FollowOptions,
) -> (Vec<LogLine>, Vec<StreamStatus>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let pod = PodRef {
        namespace: NS.into(),
        name: name.into(),
        container: None,
    };
    let cluster = Cluster::from_client(client(sim), NS);
    let done = tokio::time::timeout(
        Duration::from_secs(60),
        follow::follow_with(cluster, pod, options, move |e| sink.lock().unwrap().push(e)),
    )
    .await
    .expect("the follower ends with the pod");
    assert_eq!(done, StreamStatus::Finished);
    let mut lines = Vec::new();
    let mut statuses = Vec::new();
    for e in events.lock().unwrap().drain(..) {
        match e {
            LogEvent::Lines { lines: l, .. } => lines.extend(l),
            LogEvent::Status { status, .. } => statuses.push(status),
            _ => {}
        }
    }
    (lines, statuses)
}

/// Follows a printer pod that crashes after every 80 lines, twice; `cut_at`: the first log
/// response is cut after that many bytes and the follower waits `backoff` to reconnect.
async fn follow_crashing_pod(cut_at: Option<usize>, backoff: Duration) -> Vec<StreamStatus> {
    // A line every 10 ms: each instance runs 0.8 s, the restarts take 0.1 s.
    let printer = Printer {
        lines: 240,
        burst: 1,
        pause: Duration::from_millis(10),
    };
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), scenario(80, 2, 100))
        .await
        .unwrap();
    sim.kube().register_program(Arc::new(printer));
    if let Some(at) = cut_at {
        sim.kube().set_log_cuts(1, at, at);
    }
    sim.kube()
        .create_pod(NS, printer_pod("crashy", "Always"))
        .unwrap();
    if cut_at.is_some() {
        // Following from the start of the first instance (a Pending pod is retried with the
        // backoff too, which would let the first instance pass by).
        wait_for(&sim, "crashy", phase_is("Running")).await;
    }
    let options = FollowOptions {
        backoff_initial: backoff,
        backoff_max: backoff,
        ..FollowOptions::default()
    };
    let (got, statuses) = follow_all(&sim, "crashy", options).await;

    let pod = sim.kube().pod(NS, "crashy").unwrap();
    assert_eq!(container_status(&pod).restart_count, 2, "crashed twice");
    let texts: Vec<String> = got.iter().map(|l| l.text.clone()).collect();
    assert_eq!(
        texts,
        printer.texts("crashy"),
        "all three instances, once each"
    );
    // The kubelet keeps the last two instances: the same lines with the same times.
    let mut kept = lines(sim.kube().previous_logs_of(NS, "crashy", CONTAINER));
    kept.extend(lines(sim.kube().logs_of(NS, "crashy", CONTAINER)));
    assert_eq!(got[80..], kept[..]);
    assert!(got.windows(2).all(|w| w[0].time <= w[1].time), "in order");
    assert_eq!(sim.kube().log_cuts_made(), u64::from(cut_at.is_some()));
    statuses
}

#[tokio::test]
async fn the_follower_goes_on_across_restarts_with_every_line_once() {
    let statuses = follow_crashing_pod(None, Duration::from_millis(20)).await;
    // Each instance's stream ended when it crashed; the next one was read from its start.
    for count in [1, 2] {
        assert!(
            statuses.contains(&StreamStatus::Restarted { count }),
            "{statuses:?}"
        );
    }
    assert!(
        !statuses
            .iter()
            .any(|s| matches!(s, StreamStatus::Reconnecting { .. })),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn a_stream_cut_before_a_restart_is_finished_from_the_previous_log() {
    // Cut ~10 lines into the first instance; the follower comes back 1.2 s later, when the
    // first instance has crashed and the second runs: the rest of the first comes from
    // `previous=true`.
    let statuses = follow_crashing_pod(Some(800), Duration::from_millis(1_200)).await;
    let reconnect = statuses
        .iter()
        .position(|s| matches!(s, StreamStatus::Reconnecting { .. }))
        .expect("the cut");
    let restarted = statuses
        .iter()
        .position(|s| *s == StreamStatus::Restarted { count: 1 })
        .expect("the restart");
    assert!(reconnect < restarted, "{statuses:?}");
    assert!(
        statuses.contains(&StreamStatus::Restarted { count: 2 }),
        "{statuses:?}"
    );
}
