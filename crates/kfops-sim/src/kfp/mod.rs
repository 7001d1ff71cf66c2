//! The simulated Kubeflow Pipelines API (v2beta1: pipelines, experiments and runs), served at
//! the root (`/apis/v2beta1/...`) and through the simulated Kubernetes API server's service
//! proxy (`/api/v1/namespaces/{ns}/services/ml-pipeline:8888/proxy/apis/v2beta1/...`).
//! Runs execute their pipeline's DAG on the simulated clock, one pod per container task in
//! the simulated cluster ([`KfpHandle::connect_kube`]).
//!
//! Paths, field names and types follow KFP's Swagger descriptions
//! (`shared/specs/kfp/v2beta1/*.swagger.json`); tests validate every response body
//! against them. Errors: `googleRpcStatus` for the grpc-gateway endpoints, KFP's
//! `{"error_message","error_details"}` for the multipart uploads, Kubernetes `Status` objects
//! from the service proxy.

mod errors;
mod execution;
mod executor;
mod experiments;
mod filter;
mod history;
mod multi_user;
pub(crate) mod package;
mod paging;
mod pipeline_store;
mod pipelines;
mod plan;
mod plan_tasks;
mod runs;
mod runs_api;
mod runs_json;
mod scenario;
mod task_output;
mod task_pod;
mod tasks;
pub mod ui_forward;
mod uploads;

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::Router;
use serde_json::json;
use tower::ServiceExt as _;

pub use self::errors::{Code, RpcError, UploadError};
pub use self::execution::{RuntimeState, StateChange, StoredTask};
pub use self::experiments::{StoredExperiment, DEFAULT_EXPERIMENT};
pub use self::filter::{Filter, Op, Operand, Predicate};
pub use self::multi_user::{MultiUser, AUDIENCE as TOKEN_AUDIENCE, USERID_HEADER};
pub use self::package::{parse as parse_package, Package, PackageError};
pub use self::paging::Sort;
pub use self::pipeline_store::{KfpState, StoredPipeline, StoredVersion};
pub use self::plan::{NodeKind, Plan, PlanNode};
pub use self::runs::{RunKnobs, RunsState, StoredRun, DEFAULT_PROFILE_NAMESPACE};
pub use self::scenario::{
    ExperimentScenario, KfpScenario, PipelineScenario, RunScenario, VersionScenario,
    DEFAULT_PROXY_NAMESPACE,
};
pub use self::task_pod::{MAIN as TASK_CONTAINER, NODE_NAME_ANNOTATION, RUN_ID_LABEL};
use crate::kube::KubeHandle;
use crate::scenario::GithubScenario;

/// Largest upload KFP accepts (32 MiB).
const MAX_UPLOAD: usize = 32 * 1024 * 1024;
/// Name of the KFP API service in the cluster.
const SERVICE: &str = "ml-pipeline";
/// Ports of that service the proxy reaches KFP's HTTP API on (none given: the first port).
const HTTP_PORTS: &[&str] = &["", "8888", "http"];

/// Shared access to the simulated KFP's state, for the handlers and for tests.
///
/// The lock is a std `Mutex`, held only inside the closures given to [`read`](Self::read) and
/// [`update`](Self::update), never across an `await`.
///
/// Pipelines and runs have a lock each; no code holds both at once.
#[derive(Debug, Clone)]
pub struct KfpHandle {
    state: Arc<Mutex<KfpState>>,
    runs: Arc<Mutex<RunsState>>,
    links: Arc<Links>,
}

/// What the executors need besides the state.
#[derive(Debug)]
struct Links {
    /// The cluster task pods run in.
    kube: OnceLock<KubeHandle>,
    /// Bumped when a run is terminated or deleted, to wake its executor.
    changes: tokio::sync::watch::Sender<u64>,
}

