//! GitHub App authentication: the App's JWT, then an installation access token, renewed
//! before it expires.
//!
//! What GitHub documents ("Generating a JSON Web Token (JWT) for a GitHub App",
//! <https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app>;
//! "Generating an installation access token for a GitHub App",
//! <https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-an-installation-access-token-for-a-github-app>):
//! - the JWT is signed RS256 with the App's private key; `iat` 60 s in the past against
//!   clock drift, `exp` no more than 10 minutes ahead (we use 9: GitHub refuses an `exp` "too
//!   far in the future" when the clocks differ by a second), `iss` the App's client ID or ID;
//! - `GET /repos/{owner}/{repo}/installation` (with the JWT) names the installation;
//! - `POST /app/installations/{id}/access_tokens` (with the JWT) answers 201 with `token`
//!   and `expires_at` (one hour later); the token is then sent as `Authorization: Bearer`.
//!
//! Hand-written rather than octocrab's `app`/`installation` support: that needs the
//! `jsonwebtoken` crate with a crypto backend (`aws_lc_rs`, a C build, or `rust_crypto`,
//! whose `rsa` crate has an open timing advisory, RUSTSEC-2023-0071), none of which is in our
//! tree, and it renews on the wall clock, which a test cannot move. `ring` (already under
//! rustls) signs RS256.

use std::sync::Arc;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use serde_json::Value;

use crate::backends::error::{hint_for_status, BackendError, Service};
use crate::backends::retry;
use crate::config::Secret;

/// What the console reads the time from: the wall clock, or a test's simulated one.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The wall clock.
pub fn system_clock() -> Clock {
    Arc::new(Utc::now)
}

/// How long before its expiry an installation token is replaced.
pub const RENEW_BEFORE: Duration = Duration::minutes(5);

const KEY_FIX: &str = "check [github.app] private_key_file: the PEM private key GitHub generated \
for the App (BEGIN RSA PRIVATE KEY or BEGIN PRIVATE KEY)";

/// A GitHub App's credentials: its ID (or client ID) and private key.
#[derive(Clone)]
pub struct AppKey {
    /// The JWT's `iss`: the App's client ID or numeric ID.
    issuer: String,
    key: Arc<RsaKeyPair>,
}

