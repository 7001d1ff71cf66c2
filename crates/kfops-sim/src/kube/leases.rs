//! `coordination.k8s.io/v1` Leases, namespaced, as kube-apiserver serves them: create (201, 409
//! `AlreadyExists`), get (404 `NotFound`), list, replace (PUT; a stale
//! `metadata.resourceVersion` → 409 `Conflict`, optimistic concurrency), delete (200 with a
//! `Status` Success). Sources: the Lease API reference
//! (<https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/lease-v1/>), optimistic
//! concurrency (<https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions>,
//! kubernetes/kubernetes `staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go`
//! `Update`: an empty resourceVersion on update is unconditional, a different one conflicts).

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Utc;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ListMeta;
use serde_json::json;

use super::status::{json, FieldError, KubeError};
use super::KubeHandle;

/// The plural with its group, as errors name it.
const RESOURCE: &str = "leases.coordination.k8s.io";

/// The leases of the cluster by (namespace, name), and the last resourceVersion given.
#[derive(Default)]
pub(crate) struct Leases {
    by_name: BTreeMap<(String, String), Lease>,
    version: u64,
}

impl Leases {
    fn next_version(&mut self) -> String {
        self.version += 1;
        self.version.to_string()
    }
}

impl KubeHandle {
    fn leases(&self) -> std::sync::MutexGuard<'_, Leases> {
        self.inner.leases.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One Lease, as stored.
    pub fn lease(&self, namespace: &str, name: &str) -> Option<Lease> {
        self.leases()
            .by_name
            .get(&(namespace.to_owned(), name.to_owned()))
            .cloned()
    }

    /// The Leases of a namespace, by name.
    pub fn leases_in(&self, namespace: &str) -> Vec<Lease> {
        self.leases()
            .by_name
            .iter()
            .filter(|((ns, _), _)| ns == namespace)
            .map(|(_, l)| l.clone())
            .collect()
    }
}

/// An error about a Lease: the message names `leases.coordination.k8s.io`, the details give
/// the plural and the group apart, as kube-apiserver's `StatusDetails` do.
fn grouped(mut error: KubeError) -> KubeError {
    if let Some(details) = error.status.details.as_mut() {
        details.kind = Some("leases".to_owned());
        details.group = Some("coordination.k8s.io".to_owned());
    }
    error
}

fn parse(body: &[u8]) -> Result<Lease, KubeError> {
    serde_json::from_slice(body).map_err(|e| {
        KubeError::bad_request(format!(
            "Lease in version \"v1\" cannot be handled as a Lease: {e}"
        ))
    })
}

fn check_namespace(kube: &KubeHandle, namespace: &str) -> Result<(), KubeError> {
    if kube.read(|s| s.namespace(namespace).is_some()) {
        Ok(())
    } else {
        Err(KubeError::not_found("namespaces", namespace))
    }
}

fn stamp(lease: &mut Lease, namespace: &str, version: String) {
    lease.metadata.namespace = Some(namespace.to_owned());
    lease.metadata.resource_version = Some(version);
}

/// `GET /apis/coordination.k8s.io/v1/namespaces/{namespace}/leases`.
pub async fn list(
    State(kube): State<KubeHandle>,
    Path(namespace): Path<String>,
) -> Result<Response, KubeError> {
    let items = kube.leases_in(&namespace);
    let version = kube.leases().version.to_string();
    let body = json!({
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "LeaseList",
        "metadata": ListMeta { resource_version: Some(version), ..Default::default() },
        "items": items,
    });
    Ok(json(StatusCode::OK, &body))
}