impl KfpHandle {
    /// A handle on the state a scenario describes; packages named by `package_file` are read
    /// from the scenario's GitHub files. Runs need [`connect_kube`](Self::connect_kube).
    pub fn new(scenario: &KfpScenario, github: &GithubScenario) -> KfpHandle {
        let state = KfpState::from_scenario(scenario, github);
        let runs = RunsState::from_scenario(scenario, &state);
        KfpHandle {
            state: Arc::new(Mutex::new(state)),
            runs: Arc::new(Mutex::new(runs)),
            links: Arc::new(Links {
                kube: OnceLock::new(),
                changes: tokio::sync::watch::channel(0).0,
            }),
        }
    }

    /// Makes runs execute in `kube`: their task pods are created there and run the KFP task
    /// program (registered with `kube`). Later calls are ignored.
    pub fn connect_kube(&self, kube: &KubeHandle) {
        if self.links.kube.set(kube.clone()).is_ok() {
            kube.register_program(Arc::new(task_pod::TaskPodProgram::new(Arc::downgrade(
                &self.runs,
            ))));
        }
    }

    fn kube(&self) -> Option<KubeHandle> {
        self.links.kube.get().cloned()
    }

    fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.links.changes.subscribe()
    }

    /// Wakes the executors.
    fn poke(&self) {
        self.links.changes.send_modify(|n| *n += 1);
    }

    fn lock(&self) -> MutexGuard<'_, KfpState> {
        // A panic in another holder leaves the data usable: keep serving.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_runs(&self) -> MutexGuard<'_, RunsState> {
        self.runs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the experiments and runs.
    pub fn read_runs<R>(&self, f: impl FnOnce(&RunsState) -> R) -> R {
        f(&self.lock_runs())
    }

    /// Runs `f` on the experiments and runs (and the knobs), which it may change.
    pub fn update_runs<R>(&self, f: impl FnOnce(&mut RunsState) -> R) -> R {
        f(&mut self.lock_runs())
    }

    /// Every run, in creation order.
    pub fn runs(&self) -> Vec<StoredRun> {
        self.read_runs(|s| s.runs.clone())
    }

    /// The run with this id.
    pub fn run(&self, id: &str) -> Option<StoredRun> {
        self.read_runs(|s| s.run(id).cloned())
    }

    /// Every experiment, in creation order.
    pub fn experiments(&self) -> Vec<StoredExperiment> {
        self.read_runs(|s| s.experiments.clone())
    }

    /// How runs execute (tests may change them with [`update_runs`](Self::update_runs)).
    pub fn knobs(&self) -> RunKnobs {
        self.read_runs(|s| s.knobs.clone())
    }

    /// Runs `f` on the state.
    pub fn read<R>(&self, f: impl FnOnce(&KfpState) -> R) -> R {
        f(&self.lock())
    }

    /// Runs `f` on the state, which it may change.
    pub fn update<R>(&self, f: impl FnOnce(&mut KfpState) -> R) -> R {
        f(&mut self.lock())
    }

    /// Every pipeline, in creation order.
    pub fn pipelines(&self) -> Vec<StoredPipeline> {
        self.read(|s| s.pipelines.clone())
    }

    /// The pipeline with this id.
    pub fn pipeline(&self, id: &str) -> Option<StoredPipeline> {
        self.read(|s| s.pipeline(id).cloned())
    }

    /// The shared (no namespace) pipeline with this name.
    pub fn pipeline_named(&self, name: &str) -> Option<StoredPipeline> {
        self.read(|s| s.pipeline_named(name, "").cloned())
    }

    /// The versions of a pipeline, oldest first.
    pub fn versions(&self, pipeline_id: &str) -> Vec<StoredVersion> {
        self.read(|s| s.versions_of(pipeline_id).cloned().collect())
    }

    /// The version with this id (of any pipeline).
    pub fn version(&self, version_id: &str) -> Option<StoredVersion> {
        self.read(|s| s.version(version_id).cloned())
    }

    /// The package file of a version, byte for byte as uploaded.
    pub fn package(&self, version_id: &str) -> Option<Vec<u8>> {
        self.read(|s| s.version(version_id).map(|v| v.package.clone()))
    }

    /// Namespace of the `ml-pipeline` service behind the Kubernetes service proxy.
    pub fn proxy_namespace(&self) -> String {
        self.read(|s| s.proxy_namespace.clone())
    }
}

