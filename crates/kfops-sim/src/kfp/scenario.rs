//! The `[kfp]` part of a scenario: where the simulated KFP API service lives in the simulated
//! cluster, an optional token, how runs execute, and the pipelines (with their versions),
//! experiments and finished runs that exist at start.
//!
//! ```toml
//! [kfp]
//! proxy_namespace = "kubeflow"            # default
//! profile_namespace = "kubeflow-user-example-com"   # default: where runs and their pods go
//! run_start_ms = 300                      # default: PENDING -> RUNNING
//! task_ms = 1500                          # default: how long a task's container works
//! fail_tasks = ["train"]                  # tasks whose pods exit 1 (default none)
//! cached_tasks = ["ingest"]               # tasks reported as cached (default none)
//!
//! [[kfp.pipelines]]
//! id = "83d5a5f2-d4fe-4523-9488-daddbb4fcc85"
//! name = "churn-model"
//! created_at = 2026-03-16T09:02:11Z
//!
//! [[kfp.pipelines.versions]]
//! id = "90b3db80-5649-41f1-b35b-df26e54416aa"
//! name = "churn-model-pr40-86fca89-20261005092058311"
//! created_at = 2026-10-05T09:20:58Z
//! package_file = "pipeline.yaml"          # a file of [github.files], or:
//! # package_yaml = '''...'''              # the package inline
//!
//! [[kfp.experiments]]
//! id = "5d2f6c1e-8a44-4c1b-9a63-2f0e7d9b1c35"
//! name = "churn-model"
//! created_at = 2026-03-16T09:05:00Z
//! # namespace = "..."                      # default: profile_namespace
//!
//! [[kfp.runs]]                             # a finished run, its tasks replayed to fit
//! id = "1944c4b2-af10-4f57-bad0-7233f4788c0d"
//! name = "churn-model-pr40-86fca89-20261005093101"
//! experiment_id = "5d2f6c1e-8a44-4c1b-9a63-2f0e7d9b1c35"   # default: the Default experiment
//! pipeline_version_id = "90b3db80-5649-41f1-b35b-df26e54416aa"
//! created_at = 2026-10-05T09:31:01Z
//! finished_at = 2026-10-05T10:12:08Z
//! parameters = { learning_rate = 0.01, epochs = 20 }
//! # fail_tasks = ["train"]                 # it FAILED there (default: SUCCEEDED)
//! ```

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use serde_json::{Map, Value};

use super::package;
use super::plan::Plan;
use super::runs::{RunKnobs, DEFAULT_PROFILE_NAMESPACE};
use crate::scenario::{GithubScenario, ScenarioError};

/// Default Kubernetes namespace of the `ml-pipeline` service.
pub const DEFAULT_PROXY_NAMESPACE: &str = "kubeflow";

/// What the simulated KFP holds.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KfpScenario {
    /// Namespace of the `ml-pipeline` service reached through the Kubernetes service proxy.
    #[serde(default = "default_proxy_namespace")]
    pub proxy_namespace: String,
    /// When set, requests to the KFP API itself (not through the service proxy) must carry
    /// `Authorization: Bearer X` with this value.
    #[serde(default)]
    pub token: Option<String>,
    /// Multi-user KFP (Kubeflow profiles): experiments and runs need an identity allowed in
    /// their profile namespace, and a namespace (see `multi_user.rs`, docs/SIMULATOR.md).
    #[serde(default)]
    pub multi_user: Option<super::multi_user::MultiUser>,
    #[serde(default)]
    pub pipelines: Vec<PipelineScenario>,
    /// Namespace of the `Default` experiment and of runs whose experiment has none: where
    /// task pods run.
    #[serde(default = "default_profile_namespace")]
    pub profile_namespace: String,
    /// Milliseconds a new run stays PENDING.
    #[serde(default = "default_run_start_ms")]
    pub run_start_ms: u64,
    /// Milliseconds a task's main container works.
    #[serde(default = "default_task_ms")]
    pub task_ms: u64,
    /// Task names whose pods exit 1.
    #[serde(default)]
    pub fail_tasks: Vec<String>,
    /// Task names reported as cached (SKIPPED at once, no pod).
    #[serde(default)]
    pub cached_tasks: Vec<String>,
    #[serde(default)]
    pub experiments: Vec<ExperimentScenario>,
    /// Finished runs.
    #[serde(default)]
    pub runs: Vec<RunScenario>,
}

impl Default for KfpScenario {
    fn default() -> Self {
        let knobs = RunKnobs::default();
        KfpScenario {
            proxy_namespace: default_proxy_namespace(),
            token: None,
            multi_user: None,
            pipelines: Vec::new(),
            profile_namespace: knobs.profile_namespace,
            run_start_ms: knobs.run_start_ms,
            task_ms: knobs.task_ms,
            fail_tasks: Vec::new(),
            cached_tasks: Vec::new(),
            experiments: Vec::new(),
            runs: Vec::new(),
        }
    }
}

