//! The reducer part for Kfops actions: starting one on the selected PR (with the console's
//! safety rules) and following its progress.

use super::app::{App, Level, Overlay, PrId, RunningAction};
use super::dialogs::deploy_confirm::DeployConfirm;
use super::format::age;
use super::panes::prs::id_of;
use super::update_logs::open_stream;
use crate::chatops::{ChatCommand, DeployTarget};
use crate::effects::Command;
use crate::engine::{ActionEvent, ActionKind, Refusal};

/// A Kfops action on the selected PR, from a key or the command line. Nothing is sent in
/// read-only mode, or when an action is already running on the PR.
pub fn start(app: &mut App, cmd: ChatCommand) -> Vec<Command> {
    let Some(id) = app.prs.selected_id() else {
        app.say(
            Level::Error,
            format!(
                "{cmd}: no PR selected; wait for the list or press {}",
                app.keymap.hint(crate::keys::Action::Refresh)
            ),
        );
        return Vec::new();
    };
    let label = app.pr_label(id);
    if app.read_only {
        let text = match &app.no_token {
            Some(fix) => format!(
                "read-only (no GitHub token): {cmd} on {label} not sent; {fix} and restart kfops"
            ),
            None => format!("read-only: {cmd} on {label} not sent"),
        };
        app.say(Level::Warn, text);
        return Vec::new();
    }
    if let Some(running) = app.actions.get(&id) {
        app.say(
            Level::Warn,
            format!(
                "{} is already running on {label} ({}, started {} ago); {cmd} not sent",
                running.kind,
                running.step,
                age(running.started, app.now)
            ),
        );
        return Vec::new();
    }
    if let ChatCommand::Deploy {
        target: DeployTarget::Production,
        run_id,
        ..
    } = &cmd
    {
        // Production always asks first (default No); nothing is sent before the answer.
        open_confirm(app, id, run_id.clone());
        return Vec::new();
    }
    begin(app, id, cmd)
}

/// Without a GitHub token every action would be refused by GitHub (401, or 404 for a private
/// repository): the console starts read-only, says so, and `fix` tells how to give one.
pub fn no_token(app: &mut App, fix: &str) {
    app.read_only = true;
    app.no_token = Some(fix.to_owned());
    app.say(
        Level::Warn,
        format!("actions need a GitHub token: {fix} and restart kfops"),
    );
}

/// Opens the production deploy confirmation for a PR.
fn open_confirm(app: &mut App, id: PrId, run_id: Option<String>) {
    let Some(p) = app.prs.items.iter().find(|p| id_of(p) == id) else {
        return;
    };
    // The PR's project's production namespace (another project's may differ).
    let Some(namespace) = target_namespace(app, id, DeployTarget::Production) else {
        return;
    };
    let mut d = DeployConfirm::new(id.1, p.title.clone(), DeployTarget::Production, namespace);
    d.explicit_run = run_id.is_some();
    d.run_id = run_id.or_else(|| p.last_run_id.clone());
    d.behind_by = p.behind_by;
    d.project = id.0;
    d.label = app.pr_label(id);
    // The targets pane watches one project: what another one serves is not known here.
    d.current = if id.0 == app.targets_project() {
        serving_now(app, DeployTarget::Production)
    } else {
        let watched = app.project(app.targets_project());
        format!(
            "not shown (the targets pane watches {}; P shows this PR's project)",
            watched.map_or("another project", |p| p.repo.as_str())
        )
    };
    app.overlay = Overlay::Deploy(Box::new(d));
}

/// The engine refused to deploy `run_id` on a PR because it was built for `other`: the same
/// dialog asks again, wanting `other` typed (nothing is sent before that). Not over another
/// open dialog.
fn ask_run_of_other_pr(app: &mut App, id: PrId, sent: &ChatCommand, run_id: &str, other: u64) {
    let ChatCommand::Deploy { target, force, .. } = sent else {
        return;
    };
    if !matches!(app.overlay, Overlay::None) {
        return;
    }
    let (title, behind_by) = app
        .prs
        .all
        .iter()
        .find(|p| id_of(p) == id)
        .map(|p| (p.title.clone(), p.behind_by))
        .unwrap_or_default();
    let Some(namespace) = target_namespace(app, id, *target) else {
        return;
    };
    let mut d = DeployConfirm::new(id.1, title, *target, namespace).run_of_other_pr(
        run_id.to_string(),
        other,
        *force,
    );
    d.behind_by = behind_by;
    d.project = id.0;
    d.label = app.pr_label(id);
    d.current = if id.0 == app.targets_project() {
        serving_now(app, *target)
    } else {
        "not shown (another project)".to_string()
    };
    app.overlay = Overlay::Deploy(Box::new(d));
}

