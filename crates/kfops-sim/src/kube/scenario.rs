//! `[kube]` of a scenario: the simulated cluster's namespaces, the speed of its clock, and
//! the faults it injects (log streams cut mid-body, containers that crash and restart).

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
    /// How many pod log responses (followed or not) to cut mid-body in total, like a dropped
    /// connection (0: none). See `faults.rs`.
    pub log_cuts: u32,
    /// The smallest number of body bytes a cut response sends before it breaks.
    pub log_cut_min_bytes: usize,
    /// The largest number of body bytes a cut response sends before it breaks.
    pub log_cut_max_bytes: usize,
    /// Seed of the fault injector's random numbers (the same seed cuts at the same points).
    pub fault_seed: u64,
    /// Image names (last path segment of a container's image, without tag or digest) whose
    /// container crashes (exit code 1) after `crash_after_lines` lines. With restartPolicy
    /// OnFailure or Always it is restarted; see `restarts.rs`.
    pub crash_images: Vec<String>,
    /// Lines a crashing container prints in each instance before it crashes.
    pub crash_after_lines: usize,
    /// How many times a crashing container crashes; its next instance runs to the end.
    pub crash_restarts: u32,
    /// Milliseconds between a crash and the container's restart (the kubelet's back-off).
    pub restart_delay_ms: u64,
    /// What the simulated RBAC refuses: a `SelfSubjectAccessReview` matching one of these
    /// answers `allowed: false`; everything else is allowed. See `access.rs`.
    pub denied: Vec<DeniedAccess>,
    /// Secrets that exist (`GET .../secrets/{name}`; build pods' `secretKeyRef`s resolve
    /// against them). See `secrets.rs`.
    pub secrets: Vec<SecretScenario>,
}

/// One Secret, e.g. `{ namespace = "kfops", name = "git-credentials", data = { username =
/// "bot", password = "..." } }`; values are plain text here, base64 on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretScenario {
    pub namespace: String,
    pub name: String,
    #[serde(default)]
    pub data: std::collections::BTreeMap<String, String>,
}

/// One refused permission, e.g. `{ verb = "create", resource = "pods", namespace = "kfops" }`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeniedAccess {
    /// `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, or `*` for every verb.
    pub verb: String,
    /// The plural resource, e.g. `pods`, `inferenceservices`; `pods/log` names a subresource.
    pub resource: String,
    /// The namespace; absent: every namespace.
    #[serde(default)]
    pub namespace: Option<String>,
    /// The API group (`""` for the core group, `serving.kserve.io`); absent: any group.
    #[serde(default)]
    pub group: Option<String>,
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
            log_cuts: 0,
            log_cut_min_bytes: 1,
            log_cut_max_bytes: 8192,
            fault_seed: 0,
            crash_images: Vec::new(),
            crash_after_lines: 20,
            crash_restarts: 1,
            restart_delay_ms: 200,
            denied: Vec::new(),
            secrets: Vec::new(),
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
        if self.log_cut_min_bytes > self.log_cut_max_bytes {
            return Some(format!(
                "kube.log_cut_min_bytes ({}) is above kube.log_cut_max_bytes ({}); \
                 the cut point is drawn between the two",
                self.log_cut_min_bytes, self.log_cut_max_bytes
            ));
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
