//! Wiring: from a config (or the demo) to a running console or simulator. `main.rs` only
//! parses the command line and maps errors to exit codes.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use color_eyre::eyre::{eyre, WrapErr};

use crate::audit::AuditLog;
use crate::backends::cluster::Cluster;
use crate::backends::github::GitHub;
use crate::backends::kfp::{Kfp, KfpEndpoint, KfpIdentity};
use crate::backends::BackendError;
use crate::config::{self, Config, ProjectChoice};
use crate::effects::{Engine, ProjectServices, Services};
use crate::engine::{ActionKind, Backends};
use crate::keys::KeyMap;
use crate::tui::app::Level;
use crate::tui::project::ProjectState;
use crate::tui::runner;
use crate::tui::theme::Theme;
use crate::tui::App;
use kfops_sim::{Scenario, Simulator};

/// The config `kfops demo` starts from (before the simulator's URLs are filled in).
pub const DEMO_CONFIG: &str = include_str!("../assets/demo/kfops.toml");

/// The token `kfops demo` gives its embedded simulator (a placeholder, not a credential).
pub const DEMO_TOKEN: &str = "kfops-demo-token";

/// A problem with what the user gave us (config, keys): reported before the terminal is
/// touched, exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The demo's second model repository (`[[github.extra_repositories]]` of the demo scenario).
pub const DEMO_SECOND_REPOSITORY: (&str, &str) = ("acme-ml", "fraud-model");

/// The demo config pointed at a running simulator: two projects, the one of
/// `assets/demo/kfops.toml` and [`DEMO_SECOND_REPOSITORY`] with default settings.
pub fn demo_config(sim: &Simulator) -> Result<Config, UsageError> {
    let mut cfg = config::parse(DEMO_CONFIG, Path::new("<embedded demo config>"))
        .map_err(|e| UsageError(e.to_string()))?;
    let first = config::ProjectConfig {
        repository: cfg.repository.clone(),
        kfp: config::ProjectKfpConfig {
            experiment_name: cfg.kfp.experiment_name.clone(),
            namespace: None,
        },
        pipeline: cfg.pipeline.clone(),
        deployment: cfg.deployment.clone(),
        image_builder: cfg.image_builder.clone(),
    };
    let (owner, name) = DEMO_SECOND_REPOSITORY;
    let second = config::ProjectConfig {
        repository: config::RepositoryConfig {
            owner: owner.into(),
            name: name.into(),
        },
        kfp: config::ProjectKfpConfig::default(),
        pipeline: config::PipelineConfig {
            description: "Card fraud scorer".into(),
            ..config::PipelineConfig::default()
        },
        deployment: config::DeploymentConfig::default(),
        image_builder: config::ImageBuilderConfig::default(),
    };
    cfg.projects = vec![first, second];
    cfg.github.api_url = sim.github_url();
    cfg.cluster.server = Some(sim.kube_url());
    cfg.kfp.endpoint = Some(sim.kfp_url());
    // The embedded simulator accepts any token; without one its private demo repository would
    // be 404 and writes 401, as on GitHub. Never the operator's own token ($GITHUB_TOKEN).
    cfg.github.token = Some(config::Secret::new(DEMO_TOKEN));
    cfg.github.token_env.clear();
    // Simulated actions are kept apart from the real audit trail.
    cfg.audit.path = crate::state_dir::kfops_state_dir().map(|d| d.join("demo-audit.jsonl"));
    Ok(cfg)
}

/// Everything the console needs, built from a config without touching the terminal.
pub struct Console {
    pub app: App,
    pub services: Services,
    pub refresh: Duration,
}

impl Console {
    /// Opens on the project `project` names (`--project` or `$KFOPS_PROJECT`) instead of
    /// every project: the PR pane filtered as the switcher (`P`) would, and that project's
    /// deployment targets. An unknown name is refused naming where it came from.
    pub fn show_project(
        &mut self,
        cfg: &Config,
        project: ProjectChoice<'_>,
    ) -> Result<(), UsageError> {
        let index = cfg
            .project_index(project.name)
            .map_err(|e| UsageError(format!("{}: {e}", project.source())))?;
        if self.app.projects.len() > 1 {
            // No watch to start here: the console starts the targets' watch (`update::init`)
            // on the targets set now.
            crate::tui::update::show_project(&mut self.app, Some(index));
        }
        Ok(())
    }
}

