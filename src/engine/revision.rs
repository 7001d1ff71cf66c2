//! Whether a deploy makes KServe create a new predictor revision, and whether the revision
//! that would serve already does: re-deploying the run that serves (or retrying after a failed
//! merge) must not wait for a revision that will never come.
//!
//! Knative creates a Revision only when the Configuration's template changes
//! (<https://github.com/knative/specs/blob/main/specs/serving/overview.md>, Configuration).
//! KServe builds that template from the predictor spec (`canaryTrafficPercent` only changes
//! the route) and from the InferenceService's annotations minus its
//! `ServiceAnnotationDisallowedList` (kserve/kserve `pkg/controller/v1beta1/inferenceservice/
//! components/predictor.go`, `Reconcile`; `pkg/constants/constants.go`): so `kfops.io/run-id`
//! and `kfops.io/pr` are part of it.

use kube::api::DynamicObject;
use serde_json::Value;

use crate::backends::kserve::ServiceState;

/// Annotations KServe does not copy to the revision template (`ServiceAnnotationDisallowedList`).
const NOT_PROPAGATED: [&str; 4] = [
    "autoscaling.knative.dev/min-scale",
    "autoscaling.knative.dev/max-scale",
    "internal.serving.kserve.io/storage-initializer-sourceuri",
    "kubectl.kubernetes.io/last-applied-configuration",
];

/// Whether writing `desired` over `current` leaves KServe's revision template as it is: every
/// predictor field of `desired` (but `canaryTrafficPercent`) is already stored (the stored spec
/// may hold more: the admission webhook's defaults), and the propagated annotations are the
/// same.
pub fn unchanged(current: &DynamicObject, desired: &DynamicObject) -> bool {
    let predictor = |o: &DynamicObject| {
        let mut p = o.data["spec"]["predictor"].clone();
        if let Some(fields) = p.as_object_mut() {
            fields.remove("canaryTrafficPercent");
        }
        p
    };
    let annotations = |o: &DynamicObject| {
        let mut a = o.metadata.annotations.clone().unwrap_or_default();
        a.retain(|k, _| !NOT_PROPAGATED.contains(&k.as_str()));
        a
    };
    let other_parts = |o: &DynamicObject| {
        let mut spec = o.data["spec"].clone();
        if let Some(fields) = spec.as_object_mut() {
            fields.remove("predictor");
        }
        spec
    };
    contains(&predictor(current), &predictor(desired))
        && contains(&other_parts(current), &other_parts(desired))
        && annotations(current) == annotations(desired)
}

/// Whether `have` holds everything `want` says (objects: key by key; anything else: equal).
fn contains(have: &Value, want: &Value) -> bool {
    match (have, want) {
        (Value::Object(h), Value::Object(w)) => w
            .iter()
            .all(|(k, v)| h.get(k).is_some_and(|hv| contains(hv, v))),
        (Value::Null, Value::Object(w)) => w.is_empty(),
        _ => have == want,
    }
}

/// The revision that serves all the traffic, when the service is Ready, its latest revision
/// is Ready and has 100% (`None` during a canary split, a failed canary or a rollout).
pub fn serving_fully(state: &ServiceState) -> Option<&str> {
    let latest = state.latest_ready.as_deref()?;
    let settled = state.observed_generation >= state.generation
        && state.latest_created.as_deref() == Some(latest);
    let all_on_latest = state
        .traffic
        .iter()
        .filter(|(_, percent, _)| *percent > 0)
        .all(|(revision, _, _)| revision == latest)
        && state
            .traffic
            .iter()
            .filter(|(revision, _, _)| revision == latest)
            .map(|(_, percent, _)| percent)
            .sum::<i64>()
            == 100;
    (state.ready == Some(true) && settled && all_on_latest).then_some(latest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn isvc(uri: &str, pr: &str, extra: Value) -> DynamicObject {
        let mut v = json!({
            "apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": "m", "annotations": {"kfops.io/run-id": "r", "kfops.io/pr": pr}},
            "spec": {"predictor": {"model": {"modelFormat": {"name": "sklearn"}, "storageUri": uri}}}
        });
        if let (Some(model), Some(extra)) = (
            v["spec"]["predictor"]["model"].as_object_mut(),
            extra.as_object(),
        ) {
            model.extend(extra.clone());
        }
        serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_same_model_and_annotations_make_no_revision_whatever_the_defaults_and_canary() {
        let desired = isvc("s3://m/r/", "44", json!({}));
        let mut stored = isvc(
            "s3://m/r/",
            "44",
            json!({"resources": {"limits": {"cpu": "1"}}}),
        );
        stored.data["spec"]["predictor"]["canaryTrafficPercent"] = json!(100);
        stored
            .metadata
            .annotations
            .get_or_insert_with(Default::default)
            .insert(
                "kubectl.kubernetes.io/last-applied-configuration".into(),
                "{}".into(),
            );
        assert!(unchanged(&stored, &desired));
        assert!(!unchanged(&stored, &isvc("s3://m/other/", "44", json!({}))));
        assert!(
            !unchanged(&stored, &isvc("s3://m/r/", "41", json!({}))),
            "another PR's annotation is a new revision"
        );
    }

    #[test]
    fn serving_fully_only_when_all_traffic_is_on_the_latest_ready_revision() {
        let mut s = ServiceState {
            ready: Some(true),
            latest_created: Some("m-2".into()),
            latest_ready: Some("m-2".into()),
            traffic: vec![("m-2".into(), 100, Some("latest".into()))],
            generation: Some(3),
            observed_generation: Some(3),
            ..ServiceState::default()
        };
        assert_eq!(serving_fully(&s), Some("m-2"));
        s.traffic = vec![
            ("m-2".into(), 0, Some("latest".into())),
            ("m-1".into(), 100, Some("prev".into())),
        ];
        assert_eq!(serving_fully(&s), None, "a failed canary");
        s.traffic = vec![("m-2".into(), 100, None)];
        s.observed_generation = Some(2);
        assert_eq!(serving_fully(&s), None, "a change not observed yet");
    }
}
