//! Kubeflow Pipelines through its v2beta1 REST API: find a pipeline by name, upload a
//! pipeline or a new version of it, list and read versions; find or create an experiment;
//! create, read, list and terminate runs (with their task details).
//!
//! Two ways to reach the API, one code path: [`KfpEndpoint::Direct`] talks HTTP(S) to the API
//! server (optionally with a bearer token); [`KfpEndpoint::ServiceProxy`] goes through the
//! Kubernetes API server's service proxy
//! (`/api/v1/namespaces/{ns}/services/{service}/proxy/apis/v2beta1/...`) with the kubeconfig's
//! credentials. Uploads are `multipart/form-data` bodies built here, so both transports send
//! the same bytes.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use http::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::error::flatten;
use super::error::{hint_for_status, BackendError, Service, Throttle};
use super::retry::{Idempotency, RetryPolicy};
use crate::config::Secret;

mod identity;
mod run_types;
mod runs;

pub use self::identity::{KfpIdentity, RequestedToken};

pub use self::run_types::{
    ArtifactList, ChildTask, Experiment, PipelineVersionReference, RpcStatus, Run, RunDetails,
    RuntimeConfig, RuntimeState, RuntimeStatus, TaskDetail,
};
pub use self::runs::{CreateRun, NameMatch, RunQuery, DEFAULT_RUN_LIMIT};

/// Versions asked for per page when listing (KFP allows up to 200).
const PAGE_SIZE: usize = 100;
/// A list longer than this many pages is treated as a server that never stops paging.
const MAX_PAGES: usize = 1000;
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

/// A KFP pipeline (`v2beta1Pipeline`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pipeline {
    /// Always set by the server.
    #[serde(default)]
    pub pipeline_id: String,
    /// Set by KFP 2.4 and later; older servers only have `display_name`.
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<std::collections::BTreeMap<String, String>>,
    /// A `googleRpcStatus` when the server could not read part of the pipeline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Value>,
}

/// `v2beta1Url`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackageUrl {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline_url: Option<String>,
}

/// A version of a KFP pipeline (`v2beta1PipelineVersion`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineVersion {
    #[serde(default)]
    pub pipeline_id: String,
    /// Always set by the server.
    #[serde(default)]
    pub pipeline_version_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_url: Option<PackageUrl>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_source_url: Option<String>,
    /// The compiled pipeline (or `{pipeline_spec, platform_spec}`), as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline_spec: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<std::collections::BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct ListPipelines {
    #[serde(default)]
    pipelines: Vec<Pipeline>,
}

#[derive(Debug, Deserialize)]
struct ListVersions {
    #[serde(default)]
    pipeline_versions: Vec<PipelineVersion>,
    #[serde(default)]
    next_page_token: String,
}

/// A list answer of the KFP API: one page of items and the token of the next page (empty on
/// the last).
trait Page: DeserializeOwned {
    type Item;
    fn into_parts(self) -> (Vec<Self::Item>, String);
}

impl Page for ListVersions {
    type Item = PipelineVersion;
    fn into_parts(self) -> (Vec<PipelineVersion>, String) {
        (self.pipeline_versions, self.next_page_token)
    }
}

/// A KFP API client.
#[derive(Clone)]
pub struct Kfp {
    transport: Transport,
    ui_url: Option<String>,
    identity: KfpIdentity,
}

#[derive(Clone)]
enum Transport {
    Direct {
        http: reqwest::Client,
        /// Without a trailing `/`.
        base: String,
        token: Option<Secret>,
    },
    ServiceProxy {
        client: kube::Client,
        namespace: String,
        service: String,
    },
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

/// What a request carries.
#[derive(Clone)]
enum Body {
    Empty,
    /// A package, sent as the `uploadfile` field of a multipart form.
    Package(Vec<u8>),
    /// A JSON message.
    Json(Value),
}

/// One HTTP answer, read whole.
struct Answer {
    status: u16,
    body: Vec<u8>,
    /// `Retry-After` and rate-limit headers.
    throttle: Throttle,
}

/// What an operation adds to the usual hints, by status.
type Hints = fn(u16) -> Option<&'static str>;

fn no_hints(_: u16) -> Option<&'static str> {
    None
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

