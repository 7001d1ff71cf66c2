//! The one TOML config file: its types, where it is looked up, and how it is checked.
//!
//! - [`locate`] finds the file (`--config`, `$KFOPS_CONFIG`, `./kfops.toml`, then
//!   `$XDG_CONFIG_HOME/kfops/config.toml`).
//! - [`load`] / [`parse`] read it into a [`Config`]: unknown keys are errors; an error
//!   ([`ConfigError`]) names the file, the line and column and the dotted key when
//!   known, and always gives a hint.
//! - `config.example.toml` at the repository root documents every key; [`example_text`]
//!   returns it.
//!
//! Every table except `[repository]` is optional and has a [`Default`]. After [`parse`],
//! the names derived from `repository.name` (`pipeline.name`, `kfp.experiment_name`,
//! `deployment.inference_service_name`) are filled in.

mod error;
mod load;
mod perms;
mod project;
mod rules;
mod secret;
mod spans;
mod tables;
mod validate;
pub mod version_template;

use serde::Deserialize;

pub use error::{ConfigError, ConfigErrorKind};
pub use load::{load, locate, locate_with, parse, CONFIG_ENV_VAR, LOCAL_FILE_NAME, XDG_FILE};
pub use perms::token_file_warning;
pub use project::{ProjectChoice, ProjectNameError, PROJECT_ENV_VAR};
pub use secret::Secret;
pub use tables::{
    AuditConfig, BuildContext, ClusterConfig, DeploymentConfig, EnvironmentConfig, GithubAppConfig,
    GithubConfig, ImageBuilderConfig, ImageConfig, KfpConfig, PipelineConfig, PipelineMode,
    ProjectConfig, ProjectKfpConfig, RepositoryConfig, UiConfig,
};

/// Default `github.api_url`.
pub const DEFAULT_GITHUB_API_URL: &str = "https://api.github.com";
/// Default `github.token_env`: environment variables looked up in order.
pub const DEFAULT_GITHUB_TOKEN_ENV: &[&str] = &["GITHUB_TOKEN", "GH_TOKEN"];
/// Default `cluster.namespace` (where the Kaniko build pods run).
pub const DEFAULT_CLUSTER_NAMESPACE: &str = "kfops";
/// Default `kfp.proxy_namespace` and `kfp.namespace`.
pub const DEFAULT_KFP_NAMESPACE: &str = "kubeflow";
/// Default `kfp.proxy_service`.
pub const DEFAULT_KFP_PROXY_SERVICE: &str = "ml-pipeline:8888";
/// Default `pipeline.package_path`.
pub const DEFAULT_PACKAGE_PATH: &str = "pipeline.yaml";
/// Default `pipeline.compile_command`: the KFP v2 SDK's compiler CLI on the configured file
/// (and function), writing the package where kfops-console reads it.
pub const DEFAULT_COMPILE_COMMAND: &str = "kfp dsl compile --py \"$KFOPS_PIPELINE_PATH\" --output \"$KFOPS_PACKAGE_PATH\"${KFOPS_PIPELINE_FUNCTION:+ --function \"$KFOPS_PIPELINE_FUNCTION\"}";
/// Default `pipeline.checkout_image`: an image whose `git` checks out the PR head.
pub const DEFAULT_CHECKOUT_IMAGE: &str = "alpine/git:2.45.2";
/// Default `pipeline.version_name`.
pub const DEFAULT_VERSION_NAME: &str = "{pipeline}-pr{pr}-{sha7}-{timestamp}";
/// Kfops' version name (`'Version %s' % datetime.now().strftime('%d %h %H:%M:%s, %Y')`).
pub const KFOPS_VERSION_NAME: &str = "Version {kfops_time}";
/// The placeholders of `pipeline.version_name` and `pipeline.version_description`.
pub const VERSION_PLACEHOLDERS: &[&str] =
    &["pipeline", "pr", "sha", "sha7", "timestamp", "kfops_time"];
/// Default `deployment.template_path`.
pub const DEFAULT_TEMPLATE_PATH: &str = "deployment/inference_service.yaml";
/// Default `deployment.ready_timeout_seconds`.
pub const DEFAULT_READY_TIMEOUT_SECONDS: u64 = 300;
/// Default `deployment.production.namespace`.
pub const DEFAULT_PRODUCTION_NAMESPACE: &str = "production";
/// Default `deployment.staging.namespace`.
pub const DEFAULT_STAGING_NAMESPACE: &str = "staging";
/// Default `image_builder.pod_template_path`.
pub const DEFAULT_POD_TEMPLATE_PATH: &str = "kaniko/pod.yaml";
/// Default `image_builder.git_image`: the init container assembling a Kfops build context.
pub const DEFAULT_GIT_IMAGE: &str = "alpine/git:2.45.2";
/// Default `ui.scrollback` (lines kept per log pane).
pub const DEFAULT_SCROLLBACK: usize = 1_000_000;
/// Smallest accepted `ui.scrollback`.
pub const MIN_SCROLLBACK: usize = 1000;
/// Accepted `ui.theme` values: `default` (dark terminals), `light`, `colorblind`.
pub const THEMES: &[&str] = &["default", "light", "colorblind"];
/// Default `ui.theme`.
pub const DEFAULT_THEME: &str = "default";
/// Default `ui.refresh_seconds`.
pub const DEFAULT_REFRESH_SECONDS: u64 = 30;
/// Smallest accepted `ui.refresh_seconds`.
pub const MIN_REFRESH_SECONDS: u64 = 2;

