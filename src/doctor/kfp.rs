//! Check 4: the KFP API answers `GET /apis/v2beta1/healthz`, at `[kfp] endpoint` or through
//! the Kubernetes service proxy (`[kfp] proxy_namespace` / `proxy_service`) or the console's own
//! port-forward to the UI service (`[kfp] port_forward`), as the console
//! would reach it; then access, not only reachability: the experiment list and the run list
//! of each Kubeflow profile namespace the checked projects use (`[kfp] namespace`, or a
//! project's own `projects[i].kfp.namespace`; each once, naming its projects), with the
//! console's identity (a multi-user KFP refuses both without an identity allowed in that
//! profile; healthz needs none). Each refusal gets its fix: which token, which audience,
//! which namespace and the key setting it (`access_fix`).

use futures::future::join_all;

use super::config_check::Target;
use super::places::{kfp_profiles, Place};
use super::runner::timed;
use super::Check;
use crate::backends::cluster::Cluster;
use crate::backends::kfp::{Kfp, KfpEndpoint, KfpIdentity, RunQuery};
use crate::backends::BackendError;
use crate::config::Config;

const ID: &str = "kfp.healthz";
const TITLE: &str = "KFP API";

/// The KFP lines: healthz, then access to each profile namespace of `targets` (skipped when
/// healthz failed).
pub async fn checks(cfg: &Config, targets: &[Target]) -> Vec<Check> {
    let direct = cfg.kfp.endpoint.is_some();
    let fix = if direct {
        "check [kfp] endpoint and that the KFP API server runs"
    } else if cfg.kfp.port_forward.is_some() {
        "check [kfp] port_forward / proxy_namespace and that the KFP UI runs"
    } else {
        "check [kfp] proxy_namespace / proxy_service and that ml-pipeline runs"
    };
    let kube = if !direct || cfg.kfp.service_account.is_some() {
        Cluster::connect(&cfg.cluster)
            .await
            .ok()
            .map(|c| c.client())
    } else {
        None
    };
    if !direct && kube.is_none() {
        let why = "no Kubernetes client for the service proxy or the port-forward";
        return vec![Check::skip(ID, TITLE, why)];
    }
    let (endpoint, route) = match KfpEndpoint::from_config(cfg, kube.clone()).await {
        Ok(found) => found,
        Err(e) => return vec![Check::from_error(ID, TITLE, &e, fix)],
    };
    let kfp = match KfpIdentity::from_config(cfg, kube)
        .and_then(|identity| Ok(Kfp::new(endpoint)?.with_identity(identity)))
    {
        Ok(k) => k,
        Err(e) => return vec![Check::from_error(ID, TITLE, &e, fix)],
    };
    let healthz = match timed(ID, TITLE, kfp.healthz()).await {
        Ok(Ok(_)) => Check::pass(ID, TITLE, format!("healthz answers at {route}")),
        Ok(Err(e)) => {
            let mut check = Check::from_error(ID, TITLE, &e, fix);
            check.detail = format!("{route}: {}", check.detail);
            check
        }
        Err(timeout) => timeout,
    };
    let profiles = kfp_profiles(targets);
    if healthz.status != super::Status::Pass {
        let skipped = profiles.iter().map(|p| {
            Check::skip(access_id(p), access_title(p), "the KFP API does not answer")
                .about(p.projects(targets))
        });
        return std::iter::once(healthz).chain(skipped).collect();
    }
    let access = join_all(profiles.iter().map(|place| async {
        let (id, title) = (access_id(place), access_title(place));
        match timed(&id, &title, access(targets, place, &kfp)).await {
            Ok(check) => check,
            Err(timeout) => timeout,
        }
        .about(place.projects(targets))
    }))
    .await;
    std::iter::once(healthz).chain(access).collect()
}

fn access_id(place: &Place) -> String {
    format!("kfp.access.{}", place.namespace)
}

fn access_title(place: &Place) -> String {
    format!("KFP access in {}", place.namespace)
}

/// Lists the experiments (by the first user's experiment name) and the runs of the profile
/// namespace `place`.
async fn access(targets: &[Target], place: &Place, kfp: &Kfp) -> Check {
    let (id, title) = (access_id(place), access_title(place));
    let ns = place.namespace.as_str();
    let experiment = place
        .users
        .first()
        .and_then(|&i| targets.get(i))
        .map(|t| t.cfg.kfp.experiment_name.as_str())
        .unwrap_or_default();
    let experiments = kfp.find_experiment(experiment, Some(ns)).await;
    let runs = match experiments {
        Ok(_) => {
            let query = RunQuery {
                namespace: Some(ns.to_owned()),
                limit: 1,
                ..RunQuery::default()
            };
            kfp.list_runs(&query).await
        }
        Err(e) => Err(e),
    };
    match runs {
        Ok(_) => Check::pass(
            id,
            title,
            format!("experiments and runs of namespace {ns} listed"),
        ),
        Err(e) => {
            let mut check = Check::from_error(id, title, &e, "");
            let profile = Profile {
                namespace: ns,
                keys: &place.keys,
            };
            let cfg = place.users.first().and_then(|&i| targets.get(i));
            let fix = cfg.map(|t| access_fix(&t.cfg, kfp.via_service_proxy(), &e, &profile));
            check.hint = fix;
            check
        }
    }
}

