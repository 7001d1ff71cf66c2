//! One error type for every backend, written for the operator: what failed and what to do.

use std::fmt;

pub use super::retry::Throttle;

/// Which service a failure came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    GitHub,
    Kubernetes,
    Kfp,
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Service::GitHub => "GitHub",
            Service::Kubernetes => "Kubernetes",
            Service::Kfp => "KFP",
        })
    }
}

/// A failed call to a backend, with a short operator-facing message and a hint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{service}: {what}: {message}{}", hint.as_ref().map(|h| format!(" ({h})")).unwrap_or_default())]
pub struct BackendError {
    pub service: Service,
    /// The operation that failed, e.g. `list pull requests`.
    pub what: String,
    /// HTTP status when the server answered.
    pub status: Option<u16>,
    pub message: String,
    /// What the operator can do about it.
    pub hint: Option<String>,
    /// When the server said to come back (`Retry-After`, GitHub's rate-limit reset).
    pub throttle: Throttle,
    /// The request got no HTTP answer (connection refused or dropped, timeout).
    pub transport: bool,
}

impl BackendError {
    pub fn new(service: Service, what: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            service,
            what: what.into(),
            status: None,
            message: message.into(),
            hint: None,
            throttle: Throttle::default(),
            transport: false,
        }
    }

    /// Marks a failure without an HTTP answer (retried for reads).
    pub fn transport(mut self) -> Self {
        self.transport = true;
        self
    }

    pub fn with_throttle(mut self, throttle: Throttle) -> Self {
        self.throttle = throttle;
        self
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// The usual hint for an HTTP status from any of the services.
pub fn hint_for_status(service: Service, status: u16) -> Option<String> {
    let hint = match (service, status) {
        (Service::GitHub, 401) => "check GITHUB_TOKEN / GH_TOKEN or [github] token_env",
        (Service::GitHub, 403) => "the token lacks the `repo` scope or the rate limit is exhausted",
        (Service::GitHub, 404) => {
            "check [repository] owner/name and that the token can see the repository"
        }
        (_, 401) | (_, 403) => "check the credentials and RBAC of the kube context",
        (_, 404) => "check the names in the config",
        (_, 429) => "rate limited by the server",
        (_, s) if s >= 500 => "the server failed; reads are retried, and again on the next refresh",
        _ => return None,
    };
    Some(hint.to_string())
}

/// An error and its sources on one line (the first line of each; no backtraces).
pub fn flatten(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    if let Some(pos) = out.find('\n') {
        out.truncate(pos);
    }
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        let text = text.lines().next().unwrap_or_default();
        if !out.contains(text) {
            out.push_str(": ");
            out.push_str(text);
        }
        source = s.source();
    }
    out
}
