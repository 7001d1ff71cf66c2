//! Multi-user KFP (a "full" Kubeflow with profiles), as the KFP API server enforces it
//! (kubeflow/pipelines `backend/src/apiserver/auth/` and `resource/resource_manager.go`
//! `IsAuthorized`, `server/experiment_server.go` `canAccessExperiment`,
//! `server/run_server.go` `listRuns`/`canAccessRun`):
//!
//! - Experiments and runs need an identity: the `kubeflow-userid` header set by the Istio /
//!   auth gateway (here: a session cookie the gateway knows, or the header itself), else an
//!   `Authorization: Bearer` ServiceAccount token that a TokenReview with the audience
//!   `pipelines.kubeflow.org` accepts. Neither: 401 `Unauthenticated`.
//! - The request must name a namespace (the experiment's, the run's, or `namespace=` on a
//!   list): 400 `Invalid input error: ... cannot have an empty namespace in multi-user mode`.
//! - The identity must be allowed in that namespace (a SubjectAccessReview in the real server):
//!   403 `PermissionDenied`. Modelled simply: a ServiceAccount may act in its own namespace
//!   (the profile's `default-editor` binding), a user in the profiles `users` lists.
//!
//! Pipelines stay shared (no namespace), as KFP's shared pipelines are readable by everyone.
//!
//! Simulated ServiceAccount tokens are `kfops-sim-sa:{namespace}:{name}:{audience}`
//! ([`MultiUser::service_account_token`]); anything else is a token the TokenReview rejects.

use std::collections::BTreeMap;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use super::errors::{Code, RpcError};
use super::experiments::{param, query_of};
use super::KfpHandle;

/// The audience the KFP API server asks TokenReview for (`common.DefaultTokenReviewAudience`).
pub const AUDIENCE: &str = "pipelines.kubeflow.org";
/// The header the Kubeflow gateway puts the user in (`KUBEFLOW_USERID_HEADER`'s default).
pub const USERID_HEADER: &str = "kubeflow-userid";
const TOKEN_PREFIX: &str = "kfops-sim-sa";

/// `[kfp.multi_user]` of a scenario.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MultiUser {
    /// User (as in `kubeflow-userid`) → the profile namespaces they contribute to.
    pub users: BTreeMap<String, Vec<String>>,
    /// Session cookie value → user: what the gateway (oauth2-proxy / oidc-authservice) turns
    /// into `kubeflow-userid`.
    pub sessions: BTreeMap<String, String>,
}

impl MultiUser {
    /// A ServiceAccount token of `namespace/name` for `audience`, as the simulator mints them.
    pub fn service_account_token(namespace: &str, name: &str, audience: &str) -> String {
        format!("{TOKEN_PREFIX}:{namespace}:{name}:{audience}")
    }

    /// Who the request is, or KFP's 401.
    fn identity(&self, headers: &HeaderMap) -> Result<Identity, RpcError> {
        let cookies = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.split_once('=').map(|(_, v)| v.trim().to_owned()));
        for value in cookies {
            if let Some(user) = self.sessions.get(&value) {
                return Ok(Identity::User(user.clone()));
            }
        }
        if let Some(user) = headers.get(USERID_HEADER).and_then(|v| v.to_str().ok()) {
            return Ok(Identity::User(user.to_owned()));
        }
        let Some(token) = super::bearer(headers) else {
            return Err(unauthenticated(
                "[Request header error: there is no user identity header., Request header error: there is no Authorization header with the prefix 'Bearer '.]",
            ));
        };
        let mut parts = token.splitn(4, ':');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(TOKEN_PREFIX), Some(ns), Some(sa), Some(aud)) if aud == AUDIENCE => {
                Ok(Identity::ServiceAccount(ns.to_owned(), sa.to_owned()))
            }
            (Some(TOKEN_PREFIX), Some(_), Some(_), Some(aud)) => Err(unauthenticated(&format!(
                "Authentication failure: Failed to authenticate token review: Review.Status.Authenticated is false. Error [invalid bearer token, token audiences [\"{aud}\"] is invalid for the target audiences [\"{AUDIENCE}\"]]"
            ))),
            _ => Err(unauthenticated(
                "Authentication failure: Failed to authenticate token review: Review.Status.Authenticated is false. Error [invalid bearer token]",
            )),
        }
    }
}

fn unauthenticated(why: &str) -> RpcError {
    RpcError::new(
        Code::Unauthenticated,
        format!(
            "Failed to check authorization. User identity is empty in the request header: {why}"
        ),
    )
}

#[derive(Debug)]
enum Identity {
    User(String),
    ServiceAccount(String, String),
}

impl Identity {
    fn name(&self) -> String {
        match self {
            Identity::User(u) => u.clone(),
            Identity::ServiceAccount(ns, sa) => format!("system:serviceaccount:{ns}:{sa}"),
        }
    }

    fn allowed_in(&self, mu: &MultiUser, namespace: &str) -> bool {
        match self {
            Identity::User(u) => mu
                .users
                .get(u)
                .is_some_and(|profiles| profiles.iter().any(|p| p == namespace)),
            Identity::ServiceAccount(ns, _) => ns == namespace,
        }
    }
}

