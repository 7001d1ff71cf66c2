//! `ml-pipeline-ui` reached by a port-forward through the Kubernetes API, as `kubectl
//! port-forward svc/ml-pipeline-ui` (≥ 1.30) and kube-rs's `Api::<Pod>::portforward` do it:
//!
//! - `GET /apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices?labelSelector=
//!   kubernetes.io/service-name=ml-pipeline-ui`: the Service's EndpointSlice (what the
//!   endpoints controller keeps: each pod behind the selector with `conditions.ready` and its
//!   `targetRef`; https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/),
//!   the one UI pod ready on port 3000 (KFP's manifests: the Service's port 80 → target port
//!   3000, kubeflow/pipelines `manifests/kustomize/base/pipeline/ml-pipeline-ui-service.yaml`).
//! - `GET /api/v1/namespaces/{ns}/pods/{pod}/portforward?ports=3000` upgraded to a WebSocket
//!   with the subprotocol `v4.channel.k8s.io` (kubernetes `pkg/kubelet/cri/streaming/portforward/
//!   websocket.go`: protocols "", `v4.channel.k8s.io`, `v4.base64.channel.k8s.io`). Each port
//!   has two channels, data `2i` and error `2i + 1`; every binary message starts with its
//!   channel byte, and the server's first message on each channel is the port as 2 bytes
//!   little-endian (`binary.LittleEndian.PutUint16(portBytes, port)` there; kube-rs
//!   `api/portforward.rs` refuses any other first frame).
//! - The bytes of the data channel are an HTTP/1.1 connection to the UI, which proxies
//!   `/apis/v2beta1/...` to the KFP API server with the caller's headers
//!   (kubeflow/pipelines `frontend/server/app.ts`: the API proxy): the `Authorization` bearer
//!   token reaches KFP (unlike the Kubernetes service proxy, which drops it), so a multi-user
//!   KFP sees the identity (KFP's "Connect the SDK to the API": inside a cluster the SDK's host
//!   is `http://ml-pipeline-ui.kubeflow.svc.cluster.local` with a ServiceAccount token).

use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use futures::{SinkExt, StreamExt};
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::errors::kube_status;
use super::KfpHandle;

/// The UI's Service and the label its pods carry.
pub const UI_SERVICE: &str = "ml-pipeline-ui";
/// The one UI pod (`app=ml-pipeline-ui`), Running and Ready.
pub const UI_POD: &str = "ml-pipeline-ui-6d8c9b7f5-x2k7q";
/// The port the UI's container listens on (the Service's target port).
pub const UI_PORT: u16 = 3000;
/// The WebSocket subprotocol of the port-forward.
pub const PROTOCOL: &str = "v4.channel.k8s.io";

#[derive(Clone)]
struct Target {
    handle: KfpHandle,
    /// The UI's API proxy: KFP's API with its own authentication (multi-user check).
    api: Router,
}

/// The Service, pod list and port-forward routes of `ml-pipeline-ui`.
pub(super) fn router(handle: KfpHandle, api: Router) -> Router {
    let ns = "/api/v1/namespaces/{namespace}";
    Router::new()
        .route(
            "/apis/discovery.k8s.io/v1/namespaces/{namespace}/endpointslices",
            axum::routing::get(endpoint_slices),
        )
        .route(
            &format!("{ns}/pods/{{name}}/portforward"),
            axum::routing::get(portforward).post(portforward),
        )
        .with_state(Target { handle, api })
}

fn not_found(kind: &str, name: &str) -> Response {
    kube_status(
        StatusCode::NOT_FOUND,
        "NotFound",
        &format!("{kind} \"{name}\" not found"),
        Some(json!({"name": name, "kind": kind})),
    )
}

#[derive(serde::Deserialize)]
struct Selector {
    #[serde(default, rename = "labelSelector")]
    label_selector: String,
}

/// The EndpointSlices of the namespace matching `kubernetes.io/service-name=NAME` (the only
/// selector simulated): the UI's in KFP's namespace, none elsewhere.
async fn endpoint_slices(
    State(target): State<Target>,
    Path(namespace): Path<String>,
    Query(query): Query<Selector>,
) -> Response {
    let wanted = format!("kubernetes.io/service-name={UI_SERVICE}");
    let items = if namespace == target.handle.proxy_namespace()
        && (query.label_selector.is_empty() || query.label_selector == wanted)
    {
        vec![ui_endpoint_slice(&namespace)]
    } else {
        Vec::new()
    };
    axum::Json(json!({
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSliceList",
        "metadata": {"resourceVersion": "1"},
        "items": items,
    }))
    .into_response()
}

