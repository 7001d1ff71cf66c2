//! GitHub's JSON shapes (schemas of api.github.com's OpenAPI description), rendered from state.
//!
//! API URLs point back at the simulator (as the client reached it) so that clients can follow
//! them; web URLs (`html_url`, ...) point at github.com like on the real service.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

use super::http::{encode, encode_path};
use super::state::{GithubState, IssueComment, Label, Pull};
use crate::scenario::{PullStatus, UserKind};

/// Where web pages live.
pub const WEB: &str = "https://github.com";

/// GitHub's timestamp format: RFC 3339, whole seconds, `Z`.
pub fn time(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `repository` URL fields: key and suffix after the repository's API URL.
const REPO_URLS: &[(&str, &str)] = &[
    ("forks_url", "/forks"),
    ("keys_url", "/keys{/key_id}"),
    ("collaborators_url", "/collaborators{/collaborator}"),
    ("teams_url", "/teams"),
    ("hooks_url", "/hooks"),
    ("issue_events_url", "/issues/events{/number}"),
    ("events_url", "/events"),
    ("assignees_url", "/assignees{/user}"),
    ("branches_url", "/branches{/branch}"),
    ("tags_url", "/tags"),
    ("blobs_url", "/git/blobs{/sha}"),
    ("git_tags_url", "/git/tags{/sha}"),
    ("git_refs_url", "/git/refs{/sha}"),
    ("trees_url", "/git/trees{/sha}"),
    ("statuses_url", "/statuses/{sha}"),
    ("languages_url", "/languages"),
    ("stargazers_url", "/stargazers"),
    ("contributors_url", "/contributors"),
    ("subscribers_url", "/subscribers"),
    ("subscription_url", "/subscription"),
    ("commits_url", "/commits{/sha}"),
    ("git_commits_url", "/git/commits{/sha}"),
    ("comments_url", "/comments{/number}"),
    ("issue_comment_url", "/issues/comments{/number}"),
    ("contents_url", "/contents/{+path}"),
    ("compare_url", "/compare/{base}...{head}"),
    ("merges_url", "/merges"),
    ("archive_url", "/{archive_format}{/ref}"),
    ("downloads_url", "/downloads"),
    ("issues_url", "/issues{/number}"),
    ("pulls_url", "/pulls{/number}"),
    ("milestones_url", "/milestones{/number}"),
    (
        "notifications_url",
        "/notifications{?since,all,participating}",
    ),
    ("labels_url", "/labels{/name}"),
    ("releases_url", "/releases{/id}"),
    ("deployments_url", "/deployments"),
];

/// Renders state objects for one request.
pub struct Render<'a> {
    pub state: &'a GithubState,
    /// The API root the client used, e.g. `http://127.0.0.1:PORT/github`.
    pub api: String,
}

