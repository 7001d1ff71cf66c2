//! The sample test of a canary deploy: the repository's sample input sent to the *new*
//! revision while it has 0 % of the traffic; HTTP 200 or the deploy stops there. Optional, as
//! in Kfops (`pre_deployment_test_sample_input_path`, bartgras/kfops
//! `package/kfops/kserve_deployer.py`): without `deployment.sample_input_path` the test is
//! skipped and the step and the deploy comment say so.
//!
//! Kfops ran in the cluster and called `http://{revision}-private.{ns}.svc.cluster.local`. The
//! console runs on an operator's machine, so the request takes one of two ways a real cluster
//! allows:
//!
//! - **service proxy** (default): through the Kubernetes API server, with the kubeconfig's
//!   credentials, to the revision's private Service that Knative creates for every revision
//!   (`{revision}-private`, port `http`: knative/serving
//!   `pkg/reconciler/serverlessservice/resources/services.go`), at
//!   `/api/v1/namespaces/{ns}/services/{revision}-private:http/proxy/v1/models/{name}:predict`
//!   (Kubernetes docs, "Manually constructing apiserver proxy URLs",
//!   kubernetes.io/docs/tasks/access-application-cluster/access-cluster-services/). Needs
//!   `create` on `services/proxy` in the target namespace.
//! - **ingress** (`deployment.ingress_url` set): to the cluster's ingress gateway with the
//!   `Host` of the revision's tagged URL, as KServe's canary docs do (`curl -H "Host:
//!   latest-...-predictor...." http://$INGRESS_HOST:$INGRESS_PORT/v1/models/...`,
//!   kserve.github.io/website/docs/model-serving/predictive-inference/rollout-strategies/canary-example).
//!   KServe gives the `latest` traffic target a tag and URL only when the InferenceService
//!   carries `serving.kserve.io/enable-tag-routing: "true"` (kserve/kserve
//!   `pkg/controller/v1beta1/inferenceservice/reconcilers/knative/ksvc_reconciler.go`), so
//!   [`prepare`] sets it in this mode.

use std::time::Duration;

use kube::api::DynamicObject;
use serde_json::Value;

use super::events::ActionError;
use super::step::Step;
use super::Backends;
use crate::backends::kserve::ServiceState;
use crate::config::Config;

/// KServe's annotation that tags the latest revision's traffic target (and gives it a URL).
pub const TAG_ROUTING: &str = "serving.kserve.io/enable-tag-routing";

/// The port of a revision's private Service that reaches its queue-proxy over HTTP/1.
const PRIVATE_PORT: &str = "http";

/// How long the sample request may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The step every failure of the test is reported under.
pub const STEP: &str = "test the new revision with the sample input";

/// How the sample test went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SampleTest {
    /// No sample input configured.
    Skipped,
    /// HTTP 200 from `revision`, reached `via` (a phrase: "through the API server's service
    /// proxy").
    Passed { revision: String, via: String },
}

impl SampleTest {
    /// The sentence the deploy comment carries.
    pub fn comment(&self, path: &str) -> String {
        match self {
            SampleTest::Skipped => {
                " No sample test: no <code>deployment.sample_input_path</code> is configured.".into()
            }
            SampleTest::Passed { revision, via } => format!(
                " The sample input <code>{path}</code> got HTTP 200 from revision <code>{revision}</code> ({via}) before it took the traffic."
            ),
        }
    }
}

/// What the InferenceService needs for the sample test: in ingress mode, KServe's tag routing
/// (the `latest` tag's host is where the request goes).
pub fn prepare(cfg: &Config, desired: &mut DynamicObject) {
    if cfg.deployment.ingress_url.is_some() && !cfg.deployment.sample_input_path.is_empty() {
        desired
            .metadata
            .annotations
            .get_or_insert_with(Default::default)
            .insert(TAG_ROUTING.into(), "true".into());
    }
}

/// Sends the repository's sample input (at `head_sha`) to the new revision of `ready` (the
/// InferenceService once the revision is Ready at 0 %).
pub async fn run(
    b: &Backends,
    cfg: &Config,
    head_sha: &str,
    ready: &DynamicObject,
    step: &(dyn Fn(Step) + Sync),
) -> Result<SampleTest, ActionError> {
    let path = &cfg.deployment.sample_input_path;
    if path.is_empty() {
        return Ok(SampleTest::Skipped);
    }
    let body = b
        .github
        .file_at(path, head_sha)
        .await
        .map_err(ActionError::backend(STEP))?;
    let name = &cfg.deployment.inference_service_name;
    let state = ServiceState::of(ready);
    let revision = state
        .latest_ready
        .ok_or_else(|| ActionError::new(STEP, "KServe reports no ready revision"))?;
    let model_path = predict_path(name, &body);
    let (answer, via) = match &cfg.deployment.ingress_url {
        None => {
            let via = "through the API server's service proxy".to_owned();
            step(Step::SendSample {
                path: path.clone(),
                revision: revision.clone(),
                via: via.clone(),
            });
            let answer =
                through_service_proxy(b, &state.namespace, &revision, &model_path, body).await?;
            (answer, via)
        }
        Some(ingress) => {
            let host = tagged_host(ready)?;
            let via = format!("through the ingress {ingress} as {host}");
            step(Step::SendSample {
                path: path.clone(),
                revision: revision.clone(),
                via: via.clone(),
            });
            let answer = through_ingress(ingress, &host, &model_path, body).await?;
            (answer, via)
        }
    };
    if answer.status != 200 {
        let text: String = answer.text.chars().take(200).collect();
        let hint = match (answer.status, cfg.deployment.ingress_url.is_some()) {
            (403, false) => format!(
                " (the sample test goes through the API server's service proxy: your kube user needs `create` on `services/proxy` in {}, or set deployment.ingress_url)",
                state.namespace
            ),
            // KServe's default minReplicas is 1 (kserve/kserve `SetAutoScalingAnnotations`,
            // `DefaultMinReplicas`); with 0, Knative scales a revision without traffic to zero.
            (503, false) if text.contains("no endpoints") => {
                " (no ready pod behind the revision's private service: with `minReplicas: 0` a revision without traffic scales to zero; set minReplicas to 1 or more in the template, or use deployment.ingress_url, whose tagged route wakes it)".into()
            }
            _ => String::new(),
        };
        return Err(ActionError::new(
            STEP,
            format!(
                "revision {revision} answered HTTP {} {via}: {}{hint}; traffic stays on the previous revision",
                answer.status,
                text.trim()
            ),
        ));
    }
    Ok(SampleTest::Passed { revision, via })
}