/// Builds the console's state and services from a config. `source` names where the data
/// comes from in the status bar.
pub fn console(cfg: &Config, read_only: bool, source: &str) -> Result<Console, UsageError> {
    let keymap = KeyMap::with_overrides(&cfg.ui.keys).map_err(UsageError)?;
    let projects = cfg.project_configs();
    let mut services = Vec::with_capacity(projects.len());
    for p in &projects {
        services.push(ProjectServices {
            github: GitHub::for_project(p).map_err(|e| UsageError(e.to_string()))?,
            config: Arc::new(p.clone()),
            engine: None,
        });
    }
    let first = services
        .first()
        .ok_or_else(|| UsageError("the config names no repository".into()))?;
    // The first project's settings are the top level's (see `config::parse`).
    let mut app = App::new(first.github.repo_slug(), source, keymap);
    app.set_projects(projects.iter().map(ProjectState::of_config).collect());
    app.read_only = read_only || cfg.read_only;
    if !cfg.github_authenticated() {
        crate::tui::update_actions::no_token(&mut app, &cfg.token_fix());
    }
    app.theme = Theme::named(&cfg.ui.theme, crate::color::no_color());
    app.logs.store = crate::logs::LogStore::new(cfg.ui.scrollback);
    let audit = AuditLog::from_config(cfg);
    match &audit {
        Some(a) => app.audit_path = a.path().display().to_string(),
        None => app.say(
            Level::Warn,
            "no audit log: no home directory to keep it in; set [audit] path in the config",
        ),
    }
    Ok(Console {
        app,
        services: Services {
            projects: services,
            cluster: None,
            audit,
        },
        refresh: Duration::from_secs(cfg.ui.refresh_seconds.max(1)),
    })
}

/// Connects the console to `[cluster]` and `[kfp]` for logs and actions; when that fails the
/// console runs without them (PRs still load) and the status bar says why.
pub async fn connect_cluster(cfg: &Config, console: &mut Console) {
    match backends(cfg).await {
        Ok(b) => {
            console.services.cluster = Some(b.cluster.clone());
            // Every project acts in its own repository, with its own settings, over the same
            // cluster and KFP.
            for project in &mut console.services.projects {
                let backends = Backends {
                    github: project.github.clone(),
                    cluster: b.cluster.clone(),
                    kfp: b.kfp.clone(),
                };
                project.engine = Some(Engine::new(backends, project.config.clone()));
            }
        }
        Err(e) => {
            // Logs may still work when only KFP failed.
            console.services.cluster = Cluster::connect(&cfg.cluster).await.ok();
            console.app.say(
                Level::Error,
                format!("{e}; build, run and deploy are not available"),
            );
        }
    }
}

/// Every real client an action needs, from the config: GitHub, the cluster (kubeconfig or
/// `[cluster] server`) and KFP (its URL, or the Kubernetes API service proxy).
pub async fn backends(cfg: &Config) -> Result<Backends, BackendError> {
    // The whole config, for diagnosis: its token prints as `***` (a `Secret`).
    tracing::debug!(config = ?cfg, "connecting the backends");
    let github = GitHub::for_project(cfg)?;
    let cluster = Cluster::connect(&cfg.cluster).await?;
    let (endpoint, _) = KfpEndpoint::from_config(cfg, Some(cluster.client())).await?;
    let identity = KfpIdentity::from_config(cfg, Some(cluster.client()))?;
    let mut kfp = Kfp::new(endpoint)?.with_identity(identity);
    if let Some(ui) = &cfg.kfp.ui_url {
        kfp = kfp.with_ui_url(ui);
    }
    Ok(Backends {
        github,
        cluster,
        kfp,
    })
}

/// The backends of a headless action; with `--json` a connection failure is also said by a
/// final object on stdout (step "connect").
async fn action_backends(
    cfg: &Config,
    pr: u64,
    action: ActionKind,
    json: bool,
) -> Result<Backends, BackendError> {
    backends(cfg).await.inspect_err(|e| {
        if json {
            crate::headless::json::failure(
                &mut std::io::stdout(),
                pr,
                action,
                Some(&cfg.repository.full_name()),
                "connect",
                &e.to_string(),
            );
        }
    })
}

/// `kfops build --pr N`: progress on stdout; `Ok(false)` when the build failed.
pub async fn headless_build(cfg: &Config, pr: u64, json: bool) -> Result<bool, BackendError> {
    let backends = action_backends(cfg, pr, ActionKind::Build, json).await?;
    let mut out = std::io::stdout();
    let audit = AuditLog::from_config(cfg);
    Ok(crate::headless::build::run(&backends, cfg, pr, audit.as_ref(), json, &mut out).await)
}

/// `kfops run --pr N`: progress on stdout; `Ok(false)` when the run failed.
pub async fn headless_run(
    cfg: &Config,
    pr: u64,
    version_id: Option<String>,
    wait: bool,
    json: bool,
) -> Result<bool, BackendError> {
    let backends = action_backends(cfg, pr, ActionKind::Run, json).await?;
    let options = crate::engine::run::RunOptions {
        version_id,
        wait,
        poll: crate::engine::run::DEFAULT_POLL,
    };
    let mut out = std::io::stdout();
    let audit = AuditLog::from_config(cfg);
    Ok(
        crate::headless::run::run(&backends, cfg, pr, options, audit.as_ref(), json, &mut out)
            .await,
    )
}

/// `kfops deploy --pr N`: `Err((exit code, message))` for refusals and connection failures.
pub async fn headless_deploy(
    cfg: &Config,
    pr: u64,
    req: crate::engine::deploy::DeployRequest,
    yes: bool,
    json: bool,
) -> Result<bool, (u8, String)> {
    let backends = action_backends(cfg, pr, ActionKind::Deploy(req.target), json)
        .await
        .map_err(|e| (1, e.to_string()))?;
    let mut out = std::io::stdout();
    let audit = AuditLog::from_config(cfg);
    crate::headless::deploy::run(&backends, cfg, pr, req, yes, audit.as_ref(), json, &mut out).await
}