/// The KFP routes, to be merged at the root: the API itself (checking the scenario's token,
/// if any) and the Kubernetes service-proxy path to it. Sets no router-wide fallback.
pub fn router(handle: KfpHandle) -> Router {
    let direct = api(handle.clone())
        .layer(middleware::from_fn_with_state(
            handle.clone(),
            multi_user::check,
        ))
        .layer(middleware::from_fn_with_state(handle.clone(), check_token));
    // Proxied requests are authenticated by the Kubernetes API server, not with KFP's token;
    // every other path gets grpc-gateway's 404.
    let ui = ui_forward::router(
        handle.clone(),
        api(handle.clone())
            .fallback(unknown_path)
            .layer(middleware::from_fn_with_state(
                handle.clone(),
                multi_user::check,
            )),
    );
    let proxy = ProxyTarget {
        api: api(handle.clone())
            .fallback(unknown_path)
            .layer(middleware::from_fn_with_state(
                handle.clone(),
                multi_user::check,
            )),
        handle,
    };
    let base = "/api/v1/namespaces/{namespace}/services/{service}/proxy";
    Router::new()
        .route(base, any(service_proxy))
        .route(&format!("{base}/{{*path}}"), any(service_proxy))
        .with_state(proxy)
        .route(
            "/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token",
            post(multi_user::token_request),
        )
        .merge(ui)
        .merge(direct)
}

/// The `/apis/v2beta1/...` routes, without authentication.
fn api(handle: KfpHandle) -> Router {
    let v2 = "/apis/v2beta1";
    let uploads = Router::new()
        .route(
            &format!("{v2}/pipelines/upload"),
            post(uploads::upload_pipeline),
        )
        .route(
            &format!("{v2}/pipelines/upload_version"),
            post(uploads::upload_version),
        )
        .layer(DefaultBodyLimit::max(MAX_UPLOAD));
    Router::new()
        .route(&format!("{v2}/healthz"), get(pipelines::healthz))
        .route(&format!("{v2}/pipelines"), get(pipelines::list_pipelines))
        .route(
            &format!("{v2}/pipelines/names/{{name}}"),
            get(pipelines::get_pipeline_by_name),
        )
        .route(
            &format!("{v2}/pipelines/{{pipeline_id}}"),
            get(pipelines::get_pipeline).delete(pipelines::delete_pipeline),
        )
        .route(
            &format!("{v2}/pipelines/{{pipeline_id}}/versions"),
            get(pipelines::list_versions),
        )
        .route(
            &format!("{v2}/pipelines/{{pipeline_id}}/versions/{{pipeline_version_id}}"),
            get(pipelines::get_version).delete(pipelines::delete_version),
        )
        .route(
            &format!("{v2}/experiments"),
            get(experiments::list_experiments).post(experiments::create_experiment),
        )
        // `{id}:archive` and the like are one path segment: the handlers split the verb off.
        .route(
            &format!("{v2}/experiments/{{experiment_id}}"),
            get(experiments::get_experiment)
                .delete(experiments::delete_experiment)
                .post(experiments::experiment_verb),
        )
        .route(
            &format!("{v2}/runs"),
            get(runs_api::list_runs).post(runs_api::create_run),
        )
        .route(
            &format!("{v2}/runs/{{run_id}}"),
            get(runs_api::get_run)
                .delete(runs_api::delete_run)
                .post(runs_api::run_verb),
        )
        .merge(uploads)
        // grpc-gateway answers paths it does not know with NotFound.
        .route(&format!("{v2}/{{*rest}}"), any(unknown_path))
        .with_state(handle)
}

