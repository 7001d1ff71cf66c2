//! A revision only when the template KServe writes for Knative changes: Knative creates a
//! Revision each time the Configuration's template changes, and only then
//! (https://github.com/knative/specs/blob/main/specs/serving/overview.md, Configuration);
//! KServe writes the predictor spec (but `canaryTrafficPercent`, which only routes) and the
//! InferenceService's annotations minus `ServiceAnnotationDisallowedList` into it
//! (kserve/kserve pkg/controller/v1beta1/inferenceservice/components/predictor.go `Reconcile`,
//! pkg/constants/constants.go).

use kube::api::PostParams;

use super::{isvc, isvcs, observed, scenario, start, wait_for};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unchanged_predictor_makes_no_revision_and_a_propagated_annotation_does() {
    let (sim, client) = start(scenario(|_| {})).await;
    let api = isvcs(&client, "default");
    api.create(&PostParams::default(), &isvc("m", "r-1"))
        .await
        .unwrap();
    let first = wait_for(&api, "m", |o| observed(o) && super::ready(o) == "True").await;
    let revisions = || sim.kserve().revisions("default", "m").len();
    assert_eq!(revisions(), 1);

    // The same object again, with a canary percentage: only the route changes.
    let mut same = isvc("m", "r-1");
    same.metadata.resource_version = first.metadata.resource_version.clone();
    same.data["spec"]["predictor"]["canaryTrafficPercent"] = 0.into();
    let written = api
        .replace("m", &PostParams::default(), &same)
        .await
        .unwrap();
    let after = wait_for(&api, "m", |o| {
        observed(o) && o.metadata.generation == written.metadata.generation
    })
    .await;
    assert_eq!(revisions(), 1, "no revision for an unchanged predictor");
    assert_eq!(
        super::predictor(&after)["latestCreatedRevision"],
        "m-predictor-00001"
    );

    // An annotation KServe does not propagate: still none.
    let mut annotated = after.clone();
    annotated
        .metadata
        .annotations
        .get_or_insert_with(Default::default)
        .insert(
            "kubectl.kubernetes.io/last-applied-configuration".into(),
            "{}".into(),
        );
    let written = api
        .replace("m", &PostParams::default(), &annotated)
        .await
        .unwrap();
    assert_eq!(revisions(), 1);

    // Another PR's annotation on the same model: KServe copies it into the template.
    let mut other_pr = written.clone();
    other_pr
        .metadata
        .annotations
        .get_or_insert_with(Default::default)
        .insert("kfops.io/pr".into(), "44".into());
    api.replace("m", &PostParams::default(), &other_pr)
        .await
        .unwrap();
    assert_eq!(
        revisions(),
        2,
        "a propagated annotation changes the template"
    );
    let revision = &sim.kserve().revisions("default", "m")[1];
    assert_eq!(
        revision.annotations.get("kfops.io/pr").map(String::as_str),
        Some("44")
    );
    assert_eq!(
        revision
            .annotations
            .get("internal.serving.kserve.io/storage-initializer-sourceuri")
            .map(String::as_str),
        Some("s3://trained-models/r-1/")
    );

    // Knative serves each revision with its template's annotations (knative/serving
    // pkg/reconciler/configuration/resources/revision.go copies the template's metadata).
    let url = |name: &str| {
        format!(
            "{}/apis/serving.knative.dev/v1/namespaces/default/revisions/{name}",
            sim.kube_url()
        )
    };
    let read = async |name: &str| -> serde_json::Value {
        reqwest::get(url(name)).await.unwrap().json().await.unwrap()
    };
    let first = read("m-predictor-00001").await;
    assert_eq!(first["kind"], "Revision");
    assert_eq!(first["metadata"]["annotations"]["kfops.io/pr"], "41");
    assert_eq!(first["metadata"]["annotations"]["kfops.io/run-id"], "r-1");
    assert_eq!(
        first["metadata"]["labels"]["serving.kserve.io/inferenceservice"],
        "m"
    );
    let second = read("m-predictor-00002").await;
    assert_eq!(second["metadata"]["annotations"]["kfops.io/pr"], "44");
    let missing = reqwest::get(url("m-predictor-00009")).await.unwrap();
    assert_eq!(missing.status(), 404);
    let status: serde_json::Value = missing.json().await.unwrap();
    assert_eq!(status["reason"], "NotFound");
    sim.shutdown().await;
}