/// An HTTP answer: status and (lossy) text.
struct Answer {
    status: u16,
    text: String,
}

/// `POST /api/v1/namespaces/{ns}/services/{revision}-private:http/proxy{model_path}` with the
/// kube client (its credentials, its server).
async fn through_service_proxy(
    b: &Backends,
    namespace: &str,
    revision: &str,
    model_path: &str,
    body: Vec<u8>,
) -> Result<Answer, ActionError> {
    let uri = format!(
        "/api/v1/namespaces/{namespace}/services/{revision}-private:{PRIVATE_PORT}/proxy{model_path}"
    );
    let request = http::Request::builder()
        .method(http::Method::POST)
        .uri(&uri)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(kube::client::Body::from(body))
        .map_err(|e| ActionError::new(STEP, format!("{uri}: {e}")))?;
    let failed = |e: kube::Error| {
        ActionError::new(
            STEP,
            format!("{uri}: {e}; check the kube context and that the cluster is reachable"),
        )
    };
    let exchange = async {
        let response = b.cluster.client().send(request).await.map_err(failed)?;
        let status = response.status().as_u16();
        let bytes = response.into_body().collect_bytes().await.map_err(failed)?;
        Ok(Answer {
            status,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        })
    };
    tokio::time::timeout(TIMEOUT, exchange)
        .await
        .map_err(|_| timed_out(&uri))?
}

/// `POST {ingress}{model_path}` with `Host: {host}`.
async fn through_ingress(
    ingress: &str,
    host: &str,
    model_path: &str,
    body: Vec<u8>,
) -> Result<Answer, ActionError> {
    let url = format!("{}{model_path}", ingress.trim_end_matches('/'));
    let response = reqwest::Client::new()
        .post(&url)
        .header(reqwest::header::HOST, host)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .timeout(TIMEOUT)
        .body(body)
        .send()
        .await
        .map_err(|e| {
            ActionError::new(
                STEP,
                format!("{url} (Host {host}): {e}; check deployment.ingress_url"),
            )
        })?;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    Ok(Answer { status, text })
}

fn timed_out(target: &str) -> ActionError {
    ActionError::new(
        STEP,
        format!(
            "{target} did not answer within {}s; traffic stays on the previous revision",
            TIMEOUT.as_secs()
        ),
    )
}

/// The host of the `latest` tag's URL (`latest-{name}-predictor.{ns}.{domain}`).
fn tagged_host(ready: &DynamicObject) -> Result<String, ActionError> {
    let url = ServiceState::tagged_url(ready, "latest").ok_or_else(|| {
        ActionError::new(
            STEP,
            format!("KServe reports no URL for the `latest` traffic tag (it needs the annotation {TAG_ROUTING}: \"true\", which Kfops sets with deployment.ingress_url; check that the template does not override it)"),
        )
    })?;
    host_of(&url).ok_or_else(|| ActionError::new(STEP, format!("`{url}` has no host")))
}

/// `http://host[:port]/path` → `host[:port]`.
fn host_of(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty()).then(|| host.to_owned())
}

/// The prediction path of a model: V2 (`/v2/models/{name}/infer`) when the sample input is a
/// V2 request (`inputs`), else V1 (`/v1/models/{name}:predict`).
pub fn predict_path(name: &str, sample: &[u8]) -> String {
    let v2 = serde_json::from_slice::<Value>(sample).is_ok_and(|v| v.get("inputs").is_some());
    if v2 {
        format!("/v2/models/{name}/infer")
    } else {
        format!("/v1/models/{name}:predict")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prediction_paths() {
        assert_eq!(
            predict_path("m", br#"{"instances":[[1]]}"#),
            "/v1/models/m:predict"
        );
        assert_eq!(predict_path("m", br#"{"inputs":[]}"#), "/v2/models/m/infer");
    }

    #[test]
    fn hosts_of_tagged_urls() {
        assert_eq!(
            host_of("http://latest-m-predictor.staging.example.com").as_deref(),
            Some("latest-m-predictor.staging.example.com")
        );
        assert_eq!(host_of("https://h:8443/x?y").as_deref(), Some("h:8443"));
        assert_eq!(host_of("http:///x"), None);
    }

    #[test]
    fn ingress_mode_asks_kserve_for_tag_routing() {
        let mut cfg = Config::for_repository("acme", "m");
        let mut obj = DynamicObject::new("m", &crate::backends::kserve::resource());
        cfg.deployment.sample_input_path = "sample.json".into();
        prepare(&cfg, &mut obj);
        assert!(obj.metadata.annotations.is_none(), "service proxy: no tag");
        cfg.deployment.ingress_url = Some("http://gateway".into());
        prepare(&cfg, &mut obj);
        assert_eq!(obj.metadata.annotations.unwrap()[TAG_ROUTING], "true");
    }
}
