//! The simulated GitHub REST API (the subset Kfops uses), served under `/github`.
//!
//! Paths, field names, types and status codes follow GitHub's OpenAPI description
//! (`shared/specs/github/api.github.com.trimmed.json`); tests validate every response body
//! against it. Responses carry GitHub's headers (API version, rate limit).

pub mod app_auth;
mod auth;
mod comments;
mod compare;
mod conditional;
mod contents;
mod http;
mod issue_labels;
mod issues;
mod labels;
mod list_params;
mod merge;
mod pulls;
mod render;
mod repo;
pub(crate) mod scenario;
mod scopes;
mod state;
mod user;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::Router;

pub use self::compare::Tip;
use self::http::{ApiError, DOCS};
pub use self::state::{fake_sha, GithubState, IssueComment, Label, Pull};
use crate::scenario::{GithubScenario, PullStatus};

/// Shared access to the simulated GitHub's state, for the handlers and for tests.
///
/// The lock is a std `Mutex`, held only inside the closures given to [`read`](Self::read) and
/// [`update`](Self::update), never across an `await`.
///
/// The simulated GitHub may hold several repositories (the scenario's `[github.repository]`
/// and its `[[github.extra_repositories]]`), each with its own state. A handle is on one of
/// them (the first one for [`GithubHandle::new`]); [`GithubHandle::repo`] gives a handle on
/// another, and the router sends each `/repos/{owner}/{repo}/…` request to its repository.
#[derive(Debug, Clone)]
pub struct GithubHandle {
    repos: Arc<Vec<Arc<Mutex<GithubState>>>>,
    index: usize,
    /// The scenario's GitHub App (`app_auth.rs`), shared by every repository.
    app: Option<Arc<app_auth::AppAuthority>>,
}

impl GithubHandle {
    /// A handle on the state a scenario describes (on its first repository).
    pub fn new(scenario: &GithubScenario) -> GithubHandle {
        let repos = scenario
            .repositories()
            .iter()
            .map(|s| Arc::new(Mutex::new(GithubState::from_scenario(s))))
            .collect();
        GithubHandle {
            repos: Arc::new(repos),
            index: 0,
            app: scenario
                .app
                .as_ref()
                .map(|a| Arc::new(app_auth::AppAuthority::new(a))),
        }
    }

    /// The scenario's GitHub App, if it has one (its clock, the tokens it issued).
    pub fn app(&self) -> Option<&app_auth::AppAuthority> {
        self.app.as_deref()
    }

    fn lock(&self) -> MutexGuard<'_, GithubState> {
        // A panic in another holder leaves the data usable: keep serving. `index` is always
        // in range (handles are only made for existing repositories).
        let state = &self.repos[self.index.min(self.repos.len().saturating_sub(1))];
        state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A handle on the repository `owner/name` (case-insensitive), if the simulator holds it.
    pub fn repo(&self, owner: &str, name: &str) -> Option<GithubHandle> {
        (0..self.repos.len())
            .map(|index| GithubHandle {
                repos: self.repos.clone(),
                index,
                app: self.app.clone(),
            })
            .find(|h| h.read(|s| s.is_repo(owner, name)))
    }

    /// Handles on every repository, the first one first.
    pub fn all(&self) -> Vec<GithubHandle> {
        (0..self.repos.len())
            .map(|index| GithubHandle {
                repos: self.repos.clone(),
                index,
                app: self.app.clone(),
            })
            .collect()
    }

    /// Runs `f` on the state.
    pub fn read<R>(&self, f: impl FnOnce(&GithubState) -> R) -> R {
        f(&self.lock())
    }

    /// Runs `f` on the state, which it may change.
    pub fn update<R>(&self, f: impl FnOnce(&mut GithubState) -> R) -> R {
        f(&mut self.lock())
    }

    /// A copy of a pull request.
    pub fn pull(&self, number: u64) -> Option<Pull> {
        self.read(|s| s.pulls.get(&number).cloned())
    }

    /// The comments of a pull request, oldest first.
    pub fn comments(&self, number: u64) -> Vec<IssueComment> {
        self.read(|s| s.comments_of(number).cloned().collect())
    }

    /// Posts a comment as `author` (e.g. the Kfops bot answering a command).
    pub fn add_comment(&self, number: u64, author: &str, body: &str) -> Option<IssueComment> {
        self.update(|s| s.add_comment(number, author, body))
    }

