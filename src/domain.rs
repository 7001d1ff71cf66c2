//! Kfops domain types shared by the backends, the engine and the console.

use chrono::{DateTime, Utc};

/// The label Kfops puts on the PR whose model runs in production.
pub const LABEL_PRODUCTION: &str = "Deployed-to-production";
/// The label Kfops puts on the PR whose model runs in staging.
pub const LABEL_STAGING: &str = "Deployed-to-staging";

/// An open pull request of the model repository, with what Kfops knows about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    pub number: u64,
    pub title: String,
    pub author: String,
    pub head_ref: String,
    pub head_sha: String,
    pub base_ref: String,
    /// Commits on the base branch that the head lacks (`compare base...head`).
    pub behind_by: Option<u64>,
    /// Commits on the head that the base lacks.
    pub ahead_by: Option<u64>,
    /// GitHub's `mergeable`: `None` while GitHub is still computing it.
    pub mergeable: Option<bool>,
    /// GitHub's `mergeable_state` (`clean`, `behind`, `dirty`, `blocked`, ...).
    pub mergeable_state: Option<String>,
    pub labels: Vec<String>,
    pub updated_at: DateTime<Utc>,
    /// The last `KFOPS_VERSION_ID` posted in the PR's comments.
    pub last_version_id: Option<String>,
    /// The last `KFOPS_RUN_ID` posted in the PR's comments.
    pub last_run_id: Option<String>,
}

impl PullRequest {
    /// Whether the PR carries the production or staging deployment label.
    pub fn deployed_labels(&self) -> impl Iterator<Item = &str> {
        self.labels
            .iter()
            .map(String::as_str)
            .filter(|l| *l == LABEL_PRODUCTION || *l == LABEL_STAGING)
    }
}
