//! The console's whole state. Plain data: no I/O, no terminal.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use ratatui::layout::Rect;

use super::dialogs::audit::AuditView;
use super::dialogs::command_line::CommandLine;
use super::dialogs::deploy_confirm::DeployConfirm;
use super::dialogs::prompt::Prompt;
use super::panes::graph::GraphPane;
use super::panes::logs::LogsPane;
use super::panes::prs::PrPane;
use super::panes::targets::TargetsPane;
use super::project::ProjectState;
use super::theme::Theme;
use crate::engine::ActionKind;
use crate::keys::KeyMap;

/// The four panes named in the mission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaneId {
    Prs,
    Logs,
    Graph,
    Targets,
}

impl PaneId {
    pub const ALL: [PaneId; 4] = [PaneId::Prs, PaneId::Logs, PaneId::Graph, PaneId::Targets];

    pub fn title(self) -> &'static str {
        match self {
            PaneId::Prs => "Pull requests",
            PaneId::Logs => "Build logs",
            PaneId::Graph => "Run graph",
            PaneId::Targets => "Deployment targets",
        }
    }

    pub fn next(self) -> PaneId {
        let i = PaneId::ALL.iter().position(|p| *p == self).unwrap_or(0);
        PaneId::ALL[(i + 1) % PaneId::ALL.len()]
    }

    pub fn prev(self) -> PaneId {
        let i = PaneId::ALL.iter().position(|p| *p == self).unwrap_or(0);
        PaneId::ALL[(i + PaneId::ALL.len() - 1) % PaneId::ALL.len()]
    }
}

/// What is drawn over the panes.
#[derive(Debug, Default)]
pub enum Overlay {
    #[default]
    None,
    /// The help overlay, scrolled by this many lines.
    Help(u16),
    Command(Box<CommandLine>),
    /// The production deploy confirmation.
    Deploy(Box<DeployConfirm>),
    /// A one-line prompt over the logs pane (search pattern, save path).
    Prompt(Box<Prompt>),
    /// Quitting while actions run: asked first (default No).
    Quit,
    /// The audit log's recent entries (`A`).
    Audit(Box<AuditView>),
}

/// How serious a status-bar message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// A one-line message in the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusMessage {
    pub level: Level,
    pub text: String,
    pub at: DateTime<Utc>,
}

/// A failure that keeps happening (e.g. the periodic refresh): shown with since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failing {
    pub text: String,
    pub since: DateTime<Utc>,
    pub count: u32,
}

impl Failing {
    /// The failure after `previous` (if it was already failing): the new text, counted from
    /// the first failure.
    pub fn after(previous: Option<Failing>, text: String, at: DateTime<Utc>) -> Failing {
        match previous {
            Some(f) => Failing {
                text,
                since: f.since,
                count: f.count + 1,
            },
            None => Failing {
                text,
                since: at,
                count: 1,
            },
        }
    }
}

/// The status bar's content.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    pub message: Option<StatusMessage>,
    pub failing: Option<Failing>,
    /// A warning that stays for the whole session (e.g. a config file holding the token is
    /// readable by others).
    pub warning: Option<String>,
}

/// A PR as the console knows it: (project index, PR number). With one repository the
/// project is always 0.
pub type PrId = (usize, u64);

/// The console's state.
#[derive(Debug)]
pub struct App {
    /// Every project, in config order, looked up by the project index of a [`PrId`]
    /// ([`App::project`]); never empty (a single repository is one project).
    pub projects: Vec<ProjectState>,
    /// The project switcher (`P`): `None` shows every project's PRs in one list.
    pub project_filter: Option<usize>,
    /// A short name of where the data comes from (`demo`, `github.com`).
    pub source: String,
    pub read_only: bool,
    /// Read-only for lack of a GitHub token: how to give one (`export GITHUB_TOKEN=…`).
    pub no_token: Option<String>,
    pub focus: PaneId,
    /// The pane shown full screen (`z`), if any.
    pub zoom: Option<PaneId>,
    pub overlay: Overlay,
    pub prs: PrPane,
    /// The build logs pane (its store, streams and scroll positions).
    pub logs: LogsPane,
    /// The run graph pane.
    pub graph: GraphPane,
    /// The deployment targets pane: the InferenceService of [`App::targets_project`].
    pub targets: TargetsPane,
    pub status: Status,
    pub keymap: KeyMap,
    pub theme: Theme,
    /// The terminal size, for layout-dependent paging and mouse hits.
    pub size: Rect,
    /// The latest time the console has heard of (from messages), for ages.
    pub now: DateTime<Utc>,
    /// Generation of the last PR load asked for.
    pub prs_generation: u64,
    /// When the PR list is refreshed next, paced by GitHub's request budget.
    pub pace: super::refresh_pace::RefreshPace,
    /// Kfops actions running, by PR: a second action on a PR is refused until it ends.
    pub actions: BTreeMap<PrId, RunningAction>,
    /// The deploy commands of running deploys, to ask again when one is refused for deploying
    /// another PR's run.
    pub deploys_sent: BTreeMap<PrId, crate::chatops::ChatCommand>,
    pub should_quit: bool,
    /// The audit file, as shown in the audit overlay's title.
    pub audit_path: String,
    /// Something on screen may have changed since the last frame (set by the reducer,
    /// cleared by the runner when it draws).
    pub dirty: bool,
}

