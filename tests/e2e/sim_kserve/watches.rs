//! Watches of InferenceServices (ADDED, MODIFIED as the rollout proceeds, DELETED, resume,
//! 410 Expired, BOOKMARK) and `kubectl get isvc` printing the CRD's columns.

use std::path::PathBuf;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use kube::api::{DeleteParams, ListParams, PostParams, WatchEvent, WatchParams};
use kube::core::DynamicObject;

use super::{isvc, isvcs, ready, scenario, start, NS};

type Event = WatchEvent<DynamicObject>;

fn describe(event: &Event) -> (String, String, String) {
    let (kind, obj) = match event {
        WatchEvent::Added(o) => ("ADDED", o),
        WatchEvent::Modified(o) => ("MODIFIED", o),
        WatchEvent::Deleted(o) => ("DELETED", o),
        WatchEvent::Bookmark(_) => return ("BOOKMARK".into(), String::new(), String::new()),
        WatchEvent::Error(e) => return ("ERROR".into(), e.code.to_string(), e.reason.clone()),
    };
    (
        kind.to_owned(),
        obj.metadata.name.clone().unwrap_or_default(),
        ready(obj),
    )
}

#[tokio::test]
async fn watches_follow_the_rollout_resume_and_expire() {
    let (_sim, client) = start(scenario(|_| {})).await;
    let api = isvcs(&client, NS);
    let rv = api
        .list(&ListParams::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();

    // From "0": the existing service first; from the list's resourceVersion: changes only.
    let mut from_zero = api
        .watch(&WatchParams::default().timeout(5), "0")
        .await
        .unwrap()
        .boxed();
    let first = from_zero.try_next().await.unwrap().unwrap();
    assert_eq!(
        describe(&first),
        ("ADDED".into(), "churn-model".into(), "True".into())
    );
    let mut stream = api
        .watch(&WatchParams::default().timeout(5), &rv)
        .await
        .unwrap()
        .boxed();
    api.create(&PostParams::default(), &isvc("watched", "r1"))
        .await
        .unwrap();
    let mut seen = Vec::new();
    while let Some(event) = stream.try_next().await.unwrap() {
        let event = describe(&event);
        if event.0 == "BOOKMARK" {
            continue;
        }
        let done = event.2 == "True";
        seen.push(event);
        if done {
            break;
        }
    }
    assert_eq!(
        seen,
        [
            ("ADDED".into(), "watched".into(), "Unknown".into()),
            ("MODIFIED".into(), "watched".into(), "True".into()),
        ]
    );
    api.delete("watched", &DeleteParams::default())
        .await
        .unwrap();
    let deleted = loop {
        let event = describe(&stream.try_next().await.unwrap().unwrap());
        if event.0 != "BOOKMARK" {
            break event;
        }
    };
    assert_eq!(deleted.0, "DELETED");

    // Bookmarks arrive while nothing changes (every 50 ms here).
    let bookmark = tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            match stream.next().await {
                Some(Ok(WatchEvent::Bookmark(_))) => return true,
                Some(_) => {}
                None => return false,
            }
        }
    })
    .await
    .unwrap();
    assert!(bookmark);
}

#[tokio::test]
async fn a_watch_from_a_compacted_resource_version_gets_410() {
    let mut s = scenario(|_| {});
    s.kube.watch_window = 2;
    let (_sim, client) = start(s).await;
    let api = isvcs(&client, NS);
    for name in ["a1", "a2", "a3"] {
        api.create(&PostParams::default(), &isvc(name, "r1"))
            .await
            .unwrap();
    }
    let mut stream = api
        .watch(&WatchParams::default(), "1")
        .await
        .unwrap()
        .boxed();
    let event = describe(&stream.try_next().await.unwrap().unwrap());
    assert_eq!(
        (event.0.as_str(), event.1.as_str(), event.2.as_str()),
        ("ERROR", "410", "Expired")
    );
}

fn kubectl() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("kubectl"))
            .find(|candidate| candidate.is_file())
    });
    match found {
        Some(bin) => Some(bin),
        None if std::env::var_os("CI").is_some() => panic!("kubectl is not on PATH, and CI is set"),
        None => {
            eprintln!("SKIPPED kubectl get isvc: kubectl is not on PATH (required when CI is set)");
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_gets_inference_services_with_the_crd_columns() {
    let Some(bin) = kubectl() else { return };
    let (sim, _client) = start(scenario(|_| {})).await;
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("kubeconfig"), "").unwrap();
    let run = |args: &[&str]| {
        let mut command = tokio::process::Command::new(&bin);
        command
            .arg(format!("--server={}", sim.kube_url()))
            .arg("--request-timeout=10s")
            .arg(format!(
                "--cache-dir={}",
                home.path().join("cache").display()
            ))
            .args(args)
            .env("KUBECONFIG", home.path().join("kubeconfig"))
            .env("HOME", home.path())
            .kill_on_drop(true);
        async move {
            let output = tokio::time::timeout(Duration::from_secs(60), command.output())
                .await
                .unwrap()
                .unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                output.status.success(),
                "kubectl failed:\n{stdout}\n{stderr}"
            );
            stdout
        }
    };
    let table = run(&["get", "isvc", "-n", NS]).await;
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        [
            "NAME",
            "URL",
            "READY",
            "PREV",
            "LATEST",
            "PREVROLLEDOUTREVISION",
            "LATESTREADYREVISION",
            "AGE"
        ],
        "{table}"
    );
    let row: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(
        &row[..5],
        [
            "churn-model",
            "http://churn-model.staging.example.com",
            "True",
            "100",
            "churn-model-predictor-00005"
        ],
        "{table}"
    );
    assert!(lines.next().is_none(), "{table}");
    let json = run(&[
        "get",
        "inferenceservices.serving.kserve.io",
        "-A",
        "-o",
        "json",
    ])
    .await;
    let list: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 2, "{json}");
}
