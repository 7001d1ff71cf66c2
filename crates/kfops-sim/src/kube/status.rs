//! Errors as the API server sends them (a `metav1.Status` body), JSON responses, and the
//! query parameters of a request, parsed the way the API server parses them.

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::stream;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Status, StatusCause, StatusDetails};
use serde::Serialize;
use tokio::sync::mpsc;

/// An error response: an HTTP status and the `Status` object describing it (boxed: errors
/// are rare, results are everywhere).
#[derive(Debug, Clone, PartialEq)]
pub struct KubeError {
    pub code: StatusCode,
    pub status: Box<Status>,
}

impl KubeError {
    fn new(
        code: StatusCode,
        reason: &str,
        message: String,
        details: Option<StatusDetails>,
    ) -> Self {
        KubeError {
            code,
            status: Box::new(Status {
                code: Some(i32::from(code.as_u16())),
                details,
                message: Some(message),
                metadata: Default::default(),
                reason: Some(reason.to_owned()),
                status: Some("Failure".to_owned()),
            }),
        }
    }

    fn details(resource: &str, name: &str) -> Option<StatusDetails> {
        Some(StatusDetails {
            name: Some(name.to_owned()),
            kind: Some(resource.to_owned()),
            ..Default::default()
        })
    }

    /// 404 `pods "x" not found` (`resource` is the plural, e.g. `pods`, `namespaces`).
    pub fn not_found(resource: &str, name: &str) -> Self {
        let message = format!("{resource} \"{name}\" not found");
        Self::new(
            StatusCode::NOT_FOUND,
            "NotFound",
            message,
            Self::details(resource, name),
        )
    }

    /// 409 `pods "x" already exists`.
    pub fn already_exists(resource: &str, name: &str) -> Self {
        let message = format!("{resource} \"{name}\" already exists");
        Self::new(
            StatusCode::CONFLICT,
            "AlreadyExists",
            message,
            Self::details(resource, name),
        )
    }

    /// 409 `Conflict` on an update whose `metadata.resourceVersion` is stale: the message of
    /// apimachinery's `errors.NewConflict` with the storage's `OptimisticLockErrorMsg`
    /// (kubernetes/kubernetes `staging/src/k8s.io/apimachinery/pkg/api/errors/errors.go`,
    /// `staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go`).
    pub fn conflict(resource: &str, name: &str) -> Self {
        Self::conflict_because(
            resource,
            name,
            "the object has been modified; please apply your changes to the latest version and \
             try again",
        )
    }

    /// 409 `Conflict`: `Operation cannot be fulfilled on {resource} "{name}": {why}`.
    pub fn conflict_because(resource: &str, name: &str, why: &str) -> Self {
        let message = format!("Operation cannot be fulfilled on {resource} \"{name}\": {why}");
        Self::new(
            StatusCode::CONFLICT,
            "Conflict",
            message,
            Self::details(resource, name),
        )
    }

    /// 400 with a message (bad parameters, log requests the kubelet refuses, ...).
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BadRequest", message.into(), None)
    }

    /// 422 `Pod "x" is invalid: field: Required value`, one cause per field error.
    pub fn invalid(kind: &str, name: &str, causes: Vec<FieldError>) -> Self {
        let listed: Vec<String> = causes
            .iter()
            .map(|c| format!("{}: {}", c.field, c.message))
            .collect();
        let joined = match listed.as_slice() {
            [one] => one.clone(),
            many => format!("[{}]", many.join(", ")),
        };
        let message = format!("{kind} \"{name}\" is invalid: {joined}");
        let details = StatusDetails {
            name: Some(name.to_owned()),
            kind: Some(kind.to_owned()),
            causes: Some(
                causes
                    .into_iter()
                    .map(|c| StatusCause {
                        field: Some(c.field),
                        message: Some(c.message),
                        reason: Some(c.reason.to_owned()),
                    })
                    .collect(),
            ),
            ..Default::default()
        };
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid",
            message,
            Some(details),
        )
    }

    /// 410 `Expired` (a watch from a resourceVersion that left the event window).
    pub fn expired(message: impl Into<String>) -> Self {
        Self::new(StatusCode::GONE, "Expired", message.into(), None)
    }

    /// 405 for a method the resource does not support.
    pub fn service_unavailable(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            message.into(),
            None,
        )
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource".to_owned(),
            Some(StatusDetails::default()),
        )
    }

    /// 415 unless the request body is JSON (or says nothing of its type).
    pub fn require_json(headers: &HeaderMap) -> Result<(), Self> {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let media = content_type.split(';').next().unwrap_or_default().trim();
        if !media.is_empty() && media != "application/json" {
            return Err(KubeError::unsupported_media_type(content_type));
        }
        Ok(())
    }

    /// 415 for a body that is not JSON.
    pub fn unsupported_media_type(content_type: &str) -> Self {
        Self::unsupported(content_type, "application/json, application/yaml")
    }

    /// 415 for a PATCH body of a type the API server does not patch with.
    pub fn unsupported_patch_type(content_type: &str) -> Self {
        Self::unsupported(
            content_type,
            "application/json-patch+json, application/merge-patch+json, \
             application/apply-patch+yaml",
        )
    }

    fn unsupported(content_type: &str, accepted: &str) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            format!("the body of the request was in an unknown format - accepted media types include: {accepted} (got {content_type:?})"),
            None,
        )
    }
}

