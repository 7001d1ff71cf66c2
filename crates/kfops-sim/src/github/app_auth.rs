//! GitHub App authentication as GitHub answers it: the App's JWT, installation tokens that
//! expire, and what an installation token may not do.
//!
//! - The JWT (RS256, verified with the App's public key) is accepted on the App's own routes
//!   (`/app/…`, `GET /repos/{owner}/{repo}/installation`) when `iat` is not in the future and
//!   `exp` is ahead but at most 10 minutes ("Generating a JSON Web Token (JWT) for a GitHub
//!   App": <https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app>).
//!   GitHub's 401 messages are those clients report: `A JSON web token could not be decoded`,
//!   `'Expiration time' claim ('exp') is too far in the future` (octokit/auth-app.js#698,
//!   actions/create-github-app-token#178), `'Expiration time' claim ('exp') must be a numeric
//!   value representing the future time at which the assertion expires`
//!   (sigmavirus24/github3.py#1050).
//! - `POST /app/installations/{id}/access_tokens` answers 201 with `token`, `expires_at`
//!   (one hour later), `permissions` and `repository_selection` ("Create an installation
//!   access token for an app": <https://docs.github.com/en/rest/apps/apps#create-an-installation-access-token-for-an-app>).
//! - An installation token past its `expires_at` is 401 `Bad credentials`, as any unknown
//!   token; `GET /user` with a live one is 403 `Resource not accessible by integration`
//!   (the body reported in actions/create-github-app-token#258); it gets no `x-oauth-scopes`
//!   (OAuth scopes belong to OAuth and classic personal tokens).
//!
//! Time is the simulator's App clock: the wall clock plus an offset tests move forward
//! ([`AppAuthority::advance`]), so expiry is tested without sleeping.

use std::collections::BTreeMap;
use std::sync::Mutex;

use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

use super::http::{json_response, ApiError, DOCS};
use super::GithubHandle;

const NOT_DECODED: &str = "A JSON web token could not be decoded";
const EXP_PAST: &str = "'Expiration time' claim ('exp') must be a numeric value representing the \
future time at which the assertion expires";
const EXP_FAR: &str = "'Expiration time' claim ('exp') is too far in the future";
const IAT_FUTURE: &str = "'Issued at' claim ('iat') must be an Integer representing the time that \
the assertion was issued";
const USER_DOC: &str = "https://docs.github.com/rest/users/users#get-the-authenticated-user";

/// `[github.app]` of a scenario: a GitHub App installed on the scenario's repositories.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppScenario {
    /// The App's numeric ID (a JWT's `iss` may be it or the client ID).
    pub id: u64,
    /// The App's client ID.
    #[serde(default)]
    pub client_id: Option<String>,
    /// The App's public key, PEM (`RSA PUBLIC KEY`, PKCS#1). Tests hold a generated pair.
    pub public_key: String,
    /// The installation's id (on every repository of the scenario).
    #[serde(default = "default_installation_id")]
    pub installation_id: u64,
    /// The installation's permissions (`pull_requests = "write"`, …); default: what Kfops
    /// needs.
    #[serde(default = "default_permissions")]
    pub permissions: BTreeMap<String, String>,
}

fn default_installation_id() -> u64 {
    48_120_007
}

