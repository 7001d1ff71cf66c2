//! The simulator's starting world, read from TOML.
//!
//! A scenario describes what the simulated services hold when the simulator starts: the
//! model repository on GitHub (users, labels, files on the base branch, pull requests with
//! their comment history). `kfops demo` uses the embedded [`Scenario::demo`]; tests either
//! use it too or write their own with [`Scenario::from_toml_str`].

use serde::Deserialize;

pub use crate::github::scenario::{
    CommentScenario, ExtraRepositoryScenario, GithubScenario, LabelScenario, PullScenario,
    PullStatus, RepositoryScenario, UserKind, UserScenario,
};

/// The demo scenario shipped with the console (`assets/demo/scenario.toml`).
const DEMO_TOML: &str = include_str!("../../../assets/demo/scenario.toml");

/// Why a scenario could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The text is not valid TOML or does not have the scenario's shape.
    #[error("scenario is not valid TOML for a kfops simulator scenario: {0}")]
    Parse(#[from] toml::de::Error),
    /// The TOML parsed but its facts contradict each other.
    #[error("scenario is inconsistent: {0}")]
    Invalid(String),
}

/// The whole starting world of the simulator.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// The simulated GitHub.
    pub github: GithubScenario,
    /// The simulated Kubeflow Pipelines.
    #[serde(default)]
    pub kfp: crate::kfp::KfpScenario,
    /// The simulated Kubernetes cluster.
    #[serde(default)]
    pub kube: crate::kube::KubeScenario,
    /// The simulated KServe (InferenceServices and their predictors).
    #[serde(default)]
    pub kserve: crate::kserve::KserveScenario,
    /// Fault rules in force from the start (off by default); see docs/SIMULATOR.md.
    #[serde(default)]
    pub faults: crate::faults::FaultsScenario,
}

impl Scenario {
    /// The embedded demo scenario (`assets/demo/scenario.toml`).
    pub fn demo() -> Scenario {
        // The asset is compiled in; a test parses it, so failing here is a build-time bug.
        Scenario::from_toml_str(DEMO_TOML)
            .expect("assets/demo/scenario.toml is embedded and must be a valid scenario")
    }

    /// The text of the embedded demo scenario.
    pub fn demo_toml() -> &'static str {
        DEMO_TOML
    }

    /// Parses and checks a scenario.
    pub fn from_toml_str(text: &str) -> Result<Scenario, ScenarioError> {
        let scenario: Scenario = toml::from_str(text)?;
        scenario.github.validate()?;
        scenario.kfp.validate(&scenario.github)?;
        if let Some(problem) = scenario.kube.problem() {
            return Err(ScenarioError::Invalid(problem));
        }
        if let Some(problem) = scenario.kserve.problem(&scenario) {
            return Err(ScenarioError::Invalid(problem));
        }
        if let Some(problem) = scenario.faults.problem() {
            return Err(ScenarioError::Invalid(problem));
        }
        Ok(scenario)
    }
}

/// TOML date-times (`2026-11-02T10:01:37Z`, unquoted or quoted) as UTC instants.
pub(crate) mod time {
    use chrono::{DateTime, Utc};
    use serde::{de::Error, Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Written {
        Toml(toml::value::Datetime),
        Text(String),
    }

    pub fn required<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = match Written::deserialize(d)? {
            Written::Toml(t) => t.to_string(),
            Written::Text(t) => t,
        };
        DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| {
                D::Error::custom(format!(
                    "`{text}` is not an RFC 3339 time with offset, like 2026-11-02T10:01:37Z ({e})"
                ))
            })
    }

    pub fn optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        required(d).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_demo_scenario_parses() {
        let demo = Scenario::from_toml_str(DEMO_TOML);
        if let Err(err) = demo {
            panic!("{err}");
        }
    }

    #[test]
    fn a_label_that_is_not_declared_is_refused() {
        let text = DEMO_TOML.replace(
            "labels = [\"Deployed-to-staging\"]",
            "labels = [\"Deployed-to-nowhere\"]",
        );
        assert_ne!(
            text, DEMO_TOML,
            "the demo should label a PR Deployed-to-staging"
        );
        let err = Scenario::from_toml_str(&text).map(|_| ()).unwrap_err();
        assert!(err.to_string().contains("Deployed-to-nowhere"), "{err}");
    }
}