/// The text of `config.example.toml`, which documents every key.
pub fn example_text() -> &'static str {
    include_str!("../../config.example.toml")
}

/// The whole config file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Refuse every action that changes something (chat commands, deploys). Default `false`.
    #[serde(default)]
    pub read_only: bool,
    /// `[repository]`: the GitHub repository the console watches (required unless
    /// `[[projects]]` is used; then it is the first project's, for the headless commands).
    #[serde(default)]
    pub repository: RepositoryConfig,
    /// `[[projects]]`: several model repositories, each with its own settings. Empty for the
    /// single-project layout (`[repository]` and its tables at the top level).
    #[serde(default)]
    pub projects: Vec<ProjectConfig>,
    /// `[github]`: API URL and token.
    #[serde(default)]
    pub github: GithubConfig,
    /// `[cluster]`: the Kubernetes cluster.
    #[serde(default)]
    pub cluster: ClusterConfig,
    /// `[kfp]`: Kubeflow Pipelines.
    #[serde(default)]
    pub kfp: KfpConfig,
    /// `[pipeline]`: the KFP pipeline compiled from the repository.
    #[serde(default)]
    pub pipeline: PipelineConfig,
    /// `[deployment]`: the KServe InferenceService.
    #[serde(default)]
    pub deployment: DeploymentConfig,
    /// `[image_builder]`: Kaniko image builds.
    #[serde(default)]
    pub image_builder: ImageBuilderConfig,
    /// `[ui]`: the console itself.
    #[serde(default)]
    pub ui: UiConfig,
    /// `[audit]`: the audit log of actions.
    #[serde(default)]
    pub audit: AuditConfig,
}

impl Config {
    /// A config for `owner/name` with every other setting at its default (derived names
    /// filled in). Handy for the demo and for tests.
    pub fn for_repository(owner: impl Into<String>, name: impl Into<String>) -> Self {
        let mut config = Config {
            read_only: false,
            repository: RepositoryConfig {
                owner: owner.into(),
                name: name.into(),
            },
            github: GithubConfig::default(),
            cluster: ClusterConfig::default(),
            kfp: KfpConfig::default(),
            pipeline: PipelineConfig::default(),
            deployment: DeploymentConfig::default(),
            image_builder: ImageBuilderConfig::default(),
            ui: UiConfig::default(),
            audit: AuditConfig::default(),
            projects: Vec::new(),
        };
        config.apply_derived_defaults();
        config
    }

    /// Fills the names that default to `repository.name` when they are empty:
    /// `pipeline.name`, `kfp.experiment_name`, `deployment.inference_service_name`.
    /// [`parse`] calls this; call it again after changing `repository.name` by hand.
    pub fn apply_derived_defaults(&mut self) {
        let name = &self.repository.name;
        for field in [
            &mut self.pipeline.name,
            &mut self.kfp.experiment_name,
            &mut self.deployment.inference_service_name,
        ] {
            if field.is_empty() {
                field.clone_from(name);
            }
        }
    }

    /// `--context` given on the command line: it replaces `[cluster] context` (nothing
    /// changes without it).
    pub fn override_context(&mut self, context: Option<&str>) {
        if let Some(context) = context {
            self.cluster.context = Some(context.to_owned());
        }
    }

    /// One config per project, each with that project's repository, pipeline, deployment,
    /// image builder and experiment over the shared tables (`projects` emptied). The
    /// single-project layout is one project: the config itself.
    pub fn project_configs(&self) -> Vec<Config> {
        if self.projects.is_empty() {
            return vec![self.clone()];
        }
        self.projects.iter().map(|p| self.with_project(p)).collect()
    }

    /// This config with `project`'s tables in place of the per-project ones.
    pub fn with_project(&self, project: &ProjectConfig) -> Config {
        let mut c = self.project_unresolved(project);
        c.apply_derived_defaults();
        c
    }

