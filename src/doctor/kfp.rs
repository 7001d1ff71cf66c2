//! Check 4: the KFP API answers `GET /apis/v2beta1/healthz`, at `[kfp] endpoint` or through
//! the Kubernetes service proxy (`[kfp] proxy_namespace` / `proxy_service`), as the console
//! would reach it.

use super::runner::timed;
use super::Check;
use crate::backends::cluster::Cluster;
use crate::backends::kfp::{Kfp, KfpEndpoint};
use crate::config::Config;

const ID: &str = "kfp.healthz";
const TITLE: &str = "KFP API";

/// The KFP line.
pub async fn check(cfg: &Config) -> Check {
    let (endpoint, route) = match &cfg.kfp.endpoint {
        Some(url) => (
            KfpEndpoint::Direct {
                url: url.clone(),
                token: cfg.kfp_token(),
            },
            url.clone(),
        ),
        None => match Cluster::connect(&cfg.cluster).await {
            Ok(cluster) => (
                KfpEndpoint::ServiceProxy {
                    client: cluster.client(),
                    namespace: cfg.kfp.proxy_namespace.clone(),
                    service: cfg.kfp.proxy_service.clone(),
                },
                format!(
                    "service proxy {}/{}",
                    cfg.kfp.proxy_namespace, cfg.kfp.proxy_service
                ),
            ),
            Err(_) => return Check::skip(ID, TITLE, "no Kubernetes client for the service proxy"),
        },
    };
    let fix = if cfg.kfp.endpoint.is_some() {
        "check [kfp] endpoint and that the KFP API server runs"
    } else {
        "check [kfp] proxy_namespace / proxy_service and that ml-pipeline runs"
    };
    let kfp = match Kfp::new(endpoint) {
        Ok(k) => k,
        Err(e) => return Check::from_error(ID, TITLE, &e, fix),
    };
    match timed(ID, TITLE, kfp.healthz()).await {
        Ok(Ok(_)) => Check::pass(ID, TITLE, format!("healthz answers at {route}")),
        Ok(Err(e)) => {
            let mut check = Check::from_error(ID, TITLE, &e, fix);
            check.detail = format!("{route}: {}", check.detail);
            check
        }
        Err(timeout) => timeout,
    }
}
