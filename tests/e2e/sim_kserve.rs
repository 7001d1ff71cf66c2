//! The simulated KServe, driven through kube-rs's dynamic API (and raw HTTP where the exact
//! bytes matter): InferenceServices roll out on the clock (Ready, URL, revisions), canary
//! traffic splits and promotes, a never-ready revision gets no traffic, predictors answer
//! sample requests per revision, errors are `metav1.Status` bodies, watches see the changes,
//! kubectl lists them, and every object's fields exist in the CRD's schema.

use std::time::Duration;

use kfops_sim::kserve::KserveScenario;
use kfops_sim::{Scenario, Simulator};
use kube::api::{ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams};
use kube::{Api, Client, Config};
use serde_json::{json, Value};

mod demo;
mod errors;
mod revisions;
mod tags;
mod watches;

const NS: &str = "staging";

/// The demo scenario with a fast KServe clock.
fn scenario(tune: impl FnOnce(&mut KserveScenario)) -> Scenario {
    let mut scenario = Scenario::demo();
    scenario.kserve.ready_ms = 100;
    scenario.kube.bookmark_ms = 50;
    tune(&mut scenario.kserve);
    scenario
}

async fn start(scenario: Scenario) -> (Simulator, Client) {
    let sim = Simulator::start("127.0.0.1:0".parse().unwrap(), scenario)
        .await
        .unwrap();
    let client = Client::try_from(Config::new(sim.kube_url().parse().unwrap())).unwrap();
    (sim, client)
}

fn resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("serving.kserve.io", "v1beta1", "InferenceService"),
        "inferenceservices",
    )
}

fn isvcs(client: &Client, namespace: &str) -> Api<DynamicObject> {
    Api::namespaced_with(client.clone(), namespace, &resource())
}

/// An InferenceService as Kfops makes one from the demo template.
fn isvc(name: &str, run_id: &str) -> DynamicObject {
    serde_json::from_value(json!({
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {
            "name": name,
            "annotations": {"kfops.io/run-id": run_id, "kfops.io/pr": "41"},
        },
        "spec": {"predictor": {
            "minReplicas": 1,
            "model": {
                "modelFormat": {"name": "sklearn", "version": "1"},
                "protocolVersion": "v2",
                "runtime": "kserve-sklearnserver",
                "storageUri": format!("s3://trained-models/{run_id}/"),
            },
        }},
    }))
    .unwrap()
}

/// [`isvc`] with KServe's tag-routing annotation: its `latest` traffic target is tagged (and
/// has a URL), as kserve/kserve `ksvc_reconciler.go` does only with
/// `serving.kserve.io/enable-tag-routing: "true"`.
fn tagged(name: &str, run_id: &str) -> DynamicObject {
    let mut obj = isvc(name, run_id);
    obj.metadata
        .annotations
        .get_or_insert_with(Default::default)
        .insert("serving.kserve.io/enable-tag-routing".into(), "true".into());
    obj
}

