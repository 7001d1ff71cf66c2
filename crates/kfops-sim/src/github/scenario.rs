//! What the simulated GitHub holds when the simulator starts (`[github]` of a scenario):
//! the repositories with their users, labels, files on the base branch and pull requests with
//! their comment history, and the checks that these facts agree.
//!
//! The public path of these types is `crate::scenario`, beside the `Scenario` they are part
//! of.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::scenario::{time, ScenarioError};

/// `mergeable_state` values GitHub sends (and octocrab's `MergeableState` accepts).
const MERGEABLE_STATES: &[&str] = &[
    "behind",
    "blocked",
    "clean",
    "dirty",
    "draft",
    "has_hooks",
    "unknown",
    "unstable",
];

/// `author_association` values of GitHub's OpenAPI description.
const ASSOCIATIONS: &[&str] = &[
    "COLLABORATOR",
    "CONTRIBUTOR",
    "FIRST_TIMER",
    "FIRST_TIME_CONTRIBUTOR",
    "MANNEQUIN",
    "MEMBER",
    "NONE",
    "OWNER",
];

/// What the simulated GitHub holds.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GithubScenario {
    /// When set, a request presenting another token (`Authorization: token X` or `Bearer X`) is
    /// refused with 401 `Bad credentials`; any token is accepted when unset. A request without
    /// a token is anonymous, as on GitHub: a private repository is 404 to it and a write is 401
    /// `Requires authentication` (`sim/github/auth.rs`).
    #[serde(default)]
    pub token: Option<String>,
    /// Login of the user the API token belongs to; comments created through the API are theirs.
    pub viewer: String,
    /// The model repository.
    pub repository: RepositoryScenario,
    /// Every account the scenario mentions (the repository owner included).
    pub users: Vec<UserScenario>,
    /// The repository's labels.
    #[serde(default)]
    pub labels: Vec<LabelScenario>,
    /// Files on the default branch: path -> text.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    /// Pull requests, open and closed.
    #[serde(default)]
    pub pulls: Vec<PullScenario>,
    /// The token's OAuth scopes, sent in `x-oauth-scopes` as a classic token's are
    /// (default `["repo", "read:org"]`); an empty list stands for a fine-grained token: no
    /// header at all.
    #[serde(default = "default_token_scopes")]
    pub token_scopes: Vec<String>,
    /// Whether the token's user may push to the repository (`permissions.push` of
    /// `GET /repos/{owner}/{repo}`; default true).
    #[serde(default = "yes")]
    pub push_permission: bool,
    /// `[[github.extra_repositories]]`: more model repositories, sharing the token, the viewer
    /// and the users.
    #[serde(default)]
    pub extra_repositories: Vec<ExtraRepositoryScenario>,
    /// `[github.app]`: a GitHub App installed on the repositories, whose installation tokens
    /// are accepted besides `token` (`sim/github/app_auth.rs`).
    #[serde(default)]
    pub app: Option<crate::github::app_auth::AppScenario>,
}

fn default_token_scopes() -> Vec<String> {
    vec!["repo".to_owned(), "read:org".to_owned()]
}

fn yes() -> bool {
    true
}

/// Another repository of the simulated GitHub, with its own labels, files and pull requests.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraRepositoryScenario {
    pub repository: RepositoryScenario,
    #[serde(default)]
    pub labels: Vec<LabelScenario>,
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    #[serde(default)]
    pub pulls: Vec<PullScenario>,
}

/// The model repository.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepositoryScenario {
    pub owner: String,
    pub name: String,
    pub id: u64,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub private: bool,
    pub default_branch: String,
    /// Commit at the tip of the default branch (40 hex digits).
    pub head_sha: String,
    #[serde(deserialize_with = "time::required")]
    pub created_at: DateTime<Utc>,
    #[serde(deserialize_with = "time::required")]
    pub pushed_at: DateTime<Utc>,
}

/// What kind of account a user is (GitHub's `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum UserKind {
    #[default]
    User,
    Bot,
    Organization,
}

