//! Who a request to a multi-user KFP comes from (KFP's "Connect the SDK to the API" guide,
//! kubeflow/website `content/en/docs/components/pipelines/user-guides/core-functions/connect-api.md`,
//! and the API server's `backend/src/apiserver/auth/`): a ServiceAccount token for the
//! audience `pipelines.kubeflow.org`, read from a file (what `KF_PIPELINES_SA_TOKEN_PATH` /
//! `ServiceAccountTokenVolumeCredentials` read: a projected token the kubelet rotates, so it is
//! read again for every request) or requested through the TokenRequest API with the
//! kubeconfig's credentials (renewed before it expires); or the session cookie of the Kubeflow
//! gateway (oauth2-proxy / oidc-authservice), which turns it into the `kubeflow-userid` header.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use super::super::error::{flatten, BackendError, Service};
use crate::config::{Config, Secret};

/// The audience KFP's API server reviews tokens for (`common.DefaultTokenReviewAudience`).
pub const AUDIENCE: &str = "pipelines.kubeflow.org";
/// Lifetime asked of a requested token (the API server's minimum is 10 minutes).
const LIFETIME_SECONDS: i64 = 3600;

/// The identity sent with every direct request, besides `[kfp] token_env`'s bearer token.
#[derive(Clone, Default)]
pub struct KfpIdentity {
    /// A file holding a ServiceAccount token (`[kfp] token_path`).
    pub token_file: Option<PathBuf>,
    /// A `Cookie` header value (`name=value`) for a gateway (`[kfp] cookie_env`).
    pub cookie: Option<Secret>,
    /// A ServiceAccount whose tokens are requested (`[kfp] service_account`).
    pub service_account: Option<RequestedToken>,
}

/// Tokens of one ServiceAccount requested through the TokenRequest API
/// (`POST /api/v1/namespaces/{ns}/serviceaccounts/{name}/token`,
/// <https://kubernetes.io/docs/reference/kubernetes-api/authentication-resources/token-request-v1/>),
/// the last one kept until it nears its expiry.
#[derive(Clone)]
pub struct RequestedToken {
    client: kube::Client,
    namespace: String,
    name: String,
    cached: Arc<tokio::sync::Mutex<Option<Issued>>>,
}

/// A requested token and when it expires.
type Issued = (Secret, DateTime<Utc>);

impl RequestedToken {
    /// For `ns/name` (`[kfp] service_account`).
    pub fn new(client: kube::Client, account: &str) -> Result<RequestedToken, BackendError> {
        match account.split_once('/') {
            Some((ns, name)) if !ns.is_empty() && !name.is_empty() && !name.contains('/') => {
                Ok(RequestedToken {
                    client,
                    namespace: ns.to_owned(),
                    name: name.to_owned(),
                    cached: Arc::default(),
                })
            }
            _ => Err(BackendError::new(
                Service::Kfp,
                "configure client",
                format!("`{account}` is not `namespace/name`"),
            )
            .with_hint("set [kfp] service_account to \"PROFILE_NAMESPACE/SERVICE_ACCOUNT\"")),
        }
    }

    /// A token valid for a while yet: the kept one, or a new one.
    async fn token(&self, what: &str) -> Result<Secret, BackendError> {
        let mut cached = self.cached.lock().await;
        let now = Utc::now();
        if let Some((token, expires)) = cached.as_ref() {
            if fresh(*expires, now) {
                return Ok(token.clone());
            }
        }
        let (token, expires) = self.request(what).await?;
        *cached = Some((token.clone(), expires));
        Ok(token)
    }

    async fn request(&self, what: &str) -> Result<(Secret, DateTime<Utc>), BackendError> {
        let body = json!({
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {"audiences": [AUDIENCE], "expirationSeconds": LIFETIME_SECONDS},
        });
        let uri = format!(
            "/api/v1/namespaces/{}/serviceaccounts/{}/token",
            self.namespace, self.name
        );
        let fail = |message: String| {
            BackendError::new(Service::Kfp, what, message).with_hint(format!(
                "check [kfp] service_account: the kube context must be allowed to `create serviceaccounts/token` for {}/{}",
                self.namespace, self.name
            ))
        };
        let request = http::Request::post(uri)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(body.to_string().into_bytes())
            .map_err(|e| fail(e.to_string()))?;
        let answer: Value = self
            .client
            .request(request)
            .await
            .map_err(|e| fail(format!("TokenRequest refused: {}", flatten(&e))))?;
        let token = answer["status"]["token"].as_str().unwrap_or_default();
        if token.is_empty() {
            return Err(fail(
                "the TokenRequest answer has no status.token".to_owned(),
            ));
        }
        let expires = answer["status"]["expirationTimestamp"]
            .as_str()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map_or_else(
                || Utc::now() + Duration::seconds(LIFETIME_SECONDS),
                |t| t.with_timezone(&Utc),
            );
        Ok((Secret::new(token.to_owned()), expires))
    }
}

/// Whether a token expiring at `expires` is still used at `now`: renewed once less than five
/// minutes remain.
fn fresh(expires: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    expires - now > Duration::minutes(5)
}

impl KfpIdentity {
    /// The identity `[kfp]` configures; `kube` is the cluster client a `service_account`
    /// requests its tokens with.
    pub fn from_config(
        cfg: &Config,
        kube: Option<kube::Client>,
    ) -> Result<KfpIdentity, BackendError> {
        let cookie = cfg
            .kfp
            .cookie_env
            .as_deref()
            .and_then(|name| std::env::var(name).ok())
            .filter(|v| !v.is_empty())
            .map(Secret::new);
        let service_account = match (&cfg.kfp.service_account, kube) {
            (Some(account), Some(client)) => Some(RequestedToken::new(client, account)?),
            (Some(_), None) => {
                return Err(BackendError::new(
                    Service::Kfp,
                    "configure client",
                    "no Kubernetes client to request the ServiceAccount token with",
                )
                .with_hint("check the kube context, or use [kfp] token_path"))
            }
            (None, _) => None,
        };
        Ok(KfpIdentity {
            token_file: cfg.kfp.token_path.clone(),
            cookie,
            service_account,
        })
    }

    /// Adds the identity's headers to `request`; a token file that cannot be read is an error
    /// naming the file (never its content).
    pub(super) async fn apply(
        &self,
        what: &str,
        mut request: reqwest::RequestBuilder,
    ) -> Result<reqwest::RequestBuilder, BackendError> {
        if let Some(path) = &self.token_file {
            let token = std::fs::read_to_string(path).map_err(|e| {
                BackendError::new(
                    Service::Kfp,
                    what,
                    format!("cannot read the token file {}: {e}", path.display()),
                )
                .with_hint("check [kfp] token_path (a ServiceAccount token with audience pipelines.kubeflow.org)")
            })?;
            request = request.bearer_auth(token.trim());
        }
        if let Some(account) = &self.service_account {
            request = request.bearer_auth(account.token(what).await?.expose());
        }
        if let Some(cookie) = &self.cookie {
            request = request.header(http::header::COOKIE, cookie.expose());
        }
        Ok(request)
    }

    /// Whether any identity is configured.
    pub fn is_set(&self) -> bool {
        self.token_file.is_some() || self.cookie.is_some() || self.service_account.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_requested_token_is_renewed_five_minutes_before_it_expires() {
        let now = DateTime::parse_from_rfc3339("2026-12-08T02:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        assert!(fresh(now + Duration::minutes(60), now));
        assert!(fresh(now + Duration::minutes(6), now));
        assert!(!fresh(now + Duration::minutes(5), now));
        assert!(!fresh(now - Duration::minutes(1), now));
    }
}
