//! Watches: kube-runtime's watcher, resume from a resourceVersion, 410 Expired, bookmarks,
//! timeouts, DELETED.

use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{DeleteParams, ListParams, PostParams, WatchEvent, WatchParams};
use kube::runtime::watcher;
use kube::Api;
use serde_json::{json, Value};

use super::{busybox, kaniko_pod, phase, pr41, raw, scenario, start, wait_phase, NS};

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
async fn kube_runtime_watcher_relists_after_410_and_supports_streaming_lists() {
    let (_sim, client) = start(scenario(|k| k.watch_window = 5)).await;
    let api: Api<Pod> = Api::namespaced(client, NS);
    api.create(
        &PostParams::default(),
        &busybox("quiet", json!({"team": "quiet"}), &["main"]),
    )
    .await
    .unwrap();
    wait_phase(&api, "quiet", "Succeeded").await;

    // Streaming list: the initial events end with the initial-events-end bookmark.
    let streamed = watcher(api.clone(), watcher::Config::default().streaming_lists());
    let mut streamed = streamed.boxed();
    let mut initial = Vec::new();
    loop {
        match streamed.try_next().await.unwrap().unwrap() {
            watcher::Event::Init => {}
            watcher::Event::InitApply(pod) => initial.push(pod.metadata.name.unwrap()),
            watcher::Event::InitDone => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(initial, ["quiet"]);

    // A watcher that sees nothing (no matching changes, no bookmarks) re-watches after its
    // one-second timeout from the list's resourceVersion; meanwhile other pods' changes pushed
    // that out of the 5-event window, so the API server says 410 and the watcher relists.
    let config = watcher::Config::default()
        .labels("team=quiet")
        .timeout(1)
        .disable_bookmarks();
    let mut events = watcher(api.clone(), config).boxed();
    loop {
        if let watcher::Event::InitDone = events.try_next().await.unwrap().unwrap() {
            break;
        }
    }
    for name in ["noise-1", "noise-2"] {
        api.create(&PostParams::default(), &busybox(name, json!({}), &["main"]))
            .await
            .unwrap();
        wait_phase(&api, name, "Succeeded").await;
    }
    let mut gone = false;
    let relisted = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(event) = events.next().await {
            match event {
                Err(watcher::Error::WatchError(status)) if status.code == 410 => gone = true,
                Ok(watcher::Event::InitApply(pod)) => {
                    assert_eq!(pod.metadata.name.as_deref(), Some("quiet"));
                    return;
                }
                Ok(_) => {}
                Err(other) => panic!("unexpected watcher error {other}"),
            }
        }
    })
    .await;
    assert!(relisted.is_ok(), "the watcher never relisted");
    assert!(gone, "the relist should follow a 410 from the API server");
}