/// `kfops build-run --pr N`.
pub async fn headless_build_run(cfg: &Config, pr: u64, json: bool) -> Result<bool, BackendError> {
    let backends = action_backends(cfg, pr, ActionKind::BuildRun, json).await?;
    let mut out = std::io::stdout();
    let audit = AuditLog::from_config(cfg);
    Ok(crate::headless::run::build_run(&backends, cfg, pr, audit.as_ref(), json, &mut out).await)
}

/// `kfops runs --pr N [--json]`.
pub async fn headless_runs(cfg: &Config, pr: u64, json: bool) -> Result<bool, BackendError> {
    let backends = backends(cfg).await?;
    let mut out = std::io::stdout();
    crate::headless::run::list(&backends, cfg, pr, json, &mut out).await?;
    Ok(true)
}

/// `kfops logs --pr N`: the PR's build logs on stdout.
pub async fn headless_logs(
    cfg: &Config,
    req: crate::headless::logs::LogsRequest,
) -> Result<bool, BackendError> {
    let cluster = Cluster::connect(&cfg.cluster).await?;
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    let repository = cfg.repository.full_name();
    crate::headless::logs::run(&cluster, &repository, req, &mut out, &mut err).await
}

/// Loads a scenario file, or the embedded demo.
pub fn scenario(path: Option<&Path>) -> color_eyre::Result<Scenario> {
    match path {
        None => Ok(Scenario::demo()),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .wrap_err_with(|| format!("reading scenario {}", p.display()))?;
            Scenario::from_toml_str(&text).map_err(|e| eyre!("{}: {e}", p.display()))
        }
    }
}

/// `kfops demo`: simulator in-process, console on it (on the project `project` names, else
/// on both).
pub async fn demo(
    scenario: Scenario,
    read_only: bool,
    project: Option<ProjectChoice<'_>>,
) -> color_eyre::Result<()> {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), scenario)
        .await
        .wrap_err("starting the simulated environment on 127.0.0.1")?;
    let cfg = demo_config(&sim)?;
    let mut c = console(&cfg, read_only, "demo")?;
    let shown = project.map_or(Ok(()), |p| c.show_project(&cfg, p));
    if let Err(e) = shown.and_then(|()| terminal()) {
        sim.shutdown().await;
        return Err(e.into());
    }
    connect_cluster(&cfg, &mut c).await;
    let result = runner::run(c.app, c.services, c.refresh).await;
    // Stopped, not shut down gracefully: a graceful stop would wait (up to its grace) for the
    // console's open connections, a watch or a request still being answered.
    drop(sim);
    result
}

/// `kfops`: the console on the real services of the config (on the project `project` names,
/// else on all); `warning` (the config file's permissions) stays in the status bar.
pub async fn real(
    cfg: Config,
    read_only: bool,
    warning: Option<String>,
    project: Option<ProjectChoice<'_>>,
) -> color_eyre::Result<()> {
    let source = host_of(&cfg.github.api_url);
    let mut c = console(&cfg, read_only, &source)?;
    if let Some(p) = project {
        c.show_project(&cfg, p)?;
    }
    terminal()?;
    c.app.status.warning = warning;
    connect_cluster(&cfg, &mut c).await;
    runner::run(c.app, c.services, c.refresh).await
}

/// `kfops sim`: serve until Ctrl-C, printing the base URLs.
pub async fn sim(listen: std::net::SocketAddr, scenario: Scenario) -> color_eyre::Result<()> {
    let sim = Simulator::start(listen, scenario)
        .await
        .wrap_err_with(|| format!("listening on {listen}"))?;
    // Written without `println!`: a reader that stops early (`kfops sim | head -1`, a test
    // that found its URL) closes stdout, and the simulator must keep serving.
    let lines = [
        format!(
            "kfops simulated environment listening on http://{}",
            sim.addr()
        ),
        format!("  GitHub API (octocrab base URI): {}", sim.github_url()),
        format!("  Kubernetes API server:          {}", sim.kube_url()),
        format!(
            "  KFP API (v2beta1):              {}/apis/v2beta1",
            sim.kfp_url()
        ),
        format!(
            "  Fault rules (docs/SIMULATOR.md): http://{}/_sim/faults",
            sim.addr()
        ),
        "Press Ctrl-C to stop.".to_owned(),
    ];
    let mut out = std::io::stdout().lock();
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
    let _ = out.flush();
    drop(out);
    tokio::signal::ctrl_c()
        .await
        .wrap_err("waiting for Ctrl-C")?;
    sim.shutdown().await;
    Ok(())
}

/// The console's terminal, checked after the config and keys (their errors come first):
/// without one, a usage error (one line, exit 2) instead of a failed terminal set-up.
fn terminal() -> Result<(), UsageError> {
    crate::tui::terminal::require_terminal().map_err(UsageError)
}

fn host_of(url: &str) -> String {
    url.split("://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or(url)
        .to_string()
}