/// A Kfops action the console started and that has not ended yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningAction {
    pub kind: ActionKind,
    pub started: DateTime<Utc>,
    /// The step it is at (the last progress line).
    pub step: String,
    /// The number of the phase it is at (0 before the first; see `engine::progress`).
    pub step_no: usize,
}

impl RunningAction {
    /// `(3, 7)`: the phase it is at and how many there are (`None` before the first step).
    pub fn step_numbers(&self) -> Option<(usize, usize)> {
        let total = crate::engine::progress::step_count(self.kind);
        (self.step_no > 0).then(|| (self.step_no.min(total), total))
    }

    /// `step 3/7` (empty before the first step).
    pub fn step_of(&self) -> String {
        self.step_numbers()
            .map(|(n, total)| format!("step {n}/{total}"))
            .unwrap_or_default()
    }

    /// `3/7 · 1m12s · uploading pipeline demo…`: compact, as the PR row has little room; the
    /// step text (last: the first to be cut on a narrow screen) cut to `width` columns.
    pub fn progress(&self, now: DateTime<Utc>, width: usize) -> String {
        let mut parts = Vec::new();
        if let Some((n, total)) = self.step_numbers() {
            parts.push(format!("{n}/{total}"));
        }
        parts.push(super::format::elapsed(self.started, now));
        parts.push(super::format::ellipsize(&self.step, width));
        parts.join(" · ")
    }
}

impl App {
    pub fn new(repo: impl Into<String>, source: impl Into<String>, keymap: KeyMap) -> App {
        use crate::keys::Action;
        let mut logs = LogsPane::default();
        logs.follow_key = keymap.describe(Action::LogsFollow);
        logs.picker_hint = keymap.fill("{confirm} open · {cancel} close");
        let graph = GraphPane {
            run_key: keymap.hint(Action::Run),
            ..GraphPane::default()
        };
        App {
            projects: vec![ProjectState::new(repo)],
            project_filter: None,
            source: source.into(),
            read_only: false,
            no_token: None,
            focus: PaneId::Prs,
            zoom: None,
            overlay: Overlay::None,
            prs: PrPane::default(),
            logs,
            graph,
            targets: TargetsPane::default(),
            status: Status::default(),
            keymap,
            theme: Theme::default(),
            size: Rect::new(0, 0, 120, 40),
            now: DateTime::<Utc>::UNIX_EPOCH,
            prs_generation: 0,
            pace: Default::default(),
            actions: BTreeMap::new(),
            deploys_sent: BTreeMap::new(),
            should_quit: false,
            audit_path: String::new(),
            dirty: true,
        }
    }

    /// Whether something animated is on screen (a spinner, a running clock): an action in
    /// flight, or a load the panes show as in progress. The runner ticks only while it holds.
    pub fn animating(&self) -> bool {
        !self.actions.is_empty()
            || self.prs.refreshing
            || self.prs.load == super::panes::prs::LoadState::Loading
            || self.graph.loading
            || self.graph.picker.as_ref().is_some_and(|p| p.loading)
            || self
                .logs
                .picker
                .as_ref()
                .is_some_and(|p| matches!(p.state, super::panes::logs::PickerState::Loading))
    }

    /// The spinner's current frame.
    pub fn spinner(&self) -> &'static str {
        super::format::spinner(self.now)
    }

    /// What a deployment target serves now, in words (for the confirmation dialog).
    pub fn serving_now(&self, target: crate::chatops::DeployTarget) -> String {
        self.targets.serving_now(target)
    }

    /// Replaces the projects (in config order; an empty list is ignored) and shows the
    /// deployment targets of the one the switcher shows.
    pub fn set_projects(&mut self, projects: Vec<ProjectState>) {
        if projects.is_empty() {
            return;
        }
        self.projects = projects;
        self.project_filter = self.project_filter.filter(|&p| p < self.projects.len());
        if let Some(p) = self.project(self.targets_project()) {
            self.targets = p.targets_pane();
        }
    }

    /// The project of index `index` (the first element of a [`PrId`]).
    pub fn project(&self, index: usize) -> Option<&ProjectState> {
        self.projects.get(index)
    }

    /// What the header names: the repository, or with several projects the one shown
    /// (`all projects (2)` when the switcher shows them all).
    pub fn header(&self) -> String {
        match (&self.projects[..], self.project_filter) {
            ([only], _) => only.repo.clone(),
            (all, filter) => match filter.and_then(|p| all.get(p)) {
                Some(p) => p.repo.clone(),
                None => format!("all projects ({})", all.len()),
            },
        }
    }

    /// Where the pipeline task pods of `project`'s runs are (empty for an unknown project).
    pub fn kfp_namespace_of(&self, project: usize) -> &str {
        self.project(project).map_or("", |p| &p.kfp_namespace)
    }

    /// `#N`, or `owner/name#N` when the console watches several projects.
    pub fn pr_label(&self, (project, number): PrId) -> String {
        match self.project(project) {
            Some(p) if self.projects.len() > 1 => format!("{}#{number}", p.repo),
            _ => format!("#{number}"),
        }
    }

    /// The project whose deployment targets are shown: the one the switcher shows, else the
    /// first.
    pub fn targets_project(&self) -> usize {
        self.project_filter.unwrap_or(0)
    }

    /// Puts an info/warn/error message in the status bar.
    pub fn say(&mut self, level: Level, text: impl Into<String>) {
        self.status.message = Some(StatusMessage {
            level,
            text: text.into(),
            at: self.now,
        });
    }
}
