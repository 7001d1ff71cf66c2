//! Each client against each kind of garbage: a `BackendError` naming the service and the
//! operation, with a bounded one-line message — never a panic, never a hang.

use std::future::Future;
use std::time::Duration;

use futures::StreamExt;
use kfops_console::backends::cluster::{Cluster, PodEvent};
use kfops_console::backends::error::Service;
use kfops_console::backends::github::GitHub;
use kfops_console::backends::kfp::{Kfp, KfpEndpoint, RunQuery};
use kfops_console::backends::kserve;
use kfops_console::backends::BackendError;
use kfops_console::config::ClusterConfig;

use super::server::{Hostile, Payload};

/// A message must fit in a status bar line or two, whatever the server sent.
pub const MAX_MESSAGE: usize = 600;

/// Runs `call` (bounded in time) and checks its error: the service, the operation named in
/// `what`, a message of one bounded line. `tolerated`: the call may also succeed (a shape the
/// client accepts as empty).
pub async fn expect_error<T: std::fmt::Debug>(
    case: &str,
    service: Service,
    what: &str,
    tolerated: bool,
    call: impl Future<Output = Result<T, BackendError>>,
) -> Option<BackendError> {
    let result = tokio::time::timeout(Duration::from_secs(20), call)
        .await
        .unwrap_or_else(|_| panic!("{case}: {what}: no answer within 20 s (hang)"));
    let e = match result {
        Ok(v) => {
            assert!(tolerated, "{case}: {what}: accepted garbage as {v:?}");
            return None;
        }
        Err(e) => e,
    };
    let shown = e.to_string();
    assert_eq!(e.service, service, "{case}: {shown}");
    assert!(e.what.contains(what), "{case}: want `{what}` in {shown}");
    assert!(
        shown.starts_with(&format!("{service}: ")),
        "{case}: {shown}"
    );
    assert!(
        !e.message.trim().is_empty() && e.message.len() <= MAX_MESSAGE,
        "{case}: message of {} bytes: {shown:.2000}",
        e.message.len()
    );
    assert!(
        !shown.contains('\n'),
        "{case}: several lines: {shown:.2000}"
    );
    Some(e)
}

#[tokio::test]
async fn github_client_reports_garbage_as_a_github_error() {
    for payload in Payload::ALL {
        let server = Hostile::always(payload).await;
        let case = format!("{payload:?}");
        let gh = GitHub::new(&server.url, None, "acme", "model").unwrap();
        let g = Service::GitHub;
        expect_error(
            &case,
            g,
            "list pull requests",
            false,
            gh.open_pull_requests(),
        )
        .await;
        expect_error(&case, g, "get PR #7", false, gh.pull_request(7)).await;
        expect_error(&case, g, "list comments of #7", false, gh.comment_bodies(7)).await;
        expect_error(
            &case,
            g,
            "read Dockerfile at main",
            false,
            gh.file_at("Dockerfile", "main"),
        )
        .await;
        expect_error(
            &case,
            g,
            "comment on #7",
            false,
            gh.post_comment(7, "hello"),
        )
        .await;
        expect_error(&case, g, "get PR #7", false, gh.deploy_check(7)).await;
        expect_error(
            &case,
            g,
            "list issues labelled kfops-deployed",
            true,
            gh.numbers_with_label("kfops-deployed"),
        )
        .await;
    }
}

#[tokio::test]
async fn kfp_client_reports_garbage_as_a_kfp_error() {
    for payload in Payload::ALL {
        let server = Hostile::always(payload).await;
        let case = format!("{payload:?}");
        let kfp = Kfp::new(KfpEndpoint::Direct {
            url: server.url.clone(),
            token: None,
        })
        .unwrap();
        let k = Service::Kfp;
        // An object without the list's field is an empty list: KFP omits empty fields.
        let empty_ok = payload == Payload::MissingFields;
        expect_error(
            &case,
            k,
            "find pipeline `churn`",
            empty_ok,
            kfp.find_pipeline("churn"),
        )
        .await;
        expect_error(
            &case,
            k,
            "list versions of pipeline p1",
            empty_ok,
            kfp.list_versions("p1"),
        )
        .await;
        expect_error(
            &case,
            k,
            "find experiment `e`",
            empty_ok,
            kfp.find_experiment("e", None),
        )
        .await;
        expect_error(
            &case,
            k,
            "list runs",
            empty_ok,
            kfp.list_runs(&RunQuery::default()),
        )
        .await;
        // A single object without its ID is never a valid answer.
        expect_error(&case, k, "get run r1", false, kfp.get_run("r1")).await;
        expect_error(
            &case,
            k,
            "get version v1 of pipeline p1",
            false,
            kfp.get_version("p1", "v1"),
        )
        .await;
        expect_error(
            &case,
            k,
            "upload pipeline `churn`",
            false,
            kfp.upload_pipeline("churn", "", b"x: 1\n".to_vec()),
        )
        .await;
        expect_error(
            &case,
            k,
            "upload version `v2` of pipeline p1",
            false,
            kfp.upload_pipeline_version("p1", "v2", b"x: 1\n".to_vec()),
        )
        .await;
        expect_error(
            &case,
            k,
            "create experiment",
            false,
            kfp.create_experiment("e", None),
        )
        .await;
    }
}

