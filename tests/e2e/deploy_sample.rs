//! The canary's sample test as it works on a real cluster, from an operator's machine:
//! through the Kubernetes API server's service proxy to the new revision's private Service
//! (default), or through the ingress gateway with the `Host` of the revision's `latest` tag
//! (`deployment.ingress_url`, which makes the deploy ask KServe for tag routing); skipped, and
//! said, without a sample input (as in Kfops).

use std::sync::{Arc, Mutex};

use kfops_console::backends::kserve::{self, ServiceState};
use kfops_console::chatops::DeployTarget;
use kfops_console::config::Config;
use kfops_console::domain::LABEL_STAGING;
use kfops_console::engine::deploy::deploy;
use kfops_console::engine::{ActionEvent, Backends};
use kfops_sim::faults::{Fault, SimService};
use kfops_sim::{RecordedRequest, Simulator};

use crate::build_flow::setup;
use crate::faults::rule;
use crate::support::deploy::{fast, has_label, request, success_comments};

const NS: &str = "staging";

async fn state(b: &Backends, cfg: &Config) -> ServiceState {
    let obj = kserve::get(&b.cluster, NS, &cfg.deployment.inference_service_name)
        .await
        .unwrap()
        .expect("the InferenceService exists");
    ServiceState::of(&obj)
}

/// Deploys #41 to staging, collecting the step texts.
async fn deploy_41(b: &Backends, cfg: &Config) -> (Result<String, String>, Vec<String>) {
    let steps = Arc::new(Mutex::new(Vec::new()));
    let sink = steps.clone();
    let emit = move |ev: ActionEvent| {
        if let ActionEvent::Step { step, .. } = ev {
            sink.lock().unwrap().push(step.to_string());
        }
    };
    let out = deploy(
        b,
        cfg,
        41,
        &request(DeployTarget::Staging, None, false),
        &emit,
    )
    .await
    .map(|o| o.run_id)
    .map_err(|e| format!("{}: {}", e.step, e.message));
    let steps = steps.lock().unwrap().clone();
    (out, steps)
}

/// The recorded prediction requests (anything reaching a model's protocol path).
fn predictions(sim: &Simulator) -> Vec<RecordedRequest> {
    sim.requests()
        .into_iter()
        .filter(|r| r.path.contains("/models/"))
        .collect()
}

