//! Fault rules: which requests a rule matches (service, method, path pattern) and what it
//! does to them. The same types are read from the scenario's `[faults]` table and from the
//! JSON of `POST /_sim/faults`.

use axum::http::Method;
use serde::{Deserialize, Serialize};

/// The simulated service a request is for, read from its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SimService {
    /// Everything under `/github`.
    Github,
    /// The Kubernetes API (everything not claimed by the others).
    Kube,
    /// `/apis/v2beta1/...` and the Kubernetes service proxy to it.
    Kfp,
    /// `/apis/serving.kserve.io/...`, the predictors under `/kserve` and `/ingress`, and the
    /// service proxy to revisions' `-private` services.
    Kserve,
}

impl SimService {
    /// The service a request path is for, and the path as that service sees it (GitHub's
    /// without its `/github` prefix). `None` for the simulator's own `/_sim` endpoints, which
    /// are never faulted.
    pub fn of_path(path: &str) -> Option<(SimService, &str)> {
        if path == "/_sim" || path.starts_with("/_sim/") {
            return None;
        }
        // GitHub's API under `/github`, or where GitHub Enterprise Server serves it (`/api/v3`).
        for prefix in ["/github", "/api/v3"] {
            if let Some(rest) = path.strip_prefix(prefix) {
                if rest.is_empty() || rest.starts_with('/') {
                    return Some((SimService::Github, if rest.is_empty() { "/" } else { rest }));
                }
            }
        }
        if is_service_proxy(path) && proxied_service(path).is_some_and(|s| s.ends_with("-private"))
        {
            // A Knative revision's private service (the KServe simulator answers it).
            return Some((SimService::Kserve, path));
        }
        if path.starts_with("/apis/v2beta1/") || is_service_proxy(path) {
            return Some((SimService::Kfp, path));
        }
        if path.starts_with("/apis/serving.kserve.io/")
            || path.starts_with("/kserve/")
            || path.starts_with("/ingress/")
        {
            return Some((SimService::Kserve, path));
        }
        Some((SimService::Kube, path))
    }

    /// The name used in rules and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            SimService::Github => "github",
            SimService::Kube => "kube",
            SimService::Kfp => "kfp",
            SimService::Kserve => "kserve",
        }
    }
}

/// `/api/v1/namespaces/{ns}/services/{svc}/proxy[/...]`.
fn is_service_proxy(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    matches!(
        parts.as_slice(),
        ["", "api", "v1", "namespaces", _, "services", _, "proxy", ..]
    )
}

/// The service name of a service-proxy path (without scheme and port).
fn proxied_service(path: &str) -> Option<&str> {
    let service = path.split('/').nth(6)?;
    let pieces: Vec<&str> = service.split(':').collect();
    match pieces.as_slice() {
        [scheme, name, _] if !scheme.is_empty() => Some(name),
        [name, ..] => Some(name),
        [] => None,
    }
}

/// One fault rule: which requests, how many of them, and what happens to them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    pub service: SimService,
    /// HTTP method (`GET`, `PUT`, ...); absent: any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Path as the service sees it (GitHub's without `/github`): a prefix, or with `*` (any
    /// characters but `/`) or `**` (anything), a glob matching the whole path. Absent: any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Text the raw query string must contain (e.g. `watch=true`); absent: any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// How many matching requests get the fault; absent: all of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
    pub fault: Fault,
}

/// What a rule does to a matching request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// Answer with this status and the service's error body (GitHub `{message,
    /// documentation_url}`, Kubernetes `Status`, KFP `googleRpcStatus`): 5xx bursts, a merge's
    /// 405/409.
    Status {
        status: u16,
        /// The body's message (default: the usual one for the status).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    /// A rate limit: 429 (default) or 403 with `Retry-After` and, on GitHub, the
    /// `x-ratelimit-*` headers.
    RateLimit {
        #[serde(default = "too_many")]
        status: u16,
        /// `Retry-After` as sent: seconds (`"2"`) or an HTTP date; absent: not sent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<String>,
        /// GitHub's `x-ratelimit-remaining`.
        #[serde(default)]
        remaining: u64,
        /// GitHub's `x-ratelimit-limit`.
        #[serde(default = "github_limit")]
        limit: u64,
        /// `x-ratelimit-reset` is this many seconds after the request.
        #[serde(default = "one_minute")]
        reset_in_seconds: i64,
        /// GitHub's `x-ratelimit-resource`.
        #[serde(default = "core")]
        resource: String,
        /// A GitHub secondary rate limit (its message, no `x-ratelimit-remaining: 0` needed).
        #[serde(default)]
        secondary: bool,
    },
    /// Answer after a delay (the request is served normally).
    Delay { ms: u64 },
    /// For watches (`watch=true`) only: `initial = false` (default) answers 200 with one
    /// `ERROR` event carrying a 410 Expired `Status`, then ends; `initial = true` answers the
    /// watch request itself with 410 when it names a `resourceVersion` (as for an expired one).
    WatchGone {
        #[serde(default)]
        initial: bool,
    },
    /// Serve the request, but abort its body after `after_bytes` bytes (a dropped
    /// connection mid-stream).
    Drop {
        #[serde(default)]
        after_bytes: usize,
    },
    /// InferenceServices whose new revisions never become Ready (`ns/name`, `name` or a
    /// revision name; the `kserve.never_ready` knob). Matches no request.
    NeverReady { names: Vec<String> },
}