    /// [`Config::with_project`] before the derived names are filled (for validation).
    pub(crate) fn project_unresolved(&self, project: &ProjectConfig) -> Config {
        let mut c = self.clone();
        c.projects = Vec::new();
        c.repository = project.repository.clone();
        c.pipeline = project.pipeline.clone();
        c.deployment = project.deployment.clone();
        c.image_builder = project.image_builder.clone();
        c.kfp.experiment_name = project.kfp.experiment_name.clone();
        if let Some(ns) = &project.kfp.namespace {
            c.kfp.namespace = ns.clone();
        }
        c
    }

    /// The GitHub token: `github.token` if set, else the first non-empty environment
    /// variable named in `github.token_env`; none with `[github.app]` (the App's installation
    /// tokens replace it).
    pub fn github_token(&self) -> Option<Secret> {
        self.github_token_with(|name| std::env::var(name).ok())
    }

    /// Whether GitHub requests are authenticated: a token, or a GitHub App.
    pub fn github_authenticated(&self) -> bool {
        self.github.app.is_some() || self.github_token().is_some()
    }

    /// How to give the missing GitHub token, for the refusals of actions without one:
    /// `export GITHUB_TOKEN=… (or GH_TOKEN)` with the names of `github.token_env`.
    pub fn token_fix(&self) -> String {
        let mut names = self.github.token_env.iter();
        match names.next() {
            None => "set [github] token_env (or token) in the config".to_owned(),
            Some(first) => {
                let others: Vec<&str> = names.map(String::as_str).collect();
                if others.is_empty() {
                    format!("export {first}=…")
                } else {
                    format!("export {first}=… (or {})", others.join(", "))
                }
            }
        }
    }

    /// [`Config::github_token`] with an explicit environment lookup (for tests).
    pub fn github_token_with(&self, env: impl Fn(&str) -> Option<String>) -> Option<Secret> {
        if self.github.app.is_some() {
            return None;
        }
        if let Some(token) = self.github.token.as_ref().filter(|t| !t.is_empty()) {
            return Some(token.clone());
        }
        self.github
            .token_env
            .iter()
            .filter_map(|name| env(name))
            .find(|value| !value.is_empty())
            .map(Secret::new)
    }

    /// The KFP bearer token from the environment variable `kfp.token_env`, if set and
    /// non-empty.
    pub fn kfp_token(&self) -> Option<Secret> {
        self.kfp_token_with(|name| std::env::var(name).ok())
    }

    /// [`Config::kfp_token`] with an explicit environment lookup (for tests).
    pub fn kfp_token_with(&self, env: impl Fn(&str) -> Option<String>) -> Option<Secret> {
        let name = self.kfp.token_env.as_deref()?;
        env(name).filter(|v| !v.is_empty()).map(Secret::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_fix_names_the_configured_variables() {
        let mut c = Config::for_repository("acme", "churn-model");
        assert_eq!(c.token_fix(), "export GITHUB_TOKEN=… (or GH_TOKEN)");
        c.github.token_env = vec!["KFOPS_GITHUB_TOKEN".into()];
        assert_eq!(c.token_fix(), "export KFOPS_GITHUB_TOKEN=…");
        c.github.token_env.clear();
        assert!(c.token_fix().contains("[github] token_env"));
    }

    #[test]
    fn config_for_repository_fills_derived_names() {
        let c = Config::for_repository("acme", "churn-model");
        assert_eq!(c.pipeline.name, "churn-model");
        assert_eq!(c.kfp.experiment_name, "churn-model");
        assert_eq!(c.deployment.inference_service_name, "churn-model");
        assert_eq!(c.deployment.production.namespace, "production");
        assert_eq!(c.deployment.staging.namespace, "staging");
        assert_eq!(c.repository.full_name(), "acme/churn-model");
    }

    #[test]
    fn config_github_token_prefers_file_then_env_order() {
        let mut c = Config::for_repository("a", "b");
        let env = |name: &str| match name {
            "GITHUB_TOKEN" => Some(String::new()),
            "GH_TOKEN" => Some("from-gh".to_owned()),
            _ => None,
        };
        assert_eq!(
            c.github_token_with(env).map(|s| s.expose().to_owned()),
            Some("from-gh".into())
        );
        c.github.token = Some(Secret::new("from-file"));
        assert_eq!(
            c.github_token_with(env).map(|s| s.expose().to_owned()),
            Some("from-file".into())
        );
        c.github.token = None;
        c.github.token_env.clear();
        assert!(c.github_token_with(env).is_none());
    }

    #[test]
    fn config_kfp_token_reads_named_env() {
        let mut c = Config::for_repository("a", "b");
        let env = |name: &str| (name == "KFP_TOKEN").then(|| "t".to_owned());
        assert!(c.kfp_token_with(env).is_none());
        c.kfp.token_env = Some("KFP_TOKEN".into());
        assert_eq!(
            c.kfp_token_with(env).map(|s| s.expose().to_owned()),
            Some("t".into())
        );
    }

    #[test]
    fn config_example_text_is_the_example_file() {
        assert!(example_text().contains("[repository]"));
    }
}