/// A cluster client for a server URL (no credentials), as `[cluster] server` makes one.
pub async fn cluster_at(url: &str) -> Cluster {
    Cluster::connect(&ClusterConfig {
        server: Some(url.to_owned()),
        ..ClusterConfig::default()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn kube_client_reports_garbage_as_a_kubernetes_error() {
    for payload in Payload::ALL {
        let server = Hostile::always(payload).await;
        let case = format!("{payload:?}");
        let cluster = cluster_at(&server.url).await;
        let k = Service::Kubernetes;
        expect_error(
            &case,
            k,
            "list pods app=kfops",
            false,
            cluster.list_pods("app=kfops"),
        )
        .await;
        expect_error(
            &case,
            k,
            "get pod build-1",
            false,
            cluster.get_pod("build-1"),
        )
        .await;
        expect_error(
            &case,
            k,
            "get InferenceService prod/churn",
            false,
            kserve::get(&cluster, "prod", "churn"),
        )
        .await;
        // A watch reports its failures as items and goes on retrying.
        let first = async {
            let mut watch = std::pin::pin!(cluster.watch_pods("app=kfops"));
            loop {
                match watch.next().await {
                    Some(Err(e)) => return Err(e),
                    Some(Ok(PodEvent::Resync | PodEvent::Synced)) => {}
                    other => panic!("{case}: the watch yielded {other:?}"),
                }
            }
        };
        expect_error::<()>(&case, k, "watch pods app=kfops", false, first).await;
    }
}

/// The KFP lists follow `next_page_token` to the last page (runs: until the limit), and a
/// server that hands out the same token again is an error, not an endless loop.
#[tokio::test]
async fn kfp_lists_follow_page_tokens_and_refuse_a_token_given_twice() {
    use axum::http::Response;
    fn json(body: serde_json::Value) -> Response<axum::body::Body> {
        Response::builder()
            .header("content-type", "application/json")
            .body(body.to_string().into())
            .unwrap()
    }
    let kfp_at = |url: &str| {
        Kfp::new(KfpEndpoint::Direct {
            url: url.to_owned(),
            token: None,
        })
        .unwrap()
    };
    // Three pages: tokens "" -> "b" -> "c" -> end.
    let server = Hostile::start(std::sync::Arc::new(|_, target: &str| {
        let page = if target.contains("page_token=c") {
            3
        } else if target.contains("page_token=b") {
            2
        } else {
            1
        };
        let next = match page {
            1 => "b",
            2 => "c",
            _ => "",
        };
        let created = format!("2026-11-2{page}T10:00:00Z");
        json(serde_json::json!({
            "pipeline_versions": [{ "pipeline_version_id": format!("v{page}"), "created_at": created }],
            "runs": [{ "run_id": format!("r{page}"), "created_at": created }],
            "next_page_token": next,
        }))
    }))
    .await;
    let kfp = kfp_at(&server.url);
    let versions = kfp.list_versions("p1").await.unwrap();
    let ids: Vec<_> = versions
        .iter()
        .map(|v| v.pipeline_version_id.as_str())
        .collect();
    assert_eq!(ids, ["v3", "v2", "v1"], "all pages, newest first");
    let runs = kfp.list_runs(&RunQuery::default()).await.unwrap();
    let ids: Vec<_> = runs.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(ids, ["r3", "r2", "r1"]);
    let two = RunQuery {
        limit: 2,
        ..RunQuery::default()
    };
    let runs = kfp.list_runs(&two).await.unwrap();
    let ids: Vec<_> = runs.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(
        ids,
        ["r2", "r1"],
        "stops at the limit: the third page is not read"
    );

    // Always the same token: refused after the second page.
    let server = Hostile::start(std::sync::Arc::new(|_, _: &str| {
        json(serde_json::json!({ "pipeline_versions": [], "runs": [], "next_page_token": "again" }))
    }))
    .await;
    let kfp = kfp_at(&server.url);
    for err in [
        kfp.list_versions("p1").await.unwrap_err(),
        kfp.list_runs(&RunQuery::default()).await.unwrap_err(),
    ] {
        assert_eq!(err.service, Service::Kfp);
        assert!(err.to_string().contains("same page token twice"), "{err}");
    }
}
