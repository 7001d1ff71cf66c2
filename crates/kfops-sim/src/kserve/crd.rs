//! A cluster without KServe (`kserve.crd_installed = false`): discovery (`GET /apis`) leaves
//! out `serving.kserve.io`, and every path under `/apis/serving.kserve.io` answers the API
//! server's `404 page not found`, as when the CRD is not installed. A middleware, so the
//! Kubernetes and KServe routers stay as they are.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::APIGroupList;

use crate::kube::status::json;

/// The group the CRD serves.
const GROUP: &str = "serving.kserve.io";
/// Discovery documents are small; anything bigger is passed on untouched.
const MAX_DISCOVERY_BYTES: usize = 1 << 20;

/// Whether the CRD is installed (the middleware's state).
#[derive(Debug, Clone, Copy)]
pub struct CrdInstalled(pub bool);

/// Hides KServe when the CRD is not installed; does nothing otherwise.
pub async fn gate(State(installed): State<CrdInstalled>, req: Request, next: Next) -> Response {
    if installed.0 {
        return next.run(req).await;
    }
    let path = req.uri().path().to_owned();
    let group_prefix = format!("/apis/{GROUP}");
    if path == group_prefix || path.starts_with(&format!("{group_prefix}/")) {
        return not_found();
    }
    let response = next.run(req).await;
    if path.trim_end_matches('/') != "/apis" || response.status() != StatusCode::OK {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_DISCOVERY_BYTES).await else {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "discovery body unreadable",
        )
            .into_response();
    };
    match serde_json::from_slice::<APIGroupList>(&bytes) {
        Ok(mut list) => {
            list.groups.retain(|g| g.name != GROUP);
            let mut filtered = json(parts.status, &list);
            if let Some(ct) = parts.headers.get(header::CONTENT_TYPE) {
                filtered
                    .headers_mut()
                    .insert(header::CONTENT_TYPE, ct.clone());
            }
            filtered
        }
        Err(_) => Response::from_parts(parts, Body::from(bytes)),
    }
}

/// The API server's answer for a path nothing serves.
fn not_found() -> Response {
    let mut response = (StatusCode::NOT_FOUND, "404 page not found\n").into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
