//! `status` of an InferenceService as KServe's serverless controller writes it, rendered from
//! its [`Rollout`]: conditions (the Knative ones KServe copies, `Ready` aggregating
//! `PredictorReady` and `IngressReady`), URLs, `components.predictor` (revisions, traffic),
//! `modelStatus`, `observedGeneration`, `deploymentMode`.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Map, Value};

use super::rollout::{Revision, RevisionState, Rollout, TrafficTarget};

/// The simulated cluster's ingress domain.
pub const DOMAIN: &str = "example.com";

/// A condition's status, reason and message.
#[derive(Debug, Clone, PartialEq)]
struct State {
    status: &'static str,
    reason: Option<&'static str>,
    message: Option<String>,
}

impl State {
    fn ok() -> State {
        State {
            status: "True",
            reason: None,
            message: None,
        }
    }

    fn not(status: &'static str, reason: &'static str, message: String) -> State {
        State {
            status,
            reason: Some(reason),
            message: Some(message),
        }
    }
}

/// `http://{name}.{namespace}.example.com` style URLs.
fn url(host: &str, namespace: &str) -> String {
    format!("http://{host}.{namespace}.{DOMAIN}")
}

fn cluster_url(host: &str, namespace: &str) -> String {
    format!("http://{host}.{namespace}.svc.cluster.local")
}

/// Kubernetes' time format (RFC 3339, seconds, `Z`).
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The URL Knative gives a tagged traffic target: `http://{tag}-{name}-predictor.{ns}.example.com`
/// (Knative's default `tag-template` `{{.Tag}}-{{.Name}}` on the predictor's route; KServe
/// copies the route's traffic into its status, `PropagateStatus` in kserve/kserve
/// `pkg/apis/serving/v1beta1/inference_service_status.go`). Such hosts resolve only inside
/// the cluster or through its ingress gateway with a `Host` header; the simulator's gateway
/// is `/ingress` ([`super::predictor`]).
pub fn tag_url(tag: &str, name: &str, namespace: &str) -> String {
    url(&format!("{tag}-{name}-predictor"), namespace)
}

/// The predictor's (Knative Service's) state: configuration and route.
fn predictor_states(name: &str, rollout: &Rollout) -> (State, State) {
    let config = format!("{name}-predictor");
    let created = rollout.latest_created();
    let routed = rollout.latest_ready().is_some();
    let configuration = match created.map(|r| r.state) {
        Some(RevisionState::Ready) => State::ok(),
        Some(RevisionState::Failed) => {
            State::not("False", "RevisionFailed", failure_message(created))
        }
        _ => State::not(
            "Unknown",
            "RevisionMissing",
            format!("Configuration \"{config}\" is waiting for a Revision to become ready."),
        ),
    };
    let route = if routed {
        State::ok()
    } else {
        State::not(
            if configuration.status == "False" {
                "False"
            } else {
                "Unknown"
            },
            "RevisionMissing",
            format!("Configuration \"{config}\" does not have any ready Revision."),
        )
    };
    (configuration, route)
}

fn failure_message(revision: Option<&Revision>) -> String {
    let name = revision.map(|r| r.name.as_str()).unwrap_or_default();
    format!(
        "Revision \"{name}\" failed with message: Container failed liveness or readiness \
         probe: HTTP probe failed with statuscode: 503 (kserve-container)."
    )
}

/// The conditions, by type, in Knative's (alphabetical) order.
fn conditions(name: &str, rollout: &Rollout) -> Vec<(&'static str, State, bool)> {
    let (configuration, route) = predictor_states(name, rollout);
    let predictor = match (configuration.status, route.status) {
        ("True", "True") => State::ok(),
        ("False", _) => State::not(
            "False",
            "ContainerHealthCheckFailed",
            configuration.message.clone().unwrap_or_default(),
        ),
        ("True", _) => route.clone(),
        _ => configuration.clone(),
    };
    let ingress = if route.status == "True" {
        State::ok()
    } else {
        State::not(
            route.status,
            "PredictorRouteNotReady",
            "Predictor ingress not created".to_owned(),
        )
    };
    // Ready aggregates the living set: any False wins, then any Unknown.
    let ready = [&predictor, &ingress]
        .into_iter()
        .find(|s| s.status == "False")
        .or_else(|| {
            [&predictor, &ingress]
                .into_iter()
                .find(|s| s.status != "True")
        })
        .cloned()
        .unwrap_or_else(State::ok);
    // (type, state, informational: severity Info as KServe marks them)
    vec![
        ("IngressReady", ingress, false),
        ("LatestDeploymentReady", configuration.clone(), true),
        ("PredictorConfigurationReady", configuration, false),
        ("PredictorReady", predictor, false),
        ("PredictorRouteReady", route.clone(), false),
        ("Ready", ready, false),
        ("RoutesReady", route, true),
    ]
}

