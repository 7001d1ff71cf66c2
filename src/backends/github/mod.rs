//! GitHub through octocrab: the open pull requests of the model repository and the Kfops
//! facts read from their comments; `writes` holds what a deploy changes (labels, merge, close).

pub mod app_auth;
mod budget;
mod cache;
mod contents;
mod refresh;
mod writes;

pub use budget::RateBudget;
pub use writes::PullCheck;

use std::sync::Arc;

use std::time::Duration;

use octocrab::Octocrab;

use super::error::flatten;
use super::error::{hint_for_status, BackendError, Service, Throttle};
use super::retry;
use crate::chatops::{read_var, VAR_RUN_ID, VAR_VERSION_ID};
use crate::config::{Config, Secret};
use crate::domain::PullRequest;

/// How many PRs are enriched (detail, compare, comments) at once.
const CONCURRENT_PR_FETCHES: usize = 8;

/// A GitHub client bound to one repository.
#[derive(Clone)]
pub struct GitHub {
    auth: Auth,
    owner: String,
    repo: String,
    /// The last answers of the reads a refresh repeats, for conditional requests.
    conditional: cache::Conditional,
    /// What the last refresh learnt of each open PR (`refresh.rs`).
    known: refresh::Known,
}

impl std::fmt::Debug for GitHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHub")
            .field("owner", &self.owner)
            .field("repo", &self.repo)
            .finish_non_exhaustive()
    }
}

/// How requests are authenticated: one fixed token (or none), or a GitHub App's
/// installation tokens, renewed before they expire.
#[derive(Clone)]
enum Auth {
    Fixed(Octocrab),
    App(Arc<app_auth::Session>),
}

impl GitHub {
    /// The client of a project's config: its `[github] api_url`, its credentials (the
    /// `[github.app]` when set, else the token) and repository.
    pub fn for_project(cfg: &Config) -> Result<Self, BackendError> {
        let (owner, repo) = (&cfg.repository.owner, &cfg.repository.name);
        match &cfg.github.app {
            Some(app) => {
                let key = app_auth::AppKey::from_file(&app.id, &app.private_key_path())?;
                let auth = app_auth::AppAuth::new(
                    key,
                    app.installation_id,
                    &cfg.github.api_url,
                    owner,
                    repo,
                )?;
                Self::with_app(&cfg.github.api_url, auth, app_auth::system_clock())
            }
            None => Self::new(
                &cfg.github.api_url,
                cfg.github_token().as_ref(),
                owner,
                repo,
            ),
        }
    }

    /// A client authenticated as a GitHub App installation (`auth`), its tokens' freshness
    /// read from `clock`.
    pub fn with_app(
        api_url: &str,
        auth: app_auth::AppAuth,
        clock: app_auth::Clock,
    ) -> Result<Self, BackendError> {
        let (owner, repo) = (auth.owner().to_owned(), auth.repo().to_owned());
        let url = api_url.to_owned();
        let session = app_auth::Session::new(auth, clock, move |token: &Secret| {
            octocrab_for(&url, Some(token))
        });
        Ok(Self {
            auth: Auth::App(Arc::new(session)),
            owner,
            repo,
            conditional: cache::Conditional::default(),
            known: refresh::Known::default(),
        })
    }

    /// The octocrab client to send a request with (a GitHub App's token renewed first when
    /// it nears its expiry).
    async fn client(&self) -> Result<Octocrab, BackendError> {
        match &self.auth {
            Auth::Fixed(client) => Ok(client.clone()),
            Auth::App(session) => session.client().await,
        }
    }

    /// `err` as an operator-facing error; a 401 to a GitHub App token (revoked, or the
    /// clocks disagree about its expiry) drops it, so the next request gets a new one.
    fn failed(&self, what: &str, err: octocrab::Error) -> BackendError {
        let e = map_err(what, err);
        if let (Some(401), Auth::App(session)) = (e.status, &self.auth) {
            session.forget();
        }
        e
    }

    /// The GitHub App installation token in use (a new one if needed); `None` with token
    /// authentication.
    pub async fn app_token(&self) -> Option<Result<app_auth::InstallationToken, BackendError>> {
        match &self.auth {
            Auth::Fixed(_) => None,
            Auth::App(session) => Some(session.token().await),
        }
    }

    /// Builds a client for `api_url` (`https://api.github.com`, a GitHub Enterprise `/api/v3`
    /// URL, or the simulator's `/github` URL).
    pub fn new(
        api_url: &str,
        token: Option<&Secret>,
        owner: &str,
        repo: &str,
    ) -> Result<Self, BackendError> {
        Ok(Self {
            auth: Auth::Fixed(octocrab_for(api_url, token)?),
            owner: owner.to_string(),
            repo: repo.to_string(),
            conditional: cache::Conditional::default(),
            known: refresh::Known::default(),
        })
    }