impl UserKind {
    /// GitHub's spelling of the kind.
    pub fn as_str(self) -> &'static str {
        match self {
            UserKind::User => "User",
            UserKind::Bot => "Bot",
            UserKind::Organization => "Organization",
        }
    }
}

/// A GitHub account.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserScenario {
    pub login: String,
    pub id: u64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub kind: UserKind,
    /// `author_association` of this user's comments and PRs in the repository.
    #[serde(default = "default_association")]
    pub association: String,
}

fn default_association() -> String {
    "MEMBER".to_owned()
}

/// A repository label.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelScenario {
    pub name: String,
    /// Six hex digits, no `#`.
    pub color: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub default: bool,
}

/// `open` or `closed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PullStatus {
    #[default]
    Open,
    Closed,
}

impl PullStatus {
    /// GitHub's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PullStatus::Open => "open",
            PullStatus::Closed => "closed",
        }
    }
}

/// A pull request and its conversation.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PullScenario {
    pub number: u64,
    pub title: String,
    #[serde(default)]
    pub body: Option<String>,
    pub author: String,
    pub head_ref: String,
    /// Commit at the tip of the head branch (40 hex digits).
    pub head_sha: String,
    pub base_ref: String,
    #[serde(deserialize_with = "time::required")]
    pub created_at: DateTime<Utc>,
    #[serde(deserialize_with = "time::required")]
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub state: PullStatus,
    #[serde(default)]
    pub draft: bool,
    /// Commits of the base branch the head lacks.
    #[serde(default)]
    pub behind_by: u64,
    /// Commits of the head the base lacks.
    #[serde(default = "one")]
    pub ahead_by: u64,
    /// Absent: GitHub is still computing it (`null`).
    #[serde(default)]
    pub mergeable: Option<bool>,
    #[serde(default = "unknown_state")]
    pub mergeable_state: String,
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(default)]
    pub comments: Vec<CommentScenario>,
    /// Files that differ on the head branch: path -> text.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "time::optional")]
    pub closed_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "time::optional")]
    pub merged_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub merged_by: Option<String>,
    #[serde(default)]
    pub merge_commit_sha: Option<String>,
}

fn one() -> u64 {
    1
}

fn unknown_state() -> String {
    "unknown".to_owned()
}

/// A comment in a pull request's conversation.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentScenario {
    pub author: String,
    pub body: String,
    #[serde(deserialize_with = "time::required")]
    pub created_at: DateTime<Utc>,
}

impl GithubScenario {
    /// The user with this login.
    pub fn user(&self, login: &str) -> Option<&UserScenario> {
        self.users.iter().find(|u| u.login == login)
    }

    /// The pull request with this number.
    pub fn pull(&self, number: u64) -> Option<&PullScenario> {
        self.pulls.iter().find(|p| p.number == number)
    }

    /// Every repository as a single-repository scenario: this one (without its extras), then
    /// each `[[github.extra_repositories]]` entry with the shared token, viewer and users.
    pub fn repositories(&self) -> Vec<GithubScenario> {
        let first = GithubScenario {
            extra_repositories: Vec::new(),
            ..self.clone()
        };
        let extras = self.extra_repositories.iter().map(|extra| GithubScenario {
            token: self.token.clone(),
            viewer: self.viewer.clone(),
            repository: extra.repository.clone(),
            users: self.users.clone(),
            labels: extra.labels.clone(),
            files: extra.files.clone(),
            pulls: extra.pulls.clone(),
            extra_repositories: Vec::new(),
            token_scopes: self.token_scopes.clone(),
            push_permission: self.push_permission,
            app: self.app.clone(),
        });
        std::iter::once(first).chain(extras).collect()
    }

    pub(crate) fn validate(&self) -> Result<(), ScenarioError> {
        let mut names = BTreeSet::new();
        for (i, repo) in self.repositories().into_iter().enumerate() {
            let full = format!("{}/{}", repo.repository.owner, repo.repository.name);
            if !names.insert(full.to_ascii_lowercase()) {
                return Err(ScenarioError::Invalid(format!(
                    "repository `{full}` is listed twice; give each repository its own owner/name"
                )));
            }
            match repo.validate_one() {
                Err(ScenarioError::Invalid(m)) if i > 0 => {
                    return Err(ScenarioError::Invalid(format!("repository {full}: {m}")))
                }
                other => other?,
            }
        }
        Ok(())
    }

