//! Errors are `metav1.Status` bodies with the API server's codes and messages; patches,
//! the status subresource, dry runs and deletes behave as for any custom resource.

use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use serde_json::{json, Value};

use super::{isvc, isvcs, observed, ready, scenario, start, wait_for, NS};

const PATH: &str = "/apis/serving.kserve.io/v1beta1/namespaces/staging/inferenceservices";

fn api_error(err: kube::Error) -> Box<kube::core::Status> {
    match err {
        kube::Error::Api(status) => status,
        other => panic!("expected an API error, got {other}"),
    }
}

/// A request to the simulator: status and JSON body.
async fn send(
    sim: &kfops_sim::Simulator,
    method: reqwest::Method,
    path: &str,
    content_type: &str,
    body: Value,
) -> (u16, Value) {
    let request = reqwest::Client::new()
        .request(method, format!("{}{path}", sim.kube_url()))
        .header("content-type", content_type)
        .body(body.to_string());
    crate::support::status_and_json(request).await
}

#[tokio::test]
async fn errors_are_status_objects_with_the_api_servers_codes() {
    let (sim, client) = start(scenario(|_| {})).await;
    let api = isvcs(&client, NS);

    let dup = api_error(
        api.create(&PostParams::default(), &isvc("churn-model", "r1"))
            .await
            .unwrap_err(),
    );
    assert_eq!((dup.code, dup.reason.as_str()), (409, "AlreadyExists"));
    assert_eq!(
        dup.message,
        "inferenceservices.serving.kserve.io \"churn-model\" already exists"
    );

    let (status, body) = send(
        &sim,
        reqwest::Method::GET,
        &format!("{PATH}/nope"),
        "",
        Value::Null,
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": "inferenceservices.serving.kserve.io \"nope\" not found",
               "reason": "NotFound",
               "details": {"name": "nope", "group": "serving.kserve.io", "kind": "inferenceservices"},
               "code": 404})
    );

    let mut no_predictor = isvc("empty", "r1");
    no_predictor.data["spec"] = json!({});
    let invalid = api_error(
        api.create(&PostParams::default(), &no_predictor)
            .await
            .unwrap_err(),
    );
    assert_eq!((invalid.code, invalid.reason.as_str()), (422, "Invalid"));
    assert_eq!(
        invalid.message,
        "InferenceService.serving.kserve.io \"empty\" is invalid: spec.predictor: Required value"
    );
    let (_, body) = send(
        &sim,
        reqwest::Method::POST,
        PATH,
        "application/json",
        serde_json::to_value(&no_predictor).unwrap(),
    )
    .await;
    assert_eq!(
        body["details"],
        json!({"name": "empty", "group": "serving.kserve.io", "kind": "InferenceService",
               "causes": [{"reason": "FieldValueRequired", "message": "Required value", "field": "spec.predictor"}]})
    );

    let nowhere = isvcs(&client, "nowhere");
    let missing_ns = api_error(
        nowhere
            .create(&PostParams::default(), &isvc("x", "r1"))
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (missing_ns.code, missing_ns.message.as_str()),
        (404, "namespaces \"nowhere\" not found")
    );

    // Optimistic concurrency: a replace based on an old resourceVersion is refused.
    let old = api.get("churn-model").await.unwrap();
    let mut first = old.clone();
    first.data["spec"]["predictor"]["minReplicas"] = json!(2);
    api.replace("churn-model", &PostParams::default(), &first)
        .await
        .unwrap();
    let mut second = old.clone();
    second.data["spec"]["predictor"]["minReplicas"] = json!(3);
    let stale = api_error(
        api.replace("churn-model", &PostParams::default(), &second)
            .await
            .unwrap_err(),
    );
    assert_eq!((stale.code, stale.reason.as_str()), (409, "Conflict"));
    assert!(
        stale.message.contains("the object has been modified"),
        "{}",
        stale.message
    );
    let mut unconditional = serde_json::to_value(&old).unwrap();
    unconditional["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("resourceVersion");
    let (status, body) = send(
        &sim,
        reqwest::Method::PUT,
        &format!("{PATH}/churn-model"),
        "application/json",
        unconditional,
    )
    .await;
    assert_eq!(status, 422, "{body}");

    let (status, body) = send(
        &sim,
        reqwest::Method::PATCH,
        &format!("{PATH}/churn-model"),
        "application/strategic-merge-patch+json",
        json!({}),
    )
    .await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (415, Some("UnsupportedMediaType"))
    );
}

