//! The rollout of one InferenceService on the simulated clock: its predictor revisions
//! (`{name}-predictor-0000N`), what the route sends where, and which revision was last rolled
//! out, following KServe's serverless reconciler.
//!
//! - A revision is created only when the Knative revision template KServe writes changes
//!   ([`revision_template`]): the predictor spec but `canaryTrafficPercent`, and the
//!   InferenceService's annotations but those KServe does not propagate. Knative: "a new
//!   Revision is created each time the Configuration's template is updated"
//!   (<https://github.com/knative/specs/blob/main/specs/serving/overview.md>, Configuration);
//!   re-applying an identical predictor creates none. KServe copies the InferenceService's
//!   annotations, minus `ServiceAnnotationDisallowedList`, into the component's metadata and
//!   adds the storage URI one (kserve/kserve `pkg/controller/v1beta1/inferenceservice/
//!   components/predictor.go`, `Reconcile`; `pkg/constants/constants.go`), which the ksvc
//!   reconciler puts in the revision template (`reconcilers/knative/ksvc_reconciler.go`); so
//!   a changed `kfops.io/pr` alone makes a revision, an unchanged object none. A new revision
//!   is Pending until the change settles `ready_ms` later, then Ready (or Failed for a
//!   `never_ready` name). Any other change settles after a fifth of that, without a revision.
//! - The route follows the *settled* spec: with `canaryTrafficPercent` N and a rolled-out
//!   revision, `{latestRevision: true, percent: N, tag: latest}` plus `{revisionName:
//!   rolled-out, percent: 100-N, tag: prev}`; otherwise 100% to `latestRevision`. As in
//!   Knative, `latestRevision` resolves to the latest *Ready* revision, so a revision that
//!   never becomes Ready never gets traffic.
//! - Tags as KServe sets them (kserve/kserve
//!   `pkg/controller/v1beta1/inferenceservice/reconcilers/knative/ksvc_reconciler.go`): the
//!   `latestRevision` target is tagged `latest` only when the InferenceService carries the
//!   annotation `serving.kserve.io/enable-tag-routing: "true"` ([`TAG_ROUTING`]); the
//!   rolled-out target of a canary split is always tagged `prev`.
//! - `latestRolledoutRevision` moves to the latest Ready revision once it has 100% (the old
//!   one becomes `previousRolledoutRevision`); a canary split over one revision rolls back to
//!   the previous one (KServe's `PropagateStatus`).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

/// Where a revision stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevisionState {
    /// Created, not Ready yet.
    Pending,
    Ready,
    /// Never became Ready (a `never_ready` name).
    Failed,
}

impl RevisionState {
    /// `Pending`, `Ready` or `Failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            RevisionState::Pending => "Pending",
            RevisionState::Ready => "Ready",
            RevisionState::Failed => "Failed",
        }
    }
}

/// One predictor revision (a Knative Revision).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// `{isvc}-predictor-0000N`.
    pub name: String,
    /// N.
    pub number: u32,
    pub state: RevisionState,
    /// The model it serves (`spec.predictor.model.storageUri` when it was created).
    pub storage_uri: Option<String>,
    /// The annotations of its template (Knative copies them to the Revision object): the
    /// InferenceService's propagated ones and [`SOURCE_URI`].
    pub annotations: BTreeMap<String, String>,
    pub created: DateTime<Utc>,
    /// When it became Ready or Failed.
    pub settled: Option<DateTime<Utc>>,
}

/// One entry of `status.components.predictor.traffic`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrafficTarget {
    pub revision_name: String,
    pub percent: i64,
    pub latest_revision: bool,
    /// `latest` or `prev`.
    pub tag: Option<String>,
}

/// The annotation that makes KServe tag the `latestRevision` traffic target `latest` (and so
/// gives it a URL): `serving.kserve.io/enable-tag-routing` (kserve/kserve
/// `pkg/constants/constants.go`, `EnableRoutingTagAnnotationKey`).
pub const TAG_ROUTING: &str = "serving.kserve.io/enable-tag-routing";

/// Whether an InferenceService object asks for tag routing (the annotation is `"true"`).
pub fn tag_routing(object: &Value) -> bool {
    object["metadata"]["annotations"][TAG_ROUTING] == "true"
}

/// A spec change waiting to be observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub generation: i64,
    pub at: DateTime<Utc>,
}

