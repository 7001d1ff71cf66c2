//! The tables of the config file: `[repository]`, `[github]`, `[cluster]`, `[kfp]`,
//! `[pipeline]`, `[deployment]`, `[image_builder]`, `[ui]` and `[audit]`, with their defaults.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

use super::*;

/// `[repository]`: the GitHub repository holding the model code.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepositoryConfig {
    /// GitHub user or organisation (required), e.g. `acme`.
    pub owner: String,
    /// Repository name (required), e.g. `churn-model`.
    pub name: String,
}

impl RepositoryConfig {
    /// `owner/name`.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }
}

/// `[github]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GithubConfig {
    /// REST API base URL. Default [`DEFAULT_GITHUB_API_URL`].
    pub api_url: String,
    /// Environment variables holding the token, looked up in order (a string or a list).
    /// Default [`DEFAULT_GITHUB_TOKEN_ENV`].
    #[serde(deserialize_with = "one_or_many")]
    pub token_env: Vec<String>,
    /// The token itself: allowed but discouraged (prefer `token_env`).
    pub token: Option<Secret>,
    /// `[github.app]`: authenticate as a GitHub App installation instead of with a token.
    pub app: Option<GithubAppConfig>,
}

/// `[github.app]`: a GitHub App's credentials; the console asks for installation tokens
/// with them and renews each before it expires. When set, the token is not used.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GithubAppConfig {
    /// The App's client ID (`Iv23…`, recommended by GitHub) or numeric App ID: the JWT's
    /// `iss`. An integer is accepted too.
    #[serde(deserialize_with = "string_or_integer")]
    pub id: String,
    /// The App's private key (the PEM file GitHub generated). `~/` is the home directory.
    pub private_key_file: std::path::PathBuf,
    /// The installation to use; default: the App's installation on the repository
    /// (`GET /repos/{owner}/{repo}/installation`).
    pub installation_id: Option<u64>,
}

impl GithubAppConfig {
    /// `private_key_file` with a leading `~/` replaced by the home directory.
    pub fn private_key_path(&self) -> std::path::PathBuf {
        match (self.private_key_file.strip_prefix("~"), dirs::home_dir()) {
            (Ok(rest), Some(home)) => home.join(rest),
            _ => self.private_key_file.clone(),
        }
    }
}

fn string_or_integer<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Number(u64),
        Text(String),
    }
    Ok(match Id::deserialize(d)? {
        Id::Number(n) => n.to_string(),
        Id::Text(s) => s,
    })
}

impl Default for GithubConfig {
    fn default() -> Self {
        GithubConfig {
            api_url: DEFAULT_GITHUB_API_URL.to_owned(),
            token_env: DEFAULT_GITHUB_TOKEN_ENV
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            token: None,
            app: None,
        }
    }
}

/// `[cluster]`: the Kubernetes cluster running Kubeflow, Kaniko and KServe.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterConfig {
    /// Kubeconfig context; `None` = the current context.
    pub context: Option<String>,
    /// Workflow namespace where the Kaniko build pods run. Default `kfops`.
    pub namespace: String,
    /// Talk to this API server URL directly, without a kubeconfig (used by the demo).
    pub server: Option<String>,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            context: None,
            namespace: DEFAULT_CLUSTER_NAMESPACE.to_owned(),
            server: None,
        }
    }
}

/// `[kfp]`: how to reach the Kubeflow Pipelines API.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KfpConfig {
    /// KFP API URL; `None` = through the Kubernetes API service proxy.
    pub endpoint: Option<String>,
    /// Namespace of the KFP API service, for the service proxy. Default `kubeflow`.
    pub proxy_namespace: String,
    /// `service:port` of the KFP API, for the service proxy. Default `ml-pipeline:8888`.
    pub proxy_service: String,
    /// Environment variable holding a bearer token for `endpoint`.
    pub token_env: Option<String>,
    /// File holding a ServiceAccount token (audience `pipelines.kubeflow.org`) for `endpoint`,
    /// read again for every request (projected tokens are rotated).
    pub token_path: Option<std::path::PathBuf>,
    /// Environment variable holding the gateway's session cookie (`name=value`) for `endpoint`.
    pub cookie_env: Option<String>,
    /// `namespace/name` of a ServiceAccount whose tokens (audience `pipelines.kubeflow.org`)
    /// are requested through the TokenRequest API with the kubeconfig's credentials.
    pub service_account: Option<String>,
    /// The KFP UI service (`ml-pipeline-ui`) in `proxy_namespace` to reach KFP through, by a
    /// port-forward the console opens through the Kubernetes API; instead of `endpoint`.
    pub port_forward: Option<String>,
    /// The KFP UI's URL, for links in PR comments. Default: `endpoint` (or, through the
    /// service proxy, the `ml-pipeline-ui` service path).
    pub ui_url: Option<String>,
    /// Kubeflow profile namespace where runs are created. Default `kubeflow`.
    pub namespace: String,
    /// KFP experiment. Default: `repository.name`.
    pub experiment_name: String,
}