/// `POST .../leases`: 201 with the stored Lease; 409 `AlreadyExists` when the name is taken.
pub async fn create(
    State(kube): State<KubeHandle>,
    Path(namespace): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, KubeError> {
    KubeError::require_json(&headers)?;
    check_namespace(&kube, &namespace)?;
    let mut lease = parse(&body)?;
    let name = lease.metadata.name.clone().unwrap_or_default();
    if name.is_empty() {
        return Err(KubeError::invalid(
            "Lease",
            "",
            vec![FieldError::required("metadata.name")],
        ));
    }
    let mut leases = kube.leases();
    let key = (namespace.clone(), name.clone());
    if leases.by_name.contains_key(&key) {
        return Err(grouped(KubeError::already_exists(RESOURCE, &name)));
    }
    let version = leases.next_version();
    stamp(&mut lease, &namespace, version);
    lease.metadata.uid = Some(super::uid(&format!(
        "lease/{namespace}/{name}/{}",
        leases.version
    )));
    lease.metadata.creation_timestamp = Some(super::k8s_time(Utc::now()));
    leases.by_name.insert(key, lease.clone());
    Ok(json(StatusCode::CREATED, &lease))
}

/// `GET .../leases/{name}`: 404 `leases.coordination.k8s.io "x" not found` when absent.
pub async fn get(
    State(kube): State<KubeHandle>,
    Path((namespace, name)): Path<(String, String)>,
) -> Result<Response, KubeError> {
    let lease = kube
        .lease(&namespace, &name)
        .ok_or_else(|| grouped(KubeError::not_found(RESOURCE, &name)))?;
    Ok(json(StatusCode::OK, &lease))
}

/// `PUT .../leases/{name}`: replaces the Lease. A `metadata.resourceVersion` other than the
/// stored one is a 409 `Conflict` (someone else wrote in between); none means unconditional.
pub async fn replace(
    State(kube): State<KubeHandle>,
    Path((namespace, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, KubeError> {
    KubeError::require_json(&headers)?;
    let mut lease = parse(&body)?;
    if lease.metadata.name.as_deref() != Some(name.as_str()) {
        return Err(KubeError::bad_request(
            "the name of the object does not match the name on the URL",
        ));
    }
    let mut leases = kube.leases();
    let key = (namespace.clone(), name.clone());
    let stored = leases
        .by_name
        .get(&key)
        .ok_or_else(|| grouped(KubeError::not_found(RESOURCE, &name)))?;
    if let Some(sent) = lease.metadata.resource_version.as_deref() {
        if stored.metadata.resource_version.as_deref() != Some(sent) {
            return Err(grouped(KubeError::conflict(RESOURCE, &name)));
        }
    }
    lease.metadata.uid = stored.metadata.uid.clone();
    lease.metadata.creation_timestamp = stored.metadata.creation_timestamp.clone();
    let version = leases.next_version();
    stamp(&mut lease, &namespace, version);
    leases.by_name.insert(key, lease.clone());
    Ok(json(StatusCode::OK, &lease))
}

/// `DELETE .../leases/{name}`: 200 with a `Status` Success (as for other resources without
/// finalizers), 404 when absent. `DeleteOptions.preconditions.resourceVersion` other than the
/// stored one is a 409 Conflict: the text is `Preconditions.Check`'s
/// (`staging/src/k8s.io/apiserver/pkg/storage/interfaces.go`, an `InvalidObj` storage error),
/// which the registry store's `Delete` answers as a Conflict on the resource.
pub async fn delete(
    State(kube): State<KubeHandle>,
    Path((namespace, name)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, KubeError> {
    let options: serde_json::Value = if body.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| KubeError::bad_request(format!("invalid DeleteOptions: {e}")))?
    };
    let wanted = options["preconditions"]["resourceVersion"].as_str();
    let mut leases = kube.leases();
    let key = (namespace.clone(), name.clone());
    let stored = leases
        .by_name
        .get(&key)
        .ok_or_else(|| grouped(KubeError::not_found(RESOURCE, &name)))?;
    let stored_version = stored.metadata.resource_version.clone().unwrap_or_default();
    if let Some(wanted) = wanted.filter(|w| *w != stored_version) {
        let why = format!(
            "Precondition failed: ResourceVersion in precondition: {wanted}, ResourceVersion in \
             object meta: {stored_version}"
        );
        return Err(grouped(KubeError::conflict_because(RESOURCE, &name, &why)));
    }
    let removed = leases.by_name.remove(&key);
    drop(leases);
    let lease = removed.ok_or_else(|| grouped(KubeError::not_found(RESOURCE, &name)))?;
    let body = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": {
            "name": name,
            "group": "coordination.k8s.io",
            "kind": "leases",
            "uid": lease.metadata.uid,
        },
    });
    Ok(json(StatusCode::OK, &body))
}
