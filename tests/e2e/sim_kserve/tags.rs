//! How a sample request reaches one revision on a real cluster, and the simulator doing the
//! same: KServe tags the `latest` traffic target (and so gives it a URL) only with the
//! `serving.kserve.io/enable-tag-routing: "true"` annotation (kserve/kserve
//! `pkg/controller/v1beta1/inferenceservice/reconcilers/knative/ksvc_reconciler.go`; the
//! canary's `prev` target is always tagged); tagged hosts answer through the ingress gateway;
//! every revision has a private Service (`{revision}-private`, knative/serving
//! `pkg/reconciler/serverlessservice/resources/services.go`) that the Kubernetes API server's
//! service proxy reaches with kubeconfig credentials.

use kube::api::{Api, DynamicObject, PostParams};
use serde_json::{json, Value};

use super::{
    isvc, isvcs, observed, post_sample, post_via_ingress, predictor, ready, scenario, start,
    tagged, traffic, wait_for, NS,
};

fn revision(name: &str, n: u32) -> String {
    format!("{name}-predictor-{n:05}")
}

/// Creates `name` (from `make`), waits for it, then replaces it with run `r2` at 0 %: the
/// canary, settled.
async fn canary(
    api: &Api<DynamicObject>,
    name: &str,
    make: fn(&str, &str) -> DynamicObject,
) -> DynamicObject {
    api.create(&PostParams::default(), &make(name, "r1"))
        .await
        .unwrap();
    let v1 = wait_for(api, name, |o| observed(o) && ready(o) == "True").await;
    let mut next = v1.clone();
    next.data["spec"]["predictor"]["model"]["storageUri"] = json!("s3://trained-models/r2/");
    next.data["spec"]["predictor"]["canaryTrafficPercent"] = json!(0);
    api.replace(name, &PostParams::default(), &next)
        .await
        .unwrap();
    wait_for(api, name, |o| observed(o) && ready(o) == "True").await
}

#[tokio::test]
async fn the_latest_target_is_tagged_only_with_the_tag_routing_annotation() {
    let (sim, client) = start(scenario(|_| {})).await;
    let api = isvcs(&client, NS);

    let plain = canary(&api, "plain", isvc).await;
    assert_eq!(
        traffic(&plain),
        [
            (revision("plain", 2), 0, String::new()),
            (revision("plain", 1), 100, "prev".to_owned())
        ]
    );
    let targets = predictor(&plain)["traffic"].as_array().unwrap().clone();
    assert!(targets[0].get("url").is_none(), "{targets:?}");
    assert_eq!(
        targets[1]["url"],
        "http://prev-plain-predictor.staging.example.com"
    );
    // No `latest` host at the gateway; the others answer.
    let infer = "/v2/models/plain/infer";
    let (status, _) =
        post_via_ingress(&sim, "latest-plain-predictor.staging.example.com", infer).await;
    assert_eq!(status, 404);
    let (status, _) =
        post_via_ingress(&sim, "prev-plain-predictor.staging.example.com", infer).await;
    assert_eq!(status, 200);
    let (status, _) = post_via_ingress(&sim, "plain.staging.example.com", infer).await;
    assert_eq!(status, 200);
    let counts = sim.kserve().sample_requests(NS, "plain");
    assert_eq!(counts.get(&revision("plain", 2)), None, "{counts:?}");

    let with_tags = canary(&api, "with-tags", tagged).await;
    assert_eq!(
        traffic(&with_tags),
        [
            (revision("with-tags", 2), 0, "latest".to_owned()),
            (revision("with-tags", 1), 100, "prev".to_owned())
        ]
    );
    assert_eq!(
        predictor(&with_tags)["traffic"][0]["url"],
        "http://latest-with-tags-predictor.staging.example.com"
    );
    let (status, body) = post_via_ingress(
        &sim,
        "latest-with-tags-predictor.staging.example.com",
        "/v2/models/with-tags/infer",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        sim.kserve()
            .sample_requests(NS, "with-tags")
            .get(&revision("with-tags", 2)),
        Some(&1)
    );
    sim.shutdown().await;
}

/// POSTs the sample input through the simulated API server's service proxy.
async fn via_proxy(base: &str, service: &str, path: &str) -> (u16, Value) {
    post_sample(&format!(
        "{base}/api/v1/namespaces/{NS}/services/{service}/proxy{path}"
    ))
    .await
}

#[tokio::test]
async fn the_service_proxy_reaches_one_revision_through_its_private_service() {
    let (sim, client) = start(scenario(|_| {})).await;
    let api = isvcs(&client, NS);
    canary(&api, "plain", isvc).await;
    let base = sim.kube_url();
    let infer = "/v2/models/plain/infer";
    let new = revision("plain", 2);

    let (status, body) = via_proxy(&base, &format!("{new}-private:http"), infer).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["model_name"], "plain");
    let (status, _) = via_proxy(&base, &format!("{new}-private"), infer).await;
    assert_eq!(status, 200, "no port: the first one, http");
    let counts = sim.kserve().sample_requests(NS, "plain");
    assert_eq!(counts.get(&new), Some(&2), "{counts:?}");
    assert_eq!(counts.get(&revision("plain", 1)), None, "{counts:?}");

    // A metrics port does not speak the protocol; an unknown port or service is refused as
    // the API server does, with a Status.
    let (status, body) = via_proxy(&base, &format!("{new}-private:9090"), infer).await;
    assert_eq!((status, body["kind"].as_str()), (503, Some("Status")));
    let (status, body) = via_proxy(&base, &format!("{new}-private:grpc"), infer).await;
    assert_eq!(status, 503);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("no service port"),
        "{body}"
    );
    let missing = revision("plain", 9);
    let (status, body) = via_proxy(&base, &format!("{missing}-private:http"), infer).await;
    assert_eq!((status, body["reason"].as_str()), (404, Some("NotFound")));

    // A revision that never became Ready has no endpoints.
    sim.kserve().set_never_ready([revision("plain", 3)]);
    let mut next = api.get("plain").await.unwrap();
    next.data["spec"]["predictor"]["model"]["storageUri"] = json!("s3://trained-models/r3/");
    api.replace("plain", &PostParams::default(), &next)
        .await
        .unwrap();
    wait_for(&api, "plain", observed).await;
    let failed = revision("plain", 3);
    let (status, body) = via_proxy(&base, &format!("{failed}-private:http"), infer).await;
    assert_eq!(status, 503);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("no endpoints available"),
        "{body}"
    );
    sim.shutdown().await;
}