/// One field error of a 422 Invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// JSON path of the field, e.g. `spec.containers[0].image`.
    pub field: String,
    /// `FieldValueRequired`, `FieldValueInvalid`, ...
    pub reason: &'static str,
    /// `Required value`, `Invalid value: "X": ...`.
    pub message: String,
}

impl FieldError {
    /// `field: Required value`.
    pub fn required(field: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            reason: "FieldValueRequired",
            message: "Required value".to_owned(),
        }
    }

    /// `field: Invalid value: "value": why`.
    pub fn invalid(field: impl Into<String>, value: &str, why: &str) -> Self {
        FieldError {
            field: field.into(),
            reason: "FieldValueInvalid",
            message: format!("Invalid value: \"{value}\": {why}"),
        }
    }
}

impl IntoResponse for KubeError {
    fn into_response(self) -> Response {
        json(self.code, &*self.status)
    }
}

/// A JSON response with the API server's content type.
pub fn json(code: StatusCode, body: &impl Serialize) -> Response {
    json_as(code, body, "application/json")
}

/// A JSON response with a given content type (e.g. a Table's).
pub fn json_as(code: StatusCode, body: &impl Serialize, content_type: &'static str) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            let mut response = (code, bytes).into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            response
        }
        Err(err) => (StatusCode::INTERNAL_SERVER_ERROR, err.to_string()).into_response(),
    }
}

/// A 200 response whose body is whatever is sent on the returned channel, chunk by chunk
/// (watches, followed logs). The sender's `closed()` tells when the client went away.
pub fn streaming(content_type: &'static str) -> (mpsc::Sender<Bytes>, Response) {
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    let body = stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, Infallible>(b), rx))
    });
    let mut response = Response::new(Body::from_stream(body));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    (tx, response)
}

/// The query parameters of a request, in order, plus its `Accept` header.
#[derive(Debug, Clone, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
    /// The `Accept` header (empty when absent).
    pub accept: String,
}

impl Params {
    /// The first value of a parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A boolean parameter as Go's `strconv.ParseBool` reads it; absent or empty is `false`.
    pub fn flag(&self, name: &str) -> Result<bool, KubeError> {
        match self.get(name) {
            None | Some("") => Ok(false),
            Some("1" | "t" | "T" | "true" | "TRUE" | "True") => Ok(true),
            Some("0" | "f" | "F" | "false" | "FALSE" | "False") => Ok(false),
            Some(other) => Err(KubeError::bad_request(format!(
                "strconv.ParseBool: parsing {other:?}: invalid syntax"
            ))),
        }
    }

    /// An integer parameter; absent or empty is `None`.
    pub fn int(&self, name: &str) -> Result<Option<i64>, KubeError> {
        match self.get(name) {
            None | Some("") => Ok(None),
            Some(text) => text.parse().map(Some).map_err(|_| {
                KubeError::bad_request(format!(
                    "strconv.ParseInt: parsing {text:?}: invalid syntax"
                ))
            }),
        }
    }

    /// Whether the client asked for a `meta.k8s.io` Table (what `kubectl get` prints).
    pub fn wants_table(&self) -> bool {
        self.accept.split(',').any(|part| {
            let mut params = part.split(';').skip(1).map(str::trim);
            params.any(|p| p == "as=Table")
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let pairs = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map(|q| q.0)
            .unwrap_or_default();
        let accept = parts
            .headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        Ok(Params { pairs, accept })
    }
}