impl Default for KfpConfig {
    fn default() -> Self {
        KfpConfig {
            endpoint: None,
            proxy_namespace: DEFAULT_KFP_NAMESPACE.to_owned(),
            proxy_service: DEFAULT_KFP_PROXY_SERVICE.to_owned(),
            token_env: None,
            token_path: None,
            cookie_env: None,
            service_account: None,
            port_forward: None,
            ui_url: None,
            namespace: DEFAULT_KFP_NAMESPACE.to_owned(),
            experiment_name: String::new(),
        }
    }
}

/// `[pipeline]`: the KFP pipeline.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PipelineConfig {
    /// Pipeline name in KFP. Default: `repository.name`.
    pub name: String,
    /// Pipeline description. Default empty.
    pub description: String,
    /// Where `/build` gets the package: committed (`package`, the default) or compiled from
    /// the PR's Python pipeline in a pod (`compile`, as Kfops does).
    pub mode: PipelineMode,
    /// Compiled KFP package, relative to the repository root. Default `pipeline.yaml`.
    pub package_path: String,
    /// Compile mode: the Python file defining the pipeline (Kfops' `pipeline_path`).
    pub pipeline_path: String,
    /// Compile mode: the pipeline function, when the file defines several (Kfops'
    /// `pipeline_function_name`). Default: the file's only pipeline.
    pub pipeline_function_name: Option<String>,
    /// Compile mode: the image of the compile pod (Python with the KFP v2 SDK). Required.
    pub compile_image: String,
    /// Compile mode: the shell command that compiles (run by `sh -c` in the checkout).
    /// Default [`DEFAULT_COMPILE_COMMAND`].
    pub compile_command: String,
    /// Compile mode: the image of the init container checking out the PR head (has `git`).
    /// Default [`DEFAULT_CHECKOUT_IMAGE`].
    pub checkout_image: String,
    /// The name of each new pipeline version, a template (see [`VERSION_PLACEHOLDERS`]).
    /// Default [`DEFAULT_VERSION_NAME`]; Kfops' form is [`KFOPS_VERSION_NAME`].
    pub version_name: String,
    /// The description of each new pipeline version, a template like `version_name`.
    /// Default empty (Kfops sends none).
    pub version_description: String,
    /// Run parameters, TOML values converted to JSON (datetimes and nan/inf are rejected).
    pub run_arguments: BTreeMap<String, serde_json::Value>,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            name: String::new(),
            description: String::new(),
            mode: PipelineMode::Package,
            package_path: DEFAULT_PACKAGE_PATH.to_owned(),
            pipeline_path: String::new(),
            pipeline_function_name: None,
            compile_image: String::new(),
            compile_command: DEFAULT_COMPILE_COMMAND.to_owned(),
            checkout_image: DEFAULT_CHECKOUT_IMAGE.to_owned(),
            version_name: DEFAULT_VERSION_NAME.to_owned(),
            version_description: String::new(),
            run_arguments: BTreeMap::new(),
        }
    }
}

/// `pipeline.mode`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PipelineMode {
    /// The compiled package committed at `package_path`.
    #[default]
    Package,
    /// Compiled from `pipeline_path` by a pod in the cluster.
    Compile,
}