/// The profile namespace a refused list was about, and the config key(s) naming it.
struct Profile<'a> {
    namespace: &'a str,
    keys: &'a [String],
}

impl Profile<'_> {
    /// The keys as a person finds them in the file: `[kfp] namespace` for the shared one.
    fn key(&self) -> String {
        let shown = self.keys.iter().map(|k| match k.as_str() {
            "kfp.namespace" => "[kfp] namespace",
            own => own,
        });
        shown.collect::<Vec<_>>().join(" / ")
    }
}

/// The fix for a refused list, from KFP's status and message. Through the service proxy a
/// refusal is the proxy's: KFP sees no identity there (401), or Istio's policy in front of
/// `ml-pipeline` refuses the API server as a caller (403 `RBAC: access denied`).
fn access_fix(cfg: &Config, via_proxy: bool, e: &BackendError, profile: &Profile) -> String {
    let (ns, key) = (profile.namespace, profile.key());
    let token = "a ServiceAccount token with audience pipelines.kubeflow.org (`kubectl create token SA -n PROFILE --audience=pipelines.kubeflow.org`)";
    match e.status {
        Some(401 | 403) if via_proxy => format!(
            "multi-user KFP needs an identity, which the Kubernetes service proxy cannot carry: set [kfp] port_forward = \"ml-pipeline-ui\" (the console's own port-forward to the UI) or [kfp] endpoint to the ml-pipeline-ui service or the Kubeflow gateway URL, with [kfp] token_path ({token}) or cookie_env"
        ),
        Some(401) if e.message.contains("audience") => format!(
            "the token is not for the audience pipelines.kubeflow.org: give [kfp] token_path / token_env {token}"
        ),
        Some(401)
            if cfg.kfp.token_path.is_none()
                && cfg.kfp.service_account.is_none()
                && cfg.kfp.cookie_env.is_none()
                && cfg.kfp.token_env.is_none() =>
        {
            format!(
            "KFP wants an identity: set [kfp] token_path ({token}), service_account (\"PROFILE/SA\": the console requests the token), token_env, or cookie_env (the gateway's session cookie)"
            )
        }
        Some(401) => format!(
            "KFP refused the identity sent (expired or unknown): renew the token in [kfp] token_path / token_env ({token}) or the cookie in cookie_env"
        ),
        Some(403) => format!(
            "the identity may not use profile {ns}: set {key} to a profile it belongs to, or make it a contributor of {ns} (a ServiceAccount token acts in its own namespace)"
        ),
        Some(400) if e.message.contains("namespace") => {
            format!("KFP is multi-user: set {key} to your Kubeflow profile namespace")
        }
        _ => e
            .hint
            .clone()
            .unwrap_or_else(|| "check [kfp] endpoint, namespace and the identity".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backends::error::Service;

    fn refused(status: u16, message: &str) -> BackendError {
        BackendError::new(Service::Kfp, "list runs", message).with_status(status)
    }

    #[test]
    fn each_refusal_names_its_fix() {
        let mut cfg = Config::for_repository("acme", "churn-model");
        cfg.kfp.namespace = "team-a".into();
        let shared = ["kfp.namespace".to_owned()];
        let profile = Profile {
            namespace: "team-a",
            keys: &shared,
        };
        let fix = |cfg: &Config, proxy, status, message| {
            access_fix(cfg, proxy, &refused(status, message), &profile)
        };
        assert!(fix(&cfg, true, 403, "RBAC: access denied").contains("service proxy cannot carry"));
        assert!(fix(&cfg, true, 401, "").contains("service proxy cannot carry"));
        assert!(fix(&cfg, false, 401, "User identity is empty").contains("set [kfp] token_path"));
        assert!(fix(&cfg, false, 401, "token audiences [\"x\"] is invalid")
            .contains("not for the audience pipelines.kubeflow.org"));
        assert!(fix(&cfg, false, 403, "not authorized").contains("may not use profile team-a"));
        assert!(fix(
            &cfg,
            false,
            400,
            "An experiment cannot have an empty namespace"
        )
        .contains("set [kfp] namespace"));
        let keys = ["projects[1].kfp.namespace".to_owned()];
        let own = Profile {
            namespace: "team-b",
            keys: &keys,
        };
        assert!(access_fix(&cfg, false, &refused(403, "denied"), &own)
            .contains("may not use profile team-b: set projects[1].kfp.namespace to"));
        cfg.kfp.service_account = Some("team-a/default-editor".into());
        assert!(fix(&cfg, false, 401, "invalid bearer token").contains("refused the identity sent"));
    }
}
