//! Where the Kubernetes client's configuration comes from, in kubectl's order:
//!
//! 1. `[cluster] server`: that URL, no credentials (the simulator, the demo);
//! 2. the kubeconfig: `$KUBECONFIG` (several files separated by `:` are merged as kubectl
//!    merges them: the first file that sets a value wins), else `~/.kube/config`; the context
//!    is `--context` / `[cluster] context`, else the kubeconfig's `current-context`. Users'
//!    exec plugins (`users[].user.exec`, e.g. `aws eks get-token`, `gke-gcloud-auth-plugin`)
//!    are run by kube-rs's client auth and their tokens renewed when they expire;
//! 3. without a usable kubeconfig and with no context asked for: the in-cluster service
//!    account (`KUBERNETES_SERVICE_HOST`/`_PORT`, the token and CA under
//!    `/var/run/secrets/kubernetes.io/serviceaccount/`), as when the console runs in a pod.
//!
//! The loading itself is kube-rs's (`Config::from_kubeconfig`, `Config::incluster`): the same
//! order as `Config::infer`, which we do not call so that `--context` is honoured and a
//! broken kubeconfig is reported as such rather than hidden behind the in-cluster error.
//! kubectl's rules: <https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/>
//! (merging `KUBECONFIG`) and client-go's `rest.InClusterConfig`.

use kube::config::KubeConfigOptions;

use super::error::{BackendError, Service};
use crate::config::ClusterConfig;

/// The variable whose presence says the process runs in a pod (set by the kubelet).
const IN_CLUSTER_ENV: &str = "KUBERNETES_SERVICE_HOST";

/// The client configuration for `cfg` (see the module documentation for the order).
pub async fn client_config(cfg: &ClusterConfig) -> Result<kube::Config, BackendError> {
    if let Some(server) = &cfg.server {
        let uri = server.parse().map_err(|e: http::uri::InvalidUri| {
            BackendError::new(Service::Kubernetes, "connect", e.to_string())
                .with_hint("check [cluster] server")
        })?;
        return Ok(kube::Config::new(uri));
    }
    let options = KubeConfigOptions {
        context: cfg.context.clone(),
        ..KubeConfigOptions::default()
    };
    let kubeconfig_error = match kube::Config::from_kubeconfig(&options).await {
        Ok(config) => return Ok(config),
        Err(e) => e,
    };
    let in_cluster = cfg.context.is_none() && std::env::var_os(IN_CLUSTER_ENV).is_some();
    if !in_cluster {
        let hint = match &cfg.context {
            Some(_) => "check the context name (--context / [cluster] context) against `kubectl config get-contexts`",
            None => "check $KUBECONFIG / ~/.kube/config (`kubectl config view`), or set [cluster] server",
        };
        return Err(BackendError::new(
            Service::Kubernetes,
            "load kubeconfig",
            kubeconfig_error.to_string(),
        )
        .with_hint(hint));
    }
    kube::Config::incluster().map_err(|e| {
        BackendError::new(
            Service::Kubernetes,
            "load in-cluster config",
            format!("{e} (and the kubeconfig: {kubeconfig_error})"),
        )
        .with_hint(
            "in a pod, mount the service account token (automountServiceAccountToken); \
             elsewhere, give a kubeconfig ($KUBECONFIG)",
        )
    })
}
