//! `[kfp] port_forward`: KFP through its UI service (`ml-pipeline-ui`), by a port-forward the
//! console opens itself through the Kubernetes API (no `kubectl`), as `kubectl port-forward
//! svc/ml-pipeline-ui` does: a ready pod behind the Service (its EndpointSlices, ready
//! endpoints only: https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/),
//! then `pods/{name}/portforward` over a WebSocket (kube's `Api::<Pod>::portforward`,
//! `v4.channel.k8s.io`). The UI proxies `/apis/v2beta1/...` to the KFP API server with the
//! request's headers, so a multi-user KFP sees the identity (KFP's "Connect the SDK to the
//! API": the in-cluster SDK talks to `ml-pipeline-ui` with a ServiceAccount token).
//!
//! The client talks HTTP to a local listener on `127.0.0.1:0`; each accepted connection gets
//! a fresh lookup and port-forward, so a forward that drops (pod restarted, API server
//! connection cut) closes that connection and the next one re-opens it to a ready pod.

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::{Api, ListParams};
use tokio::net::TcpListener;

use super::{flatten, BackendError, Service};

/// Where the UI service is: its namespace and name.
#[derive(Debug, Clone)]
pub struct UiService {
    pub namespace: String,
    pub name: String,
}

impl UiService {
    fn fail(&self, what: &str, message: String) -> BackendError {
        BackendError::new(Service::Kfp, what, message).with_hint(format!(
            "check [kfp] port_forward / proxy_namespace: the service {}/{} needs a ready pod, and the kube context `list endpointslices` and `create pods/portforward` there",
            self.namespace, self.name
        ))
    }

    /// A ready pod behind the service and the port its endpoints serve on.
    async fn ready_pod(&self, client: &kube::Client) -> Result<(String, u16), BackendError> {
        let what = "find the KFP UI pod";
        let slices: Api<EndpointSlice> = Api::namespaced(client.clone(), &self.namespace);
        let selector = format!("kubernetes.io/service-name={}", self.name);
        let list = slices
            .list(&ListParams::default().labels(&selector))
            .await
            .map_err(|e| self.fail(what, flatten(&e)))?;
        for slice in list.items {
            let port = slice
                .ports
                .as_ref()
                .and_then(|p| p.first())
                .and_then(|p| p.port);
            let Some(port) = port.and_then(|p| u16::try_from(p).ok()) else {
                continue;
            };
            for endpoint in slice.endpoints.into_iter().flatten() {
                // A missing `ready` means ready (EndpointConditions' documentation).
                let ready = endpoint.conditions.as_ref().and_then(|c| c.ready) != Some(false);
                let pod = endpoint
                    .target_ref
                    .filter(|r| r.kind.as_deref() == Some("Pod"))
                    .and_then(|r| r.name);
                if let (true, Some(pod)) = (ready, pod) {
                    return Ok((pod, port));
                }
            }
        }
        Err(self.fail(
            what,
            format!(
                "no ready pod behind the service {}/{}",
                self.namespace, self.name
            ),
        ))
    }

    /// Opens a port-forward to a ready pod and gives its stream.
    async fn forward(
        &self,
        client: &kube::Client,
    ) -> Result<(kube::api::Portforwarder, tokio::io::DuplexStream), BackendError> {
        let (pod, port) = self.ready_pod(client).await?;
        let pods: Api<Pod> = Api::namespaced(client.clone(), &self.namespace);
        let what = "port-forward to the KFP UI";
        let mut forwarder = pods
            .portforward(&pod, &[port])
            .await
            .map_err(|e| self.fail(what, format!("pod {pod}: {}", flatten(&e))))?;
        match forwarder.take_stream(port) {
            Some(stream) => Ok((forwarder, stream)),
            None => Err(self.fail(what, format!("pod {pod}: no stream for port {port}"))),
        }
    }

    /// Starts the local listener (after checking a ready pod exists, so a wrong name fails at
    /// start with its fix) and gives the URL to send KFP requests to.
    pub async fn open(&self, client: kube::Client) -> Result<String, BackendError> {
        self.ready_pod(&client).await?;
        let fail = |e: std::io::Error| {
            BackendError::new(Service::Kfp, "listen on 127.0.0.1", e.to_string())
        };
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.map_err(fail)?;
        let addr = listener.local_addr().map_err(fail)?;
        let service = self.clone();
        tokio::spawn(async move {
            while let Ok((mut local, _)) = listener.accept().await {
                let (client, service) = (client.clone(), service.clone());
                tokio::spawn(async move {
                    match service.forward(&client).await {
                        Ok((_forwarder, mut remote)) => {
                            let _ = tokio::io::copy_bidirectional(&mut local, &mut remote).await;
                        }
                        Err(e) => tracing::warn!("KFP UI port-forward: {e}"),
                    }
                });
            }
        });
        Ok(format!("http://{addr}"))
    }
}
