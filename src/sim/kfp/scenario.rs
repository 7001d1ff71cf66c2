//! The `[kfp]` part of a scenario: where the simulated KFP API service lives in the simulated
//! cluster, an optional token, and the pipelines (with their versions) that exist at start.
//!
//! ```toml
//! [kfp]
//! proxy_namespace = "kubeflow"            # default
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
//! ```

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::package;
use crate::sim::scenario::{GithubScenario, ScenarioError};

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
    #[serde(default)]
    pub pipelines: Vec<PipelineScenario>,
}

impl Default for KfpScenario {
    fn default() -> Self {
        KfpScenario {
            proxy_namespace: default_proxy_namespace(),
            token: None,
            pipelines: Vec::new(),
        }
    }
}

fn default_proxy_namespace() -> String {
    DEFAULT_PROXY_NAMESPACE.to_owned()
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
