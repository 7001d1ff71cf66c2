//! `GET /repos/{owner}/{repo}/compare/{basehead}` and the commit history behind it.
//!
//! The history is synthesised from each PR's `behind_by`/`ahead_by`: the default branch is a
//! line of [`MAIN_DEPTH`] commits ending at the repository's head SHA; a PR branch forks from
//! it `behind_by` commits before the tip and adds `ahead_by` commits ending at its head SHA.
//! Comparing any two of these tips yields the scenario's numbers.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Duration;
use serde_json::{json, Value};

use super::http::{json_response, paginate, ApiError, Req, DOCS};
use super::render::{time, Render, WEB};
use super::state::{fake_sha, GithubState};
use super::GithubHandle;

const DOC: &str = "https://docs.github.com/rest/commits/commits#compare-two-commits";
/// Position of the default branch's tip in the synthesised history.
const MAIN_DEPTH: u64 = 10_000;
/// GitHub lists at most this many commits in an unpaginated comparison.
const MAX_COMMITS: usize = 250;
/// Messages of synthesised commits on the default branch.
const MAIN_MESSAGES: &[&str] = &[
    "Refresh holdout snapshot",
    "Bump scikit-learn to 1.5.2",
    "Tighten pipeline resource limits",
    "Document the staging rollout",
    "Pin kfp to 2.13.0",
];

/// A branch tip: `own` commits on top of the default branch's commit at `fork`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tip {
    /// PR number when the tip is a PR head; `None` for the default branch.
    pub pull: Option<u64>,
    pub fork: u64,
    pub own: u64,
    pub sha: String,
}

/// One synthesised commit.
struct Commit {
    sha: String,
    parent: String,
    message: String,
    author: String,
    at: chrono::DateTime<chrono::Utc>,
}

impl GithubState {
    /// Resolves a branch name, `owner:branch`, `refs/heads/branch` or a (7+ digit prefix of
    /// a) branch-tip SHA to its tip.
    pub fn resolve_ref(&self, spec: &str) -> Option<Tip> {
        let spec = match spec.split_once(':') {
            Some((owner, name)) if owner.eq_ignore_ascii_case(&self.repo.owner) => name,
            Some(_) => return None,
            None => spec,
        };
        let spec = spec.strip_prefix("refs/heads/").unwrap_or(spec);
        let is_sha = |sha: &str| {
            spec == sha
                || (spec.len() >= 7 && spec.chars().all(|c| c.is_ascii_hexdigit()))
                    && sha.starts_with(spec)
        };
        if spec == self.repo.default_branch || is_sha(&self.repo.head_sha) {
            return Some(Tip {
                pull: None,
                fork: MAIN_DEPTH,
                own: 0,
                sha: self.repo.head_sha.clone(),
            });
        }
        // Earlier tips of the default branch (before merges) stay reachable by SHA.
        if let Some(back) = self.base_history.iter().rev().position(|sha| is_sha(sha)) {
            return Some(Tip {
                pull: None,
                fork: MAIN_DEPTH - 1 - back as u64,
                own: 0,
                sha: self.base_history[self.base_history.len() - 1 - back].clone(),
            });
        }
        // Several PRs may share a head ref over time: prefer the open one.
        let mut candidates: Vec<_> = self
            .pulls
            .values()
            .filter(|p| p.head_ref == spec || is_sha(&p.head_sha))
            .collect();
        candidates.sort_by_key(|p| p.state != crate::scenario::PullStatus::Open);
        candidates.first().map(|p| Tip {
            pull: Some(p.number),
            fork: MAIN_DEPTH.saturating_sub(p.behind_by),
            own: p.ahead_by,
            sha: p.head_sha.clone(),
        })
    }

    /// SHA of the default branch's commit at `position`.
    fn main_sha(&self, position: u64) -> String {
        if position >= MAIN_DEPTH {
            return self.repo.head_sha.clone();
        }
        // The tips that merges replaced sit right below the current one.
        let back = MAIN_DEPTH - position;
        let merges = self.base_history.len() as u64;
        if back <= merges {
            if let Some(sha) = self.base_history.get((merges - back) as usize) {
                return sha.clone();
            }
        }
        // A PR with no own commits has its head on the default branch.
        self.pulls
            .values()
            .find(|p| p.ahead_by == 0 && MAIN_DEPTH.saturating_sub(p.behind_by) == position)
            .map_or_else(
                // Offset by the merges so older commits keep their SHAs as the branch grows.
                || fake_sha(&format!("main:{}", position + merges)),
                |p| p.head_sha.clone(),
            )
    }

