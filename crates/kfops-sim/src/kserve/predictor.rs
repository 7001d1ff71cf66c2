//! The predictors of the simulated InferenceServices, what a sample request reaches. Three
//! ways in, as on a real cluster:
//!
//! - `/ingress/...` with a `Host` header: the cluster's ingress gateway (Istio's, with
//!   KServe's serverless mode), routing by host as Knative's routes do: `{name}.{ns}.example.com`
//!   and `{name}-predictor.{ns}.example.com` follow the traffic split,
//!   `latest-{name}-predictor.{ns}.example.com` and `prev-...` the tagged revisions (tags as
//!   KServe sets them, [`super::rollout`]); an unknown host gets the gateway's empty 404;
//! - `/api/v1/namespaces/{ns}/services/{revision}-private[:http]/proxy/...`: the Kubernetes
//!   API server's service proxy to a revision's private service ([`super::private`]);
//! - `/kserve/{ns}/{name}/[{latest|prev|revision}/]...`: the simulator's shortcut for tests,
//!   the same routing with the host's parts in the path.
//!
//! The protocol paths: `/v1/models/{name}:predict` (V1: `{"instances": [...]}` →
//! `{"predictions": [...]}`), `GET /v1/models/{name}` (readiness); `/v2/models/{name}/infer`
//! (V2 / Open Inference Protocol: `{"inputs": [tensor]}` → `{"model_name", "outputs":
//! [tensor]}`), `GET /v2/models/{name}/ready`.
//!
//! Answers: 200 with a prediction; 500 for `fail_sample` names; 503 when the selected
//! revision is not Ready (or nothing is); 404 for unknown services, tags, models and paths.
//! Every request a revision answered is counted ([`super::KserveHandle::sample_requests`]).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::rollout::RevisionState;
use super::store::listed;
use super::KserveHandle;
use crate::github::fake_sha;

/// Where a request was routed.
struct Routed {
    revision: String,
    storage_uri: String,
    fail: bool,
}

fn error(code: StatusCode, message: impl Into<String>) -> Response {
    let body = json!({"error": message.into()});
    (
        code,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// A plain-text refusal, as the ingress or the queue proxy answers.
struct Refusal(StatusCode, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let content_type = [(header::CONTENT_TYPE, "text/plain; charset=utf-8")];
        (self.0, content_type, self.1).into_response()
    }
}

fn plain(code: StatusCode, text: String) -> Refusal {
    Refusal(code, text)
}

/// Picks the revision that answers (and counts the request), or the response refusing it.
fn route(
    kserve: &KserveHandle,
    namespace: &str,
    name: &str,
    selector: Option<&str>,
    count: bool,
) -> Result<Routed, Refusal> {
    kserve.with_state(|s| {
        let fail_list = s.fail_sample.clone();
        let entry = s.entry_mut(namespace, name).ok_or_else(|| {
            plain(
                StatusCode::NOT_FOUND,
                format!("no InferenceService {namespace}/{name}\n"),
            )
        })?;
        let traffic = &entry.rollout.traffic;
        let revision = match selector {
            None => {
                let slot = i64::try_from(entry.routed.wrapping_mul(37) % 100).unwrap_or(0);
                entry.routed += 1;
                let mut below = 0;
                traffic
                    .iter()
                    .find(|t| {
                        below += t.percent;
                        slot < below
                    })
                    .map(|t| t.revision_name.clone())
                    .ok_or_else(|| {
                        plain(
                            StatusCode::SERVICE_UNAVAILABLE,
                            format!("no Ready revision serves {namespace}/{name}\n"),
                        )
                    })?
            }
            Some(tag @ ("latest" | "prev")) => {
                match traffic.iter().find(|t| t.tag.as_deref() == Some(tag)) {
                    Some(t) => t.revision_name.clone(),
                    None if traffic.is_empty() => {
                        return Err(plain(
                            StatusCode::SERVICE_UNAVAILABLE,
                            format!("no Ready revision serves {namespace}/{name}\n"),
                        ))
                    }
                    // No such tag (`latest` needs KServe's tag-routing annotation): Knative
                    // made no route for the tagged host.
                    None => {
                        return Err(plain(
                            StatusCode::NOT_FOUND,
                            format!("{namespace}/{name} has no traffic tagged {tag}\n"),
                        ))
                    }
                }
            }
            Some(revision) => revision.to_owned(),
        };
        let found = entry.rollout.revision(&revision).ok_or_else(|| {
            plain(
                StatusCode::NOT_FOUND,
                format!("{namespace}/{name} has no revision {revision}\n"),
            )
        })?;
        if found.state != RevisionState::Ready {
            return Err(plain(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "revision \"{revision}\" is not ready ({})\n",
                    found.state.as_str()
                ),
            ));
        }
        let storage_uri = found.storage_uri.clone().unwrap_or_default();
        if count {
            *entry.samples.entry(revision.clone()).or_default() += 1;
        }
        Ok(Routed {
            fail: listed(&fail_list, namespace, name, Some(&revision)),
            revision,
            storage_uri,
        })
    })
}

