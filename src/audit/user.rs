//! Who the operator is, for the audit log: the GitHub token's login (`GET /user`), else the
//! kube context's user, else `$USER`. Asked once per process and cached.

use std::time::Duration;

use tokio::sync::OnceCell;

use crate::config::{Config, Secret};

/// The operator's identity sources, and the name once known.
#[derive(Debug)]
pub struct Who {
    api_url: String,
    token: Option<Secret>,
    /// `Some(context)` when the cluster is reached through a kubeconfig (`None` inside: its
    /// current context); `None` with `[cluster] server`.
    kube_context: Option<Option<String>>,
    name: OnceCell<String>,
}

impl Who {
    pub fn from_config(cfg: &Config) -> Who {
        Who {
            api_url: cfg.github.api_url.clone(),
            token: cfg.github_token(),
            kube_context: cfg
                .cluster
                .server
                .is_none()
                .then(|| cfg.cluster.context.clone()),
            name: OnceCell::new(),
        }
    }

    /// The operator's name (resolved on the first call).
    pub async fn name(&self) -> String {
        self.name
            .get_or_init(|| async {
                if let Some(login) = self.github_login().await {
                    return login;
                }
                if let Some(user) = self.kube_user().await {
                    return user;
                }
                local_user()
            })
            .await
            .clone()
    }

    async fn github_login(&self) -> Option<String> {
        let token = self.token.as_ref()?;
        match github_login(&self.api_url, token).await {
            Ok(login) => Some(login),
            Err(e) => {
                tracing::warn!("audit: GET /user failed ({e}); naming the operator otherwise");
                None
            }
        }
    }

    async fn kube_user(&self) -> Option<String> {
        let context = self.kube_context.clone()?;
        tokio::task::spawn_blocking(move || {
            let kubeconfig = kube::config::Kubeconfig::read().ok()?;
            let name = context.or(kubeconfig.current_context.clone())?;
            kubeconfig
                .contexts
                .iter()
                .find(|c| c.name == name)
                .and_then(|c| c.context.as_ref())
                .and_then(|c| c.user.clone())
                .filter(|u| !u.is_empty())
        })
        .await
        .ok()
        .flatten()
    }
}

/// `$USER` (`$USERNAME` on Windows), else `unknown`.
fn local_user() -> String {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// The login the token belongs to.
async fn github_login(api_url: &str, token: &Secret) -> Result<String, String> {
    #[derive(serde::Deserialize)]
    struct User {
        login: String,
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .user_agent(concat!("kfops-console/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| e.to_string())?;
    let mut auth = reqwest::header::HeaderValue::from_str(&format!("Bearer {}", token.expose()))
        .map_err(|_| "the token is not a valid header value".to_string())?;
    auth.set_sensitive(true);
    let response = client
        .get(format!("{}/user", api_url.trim_end_matches('/')))
        .header(reqwest::header::AUTHORIZATION, auth)
        .header(reqwest::header::ACCEPT, "application/vnd.github+json")
        .send()
        .await
        .map_err(|e| e.without_url().to_string())?;
    if !response.status().is_success() {
        return Err(format!("HTTP {}", response.status()));
    }
    let user: User = response.json().await.map_err(|e| e.to_string())?;
    Ok(user.login)
}
