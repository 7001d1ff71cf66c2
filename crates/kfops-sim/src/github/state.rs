//! What the simulated GitHub holds: the repository, its labels, files and pull requests,
//! and every issue comment. Built from a [`GithubScenario`], mutated by requests and tests.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::scenario::{GithubScenario, PullStatus, RepositoryScenario, UserScenario};

/// First id handed to an issue comment (GitHub's ids are large; octocrab keeps them as u64).
const FIRST_COMMENT_ID: u64 = 2_431_500_001;
/// First id of a repository label.
const FIRST_LABEL_ID: u64 = 7_612_300_001;
/// Pull request ids are this plus the PR number.
const PULL_ID_BASE: u64 = 2_205_400_000;
/// Issue ids of pull requests are this plus the PR number.
const ISSUE_ID_BASE: u64 = 3_118_700_000;

/// The whole state of the simulated GitHub.
#[derive(Debug, Clone)]
pub struct GithubState {
    /// When set, requests must authenticate with exactly this token.
    pub token: Option<String>,
    /// The token's OAuth scopes (`x-oauth-scopes`); empty: a fine-grained token, no header.
    pub token_scopes: Vec<String>,
    /// `permissions.push` of the repository for the token's user.
    pub push_permission: bool,
    /// Login of the token's owner; the author of comments created through the API.
    pub viewer: String,
    pub repo: RepositoryScenario,
    pub users: Vec<UserScenario>,
    pub labels: Vec<Label>,
    /// Id the next created label gets.
    pub next_label_id: u64,
    /// Earlier tips of the default branch, oldest first (each merge pushes the tip it replaced).
    pub base_history: Vec<String>,
    /// Files on the default branch: path -> text.
    pub files: BTreeMap<String, String>,
    pub pulls: BTreeMap<u64, Pull>,
    /// Issue comments of every PR, in id order.
    pub comments: Vec<IssueComment>,
    pub next_comment_id: u64,
    /// Requests counted against the (simulated) primary rate limit (a 304 to an authorized
    /// conditional request is not: `conditional.rs`).
    pub rate_used: u64,
    /// The primary rate limit per window (GitHub's 5,000 for a personal token).
    pub rate_limit: u64,
    /// Unix time the rate limit window resets.
    pub rate_reset: i64,
}

/// A repository label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub id: u64,
    pub name: String,
    pub color: String,
    pub description: Option<String>,
    pub default: bool,
}

/// A pull request as GitHub holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pull {
    pub number: u64,
    pub title: String,
    pub body: Option<String>,
    pub author: String,
    pub head_ref: String,
    pub head_sha: String,
    pub base_ref: String,
    /// `base.sha`: the base branch's tip when the PR was opened or its head last pushed.
    /// GitHub does not move it when the base branch moves (github/docs#431,
    /// <https://github.com/github/docs/issues/431>): `compare` shows how far behind it is.
    pub base_sha: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub state: PullStatus,
    pub draft: bool,
    pub behind_by: u64,
    pub ahead_by: u64,
    /// `None` while GitHub is computing it.
    pub mergeable: Option<bool>,
    pub mergeable_state: String,
    /// Label names, in the order they were added.
    pub labels: Vec<String>,
    /// Files that differ on the head branch: path -> text.
    pub files: BTreeMap<String, String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub merged_at: Option<DateTime<Utc>>,
    pub merged_by: Option<String>,
    pub merge_commit_sha: Option<String>,
    /// Who closed it (the merger for a merged PR).
    pub closed_by: Option<String>,
}

impl Pull {
    /// GitHub's numeric id of the pull request.
    pub fn id(&self) -> u64 {
        PULL_ID_BASE + self.number
    }

    /// GitHub's numeric id of the pull request's issue (the issues API shows this one).
    pub fn issue_id(&self) -> u64 {
        ISSUE_ID_BASE + self.number
    }

    /// Whether it has been merged.
    pub fn is_merged(&self) -> bool {
        self.merged_at.is_some()
    }
}