/// What a request touches: experiments or runs, and the namespace it names (empty: none).
enum Target {
    Experiments(String),
    Runs(String),
    /// Not checked (pipelines, healthz).
    Open,
}

/// The middleware: passes everything through unless the scenario turns multi-user mode on.
pub async fn check(State(kfp): State<KfpHandle>, req: Request, next: Next) -> Response {
    let Some(mu) = kfp.read(|s| s.multi_user.clone()) else {
        return next.run(req).await;
    };
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, super::MAX_UPLOAD).await else {
        return RpcError::invalid("the request body could not be read").into_response();
    };
    let target = target(&kfp, &parts.method, &parts.uri, &bytes);
    if let Err(e) = authorize(&mu, &parts.headers, &target) {
        return e.into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn authorize(mu: &MultiUser, headers: &HeaderMap, target: &Target) -> Result<(), RpcError> {
    let (kind, namespace) = match target {
        Target::Open => return Ok(()),
        Target::Experiments(ns) => ("experiment", ns),
        Target::Runs(ns) => ("run", ns),
    };
    let who = mu.identity(headers)?;
    if namespace.is_empty() {
        return Err(RpcError::invalid(format!(
            "A{} {kind} cannot have an empty namespace in multi-user mode",
            if kind == "experiment" { "n" } else { "" }
        )));
    }
    if !who.allowed_in(mu, namespace) {
        return Err(RpcError::new(
            Code::PermissionDenied,
            format!(
                "Failed to authorize with API: User '{}' is not authorized with reason:  (request: namespace {namespace}, group pipelines.kubeflow.org, resource {kind}s)",
                who.name()
            ),
        ));
    }
    Ok(())
}

/// The namespace a request acts in, found as the KFP API server finds it.
fn target(kfp: &KfpHandle, method: &Method, uri: &axum::http::Uri, body: &[u8]) -> Target {
    let path = uri.path().trim_start_matches("/apis/v2beta1/");
    let query = query_of(uri);
    let mut segments = path.split('/');
    let (first, id) = (segments.next().unwrap_or(""), segments.next());
    let body_field = |name: &str| -> String {
        serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| v.get(name).and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_default()
    };
    let experiment_ns = |id: &str| {
        kfp.read_runs(|s| s.experiment(id).map(|e| e.namespace.clone()))
            .unwrap_or_default()
    };
    match (first, id) {
        ("experiments", None) if method == Method::POST => {
            Target::Experiments(body_field("namespace"))
        }
        ("experiments", None) => Target::Experiments(param(&query, &["namespace"]).to_owned()),
        // An unknown ID is the handler's 404.
        ("experiments", Some(id)) => match experiment_ns(id.split(':').next().unwrap_or(id)) {
            ns if ns.is_empty() => Target::Open,
            ns => Target::Experiments(ns),
        },
        ("runs", None) if method == Method::POST => {
            Target::Runs(experiment_ns(&body_field("experiment_id")))
        }
        ("runs", None) => {
            let ns = param(&query, &["namespace"]);
            let experiment = param(&query, &["experiment_id", "experimentId"]);
            Target::Runs(if ns.is_empty() {
                experiment_ns(experiment)
            } else {
                ns.to_owned()
            })
        }
        ("runs", Some(id)) => {
            let id = id.split(':').next().unwrap_or(id);
            kfp.run(id)
                .map_or(Target::Open, |r| Target::Runs(r.namespace))
        }
        _ => Target::Open,
    }
}

/// `POST /api/v1/namespaces/{ns}/serviceaccounts/{name}/token`: the Kubernetes TokenRequest
/// API (<https://kubernetes.io/docs/reference/kubernetes-api/authentication-resources/token-request-v1/>),
/// minting the simulator's ServiceAccount tokens. A token names one audience: `pipelines.kubeflow.org`
/// when asked for, else the first asked for, else the API server's own
/// (`https://kubernetes.default.svc.cluster.local`). Served here, with the KFP routes, as the
/// multi-user mode is what reads these tokens.
pub async fn token_request(
    axum::extract::Path((namespace, name)): axum::extract::Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    let spec = serde_json::from_slice::<Value>(&body)
        .ok()
        .map(|v| v["spec"].clone())
        .unwrap_or(Value::Null);
    let audiences: Vec<String> = spec["audiences"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let audience = audiences
        .iter()
        .find(|a| a.as_str() == AUDIENCE)
        .or(audiences.first())
        .cloned()
        .unwrap_or_else(|| "https://kubernetes.default.svc.cluster.local".to_owned());
    let seconds = spec["expirationSeconds"].as_i64().unwrap_or(3600);
    let expires = chrono::Utc::now() + chrono::Duration::seconds(seconds);
    let answer = serde_json::json!({
        "apiVersion": "authentication.k8s.io/v1",
        "kind": "TokenRequest",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"audiences": [audience], "expirationSeconds": seconds},
        "status": {
            "token": MultiUser::service_account_token(&namespace, &name, &audience),
            "expirationTimestamp": expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        },
    });
    (axum::http::StatusCode::CREATED, axum::Json(answer)).into_response()
}
