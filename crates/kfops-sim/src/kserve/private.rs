//! The Kubernetes API server's service proxy to a Knative revision's *private* service: how
//! an operator's machine reaches one revision of a predictor (the new one of a canary at 0 %)
//! with nothing but its kubeconfig credentials.
//!
//! - Knative's serverless-service reconciler gives every revision a Service
//!   `{revision}-private` selecting the revision's pods, port `http` (80) to the queue-proxy
//!   (8012), and `https`, `http-autometric` (9090), `http-usermetric` (9091), `http-istio`
//!   (8012) (knative/serving `pkg/reconciler/serverlessservice/resources/services.go`,
//!   `MakePrivateService`; the name from `names.PrivateService`). Kfops called it from inside
//!   the cluster as `http://{revision}-private.{ns}.svc.cluster.local` (bartgras/kfops
//!   `package/kfops/kserve_deployer.py`).
//! - The API server proxies `/api/v1/namespaces/{ns}/services/[scheme:]{name}[:port]/proxy/{path}`
//!   to one of the Service's endpoints (Kubernetes docs, "Manually constructing apiserver
//!   proxy URLs", kubernetes.io/docs/tasks/access-application-cluster/access-cluster-services/);
//!   with no ready endpoint it answers 503 `no endpoints available for service`.
//!
//! The service-proxy route belongs to the KFP simulator (`ml-pipeline`); this middleware
//! answers first for the `-private` services of known revisions and lets every other request
//! through.

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::predictor;
use super::rollout::RevisionState;
use super::KserveHandle;
use crate::kube::KubeError;

/// Ports of a private service that reach the queue-proxy's HTTP port (none: the first, `http`).
const HTTP_PORTS: &[&str] = &["", "http", "80", "http-istio", "8012"];
/// Its other ports (TLS and metrics), which do not answer the inference protocol here.
const OTHER_PORTS: &[&str] = &[
    "https",
    "443",
    "http-autometric",
    "9090",
    "http-usermetric",
    "9091",
];

/// A proxied request for a private service: namespace, service, port, scheme, path after
/// `/proxy`.
struct Target<'a> {
    namespace: &'a str,
    service: &'a str,
    port: &'a str,
    scheme: &'a str,
    rest: &'a str,
}

fn target(path: &str) -> Option<Target<'_>> {
    // ["", "api", "v1", "namespaces", ns, "services", service, "proxy", rest]
    let segments: Vec<&str> = path.splitn(9, '/').collect();
    let ["", "api", "v1", "namespaces", namespace, "services", service, "proxy", rest @ ..] =
        segments.as_slice()
    else {
        return None;
    };
    let pieces: Vec<&str> = service.split(':').collect();
    let (scheme, name, port) = match pieces.as_slice() {
        [name] => ("", *name, ""),
        [name, port] => ("", *name, *port),
        [scheme, name, port] => (*scheme, *name, *port),
        _ => return None,
    };
    name.ends_with("-private").then(|| Target {
        namespace,
        service: name,
        port,
        scheme,
        rest: rest.first().copied().unwrap_or_default(),
    })
}

/// The InferenceService a revision `{isvc}-predictor-{NNNNN}` belongs to, if it exists.
fn owner(
    kserve: &KserveHandle,
    namespace: &str,
    revision: &str,
) -> Option<(String, RevisionState)> {
    let (isvc, number) = revision.rsplit_once("-predictor-")?;
    if number.len() != 5 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    kserve.read(|s| {
        let entry = s.entry(namespace, isvc)?;
        let found = entry.rollout.revision(revision)?;
        Some((isvc.to_owned(), found.state))
    })
}

fn unavailable(message: String) -> Response {
    KubeError::service_unavailable(message).into_response()
}

/// Middleware: answers service-proxy requests to the private service of a known revision;
/// passes everything else on.
pub async fn intercept(State(kserve): State<KserveHandle>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let Some(t) = target(&path) else {
        return next.run(req).await;
    };
    let Some(revision) = t.service.strip_suffix("-private") else {
        return next.run(req).await;
    };
    let Some((isvc, state)) = owner(&kserve, t.namespace, revision) else {
        return next.run(req).await;
    };
    let service = t.service;
    if OTHER_PORTS.contains(&t.port) || (!t.scheme.is_empty() && t.scheme != "http") {
        return unavailable(format!(
            "error trying to reach service: {service}:{} does not speak the inference protocol over {}",
            t.port,
            if t.scheme.is_empty() { "http" } else { t.scheme }
        ));
    }
    if !HTTP_PORTS.contains(&t.port) {
        return unavailable(format!(
            "no service port \"{}\" found for service \"{service}\"",
            t.port
        ));
    }
    if state != RevisionState::Ready {
        return unavailable(format!("no endpoints available for service \"{service}\""));
    }
    let method: Method = req.method().clone();
    let parts: Vec<&str> = t.rest.split('/').filter(|p| !p.is_empty()).collect();
    let body = match axum::body::to_bytes(req.into_body(), 32 * 1024 * 1024).await {
        Ok(body) => body,
        Err(e) => {
            return (StatusCode::BAD_REQUEST, format!("reading the body: {e}\n")).into_response()
        }
    };
    predictor::answer(
        &kserve,
        t.namespace,
        &isvc,
        Some(revision),
        &method,
        &parts,
        &body,
    )
}
