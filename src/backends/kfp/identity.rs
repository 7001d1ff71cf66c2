//! Who a request to a multi-user KFP comes from (KFP's "Connect the SDK to the API" guide,
//! kubeflow/website `content/en/docs/components/pipelines/user-guides/core-functions/connect-api.md`,
//! and the API server's `backend/src/apiserver/auth/`): a ServiceAccount token for the
//! audience `pipelines.kubeflow.org` read from a file (what `KF_PIPELINES_SA_TOKEN_PATH` /
//! `ServiceAccountTokenVolumeCredentials` read: a projected token the kubelet rotates, so it is
//! read again for every request), or the session cookie of the Kubeflow gateway
//! (oauth2-proxy / oidc-authservice), which turns it into the `kubeflow-userid` header.

use std::path::PathBuf;

use super::super::error::{BackendError, Service};
use crate::config::Secret;

/// The identity sent with every direct request, besides `[kfp] token_env`'s bearer token.
#[derive(Clone, Default)]
pub struct KfpIdentity {
    /// A file holding a ServiceAccount token (`[kfp] token_path`).
    pub token_file: Option<PathBuf>,
    /// A `Cookie` header value (`name=value`) for a gateway (`[kfp] cookie_env`).
    pub cookie: Option<Secret>,
}

impl KfpIdentity {
    /// Adds the identity's headers to `request`; a token file that cannot be read is an error
    /// naming the file (never its content).
    pub(super) fn apply(
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
        if let Some(cookie) = &self.cookie {
            request = request.header(http::header::COOKIE, cookie.expose());
        }
        Ok(request)
    }

    /// Whether any identity is configured.
    pub fn is_set(&self) -> bool {
        self.token_file.is_some() || self.cookie.is_some()
    }
}