fn too_many() -> u16 {
    429
}

fn github_limit() -> u64 {
    5000
}

fn one_minute() -> i64 {
    60
}

fn core() -> String {
    "core".to_owned()
}

impl FaultRule {
    /// What is wrong with the rule, if anything (checked when it is added).
    pub fn problem(&self) -> Option<String> {
        if let Some(method) = &self.method {
            if Method::from_bytes(method.as_bytes()).is_err() {
                return Some(format!("method `{method}` is not an HTTP method"));
            }
        }
        if let Some(path) = &self.path {
            if !path.starts_with('/') {
                return Some(format!("path `{path}` must start with `/`"));
            }
        }
        match &self.fault {
            Fault::Status { status, .. } if !(400..=599).contains(status) => {
                Some(format!("status {status} is not an error status (400-599)"))
            }
            Fault::RateLimit { status, .. } if !matches!(status, 403 | 429) => {
                Some(format!("a rate limit answers 403 or 429, not {status}"))
            }
            Fault::RateLimit {
                retry_after: Some(value),
                ..
            } if !is_retry_after(value) => Some(format!(
                "retry_after `{value}` is neither seconds nor an HTTP date"
            )),
            Fault::NeverReady { .. } if self.service != SimService::Kserve => {
                Some("never_ready is a kserve fault".to_owned())
            }
            _ => None,
        }
    }

    /// Whether the rule applies to a request (ignoring how many times it has left).
    pub fn matches(&self, service: SimService, method: &Method, path: &str, query: &str) -> bool {
        if self.service != service {
            return false;
        }
        if let Some(m) = &self.method {
            if !m.eq_ignore_ascii_case(method.as_str()) {
                return false;
            }
        }
        if let Some(pattern) = &self.path {
            if !path_matches(pattern, path) {
                return false;
            }
        }
        if let Some(text) = &self.query {
            if !query.contains(text.as_str()) {
                return false;
            }
        }
        match &self.fault {
            Fault::NeverReady { .. } => false,
            Fault::WatchGone { initial } => {
                is_watch(query) && (!initial || resource_version(query).is_some())
            }
            _ => true,
        }
    }
}

/// `watch=true` or `watch=1` in a query string.
pub fn is_watch(query: &str) -> bool {
    query
        .split('&')
        .any(|kv| matches!(kv, "watch=true" | "watch=1"))
}

/// The `resourceVersion` a request names (not empty, not `0`).
pub fn resource_version(query: &str) -> Option<&str> {
    query
        .split('&')
        .filter_map(|kv| kv.strip_prefix("resourceVersion="))
        .find(|rv| !rv.is_empty() && *rv != "0")
}

/// A prefix (no `*`), or a glob over the whole path: `*` any characters but `/`, `**`
/// anything.
pub fn path_matches(pattern: &str, path: &str) -> bool {
    if !pattern.contains('*') {
        return path.starts_with(pattern);
    }
    glob(pattern.as_bytes(), path.as_bytes())
}

fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match pattern {
        [] => text.is_empty(),
        [b'*', b'*', rest @ ..] => (0..=text.len()).any(|i| glob(rest, &text[i..])),
        [b'*', rest @ ..] => {
            let segment = text.iter().position(|&b| b == b'/').unwrap_or(text.len());
            (0..=segment).any(|i| glob(rest, &text[i..]))
        }
        [p, rest @ ..] => text.first() == Some(p) && glob(rest, &text[1..]),
    }
}