fn default_permissions() -> BTreeMap<String, String> {
    [
        ("contents", "write"),
        ("issues", "write"),
        ("metadata", "read"),
        ("pull_requests", "write"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// The simulated App: its key, its clock and the installation tokens it issued.
#[derive(Debug)]
pub struct AppAuthority {
    scenario: AppScenario,
    /// PKCS#1 DER of the public key (empty if the scenario's PEM is unreadable: every JWT is
    /// then refused).
    public_key: Vec<u8>,
    state: Mutex<AppState>,
}

#[derive(Debug, Default)]
struct AppState {
    /// How far the App clock is ahead of the wall clock.
    offset: Duration,
    /// Issued tokens and when each expires.
    tokens: BTreeMap<String, DateTime<Utc>>,
}

/// Whether `path` (inside the API) is one of the routes that want the App's JWT.
pub fn is_app_route(path: &str) -> bool {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    parts.first() == Some(&"app")
        || (parts.len() == 4 && parts[0] == "repos" && parts[3] == "installation")
}

impl AppAuthority {
    pub fn new(scenario: &AppScenario) -> AppAuthority {
        let public_key = pem_der(&scenario.public_key).unwrap_or_else(|| {
            tracing::error!("[github.app] public_key is not a PEM block; every JWT is refused");
            Vec::new()
        });
        AppAuthority {
            scenario: scenario.clone(),
            public_key,
            state: Mutex::new(AppState::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, AppState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The App clock's now.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.lock().offset
    }

    /// Moves the App clock forward (tokens expire by it).
    pub fn advance(&self, by: Duration) {
        self.lock().offset += by;
    }

    /// Whether `token` is an installation token this App issued (live or expired).
    pub fn issued(&self, token: &str) -> bool {
        self.lock().tokens.contains_key(token)
    }

    /// Revokes every token issued so far (as `DELETE /installation/token` or a key rotation
    /// would): each is refused from now on.
    pub fn revoke_all(&self) {
        let past = self.now() - Duration::seconds(1);
        self.lock().tokens.values_mut().for_each(|e| *e = past);
    }

    /// Every installation token issued so far (for tests searching outputs for leaks).
    pub fn issued_tokens(&self) -> Vec<String> {
        self.lock().tokens.keys().cloned().collect()
    }

    /// What GitHub answers before any handler runs, with the App installed: `None` lets the
    /// request through. `personal` is the scenario's own token (still accepted when set).
    pub fn refusal(
        &self,
        method: &Method,
        path: &str,
        presented: &str,
        personal: Option<&str>,
    ) -> Option<ApiError> {
        if is_app_route(path) {
            return self.verify_jwt(presented).err();
        }
        if personal == Some(presented) {
            return None;
        }
        let now = self.now();
        let expires = self.lock().tokens.get(presented).copied();
        let live = expires.is_some_and(|expires| expires > now);
        if !live {
            return Some(ApiError::bad_credentials());
        }
        (method == Method::GET && path == "/user").then(|| {
            ApiError::message(
                StatusCode::FORBIDDEN,
                "Resource not accessible by integration",
                USER_DOC,
            )
        })
    }

    /// Checks the App's JWT: signature, issuer, `iat` and `exp` against the App clock.
    fn verify_jwt(&self, jwt: &str) -> Result<(), ApiError> {
        let refuse = |message: &str| ApiError::message(StatusCode::UNAUTHORIZED, message, DOCS);
        let mut parts = jwt.split('.');
        let (Some(header), Some(claims), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(refuse(NOT_DECODED));
        };
        let decode = |part: &str| -> Option<Value> {
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
        };
        let (Some(head), Some(claims), Ok(signature)) = (
            decode(header),
            decode(claims),
            URL_SAFE_NO_PAD.decode(signature),
        ) else {
            return Err(refuse(NOT_DECODED));
        };
        let key = ring::signature::UnparsedPublicKey::new(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            &self.public_key,
        );
        let signed = jwt.rsplit_once('.').map_or("", |(signed, _)| signed);
        if head["alg"] != "RS256" || key.verify(signed.as_bytes(), &signature).is_err() {
            return Err(refuse(NOT_DECODED));
        }
        // GitHub finds the key by `iss`: the App ID (a number or its text) or the client ID.
        let iss = match &claims["iss"] {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            _ => String::new(),
        };
        let ours = iss == self.scenario.id.to_string()
            || self.scenario.client_id.as_deref() == Some(iss.as_str());
        if !ours {
            return Err(refuse(NOT_DECODED));
        }
        let now = self.now().timestamp();
        match (claims["iat"].as_i64(), claims["exp"].as_i64()) {
            (Some(iat), _) if iat > now => Err(refuse(IAT_FUTURE)),
            (None, _) => Err(refuse(IAT_FUTURE)),
            (_, Some(exp)) if exp <= now => Err(refuse(EXP_PAST)),
            (_, Some(exp)) if exp > now + 600 => Err(refuse(EXP_FAR)),
            (_, None) => Err(refuse(EXP_PAST)),
            _ => Ok(()),
        }
    }

    /// A new installation token, valid one hour by the App clock.
    fn issue(&self) -> (String, DateTime<Utc>) {
        let token = format!("ghs_{}", uuid::Uuid::new_v4().simple());
        let expires = self.now() + Duration::hours(1);
        self.lock().tokens.insert(token.clone(), expires);
        // (`now` and the insert take the lock one after the other, never nested.)
        (token, expires)
    }

    /// The installation as `GET /repos/{owner}/{repo}/installation` shows it.
    fn installation(&self, owner: &str, api: &str) -> Value {
        let s = &self.scenario;
        json!({
            "id": s.installation_id,
            "account": {"login": owner},
            "app_id": s.id,
            "client_id": s.client_id,
            "app_slug": "kfops",
            "target_type": "Organization",
            "repository_selection": "selected",
            "access_tokens_url": format!("{api}/app/installations/{}/access_tokens", s.installation_id),
            "permissions": s.permissions,
            "events": [],
            "created_at": "2026-01-05T09:00:00Z",
            "updated_at": "2026-01-05T09:00:00Z",
        })
    }
}

/// The bytes of the first PEM block of `text` (lines before it ignored).
fn pem_der(text: &str) -> Option<Vec<u8>> {
    let body: String = text
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN "))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END "))
        .flat_map(str::chars)
        .filter(|c| !c.is_whitespace())
        .collect();
    STANDARD.decode(body).ok()
}

/// `GET /repos/{owner}/{repo}/installation` ("Get a repository installation for the
/// authenticated app"): the App is installed on every repository of the scenario.
pub async fn repository_installation(
    State(gh): State<GithubHandle>,
    Path((owner, repo)): Path<(String, String)>,
    req: super::http::Req,
) -> Result<Response, ApiError> {
    let app = gh.app().ok_or_else(|| ApiError::not_found(DOCS))?;
    gh.read(|s| super::http::check_repo(s, &owner, &repo))?;
    Ok(json_response(
        StatusCode::OK,
        &app.installation(&owner, &req.api()),
    ))
}

/// `POST /app/installations/{installation_id}/access_tokens`: 201 with a token valid one
/// hour; 404 for another installation.
pub async fn create_token(
    State(gh): State<GithubHandle>,
    Path(installation_id): Path<String>,
) -> Result<Response, ApiError> {
    let app = gh.app().ok_or_else(|| ApiError::not_found(DOCS))?;
    if installation_id != app.scenario.installation_id.to_string() {
        return Err(ApiError::not_found(DOCS));
    }
    let (token, expires) = app.issue();
    Ok(json_response(
        StatusCode::CREATED,
        &json!({
            "token": token,
            "expires_at": expires.to_rfc3339_opts(SecondsFormat::Secs, true),
            "permissions": app.scenario.permissions,
            "repository_selection": "selected",
        }),
    ))
}