/// The UI Service's EndpointSlice: its one pod, ready, on the target port.
pub fn ui_endpoint_slice(namespace: &str) -> serde_json::Value {
    json!({
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": format!("{UI_SERVICE}-8xk2p"),
            "namespace": namespace,
            "labels": {"kubernetes.io/service-name": UI_SERVICE},
        },
        "addressType": "IPv4",
        "endpoints": [{
            "addresses": ["10.244.0.17"],
            "conditions": {"ready": true, "serving": true, "terminating": false},
            "targetRef": {"kind": "Pod", "name": UI_POD, "namespace": namespace},
        }],
        "ports": [{"name": "http", "port": UI_PORT, "protocol": "TCP"}],
    })
}

#[derive(serde::Deserialize)]
struct Ports {
    #[serde(default)]
    ports: String,
}

async fn portforward(
    State(target): State<Target>,
    Path((namespace, name)): Path<(String, String)>,
    Query(query): Query<Ports>,
    mut req: Request,
) -> Response {
    if namespace != target.handle.proxy_namespace() || name != UI_POD {
        return not_found("pods", &name);
    }
    // kubelet: `ports` is required, each a valid port (portforward/httpstream.go, NewV4Options).
    let ports: Result<Vec<u16>, _> = query.ports.split(',').map(str::parse::<u16>).collect();
    let ports = match ports {
        Ok(p) if !p.is_empty() && p.iter().all(|&p| p > 0) => p,
        _ => {
            return kube_status(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                &format!("invalid port \"{}\"", query.ports),
                None,
            )
        }
    };
    let headers = req.headers();
    let wants_ws = headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    let key = headers.get(header::SEC_WEBSOCKET_KEY).cloned();
    let offers_v4 = headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim() == PROTOCOL);
    let (Some(key), true, true) = (key, wants_ws, offers_v4) else {
        // SPDY is not simulated: the WebSocket protocol with v4 channels only.
        return kube_status(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "upgrade request required: a WebSocket with the subprotocol v4.channel.k8s.io",
            None,
        );
    };
    let accept = derive_accept_key(key.as_bytes());
    let on_upgrade = hyper::upgrade::on(&mut req);
    let api = target.api.clone();
    tokio::spawn(async move {
        if let Ok(upgraded) = on_upgrade.await {
            let ws =
                WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
            forward(ws, ports, api).await;
        }
    });
    let mut response = StatusCode::SWITCHING_PROTOCOLS.into_response();
    let h = response.headers_mut();
    h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    h.insert(
        header::SEC_WEBSOCKET_PROTOCOL,
        HeaderValue::from_static(PROTOCOL),
    );
    if let Ok(accept) = HeaderValue::from_str(&accept) {
        h.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    }
    response
}

/// Serves the forwarded ports: the first message on each channel is its port; data on port
/// `UI_PORT`'s channel is an HTTP connection to the UI's API proxy; another port gets an
/// error on its error channel, as the kubelet reports a refused connection.
async fn forward<S>(ws: WebSocketStream<S>, ports: Vec<u16>, api: Router)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sink, mut stream) = ws.split();
    for (i, port) in ports.iter().enumerate() {
        let [lo, hi] = port.to_le_bytes();
        for channel in [2 * i, 2 * i + 1] {
            let channel = u8::try_from(channel).unwrap_or(u8::MAX);
            if sink
                .send(Message::binary(vec![channel, lo, hi]))
                .await
                .is_err()
            {
                return;
            }
        }
    }
    let Some(ui_index) = ports.iter().position(|&p| p == UI_PORT) else {
        for (i, port) in ports.iter().enumerate() {
            let channel = u8::try_from(2 * i + 1).unwrap_or(u8::MAX);
            let mut text = vec![channel];
            text.extend(
                format!("error forwarding port {port} to pod {UI_POD}: connection refused").bytes(),
            );
            let _ = sink.send(Message::binary(text)).await;
        }
        let _ = sink.close().await;
        return;
    };
    let data_channel = u8::try_from(2 * ui_index).unwrap_or(u8::MAX);
    // The UI's side of the connection: an HTTP/1.1 server on one end of a pipe.
    let (ours, theirs) = tokio::io::duplex(64 * 1024);
    let service = hyper_util::service::TowerToHyperService::new(api);
    tokio::spawn(async move {
        let _ = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(theirs), service)
            .await;
    });
    let (mut from_ui, mut to_ui) = tokio::io::split(ours);
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        tokio::select! {
            message = stream.next() => match message {
                Some(Ok(Message::Binary(bytes))) => {
                    if bytes.first() == Some(&data_channel) && bytes.len() > 1
                        && to_ui.write_all(&bytes[1..]).await.is_err() {
                        break;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
            read = from_ui.read(&mut buffer) => match read {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let mut out = Vec::with_capacity(n + 1);
                    out.push(data_channel);
                    out.extend_from_slice(&buffer[..n]);
                    if sink.send(Message::binary(out)).await.is_err() {
                        break;
                    }
                }
            },
        }
    }
    let _ = sink.close().await;
}