/// Whether a `Retry-After` value is one a client can read (RFC 9110, section 10.2.3):
/// delay-seconds (`"2"`) or an HTTP date (IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`,
/// which RFC 2822 parsing reads).
fn is_retry_after(value: &str) -> bool {
    let value = value.trim();
    value.parse::<u64>().is_ok() || chrono::DateTime::parse_from_rfc2822(value).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_claimed_by_their_service() {
        let of = |p| SimService::of_path(p).map(|(s, p)| (s, p.to_owned()));
        assert_eq!(
            of("/github/repos/a/b/pulls"),
            Some((SimService::Github, "/repos/a/b/pulls".into()))
        );
        assert_eq!(
            of("/api/v3/repos/a/b/pulls"),
            Some((SimService::Github, "/repos/a/b/pulls".into()))
        );
        assert_eq!(of("/apis/v2beta1/runs").map(|x| x.0), Some(SimService::Kfp));
        assert_eq!(
            of("/api/v1/namespaces/kubeflow/services/ml-pipeline:8888/proxy/apis/v2beta1/runs")
                .map(|x| x.0),
            Some(SimService::Kfp)
        );
        assert_eq!(
            of("/apis/serving.kserve.io/v1beta1/namespaces/s/inferenceservices").map(|x| x.0),
            Some(SimService::Kserve)
        );
        assert_eq!(
            of("/api/v1/namespaces/k/pods").map(|x| x.0),
            Some(SimService::Kube)
        );
        assert_eq!(of("/_sim/faults"), None);
    }

    #[test]
    fn globs_and_prefixes() {
        assert!(path_matches("/repos", "/repos/a/b/pulls"));
        assert!(path_matches("/repos/*/*/pulls", "/repos/a/b/pulls"));
        assert!(!path_matches("/repos/*/*/pulls", "/repos/a/b/pulls/4"));
        assert!(path_matches(
            "/repos/*/*/pulls/*/merge",
            "/repos/a/b/pulls/41/merge"
        ));
        assert!(!path_matches("/repos/*/pulls", "/repos/a/b/pulls"));
        assert!(path_matches("/repos/**/merge", "/repos/a/b/pulls/41/merge"));
        assert!(path_matches("**", "/anything/at/all"));
    }

    #[test]
    fn watch_gone_matches_watches_only() {
        let rule = FaultRule {
            service: SimService::Kserve,
            method: None,
            path: None,
            query: None,
            times: None,
            fault: Fault::WatchGone { initial: true },
        };
        let get = Method::GET;
        let p = "/apis/serving.kserve.io/v1beta1/namespaces/s/inferenceservices";
        assert!(!rule.matches(SimService::Kserve, &get, p, ""));
        assert!(!rule.matches(SimService::Kserve, &get, p, "watch=true&resourceVersion=0"));
        assert!(rule.matches(SimService::Kserve, &get, p, "watch=true&resourceVersion=12"));
    }

    #[test]
    fn rules_read_from_toml_refuse_unknown_fields() {
        let ok: Result<FaultRule, _> = toml::from_str(
            "service = \"github\"\ntimes = 2\nfault = { kind = \"status\", status = 503 }",
        );
        assert_eq!(
            ok.map(|r| r.fault).ok(),
            Some(Fault::Status {
                status: 503,
                message: None
            })
        );
        let typo: Result<FaultRule, _> =
            toml::from_str("service = \"github\"\nfault = { kind = \"status\", stauts = 503 }");
        assert!(typo.is_err());
        let typo: Result<FaultRule, _> = toml::from_str(
            "service = \"github\"\ntime = 1\nfault = { kind = \"status\", status = 503 }",
        );
        assert!(typo.is_err());
    }

    #[test]
    fn retry_after_is_seconds_or_an_http_date() {
        assert!(is_retry_after("2"));
        assert!(is_retry_after(" 120 "));
        assert!(is_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"));
        assert!(!is_retry_after("soon"));
        assert!(!is_retry_after("-1"));
        assert!(!is_retry_after("1994-11-06T08:49:37Z"));
        let rule = |retry_after: &str| FaultRule {
            service: SimService::Github,
            method: None,
            path: None,
            query: None,
            times: None,
            fault: Fault::RateLimit {
                status: 429,
                retry_after: Some(retry_after.to_owned()),
                remaining: 0,
                limit: 5000,
                reset_in_seconds: 60,
                resource: "core".to_owned(),
                secondary: false,
            },
        };
        assert_eq!(rule("Sun, 06 Nov 1994 08:49:37 GMT").problem(), None);
        assert!(rule("tomorrow").problem().is_some());
    }
}