/// A comment in a pull request's conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueComment {
    pub id: u64,
    pub issue_number: u64,
    pub author: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl GithubState {
    /// The starting state described by a scenario. Comment ids follow creation time.
    pub fn from_scenario(scenario: &GithubScenario) -> GithubState {
        let labels: Vec<Label> = scenario
            .labels
            .iter()
            .zip(FIRST_LABEL_ID..)
            .map(|(l, id)| Label {
                id,
                name: l.name.clone(),
                color: l.color.clone(),
                description: l.description.clone(),
                default: l.default,
            })
            .collect();
        let pulls = scenario
            .pulls
            .iter()
            .map(|p| {
                let pull = Pull {
                    number: p.number,
                    title: p.title.clone(),
                    body: p.body.clone(),
                    author: p.author.clone(),
                    head_ref: p.head_ref.clone(),
                    head_sha: p.head_sha.clone(),
                    base_ref: p.base_ref.clone(),
                    base_sha: scenario.repository.head_sha.clone(),
                    created_at: p.created_at,
                    updated_at: p.updated_at,
                    state: p.state,
                    draft: p.draft,
                    behind_by: p.behind_by,
                    ahead_by: p.ahead_by,
                    mergeable: p.mergeable,
                    mergeable_state: p.mergeable_state.clone(),
                    labels: p.labels.clone(),
                    files: p.files.clone(),
                    closed_at: p.closed_at,
                    merged_at: p.merged_at,
                    merged_by: p.merged_by.clone(),
                    merge_commit_sha: p.merge_commit_sha.clone(),
                    closed_by: match p.state {
                        PullStatus::Closed => p.merged_by.clone(),
                        PullStatus::Open => None,
                    },
                };
                (p.number, pull)
            })
            .collect();
        let mut seeded: Vec<(DateTime<Utc>, u64, &str, &str)> = scenario
            .pulls
            .iter()
            .flat_map(|p| {
                p.comments
                    .iter()
                    .map(move |c| (c.created_at, p.number, c.author.as_str(), c.body.as_str()))
            })
            .collect();
        // Stable: comments of one PR at the same second keep their file order.
        seeded.sort_by_key(|(at, ..)| *at);
        let comments: Vec<IssueComment> = seeded
            .into_iter()
            .zip(FIRST_COMMENT_ID..)
            .map(|((at, number, author, body), id)| IssueComment {
                id,
                issue_number: number,
                author: author.to_owned(),
                body: body.to_owned(),
                created_at: at,
                updated_at: at,
            })
            .collect();
        let next_comment_id = FIRST_COMMENT_ID + comments.len() as u64;
        GithubState {
            token: scenario.token.clone(),
            token_scopes: scenario.token_scopes.clone(),
            push_permission: scenario.push_permission,
            viewer: scenario.viewer.clone(),
            repo: scenario.repository.clone(),
            users: scenario.users.clone(),
            next_label_id: FIRST_LABEL_ID + labels.len() as u64,
            base_history: Vec::new(),
            labels,
            files: scenario.files.clone(),
            pulls,
            comments,
            next_comment_id,
            rate_used: 0,
            rate_limit: 5000,
            rate_reset: Utc::now().timestamp() + 3600,
        }
    }

    /// Whether `owner/repo` names the simulated repository (GitHub matches case-insensitively).
    pub fn is_repo(&self, owner: &str, repo: &str) -> bool {
        self.repo.owner.eq_ignore_ascii_case(owner) && self.repo.name.eq_ignore_ascii_case(repo)
    }

    /// The account with this login.
    pub fn user(&self, login: &str) -> Option<&UserScenario> {
        self.users.iter().find(|u| u.login == login)
    }

    /// The repository label with this name (case-insensitive, like GitHub).
    pub fn label(&self, name: &str) -> Option<&Label> {
        self.labels
            .iter()
            .find(|l| l.name.eq_ignore_ascii_case(name))
    }

    /// The comments of one pull request, oldest first.
    pub fn comments_of(&self, number: u64) -> impl Iterator<Item = &IssueComment> {
        self.comments
            .iter()
            .filter(move |c| c.issue_number == number)
    }

    /// The repository's files at `git_ref` (a branch, `refs/heads/B`, `refs/pull/N/head`, or
    /// a tip SHA or 7+ digit prefix of one): the default branch's, with a PR head's files
    /// over them. `None` if the ref names no tip. (Kaniko build contexts read these.)
    pub fn files_at(&self, git_ref: &str) -> Option<BTreeMap<String, String>> {
        let pr_head = git_ref
            .strip_prefix("refs/pull/")
            .and_then(|r| r.strip_suffix("/head"))
            .and_then(|n| n.parse::<u64>().ok());
        let pull = match pr_head {
            Some(number) => Some(self.pulls.get(&number)?.number),
            None => self.resolve_ref(git_ref)?.pull,
        };
        let mut files = self.files.clone();
        if let Some(pull) = pull.and_then(|n| self.pulls.get(&n)) {
            files.extend(pull.files.clone());
        }
        Some(files)
    }

    /// Appends a comment to a pull request's conversation; `None` if there is no such PR.
    pub fn add_comment(&mut self, number: u64, author: &str, body: &str) -> Option<IssueComment> {
        let now = now_secs();
        let pull = self.pulls.get_mut(&number)?;
        pull.updated_at = now;
        let comment = IssueComment {
            id: self.next_comment_id,
            issue_number: number,
            author: author.to_owned(),
            body: body.to_owned(),
            created_at: now,
            updated_at: now,
        };
        self.next_comment_id += 1;
        self.comments.push(comment.clone());
        Some(comment)
    }
}

/// The current time, truncated to whole seconds like GitHub's timestamps.
pub fn now_secs() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now)
}

/// A stable fake 40-hex-digit object id derived from `seed` (commits, blobs, trees).
pub fn fake_sha(seed: &str) -> String {
    // Five FNV-1a passes with different offsets give 160 well-mixed bits; not a real git id,
    // but stable across runs, which is all the simulator needs.
    let mut out = String::with_capacity(40);
    for round in 0u64..5 {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325 ^ round.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        for byte in seed.bytes().chain(round.to_le_bytes()) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        out.push_str(&format!("{:08x}", (hash >> 16) as u32));
    }
    out
}