/// The condition list, keeping `lastTransitionTime` of conditions whose status did not
/// change since `previous` (the status before).
fn condition_list(name: &str, rollout: &Rollout, previous: &Value, now: DateTime<Utc>) -> Value {
    let old = previous["conditions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let list = conditions(name, rollout)
        .into_iter()
        .map(|(kind, state, info)| {
            let before = old.iter().find(|c| c["type"] == kind);
            let since = match before {
                Some(c) if c["status"] == state.status => c["lastTransitionTime"].clone(),
                _ => json!(timestamp(now)),
            };
            let mut c = Map::new();
            c.insert("lastTransitionTime".into(), since);
            if let Some(message) = state.message {
                c.insert("message".into(), json!(message));
            }
            if let Some(reason) = state.reason {
                c.insert("reason".into(), json!(reason));
            }
            if info {
                c.insert("severity".into(), json!("Info"));
            }
            c.insert("status".into(), json!(state.status));
            c.insert("type".into(), json!(kind));
            Value::Object(c)
        })
        .collect();
    Value::Array(list)
}

/// One `traffic[]` entry as KServe reports it.
pub fn traffic_json(t: &TrafficTarget, name: &str, namespace: &str) -> Value {
    let mut v = json!({
        "latestRevision": t.latest_revision,
        "percent": t.percent,
        "revisionName": t.revision_name,
    });
    if let Some(tag) = &t.tag {
        v["tag"] = json!(tag);
        v["url"] = json!(tag_url(tag, name, namespace));
    }
    v
}

fn model_status(rollout: &Rollout, now: DateTime<Utc>) -> Value {
    let serving = rollout.latest_ready().is_some();
    let created = rollout.latest_created();
    let (transition, active, target) = match created.map(|r| r.state) {
        Some(RevisionState::Ready) => ("UpToDate", "Loaded", "Loaded"),
        Some(RevisionState::Failed) => (
            "BlockedByFailedLoad",
            if serving { "Loaded" } else { "FailedToLoad" },
            "FailedToLoad",
        ),
        _ => (
            "InProgress",
            if serving { "Loaded" } else { "Pending" },
            "Loading",
        ),
    };
    let failed = created.is_some_and(|r| r.state == RevisionState::Failed);
    let mut status = json!({
        "copies": {"failedCopies": i32::from(failed), "totalCopies": 1},
        "states": {"activeModelState": active, "targetModelState": target},
        "transitionStatus": transition,
    });
    if let Some(revision) = created.filter(|_| failed) {
        status["lastFailureInfo"] = json!({
            "location": format!("{}-deployment", revision.name),
            "message": failure_message(Some(revision)),
            "modelRevisionName": revision.name,
            "reason": "ModelLoadFailed",
            "time": timestamp(revision.settled.unwrap_or(now)),
        });
    }
    status
}

/// The whole `status` of InferenceService `name` in `namespace`; `previous` is the status
/// before (for `lastTransitionTime`).
pub fn render(
    name: &str,
    namespace: &str,
    rollout: &Rollout,
    previous: &Value,
    now: DateTime<Utc>,
) -> Value {
    let mut predictor = Map::new();
    let serving = rollout.latest_ready().is_some();
    if serving {
        let host = format!("{name}-predictor");
        predictor.insert(
            "address".into(),
            json!({"url": cluster_url(&host, namespace)}),
        );
    }
    let mut put = |key: &str, value: Option<&str>| {
        if let Some(v) = value {
            predictor.insert(key.into(), json!(v));
        }
    };
    put(
        "latestCreatedRevision",
        rollout.latest_created().map(|r| r.name.as_str()),
    );
    put(
        "latestReadyRevision",
        rollout.latest_ready().map(|r| r.name.as_str()),
    );
    put(
        "latestRolledoutRevision",
        rollout.latest_rolled_out.as_deref(),
    );
    put(
        "previousRolledoutRevision",
        rollout.previous_rolled_out.as_deref(),
    );
    if serving {
        let traffic: Vec<Value> = rollout
            .traffic
            .iter()
            .map(|t| traffic_json(t, name, namespace))
            .collect();
        predictor.insert("traffic".into(), Value::Array(traffic));
        predictor.insert(
            "url".into(),
            json!(url(&format!("{name}-predictor"), namespace)),
        );
    }
    let mut status = json!({
        "components": {"predictor": predictor},
        "conditions": condition_list(name, rollout, previous, now),
        "deploymentMode": "Serverless",
        "modelStatus": model_status(rollout, now),
    });
    if let Some(generation) = rollout.observed_generation {
        status["observedGeneration"] = json!(generation);
    }
    if serving {
        status["address"] = json!({"url": cluster_url(name, namespace)});
        status["url"] = json!(url(name, namespace));
    }
    status
}

/// The status of a condition type (`True`, `False`, `Unknown`), if present.
pub fn condition<'a>(status: &'a Value, kind: &str) -> Option<&'a str> {
    status["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == kind)?["status"]
        .as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_follows_the_latest_revision_and_keeps_transition_times() {
        let t0 = Utc::now() - chrono::Duration::minutes(5);
        let mut rollout = Rollout::default();
        let spec = json!({"spec": {"predictor": {"model": {"storageUri": "s3://m/1/"}}}});
        rollout.spec_changed("m", None, &spec, 1, t0, 10);
        let pending = render("m", "ns", &rollout, &Value::Null, t0);
        assert_eq!(condition(&pending, "Ready"), Some("Unknown"));
        assert!(pending.get("url").is_none());
        assert_eq!(pending["modelStatus"]["transitionStatus"], "InProgress");
        let t1 = Utc::now();
        rollout.settle(1, None, |_| false, t1);
        let ready = render("m", "ns", &rollout, &pending, t1);
        assert_eq!(condition(&ready, "Ready"), Some("True"));
        assert_eq!(ready["url"], "http://m.ns.example.com");
        assert_eq!(ready["observedGeneration"], 1);
        let routes = ready["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["type"] == "RoutesReady")
            .unwrap();
        assert_eq!(routes["severity"], "Info");
        let again = render("m", "ns", &rollout, &ready, Utc::now());
        assert_eq!(again["conditions"], ready["conditions"]);
    }
}
