//! `[kube]` of a scenario: the simulated cluster's namespaces and the speed of its clock.

use serde::Deserialize;

/// What the simulated Kubernetes API server holds and how fast its pods run.
///
/// Every field has a default, so a scenario may leave out `[kube]` or any key of it. Tests set
/// tiny delays (a few ms); `kfops demo` uses ones a human can watch.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KubeScenario {
    /// Namespaces that exist (pods can only be created in these).
    pub namespaces: Vec<String>,
    /// Milliseconds from a pod's creation to its scheduling; it runs half that later.
    pub pod_start_ms: u64,
    /// Milliseconds between two lines of Kaniko output (and of the generic program).
    pub kaniko_line_ms: u64,
    /// Image names (last path segment of a destination, without tag) whose build fails.
    pub fail_images: Vec<String>,
    /// Multiplier for the number of output lines of `RUN` steps (1.0: a plausible amount).
    pub log_lines_scale: f64,
    /// Watch events kept for resuming a watch; older resourceVersions get 410 Gone.
    pub watch_window: usize,
    /// Milliseconds between two BOOKMARK events of a watch that asked for them.
    pub bookmark_ms: u64,
}

impl Default for KubeScenario {
    fn default() -> Self {
        KubeScenario {
            namespaces: [
                "kfops",
                "kubeflow",
                "kubeflow-user-example-com",
                "production",
                "staging",
                "default",
            ]
            .map(str::to_owned)
            .to_vec(),
            pod_start_ms: 400,
            kaniko_line_ms: 60,
            fail_images: Vec::new(),
            log_lines_scale: 1.0,
            watch_window: 1000,
            bookmark_ms: 1000,
        }
    }
}

impl KubeScenario {
    /// Why the values cannot be used, if they cannot.
    pub fn problem(&self) -> Option<String> {
        for ns in &self.namespaces {
            if !is_dns_label(ns) {
                return Some(format!(
                    "kube.namespaces has `{ns}`; a namespace is a lowercase RFC 1123 label \
                     (a-z, 0-9 and '-', at most 63 characters)"
                ));
            }
        }
        if !(self.log_lines_scale.is_finite() && self.log_lines_scale >= 0.0) {
            return Some(format!(
                "kube.log_lines_scale is {}; use a number >= 0",
                self.log_lines_scale
            ));
        }
        if self.watch_window == 0 {
            return Some("kube.watch_window is 0; keep at least one event".to_owned());
        }
        if self.bookmark_ms == 0 {
            return Some("kube.bookmark_ms is 0; use at least 1".to_owned());
        }
        None
    }
}

/// An RFC 1123 label: what namespace names must be.
pub fn is_dns_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// An RFC 1123 subdomain: what pod names must be.
pub fn is_dns_subdomain(name: &str) -> bool {
    !name.is_empty() && name.len() <= 253 && name.split('.').all(is_dns_label)
}
