//! The deployment targets pane: the staging and production InferenceServices, live from a
//! watch of their namespaces (readiness, URL, traffic split, revisions, canary, the deployed
//! run, and the PR carrying the deployment label). The state here, the drawing in `render.rs`.

use chrono::{DateTime, Utc};

use crate::backends::kserve::{RevisionModel, ServiceState};
use crate::chatops::DeployTarget;
use crate::config::EnvironmentConfig;
use crate::domain::{PullRequest, LABEL_PRODUCTION, LABEL_STAGING};
use crate::effects::targets::TargetChange;
use crate::tui::format::short_id;

/// The targets in the order they are drawn (and selected with Up/Down).
pub const TARGETS: [DeployTarget; 2] = [DeployTarget::Staging, DeployTarget::Production];

/// `staging` / `production`.
pub fn target_name(target: DeployTarget) -> &'static str {
    match target {
        DeployTarget::Staging => "staging",
        DeployTarget::Production => "production",
    }
}

/// The PR label that marks what a target runs.
pub fn target_label(target: DeployTarget) -> &'static str {
    match target {
        DeployTarget::Staging => LABEL_STAGING,
        DeployTarget::Production => LABEL_PRODUCTION,
    }
}

/// How the watch of a target's namespace is doing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum StreamState {
    /// Not listed yet.
    #[default]
    Connecting,
    Watching,
    /// The watch fails and is retried; the last good state stays on screen.
    Failing {
        error: String,
        since: DateTime<Utc>,
        count: u32,
    },
    /// It cannot be watched at all (no cluster): not retried.
    Unavailable(String),
}

/// What the pane knows about one target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    pub namespace: String,
    /// The last good state; `None` is "not deployed" once `listed`.
    pub state: Option<ServiceState>,
    /// A list of the namespace has completed at least once.
    pub listed: bool,
    /// What a relist (`Init` … `InitDone`) has seen so far; it replaces `state` at `InitDone`.
    resync: Option<Option<ServiceState>>,
    /// When `state` last changed.
    pub changed_at: Option<DateTime<Utc>>,
    pub stream: StreamState,
}

impl Target {
    fn new(namespace: &str) -> Target {
        Target {
            namespace: namespace.to_string(),
            ..Target::default()
        }
    }

    fn set_state(&mut self, state: Option<ServiceState>, at: DateTime<Utc>) {
        if self.state != state || !self.listed {
            self.changed_at = Some(at);
        }
        self.state = state;
        self.listed = true;
    }

    /// Applies one change from the watch.
    pub fn apply(&mut self, change: TargetChange, at: DateTime<Utc>) {
        match change {
            TargetChange::Init => {
                self.resync = Some(None);
                self.stream = StreamState::Watching;
            }
            TargetChange::InitApply(state) => match &mut self.resync {
                Some(seen) => *seen = Some(*state),
                None => self.set_state(Some(*state), at),
            },
            TargetChange::InitDone => {
                // Without its `Init` (a relist cut short by an error) it completes nothing.
                if let Some(seen) = self.resync.take() {
                    self.set_state(seen, at);
                    self.stream = StreamState::Watching;
                }
            }
            TargetChange::Apply(state) => {
                self.set_state(Some(*state), at);
                self.stream = StreamState::Watching;
            }
            TargetChange::Deleted => {
                self.set_state(None, at);
                self.stream = StreamState::Watching;
            }
            TargetChange::Error(error) => {
                // A relist cut short is dropped; the watch starts over with a new one.
                self.resync = None;
                self.stream = match std::mem::take(&mut self.stream) {
                    StreamState::Failing { since, count, .. } => StreamState::Failing {
                        error,
                        since,
                        count: count + 1,
                    },
                    _ => StreamState::Failing {
                        error,
                        since: at,
                        count: 1,
                    },
                };
            }
            TargetChange::Unavailable(reason) => {
                self.resync = None;
                self.stream = StreamState::Unavailable(reason);
            }
        }
    }
}

/// State of the deployment targets pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetsPane {
    /// The InferenceService name (`deployment.inference_service_name`), the same in both.
    pub service_name: String,
    pub staging: Target,
    pub production: Target,
    selected: DeployTarget,
}

impl Default for TargetsPane {
    fn default() -> Self {
        TargetsPane::new(
            "",
            &EnvironmentConfig::staging().namespace,
            &EnvironmentConfig::production().namespace,
        )
    }
}

impl TargetsPane {
    pub fn new(service_name: &str, staging_namespace: &str, production_namespace: &str) -> Self {
        TargetsPane {
            service_name: service_name.to_string(),
            staging: Target::new(staging_namespace),
            production: Target::new(production_namespace),
            selected: DeployTarget::Staging,
        }
    }

    pub fn target(&self, target: DeployTarget) -> &Target {
        match target {
            DeployTarget::Staging => &self.staging,
            DeployTarget::Production => &self.production,
        }
    }