    /// The pipeline named `name`, if KFP has one.
    pub async fn find_pipeline(&self, name: &str) -> Result<Option<Pipeline>, BackendError> {
        let what = format!("find pipeline `{name}`");
        let filter = json!({"predicates": [{
            "key": "name",
            "operation": "EQUALS",
            "string_value": name,
        }]});
        let path = format!(
            "{API}/pipelines?filter={}&page_size={PAGE_SIZE}",
            encode(&filter.to_string())
        );
        let list: ListPipelines = self
            .json(&what, Method::GET, &path, Body::Empty, no_hints)
            .await?;
        // Exact match only (a server's collation may compare case-insensitively); servers
        // before KFP 2.4 fill only `display_name`.
        let mut pipelines = list.pipelines;
        let exact = pipelines.iter().position(|p| p.name == name).or_else(|| {
            pipelines
                .iter()
                .position(|p| p.name.is_empty() && p.display_name.as_deref() == Some(name))
        });
        Ok(exact.map(|i| pipelines.swap_remove(i)))
    }

    /// Uploads a package as a new pipeline; KFP also creates its first version, named like
    /// the pipeline.
    pub async fn upload_pipeline(
        &self,
        name: &str,
        description: &str,
        package: Vec<u8>,
    ) -> Result<Pipeline, BackendError> {
        let what = format!("upload pipeline `{name}`");
        let mut path = format!(
            "{API}/pipelines/upload?name={}&display_name={}",
            encode(name),
            encode(name)
        );
        if !description.is_empty() {
            path.push_str(&format!("&description={}", encode(description)));
        }
        fn hints(status: u16) -> Option<&'static str> {
            match status {
                409 => Some("KFP already has a pipeline with this name; check [pipeline] name"),
                400 => Some(PACKAGE_HINT),
                _ => None,
            }
        }
        self.object(&what, Method::POST, &path, Body::Package(package), hints)
            .await
    }

    /// Uploads a package as a new version of a pipeline.
    pub async fn upload_pipeline_version(
        &self,
        pipeline_id: &str,
        version_name: &str,
        package: Vec<u8>,
    ) -> Result<PipelineVersion, BackendError> {
        self.upload_described_version(pipeline_id, version_name, "", package)
            .await
    }

    /// Uploads a package as a new version of a pipeline, with a description (none when
    /// empty): the upload handler's `description` query parameter (kubeflow/pipelines,
    /// backend/src/apiserver/server/pipeline_upload_server.go, `DescriptionQueryStringKey`).
    pub async fn upload_described_version(
        &self,
        pipeline_id: &str,
        version_name: &str,
        description: &str,
        package: Vec<u8>,
    ) -> Result<PipelineVersion, BackendError> {
        let what = format!("upload version `{version_name}` of pipeline {pipeline_id}");
        let mut path = format!(
            "{API}/pipelines/upload_version?pipelineid={}&name={}&display_name={}",
            encode(pipeline_id),
            encode(version_name),
            encode(version_name)
        );
        if !description.is_empty() {
            path.push_str(&format!("&description={}", encode(description)));
        }
        fn hints(status: u16) -> Option<&'static str> {
            match status {
                409 => Some("the pipeline already has a version with this name; build again to get a new name"),
                404 => Some("the pipeline no longer exists in KFP; build again to re-create it"),
                400 => Some(PACKAGE_HINT),
                _ => None,
            }
        }
        self.object(&what, Method::POST, &path, Body::Package(package), hints)
            .await
    }

    /// Every version of a pipeline (all pages), newest first.
    pub async fn list_versions(
        &self,
        pipeline_id: &str,
    ) -> Result<Vec<PipelineVersion>, BackendError> {
        let what = format!("list versions of pipeline {pipeline_id}");
        let base = format!(
            "{API}/pipelines/{}/versions?page_size={PAGE_SIZE}&sort_by={}",
            encode(pipeline_id),
            encode("created_at desc")
        );
        let mut versions = Vec::new();
        self.pages::<ListVersions>(&what, &base, "versions", |page| {
            versions.extend(page);
            false
        })
        .await?;
        // Newest first even from a server that ignores `sort_by` (stable: ties keep the
        // server's order).
        versions.sort_by_key(|v| std::cmp::Reverse(v.created_at));
        Ok(versions)
    }

    /// One version of a pipeline.
    pub async fn get_version(
        &self,
        pipeline_id: &str,
        version_id: &str,
    ) -> Result<PipelineVersion, BackendError> {
        let what = format!("get version {version_id} of pipeline {pipeline_id}");
        let path = format!(
            "{API}/pipelines/{}/versions/{}",
            encode(pipeline_id),
            encode(version_id)
        );
        fn hints(status: u16) -> Option<&'static str> {
            (status == 404).then_some(
                "KFP has no such pipeline version; it may have been deleted (check the KFOPS_VERSION_ID)",
            )
        }
        self.object(&what, Method::GET, &path, Body::Empty, hints)
            .await
    }

    /// The KFP UI page of a pipeline version (`{ui_url}/#/pipelines/details/{pid}/version/{vid}`,
    /// the UI's `RoutePage.PIPELINE_DETAILS`: kubeflow/pipelines
    /// `frontend/src/components/Router.tsx`, a hash route), or `None` without
    /// [`with_ui_url`](Self::with_ui_url): neither the API endpoint nor a Kubernetes
    /// service-proxy path is a page a PR reader's browser can open (the proxy path is relative
    /// to the API server and needs its credentials; `ml-pipeline:8888` serves no UI).
    pub fn ui_url_for_version(&self, pipeline_id: &str, version_id: &str) -> Option<String> {
        self.ui_page(&format!(
            "pipelines/details/{}/version/{}",
            encode(pipeline_id),
            encode(version_id)
        ))
    }

    /// `{ui_url}/#/{route}` when the UI's address is known.
    fn ui_page(&self, route: &str) -> Option<String> {
        self.ui_url.as_ref().map(|ui| format!("{ui}/#/{route}"))
    }

    /// Sends a request and decodes a 2xx JSON answer; anything else becomes a
    /// [`BackendError`] with the server's message and a hint. GETs are retried under the
    /// shared policy ([`super::retry`]); other methods are sent once.
    /// Follows `next_page_token` from `base` (a path with its query), handing each page's
    /// `items` to `take` until the last page or until `take` has enough (returns `true`). A
    /// token given twice in a row, or more than [`MAX_PAGES`] pages, is an error.
    async fn pages<P: Page>(
        &self,
        what: &str,
        base: &str,
        items: &str,
        mut take: impl FnMut(Vec<P::Item>) -> bool,
    ) -> Result<(), BackendError> {
        let mut token = String::new();
        for _ in 0..MAX_PAGES {
            let mut path = base.to_owned();
            if !token.is_empty() {
                path.push_str(&format!("&page_token={}", encode(&token)));
            }
            let page: P = self
                .json(what, Method::GET, &path, Body::Empty, no_hints)
                .await?;
            let (page, next) = page.into_parts();
            if take(page) || next.is_empty() {
                return Ok(());
            }
            if next == token {
                return Err(BackendError::new(
                    Service::Kfp,
                    what,
                    "the server returned the same page token twice",
                ));
            }
            token = next;
        }
        Err(BackendError::new(
            Service::Kfp,
            what,
            format!("more than {MAX_PAGES} pages of {items}; stopped listing"),
        ))
    }

    async fn json<T: DeserializeOwned>(
        &self,
        what: &str,
        method: Method,
        path: &str,
        body: Body,
        hints: Hints,
    ) -> Result<T, BackendError> {
        let kind = if method == Method::GET {
            Idempotency::Read
        } else {
            Idempotency::Write
        };
        let body = &body;
        RetryPolicy::default()
            .run(kind, || {
                self.json_once(what, method.clone(), path, body.clone(), hints)
            })
            .await
    }

    /// One attempt of [`json`](Self::json).
    async fn json_once<T: DeserializeOwned>(
        &self,
        what: &str,
        method: Method,
        path: &str,
        body: Body,
        hints: Hints,
    ) -> Result<T, BackendError> {
        let answer = self.send(what, method, path, body).await?;
        if !(200..300).contains(&answer.status) {
            return Err(self.failure(what, &answer, hints));
        }
        serde_json::from_slice(&answer.body).map_err(|e| {
            BackendError::new(
                Service::Kfp,
                what,
                format!(
                    "the answer is not the KFP API's JSON ({e}): {}",
                    snippet(&answer.body)
                ),
            )
            .with_status(answer.status)
            .with_hint(self.not_kfp_hint())
        })
    }

    /// [`json`](Self::json) for one KFP object, which always carries its ID: an answer without
    /// it (a proxy's `{}`, another API's JSON) is not the KFP API's.
    async fn object<T: KfpObject>(
        &self,
        what: &str,
        method: Method,
        path: &str,
        body: Body,
        hints: Hints,
    ) -> Result<T, BackendError> {
        let object: T = self.json(what, method, path, body, hints).await?;
        let (field, id) = object.id();
        if id.is_empty() {
            return Err(BackendError::new(
                Service::Kfp,
                what,
                format!("the answer has no `{field}`: it is not the KFP API's JSON"),
            )
            .with_hint(self.not_kfp_hint()));
        }
        Ok(object)
    }

    /// What to check when the server's answers are not the KFP API's.
    fn not_kfp_hint(&self) -> &'static str {
        match self.transport {
            Transport::Direct { .. } => {
                "check that [kfp] endpoint is the KFP API server (it serves /apis/v2beta1)"
            }
            Transport::ServiceProxy { .. } => {
                "check that [kfp] proxy_service is the KFP API service (ml-pipeline:8888)"
            }
        }
    }

    /// One request over the configured transport.
    async fn send(
        &self,
        what: &str,
        method: Method,
        path: &str,
        body: Body,
    ) -> Result<Answer, BackendError> {
        let (content_type, body) = match body {
            Body::Package(package) => {
                let (content_type, body) = multipart(&package);
                (Some(content_type), body)
            }
            Body::Json(value) => (
                Some("application/json".to_owned()),
                value.to_string().into_bytes(),
            ),
            Body::Empty => (None, Vec::new()),
        };
        match &self.transport {
            Transport::Direct { http, base, token } => {
                let mut request = http
                    .request(method, format!("{base}{path}"))
                    .header(http::header::ACCEPT, "application/json");
                if let Some(token) = token {
                    request = request.bearer_auth(token.expose());
                }
                request = self.identity.apply(what, request).await?;
                if let Some(content_type) = content_type {
                    request = request
                        .header(http::header::CONTENT_TYPE, content_type)
                        .body(body);
                }
                let response = request.send().await.map_err(|e| {
                    BackendError::new(Service::Kfp, what, flatten(&e))
                        .with_hint("check [kfp] endpoint and the network")
                        .transport()
                })?;
                let status = response.status().as_u16();
                let throttle = Throttle::from_headers(response.headers(), Utc::now());
                let body = response.bytes().await.map_err(|e| {
                    BackendError::new(Service::Kfp, what, flatten(&e))
                        .with_hint("check [kfp] endpoint and the network")
                        .transport()
                })?;
                Ok(Answer {
                    status,
                    body: body.to_vec(),
                    throttle,
                })
            }
            Transport::ServiceProxy {
                client,
                namespace,
                service,
            } => {
                let uri = format!(
                    "/api/v1/namespaces/{}/services/{}/proxy{path}",
                    encode(namespace),
                    // `name:port` (or `scheme:name:port`): `:` is fine in a path segment.
                    encode(service).replace("%3A", ":")
                );
                let mut request = http::Request::builder()
                    .method(method)
                    .uri(uri)
                    .header(http::header::ACCEPT, "application/json");
                if let Some(content_type) = content_type {
                    request = request.header(http::header::CONTENT_TYPE, content_type);
                }
                let request = request
                    .body(kube::client::Body::from(body))
                    .map_err(|e| BackendError::new(Service::Kfp, what, e.to_string()))?;
                let unreachable = |e: kube::Error| {
                    BackendError::new(Service::Kfp, what, flatten(&e))
                        .with_hint(
                            "check the kube context and that the cluster is reachable ([kfp] is reached through its service proxy)",
                        )
                        .transport()
                };
                let response = client.send(request).await.map_err(unreachable)?;
                let status = response.status().as_u16();
                let throttle = Throttle::from_headers(response.headers(), Utc::now());
                let body = response
                    .into_body()
                    .collect_bytes()
                    .await
                    .map_err(unreachable)?;
                Ok(Answer {
                    status,
                    body: body.to_vec(),
                    throttle,
                })
            }
        }
    }

    /// The operator-facing error for a non-2xx answer.
    fn failure(&self, what: &str, answer: &Answer, hints: Hints) -> BackendError {
        let status = answer.status;
        let parsed: Option<Value> = serde_json::from_slice(&answer.body).ok();
        let text = |key: &str| {
            parsed
                .as_ref()
                .and_then(|v| v.get(key))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let from_kubernetes = parsed
            .as_ref()
            .and_then(|v| v.get("kind"))
            .and_then(Value::as_str)
            == Some("Status");
        let message = text("error_message")
            .or_else(|| text("message"))
            .or_else(|| text("error"))
            .unwrap_or_else(|| snippet(&answer.body));
        let message = if from_kubernetes {
            format!("HTTP {status} from the Kubernetes service proxy: {message}")
        } else {
            format!("HTTP {status}: {message}")
        };
        let proxy = matches!(self.transport, Transport::ServiceProxy { .. });
        let hint = if from_kubernetes && matches!(status, 404 | 503) {
            Some("check [kfp] proxy_namespace and proxy_service (the ml-pipeline service and its HTTP port)".to_owned())
        } else if matches!(status, 401 | 403) && !proxy {
            Some("check the KFP token ([kfp] token_env) and that it may use the KFP API".to_owned())
        } else {
            hints(status)
                .map(str::to_owned)
                .or_else(|| hint_for_status(Service::Kfp, status))
        };
        let mut error = BackendError::new(Service::Kfp, what, message)
            .with_status(status)
            .with_throttle(answer.throttle);
        error.hint = hint;
        error
    }
}

