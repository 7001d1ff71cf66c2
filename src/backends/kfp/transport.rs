//! How a request reaches the KFP API and how its answer is read: the two transports (direct
//! HTTP(S) or the Kubernetes service proxy) sending the same bytes, the shared retry policy
//! for reads, paging, and the errors with the server's message and a hint.

use chrono::Utc;
use http::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::super::error::flatten;
use super::super::error::{hint_for_status, BackendError, Service, Throttle};
use super::super::retry::{Idempotency, RetryPolicy};
use super::{encode, Kfp};
use crate::config::Secret;

/// A list longer than this many pages is treated as a server that never stops paging.
const MAX_PAGES: usize = 1000;
#[derive(Clone)]
pub(super) enum Transport {
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

/// What a request carries.
#[derive(Clone)]
pub(super) enum Body {
    Empty,
    /// A package, sent as the `uploadfile` field of a multipart form.
    Package(Vec<u8>),
    /// A JSON message.
    Json(Value),
}

/// One HTTP answer, read whole.
pub(super) struct Answer {
    status: u16,
    body: Vec<u8>,
    /// `Retry-After` and rate-limit headers.
    throttle: Throttle,
}

/// What an operation adds to the usual hints, by status.
pub(super) type Hints = fn(u16) -> Option<&'static str>;

pub(super) fn no_hints(_: u16) -> Option<&'static str> {
    None
}

/// A list answer of the KFP API: one page of items and the token of the next page (empty on
/// the last).
pub(super) trait Page: DeserializeOwned {
    type Item;
    fn into_parts(self) -> (Vec<Self::Item>, String);
}

/// A single KFP object (`v2beta1Pipeline`, `…PipelineVersion`, `…Run`, `…Experiment`).
pub(super) trait KfpObject: DeserializeOwned {
    /// The name and value of its ID field.
    fn id(&self) -> (&'static str, &str);
}

impl Kfp {
    /// Follows `next_page_token` from `base` (a path with its query), handing each page's
    /// `items` to `take` until the last page or until `take` has enough (returns `true`). A
    /// token given twice in a row, or more than [`MAX_PAGES`] pages, is an error.
    pub(super) async fn pages<P: Page>(
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

    /// Sends a request and decodes a 2xx JSON answer; anything else becomes a
    /// [`BackendError`] with the server's message and a hint. GETs are retried under the
    /// shared policy ([`super::super::retry`]); other methods are sent once.
    pub(super) async fn json<T: DeserializeOwned>(
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
    pub(super) async fn json_once<T: DeserializeOwned>(
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
    pub(super) async fn object<T: KfpObject>(
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
    pub(super) fn not_kfp_hint(&self) -> &'static str {
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
    pub(super) async fn send(
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
    pub(super) fn failure(&self, what: &str, answer: &Answer, hints: Hints) -> BackendError {
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
}