impl std::fmt::Debug for AppKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppKey")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl AppKey {
    /// The App `issuer` with the private key of a PEM text (PKCS#1 as GitHub hands it out,
    /// or PKCS#8). The error never quotes the key.
    pub fn from_pem(issuer: &str, pem: &str) -> Result<AppKey, String> {
        let (label, der) = pem_block(pem).ok_or("no PEM block found")?;
        let key = match label.as_str() {
            "RSA PRIVATE KEY" => RsaKeyPair::from_der(&der),
            "PRIVATE KEY" => RsaKeyPair::from_pkcs8(&der),
            other => return Err(format!("a PEM `{other}` is not an RSA private key")),
        }
        .map_err(|e| format!("not a usable RSA private key ({e})"))?;
        Ok(AppKey {
            issuer: issuer.to_owned(),
            key: Arc::new(key),
        })
    }

    /// Reads the key file; errors name the file and the fix, never its content.
    pub fn from_file(issuer: &str, path: &std::path::Path) -> Result<AppKey, BackendError> {
        let what = "read the GitHub App private key";
        let text = std::fs::read_to_string(path).map_err(|e| {
            BackendError::new(Service::GitHub, what, format!("{}: {e}", path.display()))
                .with_hint(KEY_FIX)
        })?;
        AppKey::from_pem(issuer, &text).map_err(|e| {
            BackendError::new(Service::GitHub, what, format!("{}: {e}", path.display()))
                .with_hint(KEY_FIX)
        })
    }

    /// The App's JWT at `now`: `iat` 60 s ago, `exp` 9 minutes ahead.
    pub fn jwt(&self, now: DateTime<Utc>) -> Result<Secret, String> {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
        let claims = serde_json::json!({
            "iat": (now - Duration::seconds(60)).timestamp(),
            "exp": (now + Duration::minutes(9)).timestamp(),
            "iss": self.issuer,
        });
        let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signed = format!("{header}.{claims}");
        let mut signature = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                signed.as_bytes(),
                &mut signature,
            )
            .map_err(|_| "signing the App's JWT failed".to_owned())?;
        Ok(Secret::new(format!(
            "{signed}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        )))
    }
}

/// The label and bytes of the first PEM block of `text`.
pub fn pem_block(text: &str) -> Option<(String, Vec<u8>)> {
    let start = text.find("-----BEGIN ")?;
    let rest = &text[start + "-----BEGIN ".len()..];
    let label_end = rest.find("-----")?;
    let label = rest[..label_end].to_owned();
    let body_start = label_end + "-----".len();
    let end = rest.find(&format!("-----END {label}-----"))?;
    let body: String = rest
        .get(body_start..end)?
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    Some((label, STANDARD.decode(body).ok()?))
}

/// An installation token and when it expires.
#[derive(Clone)]
pub struct InstallationToken {
    pub token: Secret,
    pub expires_at: DateTime<Utc>,
    /// The installation's permissions as GitHub granted them with the token
    /// (`{"pull_requests": "write", …}`).
    pub permissions: Value,
    pub installation_id: u64,
}

/// Whether a token expiring at `expires` is still used at `now` (renewed once less than
/// [`RENEW_BEFORE`] remains).
pub fn fresh(expires: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    expires - now > RENEW_BEFORE
}

/// What asks GitHub for installation tokens of one repository's installation.
#[derive(Clone, Debug)]
pub struct AppAuth {
    pub key: AppKey,
    /// The installation; found through the repository when unset.
    pub installation_id: Option<u64>,
    api_url: String,
    owner: String,
    repo: String,
    http: reqwest::Client,
}

impl AppAuth {
    pub fn new(
        key: AppKey,
        installation_id: Option<u64>,
        api_url: &str,
        owner: &str,
        repo: &str,
    ) -> Result<AppAuth, BackendError> {
        let http = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(10))
            .timeout(std::time::Duration::from_secs(30))
            .user_agent(concat!("kfops-console/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| BackendError::new(Service::GitHub, "configure client", e.to_string()))?;
        Ok(AppAuth {
            key,
            installation_id,
            api_url: api_url.trim_end_matches('/').to_owned(),
            owner: owner.to_owned(),
            repo: repo.to_owned(),
            http,
        })
    }

    /// The repository owner the installation is looked up for.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The repository name the installation is looked up for.
    pub fn repo(&self) -> &str {
        &self.repo
    }

    /// A new installation token at `now`: the installation (configured, or the repository's),
    /// then `POST …/access_tokens`.
    pub async fn new_token(&self, now: DateTime<Utc>) -> Result<InstallationToken, BackendError> {
        let installation_id = match self.installation_id {
            Some(id) => id,
            None => self.repository_installation(now).await?,
        };
        let what = "create a GitHub App installation token";
        let url = format!(
            "{}/app/installations/{installation_id}/access_tokens",
            self.api_url
        );
        let body = retry::write(|| self.send(reqwest::Method::POST, &url, now, what)).await?;
        let token = body["token"]
            .as_str()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| BackendError::new(Service::GitHub, what, "the answer has no token"))?;
        // A missing or unreadable expiry: assume GitHub's documented hour.
        let expires_at = body["expires_at"]
            .as_str()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(now + Duration::hours(1));
        tracing::debug!(installation_id, %expires_at, "GitHub App installation token obtained");
        Ok(InstallationToken {
            token: Secret::new(token),
            expires_at,
            permissions: body["permissions"].clone(),
            installation_id,
        })
    }

    /// `GET /repos/{owner}/{repo}/installation`: the App's installation on the repository.
    async fn repository_installation(&self, now: DateTime<Utc>) -> Result<u64, BackendError> {
        let what = format!(
            "find the GitHub App installation of {}/{}",
            self.owner, self.repo
        );
        let url = format!(
            "{}/repos/{}/{}/installation",
            self.api_url, self.owner, self.repo
        );
        let body = retry::read(|| self.send(reqwest::Method::GET, &url, now, &what)).await?;
        body["id"].as_u64().ok_or_else(|| {
            BackendError::new(Service::GitHub, &what, "the answer has no installation id")
        })
    }

    /// One request authenticated with the App's JWT; the JSON body of a 2xx.
    async fn send(
        &self,
        method: reqwest::Method,
        url: &str,
        now: DateTime<Utc>,
        what: &str,
    ) -> Result<Value, BackendError> {
        let jwt = self
            .key
            .jwt(now)
            .map_err(|e| BackendError::new(Service::GitHub, what, e).with_hint(KEY_FIX))?;
        let mut auth = http::HeaderValue::from_str(&format!("Bearer {}", jwt.expose()))
            .map_err(|_| BackendError::new(Service::GitHub, what, "unusable JWT"))?;
        auth.set_sensitive(true);
        let response = self
            .http
            .request(method, url)
            .header(http::header::AUTHORIZATION, auth)
            .header(http::header::ACCEPT, "application/vnd.github+json")
            .send()
            .await
            .map_err(|e| {
                BackendError::new(Service::GitHub, what, crate::backends::error::flatten(&e))
                    .with_hint("check [github] api_url and the network")
                    .transport()
            })?;
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            return Ok(body);
        }
        let message = body["message"].as_str().unwrap_or("").to_owned();
        let mut e = BackendError::new(Service::GitHub, what, format!("{status} {message}"))
            .with_status(status);
        e.hint = Some(match status {
            401 => "check [github.app] id and private_key_file (the App's current key), and \
                    that this machine's clock is right"
                .to_owned(),
            404 => format!(
                "install the GitHub App on {}/{} (or fix [github.app] installation_id)",
                self.owner, self.repo
            ),
            _ => hint_for_status(Service::GitHub, status).unwrap_or_default(),
        });
        Err(e)
    }
}

