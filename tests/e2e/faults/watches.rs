//! Watches under faults: a 410 Gone (as an `ERROR` event, or refusing the watch request's
//! expired resourceVersion) makes a fresh list; a dropped watch connection is watched again.

use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kfops_console::backends::cluster::{Cluster, PodEvent};
use kfops_console::chatops::DeployTarget;
use kfops_console::launch;
use kfops_console::tui::panes::targets::StreamState;
use kfops_console::tui::runner::Driver;
use kfops_sim::faults::{Fault, FaultRule, SimService};
use kfops_sim::{RecordedRequest, Simulator};
use ratatui::layout::Rect;

use super::{rule, statuses};
use crate::build_flow::fast_scenario;

const SELECTOR: &str = "fault-test=yes";

fn is_watch(r: &RecordedRequest) -> bool {
    r.query.as_deref().is_some_and(|q| q.contains("watch=true"))
}

fn pod_requests(sim: &Simulator) -> Vec<RecordedRequest> {
    sim.requests()
        .into_iter()
        .filter(|r| {
            r.path.ends_with("/pods")
                && r.query.as_deref().is_some_and(|q| q.contains("fault-test"))
        })
        .collect()
}

fn pod(name: &str) -> Pod {
    serde_json::from_value(serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": {"fault-test": "yes"}},
        "spec": {"containers": [{"name": "main", "image": "busybox"}]},
    }))
    .unwrap()
}

async fn cluster(sim: &Simulator) -> Cluster {
    let cfg = launch::demo_config(sim).unwrap();
    Cluster::connect(&cfg.cluster).await.unwrap()
}

/// Reads the pod watch until `done` holds for the events so far (a bound of 30 s against a
/// hung watch, not a speed check).
async fn read_until(
    events: &mut (impl futures::Stream<Item = Result<PodEvent, kfops_console::backends::BackendError>>
              + Unpin),
    seen: &mut Vec<String>,
    done: impl Fn(&[String]) -> bool,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !done(seen) {
        let next = tokio::time::timeout_at(deadline, events.next())
            .await
            .unwrap_or_else(|_| panic!("timed out; saw {seen:?}"));
        seen.push(match next {
            Some(Ok(PodEvent::Applied(p))) => {
                format!("applied {}", p.metadata.name.unwrap_or_default())
            }
            Some(Ok(PodEvent::Deleted(p))) => {
                format!("deleted {}", p.metadata.name.unwrap_or_default())
            }
            Some(Ok(PodEvent::Resync)) => "resync".into(),
            Some(Ok(PodEvent::Synced)) => "synced".into(),
            Some(Err(e)) => format!("error {e}"),
            None => panic!("the watch ended; saw {seen:?}"),
        });
    }
}