/// The revisions and routing of one InferenceService.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rollout {
    pub revisions: Vec<Revision>,
    /// `canaryTrafficPercent` the route follows (of the last settled spec).
    pub applied_canary: Option<i64>,
    pub latest_rolled_out: Option<String>,
    pub previous_rolled_out: Option<String>,
    pub observed_generation: Option<i64>,
    pub due: Option<Due>,
    /// The route's traffic, resolved to revision names.
    pub traffic: Vec<TrafficTarget>,
    /// The InferenceService carries [`TAG_ROUTING`]: the `latestRevision` target is tagged.
    pub tag_routing: bool,
}

/// The name of revision `number` of InferenceService `name`.
pub fn revision_name(name: &str, number: u32) -> String {
    format!("{name}-predictor-{number:05}")
}

/// `spec.predictor.canaryTrafficPercent`, clamped to 0..=100.
pub fn canary_of(spec: &Value) -> Option<i64> {
    spec["predictor"]["canaryTrafficPercent"]
        .as_i64()
        .map(|n| n.clamp(0, 100))
}

/// The model a predictor spec serves: `model.storageUri`, else the first framework's.
pub fn storage_uri_of(spec: &Value) -> Option<String> {
    let predictor = spec["predictor"].as_object()?;
    let model = predictor
        .get("model")
        .and_then(|m| m["storageUri"].as_str());
    model
        .or_else(|| predictor.values().find_map(|v| v["storageUri"].as_str()))
        .map(str::to_owned)
}

/// KServe's annotation on the revision template naming the model's storage URI (for the
/// storage initializer): kserve/kserve `pkg/constants/constants.go`
/// `StorageInitializerSourceUriInternalAnnotationKey`.
pub const SOURCE_URI: &str = "internal.serving.kserve.io/storage-initializer-sourceuri";

/// The InferenceService annotations KServe does not copy to its revisions
/// (`ServiceAnnotationDisallowedList`, kserve/kserve `pkg/constants/constants.go`).
const NOT_PROPAGATED: [&str; 4] = [
    "autoscaling.knative.dev/min-scale",
    "autoscaling.knative.dev/max-scale",
    SOURCE_URI,
    "kubectl.kubernetes.io/last-applied-configuration",
];

/// The spec without what only changes the route (a change elsewhere makes a revision).
fn template_of(spec: &Value) -> Value {
    let mut template = spec.clone();
    if let Some(predictor) = template.get_mut("predictor").and_then(Value::as_object_mut) {
        predictor.remove("canaryTrafficPercent");
    }
    template
}

/// The annotations KServe puts on the predictor's revision template: the InferenceService's,
/// minus the ones it does not propagate, plus [`SOURCE_URI`] (predictor.go `Reconcile`).
pub fn revision_annotations(object: &Value) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = object["metadata"]["annotations"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| !NOT_PROPAGATED.contains(&k.as_str()))
        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
        .collect();
    if let Some(uri) = storage_uri_of(&object["spec"]) {
        out.insert(SOURCE_URI.to_owned(), uri);
    }
    out
}

/// What decides whether Knative makes a new revision: the template KServe writes from the
/// InferenceService `object` (its spec without `canaryTrafficPercent`, its propagated
/// annotations).
pub fn revision_template(object: &Value) -> Value {
    serde_json::json!({
        "spec": template_of(&object["spec"]),
        "annotations": revision_annotations(object),
    })
}

impl Rollout {
    /// An InferenceService already rolled out at revision `number` (older ones Ready too;
    /// the latest made from `object`), for the scenario's starting world.
    pub fn rolled_out(name: &str, number: u32, object: &Value, at: DateTime<Utc>) -> Rollout {
        let number = number.max(1);
        let revisions = (1..=number)
            .map(|n| {
                let created = at - Duration::days(i64::from(number - n) * 7);
                Revision {
                    name: revision_name(name, n),
                    number: n,
                    state: RevisionState::Ready,
                    storage_uri: (n == number)
                        .then(|| storage_uri_of(&object["spec"]))
                        .flatten(),
                    annotations: if n == number {
                        revision_annotations(object)
                    } else {
                        BTreeMap::new()
                    },
                    created,
                    settled: Some(created),
                }
            })
            .collect();
        let mut rollout = Rollout {
            revisions,
            latest_rolled_out: (number > 1).then(|| revision_name(name, number - 1)),
            observed_generation: Some(i64::from(number)),
            tag_routing: tag_routing(object),
            ..Rollout::default()
        };
        rollout.reconcile();
        rollout
    }

    /// The last revision created.
    pub fn latest_created(&self) -> Option<&Revision> {
        self.revisions.last()
    }

    /// The last revision that became Ready.
    pub fn latest_ready(&self) -> Option<&Revision> {
        self.revisions
            .iter()
            .rev()
            .find(|r| r.state == RevisionState::Ready)
    }

