//! Kubeflow Pipelines through its v2beta1 REST API: find a pipeline by name, upload a
//! pipeline or a new version of it, list and read versions; find or create an experiment;
//! create, read, list and terminate runs (with their task details).
//!
//! Two ways to reach the API, one code path: [`KfpEndpoint::Direct`] talks HTTP(S) to the API
//! server (optionally with a bearer token); [`KfpEndpoint::ServiceProxy`] goes through the
//! Kubernetes API server's service proxy
//! (`/api/v1/namespaces/{ns}/services/{service}/proxy/apis/v2beta1/...`) with the kubeconfig's
//! credentials. Uploads are `multipart/form-data` bodies built in `transport.rs`, so both
//! transports send the same bytes. Pipelines and versions are in `pipelines.rs`, runs and
//! experiments in `runs.rs`.

use std::fmt;
use std::time::Duration;

use http::Method;
use serde_json::Value;

use super::error::flatten;
use super::error::{BackendError, Service};
use crate::config::Secret;

use self::transport::{no_hints, Body, KfpObject, Page, Transport};

mod identity;
mod pipelines;
mod port_forward;
mod run_types;
mod runs;
mod transport;

pub use self::identity::{KfpIdentity, RequestedToken};
pub use self::pipelines::{PackageUrl, Pipeline, PipelineVersion};
pub use self::port_forward::UiService;

pub use self::run_types::{
    ArtifactList, ChildTask, Experiment, PipelineVersionReference, RpcStatus, Run, RunDetails,
    RuntimeConfig, RuntimeState, RuntimeStatus, TaskDetail,
};
pub use self::runs::{CreateRun, NameMatch, RunQuery, DEFAULT_RUN_LIMIT};

/// Versions asked for per page when listing (KFP allows up to 200).
const PAGE_SIZE: usize = 100;
/// The API's path prefix.
const API: &str = "/apis/v2beta1";
/// Where the KFP API is.
#[derive(Clone)]
pub enum KfpEndpoint {
    /// The API server's URL (e.g. `https://kfp.example.com` or the Kubeflow gateway's
    /// `/pipeline` URL); requests go to `{url}/apis/v2beta1/...`.
    Direct { url: String, token: Option<Secret> },
    /// Through the Kubernetes API server's service proxy to `service` (`name:port`) in
    /// `namespace`, authenticated like every other Kubernetes call.
    ServiceProxy {
        client: kube::Client,
        namespace: String,
        service: String,
    },
}

impl fmt::Debug for KfpEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KfpEndpoint::Direct { url, token } => f
                .debug_struct("Direct")
                .field("url", url)
                .field("token", &token.as_ref().map(|_| "***"))
                .finish(),
            KfpEndpoint::ServiceProxy {
                namespace, service, ..
            } => f
                .debug_struct("ServiceProxy")
                .field("namespace", namespace)
                .field("service", service)
                .finish_non_exhaustive(),
        }
    }
}

impl KfpEndpoint {
    /// The endpoint `[kfp]` configures, with where it is (for people): `endpoint`, a
    /// port-forward to the UI service `port_forward`, else the Kubernetes service proxy. `kube`
    /// is needed for the last two.
    pub async fn from_config(
        cfg: &crate::config::Config,
        kube: Option<kube::Client>,
    ) -> Result<(KfpEndpoint, String), BackendError> {
        let kfp = &cfg.kfp;
        if let Some(url) = &kfp.endpoint {
            let token = cfg.kfp_token();
            return Ok((
                KfpEndpoint::Direct {
                    url: url.clone(),
                    token,
                },
                url.clone(),
            ));
        }
        let Some(client) = kube else {
            return Err(BackendError::new(
                Service::Kfp,
                "configure client",
                "no Kubernetes client to reach KFP through",
            )
            .with_hint("check [cluster] (kubeconfig, context, server), or set [kfp] endpoint"));
        };
        match &kfp.port_forward {
            Some(name) => {
                let ui = UiService {
                    namespace: kfp.proxy_namespace.clone(),
                    name: name.clone(),
                };
                let url = ui.open(client).await?;
                let route = format!("port-forward to {}/{name} ({url})", kfp.proxy_namespace);
                let token = cfg.kfp_token();
                Ok((KfpEndpoint::Direct { url, token }, route))
            }
            None => Ok((
                KfpEndpoint::ServiceProxy {
                    client,
                    namespace: kfp.proxy_namespace.clone(),
                    service: kfp.proxy_service.clone(),
                },
                format!(
                    "service proxy {}/{}",
                    kfp.proxy_namespace, kfp.proxy_service
                ),
            )),
        }
    }
}

/// A KFP API client.
#[derive(Clone)]
pub struct Kfp {
    transport: Transport,
    ui_url: Option<String>,
    identity: KfpIdentity,
}

impl fmt::Debug for Kfp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Kfp");
        match &self.transport {
            Transport::Direct { base, token, .. } => d
                .field("url", base)
                .field("token", &token.as_ref().map(|_| "***")),
            Transport::ServiceProxy {
                namespace, service, ..
            } => d
                .field("proxy_namespace", namespace)
                .field("proxy_service", service),
        };
        d.field("ui_url", &self.ui_url).finish_non_exhaustive()
    }
}

