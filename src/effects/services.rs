//! The services effects run on: one [`ProjectServices`] per repository (its config, GitHub
//! client and action engine), looked up by the project index of a `PrId`, over the shared
//! cluster, KFP and audit log.

use std::sync::Arc;
use std::time::Duration;

use crate::audit::AuditLog;
use crate::backends::cluster::Cluster;
use crate::backends::error::Service;
use crate::backends::github::GitHub;
use crate::backends::BackendError;
use crate::chatops::ChatCommand;
use crate::config::Config;
use crate::engine::{ActionError, ActionEvent, Backends, InFlight};

/// Everything the effects of one front end use.
#[derive(Debug, Clone)]
pub struct Services {
    /// Every project, in config order (one with a single repository); a `PrId`'s project
    /// index points into it.
    pub projects: Vec<ProjectServices>,
    /// The Kubernetes cluster of `[cluster]` (`None` when it could not be reached: the
    /// status bar says why, and log commands answer with that error).
    pub cluster: Option<Cluster>,
    /// Where actions are recorded (`None`: no place known; the status bar says so).
    pub audit: Option<AuditLog>,
}

/// One project's clients: its settings, its repository and its action engine.
#[derive(Debug, Clone)]
pub struct ProjectServices {
    /// The project's full config (its repository, pipeline, deployment… over the shared
    /// tables).
    pub config: Arc<Config>,
    pub github: GitHub,
    /// What its actions need (`None` when a backend could not be set up: actions then end
    /// at once with that reason).
    pub engine: Option<Engine>,
}

/// The action engine's inputs: every backend, the config, and the PRs with an action running.
#[derive(Debug, Clone)]
pub struct Engine {
    pub backends: Backends,
    pub config: Arc<Config>,
    pub in_flight: InFlight,
    /// How often a running pipeline run is polled.
    pub run_poll: Duration,
}

impl Engine {
    /// An engine of `config`'s project on `backends`, polling runs at the default pace.
    pub fn new(backends: Backends, config: Arc<Config>) -> Engine {
        Engine {
            backends,
            config,
            in_flight: InFlight::default(),
            run_poll: crate::engine::run::DEFAULT_POLL,
        }
    }

    /// Performs a Kfops action on PR `pr` of this engine's project (one at a time per PR:
    /// `InFlight`), its progress to `emit`; the outcome's summary.
    pub async fn perform(
        &self,
        pr: u64,
        cmd: &ChatCommand,
        emit: &(dyn Fn(ActionEvent) + Send + Sync),
    ) -> Result<String, ActionError> {
        let (b, cfg) = (&self.backends, &self.config);
        crate::engine::perform(b, cfg, &self.in_flight, pr, cmd, self.run_poll, emit).await
    }
}

impl Services {
    /// The services of `project` (an index into [`Services::projects`]).
    pub fn project(&self, project: usize) -> Option<&ProjectServices> {
        self.projects.get(project)
    }

    /// The GitHub client of `project`.
    pub fn github_of(&self, project: usize) -> Option<&GitHub> {
        self.project(project).map(|p| &p.github)
    }

    /// The action engine of `project`: its config is that project's.
    pub fn engine_of(&self, project: usize) -> Option<&Engine> {
        self.project(project).and_then(|p| p.engine.as_ref())
    }

    /// Every project's engine, to adjust them together (tests shorten the run polling).
    pub fn engines_mut(&mut self) -> impl Iterator<Item = &mut Engine> {
        self.projects.iter_mut().filter_map(|p| p.engine.as_mut())
    }
}

/// No KFP: the backends could not be set up at start.
pub fn no_kfp(what: &str) -> BackendError {
    BackendError::new(Service::Kfp, what, "not connected to KFP").with_hint(
        "check [kfp] and [cluster] in the config; the reason is in the status bar at start",
    )
}

/// No cluster: it could not be reached at start.
pub fn no_cluster(what: &str) -> BackendError {
    BackendError::new(Service::Kubernetes, what, "not connected to a cluster")
        .with_hint("check [cluster] in the config; the reason is in the status bar at start")
}

/// An error as the targets pane shows it: the pane already says what and where.
pub fn pane_text(e: &BackendError) -> String {
    match &e.hint {
        Some(hint) => format!("{} ({hint})", e.message),
        None => e.message.clone(),
    }
}