    /// SHA of commit `index` (1-based) of a tip's own commits.
    fn own_sha(&self, tip: &Tip, index: u64) -> String {
        if index >= tip.own {
            tip.sha.clone()
        } else {
            fake_sha(&format!("{}:{index}", tip.sha))
        }
    }

    fn main_commit(&self, position: u64) -> Commit {
        let humans: Vec<&str> = self
            .users
            .iter()
            .filter(|u| u.kind == crate::scenario::UserKind::User)
            .map(|u| u.login.as_str())
            .collect();
        let pick = |len: usize| usize::try_from(position).unwrap_or(0) % len.max(1);
        Commit {
            sha: self.main_sha(position),
            parent: self.main_sha(position.saturating_sub(1)),
            message: MAIN_MESSAGES[pick(MAIN_MESSAGES.len())].to_owned(),
            author: humans
                .get(pick(humans.len()))
                .map_or_else(|| self.viewer.clone(), |l| (*l).to_owned()),
            at: self.repo.pushed_at
                - Duration::hours(
                    i64::try_from(MAIN_DEPTH - position.min(MAIN_DEPTH)).unwrap_or(0),
                ),
        }
    }

    fn own_commit(&self, tip: &Tip, index: u64) -> Commit {
        let pull = tip.pull.and_then(|n| self.pulls.get(&n));
        let (title, author, created) = match pull {
            Some(p) => (p.title.clone(), p.author.clone(), p.created_at),
            None => (String::new(), self.viewer.clone(), self.repo.pushed_at),
        };
        Commit {
            sha: self.own_sha(tip, index),
            parent: if index <= 1 {
                self.main_sha(tip.fork)
            } else {
                self.own_sha(tip, index - 1)
            },
            message: if index >= tip.own {
                title
            } else {
                format!("{title} (part {index} of {})", tip.own)
            },
            author,
            at: created - Duration::minutes(i64::try_from(tip.own - index).unwrap_or(0) * 17),
        }
    }

    /// The commit at a tip (for `base_commit`).
    fn tip_commit(&self, tip: &Tip) -> Commit {
        if tip.own == 0 {
            let mut commit = self.main_commit(tip.fork);
            commit.sha = tip.sha.clone();
            commit
        } else {
            self.own_commit(tip, tip.own)
        }
    }
}

