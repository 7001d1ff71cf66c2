//! The request log: every request the simulator answered, for tests and `kfops sim` output.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

/// At most this many requests are kept (the oldest go first), so a long `kfops demo` stays small.
const KEEP: usize = 50_000;
/// Request bodies above this size are refused (simulated uploads are small).
const MAX_BODY: usize = 32 * 1024 * 1024;
/// At most this much of a request body is kept in the log.
const KEEP_BODY: usize = 64 * 1024;

/// One request the simulator answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// When the request arrived.
    pub time: DateTime<Utc>,
    pub method: Method,
    /// The full path, e.g. `/github/repos/acme-ml/churn-model/pulls`.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: Option<String>,
    /// The status the simulator answered with.
    pub status: StatusCode,
    /// The request body (lossy UTF-8, first 64 KiB) of requests other than GET/HEAD.
    pub body: Option<String>,
    /// A fingerprint of the `Authorization` header ([`credential_fingerprint`]), never the
    /// header itself: tests compare it with the fingerprint of the credential they expect.
    pub credential: Option<u64>,
}

/// The fingerprint the log keeps of an `Authorization` header value (e.g. `Bearer abc`): a
/// hash, so no secret is stored in the log.
pub fn credential_fingerprint(authorization: &[u8]) -> u64 {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut hasher = DefaultHasher::new();
    authorization.hash(&mut hasher);
    hasher.finish()
}

/// The shared, bounded list of recorded requests.
#[derive(Debug, Clone, Default)]
pub struct RequestLog {
    entries: Arc<Mutex<VecDeque<RecordedRequest>>>,
}

impl RequestLog {
    /// A copy of the recorded requests, oldest first.
    pub fn snapshot(&self) -> Vec<RecordedRequest> {
        self.lock().iter().cloned().collect()
    }

    /// Forgets every recorded request.
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn push(&self, entry: RecordedRequest) {
        let mut entries = self.lock();
        if entries.len() >= KEEP {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<RecordedRequest>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Middleware recording each request and the status it got.
pub async fn record(State(log): State<RequestLog>, req: Request, next: Next) -> Response {
    let time = Utc::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let credential = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .map(|v| credential_fingerprint(v.as_bytes()));
    let (req, body) = if method == Method::GET || method == Method::HEAD {
        (req, None)
    } else {
        let (parts, body) = req.into_parts();
        match axum::body::to_bytes(body, MAX_BODY).await {
            Ok(bytes) => {
                let kept =
                    String::from_utf8_lossy(&bytes[..bytes.len().min(KEEP_BODY)]).into_owned();
                (Request::from_parts(parts, Body::from(bytes)), Some(kept))
            }
            Err(_) => {
                let response = StatusCode::PAYLOAD_TOO_LARGE.into_response();
                log.push(RecordedRequest {
                    time,
                    method,
                    path,
                    query,
                    status: response.status(),
                    body: None,
                    credential,
                });
                return response;
            }
        }
    };
    let response = next.run(req).await;
    log.push(RecordedRequest {
        time,
        method,
        path,
        query,
        status: response.status(),
        body,
        credential,
    });
    response
}
