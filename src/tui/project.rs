//! What the console knows of one project (one model repository): its names and namespaces,
//! and the state it keeps per project. `App.projects` holds one per repository, in config
//! order, looked up by the project index of a [`PrId`](super::app::PrId); the
//! single-repository layout is one project.

use super::panes::targets::TargetsPane;
use crate::chatops::DeployTarget;
use crate::config::{Config, EnvironmentConfig};

/// One project as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectState {
    /// `owner/name` of its repository.
    pub repo: String,
    /// Its InferenceService (`deployment.inference_service_name`), the same in both targets.
    pub service_name: String,
    /// `[deployment.staging] namespace`.
    pub staging_namespace: String,
    /// `[deployment.production] namespace`.
    pub production_namespace: String,
    /// The Kubeflow profile namespace where its pipeline task pods run (its own
    /// `kfp.namespace`, else the shared one).
    pub kfp_namespace: String,
    /// Why its last PR load failed (its last good PRs stay listed); `None` once it loads.
    pub failure: Option<String>,
}

impl ProjectState {
    /// A project of this repository with the default targets (no InferenceService name, no
    /// KFP namespace): what the console has before a config names them (tests).
    pub fn new(repo: impl Into<String>) -> ProjectState {
        ProjectState {
            repo: repo.into(),
            service_name: String::new(),
            staging_namespace: EnvironmentConfig::staging().namespace,
            production_namespace: EnvironmentConfig::production().namespace,
            kfp_namespace: String::new(),
            failure: None,
        }
    }

    /// The project of one project's full config (an entry of `Config::project_configs()`).
    pub fn of_config(cfg: &Config) -> ProjectState {
        ProjectState {
            repo: cfg.repository.full_name(),
            service_name: cfg.deployment.inference_service_name.clone(),
            staging_namespace: cfg.deployment.staging.namespace.clone(),
            production_namespace: cfg.deployment.production.namespace.clone(),
            kfp_namespace: cfg.kfp.namespace.clone(),
            failure: None,
        }
    }

    /// The namespace of one of its deployment targets.
    pub fn namespace(&self, target: DeployTarget) -> &str {
        match target {
            DeployTarget::Staging => &self.staging_namespace,
            DeployTarget::Production => &self.production_namespace,
        }
    }

    /// The repository name of `owner/name` (the PR pane's project column).
    pub fn short_name(&self) -> &str {
        self.repo.rsplit('/').next().unwrap_or(&self.repo)
    }

    /// A deployment targets pane on its InferenceService, nothing listed yet.
    pub fn targets_pane(&self) -> TargetsPane {
        TargetsPane::new(
            &self.service_name,
            &self.staging_namespace,
            &self.production_namespace,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_project_of_a_config_names_its_repository_targets_and_kfp_namespace() {
        let mut cfg = Config::for_repository("acme", "churn");
        cfg.deployment.inference_service_name = "churn-model".into();
        cfg.deployment.staging.namespace = "stg".into();
        cfg.kfp.namespace = "team".into();
        let p = ProjectState::of_config(&cfg);
        assert_eq!(p.repo, "acme/churn");
        assert_eq!(p.short_name(), "churn");
        assert_eq!(p.namespace(DeployTarget::Staging), "stg");
        assert_eq!(
            p.namespace(DeployTarget::Production),
            EnvironmentConfig::production().namespace
        );
        assert_eq!(p.kfp_namespace, "team");
        let pane = p.targets_pane();
        assert_eq!(pane.service_name, "churn-model");
        assert_eq!(pane.namespace(DeployTarget::Staging), "stg");
    }
}