    fn validate_one(&self) -> Result<(), ScenarioError> {
        let invalid = |msg: String| Err(ScenarioError::Invalid(msg));
        let mut logins = BTreeSet::new();
        let mut user_ids = BTreeSet::new();
        for user in &self.users {
            if !logins.insert(user.login.as_str()) || !user_ids.insert(user.id) {
                return invalid(format!(
                    "user `{}` (id {}) is listed twice; give each user its own login and id",
                    user.login, user.id
                ));
            }
            if !ASSOCIATIONS.contains(&user.association.as_str()) {
                return invalid(format!(
                    "user `{}` has association `{}`; use one of {ASSOCIATIONS:?}",
                    user.login, user.association
                ));
            }
        }
        let known_user = |what: &str, login: &str| -> Result<(), ScenarioError> {
            if logins.contains(login) {
                Ok(())
            } else {
                Err(ScenarioError::Invalid(format!(
                    "{what} `{login}` is not in [[github.users]]; add it there"
                )))
            }
        };
        known_user("github.viewer", &self.viewer)?;
        let repo = &self.repository;
        known_user("repository owner", &repo.owner)?;
        check_sha("repository.head_sha", &repo.head_sha)?;
        let mut label_names = BTreeSet::new();
        for label in &self.labels {
            if !label_names.insert(label.name.as_str()) {
                return invalid(format!("label `{}` is listed twice", label.name));
            }
            if label.color.len() != 6 || !label.color.chars().all(|c| c.is_ascii_hexdigit()) {
                return invalid(format!(
                    "label `{}` has colour `{}`; write six hex digits without `#`",
                    label.name, label.color
                ));
            }
        }
        let mut numbers = BTreeSet::new();
        for pr in &self.pulls {
            let at = format!("pull request #{}", pr.number);
            if !numbers.insert(pr.number) {
                return invalid(format!("{at} is listed twice"));
            }
            known_user(&format!("{at} author"), &pr.author)?;
            check_sha(&format!("{at} head_sha"), &pr.head_sha)?;
            if pr.base_ref != repo.default_branch {
                return invalid(format!(
                    "{at} has base_ref `{}`; only the default branch `{}` is simulated",
                    pr.base_ref, repo.default_branch
                ));
            }
            if pr.head_ref == repo.default_branch {
                return invalid(format!("{at} uses the default branch as its head_ref"));
            }
            if !MERGEABLE_STATES.contains(&pr.mergeable_state.as_str()) {
                return invalid(format!(
                    "{at} has mergeable_state `{}`; use one of {MERGEABLE_STATES:?}",
                    pr.mergeable_state
                ));
            }
            for label in &pr.labels {
                if !label_names.contains(label.as_str()) {
                    return invalid(format!(
                        "{at} has label `{label}`, which is not in [[github.labels]]"
                    ));
                }
            }
            for comment in &pr.comments {
                known_user(&format!("{at} comment author"), &comment.author)?;
            }
            if let Some(login) = &pr.merged_by {
                known_user(&format!("{at} merged_by"), login)?;
            }
            if let Some(sha) = &pr.merge_commit_sha {
                check_sha(&format!("{at} merge_commit_sha"), sha)?;
            }
            if pr.merged_at.is_some() && pr.state != PullStatus::Closed {
                return invalid(format!("{at} has merged_at but is not closed"));
            }
            if pr.updated_at < pr.created_at {
                return invalid(format!("{at} was updated before it was created"));
            }
        }
        Ok(())
    }
}

fn check_sha(what: &str, sha: &str) -> Result<(), ScenarioError> {
    if sha.len() == 40
        && sha
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    {
        Ok(())
    } else {
        Err(ScenarioError::Invalid(format!(
            "{what} is `{sha}`; write 40 lowercase hex digits"
        )))
    }
}