/// 0 or 1 for one input row, stable for a model and row.
fn classify(model: &str, row: &Value) -> i64 {
    let digest = fake_sha(&format!("{model}|{row}"));
    i64::from(digest.as_bytes().first().copied().unwrap_or(0) % 2)
}

/// Rows of a V2 tensor: `shape[0]` rows of `data` (nested or flat).
fn tensor_rows(tensor: &Value) -> Option<Vec<Value>> {
    let data = tensor["data"].as_array()?;
    let rows = tensor["shape"][0]
        .as_u64()
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(data.len())
        .max(1);
    if data.iter().all(Value::is_array) {
        return Some(data.clone());
    }
    let width = (data.len() / rows).max(1);
    Some(
        data.chunks(width)
            .map(|c| Value::Array(c.to_vec()))
            .collect(),
    )
}

fn predict_v1(routed: &Routed, body: &[u8]) -> Response {
    let request: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let rows = request["instances"]
        .as_array()
        .or_else(|| request["inputs"].as_array());
    let Some(rows) = rows else {
        return error(
            StatusCode::BAD_REQUEST,
            "Expected \"instances\" or \"inputs\" to be a list",
        );
    };
    let predictions: Vec<i64> = rows
        .iter()
        .map(|r| classify(&routed.storage_uri, r))
        .collect();
    let body = json!({"predictions": predictions});
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn infer_v2(model: &str, routed: &Routed, body: &[u8]) -> Response {
    let request: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("Unrecognized request format: {e}"),
            )
        }
    };
    let Some(rows) = request["inputs"]
        .as_array()
        .and_then(|inputs| inputs.first())
        .and_then(tensor_rows)
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "Unrecognized request format: \"inputs\" must hold tensors with \"shape\" and \"data\"",
        );
    };
    let data: Vec<i64> = rows
        .iter()
        .map(|r| classify(&routed.storage_uri, r))
        .collect();
    let id = request["id"]
        .as_str()
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    let body = json!({
        "model_name": model,
        "model_version": null,
        "id": id,
        "parameters": null,
        "outputs": [{
            "name": "output-0",
            "shape": [data.len()],
            "datatype": "INT64",
            "parameters": null,
            "data": data,
        }],
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// The protocol call a path names.
enum Call<'a> {
    Predict(&'a str),
    Infer(&'a str),
    Ready(&'a str),
}

fn call_of<'a>(method: &Method, path: &[&'a str]) -> Option<Call<'a>> {
    match (method.as_str(), path) {
        ("POST", ["v1", "models", model]) => model.strip_suffix(":predict").map(Call::Predict),
        ("GET", ["v1", "models", model]) => Some(Call::Ready(model)),
        ("POST", ["v2", "models", model, "infer"]) => Some(Call::Infer(model)),
        ("GET", ["v2", "models", model, "ready"]) => Some(Call::Ready(model)),
        _ => None,
    }
}

/// `ANY /kserve/{namespace}/{name}/{*rest}`.
pub async fn serve(
    State(kserve): State<KserveHandle>,
    Path((namespace, name, rest)): Path<(String, String, String)>,
    method: Method,
    body: Bytes,
) -> Response {
    let mut parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    let selector = match parts.first() {
        Some(&first) if first != "v1" && first != "v2" => {
            parts.remove(0);
            Some(first)
        }
        _ => None,
    };
    answer(&kserve, &namespace, &name, selector, &method, &parts, &body)
}

/// `ANY /ingress/{*rest}`: the ingress gateway, routing by the `Host` header.
pub async fn ingress(
    State(kserve): State<KserveHandle>,
    Path(rest): Path<String>,
    headers: HeaderMap,
    method: Method,
    body: Bytes,
) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let Some((namespace, name, selector)) = host_route(&kserve, host) else {
        // Istio's gateway: no virtual service for the host, an empty 404.
        return StatusCode::NOT_FOUND.into_response();
    };
    let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    answer(&kserve, &namespace, &name, selector, &method, &parts, &body)
}