/// A single KFP object (`v2beta1Pipeline`, `…PipelineVersion`, `…Run`, `…Experiment`).
trait KfpObject: DeserializeOwned {
    /// The name and value of its ID field.
    fn id(&self) -> (&'static str, &str);
}

impl KfpObject for Pipeline {
    fn id(&self) -> (&'static str, &str) {
        ("pipeline_id", &self.pipeline_id)
    }
}

impl KfpObject for PipelineVersion {
    fn id(&self) -> (&'static str, &str) {
        ("pipeline_version_id", &self.pipeline_version_id)
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

/// Hint for a package KFP refused.
const PACKAGE_HINT: &str =
    "check that [pipeline] package_path is a pipeline compiled with the KFP v2 SDK (kfp.compiler)";

/// A `multipart/form-data` body with the package as the `uploadfile` field:
/// `(content type, body)`.
fn multipart(package: &[u8]) -> (String, Vec<u8>) {
    let mut boundary = format!("kfops-{}", uuid::Uuid::new_v4().simple());
    while package
        .windows(boundary.len())
        .any(|w| w == boundary.as_bytes())
    {
        boundary = format!("kfops-{}", uuid::Uuid::new_v4().simple());
    }
    let mut body = Vec::with_capacity(package.len() + 256);
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"uploadfile\"; filename=\"pipeline.yaml\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(package);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
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

/// The start of a body, on one line, for messages.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.is_empty() {
        return "(empty body)".to_owned();
    }
    let mut cut: String = line.chars().take(200).collect();
    if cut.len() < line.len() {
        cut.push('…');
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_multipart_body_carries_the_package_as_uploadfile() {
        let (content_type, body) = multipart(b"pipelineInfo: {name: x}\n");
        let boundary = content_type
            .strip_prefix("multipart/form-data; boundary=")
            .unwrap_or_else(|| panic!("{content_type}"));
        let text = String::from_utf8_lossy(&body);
        assert!(text.starts_with(&format!("--{boundary}\r\n")), "{text}");
        assert!(text.contains("name=\"uploadfile\"; filename=\"pipeline.yaml\""));
        assert!(text.contains("\r\n\r\npipelineInfo: {name: x}\n\r\n"));
        assert!(text.ends_with(&format!("\r\n--{boundary}--\r\n")));
    }

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