fn last_comment(sim: &Simulator) -> String {
    sim.github().comments(41).last().unwrap().body.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_canary_sample_goes_through_the_api_servers_service_proxy_to_the_new_revision() {
    let (sim, cfg, b) = setup(fast()).await;
    let before = state(&b, &cfg).await;
    let (out, steps) = deploy_41(&b, &cfg).await;
    out.unwrap();
    let after = state(&b, &cfg).await;
    let new = after.latest_ready.clone().unwrap();
    assert_ne!(Some(&new), before.latest_ready.as_ref());

    let sent = predictions(&sim);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].method.as_str(), "POST");
    assert_eq!(
        sent[0].path,
        format!(
            "/api/v1/namespaces/{NS}/services/{new}-private:http/proxy/v2/models/churn-model/infer"
        )
    );
    assert_eq!(sent[0].status.as_u16(), 200);
    let counts = sim.kserve().sample_requests(NS, "churn-model");
    assert_eq!(counts.get(&new), Some(&1), "{counts:?}");
    // No tag routing asked for: KServe tags no `latest` target.
    assert!(after.traffic.iter().all(|t| t.2.is_none()), "{after:?}");
    assert!(
        steps
            .iter()
            .any(|s| s.contains(&new) && s.contains("service proxy")),
        "{steps:?}"
    );
    let comment = last_comment(&sim);
    assert!(
        comment.contains("HTTP 200 from revision") && comment.contains("service proxy"),
        "{comment}"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_sample_input_the_deploy_skips_the_test_and_says_so() {
    let (sim, mut cfg, b) = setup(fast()).await;
    cfg.deployment.sample_input_path = String::new();
    let (out, steps) = deploy_41(&b, &cfg).await;
    out.unwrap();
    assert!(predictions(&sim).is_empty(), "{:?}", predictions(&sim));
    assert!(
        steps
            .iter()
            .any(|s| s
                .starts_with("sample test skipped (no deployment.sample_input_path configured)")),
        "{steps:?}"
    );
    assert!(
        last_comment(&sim).contains("No sample test"),
        "{}",
        last_comment(&sim)
    );
    let after = state(&b, &cfg).await;
    assert!(
        after
            .traffic
            .iter()
            .any(|t| t.1 == 100 && Some(&t.0) == after.latest_ready.as_ref()),
        "{after:?}"
    );
    assert!(has_label(&sim, 41, LABEL_STAGING));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingress_mode_asks_for_tag_routing_and_sends_the_latest_tags_host() {
    let (sim, mut cfg, b) = setup(fast()).await;
    cfg.deployment.ingress_url = Some(sim.ingress_url());
    let before = state(&b, &cfg).await;
    let (out, steps) = deploy_41(&b, &cfg).await;
    out.unwrap();
    let obj = kserve::get(&b.cluster, NS, "churn-model")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        obj.metadata.annotations.unwrap()["serving.kserve.io/enable-tag-routing"],
        "true"
    );
    let sent = predictions(&sim);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].path, "/ingress/v2/models/churn-model/infer");
    assert_eq!(sent[0].status.as_u16(), 200);
    // The gateway routes by Host: only `latest-churn-model-predictor.staging.example.com`
    // reaches the new revision while it has 0 % of the traffic.
    let after = state(&b, &cfg).await;
    let counts = sim.kserve().sample_requests(NS, "churn-model");
    assert_eq!(
        counts.get(after.latest_ready.as_ref().unwrap()),
        Some(&1),
        "{counts:?}"
    );
    assert_eq!(
        counts.get(before.latest_ready.as_ref().unwrap()),
        None,
        "{counts:?}"
    );
    assert!(
        steps
            .iter()
            .any(|s| s.contains("as latest-churn-model-predictor.staging.example.com")),
        "{steps:?}"
    );
    sim.shutdown().await;
}

/// The service proxy answers the sample request with `status` (and `message`): the deploy
/// stops at the sample test with an error holding `expected`, and nothing moves.
async fn proxy_refused(status: u16, message: Option<&str>, expected: &str) {
    let (sim, cfg, b) = setup(fast()).await;
    sim.faults()
        .add(rule(
            SimService::Kserve,
            Some("POST"),
            Some("/api/v1/namespaces/staging/services/**"),
            None,
            Fault::Status {
                status,
                message: message.map(str::to_owned),
            },
        ))
        .unwrap();
    let before = state(&b, &cfg).await;
    let (out, _) = deploy_41(&b, &cfg).await;
    let err = out.unwrap_err();
    assert!(
        err.starts_with("test the new revision with the sample input: "),
        "{err}"
    );
    assert!(
        err.contains(&format!("HTTP {status}")) && err.contains(expected),
        "{err}"
    );
    let after = state(&b, &cfg).await;
    let serving: Vec<_> = after.traffic.iter().filter(|t| t.1 > 0).collect();
    assert_eq!(serving.len(), 1, "{after:?}");
    assert_eq!(Some(&serving[0].0), before.latest_ready.as_ref());
    assert!(has_label(&sim, 44, LABEL_STAGING), "label not moved");
    assert_eq!(success_comments(&sim, 41), 0);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_proxy_refusal_names_the_permission_and_moves_nothing() {
    proxy_refused(403, None, "`create` on `services/proxy` in staging").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revision_without_endpoints_is_explained_and_moves_nothing() {
    let message = "no endpoints available for service \"churn-model-predictor-00006-private\"";
    proxy_refused(503, Some(message), "`minReplicas: 0`").await;
}