impl Kfp {
    /// A client for `endpoint`. Fails only on a URL that cannot be used.
    pub fn new(endpoint: KfpEndpoint) -> Result<Kfp, BackendError> {
        let what = "configure client";
        let transport = match endpoint {
            KfpEndpoint::Direct { url, token } => {
                let parsed = reqwest::Url::parse(&url).map_err(|e| {
                    BackendError::new(Service::Kfp, what, format!("`{url}` is not a URL: {e}"))
                        .with_hint("check [kfp] endpoint")
                })?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(BackendError::new(
                        Service::Kfp,
                        what,
                        format!("`{url}` is not an http(s) URL"),
                    )
                    .with_hint("check [kfp] endpoint"));
                }
                let mut base = url.trim_end_matches('/').to_owned();
                if let Some(stripped) = base.strip_suffix(API) {
                    base = stripped.to_owned();
                }
                let http = reqwest::Client::builder()
                    .connect_timeout(Duration::from_secs(10))
                    .timeout(Duration::from_secs(120))
                    .build()
                    .map_err(|e| BackendError::new(Service::Kfp, what, flatten(&e)))?;
                Transport::Direct { http, base, token }
            }
            KfpEndpoint::ServiceProxy {
                client,
                namespace,
                service,
            } => {
                if namespace.is_empty() || service.is_empty() || service.contains('/') {
                    return Err(BackendError::new(
                        Service::Kfp,
                        what,
                        format!("`{namespace}`/`{service}` does not name a service"),
                    )
                    .with_hint("check [kfp] proxy_namespace and proxy_service"));
                }
                Transport::ServiceProxy {
                    client,
                    namespace,
                    service,
                }
            }
        };
        Ok(Kfp {
            transport,
            ui_url: None,
            identity: KfpIdentity::default(),
        })
    }

    /// Sets the KFP UI's URL (`[kfp] ui_url`) for the [`ui_url_for_version`](Self::ui_url_for_version)
    /// and [`ui_url_for_run`](Self::ui_url_for_run) links (none without it).
    pub fn with_ui_url(mut self, url: impl Into<String>) -> Kfp {
        self.ui_url = Some(url.into().trim_end_matches('/').to_owned());
        self
    }

    /// Sends `identity` with every direct request (multi-user KFP). The Kubernetes service
    /// proxy cannot carry one: the API server drops the caller's `Authorization` before
    /// proxying.
    pub fn with_identity(mut self, identity: KfpIdentity) -> Kfp {
        self.identity = identity;
        self
    }

    /// Whether requests go through the Kubernetes service proxy.
    pub fn via_service_proxy(&self) -> bool {
        matches!(self.transport, Transport::ServiceProxy { .. })
    }

    /// `GET /apis/v2beta1/healthz`: the API server answers (`kfops check`); its JSON.
    pub async fn healthz(&self) -> Result<Value, BackendError> {
        self.json(
            "GET healthz",
            Method::GET,
            &format!("{API}/healthz"),
            Body::Empty,
            no_hints,
        )
        .await
    }

    /// `{ui_url}/#/{route}` when the UI's address is known.
    fn ui_page(&self, route: &str) -> Option<String> {
        self.ui_url.as_ref().map(|ui| format!("{ui}/#/{route}"))
    }
}

impl KfpObject for Run {
    fn id(&self) -> (&'static str, &str) {
        ("run_id", &self.run_id)
    }
}

impl KfpObject for Experiment {
    fn id(&self) -> (&'static str, &str) {
        ("experiment_id", &self.experiment_id)
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_never_shows_in_debug_output() {
        let kfp = Kfp::new(KfpEndpoint::Direct {
            url: "http://kfp.example/apis/v2beta1/".into(),
            token: Some(Secret::new("kfp-secret-token")),
        })
        .unwrap_or_else(|e| panic!("{e}"));
        let shown = format!("{kfp:?}");
        assert!(!shown.contains("kfp-secret-token"), "{shown}");
        assert!(shown.contains("http://kfp.example"), "{shown}");
        // The API endpoint is not taken for the UI: no link without `ui_url`.
        assert_eq!(kfp.ui_url_for_version("p", "v"), None);
        assert_eq!(kfp.ui_url_for_run("r"), None);
        let kfp = kfp.with_ui_url("https://kubeflow.example/pipeline/");
        assert_eq!(
            kfp.ui_url_for_version("p", "v").as_deref(),
            Some("https://kubeflow.example/pipeline/#/pipelines/details/p/version/v")
        );
        assert_eq!(
            kfp.ui_url_for_run("r").as_deref(),
            Some("https://kubeflow.example/pipeline/#/runs/details/r")
        );
    }

    #[test]
    fn a_url_that_cannot_be_used_is_refused_with_a_hint() {
        let err = Kfp::new(KfpEndpoint::Direct {
            url: "kfp.example".into(),
            token: None,
        })
        .map(|_| ())
        .unwrap_err();
        assert_eq!(err.hint.as_deref(), Some("check [kfp] endpoint"));
    }
}