fn default_proxy_namespace() -> String {
    DEFAULT_PROXY_NAMESPACE.to_owned()
}

fn default_profile_namespace() -> String {
    DEFAULT_PROFILE_NAMESPACE.to_owned()
}

fn default_run_start_ms() -> u64 {
    RunKnobs::default().run_start_ms
}

fn default_task_ms() -> u64 {
    RunKnobs::default().task_ms
}

/// An experiment that exists when the simulator starts.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentScenario {
    /// UUID.
    pub id: String,
    /// The display name.
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Default: the profile namespace.
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(deserialize_with = "time")]
    pub created_at: DateTime<Utc>,
}

/// A run that has finished when the simulator starts.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunScenario {
    /// UUID.
    pub id: String,
    /// The display name.
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Default: the `Default` experiment.
    #[serde(default)]
    pub experiment_id: Option<String>,
    pub pipeline_version_id: String,
    #[serde(deserialize_with = "time")]
    pub created_at: DateTime<Utc>,
    #[serde(deserialize_with = "time")]
    pub finished_at: DateTime<Utc>,
    /// Tasks that failed (then the run FAILED); default none (SUCCEEDED).
    #[serde(default)]
    pub fail_tasks: Vec<String>,
    /// `runtime_config.parameters`.
    #[serde(default)]
    pub parameters: Map<String, Value>,
}

/// A pipeline that exists when the simulator starts.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineScenario {
    /// UUID.
    pub id: String,
    pub name: String,
    /// Default: the name.
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// KFP namespace of the pipeline; default none (shared).
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(deserialize_with = "time")]
    pub created_at: DateTime<Utc>,
    /// Oldest first is customary, not required.
    #[serde(default)]
    pub versions: Vec<VersionScenario>,
}

/// A pipeline version that exists when the simulator starts.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionScenario {
    /// UUID.
    pub id: String,
    pub name: String,
    /// Default: the name.
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(deserialize_with = "time")]
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub code_source_url: Option<String>,
    /// Path of the package among the scenario's `[github.files]`.
    #[serde(default)]
    pub package_file: Option<String>,
    /// The package itself.
    #[serde(default)]
    pub package_yaml: Option<String>,
}

impl VersionScenario {
    /// The package text: `package_yaml`, or the `package_file` from the GitHub files.
    pub fn package_text<'a>(&'a self, github: &'a GithubScenario) -> Option<&'a str> {
        match (&self.package_yaml, &self.package_file) {
            (Some(text), None) => Some(text),
            (None, Some(path)) => github.files.get(path).map(String::as_str),
            _ => None,
        }
    }
}

impl KfpScenario {
    /// Checks ids, names, times and packages (which must be valid KFP packages).
    pub fn validate(&self, github: &GithubScenario) -> Result<(), ScenarioError> {
        let invalid = |msg: String| Err(ScenarioError::Invalid(msg));
        if self.proxy_namespace.is_empty() {
            return invalid("kfp.proxy_namespace is empty".to_owned());
        }
        let mut ids = BTreeSet::new();
        let mut names = BTreeSet::new();
        for p in &self.pipelines {
            let at = format!("KFP pipeline `{}`", p.name);
            check_uuid(&at, &p.id)?;
            if !ids.insert(p.id.as_str()) {
                return invalid(format!("{at}: id {} is used twice", p.id));
            }
            if p.name.is_empty() {
                return invalid(format!("KFP pipeline {} has an empty name", p.id));
            }
            if !names.insert((p.namespace.as_deref().unwrap_or(""), p.name.as_str())) {
                return invalid(format!("{at} is listed twice in one namespace"));
            }
            let mut version_names = BTreeSet::new();
            for v in &p.versions {
                let at = format!("{at} version `{}`", v.name);
                check_uuid(&at, &v.id)?;
                if !ids.insert(v.id.as_str()) {
                    return invalid(format!("{at}: id {} is used twice", v.id));
                }
                if v.name.is_empty() || !version_names.insert(v.name.as_str()) {
                    return invalid(format!(
                        "{at}: version names must be non-empty and unique in their pipeline"
                    ));
                }
                if v.created_at < p.created_at {
                    return invalid(format!("{at} was created before its pipeline"));
                }
                let text = match (&v.package_yaml, &v.package_file) {
                    (Some(_), Some(_)) | (None, None) => {
                        return invalid(format!(
                            "{at}: set exactly one of package_file and package_yaml"
                        ))
                    }
                    (None, Some(path)) => github.files.get(path).ok_or_else(|| {
                        ScenarioError::Invalid(format!(
                            "{at}: package_file `{path}` is not in [github.files]"
                        ))
                    })?,
                    (Some(text), None) => text,
                };
                if let Err(e) = package::parse(text.as_bytes()) {
                    return invalid(format!("{at}: the package is not a valid KFP package: {e}"));
                }
            }
        }
        self.validate_runs(github, ids)
    }