/// The namespace of `target` in the PR's project (`None` for a project the console does not
/// know).
fn target_namespace(app: &App, id: PrId, target: DeployTarget) -> Option<String> {
    app.project(id.0).map(|p| p.namespace(target).to_string())
}

/// "run 1a2b3c4d from #40 (ready)": what a target serves now, from the targets pane.
fn serving_now(app: &App, target: DeployTarget) -> String {
    app.serving_now(target)
}

/// The operator confirmed the production deploy.
pub fn confirmed_deploy(app: &mut App, d: &DeployConfirm, force: bool) -> Vec<Command> {
    let cmd = ChatCommand::Deploy {
        target: d.target,
        run_id: d.run_id.clone().filter(|_| d.explicit_run),
        force,
        allow_run_of_pr: d.other_pr,
    };
    let id = (d.project, d.pr);
    if app.actions.contains_key(&id) {
        let label = app.pr_label(id);
        app.say(
            Level::Warn,
            format!("an action is already running on {label}; {cmd} not sent"),
        );
        return Vec::new();
    }
    begin(app, id, cmd)
}

/// `q` / ctrl-c / `:q`: quits at once when no action runs; else asks first (default No),
/// naming the running actions.
pub fn request_quit(app: &mut App) -> Vec<Command> {
    if app.actions.is_empty() {
        app.should_quit = true;
    } else {
        app.overlay = Overlay::Quit;
    }
    Vec::new()
}

/// A key in the quit confirmation: `yes` quits, anything else keeps the actions running.
pub fn on_quit_key(app: &mut App, key: &crossterm::event::KeyEvent) -> Vec<Command> {
    if super::dialogs::quit_confirm::quits(key, &app.keymap) {
        app.should_quit = true;
    } else {
        app.overlay = Overlay::None;
        let running = app.actions.len();
        app.say(
            Level::Info,
            format!("not quitting: {running} action(s) still running"),
        );
    }
    Vec::new()
}

/// Marks the PR busy and starts the action.
fn begin(app: &mut App, id: PrId, cmd: ChatCommand) -> Vec<Command> {
    app.actions.insert(
        id,
        RunningAction {
            kind: ActionKind::of(&cmd),
            started: app.now,
            step: "starting".into(),
            step_no: 0,
        },
    );
    let label = app.pr_label(id);
    app.say(Level::Info, format!("{cmd} on {label} started"));
    if matches!(cmd, ChatCommand::Deploy { .. }) {
        app.deploys_sent.insert(id, cmd.clone());
    }
    let (project, pr) = id;
    vec![Command::StartAction { project, pr, cmd }]
}

/// Progress of a running action on a PR of `project`.
pub fn on_event(app: &mut App, project: usize, ev: ActionEvent) -> Vec<Command> {
    match ev {
        ActionEvent::Step { pr, step } => {
            let label = app.pr_label((project, pr));
            if let Some(running) = app.actions.get_mut(&(project, pr)) {
                let text = step.to_string();
                running.step = text.clone();
                let kind = running.kind;
                if let Some(n) = crate::engine::progress::step_number(kind, running.step_no, &step)
                {
                    running.step_no = n;
                }
                app.say(Level::Info, format!("{kind} on {label}: {text}"));
            }
            Vec::new()
        }
        ActionEvent::BuildPod {
            image,
            pod,
            build_id,
            phase,
            ..
        } => {
            let commands = open_stream(app, pod.clone(), image, build_id);
            app.logs.set_phase(&pod, &phase);
            commands
        }
        ActionEvent::RunStarted { pr, run_id } => {
            let label = app.pr_label((project, pr));
            app.say(Level::Info, format!("{label}: run {run_id} started"));
            super::update_graph::on_run_started(app, (project, pr), &run_id)
        }
        ActionEvent::RunProgress { run, .. } => super::update_graph::on_run_progress(app, run),
        ActionEvent::Done {
            pr,
            action,
            outcome,
        } => {
            app.actions.remove(&(project, pr));
            let sent = app.deploys_sent.remove(&(project, pr));
            let label = app.pr_label((project, pr));
            match outcome {
                Ok(summary) => app.say(Level::Info, format!("✓ {action} on {label}: {summary}")),
                Err(err) => {
                    let verb = if err.refusal.is_some() {
                        "refused"
                    } else {
                        "failed"
                    };
                    app.say(
                        Level::Error,
                        format!(
                            "✗ {action} on {label} {verb} at {}: {}",
                            err.step, err.message
                        ),
                    );
                    if let (Some(Refusal::RunOfOtherPr { run_id, pr: other }), Some(sent)) =
                        (&err.refusal, sent)
                    {
                        ask_run_of_other_pr(app, (project, pr), &sent, run_id, *other);
                    }
                }
            }
            // The PR's comments changed (version / run IDs): reload the list.
            super::update::request_prs(app)
        }
    }
}
