//! `GET /api/v1/namespaces/{namespace}/secrets/{name}`: the scenario's Secrets, `data` base64
//! encoded as the API server sends it, 404 `secrets "x" not found` otherwise
//! (core/v1 `readNamespacedSecret`, `shared/specs/kubernetes/v1.36`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine;
use serde_json::json;

use super::scenario::SecretScenario;
use super::status::{json, KubeError};
use super::KubeHandle;

/// The Secret `name` of `namespace`, if the scenario has it.
pub fn find<'a>(
    secrets: &'a [SecretScenario],
    namespace: &str,
    name: &str,
) -> Option<&'a SecretScenario> {
    secrets
        .iter()
        .find(|s| s.namespace == namespace && s.name == name)
}

/// `readNamespacedSecret`.
pub async fn get(
    State(kube): State<KubeHandle>,
    Path((namespace, name)): Path<(String, String)>,
) -> Result<Response, KubeError> {
    let secret = find(&kube.scenario().secrets, &namespace, &name)
        .ok_or_else(|| KubeError::not_found("secrets", &name))?;
    let data: serde_json::Map<String, serde_json::Value> = secret
        .data
        .iter()
        .map(|(k, v)| {
            let encoded = base64::engine::general_purpose::STANDARD.encode(v);
            (k.clone(), serde_json::Value::String(encoded))
        })
        .collect();
    let body = json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": secret.name,
            "namespace": secret.namespace,
            "uid": super::uid(&format!("secret/{}/{}", secret.namespace, secret.name)),
            "resourceVersion": "1",
        },
        "type": "Opaque",
        "data": data,
    });
    Ok(json(StatusCode::OK, &body))
}