fn condition(obj: &DynamicObject, kind: &str) -> Option<Value> {
    obj.data["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == kind)
        .cloned()
}

fn ready(obj: &DynamicObject) -> String {
    condition(obj, "Ready")
        .and_then(|c| c["status"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn predictor(obj: &DynamicObject) -> &Value {
    &obj.data["status"]["components"]["predictor"]
}

/// `(revision, percent, tag)` of each traffic target.
fn traffic(obj: &DynamicObject) -> Vec<(String, i64, String)> {
    predictor(obj)["traffic"]
        .as_array()
        .map(|ts| {
            ts.iter()
                .map(|t| {
                    (
                        t["revisionName"].as_str().unwrap().to_owned(),
                        t["percent"].as_i64().unwrap(),
                        t["tag"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn observed(obj: &DynamicObject) -> bool {
    obj.data["status"]["observedGeneration"].as_i64() == obj.metadata.generation
}

async fn wait_for(
    api: &Api<DynamicObject>,
    name: &str,
    ok: impl Fn(&DynamicObject) -> bool,
) -> DynamicObject {
    for _ in 0..500 {
        let obj = api.get(name).await.unwrap();
        if ok(&obj) {
            return obj;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("InferenceService {name} never reached the expected state");
}

/// The demo's V2 sample request.
fn sample_input() -> String {
    Scenario::demo().github.files["deployment/sample_input.json"].clone()
}

/// POSTs the sample input: status and body.
async fn post_sample(url: &str) -> (u16, Value) {
    send_sample(reqwest::Client::new().post(url)).await
}

/// POSTs the sample input to the simulated ingress gateway with `Host: host`.
async fn post_via_ingress(sim: &Simulator, host: &str, path: &str) -> (u16, Value) {
    let request = reqwest::Client::new().post(format!("{}{path}", sim.ingress_url()));
    send_sample(request.header("host", host)).await
}

/// Sends the sample input with `request`: status and body (JSON, or the text as a string).
async fn send_sample(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request
        .header("content-type", "application/json")
        .body(sample_input())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn rev(n: u32) -> String {
    format!("churn-canary-predictor-{n:05}")
}

#[tokio::test]
async fn a_new_service_rolls_out_then_a_canary_is_sampled_and_promoted() {
    let (sim, client) = start(scenario(|_| {})).await;
    let api = isvcs(&client, NS);
    let created = api
        .create(&PostParams::default(), &tagged("churn-canary", "r1"))
        .await
        .unwrap();
    // In progress: a revision created, not Ready, nothing routed, generation not observed.
    assert_eq!(created.metadata.generation, Some(1));
    assert_eq!(ready(&created), "Unknown");
    assert_eq!(
        predictor(&created)["latestCreatedRevision"],
        rev(1).as_str()
    );
    assert!(created.data["status"].get("observedGeneration").is_none());
    assert!(traffic(&created).is_empty());

    let v1 = wait_for(&api, "churn-canary", |o| ready(o) == "True").await;
    assert!(observed(&v1));
    assert_eq!(
        v1.data["status"]["url"],
        "http://churn-canary.staging.example.com"
    );
    assert_eq!(traffic(&v1), [(rev(1), 100, "latest".to_owned())]);
    assert_eq!(predictor(&v1)["latestRolledoutRevision"], rev(1).as_str());
    assert_eq!(
        v1.data["status"]["modelStatus"]["transitionStatus"],
        "UpToDate"
    );

    // Replace with a new model at 0%: a second revision, the first keeps the traffic.
    let mut next = v1.clone();
    next.data["spec"]["predictor"]["model"]["storageUri"] = json!("s3://trained-models/r2/");
    next.data["spec"]["predictor"]["canaryTrafficPercent"] = json!(0);
    let replaced = api
        .replace("churn-canary", &PostParams::default(), &next)
        .await
        .unwrap();
    assert_eq!(replaced.metadata.generation, Some(2));
    assert_eq!(ready(&replaced), "Unknown");
    assert_eq!(
        predictor(&replaced)["latestCreatedRevision"],
        rev(2).as_str()
    );
    assert_eq!(traffic(&replaced), [(rev(1), 100, "latest".to_owned())]);
    let canary = wait_for(&api, "churn-canary", |o| observed(o) && ready(o) == "True").await;
    assert_eq!(
        traffic(&canary),
        [
            (rev(2), 0, "latest".to_owned()),
            (rev(1), 100, "prev".to_owned())
        ]
    );
    assert_eq!(predictor(&canary)["latestReadyRevision"], rev(2).as_str());
    assert_eq!(
        predictor(&canary)["latestRolledoutRevision"],
        rev(1).as_str()
    );

    // The sample request reaches the new revision only, through the ingress gateway with
    // the host of its tagged URL (Knative's `{tag}-{route}` host; the old test read a URL
    // on the simulator itself, which KServe never reports).
    let kserve = sim.kserve();
    let latest_url = predictor(&canary)["traffic"][0]["url"].as_str().unwrap();
    assert_eq!(
        latest_url,
        "http://latest-churn-canary-predictor.staging.example.com"
    );
    let (status, body) = post_via_ingress(
        &sim,
        "latest-churn-canary-predictor.staging.example.com",
        "/v2/models/churn-canary/infer",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["model_name"], "churn-canary");
    assert_eq!(body["outputs"][0]["shape"], json!([2]));
    assert_eq!(body["outputs"][0]["data"].as_array().unwrap().len(), 2);
    let (status, _) = post_sample(&kserve.predictor_url(NS, "churn-canary", None)).await;
    assert_eq!(status, 200);
    let counts = kserve.sample_requests(NS, "churn-canary");
    assert_eq!(
        (counts.get(&rev(2)), counts.get(&rev(1))),
        (Some(&1), Some(&1))
    );

    // Promote: all traffic to the new revision, no third revision.
    let patch = json!({"spec": {"predictor": {"canaryTrafficPercent": 100}}});
    let patched = api
        .patch(
            "churn-canary",
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await
        .unwrap();
    assert_eq!(patched.metadata.generation, Some(3));
    let promoted = wait_for(&api, "churn-canary", observed).await;
    assert_eq!(traffic(&promoted), [(rev(2), 100, "latest".to_owned())]);
    assert_eq!(
        predictor(&promoted)["latestRolledoutRevision"],
        rev(2).as_str()
    );
    assert_eq!(
        predictor(&promoted)["previousRolledoutRevision"],
        rev(1).as_str()
    );
    assert_eq!(kserve.revisions(NS, "churn-canary").len(), 2);
    assert_eq!(ready(&promoted), "True");
    demo::assert_fits_crd(&promoted.data);

    // V1 protocol: instances in, one prediction each, from the promoted revision.
    let url = format!(
        "{}/v1/models/churn-canary:predict",
        kserve.predictor_root(NS, "churn-canary", None)
    );
    let response = reqwest::Client::new()
        .post(&url)
        .json(&json!({"instances": [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["predictions"].as_array().unwrap().len(), 3, "{body}");
    assert_eq!(
        kserve.sample_requests(NS, "churn-canary").get(&rev(2)),
        Some(&2)
    );
}

#[tokio::test]
async fn a_never_ready_revision_keeps_traffic_on_the_previous_one_and_samples_can_fail() {
    let (sim, client) = start(scenario(|_| {})).await;
    let kserve = sim.kserve();
    let api = isvcs(&client, NS);
    api.create(&PostParams::default(), &tagged("churn-canary", "r1"))
        .await
        .unwrap();
    let v1 = wait_for(&api, "churn-canary", |o| ready(o) == "True").await;

    kserve.set_never_ready([rev(2)]);
    let mut next = v1.clone();
    next.data["spec"]["predictor"]["model"]["storageUri"] = json!("s3://trained-models/r2/");
    next.data["spec"]["predictor"]["canaryTrafficPercent"] = json!(0);
    api.replace("churn-canary", &PostParams::default(), &next)
        .await
        .unwrap();
    let failed = wait_for(&api, "churn-canary", observed).await;
    assert_eq!(ready(&failed), "False");
    let why = condition(&failed, "PredictorReady").unwrap();
    assert_eq!(
        (why["status"].as_str(), why["reason"].as_str()),
        (Some("False"), Some("ContainerHealthCheckFailed"))
    );
    assert!(why["message"].as_str().unwrap().contains(&rev(2)), "{why}");
    // As in Knative, `latestRevision` resolves to the latest *Ready* revision: both targets
    // of the 0% canary are the old revision.
    assert_eq!(
        traffic(&failed),
        [
            (rev(1), 0, "latest".to_owned()),
            (rev(1), 100, "prev".to_owned())
        ]
    );
    assert_eq!(predictor(&failed)["latestReadyRevision"], rev(1).as_str());
    assert_eq!(predictor(&failed)["latestCreatedRevision"], rev(2).as_str());
    assert_eq!(
        predictor(&failed)["latestRolledoutRevision"],
        rev(1).as_str()
    );
    assert_eq!(
        failed.data["status"]["modelStatus"]["transitionStatus"],
        "BlockedByFailedLoad"
    );
    demo::assert_fits_crd(&failed.data);
    // Still not Ready a while later, and the revision itself answers 503.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(ready(&api.get("churn-canary").await.unwrap()), "False");
    let (status, _) = post_sample(&kserve.predictor_url(NS, "churn-canary", Some(&rev(2)))).await;
    assert_eq!(status, 503);
    assert_eq!(
        kserve.sample_requests(NS, "churn-canary").get(&rev(2)),
        None
    );

    // A predictor that fails its sample request: 500 with KServe's error body.
    kserve.set_fail_sample(["staging/churn-canary"]);
    let (status, body) =
        post_sample(&kserve.predictor_url(NS, "churn-canary", Some("latest"))).await;
    assert_eq!(status, 500, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("Failed to predict"),
        "{body}"
    );
    assert_eq!(
        kserve.sample_requests(NS, "churn-canary").get(&rev(1)),
        Some(&1)
    );
    kserve.set_fail_sample(Vec::<String>::new());
    let (status, body) =
        post_sample(&kserve.predictor_url(NS, "churn-canary", Some("latest"))).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn scenario_knobs_fail_revisions_and_samples_from_the_start() {
    let (sim, client) = start(scenario(|k| {
        k.never_ready = vec!["staging/broken".to_owned()];
        k.fail_sample = vec!["churn-model".to_owned()];
    }))
    .await;
    let api = isvcs(&client, NS);
    api.create(&PostParams::default(), &isvc("broken", "r9"))
        .await
        .unwrap();
    let broken = wait_for(&api, "broken", observed).await;
    assert_eq!(ready(&broken), "False");
    assert!(traffic(&broken).is_empty());
    assert!(broken.data["status"].get("url").is_none());
    let kserve = sim.kserve();
    let (status, _) = post_sample(&kserve.predictor_url(NS, "broken", Some("latest"))).await;
    assert_eq!(status, 503);
    let (status, _) = post_sample(&kserve.predictor_url(NS, "churn-model", None)).await;
    assert_eq!(status, 500);
    // The name matches in every namespace; the model name must be the service's.
    let url = format!(
        "{}/production/churn-model/v1/models/churn-model:predict",
        sim.predictor_url()
    );
    let response = reqwest::Client::new()
        .post(&url)
        .json(&json!({"instances": [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status().as_u16(),
        500,
        "fail_sample matches the name in every namespace"
    );
    let other = format!(
        "{}/staging/churn-model/v1/models/other:predict",
        sim.predictor_url()
    );
    let response = reqwest::Client::new()
        .post(&other)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
}