/// An installation token kept with the octocrab client that sends it.
#[derive(Clone)]
struct Current {
    token: InstallationToken,
    client: octocrab::Octocrab,
}

/// Makes the octocrab client that sends a token.
type BuildClient = Box<dyn Fn(&Secret) -> Result<octocrab::Octocrab, BackendError> + Send + Sync>;

/// The installation token of one repository's client: asked for on first use, kept, and
/// replaced once less than [`RENEW_BEFORE`] remains (read from `clock`).
pub struct Session {
    auth: AppAuth,
    clock: Clock,
    build: BuildClient,
    current: tokio::sync::Mutex<Option<Current>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// `build` makes the octocrab client that sends a token.
    pub fn new(
        auth: AppAuth,
        clock: Clock,
        build: impl Fn(&Secret) -> Result<octocrab::Octocrab, BackendError> + Send + Sync + 'static,
    ) -> Session {
        Session {
            auth,
            clock,
            build: Box::new(build),
            current: tokio::sync::Mutex::new(None),
        }
    }

    /// The client with a token fresh at the clock's now (renewed first if needed).
    pub async fn client(&self) -> Result<octocrab::Octocrab, BackendError> {
        Ok(self.current().await?.client)
    }

    /// The current token (renewed first if needed).
    pub async fn token(&self) -> Result<InstallationToken, BackendError> {
        Ok(self.current().await?.token)
    }

    /// Drops the kept token (GitHub refused it): the next request asks for a new one. A
    /// renewal under way is left alone (it brings a new token anyway).
    pub fn forget(&self) {
        if let Ok(mut current) = self.current.try_lock() {
            if current.take().is_some() {
                tracing::debug!(
                    "GitHub refused the App's installation token; a new one is asked next"
                );
            }
        }
    }

    async fn current(&self) -> Result<Current, BackendError> {
        let mut current = self.current.lock().await;
        let now = (self.clock)();
        if let Some(kept) = current.as_ref().filter(|c| fresh(c.token.expires_at, now)) {
            return Ok(kept.clone());
        }
        let token = self.auth.new_token(now).await?;
        let client = (self.build)(&token.token)?;
        let fresh = Current { token, client };
        *current = Some(fresh.clone());
        Ok(fresh)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_renewed_five_minutes_before_it_expires() {
        let now = Utc::now();
        assert!(fresh(now + Duration::minutes(60), now));
        assert!(fresh(now + Duration::minutes(6), now));
        assert!(!fresh(now + Duration::minutes(5), now));
        assert!(!fresh(now - Duration::minutes(1), now));
    }

    #[test]
    fn the_jwt_is_rs256_signed_with_iat_a_minute_back_and_exp_nine_minutes_on() {
        let pem = include_str!("../../../tests/e2e/support/github_app/test-app.private.pem");
        let key = AppKey::from_pem("Iv23abc", pem).unwrap();
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let jwt = key.jwt(now).unwrap();
        let parts: Vec<&str> = jwt.expose().split('.').collect();
        assert_eq!(parts.len(), 3);
        let json = |part: &str| -> Value {
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
        };
        assert_eq!(
            json(parts[0]),
            serde_json::json!({"alg": "RS256", "typ": "JWT"})
        );
        assert_eq!(
            json(parts[1]),
            serde_json::json!({"iat": 1_800_000_000 - 60, "exp": 1_800_000_000 + 540, "iss": "Iv23abc"})
        );
        let public = ring::signature::UnparsedPublicKey::new(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            key.key.public().as_ref(),
        );
        let signed = format!("{}.{}", parts[0], parts[1]);
        let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        assert!(public.verify(signed.as_bytes(), &signature).is_ok());
        assert!(!format!("{key:?}").contains("PRIVATE"));
    }

    #[test]
    fn pem_blocks_are_read_and_garbage_is_refused_without_quoting_it() {
        let (label, der) = pem_block("x\n-----BEGIN TEST-----\nAAEC\nAw==\n-----END TEST-----\n")
            .unwrap_or_default();
        assert_eq!(label, "TEST");
        assert_eq!(der, [0, 1, 2, 3]);
        assert!(pem_block("no pem here").is_none());
        let secretish = "-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0\n-----END RSA PRIVATE KEY-----";
        let err = AppKey::from_pem("1", secretish).err().unwrap_or_default();
        assert!(err.starts_with("not a usable RSA private key"), "{err}");
        assert!(!err.contains("c2VjcmV0"));
    }
}
