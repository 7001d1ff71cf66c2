//! HTTP plumbing shared by the GitHub handlers: the error bodies GitHub sends, JSON responses,
//! the request facts handlers need (host, path, query) and page-number pagination.

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::state::GithubState;

/// Documentation URL GitHub puts in errors that are not tied to one operation.
pub const DOCS: &str = "https://docs.github.com/rest";

/// An error response with GitHub's body (`basic-error` or `validation-error`).
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: Value,
}

impl ApiError {
    /// 404 `{"message":"Not Found",...}`.
    pub fn not_found(documentation_url: &str) -> ApiError {
        ApiError::message(StatusCode::NOT_FOUND, "Not Found", documentation_url)
    }

    /// An error with a message and no field details.
    pub fn message(status: StatusCode, message: &str, documentation_url: &str) -> ApiError {
        ApiError {
            status,
            body: json!({
                "message": message,
                "documentation_url": documentation_url,
                "status": status.as_str(),
            }),
        }
    }

    /// 422 `Validation Failed` with one error entry.
    pub fn invalid_field(resource: &str, field: &str, code: &str, documentation_url: &str) -> Self {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            body: json!({
                "message": "Validation Failed",
                "errors": [{"resource": resource, "field": field, "code": code}],
                "documentation_url": documentation_url,
                "status": "422",
            }),
        }
    }

    /// 401 for a token that does not match the scenario's.
    pub fn bad_credentials() -> ApiError {
        ApiError::message(StatusCode::UNAUTHORIZED, "Bad credentials", DOCS)
    }

    /// 422 for a body that fails the operation's JSON schema, as GitHub words it:
    /// `Invalid request.\n\n{detail}`.
    pub fn invalid_request(detail: &str, documentation_url: &str) -> ApiError {
        ApiError::message(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("Invalid request.\n\n{detail}"),
            documentation_url,
        )
    }
}

/// A request body as JSON: an empty body is `null`; unparseable JSON is GitHub's 400.
pub fn json_body(raw: &[u8], documentation_url: &str) -> Result<Value, ApiError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(raw).map_err(|_| {
        ApiError::message(
            StatusCode::BAD_REQUEST,
            "Problems parsing JSON",
            documentation_url,
        )
    })
}

/// A bodiless 204.
pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// The number of the pull request `/issues/{n}` or `/pulls/{n}` names, if the repository
/// and the PR exist (404 with `doc` otherwise).
pub fn find_pull(
    s: &GithubState,
    owner: &str,
    repo: &str,
    number: &str,
    doc: &str,
) -> Result<u64, ApiError> {
    if !s.is_repo(owner, repo) {
        return Err(ApiError::not_found(DOCS));
    }
    number
        .parse::<u64>()
        .ok()
        .filter(|n| s.pulls.contains_key(n))
        .ok_or_else(|| ApiError::not_found(doc))
}

/// 404 unless `owner/repo` is the simulated repository.
pub fn check_repo(s: &GithubState, owner: &str, repo: &str) -> Result<(), ApiError> {
    if s.is_repo(owner, repo) {
        Ok(())
    } else {
        Err(ApiError::not_found(DOCS))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        json_response(self.status, &self.body)
    }
}

/// A JSON response with GitHub's content type.
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// 201 with what a request created and its `Location` (the object's `url`).
pub fn created(value: &Value) -> Response {
    let mut response = json_response(StatusCode::CREATED, value);
    if let Some(location) = value
        .get("url")
        .and_then(Value::as_str)
        .and_then(|u| HeaderValue::from_str(u).ok())
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// What a handler needs to know about the request beyond its path parameters.
#[derive(Debug, Clone)]
pub struct Req {
    /// `http://HOST` as the client reached us.
    pub origin: String,
    /// The full request path (with the `/github` prefix).
    pub path: String,
    /// Decoded query pairs, in order.
    pub query: Vec<(String, String)>,
}

impl Req {
    /// The API root the client used, e.g. `http://127.0.0.1:PORT/github`, or
    /// `http://HOST/api/v3` as GitHub Enterprise Server's API root: the URLs in an answer
    /// (`url`, `html_url`'s API siblings, `Link` pages) name the root the request came
    /// through, as each GitHub installation names its own
    /// (https://docs.github.com/en/enterprise-server@latest/rest/quickstart: "`http(s)://HOSTNAME/api/v3`").
    pub fn api(&self) -> String {
        let root = if self.path == "/api/v3" || self.path.starts_with("/api/v3/") {
            "/api/v3"
        } else {
            "/github"
        };
        format!("{}{root}", self.origin)
    }

    /// The first value of a query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// This request's URL with `page` set to `page` (for `Link` headers).
    fn url_for_page(&self, page: usize) -> String {
        let mut pairs: Vec<String> = self
            .query
            .iter()
            .filter(|(k, _)| k != "page")
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        pairs.push(format!("page={page}"));
        format!("{}{}?{}", self.origin, self.path, pairs.join("&"))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Req {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let host = parts
            .uri
            .authority()
            .map(|a| a.as_str().to_owned())
            .or_else(|| {
                parts
                    .headers
                    .get(header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| "localhost".to_owned());
        // Nested routers see a stripped URI; the original one keeps `/github`.
        let path = parts
            .extensions
            .get::<axum::extract::OriginalUri>()
            .map(|o| o.0.path().to_owned())
            .unwrap_or_else(|| parts.uri.path().to_owned());
        let query = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map(|q| q.0)
            .unwrap_or_default();
        Ok(Req {
            origin: format!("http://{host}"),
            path,
            query,
        })
    }
}

/// One page of a list plus the `Link` header that goes with it.
pub struct Page<T> {
    pub items: Vec<T>,
    pub link: Option<String>,
}

impl<T> Page<T> {
    /// The page as a JSON response with its `Link` header.
    pub fn into_response(self, render: impl Fn(&T) -> Value) -> Response {
        let body = Value::Array(self.items.iter().map(render).collect());
        let mut response = json_response(StatusCode::OK, &body);
        if let Some(link) = self.link.and_then(|l| HeaderValue::from_str(&l).ok()) {
            response.headers_mut().insert(header::LINK, link);
        }
        response
    }
}

/// Slices `items` by the request's `per_page` (default `default_per_page`, at most 100)
/// and `page` (from 1), and builds GitHub's `Link` header (`prev`, `next`, `last`, `first`).
pub fn paginate<T>(items: Vec<T>, req: &Req, default_per_page: usize) -> Page<T> {
    let per_page = match req.param("per_page").and_then(|v| v.parse::<usize>().ok()) {
        Some(0) | None => default_per_page,
        Some(n) => n.min(100),
    };
    let page = req
        .param("page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let total = items.len();
    let last = total.div_ceil(per_page).max(1);
    let items: Vec<T> = items
        .into_iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .collect();
    let mut rels = Vec::new();
    if page > 1 {
        rels.push((page.min(last + 1) - 1, "prev"));
    }
    if page < last {
        rels.push((page + 1, "next"));
        rels.push((last, "last"));
    }
    if page > 1 {
        rels.push((1, "first"));
    }
    let link = (!rels.is_empty()).then(|| {
        rels.iter()
            .map(|(p, rel)| format!("<{}>; rel=\"{rel}\"", req.url_for_page(*p)))
            .collect::<Vec<_>>()
            .join(", ")
    });
    Page { items, link }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn encode(text: &str) -> String {
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

/// Percent-encodes a path, keeping its `/` separators.
pub fn encode_path(path: &str) -> String {
    path.split('/').map(encode).collect::<Vec<_>>().join("/")
}