/// `[deployment]`: the KServe InferenceService.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeploymentConfig {
    /// InferenceService name. Default: `repository.name`.
    pub inference_service_name: String,
    /// InferenceService manifest template, relative to the repository root.
    pub template_path: String,
    /// Sample request body sent to the new revision of a canary deploy before it gets the
    /// traffic, relative to the repository root. Empty (the default): no sample test.
    pub sample_input_path: String,
    /// The cluster's ingress gateway (`http://host:port`): when set, the sample request goes
    /// there with the `Host` of the revision's `latest` tag (and deploys set KServe's
    /// tag-routing annotation); unset, through the Kubernetes API server's service proxy.
    pub ingress_url: Option<String>,
    /// How long to wait for the InferenceService to become ready. Default 300.
    pub ready_timeout_seconds: u64,
    /// `[deployment.production]`: target of `/deploy`.
    #[serde(deserialize_with = "production_environment")]
    pub production: EnvironmentConfig,
    /// `[deployment.staging]`: target of `/staging_deploy`.
    #[serde(deserialize_with = "staging_environment")]
    pub staging: EnvironmentConfig,
}

impl Default for DeploymentConfig {
    fn default() -> Self {
        DeploymentConfig {
            inference_service_name: String::new(),
            template_path: DEFAULT_TEMPLATE_PATH.to_owned(),
            sample_input_path: String::new(),
            ingress_url: None,
            ready_timeout_seconds: DEFAULT_READY_TIMEOUT_SECONDS,
            production: EnvironmentConfig::production(),
            staging: EnvironmentConfig::staging(),
        }
    }
}

/// `[deployment.production]` / `[deployment.staging]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentConfig {
    /// Namespace of the InferenceService. Default `production` / `staging`.
    pub namespace: String,
}

impl EnvironmentConfig {
    /// The default production target.
    pub fn production() -> Self {
        EnvironmentConfig {
            namespace: DEFAULT_PRODUCTION_NAMESPACE.to_owned(),
        }
    }

    /// The default staging target.
    pub fn staging() -> Self {
        EnvironmentConfig {
            namespace: DEFAULT_STAGING_NAMESPACE.to_owned(),
        }
    }
}

/// The file form of an environment table (defaults differ per environment).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnvironment {
    namespace: Option<String>,
}

fn production_environment<'de, D: Deserializer<'de>>(d: D) -> Result<EnvironmentConfig, D::Error> {
    let raw = RawEnvironment::deserialize(d)?;
    Ok(EnvironmentConfig {
        namespace: raw
            .namespace
            .unwrap_or_else(|| DEFAULT_PRODUCTION_NAMESPACE.to_owned()),
    })
}

fn staging_environment<'de, D: Deserializer<'de>>(d: D) -> Result<EnvironmentConfig, D::Error> {
    let raw = RawEnvironment::deserialize(d)?;
    Ok(EnvironmentConfig {
        namespace: raw
            .namespace
            .unwrap_or_else(|| DEFAULT_STAGING_NAMESPACE.to_owned()),
    })
}

/// `[image_builder]`: Kaniko builds of the images the pipeline uses.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImageBuilderConfig {
    /// Registry (and path prefix) the images are pushed to; required when `images` is
    /// non-empty, e.g. `registry.example.com/acme`.
    pub registry: Option<String>,
    /// Push over plain HTTP / skip TLS verification. Default `false`.
    pub insecure: bool,
    /// Kaniko pod template, relative to the repository root. Default `kaniko/pod.yaml`.
    pub pod_template_path: String,
    /// `[[image_builder.images]]`: the images to build.
    pub images: Vec<ImageConfig>,
    /// How each image's build context is laid out. Default [`BuildContext::Kfops`].
    pub context: BuildContext,
    /// Image of the init container that assembles a `kfops` context (needs `git` and `sh`).
    pub git_image: String,
    /// Kubernetes Secret (in the build namespace) with the git credentials of a private
    /// repository: keys `username` and `password` (a token). `None`: a public repository.
    pub git_secret: Option<String>,
}

/// `image_builder.context`: the build context each Kaniko pod gets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BuildContext {
    /// As Kfops: the Dockerfile's folder is the context root, each of `other_folders` is
    /// copied into it under its last path segment (assembled by an init container).
    #[default]
    Kfops,
    /// The whole repository at the PR head (Kaniko's git context); `--dockerfile` is
    /// `<dockerfile_folder>/Dockerfile`. `other_folders` is refused (the repository has them).
    Repository,
}