    /// `owner/name` of the repository.
    pub fn repo_slug(&self) -> String {
        format!("{}/{}", self.owner, self.repo)
    }

    /// One PR with everything the console shows about it.
    pub async fn pull_request(&self, number: u64) -> Result<PullRequest, BackendError> {
        self.enrich(number).await
    }

    /// Whether PR `number` exists: one `GET pulls/{number}`, whose 404 (no such PR, an issue
    /// that is not a PR, or a private repository without a token) is `false`.
    pub async fn pull_exists(&self, number: u64) -> Result<bool, BackendError> {
        match self.get_pull(number).await {
            Ok(_) => Ok(true),
            Err(e) if e.status == Some(404) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `GET pulls/{number}`, as octocrab reads it.
    async fn get_pull(
        &self,
        number: u64,
    ) -> Result<octocrab::models::pulls::PullRequest, BackendError> {
        let what = format!("get PR #{number}");
        retry::read(|| async {
            let route = format!("/repos/{}/{}/pulls/{number}", self.owner, self.repo);
            self.conditional
                .get(&self.client().await?, &route)
                .await
                .map_err(|e| self.failed(&what, e))
        })
        .await
    }

    async fn enrich(&self, number: u64) -> Result<PullRequest, BackendError> {
        let pr = self.get_pull(number).await?;
        let base_ref = pr.base.ref_field.clone();
        let head_sha = pr.head.sha.clone();
        let (comparison, bodies) = futures::try_join!(
            self.compare(&base_ref, &head_sha),
            self.comment_bodies(number)
        )?;
        Ok(PullRequest {
            project: 0,
            number: pr.number,
            title: pr.title.clone().unwrap_or_default(),
            author: pr
                .user
                .as_ref()
                .map(|u| u.login.clone())
                .unwrap_or_default(),
            head_ref: pr.head.ref_field.clone(),
            head_sha,
            base_ref,
            behind_by: Some(comparison.0),
            ahead_by: Some(comparison.1),
            mergeable: pr.mergeable,
            mergeable_state: mergeable_state_name(&pr),
            labels: pr
                .labels
                .as_ref()
                .map(|ls| ls.iter().map(|l| l.name.clone()).collect())
                .unwrap_or_default(),
            updated_at: pr.updated_at.unwrap_or_default(),
            last_version_id: read_var(bodies.iter().map(String::as_str), VAR_VERSION_ID),
            last_run_id: read_var(bodies.iter().map(String::as_str), VAR_RUN_ID),
        })
    }

    /// `(behind_by, ahead_by)` of `head` against `base` (the refresh's conditional read,
    /// without whether it was answered 304).
    async fn compare(&self, base: &str, head: &str) -> Result<(u64, u64), BackendError> {
        Ok(self.compare_tracked(base, head).await?.0)
    }

    /// The bodies of all comments of an issue or PR, oldest first.
    pub async fn comment_bodies(&self, number: u64) -> Result<Vec<String>, BackendError> {
        let what = format!("list comments of #{number}");
        let all = retry::read(|| async {
            let route = format!(
                "/repos/{}/{}/issues/{number}/comments?per_page=100",
                self.owner, self.repo
            );
            self.all_pages::<octocrab::models::issues::Comment>(&self.client().await?, &route)
                .await
                .map_err(|e| self.failed(&what, e))
        })
        .await?;
        Ok(all.into_iter().filter_map(|c| c.body).collect())
    }

    /// Every item of a paged list: the first page conditionally (an unchanged list of one
    /// page costs nothing against the rate limit), the further pages (lists past 100 items)
    /// as octocrab reads them.
    async fn all_pages<T: serde::de::DeserializeOwned>(
        &self,
        client: &Octocrab,
        route: &str,
    ) -> octocrab::Result<Vec<T>> {
        let first: octocrab::Page<T> = self.conditional.get(client, route).await?;
        if first.next.is_none() {
            return Ok(first.items);
        }
        client.all_pages(first).await
    }

    /// The latest REST (`core`) request budget GitHub stated, if any answer carried it.
    pub fn rate_budget(&self) -> Option<RateBudget> {
        self.conditional.budgets.of("core")
    }

    /// How many reads were answered `304 Not Modified` (served from the kept answer).
    pub fn not_modified_count(&self) -> u64 {
        self.conditional.not_modified()
    }
}

impl GitHub {
    /// The bytes of a file of the repository at a ref (branch, tag or commit SHA).
    pub async fn file_at(&self, path: &str, git_ref: &str) -> Result<Vec<u8>, BackendError> {
        let what = format!("read {path} at {}", short(git_ref));
        let items = retry::read(|| async {
            self.client()
                .await?
                .repos(&self.owner, &self.repo)
                .get_content()
                .path(path)
                .r#ref(git_ref)
                .send()
                .await
                .map_err(|e| self.failed(&what, e))
        })
        .await?;
        let item = items.items.into_iter().next().ok_or_else(|| {
            BackendError::new(Service::GitHub, &what, "no such file")
                .with_hint("check the path in the config")
        })?;
        match contents::Served::of(&item) {
            contents::Served::Inline(encoded) => {
                contents::decode(encoded).map_err(|e| BackendError::new(Service::GitHub, &what, e))
            }
            contents::Served::Raw => self.raw_file_at(path, git_ref, &what).await,
            contents::Served::TooLarge(size) => {
                Err(
                    BackendError::new(Service::GitHub, &what, contents::too_large(path, size))
                        .with_hint("keep the files Kfops reads under 100 MB (GitHub's API limit)"),
                )
            }
            contents::Served::NotAFile => Err(BackendError::new(
                Service::GitHub,
                &what,
                format!("{path} is not a file"),
            )),
        }
    }

    /// A file's bytes through the raw media type: the only way GitHub's contents API serves
    /// files between 1 and 100 MB (see [`contents`]).
    async fn raw_file_at(
        &self,
        path: &str,
        git_ref: &str,
        what: &str,
    ) -> Result<Vec<u8>, BackendError> {
        use http_body_util::BodyExt;
        retry::read(|| async {
            let response = self
                .client()
                .await?
                .repos(&self.owner, &self.repo)
                .raw_file(git_ref.to_string(), path)
                .await
                .map_err(|e| self.failed(what, e))?;
            let response = octocrab::map_github_error(response)
                .await
                .map_err(|e| self.failed(what, e))?;
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| self.failed(what, e))?;
            Ok(body.to_bytes().to_vec())
        })
        .await
    }

    /// Posts a comment on a PR (the Kfops history chat users see).
    pub async fn post_comment(&self, number: u64, body: &str) -> Result<u64, BackendError> {
        let what = format!("comment on #{number}");
        let comment = retry::write(|| async {
            self.client()
                .await?
                .issues(&self.owner, &self.repo)
                .create_comment(number, body)
                .await
                .map_err(|e| self.failed(&what, e))
        })
        .await?;
        Ok(comment.id.into_inner())
    }

    /// The owner of the repository.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The repository name.
    pub fn repo(&self) -> &str {
        &self.repo
    }
}

/// An octocrab client for `api_url` sending `token` (as `Authorization: Bearer`).
fn octocrab_for(api_url: &str, token: Option<&Secret>) -> Result<Octocrab, BackendError> {
    let mut builder = Octocrab::builder()
        .base_uri(api_url)
        .map_err(|e| {
            BackendError::new(Service::GitHub, "configure client", e.to_string())
                .with_hint("check [github] api_url")
        })?
        .set_connect_timeout(Some(Duration::from_secs(10)))
        .set_read_timeout(Some(Duration::from_secs(30)))
        // Our policy (backends::retry) retries reads only, honouring the rate-limit
        // headers; octocrab's default would retry writes too, and retries would multiply.
        .add_retry_config(octocrab::service::middleware::retry::RetryConfig::None);
    if let Some(token) = token {
        builder = builder.personal_token(token.expose().to_string());
    }
    builder
        .build()
        .map_err(|e| BackendError::new(Service::GitHub, "configure client", e.to_string()))
}

/// The first 7 characters of a SHA (refs that are not SHAs stay whole).
fn short(git_ref: &str) -> &str {
    if git_ref.len() == 40 && git_ref.bytes().all(|b| b.is_ascii_hexdigit()) {
        &git_ref[..7]
    } else {
        git_ref
    }
}

/// Turns an octocrab error into an operator-facing one.
fn map_err(what: &str, err: octocrab::Error) -> BackendError {
    match err {
        octocrab::Error::GitHub { source, .. } => {
            let status = source.status_code.as_u16();
            let throttle = source
                .headers
                .as_ref()
                .map(|h| Throttle::from_headers(h, chrono::Utc::now()))
                .unwrap_or_default();
            let mut e = BackendError::new(
                Service::GitHub,
                what,
                format!("{} {}", status, source.message),
            )
            .with_status(status)
            .with_throttle(throttle);
            e.hint = hint_for_status(Service::GitHub, status);
            e
        }
        // No answer (or a broken one): the connection, not GitHub, failed.
        other @ (octocrab::Error::Hyper { .. } | octocrab::Error::Service { .. }) => {
            BackendError::new(Service::GitHub, what, flatten(&other))
                .with_hint("check [github] api_url and the network")
                .transport()
        }
        other => BackendError::new(Service::GitHub, what, flatten(&other))
            .with_hint("check [github] api_url and the network"),
    }
}

/// GitHub's `mergeable_state` of a PR as it spells it (`clean`, `dirty`, ...).
fn mergeable_state_name(pr: &octocrab::models::pulls::PullRequest) -> Option<String> {
    pr.mergeable_state
        .as_ref()
        .and_then(|s| serde_json::to_value(s).ok())
        .and_then(|v| v.as_str().map(str::to_string))
}
