//! Namespaces and pods: get, list (selectors, `limit` + `continue`), create, delete; lists
//! with `watch` become watches; `kubectl get` (which asks for a Table) gets one.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::Utc;
use k8s_openapi::api::core::v1::{Pod, Service};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ListMeta;
use k8s_openapi::List;
use serde_json::{json, Value};

use super::select::Selector;
use super::status::{json, KubeError, Params};
use super::{table, watch, KubeHandle};

/// 405 for methods a path does not support.
pub async fn not_allowed() -> Response {
    KubeError::method_not_allowed().into_response()
}

/// `GET /api/v1/namespaces`.
pub async fn list_namespaces(
    State(kube): State<KubeHandle>,
    params: Params,
) -> Result<Response, KubeError> {
    let selector = Selector::for_namespaces(&params)?;
    let (items, rv) = kube.read(|s| {
        let items: Vec<_> = s
            .namespaces()
            .filter(|n| selector.matches_namespace(n))
            .cloned()
            .collect();
        (items, s.resource_version())
    });
    let metadata = ListMeta {
        resource_version: Some(rv.to_string()),
        ..Default::default()
    };
    if params.wants_table() {
        return Ok(table::namespaces(&items, metadata, Utc::now()));
    }
    Ok(json(StatusCode::OK, &List { items, metadata }))
}

/// `GET /api/v1/namespaces/{namespace}`.
pub async fn get_namespace(
    State(kube): State<KubeHandle>,
    Path(namespace): Path<String>,
    params: Params,
) -> Result<Response, KubeError> {
    let ns = kube
        .read(|s| s.namespace(&namespace).cloned())
        .ok_or_else(|| KubeError::not_found("namespaces", &namespace))?;
    if params.wants_table() {
        return Ok(table::namespaces(&[ns], ListMeta::default(), Utc::now()));
    }
    Ok(json(StatusCode::OK, &ns))
}

/// `GET /api/v1/pods`: pods of every namespace (or a watch of them).
pub async fn list_all(
    State(kube): State<KubeHandle>,
    params: Params,
) -> Result<Response, KubeError> {
    list_pods(kube, None, params)
}

/// `GET /api/v1/namespaces/{namespace}/pods` (or a watch of them).
pub async fn list(
    State(kube): State<KubeHandle>,
    Path(namespace): Path<String>,
    params: Params,
) -> Result<Response, KubeError> {
    list_pods(kube, Some(namespace), params)
}

/// A continue token: the list's resourceVersion and the key after which it goes on.
fn continue_token(rv: u64, namespace: &str, name: &str) -> String {
    let body =
        json!({"v": "meta.k8s.io/v1", "rv": rv, "start": format!("{namespace}/{name}\u{0}")});
    base64::engine::general_purpose::URL_SAFE.encode(body.to_string())
}

/// The (resourceVersion, namespace, name) a continue token resumes after.
fn parse_continue(token: &str) -> Result<(u64, String, String), KubeError> {
    let bad = || {
        KubeError::bad_request("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
    };
    let bytes = base64::engine::general_purpose::URL_SAFE
        .decode(token)
        .map_err(|_| bad())?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    let rv = value["rv"].as_u64().ok_or_else(bad)?;
    let start = value["start"].as_str().ok_or_else(bad)?;
    let (namespace, name) = start
        .trim_end_matches('\u{0}')
        .split_once('/')
        .ok_or_else(bad)?;
    Ok((rv, namespace.to_owned(), name.to_owned()))
}

fn list_pods(
    kube: KubeHandle,
    namespace: Option<String>,
    params: Params,
) -> Result<Response, KubeError> {
    if params.flag("watch")? {
        return watch::pods(kube, namespace, &params);
    }
    let selector = Selector::for_pods(&params)?;
    let limit = params
        .int("limit")?
        .filter(|n| *n > 0)
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    let after = match params.get("continue").filter(|t| !t.is_empty()) {
        Some(token) => Some(parse_continue(token)?),
        None => None,
    };
    let (matching, rv) = kube.read(|s| {
        let pods: Vec<Pod> = s
            .pods(namespace.as_deref())
            .filter(|p| {
                let key = (
                    p.metadata.namespace.clone().unwrap_or_default(),
                    p.metadata.name.clone().unwrap_or_default(),
                );
                after
                    .as_ref()
                    .is_none_or(|(_, ns, name)| key > (ns.clone(), name.clone()))
            })
            .filter(|p| selector.matches_pod(p))
            .cloned()
            .collect();
        (pods, s.resource_version())
    });
    let rv = after.as_ref().map_or(rv, |(rv, ..)| *rv);
    let total = matching.len();
    let items: Vec<Pod> = matching
        .into_iter()
        .take(limit.unwrap_or(usize::MAX))
        .collect();
    let mut metadata = ListMeta {
        resource_version: Some(rv.to_string()),
        ..Default::default()
    };
    if items.len() < total {
        if let Some(last) = items.last() {
            metadata.continue_ = Some(continue_token(
                rv,
                last.metadata.namespace.as_deref().unwrap_or_default(),
                last.metadata.name.as_deref().unwrap_or_default(),
            ));
            metadata.remaining_item_count = i64::try_from(total - items.len()).ok();
        }
    }
    if params.wants_table() {
        return Ok(table::pods(&items, metadata, Utc::now()));
    }
    Ok(json(StatusCode::OK, &List { items, metadata }))
}

/// `GET /api/v1/namespaces/{namespace}/pods/{name}` (and `.../status`).
pub async fn get(
    State(kube): State<KubeHandle>,
    Path((namespace, name)): Path<(String, String)>,
    params: Params,
) -> Result<Response, KubeError> {
    let pod = kube
        .pod(&namespace, &name)
        .ok_or_else(|| KubeError::not_found("pods", &name))?;
    if params.wants_table() {
        return Ok(table::pods(&[pod], ListMeta::default(), Utc::now()));
    }
    Ok(json(StatusCode::OK, &pod))
}

/// `POST /api/v1/namespaces/{namespace}/pods`: 201 with the stored pod.
pub async fn create(
    State(kube): State<KubeHandle>,
    Path(namespace): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, KubeError> {
    KubeError::require_json(&headers)?;
    let pod: Pod = serde_json::from_slice(&body).map_err(|e| {
        KubeError::bad_request(format!(
            "Pod in version \"v1\" cannot be handled as a Pod: {e}"
        ))
    })?;
    let created = kube.create_pod(&namespace, pod)?;
    Ok(json(StatusCode::CREATED, &created))
}

/// `DELETE /api/v1/namespaces/{namespace}/pods/{name}`: deleted at once; 200 with the pod.
pub async fn delete(
    State(kube): State<KubeHandle>,
    Path((namespace, name)): Path<(String, String)>,
) -> Result<Response, KubeError> {
    let pod = kube.delete_pod(&namespace, &name)?;
    Ok(json(StatusCode::OK, &pod))
}

/// `GET .../services`: there are none (listed in discovery so `kubectl get all` works).
pub async fn list_services(State(kube): State<KubeHandle>) -> Response {
    let rv = kube.read(|s| s.resource_version());
    let list: List<Service> = List {
        items: Vec::new(),
        metadata: ListMeta {
            resource_version: Some(rv.to_string()),
            ..Default::default()
        },
    };
    json(StatusCode::OK, &list)
}