    /// Label names of a pull request.
    pub fn labels_of(&self, number: u64) -> Vec<String> {
        self.read(|s| s.pulls.get(&number).map(|p| p.labels.clone()))
            .unwrap_or_default()
    }

    /// Sets how many base commits a PR lacks; `false` if there is no such PR.
    pub fn set_behind_by(&self, number: u64, behind_by: u64) -> bool {
        self.update(|s| s.pulls.get_mut(&number).map(|p| p.behind_by = behind_by))
            .is_some()
    }

    /// Moves a PR's head to `sha`, as a push to its branch would (GitHub then sets its
    /// `base.sha` to the base branch's tip); `false` if there is no such PR.
    pub fn set_head_sha(&self, number: u64, sha: &str) -> bool {
        self.update(|s| {
            let tip = s.repo.head_sha.clone();
            s.pulls.get_mut(&number).map(|p| {
                p.head_sha = sha.to_owned();
                p.base_sha = tip;
                p.updated_at = state::now_secs();
            })
        })
        .is_some()
    }

    /// Whether a PR has been merged (`false` if there is no such PR).
    pub fn is_merged(&self, number: u64) -> bool {
        self.read(|s| s.pulls.get(&number).is_some_and(Pull::is_merged))
    }

    /// Whether a PR is open or closed; `None` if there is no such PR.
    pub fn state_of(&self, number: u64) -> Option<PullStatus> {
        self.read(|s| s.pulls.get(&number).map(|p| p.state))
    }

    /// The default branch's tip (it moves when a PR is merged).
    pub fn base_sha(&self) -> String {
        self.read(|s| s.repo.head_sha.clone())
    }

    /// Sets `mergeable` (`None`: still computing) and `mergeable_state`.
    pub fn set_mergeable(&self, number: u64, mergeable: Option<bool>, state: &str) -> bool {
        self.update(|s| {
            s.pulls.get_mut(&number).map(|p| {
                p.mergeable = mergeable;
                p.mergeable_state = state.to_owned();
            })
        })
        .is_some()
    }
}

/// The GitHub routes, to be nested under `/github`: with several repositories, each
/// `/repos/{owner}/{repo}/…` request goes to its repository's routes (an unknown repository to
/// the first one's, which answers 404), everything else (`/user`) to the first one's.
pub fn router(handle: GithubHandle) -> Router {
    let handles = handle.all();
    if handles.len() <= 1 {
        return repo_router(handle);
    }
    let routes: Arc<Vec<(String, Router)>> = Arc::new(
        handles
            .into_iter()
            .map(|h| {
                let full = h.read(|s| format!("{}/{}", s.repo.owner, s.repo.name));
                (full.to_ascii_lowercase(), repo_router(h))
            })
            .collect(),
    );
    Router::new().fallback(move |req: Request| {
        let routes = routes.clone();
        async move {
            use tower::ServiceExt;
            let path = req.uri().path().to_owned();
            let mut parts = path.trim_start_matches('/').split('/');
            let target = match (parts.next(), parts.next(), parts.next()) {
                (Some("repos"), Some(owner), Some(repo)) => {
                    format!("{owner}/{repo}").to_ascii_lowercase()
                }
                _ => String::new(),
            };
            let router = routes
                .iter()
                .find(|(full, _)| *full == target)
                .or(routes.first())
                .map(|(_, r)| r.clone());
            match router {
                Some(router) => match router.oneshot(req).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                },
                None => not_found().await,
            }
        }
    })
}

