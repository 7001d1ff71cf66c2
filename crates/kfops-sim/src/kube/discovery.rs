//! Discovery: `/version`, `/api`, `/api/v1`, `/apis` and the KServe group.
//!
//! Clients that ask for aggregated discovery (`Accept: application/json;g=apidiscovery.k8s.io;
//! v=v2;as=APIGroupDiscoveryList,...`, as kubectl does) get the legacy documents with
//! `Content-Type: application/json`, which tells them to fall back to per-group discovery.

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    APIGroup, APIGroupList, APIResource, APIResourceList, APIVersions, GroupVersionForDiscovery,
    ServerAddressByClientCIDR,
};
use k8s_openapi::apimachinery::pkg::version::Info;

use super::status::json;

/// The simulated server's version.
pub const GIT_VERSION: &str = "v1.36.2";
/// The KServe group and its one version.
pub const KSERVE_GROUP: &str = "serving.kserve.io";
const KSERVE_VERSION: &str = "v1beta1";

/// Verbs of a fully writable resource.
const ALL_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

/// `GET /version`.
pub async fn version() -> Response {
    let info = Info {
        major: "1".to_owned(),
        minor: "36".to_owned(),
        emulation_major: Some("1".to_owned()),
        emulation_minor: Some("36".to_owned()),
        min_compatibility_major: Some("1".to_owned()),
        min_compatibility_minor: Some("35".to_owned()),
        git_version: GIT_VERSION.to_owned(),
        git_commit: "7d1f1f0c4e2b5a3b9a2d6c0e8f4b1a9d3c5e7f21".to_owned(),
        git_tree_state: "clean".to_owned(),
        build_date: "2026-06-11T09:24:37Z".to_owned(),
        go_version: "go1.26.3".to_owned(),
        compiler: "gc".to_owned(),
        platform: "linux/amd64".to_owned(),
    };
    json(StatusCode::OK, &info)
}

/// `GET /api`: the legacy core group's versions.
pub async fn api_versions(headers: HeaderMap) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1:6443")
        .to_owned();
    let body = APIVersions {
        versions: vec!["v1".to_owned()],
        server_address_by_client_cidrs: vec![ServerAddressByClientCIDR {
            client_cidr: "0.0.0.0/0".to_owned(),
            server_address: host,
        }],
    };
    json(StatusCode::OK, &body)
}

fn resource(
    name: &str,
    singular: &str,
    kind: &str,
    namespaced: bool,
    verbs: &[&str],
    short: &[&str],
) -> APIResource {
    let strings = |xs: &[&str]| xs.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    APIResource {
        name: name.to_owned(),
        singular_name: singular.to_owned(),
        kind: kind.to_owned(),
        namespaced,
        verbs: strings(verbs),
        short_names: (!short.is_empty()).then(|| strings(short)),
        categories: (!short.is_empty() && kind != "Namespace").then(|| vec!["all".to_owned()]),
        storage_version_hash: None,
        group: None,
        version: None,
    }
}

/// `GET /api/v1`.
pub async fn core_v1() -> Response {
    let mut pods = resource("pods", "pod", "Pod", true, ALL_VERBS, &["po"]);
    pods.storage_version_hash = Some("xPOwRZ+Yhw8=".to_owned());
    let mut namespaces = resource(
        "namespaces",
        "namespace",
        "Namespace",
        false,
        &[
            "create", "delete", "get", "list", "patch", "update", "watch",
        ],
        &["ns"],
    );
    namespaces.storage_version_hash = Some("Q3oi5N2YM8M=".to_owned());
    let mut services = resource("services", "service", "Service", true, ALL_VERBS, &["svc"]);
    services.storage_version_hash = Some("0/CO1lhkEBI=".to_owned());
    let body = APIResourceList {
        group_version: "v1".to_owned(),
        resources: vec![
            namespaces,
            resource(
                "namespaces/status",
                "",
                "Namespace",
                false,
                &["get", "patch", "update"],
                &[],
            ),
            pods,
            resource("pods/log", "", "Pod", true, &["get"], &[]),
            resource(
                "pods/status",
                "",
                "Pod",
                true,
                &["get", "patch", "update"],
                &[],
            ),
            services,
            resource(
                "services/proxy",
                "",
                "ServiceProxyOptions",
                true,
                &["create", "delete", "get", "patch", "update"],
                &[],
            ),
            resource(
                "services/status",
                "",
                "Service",
                true,
                &["get", "patch", "update"],
                &[],
            ),
        ],
    };
    json(StatusCode::OK, &body)
}

/// An API group with one (preferred) version.
fn api_group(group: &str, only_version: &str) -> APIGroup {
    let version = GroupVersionForDiscovery {
        group_version: format!("{group}/{only_version}"),
        version: only_version.to_owned(),
    };
    APIGroup {
        name: group.to_owned(),
        preferred_version: Some(version.clone()),
        server_address_by_client_cidrs: None,
        versions: vec![version],
    }
}

fn kserve_api_group() -> APIGroup {
    api_group(KSERVE_GROUP, KSERVE_VERSION)
}

/// The coordination group (Leases) and its one version.
const COORDINATION_GROUP: &str = "coordination.k8s.io";

fn coordination_api_group() -> APIGroup {
    api_group(COORDINATION_GROUP, "v1")
}

/// `GET /apis/coordination.k8s.io`.
pub async fn coordination_group() -> Response {
    json(StatusCode::OK, &coordination_api_group())
}

/// `GET /apis/coordination.k8s.io/v1`: Leases, with the verbs kube-apiserver lists for them
/// (`kubectl api-resources -o wide`: create delete deletecollection get list patch update
/// watch; no short names; <https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/lease-v1/>).
pub async fn coordination_v1() -> Response {
    let leases = resource("leases", "lease", "Lease", true, ALL_VERBS, &[]);
    let body = APIResourceList {
        group_version: format!("{COORDINATION_GROUP}/v1"),
        resources: vec![leases],
    };
    json(StatusCode::OK, &body)
}

/// `GET /apis`: the API groups (coordination.k8s.io for Leases; KServe's is served by the
/// KServe simulator).
pub async fn groups() -> Response {
    let body = APIGroupList {
        groups: vec![coordination_api_group(), kserve_api_group()],
    };
    json(StatusCode::OK, &body)
}

/// `GET /apis/serving.kserve.io`.
pub async fn kserve_group() -> Response {
    json(StatusCode::OK, &kserve_api_group())
}

/// `GET /apis/serving.kserve.io/v1beta1`: InferenceServices (`isvc`) and their status.
pub async fn kserve_v1beta1() -> Response {
    let mut isvc = resource(
        "inferenceservices",
        "inferenceservice",
        "InferenceService",
        true,
        ALL_VERBS,
        &["isvc"],
    );
    isvc.categories = None;
    isvc.storage_version_hash = Some("JtIpm/OXxYQ=".to_owned());
    let body = APIResourceList {
        group_version: format!("{KSERVE_GROUP}/{KSERVE_VERSION}"),
        resources: vec![
            isvc,
            resource(
                "inferenceservices/status",
                "",
                "InferenceService",
                true,
                &["get", "patch", "update"],
                &[],
            ),
        ],
    };
    json(StatusCode::OK, &body)
}
