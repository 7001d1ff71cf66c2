//! The demo's InferenceServices, and every field of the simulator's objects checked against
//! the CRD's openAPIV3Schema (names, types, enums).

use std::sync::OnceLock;

use kube::api::ListParams;
use kube::Api;
use serde_json::Value;

use super::{predictor, ready, resource, scenario, start, traffic};

/// KServe's InferenceService CRD in shared/specs.
const CRD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/specs/kserve/serving.kserve.io_inferenceservices.yaml"
);

fn schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let text = std::fs::read_to_string(CRD).unwrap();
        let crd: Value = serde_norway::from_str(&text).unwrap();
        let version = &crd["spec"]["versions"][0];
        assert_eq!(version["name"], "v1beta1");
        version["schema"]["openAPIV3Schema"].clone()
    })
}

fn type_ok(value: &Value, schema: &Value) -> bool {
    if schema["x-kubernetes-int-or-string"] == true {
        return value.is_string() || value.is_i64() || value.is_u64();
    }
    match schema["type"].as_str() {
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        Some("object") => value.is_object(),
        Some("array") => value.is_array(),
        _ => true,
    }
}

/// Fields of `value` the schema does not have, or of the wrong type or value.
fn misfits(value: &Value, schema: &Value, path: &str, out: &mut Vec<String>) {
    // Stricter than the API server: a schema that keeps unknown fields but lists properties
    // (like `status`) still has its fields checked.
    let open = schema["x-kubernetes-preserve-unknown-fields"] == true
        && schema.get("properties").is_none();
    if open || path == ".metadata" {
        return;
    }
    if !type_ok(value, schema) {
        out.push(format!("{path}: {value} is not of type {}", schema["type"]));
        return;
    }
    if let Some(allowed) = schema["enum"].as_array() {
        if !allowed.contains(value) {
            out.push(format!("{path}: {value} is not one of {allowed:?}"));
        }
    }
    match value {
        Value::Object(fields) => {
            for (key, field) in fields {
                let at = format!("{path}.{key}");
                match schema["properties"].get(key) {
                    Some(s) => misfits(field, s, &at, out),
                    None if schema["additionalProperties"].is_object() => {
                        misfits(field, &schema["additionalProperties"], &at, out)
                    }
                    None => out.push(format!("{at} is not in the CRD")),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                misfits(item, &schema["items"], &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// Panics naming every field of `object` the CRD's schema does not describe.
pub fn assert_fits_crd(object: &Value) {
    let mut out = Vec::new();
    misfits(object, schema(), "", &mut out);
    assert!(out.is_empty(), "not in the CRD:\n{}", out.join("\n"));
}

#[test]
fn the_crd_check_catches_unknown_fields_types_and_enums() {
    let bad = serde_json::json!({
        "spec": {"predictor": {"model": {"storageURI": "s3://x/", "modelFormat": {"name": 3}}}},
        "status": {"modelStatus": {"transitionStatus": "Done"}},
    });
    let mut out = Vec::new();
    misfits(&bad, schema(), "", &mut out);
    out.sort();
    assert_eq!(out.len(), 3, "{out:#?}");
    assert!(
        out[0].contains(".spec.predictor.model.modelFormat.name"),
        "{out:#?}"
    );
    assert!(
        out[1].contains(".spec.predictor.model.storageURI"),
        "{out:#?}"
    );
    assert!(out[2].contains("transitionStatus"), "{out:#?}");
}

#[tokio::test]
async fn the_demo_serves_pr_40_in_production_and_pr_44_in_staging() {
    let (_sim, client) = start(scenario(|_| {})).await;
    let all: Api<kube::api::DynamicObject> = Api::all_with(client, &resource());
    let list = all.list(&ListParams::default()).await.unwrap();
    let found: Vec<(String, String)> = list
        .items
        .iter()
        .map(|o| {
            (
                o.metadata.namespace.clone().unwrap(),
                o.metadata.name.clone().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("production".to_owned(), "churn-model".to_owned()),
            ("staging".to_owned(), "churn-model".to_owned())
        ]
    );
    let expected = [
        (
            "production",
            "1944c4b2-af10-4f57-bad0-7233f4788c0d",
            "40",
            3,
        ),
        ("staging", "f1669f97-4534-47b5-82ec-4ca5d6b35337", "44", 5),
    ];
    for (obj, (ns, run, pr, revision)) in list.items.iter().zip(expected) {
        assert_fits_crd(&serde_json::to_value(obj).unwrap());
        let annotations = obj.metadata.annotations.clone().unwrap();
        assert_eq!(annotations["kfops.io/run-id"], run);
        assert_eq!(annotations["kfops.io/pr"], pr);
        assert_eq!(
            annotations["serving.kserve.io/deploymentMode"],
            "Serverless"
        );
        let model = &obj.data["spec"]["predictor"]["model"];
        assert_eq!(model["storageUri"], format!("s3://trained-models/{run}/"));
        assert_eq!(model["modelFormat"]["name"], "sklearn");
        assert_eq!(model["protocolVersion"], "v2");
        assert_eq!(ready(obj), "True", "{ns}");
        assert_eq!(
            obj.data["status"]["url"],
            format!("http://churn-model.{ns}.example.com")
        );
        assert_eq!(obj.metadata.generation, Some(revision));
        assert_eq!(obj.data["status"]["observedGeneration"], revision);
        let current = format!("churn-model-predictor-{revision:05}");
        // No `latest` tag: the demo template does not ask KServe for tag routing.
        assert_eq!(traffic(obj), [(current.clone(), 100, String::new())]);
        let p = predictor(obj);
        assert_eq!(p["latestRolledoutRevision"], current.as_str());
        assert_eq!(
            p["previousRolledoutRevision"],
            format!("churn-model-predictor-{:05}", revision - 1)
        );
        assert_eq!(obj.data["status"]["deploymentMode"], "Serverless");
    }
}
