//! The simulated environment: the real HTTP APIs of GitHub (and, later, Kubernetes and
//! Kubeflow Pipelines) served on one loopback port, so tests and `kfops demo` run the real
//! clients against it.
//!
//! One axum [`Router`] per service, merged in [`app`]: GitHub under `/github`, Kubernetes,
//! KFP and KServe at the root (their paths, `/api`, `/apis/...`, do not collide; KServe's
//! predictors are under `/kserve`). A fault-injection middleware ([`faults`]) sits in front of
//! them all, and a recording middleware wraps everything.
//!
//! A crate of its own: it imports nothing of the product (kfops-console), which depends on it
//! for `kfops demo`, `kfops sim` and its tests.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod faults;
pub mod github;
pub mod kfp;
pub mod kserve;
pub mod kube;
pub mod record;
pub mod scenario;

use std::net::SocketAddr;
use std::time::Duration;

use axum::response::{IntoResponse, Response};
use axum::Router;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use self::faults::FaultsHandle;
pub use self::github::GithubHandle;
pub use self::kfp::KfpHandle;
pub use self::kserve::KserveHandle;
pub use self::kube::KubeHandle;
pub use self::record::{RecordedRequest, RequestLog};
pub use self::scenario::{Scenario, ScenarioError};

/// How long [`Simulator::shutdown`] lets open connections finish before cutting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A running simulated environment. Dropping it stops the server.
#[derive(Debug)]
pub struct Simulator {
    addr: SocketAddr,
    github: GithubHandle,
    kfp: KfpHandle,
    kube: KubeHandle,
    kserve: KserveHandle,
    faults: FaultsHandle,
    log: RequestLog,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Simulator {
    /// Binds `listen` (tests use `127.0.0.1:0`), serves in a background tokio task and
    /// returns at once.
    pub async fn start(listen: SocketAddr, scenario: Scenario) -> std::io::Result<Simulator> {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let github = GithubHandle::new(&scenario.github);
        let kfp = KfpHandle::new(&scenario.kfp, &scenario.github);
        let kube = KubeHandle::new(&scenario.kube, github.clone());
        // KFP runs their tasks as pods in the simulated cluster.
        kfp.connect_kube(&kube);
        let kserve = KserveHandle::new(
            &scenario.kserve,
            &scenario.github,
            kube.clone(),
            Some(format!("http://{addr}/kserve")),
        );
        let faults = FaultsHandle::new(
            &scenario.faults,
            kserve.clone(),
            scenario.kserve.never_ready.clone(),
        );
        let log = RequestLog::default();
        let crd = kserve::crd::CrdInstalled(scenario.kserve.crd_installed);
        let app = app(&github, &kfp, &kube, &kserve, &faults, &log, crd);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    // Either an explicit stop or the Simulator being dropped.
                    let _ = stopped.await;
                })
                .await;
            if let Err(err) = served {
                tracing::error!(%err, "simulator server stopped with an error");
            }
        });
        tracing::info!(%addr, "simulator listening");
        Ok(Simulator {
            addr,
            github,
            kfp,
            kube,
            kserve,
            faults,
            log,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The address the simulator listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Base URI for the GitHub client (octocrab's `base_uri`), e.g. `http://127.0.0.1:PORT/github`.
    pub fn github_url(&self) -> String {
        format!("http://{}/github", self.addr)
    }

    /// Kubernetes API server URL (the API is served at the root).
    pub fn kube_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Kubeflow Pipelines API URL (`/apis/v2beta1/...` at the root).
    pub fn kfp_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// URL prefix of the simulated KServe predictors: `{prefix}/{namespace}/{name}` stands for
    /// an InferenceService's host, `{prefix}/{namespace}/{name}/latest` (or `/prev`, or a
    /// revision name) for a tagged revision's; see [`KserveHandle::predictor_url`].
    pub fn predictor_url(&self) -> String {
        format!("http://{}/kserve", self.addr)
    }

    /// The simulated cluster's ingress gateway: send `{ingress}/v1/models/...` with the `Host`
    /// of an InferenceService's URL (e.g. `latest-{name}-predictor.{ns}.example.com`).
    pub fn ingress_url(&self) -> String {
        format!("http://{}/ingress", self.addr)
    }

    /// Every request answered so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.log.snapshot()
    }

    /// The request log itself (to clear it between steps of a test).
    pub fn request_log(&self) -> &RequestLog {
        &self.log
    }

    /// Reads and changes the simulated GitHub's state.
    pub fn github(&self) -> &GithubHandle {
        &self.github
    }

    /// Reads and changes the simulated KFP's state.
    pub fn kfp(&self) -> &KfpHandle {
        &self.kfp
    }

    /// Reads and changes the simulated Kubernetes cluster's state.
    pub fn kube(&self) -> &KubeHandle {
        &self.kube
    }

    /// Reads and changes the simulated KServe's state (InferenceServices, predictors).
    pub fn kserve(&self) -> &KserveHandle {
        &self.kserve
    }

    /// The fault rules in force (also at `/_sim/faults`); see docs/SIMULATOR.md.
    pub fn faults(&self) -> &FaultsHandle {
        &self.faults
    }

    /// Stops accepting connections, lets open ones finish (for a few seconds at most), and
    /// waits for the server task to end.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take() {
            if tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// All services on one router, faults injected in front of every service, every request
/// (faulted ones too, with the status they got) recorded.
fn app(
    github: &GithubHandle,
    kfp: &KfpHandle,
    kube: &KubeHandle,
    kserve: &KserveHandle,
    faults: &FaultsHandle,
    log: &RequestLog,
    crd: kserve::crd::CrdInstalled,
) -> Router {
    Router::new()
        .nest("/github", github::router(github.clone()))
        // The same API where GitHub Enterprise Server serves it (`https://HOST/api/v3`).
        .nest("/api/v3", github::router(github.clone()))
        .merge(kfp::router(kfp.clone()))
        .merge(kube::router(kube.clone()))
        .merge(kserve::router(kserve.clone()))
        .merge(faults::router(faults.clone()))
        .fallback(not_found)
        // The API server's service proxy to Knative revisions' private services, before the
        // KFP simulator's service-proxy route sees them.
        .layer(axum::middleware::from_fn_with_state(
            kserve.clone(),
            kserve::private::intercept,
        ))
        // Without the KServe CRD, its group is hidden (faults still apply in front).
        .layer(axum::middleware::from_fn_with_state(crd, kserve::crd::gate))
        .layer(axum::middleware::from_fn_with_state(
            faults.clone(),
            faults::inject,
        ))
        .layer(axum::middleware::from_fn_with_state(
            log.clone(),
            record::record,
        ))
}

/// Paths no simulated service serves.
async fn not_found() -> Response {
    (
        axum::http::StatusCode::NOT_FOUND,
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; charset=utf-8",
        )],
        "404 page not found\n",
    )
        .into_response()
}