#[tokio::test]
async fn patches_the_status_subresource_dry_runs_and_deletes() {
    let (sim, client) = start(scenario(|_| {})).await;
    let api = isvcs(&client, NS);
    let before = api.get("churn-model").await.unwrap();

    // JSON patch (RFC 6902): a test that fails changes nothing, one that holds applies.
    let path = format!("{PATH}/churn-model");
    let ops = json!([
        {"op": "test", "path": "/spec/predictor/minReplicas", "value": 7},
        {"op": "replace", "path": "/spec/predictor/minReplicas", "value": 2},
    ]);
    let (status, _) = send(
        &sim,
        reqwest::Method::PATCH,
        &path,
        "application/json-patch+json",
        ops,
    )
    .await;
    assert_eq!(status, 422);
    let ops = json!([
        {"op": "test", "path": "/spec/predictor/minReplicas", "value": 1},
        {"op": "replace", "path": "/spec/predictor/minReplicas", "value": 2},
        {"op": "add", "path": "/metadata/labels", "value": {"team": "ml"}},
    ]);
    let (status, patched) = send(
        &sim,
        reqwest::Method::PATCH,
        &path,
        "application/json-patch+json",
        ops,
    )
    .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["spec"]["predictor"]["minReplicas"], 2);
    assert_eq!(
        patched["metadata"]["generation"],
        before.metadata.generation.unwrap() + 1
    );
    let labelled = api
        .list(&kube::api::ListParams::default().labels("team=ml"))
        .await
        .unwrap();
    assert_eq!(labelled.items.len(), 1);

    // The status subresource writes only the status; the main resource never does.
    let settled = wait_for(&api, "churn-model", observed).await;
    let status_patch =
        json!({"spec": {"predictor": {"minReplicas": 9}}, "status": {"url": "http://elsewhere"}});
    let written = api
        .patch_status(
            "churn-model",
            &PatchParams::default(),
            &Patch::Merge(&status_patch),
        )
        .await
        .unwrap();
    assert_eq!(written.data["status"]["url"], "http://elsewhere");
    assert_eq!(written.data["spec"]["predictor"]["minReplicas"], 2);
    assert_eq!(written.metadata.generation, settled.metadata.generation);
    let main_patch =
        json!({"status": {"url": "http://ignored"}, "metadata": {"labels": {"team": "ops"}}});
    let written = api
        .patch(
            "churn-model",
            &PatchParams::default(),
            &Patch::Merge(&main_patch),
        )
        .await
        .unwrap();
    assert_eq!(written.data["status"]["url"], "http://elsewhere");
    assert_eq!(written.metadata.labels.unwrap()["team"], "ops");
    assert_eq!(written.metadata.generation, settled.metadata.generation);

    // A dry run checks and answers without storing.
    let dry = PostParams {
        dry_run: true,
        ..Default::default()
    };
    let answered = api.create(&dry, &isvc("dry", "r1")).await.unwrap();
    assert_eq!(answered.metadata.name.as_deref(), Some("dry"));
    assert!(api.get_opt("dry").await.unwrap().is_none());

    // Delete: gone at once, and so is its predictor.
    api.delete("churn-model", &DeleteParams::default())
        .await
        .unwrap();
    assert!(api.get_opt("churn-model").await.unwrap().is_none());
    let url = sim.kserve().predictor_url(NS, "churn-model", None);
    let response = reqwest::Client::new()
        .post(&url)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    assert_eq!(ready(&before), "True");
}