/// `repos/compare-commits`.
pub async fn compare(
    State(gh): State<GithubHandle>,
    Path((owner, repo, basehead)): Path<(String, String, String)>,
    req: Req,
) -> Result<Response, ApiError> {
    gh.read(|s| {
        if !s.is_repo(&owner, &repo) {
            return Err(ApiError::not_found(DOCS));
        }
        let (base_spec, head_spec) = basehead
            .split_once("...")
            .ok_or_else(|| ApiError::not_found(DOC))?;
        let (Some(base), Some(head)) = (s.resolve_ref(base_spec), s.resolve_ref(head_spec)) else {
            return Err(ApiError::not_found(DOC));
        };
        // Tips of the default branch (current or earlier) all lie on one line.
        let same_branch = base.pull.is_some() && base.pull == head.pull;
        let merge_base = if same_branch {
            None
        } else {
            Some(base.fork.min(head.fork))
        };
        // Commits of `head` that `base` lacks, oldest first.
        let mut commits: Vec<Commit> = Vec::new();
        if let Some(mb) = merge_base {
            commits.extend((mb + 1..=head.fork).map(|p| s.main_commit(p)));
            commits.extend((1..=head.own).map(|i| s.own_commit(&head, i)));
        }
        let ahead_by = commits.len();
        let behind_by = merge_base.map_or(0, |mb| (base.fork - mb + base.own) as usize);
        let status = match (ahead_by > 0, behind_by > 0) {
            (true, true) => "diverged",
            (true, false) => "ahead",
            (false, true) => "behind",
            (false, false) => "identical",
        };
        let render = Render::new(s, req.api());
        let commit_json = |c: &Commit| commit(&render, c);
        let merge_base_commit = match merge_base {
            Some(mb) if mb == base.fork && base.own == 0 => s.tip_commit(&base),
            Some(mb) => s.main_commit(mb),
            None => s.tip_commit(&base),
        };
        let files = match head.pull.and_then(|n| s.pulls.get(&n)) {
            Some(pull) if head.own > 0 && !same_branch => pull
                .files
                .iter()
                .map(|(path, text)| diff_entry(&render, &head.sha, path, text))
                .collect(),
            _ => Vec::new(),
        };
        let paged = req.param("page").is_some() || req.param("per_page").is_some();
        let (listed, link) = if paged {
            let page = paginate(commits, &req, 30);
            (page.items, page.link)
        } else {
            commits.truncate(MAX_COMMITS);
            (commits, None)
        };
        let api = render.repo_api();
        let web = render.repo_web();
        let body = json!({
            "url": format!("{api}/compare/{basehead}"),
            "html_url": format!("{web}/compare/{basehead}"),
            "permalink_url": format!("{web}/compare/{}:{}...{}:{}", s.repo.owner, base.sha, s.repo.owner, head.sha),
            "diff_url": format!("{web}/compare/{basehead}.diff"),
            "patch_url": format!("{web}/compare/{basehead}.patch"),
            "base_commit": commit_json(&s.tip_commit(&base)),
            "merge_base_commit": commit_json(&merge_base_commit),
            "status": status,
            "ahead_by": ahead_by,
            "behind_by": behind_by,
            "total_commits": ahead_by,
            "commits": listed.iter().map(commit_json).collect::<Vec<_>>(),
            "files": files,
        });
        let mut response = json_response(StatusCode::OK, &body);
        if let Some(value) = link.and_then(|l| axum::http::HeaderValue::from_str(&l).ok()) {
            response.headers_mut().insert(axum::http::header::LINK, value);
        }
        Ok(response)
    })
}

/// `commit`.
fn commit(render: &Render<'_>, c: &Commit) -> Value {
    let api = render.repo_api();
    let web = render.repo_web();
    let user = render.state.user(&c.author);
    let name = user
        .and_then(|u| u.name.clone())
        .unwrap_or_else(|| c.author.clone());
    let git_user = json!({
        "name": name,
        "email": format!("{}@users.noreply.github.com", c.author),
        "date": time(&c.at),
    });
    json!({
        "sha": c.sha,
        "node_id": format!("C_kwDOK{}", c.sha.chars().take(12).collect::<String>()),
        "commit": {
            "author": git_user,
            "committer": git_user,
            "message": c.message,
            "tree": {
                "sha": fake_sha(&format!("tree:{}", c.sha)),
                "url": format!("{api}/git/trees/{}", fake_sha(&format!("tree:{}", c.sha))),
            },
            "url": format!("{api}/git/commits/{}", c.sha),
            "comment_count": 0,
            "verification": {
                "verified": false, "reason": "unsigned",
                "signature": null, "payload": null, "verified_at": null,
            },
        },
        "url": format!("{api}/commits/{}", c.sha),
        "html_url": format!("{web}/commit/{}", c.sha),
        "comments_url": format!("{api}/commits/{}/comments", c.sha),
        "author": render.user(&c.author),
        "committer": render.user(&c.author),
        "parents": [{
            "sha": c.parent,
            "url": format!("{api}/commits/{}", c.parent),
            "html_url": format!("{web}/commit/{}", c.parent),
        }],
    })
}

/// `diff-entry` for a file a PR changes.
fn diff_entry(render: &Render<'_>, head_sha: &str, path: &str, text: &str) -> Value {
    let before = render.state.files.get(path);
    let additions = text.lines().count();
    let deletions = before.map_or(0, |b| b.lines().count());
    let web = render.repo_web();
    json!({
        "sha": fake_sha(&format!("blob:{text}")),
        "filename": path,
        "status": if before.is_some() { "modified" } else { "added" },
        "additions": additions,
        "deletions": deletions,
        "changes": additions + deletions,
        "blob_url": format!("{web}/blob/{head_sha}/{path}"),
        "raw_url": format!("{WEB}/{}/{}/raw/{head_sha}/{path}", render.state.repo.owner, render.state.repo.name),
        "contents_url": render.contents_url(path, head_sha),
    })
}