/// The InferenceService and tag a host names: `{name}.{ns}.example.com`,
/// `{name}-predictor.{ns}.example.com` or `{tag}-{name}-predictor.{ns}.example.com` (a port
/// after the host is ignored). `None` when no InferenceService answers to it.
fn host_route(kserve: &KserveHandle, host: &str) -> Option<(String, String, Option<&'static str>)> {
    let host = host.split(':').next().unwrap_or_default();
    let (first, rest) = host.split_once('.')?;
    let namespace = rest.strip_suffix(&format!(".{}", super::status::DOMAIN))?;
    let exists = |name: &str| kserve.get(namespace, name).is_some();
    let found = |name: &str, tag| Some((namespace.to_owned(), name.to_owned(), tag));
    if let Some(component) = first.strip_suffix("-predictor") {
        for tag in ["latest", "prev"] {
            if let Some(name) = component.strip_prefix(&format!("{tag}-")) {
                if exists(name) {
                    return found(name, Some(tag));
                }
            }
        }
        if exists(component) {
            return found(component, None);
        }
    }
    if exists(first) {
        return found(first, None);
    }
    None
}

/// Answers a protocol call (`parts`: the path after the host) on InferenceService `name`,
/// routed by `selector` (a tag, a revision name, or the traffic split).
pub(super) fn answer(
    kserve: &KserveHandle,
    namespace: &str,
    name: &str,
    selector: Option<&str>,
    method: &Method,
    parts: &[&str],
    body: &[u8],
) -> Response {
    let Some(call) = call_of(method, parts) else {
        return plain(StatusCode::NOT_FOUND, "404 page not found\n".to_owned()).into_response();
    };
    let model = match call {
        Call::Predict(m) | Call::Infer(m) | Call::Ready(m) => m,
    };
    if model != name {
        return error(
            StatusCode::NOT_FOUND,
            format!("Model with name {model} does not exist."),
        );
    }
    let sample = !matches!(call, Call::Ready(_));
    let routed = match route(kserve, namespace, name, selector, sample) {
        Ok(routed) => routed,
        Err(refused) => return refused.into_response(),
    };
    if let Call::Ready(_) = call {
        let body = json!({"name": model, "ready": true});
        return (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response();
    }
    if routed.fail {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "Failed to predict with {}: ValueError: X has 6 features, but \
                 GradientBoostingClassifier is expecting 7 features as input.",
                routed.revision
            ),
        );
    }
    match call {
        Call::Predict(_) => predict_v1(&routed, body),
        _ => infer_v2(model, &routed, body),
    }
}