    /// The revision with this name.
    pub fn revision(&self, name: &str) -> Option<&Revision> {
        self.revisions.iter().find(|r| r.name == name)
    }

    /// Records a change of the InferenceService (`old` is `None` on creation; both whole
    /// objects) at `generation`: a new Pending revision when its [`revision_template`]
    /// changed. Returns when it settles.
    pub fn spec_changed(
        &mut self,
        name: &str,
        old: Option<&Value>,
        new: &Value,
        generation: i64,
        now: DateTime<Utc>,
        ready_ms: u64,
    ) -> Due {
        let new_revision = old.is_none_or(|old| revision_template(old) != revision_template(new));
        let delay = if new_revision {
            let number = self.latest_created().map_or(1, |r| r.number + 1);
            self.revisions.push(Revision {
                name: revision_name(name, number),
                number,
                state: RevisionState::Pending,
                storage_uri: storage_uri_of(&new["spec"]),
                annotations: revision_annotations(new),
                created: now,
                settled: None,
            });
            ready_ms
        } else {
            ready_ms / 5
        };
        let due = Due {
            generation,
            at: now + Duration::milliseconds(i64::try_from(delay).unwrap_or(i64::MAX / 2)),
        };
        self.due = Some(due);
        due
    }

    /// The change to `generation` settles: pending revisions become Ready (or Failed when
    /// `never_ready` says so), the route follows `canary`. `false` if a later change is due.
    pub fn settle(
        &mut self,
        generation: i64,
        canary: Option<i64>,
        never_ready: impl Fn(&str) -> bool,
        now: DateTime<Utc>,
    ) -> bool {
        if self.due.is_none_or(|d| d.generation != generation) {
            return false;
        }
        for revision in &mut self.revisions {
            if revision.state == RevisionState::Pending {
                revision.state = if never_ready(&revision.name) {
                    RevisionState::Failed
                } else {
                    RevisionState::Ready
                };
                revision.settled = Some(now);
            }
        }
        self.due = None;
        self.observed_generation = Some(generation);
        self.applied_canary = canary;
        self.reconcile();
        true
    }

    /// The route for the settled spec, and what KServe then records as rolled out, until
    /// neither changes (KServe reconciles again after each status change).
    pub fn reconcile(&mut self) {
        for _ in 0..4 {
            let before = (
                self.latest_rolled_out.clone(),
                self.previous_rolled_out.clone(),
            );
            self.traffic = self.route();
            self.propagate();
            if before
                == (
                    self.latest_rolled_out.clone(),
                    self.previous_rolled_out.clone(),
                )
            {
                break;
            }
        }
    }

    /// The route's traffic, resolved: `latestRevision` goes to the latest Ready revision;
    /// nothing routes until one is Ready.
    fn route(&self) -> Vec<TrafficTarget> {
        let Some(ready) = self.latest_ready().map(|r| r.name.clone()) else {
            return Vec::new();
        };
        let latest = |percent| TrafficTarget {
            revision_name: ready.clone(),
            percent,
            latest_revision: true,
            tag: self.tag_routing.then(|| "latest".to_owned()),
        };
        match (self.applied_canary, &self.latest_rolled_out) {
            (Some(n), Some(prev)) if n < 100 => vec![
                latest(n),
                TrafficTarget {
                    revision_name: prev.clone(),
                    percent: 100 - n,
                    latest_revision: false,
                    tag: Some("prev".to_owned()),
                },
            ],
            _ => vec![latest(100)],
        }
    }