fn count(seen: &[String], what: &str) -> usize {
    seen.iter().filter(|s| s.starts_with(what)).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pod_watch_refused_with_410_for_its_expired_version_lists_again() {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), fast_scenario())
        .await
        .unwrap();
    sim.faults()
        .add(FaultRule {
            query: Some("fault-test".into()),
            ..rule(
                SimService::Kube,
                Some("GET"),
                Some("/api/v1/namespaces/*/pods"),
                Some(1),
                Fault::WatchGone { initial: true },
            )
        })
        .unwrap();
    let cluster = cluster(&sim).await;
    let mut events = Box::pin(cluster.watch_pods(SELECTOR));
    let mut seen = Vec::new();
    read_until(&mut events, &mut seen, |s| count(s, "synced") == 2).await;
    assert!(
        seen.iter()
            .any(|s| s.starts_with("error") && s.contains("410")),
        "{seen:?}"
    );
    // The watch works after the relist.
    sim.kube()
        .create_pod(cluster.namespace(), pod("after-relist"))
        .unwrap();
    read_until(&mut events, &mut seen, |s| {
        s.iter().any(|e| e == "applied after-relist")
    })
    .await;
    let requests = pod_requests(&sim);
    let kinds: Vec<(bool, u16)> = requests
        .iter()
        .map(|r| (is_watch(r), r.status.as_u16()))
        .collect();
    assert_eq!(
        kinds[..4],
        [(false, 200), (true, 410), (false, 200), (true, 200)],
        "list, watch refused, a fresh list, watch: {requests:?}"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_pod_watch_connection_is_watched_again() {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), fast_scenario())
        .await
        .unwrap();
    let id = sim
        .faults()
        .add(FaultRule {
            query: Some("watch=true".into()),
            ..rule(
                SimService::Kube,
                Some("GET"),
                Some("/api/v1/namespaces/*/pods"),
                Some(1),
                Fault::Drop { after_bytes: 0 },
            )
        })
        .unwrap();
    let cluster = cluster(&sim).await;
    let mut events = Box::pin(cluster.watch_pods(SELECTOR));
    let mut seen = Vec::new();
    read_until(&mut events, &mut seen, |s| count(s, "synced") == 1).await;
    // The first watch is cut; the pod created now arrives through the next one.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while sim.faults().hits(id) == 0
        || pod_requests(&sim).iter().filter(|r| is_watch(r)).count() < 2
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no second watch: {:?}",
            pod_requests(&sim)
        );
        tokio::select! {
            ev = events.next() => seen.push(format!("{:?}", ev.map(|e| e.map(|_| ()).map_err(|e| e.to_string())))),
            () = tokio::time::sleep(Duration::from_millis(20)) => {}
        }
    }
    sim.kube()
        .create_pod(cluster.namespace(), pod("after-drop"))
        .unwrap();
    read_until(&mut events, &mut seen, |s| {
        s.iter().any(|e| e == "applied after-drop")
    })
    .await;
    let watches: Vec<_> = pod_requests(&sim).into_iter().filter(is_watch).collect();
    assert!(watches.len() >= 2, "{watches:?}");
    assert_eq!(statuses(&watches)[..2], [200, 200]);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_410_event_on_the_targets_watch_relists_and_the_pane_stays_right() {
    let mut scenario = fast_scenario();
    scenario.kserve.ready_ms = 100;
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), scenario)
        .await
        .unwrap();
    let staging = "/apis/serving.kserve.io/v1beta1/namespaces/staging/inferenceservices";
    sim.faults()
        .add(rule(
            SimService::Kserve,
            Some("GET"),
            Some(staging),
            Some(1),
            Fault::WatchGone { initial: false },
        ))
        .unwrap();
    let cfg = launch::demo_config(&sim).unwrap();
    let mut console = launch::console(&cfg, false, "demo").unwrap();
    launch::connect_cluster(&cfg, &mut console).await;
    let mut driver = Driver::new(console.app, console.services);
    driver.app.size = Rect::new(0, 0, 200, 60);
    driver.start();
    let staging_requests = |sim: &Simulator| -> Vec<RecordedRequest> {
        sim.requests()
            .into_iter()
            .filter(|r| r.path == staging)
            .collect()
    };
    let relisted = |app: &kfops_console::tui::App| {
        let requests = staging_requests(&sim);
        let first_watch = requests.iter().position(is_watch);
        first_watch.is_some_and(|i| requests[i + 1..].iter().any(|r| !is_watch(r)))
            && app.targets.staging.stream == StreamState::Watching
            && app.targets.state(DeployTarget::Staging).is_some()
    };
    assert!(
        driver.run_until(Duration::from_secs(30), relisted).await,
        "{:?}\n{:?}",
        staging_requests(&sim),
        driver.app.targets.staging
    );
    let state = driver.app.targets.state(DeployTarget::Staging).unwrap();
    assert_eq!(state.pr, Some(44));
    assert_eq!(state.ready, Some(true));
    assert!(driver.app.targets.staging.listed);
    sim.shutdown().await;
}