    /// Checks the knobs, experiments and runs (`ids`: the pipeline and version ids).
    fn validate_runs<'a>(
        &'a self,
        github: &GithubScenario,
        mut ids: BTreeSet<&'a str>,
    ) -> Result<(), ScenarioError> {
        let invalid = |msg: String| Err(ScenarioError::Invalid(msg));
        let label = |ns: &str| {
            !ns.is_empty()
                && ns.len() <= 63
                && ns
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !ns.starts_with('-')
                && !ns.ends_with('-')
        };
        if !label(&self.profile_namespace) {
            return invalid(format!(
                "kfp.profile_namespace is `{}`; a namespace is a lowercase RFC 1123 label",
                self.profile_namespace
            ));
        }
        let mut names = BTreeSet::new();
        for e in &self.experiments {
            let at = format!("KFP experiment `{}`", e.name);
            check_uuid(&at, &e.id)?;
            if !ids.insert(e.id.as_str()) {
                return invalid(format!("{at}: id {} is used twice", e.id));
            }
            let namespace = e.namespace.as_deref().unwrap_or(&self.profile_namespace);
            if e.name.trim().is_empty() || !names.insert((namespace, e.name.as_str())) {
                return invalid(format!(
                    "{at}: experiment names must be non-empty and unique in their namespace"
                ));
            }
        }
        for r in &self.runs {
            let at = format!("KFP run `{}` ({})", r.name, r.id);
            check_uuid(&at, &r.id)?;
            if !ids.insert(r.id.as_str()) {
                return invalid(format!("{at}: id {} is used twice", r.id));
            }
            if r.name.trim().is_empty() {
                return invalid(format!("{at} has an empty name"));
            }
            if let Some(experiment) = &r.experiment_id {
                if !self.experiments.iter().any(|e| &e.id == experiment) {
                    return invalid(format!(
                        "{at}: experiment_id {experiment} is not in [[kfp.experiments]]"
                    ));
                }
            }
            let Some(version) = self
                .pipelines
                .iter()
                .flat_map(|p| p.versions.iter())
                .find(|v| v.id == r.pipeline_version_id)
            else {
                return invalid(format!(
                    "{at}: pipeline_version_id {} is not a version in [[kfp.pipelines.versions]]",
                    r.pipeline_version_id
                ));
            };
            if r.created_at < version.created_at || r.finished_at <= r.created_at {
                return invalid(format!(
                    "{at}: it must be created after its version and finish after it was created"
                ));
            }
            let spec = version
                .package_text(github)
                .and_then(|text| package::parse(text.as_bytes()).ok())
                .map(|p| p.spec_json())
                .unwrap_or(Value::Null);
            let plan = Plan::build(&spec, &r.parameters)
                .map_err(|e| ScenarioError::Invalid(format!("{at}: cannot be run: {e}")))?;
            let tasks = plan.container_names();
            if let Some(unknown) = r.fail_tasks.iter().find(|t| !tasks.contains(t.as_str())) {
                return invalid(format!(
                    "{at}: fail_tasks names `{unknown}`, which is not a container task of its pipeline"
                ));
            }
        }
        Ok(())
    }
}

fn check_uuid(what: &str, id: &str) -> Result<(), ScenarioError> {
    match uuid::Uuid::try_parse(id) {
        Ok(u) if u.hyphenated().to_string() == id => Ok(()),
        _ => Err(ScenarioError::Invalid(format!(
            "{what}: id `{id}` is not a lowercase hyphenated UUID"
        ))),
    }
}

/// TOML date-times (unquoted or quoted RFC 3339) as UTC instants, whole seconds like KFP.
fn time<'de, D: serde::Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    use serde::de::Error;

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Written {
        Toml(toml::value::Datetime),
        Text(String),
    }
    let text = match Written::deserialize(d)? {
        Written::Toml(t) => t.to_string(),
        Written::Text(t) => t,
    };
    let time = DateTime::parse_from_rfc3339(&text).map_err(|e| {
        D::Error::custom(format!(
            "`{text}` is not an RFC 3339 time with offset, like 2026-11-02T10:01:37Z ({e})"
        ))
    })?;
    let time = time.with_timezone(&Utc);
    Ok(DateTime::from_timestamp(time.timestamp(), 0).unwrap_or(time))
}