impl Default for ImageBuilderConfig {
    fn default() -> Self {
        ImageBuilderConfig {
            registry: None,
            insecure: false,
            pod_template_path: DEFAULT_POD_TEMPLATE_PATH.to_owned(),
            images: Vec::new(),
            context: BuildContext::default(),
            git_image: DEFAULT_GIT_IMAGE.to_owned(),
            git_secret: None,
        }
    }
}

/// One `[[image_builder.images]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageConfig {
    /// Image name (required, unique, characters `a-z 0-9 . _ - /`).
    pub name: String,
    /// Folder holding the `Dockerfile`, relative to the repository root (required).
    pub dockerfile_folder: String,
    /// Other folders copied into the build context (as Kfops: each under its last path
    /// segment). Default empty.
    #[serde(default)]
    pub other_folders: Vec<String>,
}

/// `[ui]`: the console.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiConfig {
    /// Lines kept per log pane. Default 1 000 000, at least [`MIN_SCROLLBACK`].
    pub scrollback: usize,
    /// Colour theme, one of [`THEMES`]. Default `default`.
    pub theme: String,
    /// Pull request list refresh period. Default 30, at least [`MIN_REFRESH_SECONDS`].
    pub refresh_seconds: u64,
    /// `[ui.keys]`: action name -> keys (a key or a list of keys in the file; `[]`
    /// unbinds). Key names are checked by the key map, not here.
    #[serde(deserialize_with = "key_bindings")]
    pub keys: BTreeMap<String, Vec<String>>,
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig {
            scrollback: DEFAULT_SCROLLBACK,
            theme: DEFAULT_THEME.to_owned(),
            refresh_seconds: DEFAULT_REFRESH_SECONDS,
            keys: BTreeMap::new(),
        }
    }
}

/// `[audit]`: where the console and the headless commands record the actions they start.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// The JSON-lines audit file; `None` = `$XDG_STATE_HOME/kfops/audit.jsonl`
    /// (`~/.local/state/kfops/audit.jsonl`). `$KFOPS_AUDIT_LOG` overrides both.
    pub path: Option<std::path::PathBuf>,
}

/// A string or a list of strings in the file.
#[derive(Deserialize)]
#[serde(untagged, expecting = "expected a string or an array of strings")]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl From<OneOrMany> for Vec<String> {
    fn from(value: OneOrMany) -> Self {
        match value {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    OneOrMany::deserialize(d).map(Vec::from)
}

/// A key binding in the file: a key name or a list of key names.
#[derive(Deserialize)]
#[serde(untagged, expecting = "expected a key name or an array of key names")]
enum KeyBinding {
    One(String),
    Many(Vec<String>),
}

fn key_bindings<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, Vec<String>>, D::Error> {
    let raw = BTreeMap::<String, KeyBinding>::deserialize(d)?;
    Ok(raw
        .into_iter()
        .map(|(action, binding)| {
            let keys = match binding {
                KeyBinding::One(k) => vec![k],
                KeyBinding::Many(ks) => ks,
            };
            (action, keys)
        })
        .collect())
}

/// One `[[projects]]` entry: a model repository with its own Kfops settings. The shared
/// tables (`[github]`, `[cluster]`, the rest of `[kfp]`, `[ui]`, `[audit]`) stay top level.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectConfig {
    /// `repository` (required): the project's GitHub repository.
    pub repository: RepositoryConfig,
    /// `kfp`: the project's experiment and profile namespace.
    #[serde(default)]
    pub kfp: ProjectKfpConfig,
    /// `pipeline`: the project's KFP pipeline.
    #[serde(default)]
    pub pipeline: PipelineConfig,
    /// `deployment`: the project's InferenceService and its namespaces.
    #[serde(default)]
    pub deployment: DeploymentConfig,
    /// `image_builder`: the project's Kaniko images.
    #[serde(default)]
    pub image_builder: ImageBuilderConfig,
}

/// `[projects.kfp]`: the per-project part of `[kfp]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProjectKfpConfig {
    /// KFP experiment. Default: the project's `repository.name`.
    pub experiment_name: String,
    /// Kubeflow profile namespace of the project's runs. Default: the top-level `kfp.namespace`.
    pub namespace: Option<String>,
}
