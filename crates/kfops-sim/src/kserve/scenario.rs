//! `[kserve]` of a scenario: the speed of the simulated rollouts, the names that fail, and
//! the InferenceServices the cluster starts with (made from the repository's template, as
//! Kfops deploys them).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::scenario::{time, GithubScenario, Scenario};

/// The template Kfops deploys from, by default.
const DEFAULT_TEMPLATE: &str = "deployment/inference_service.yaml";

/// How the simulated KServe behaves and what it holds at the start.
///
/// Every field has a default, so a scenario may leave out `[kserve]` or any key of it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KserveScenario {
    /// Milliseconds from a spec change to its new revision being Ready (a change of
    /// `canaryTrafficPercent` alone takes a fifth of that).
    pub ready_ms: u64,
    /// InferenceServices (`ns/name` or `name`) or revisions (`name-predictor-0000N`) that
    /// never become Ready: their new revisions fail (`PredictorReady` False,
    /// `ContainerHealthCheckFailed`) and get no traffic.
    pub never_ready: Vec<String>,
    /// InferenceServices (or revisions), named the same way, whose predictor answers 500.
    pub fail_sample: Vec<String>,
    /// InferenceServices that exist, Ready, when the simulator starts.
    pub services: Vec<ServiceScenario>,
    /// Whether the InferenceService CRD is installed (default true). `false`: discovery
    /// (`/apis`) leaves out `serving.kserve.io` and its paths answer 404, as on a cluster
    /// without KServe. See `crd.rs`.
    pub crd_installed: bool,
}

impl Default for KserveScenario {
    fn default() -> Self {
        KserveScenario {
            ready_ms: 1500,
            never_ready: Vec::new(),
            fail_sample: Vec::new(),
            services: Vec::new(),
            crd_installed: true,
        }
    }
}

/// An InferenceService deployed before the simulator starts.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceScenario {
    pub namespace: String,
    /// The template in `[github.files]` it was made from (its `metadata.name` is the name).
    #[serde(default = "default_template")]
    pub template: String,
    /// The KFP run whose model it serves.
    pub run_id: String,
    /// The PR that deployed it.
    pub pr: u64,
    /// Default: `s3://trained-models/<run_id>/`.
    #[serde(default)]
    pub storage_uri: Option<String>,
    /// When the InferenceService was first created.
    #[serde(deserialize_with = "time::required")]
    pub created_at: DateTime<Utc>,
    /// When the current revision was rolled out.
    #[serde(deserialize_with = "time::required")]
    pub deployed_at: DateTime<Utc>,
    /// The number of the current revision (earlier deploys made the ones before).
    #[serde(default = "one")]
    pub revision: u32,
}

fn default_template() -> String {
    DEFAULT_TEMPLATE.to_owned()
}

fn one() -> u32 {
    1
}

impl ServiceScenario {
    /// The model it serves.
    pub fn storage_uri(&self) -> String {
        self.storage_uri
            .clone()
            .unwrap_or_else(|| format!("s3://trained-models/{}/", self.run_id))
    }

    /// The object as Kfops would have created it from the template: namespace, the model's
    /// storage URI and the `kfops.io/run-id` and `kfops.io/pr` annotations set.
    pub fn manifest(&self, github: &GithubScenario) -> Result<Value, String> {
        let text = github.files.get(&self.template).ok_or_else(|| {
            format!(
                "kserve.services: template `{}` is not in [github.files]",
                self.template
            )
        })?;
        let mut object: Value = serde_norway::from_str(text)
            .map_err(|e| format!("kserve.services: template `{}`: {e}", self.template))?;
        if object["kind"] != "InferenceService" || object["metadata"]["name"].as_str().is_none() {
            return Err(format!(
                "kserve.services: template `{}` is not an InferenceService with a metadata.name",
                self.template
            ));
        }
        let model = object
            .pointer_mut("/spec/predictor/model")
            .and_then(Value::as_object_mut)
            .ok_or_else(|| {
                format!(
                    "kserve.services: template `{}` has no spec.predictor.model",
                    self.template
                )
            })?;
        model.insert("storageUri".into(), json!(self.storage_uri()));
        let metadata = &mut object["metadata"];
        metadata["namespace"] = json!(self.namespace);
        if !metadata["annotations"].is_object() {
            metadata["annotations"] = json!({});
        }
        metadata["annotations"]["kfops.io/run-id"] = json!(self.run_id);
        metadata["annotations"]["kfops.io/pr"] = json!(self.pr.to_string());
        Ok(object)
    }
}

impl KserveScenario {
    /// Why the values cannot be used with the rest of the scenario, if they cannot.
    pub fn problem(&self, scenario: &Scenario) -> Option<String> {
        let mut seen = Vec::new();
        for service in &self.services {
            if !scenario.kube.namespaces.contains(&service.namespace) {
                return Some(format!(
                    "kserve.services: namespace `{}` is not in kube.namespaces",
                    service.namespace
                ));
            }
            if scenario.github.pull(service.pr).is_none() {
                return Some(format!(
                    "kserve.services: PR #{} is not in [[github.pulls]]",
                    service.pr
                ));
            }
            if !scenario.kfp.runs.iter().any(|r| r.id == service.run_id) {
                return Some(format!(
                    "kserve.services: run `{}` is not in [[kfp.runs]]",
                    service.run_id
                ));
            }
            if service.deployed_at < service.created_at {
                return Some("kserve.services: deployed_at is before created_at".to_owned());
            }
            let object = match service.manifest(&scenario.github) {
                Ok(object) => object,
                Err(problem) => return Some(problem),
            };
            let key = format!("{}/{}", service.namespace, object["metadata"]["name"]);
            if seen.contains(&key) {
                return Some(format!("kserve.services: {key} is listed twice"));
            }
            seen.push(key);
        }
        None
    }
}