async fn unknown_path() -> Response {
    RpcError::not_found("Not Found").into_response()
}

/// Refuses direct requests without the scenario's bearer token, when it sets one.
async fn check_token(State(kfp): State<KfpHandle>, req: Request, next: Next) -> Response {
    let Some(token) = kfp.read(|s| s.token.clone()) else {
        return next.run(req).await;
    };
    match bearer(req.headers()) {
        Some(presented) if presented == token => next.run(req).await,
        Some(_) => RpcError::new(
            Code::Unauthenticated,
            "Failed to authenticate the request: the bearer token is not valid",
        )
        .into_response(),
        None => RpcError::new(
            Code::Unauthenticated,
            "Failed to authenticate the request: no Authorization: Bearer header",
        )
        .into_response(),
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// What the service-proxy routes need: where KFP lives and the router to forward to.
#[derive(Clone)]
struct ProxyTarget {
    handle: KfpHandle,
    api: Router,
}

/// `/api/v1/namespaces/{ns}/services/{[scheme:]name[:port]}/proxy/{path}`: forwards to the KFP
/// API when it names the `ml-pipeline` service's HTTP port in KFP's namespace; answers like
/// the Kubernetes API server otherwise.
async fn service_proxy(State(target): State<ProxyTarget>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    // ["", "api", "v1", "namespaces", ns, "services", service, "proxy", rest]
    let segments: Vec<&str> = path.splitn(9, '/').collect();
    let namespace = decode(segments.get(4).copied().unwrap_or(""));
    let service = decode(segments.get(6).copied().unwrap_or(""));
    let rest = segments.get(8).copied().unwrap_or("");
    let pieces: Vec<&str> = service.split(':').collect();
    let (scheme, name, port) = match pieces.as_slice() {
        [name] => ("", *name, ""),
        [name, port] => ("", *name, *port),
        [scheme, name, port] => (*scheme, *name, *port),
        _ => ("", service.as_str(), ""),
    };
    if name != SERVICE || namespace != target.handle.proxy_namespace() {
        return errors::kube_status(
            StatusCode::NOT_FOUND,
            "NotFound",
            &format!("services \"{name}\" not found"),
            Some(json!({"name": name, "kind": "services"})),
        );
    }
    if !HTTP_PORTS.contains(&port) {
        return errors::kube_status(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            &format!("no service port \"{port}\" found for service \"{name}\""),
            None,
        );
    }
    if !scheme.is_empty() && scheme != "http" {
        return errors::kube_status(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            &format!(
                "error trying to reach service: {scheme} is not served by {name}:{port} (it speaks plain HTTP)"
            ),
            None,
        );
    }
    let query = req
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let Ok(uri) = format!("/{rest}{query}").parse::<Uri>() else {
        return RpcError::not_found("Not Found").into_response();
    };
    // A fresh request: the extensions hold this route's path parameters, which the KFP
    // router would otherwise see as its own.
    let (parts, body) = req.into_parts();
    let mut forwarded = Request::new(body);
    *forwarded.method_mut() = parts.method;
    *forwarded.uri_mut() = uri;
    *forwarded.version_mut() = parts.version;
    *forwarded.headers_mut() = parts.headers;
    // The API server drops the caller's credentials once it has authenticated them
    // (k8s.io/apiserver `pkg/endpoints/filters/authentication.go`: `req.Header.Del("Authorization")`),
    // so KFP behind the service proxy sees no identity of its own.
    forwarded.headers_mut().remove(header::AUTHORIZATION);
    match target.api.oneshot(forwarded).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// Percent-decodes a path segment (invalid escapes stay as they are).
fn decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = bytes
            .get(i + 1..i + 3)
            .filter(|_| bytes.get(i) == Some(&b'%'))
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.extend(bytes.get(i).copied());
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
