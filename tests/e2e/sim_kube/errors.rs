//! Errors are `metav1.Status` bodies with the API server's codes, reasons and messages.

use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::{DeleteParams, ListParams, PostParams};
use kube::Api;
use serde_json::{json, Value};

use super::{api_error, busybox, raw, scenario, start, wait_for, NS};

#[tokio::test]
async fn errors_are_status_objects_with_the_api_servers_codes() {
    // Bound after 1 s, running half a second later: time to see ContainerCreating.
    let (sim, client) = start(scenario(|k| k.pod_start_ms = 1000)).await;
    let api: Api<Pod> = Api::namespaced(client.clone(), NS);
    let pod = busybox("dup", json!({}), &["main", "sidecar"]);
    api.create(&PostParams::default(), &pod).await.unwrap();

    // An unbound pod has an empty log; a container being created is a 400.
    let (status, _, body) = raw(
        &sim,
        &format!("/api/v1/namespaces/{NS}/pods/dup/log?container=main"),
    )
    .await;
    assert_eq!((status, body.as_str()), (200, ""));
    wait_for(&api, "dup", |p| {
        p.spec.as_ref().unwrap().node_name.is_some()
    })
    .await;
    let (status, _, body) = raw(
        &sim,
        &format!("/api/v1/namespaces/{NS}/pods/dup/log?container=main"),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body["message"],
        "container \"main\" in pod \"dup\" is waiting to start: ContainerCreating"
    );

    let status = api_error(api.create(&PostParams::default(), &pod).await.unwrap_err());
    assert_eq!(
        (status.code, status.reason.as_str()),
        (409, "AlreadyExists")
    );
    assert_eq!(status.message, "pods \"dup\" already exists");

    let (status, content_type, body) = raw(&sim, &format!("/api/v1/namespaces/{NS}/pods/x")).await;
    assert_eq!((status, content_type.as_str()), (404, "application/json"));
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": "pods \"x\" not found", "reason": "NotFound",
               "details": {"name": "x", "kind": "pods"}, "code": 404})
    );

    let (status, _, body) = raw(&sim, &format!("/api/v1/namespaces/{NS}/pods/dup/log")).await;
    assert_eq!(status, 400);
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["reason"], "BadRequest");
    assert_eq!(
        body["message"],
        "a container name must be specified for pod dup, choose one of: [main sidecar]"
    );
    let (status, _, body) = raw(
        &sim,
        &format!("/api/v1/namespaces/{NS}/pods/dup/log?container=nope"),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body.contains("container nope is not valid for pod dup"),
        "{body}"
    );

    let elsewhere: Api<Pod> = Api::namespaced(client.clone(), "nowhere");
    let status = api_error(
        elsewhere
            .create(&PostParams::default(), &busybox("a", json!({}), &["a"]))
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (status.code, status.message.as_str()),
        (404, "namespaces \"nowhere\" not found")
    );
    let status = api_error(
        api.create(&PostParams::default(), &busybox("empty", json!({}), &[]))
            .await
            .unwrap_err(),
    );
    assert_eq!((status.code, status.reason.as_str()), (422, "Invalid"));
    assert_eq!(
        status.message,
        "Pod \"empty\" is invalid: spec.containers: Required value"
    );
    let unnamed: Pod =
        serde_json::from_value(json!({"spec": {"containers": [{"name": "a", "image": "x"}]}}))
            .unwrap();
    let status = api_error(
        api.create(&PostParams::default(), &unnamed)
            .await
            .unwrap_err(),
    );
    assert_eq!(status.code, 422);
    assert!(
        status.message.contains("name or generateName is required"),
        "{}",
        status.message
    );

    let namespaces: Api<Namespace> = Api::all(client.clone());
    let status = api_error(namespaces.get("nowhere").await.unwrap_err());
    assert_eq!(
        (status.code, status.message.as_str()),
        (404, "namespaces \"nowhere\" not found")
    );
    let names: Vec<String> = namespaces
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|n| n.metadata.name)
        .collect();
    assert_eq!(
        names,
        [
            "default",
            "kfops",
            "kubeflow",
            "kubeflow-user-example-com",
            "production",
            "staging"
        ]
    );

    let put = reqwest::Client::new()
        .put(format!("{}/api/v1/namespaces/{NS}/pods", sim.kube_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status().as_u16(), 405);
    let body: Value = put.json().await.unwrap();
    assert_eq!(body["reason"], "MethodNotAllowed");
    let (status, _, body) = raw(&sim, "/api/v1/nothing-here/at-all").await;
    assert_eq!((status, body.as_str()), (404, "404 page not found\n"));

    // generateName, and deletion returning the pod.
    let generated: Pod = serde_json::from_value(json!({
        "metadata": {"generateName": "kfops-kaniko-"},
        "spec": {"containers": [{"name": "a", "image": "busybox"}]},
    }))
    .unwrap();
    let created = api
        .create(&PostParams::default(), &generated)
        .await
        .unwrap();
    let name = created.metadata.name.clone().unwrap();
    assert!(
        name.starts_with("kfops-kaniko-") && name.len() == "kfops-kaniko-".len() + 5,
        "{name}"
    );
    let deleted = api.delete(&name, &DeleteParams::default()).await.unwrap();
    let deleted = deleted.left().expect("the deleted pod");
    assert_eq!(deleted.metadata.name.as_deref(), Some(name.as_str()));
    assert!(api.get_opt(&name).await.unwrap().is_none());
}
