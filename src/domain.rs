//! Kfops domain types shared by the backends, the engine and the console.

use chrono::{DateTime, Utc};

/// The label Kfops puts on the PR whose model runs in production.
pub const LABEL_PRODUCTION: &str = "Deployed-to-production";
/// The label Kfops puts on the PR whose model runs in staging.
pub const LABEL_STAGING: &str = "Deployed-to-staging";

/// An open pull request of the model repository, with what Kfops knows about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    /// Which of the console's projects (`[[projects]]` index; 0 with a single repository) the
    /// PR belongs to: a PR is known by (project, number).
    pub project: usize,
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

/// Labels kfops-console puts on the Kaniko build pods it creates, so a PR's builds (current
/// and earlier) can be found again with a label selector.
pub mod build_labels {
    /// `app.kubernetes.io/managed-by=kfops`
    pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
    pub const MANAGED_BY_VALUE: &str = "kfops";
    /// `app.kubernetes.io/component=image-build`
    pub const COMPONENT: &str = "app.kubernetes.io/component";
    pub const COMPONENT_BUILD: &str = "image-build";
    /// The PR number.
    pub const PR: &str = "kfops.io/pr";
    /// The image name from `[[image_builder.images]]`.
    pub const IMAGE: &str = "kfops.io/image";
    /// The KFP pipeline version ID the images are tagged with.
    pub const VERSION_ID: &str = "kfops.io/version-id";
    /// One build action (all pods of one `/build`).
    pub const BUILD_ID: &str = "kfops.io/build-id";

    /// The repository (`owner.name`, see [`repository_value`]): PR numbers repeat across
    /// the projects of one console.
    pub const REPOSITORY: &str = "kfops.io/repository";

    /// The selector of every build pod of a PR.
    pub fn selector_for_pr(pr: u64) -> String {
        format!("{COMPONENT}={COMPONENT_BUILD},{PR}={pr}")
    }

    /// `owner/name` as a label value: `owner.name`, other characters as `_`, at most 63
    /// characters, ending with a letter or digit.
    pub fn repository_value(full_name: &str) -> String {
        let value: String = full_name
            .chars()
            .map(|c| match c {
                '/' => '.',
                c if c.is_ascii_alphanumeric() || "._-".contains(c) => c,
                _ => '_',
            })
            .take(63)
            .collect();
        value
            .trim_end_matches(|c: char| !c.is_ascii_alphanumeric())
            .to_owned()
    }
}

/// A pod the console shows logs of.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PodRef {
    pub namespace: String,
    pub name: String,
    /// `None` for single-container pods.
    pub container: Option<String>,
}