    /// KServe's `PropagateStatus` for the rolled-out revisions.
    fn propagate(&mut self) {
        let ready = self.latest_ready().map(|r| r.name.clone());
        let created = self.latest_created().map(|r| r.name.clone());
        let mut per_revision: BTreeMap<&str, i64> = BTreeMap::new();
        for t in &self.traffic {
            *per_revision.entry(t.revision_name.as_str()).or_default() += t.percent;
        }
        let mut latest = self.latest_rolled_out.clone();
        let mut previous = self.previous_rolled_out.clone();
        for t in &self.traffic {
            if !t.latest_revision || ready.as_deref() != Some(t.revision_name.as_str()) {
                continue;
            }
            if latest != ready {
                if t.percent == 100 {
                    previous = latest.take();
                    latest = ready.clone();
                }
            } else if ready == created
                && t.percent < 100
                && per_revision.get(t.revision_name.as_str()) == Some(&100)
                && previous.is_some()
            {
                // A canary split over the rolled-out revision itself: roll back.
                latest = previous.clone();
            }
        }
        self.latest_rolled_out = latest;
        self.previous_rolled_out = previous;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// An InferenceService serving `uri`.
    fn spec(uri: &str, canary: Option<i64>) -> Value {
        let mut object = json!({"spec": {"predictor": {"model": {"storageUri": uri}}}});
        if let Some(n) = canary {
            object["spec"]["predictor"]["canaryTrafficPercent"] = json!(n);
        }
        object
    }

    fn split(r: &Rollout) -> Vec<(String, i64, Option<String>)> {
        r.traffic
            .iter()
            .map(|t| (t.revision_name.clone(), t.percent, t.tag.clone()))
            .collect()
    }

    #[test]
    fn a_canary_splits_then_promotes_and_a_failed_revision_gets_nothing() {
        let now = Utc::now();
        let mut r = Rollout {
            tag_routing: true,
            ..Rollout::default()
        };
        let v1 = spec("s3://m/1/", None);
        r.spec_changed("m", None, &v1, 1, now, 10);
        assert!(r.traffic.is_empty());
        assert!(r.settle(1, None, |_| false, now));
        assert_eq!(
            split(&r),
            [("m-predictor-00001".into(), 100, Some("latest".into()))]
        );
        assert_eq!(r.latest_rolled_out.as_deref(), Some("m-predictor-00001"));

        let v2 = spec("s3://m/2/", Some(0));
        r.spec_changed("m", Some(&v1), &v2, 2, now, 10);
        assert!(!r.settle(1, Some(0), |_| false, now), "a stale change");
        assert!(r.settle(2, Some(0), |_| false, now));
        assert_eq!(
            split(&r),
            [
                ("m-predictor-00002".into(), 0, Some("latest".into())),
                ("m-predictor-00001".into(), 100, Some("prev".into())),
            ]
        );
        let v2_full = spec("s3://m/2/", Some(100));
        r.spec_changed("m", Some(&v2), &v2_full, 3, now, 10);
        assert_eq!(r.revisions.len(), 2, "a traffic change makes no revision");
        r.settle(3, Some(100), |_| false, now);
        assert_eq!(r.latest_rolled_out.as_deref(), Some("m-predictor-00002"));
        assert_eq!(r.previous_rolled_out.as_deref(), Some("m-predictor-00001"));

        let v3 = spec("s3://m/3/", None);
        r.spec_changed("m", Some(&v2_full), &v3, 4, now, 10);
        r.settle(4, None, |rev| rev.ends_with("00003"), now);
        assert_eq!(r.latest_created().unwrap().state, RevisionState::Failed);
        assert_eq!(
            split(&r),
            [("m-predictor-00002".into(), 100, Some("latest".into()))]
        );
        assert_eq!(r.latest_rolled_out.as_deref(), Some("m-predictor-00002"));
    }

    #[test]
    fn a_canary_over_the_rolled_out_revision_rolls_back_to_the_previous_one() {
        let now = Utc::now();
        let mut r = Rollout::rolled_out("m", 2, &spec("s3://m/2/", None), now);
        assert_eq!(r.latest_rolled_out.as_deref(), Some("m-predictor-00002"));
        assert_eq!(r.previous_rolled_out.as_deref(), Some("m-predictor-00001"));
        let base = spec("s3://m/2/", None);
        r.spec_changed("m", Some(&base), &spec("s3://m/2/", Some(10)), 3, now, 10);
        r.settle(3, Some(10), |_| false, now);
        // Without the tag-routing annotation KServe tags only the `prev` target.
        assert_eq!(
            split(&r),
            [
                ("m-predictor-00002".into(), 10, None),
                ("m-predictor-00001".into(), 90, Some("prev".into())),
            ]
        );
    }

    /// kserve/kserve `ksvc_reconciler.go`: `latestTarget.Tag = "latest"` only when
    /// `serving.kserve.io/enable-tag-routing` is `"true"`; the canary's `prev` target always.
    #[test]
    fn the_latest_tag_needs_the_tag_routing_annotation() {
        assert!(tag_routing(
            &json!({"metadata": {"annotations": {TAG_ROUTING: "true"}}})
        ));
        assert!(!tag_routing(
            &json!({"metadata": {"annotations": {TAG_ROUTING: "false"}}})
        ));
        assert!(!tag_routing(&json!({"metadata": {}})));
        let now = Utc::now();
        let r = Rollout::rolled_out("m", 1, &json!({"metadata": {}}), now);
        assert_eq!(split(&r), [("m-predictor-00001".into(), 100, None)]);
        let tagged = json!({"metadata": {"annotations": {TAG_ROUTING: "true"}}});
        let r = Rollout::rolled_out("m", 1, &tagged, now);
        assert_eq!(
            split(&r),
            [("m-predictor-00001".into(), 100, Some("latest".into()))]
        );
    }
}