/// One repository's routes.
fn repo_router(handle: GithubHandle) -> Router {
    let repo = "/repos/{owner}/{repo}";
    let pull = format!("{repo}/pulls/{{pull_number}}");
    let issue = format!("{repo}/issues/{{issue_number}}");
    Router::new()
        .route(&format!("{repo}/pulls"), get(pulls::list))
        .route(&pull, get(pulls::get).patch(pulls::update))
        .route(
            &format!("{pull}/merge"),
            put(merge::merge).get(merge::check),
        )
        .route(
            &format!("{repo}/compare/{{*basehead}}"),
            get(compare::compare),
        )
        .route(&format!("{repo}/issues"), get(issues::list))
        .route(&issue, get(issues::get).patch(issues::update))
        .route(
            &format!("{issue}/comments"),
            get(comments::list_comments).post(comments::create_comment),
        )
        .route(
            &format!("{issue}/labels"),
            get(issue_labels::list)
                .post(issue_labels::add)
                .put(issue_labels::set)
                .delete(issue_labels::remove_all),
        )
        .route(
            &format!("{issue}/labels/{{name}}"),
            axum::routing::delete(issue_labels::remove),
        )
        .route(
            &format!("{repo}/labels"),
            get(labels::list).post(labels::create),
        )
        .route(
            &format!("{repo}/labels/{{name}}"),
            get(labels::get)
                .patch(labels::update)
                .delete(labels::delete),
        )
        .route("/user", get(user::get))
        .route(
            &format!("{repo}/installation"),
            get(app_auth::repository_installation),
        )
        .route(
            "/app/installations/{installation_id}/access_tokens",
            axum::routing::post(app_auth::create_token),
        )
        .route(repo, get(repo::get))
        .route(&format!("{repo}/contents"), get(contents::get_root))
        .route(&format!("{repo}/contents/{{*path}}"), get(contents::get))
        // GitHub answers unknown paths and unsupported methods alike with 404.
        .fallback(not_found)
        .method_not_allowed_fallback(not_found)
        .layer(middleware::from_fn_with_state(handle.clone(), github_layer))
        .with_state(handle)
}

async fn not_found() -> Response {
    ApiError::not_found(DOCS).into_response()
}

/// Refuses what GitHub refuses for lack of a (right) token (`auth.rs`) and adds GitHub's
/// response headers.
async fn github_layer(State(gh): State<GithubHandle>, req: Request, next: Next) -> Response {
    let presented = presented_token(req.headers()).map(str::to_owned);
    let (token, private, scopes, limit, used_before) = gh.update(|s| {
        // GitHub's window: the count starts again at `x-ratelimit-reset` (so a long demo
        // never runs out for good).
        let now = chrono::Utc::now().timestamp();
        if now >= s.rate_reset {
            s.rate_used = 0;
            s.rate_reset = now + 3600;
        }
        (
            s.token.clone(),
            s.repo.private,
            s.token_scopes.clone(),
            s.rate_limit,
            s.rate_used,
        )
    });
    // With a GitHub App, a presented credential is its JWT or one of its installation
    // tokens (app_auth.rs); anonymous requests are answered as without it.
    let (refused, installation) = match (gh.app(), presented.as_deref()) {
        (Some(app), Some(presented)) => (
            app.refusal(req.method(), req.uri().path(), presented, token.as_deref()),
            app.issued(presented),
        ),
        _ => (
            auth::refusal(
                token.as_deref(),
                presented.as_deref(),
                private,
                req.method(),
                req.uri().path(),
            ),
            false,
        ),
    };
    let authorized = refused.is_none();
    let method = req.method().clone();
    let if_none_match = conditional::if_none_match(req.headers());
    let (mut response, not_modified) = match refused {
        _ if used_before >= limit => (conditional::exhausted(), false),
        None => conditional::with_etag(&method, if_none_match, next.run(req).await).await,
        Some(refusal) => (refusal.into_response(), false),
    };
    // A 304 to an authorized request costs nothing (conditional.rs).
    let counted = !(not_modified && presented.is_some() && authorized) && used_before < limit;
    let (used, reset) = gh.update(|s| {
        if counted {
            s.rate_used += 1;
        }
        (s.rate_used, s.rate_reset)
    });
    let status = response.status();
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    };
    set("x-github-api-version-selected", "2022-11-28".to_owned());
    set("x-ratelimit-limit", limit.to_string());
    set(
        "x-ratelimit-remaining",
        limit.saturating_sub(used).to_string(),
    );
    set("x-ratelimit-reset", reset.to_string());
    set("x-ratelimit-used", used.min(limit).to_string());
    set("x-ratelimit-resource", "core".to_owned());
    set("x-github-media-type", "github.v3; format=json".to_owned());
    set("x-github-request-id", format!("5A1D:{used:06X}:{reset:X}"));
    if authorized && presented.is_some() && !installation {
        scopes::add_headers(headers, &scopes);
    }
    if status != StatusCode::NO_CONTENT && status != StatusCode::NOT_MODIFIED {
        headers
            .entry(header::CONTENT_TYPE)
            .or_insert(HeaderValue::from_static("application/json; charset=utf-8"));
    }
    response
}

/// The token of an `Authorization: token X` or `Authorization: Bearer X` header.
fn presented_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer"))
        .then(|| token.trim())
}