impl<'a> Render<'a> {
    pub fn new(state: &'a GithubState, api: String) -> Render<'a> {
        Render { state, api }
    }

    /// `{api}/repos/{owner}/{name}`.
    pub fn repo_api(&self) -> String {
        format!(
            "{}/repos/{}/{}",
            self.api, self.state.repo.owner, self.state.repo.name
        )
    }

    /// `https://github.com/{owner}/{name}`.
    pub fn repo_web(&self) -> String {
        format!("{WEB}/{}/{}", self.state.repo.owner, self.state.repo.name)
    }

    /// `simple-user`. Logins missing from the scenario (added later by a test) still render.
    pub fn user(&self, login: &str) -> Value {
        let (id, kind, name) = match self.state.user(login) {
            Some(u) => (u.id, u.kind, u.name.clone()),
            None => (
                90_000_000 + u64::from(login_hash(login)),
                UserKind::User,
                None,
            ),
        };
        let api = format!("{}/users/{login}", self.api);
        json!({
            "login": login,
            "id": id,
            "node_id": format!("MDQ6VXNlcj{id}"),
            "avatar_url": format!("https://avatars.githubusercontent.com/u/{id}?v=4"),
            "gravatar_id": "",
            "url": api,
            "html_url": format!("{WEB}/{login}"),
            "followers_url": format!("{api}/followers"),
            "following_url": format!("{api}/following{{/other_user}}"),
            "gists_url": format!("{api}/gists{{/gist_id}}"),
            "starred_url": format!("{api}/starred{{/owner}}{{/repo}}"),
            "subscriptions_url": format!("{api}/subscriptions"),
            "organizations_url": format!("{api}/orgs"),
            "repos_url": format!("{api}/repos"),
            "events_url": format!("{api}/events{{/privacy}}"),
            "received_events_url": format!("{api}/received_events"),
            "type": kind.as_str(),
            "user_view_type": "public",
            "site_admin": false,
            "name": name,
        })
    }

    /// `author_association` of a login in this repository.
    pub fn association(&self, login: &str) -> String {
        self.state
            .user(login)
            .map_or_else(|| "NONE".to_owned(), |u| u.association.clone())
    }

    /// `repository`.
    pub fn repository(&self) -> Value {
        let repo = &self.state.repo;
        let api = self.repo_api();
        let web = self.repo_web();
        let full_name = format!("{}/{}", repo.owner, repo.name);
        let open = self
            .state
            .pulls
            .values()
            .filter(|p| p.state == PullStatus::Open)
            .count();
        let mut value = json!({
            "id": repo.id,
            "node_id": format!("R_kgDOK{}", repo.id),
            "name": repo.name,
            "full_name": full_name,
            "private": repo.private,
            "owner": self.user(&repo.owner),
            "html_url": web,
            "description": repo.description,
            "fork": false,
            "url": api,
            "created_at": time(&repo.created_at),
            "updated_at": time(&repo.pushed_at),
            "pushed_at": time(&repo.pushed_at),
            "git_url": format!("git://github.com/{full_name}.git"),
            "ssh_url": format!("git@github.com:{full_name}.git"),
            "clone_url": format!("{web}.git"),
            "svn_url": web,
            "default_branch": repo.default_branch,
            "open_issues_count": open,
            "open_issues": open,
            "visibility": if repo.private { "private" } else { "public" },
        });
        let settings = json!({
            "homepage": null,
            "size": 2048,
            "stargazers_count": 0,
            "watchers_count": 0,
            "language": "Python",
            "has_issues": true,
            "has_projects": true,
            "has_downloads": true,
            "has_wiki": false,
            "has_pages": false,
            "has_discussions": false,
            "forks_count": 0,
            "mirror_url": null,
            "archived": false,
            "disabled": false,
            "license": null,
            "allow_forking": false,
            "is_template": false,
            "web_commit_signoff_required": false,
            "topics": ["kfops", "kubeflow", "mlops"],
            "forks": 0,
            "watchers": 0,
        });
        if let (Value::Object(map), Value::Object(settings)) = (&mut value, settings) {
            map.extend(settings);
            for (key, suffix) in REPO_URLS {
                map.insert((*key).to_owned(), Value::String(format!("{api}{suffix}")));
            }
        }
        value
    }

    /// `label`.
    pub fn label(&self, label: &Label) -> Value {
        json!({
            "id": label.id,
            "node_id": format!("LA_kwDOK{}", label.id),
            "url": format!("{}/labels/{}", self.repo_api(), encode(&label.name)),
            "name": label.name,
            "color": label.color,
            "default": label.default,
            "description": label.description,
        })
    }

    /// Labels of a pull request by name; names no longer defined render as plain grey labels.
    ///
    /// Inside `pull-request-simple` the description is a non-nullable string in GitHub's
    /// description, so a missing one renders as `""` there (`nullable` applies elsewhere).
    pub fn pull_labels(&self, pull: &Pull) -> Vec<Value> {
        let mut labels = self.labels_of(pull);
        for label in &mut labels {
            if label.get("description").is_some_and(Value::is_null) {
                label["description"] = Value::String(String::new());
            }
        }
        labels
    }

    /// Labels of a pull request, as the issue labels endpoint renders them.
    pub fn labels_of(&self, pull: &Pull) -> Vec<Value> {
        pull.labels
            .iter()
            .map(|name| match self.state.label(name) {
                Some(label) => self.label(label),
                None => self.label(&Label {
                    id: 0,
                    name: name.clone(),
                    color: "ededed".to_owned(),
                    description: None,
                    default: false,
                }),
            })
            .collect()
    }

    /// `issue-comment`.
    pub fn comment(&self, comment: &IssueComment) -> Value {
        let api = self.repo_api();
        json!({
            "url": format!("{api}/issues/comments/{}", comment.id),
            "html_url": format!(
                "{}/pull/{}#issuecomment-{}",
                self.repo_web(),
                comment.issue_number,
                comment.id
            ),
            "issue_url": format!("{api}/issues/{}", comment.issue_number),
            "id": comment.id,
            "node_id": format!("IC_kwDOK{}", comment.id),
            "user": self.user(&comment.author),
            "created_at": time(&comment.created_at),
            "updated_at": time(&comment.updated_at),
            "author_association": self.association(&comment.author),
            "body": comment.body,
            "reactions": {
                "url": format!("{api}/issues/comments/{}/reactions", comment.id),
                "total_count": 0, "+1": 0, "-1": 0, "laugh": 0, "hooray": 0,
                "confused": 0, "heart": 0, "rocket": 0, "eyes": 0,
            },
            "performed_via_github_app": null,
        })
    }

    /// `pull-request-simple`.
    pub fn pull_simple(&self, pull: &Pull) -> Value {
        let api = self.repo_api();
        let web = self.repo_web();
        let n = pull.number;
        let repo = &self.state.repo;
        let link = |href: String| json!({ "href": href });
        let merge_commit_sha = match (&pull.merge_commit_sha, pull.state, pull.mergeable) {
            (Some(sha), _, _) => Value::String(sha.clone()),
            (None, PullStatus::Open, Some(true)) => {
                Value::String(super::state::fake_sha(&format!("merge:{}", pull.head_sha)))
            }
            _ => Value::Null,
        };
        let head = json!({
            "label": format!("{}:{}", repo.owner, pull.head_ref),
            "ref": pull.head_ref,
            "sha": pull.head_sha,
            "user": self.user(&repo.owner),
            "repo": self.repository(),
        });
        let base = json!({
            "label": format!("{}:{}", repo.owner, pull.base_ref),
            "ref": pull.base_ref,
            "sha": pull.base_sha,
            "user": self.user(&repo.owner),
            "repo": self.repository(),
        });
        let links = json!({
            "self": link(format!("{api}/pulls/{n}")),
            "html": link(format!("{web}/pull/{n}")),
            "issue": link(format!("{api}/issues/{n}")),
            "comments": link(format!("{api}/issues/{n}/comments")),
            "review_comments": link(format!("{api}/pulls/{n}/comments")),
            "review_comment": link(format!("{api}/pulls/comments{{/number}}")),
            "commits": link(format!("{api}/pulls/{n}/commits")),
            "statuses": link(format!("{api}/statuses/{}", pull.head_sha)),
        });
        json!({
            "url": format!("{api}/pulls/{n}"),
            "id": pull.id(),
            "node_id": format!("PR_kwDOK{}", pull.id()),
            "html_url": format!("{web}/pull/{n}"),
            "diff_url": format!("{web}/pull/{n}.diff"),
            "patch_url": format!("{web}/pull/{n}.patch"),
            "issue_url": format!("{api}/issues/{n}"),
            "number": n,
            "state": pull.state.as_str(),
            "locked": false,
            "title": pull.title,
            "user": self.user(&pull.author),
            "body": pull.body,
            "created_at": time(&pull.created_at),
            "updated_at": time(&pull.updated_at),
            "closed_at": pull.closed_at.as_ref().map(time),
            "merged_at": pull.merged_at.as_ref().map(time),
            "merge_commit_sha": merge_commit_sha,
            "assignee": null,
            "assignees": [],
            "requested_reviewers": [],
            "requested_teams": [],
            "labels": self.pull_labels(pull),
            "milestone": null,
            "draft": pull.draft,
            "commits_url": format!("{api}/pulls/{n}/commits"),
            "review_comments_url": format!("{api}/pulls/{n}/comments"),
            "review_comment_url": format!("{api}/pulls/comments{{/number}}"),
            "comments_url": format!("{api}/issues/{n}/comments"),
            "statuses_url": format!("{api}/statuses/{}", pull.head_sha),
            "head": head,
            "base": base,
            "_links": links,
            "author_association": self.association(&pull.author),
            "auto_merge": null,
            "active_lock_reason": null,
        })
    }

    /// `pull-request`: the simple shape plus merge facts and counts.
    pub fn pull_full(&self, pull: &Pull) -> Value {
        let mut value = self.pull_simple(pull);
        let additions: usize = pull.files.values().map(|text| text.lines().count()).sum();
        let deletions: usize = pull
            .files
            .keys()
            .filter_map(|path| self.state.files.get(path))
            .map(|text| text.lines().count())
            .sum();
        let extra = json!({
            "merged": pull.merged_at.is_some(),
            "mergeable": pull.mergeable,
            "rebaseable": pull.mergeable,
            "mergeable_state": pull.mergeable_state,
            "merged_by": pull.merged_by.as_deref().map(|login| self.user(login)),
            "comments": self.state.comments_of(pull.number).count(),
            "review_comments": 0,
            "maintainer_can_modify": false,
            "commits": pull.ahead_by,
            "additions": additions,
            "deletions": deletions,
            "changed_files": pull.files.len(),
        });
        if let (Value::Object(map), Value::Object(extra)) = (&mut value, extra) {
            map.extend(extra);
        }
        value
    }

    /// `contents` URL of a file at a ref.
    pub fn contents_url(&self, path: &str, git_ref: &str) -> String {
        format!(
            "{}/contents/{}?ref={}",
            self.repo_api(),
            encode_path(path),
            encode(git_ref)
        )
    }
}

/// A small stable number for logins that are not in the scenario.
fn login_hash(login: &str) -> u32 {
    login
        .bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
        % 1_000_000
}