    pub fn target_mut(&mut self, target: DeployTarget) -> &mut Target {
        match target {
            DeployTarget::Staging => &mut self.staging,
            DeployTarget::Production => &mut self.production,
        }
    }

    /// The namespace of a target's InferenceService.
    pub fn namespace(&self, target: DeployTarget) -> &str {
        &self.target(target).namespace
    }

    /// What is deployed on a target now, as last seen (`None`: not deployed or not known yet).
    pub fn state(&self, target: DeployTarget) -> Option<&ServiceState> {
        self.target(target).state.as_ref()
    }

    /// What a target serves now, in words for a dialog: `run 1a2b3c4d from #40 (ready)`,
    /// `nothing (not deployed)`, or `unknown (…)` while it is not listed.
    pub fn serving_now(&self, target: DeployTarget) -> String {
        let t = self.target(target);
        let Some(s) = &t.state else {
            return if t.listed {
                "nothing (not deployed)".to_string()
            } else {
                match &t.stream {
                    StreamState::Failing { error, .. } | StreamState::Unavailable(error) => {
                        format!("unknown ({error})")
                    }
                    _ => "unknown (not listed yet)".to_string(),
                }
            };
        };
        let ready = match s.ready {
            Some(true) => "ready",
            Some(false) => "not ready",
            None => "readiness unknown",
        };
        let served = s.served();
        let with_traffic: Vec<_> = served.iter().filter(|x| x.percent > 0).collect();
        if with_traffic.is_empty() {
            // Nothing routed yet (a first rollout): the spec's run.
            return format!("{} ({ready})", run_words(s.main_model().as_ref()));
        }
        let split = with_traffic.len() > 1;
        let mut parts: Vec<String> = with_traffic
            .iter()
            .map(|x| {
                let share = if split {
                    format!(" ({}%)", x.percent)
                } else {
                    String::new()
                };
                format!("{}{share}", run_words(x.model.as_ref()))
            })
            .collect();
        let mut text = format!("{} ({ready})", parts.join(", "));
        parts.clear();
        for x in served.iter().filter(|x| x.percent == 0) {
            parts.push(format!(
                "{} has no traffic ({})",
                run_words(x.model.as_ref()),
                x.note.unwrap_or("0%")
            ));
        }
        if !parts.is_empty() {
            text.push_str("; ");
            text.push_str(&parts.join("; "));
        }
        text
    }

    /// The highlighted target.
    pub fn selected_target(&self) -> DeployTarget {
        self.selected
    }

    pub fn select(&mut self, target: DeployTarget) {
        self.selected = target;
    }

    /// Applies a change seen by a target's watch, at `at`.
    pub fn apply(&mut self, target: DeployTarget, change: TargetChange, at: DateTime<Utc>) {
        self.target_mut(target).apply(change, at);
    }
}

/// `run 1a2b3c4d from #40`, or `an unknown run`.
fn run_words(model: Option<&RevisionModel>) -> String {
    let Some(m) = model else {
        return "an unknown run".to_string();
    };
    let run = match &m.run_id {
        Some(id) => format!("run {}", short_id(id)),
        None => "an unknown run".to_string(),
    };
    let from = m.pr.map(|pr| format!(" from #{pr}")).unwrap_or_default();
    format!("{run}{from}")
}

/// A PR that carries a target's deployment label, or deployed what it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelHolder {
    pub pr: u64,
    /// Whether the PR is open (`None` while the PR list is not loaded).
    pub open: Option<bool>,
    /// Seen with the label in the open PR list (else known only from the service's
    /// `kfops.io/pr` annotation: a merged production PR is no longer listed).
    pub labelled: bool,
}

/// Who carries `target`'s label: the open PRs with it, then the PR named by the deployed
/// service (when it is not one of those). `prs` is `None` while the list is not loaded.
pub fn label_holders(
    target: DeployTarget,
    prs: Option<&[PullRequest]>,
    state: Option<&ServiceState>,
) -> Vec<LabelHolder> {
    let label = target_label(target);
    let mut holders: Vec<LabelHolder> = prs
        .unwrap_or_default()
        .iter()
        .filter(|p| p.labels.iter().any(|l| l == label))
        .map(|p| LabelHolder {
            pr: p.number,
            open: Some(true),
            labelled: true,
        })
        .collect();
    // The PR of the run with the traffic (not the spec's newest annotation).
    if let Some(number) = state.and_then(|s| s.main_model()).and_then(|m| m.pr) {
        if !holders.iter().any(|h| h.pr == number) {
            holders.push(LabelHolder {
                pr: number,
                open: prs.map(|items| items.iter().any(|p| p.number == number)),
                labelled: false,
            });
        }
    }
    holders
}

mod render;
pub use render::render;

#[cfg(test)]
#[path = "targets_tests.rs"]
mod tests;
