//! The reducer part for Kfops actions: starting one on the selected PR (with the console's
//! safety rules) and following its progress.

use super::app::{App, Level, Overlay, RunningAction};
use super::dialogs::deploy_confirm::DeployConfirm;
use super::format::age;
use super::msg::Command;
use super::update_logs::open_stream;
use crate::chatops::{ChatCommand, DeployTarget};
use crate::engine::{ActionEvent, ActionKind};

/// A Kfops action on the selected PR, from a key or the command line. Nothing is sent in
/// read-only mode, or when an action is already running on the PR.
pub fn start(app: &mut App, cmd: ChatCommand) -> Vec<Command> {
    let Some(pr) = app.prs.selected_pr().map(|p| p.number) else {
        app.say(
            Level::Error,
            format!("{cmd}: no PR selected; wait for the list or press ctrl-r"),
        );
        return Vec::new();
    };
    if app.read_only {
        app.say(Level::Warn, format!("read-only: {cmd} on #{pr} not sent"));
        return Vec::new();
    }
    if let Some(running) = app.actions.get(&pr) {
        app.say(
            Level::Warn,
            format!(
                "{} is already running on #{pr} ({}, started {} ago); {cmd} not sent",
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
        open_confirm(app, pr, run_id.clone());
        return Vec::new();
    }
    begin(app, pr, cmd)
}

/// Opens the production deploy confirmation for a PR.
fn open_confirm(app: &mut App, pr: u64, run_id: Option<String>) {
    let Some(p) = app.prs.items.iter().find(|p| p.number == pr) else {
        return;
    };
    let mut d = DeployConfirm::new(
        pr,
        p.title.clone(),
        DeployTarget::Production,
        app.production_namespace.clone(),
    );
    d.explicit_run = run_id.is_some();
    d.run_id = run_id.or_else(|| p.last_run_id.clone());
    d.behind_by = p.behind_by;
    d.current = serving_now(app, DeployTarget::Production);
    app.overlay = Overlay::Deploy(Box::new(d));
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
    };
    if app.actions.contains_key(&d.pr) {
        app.say(
            Level::Warn,
            format!("an action is already running on #{}; {cmd} not sent", d.pr),
        );
        return Vec::new();
    }
    begin(app, d.pr, cmd)
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

/// A key in the quit confirmation: `y` quits, anything else keeps the actions running.
pub fn on_quit_key(app: &mut App, key: &crossterm::event::KeyEvent) -> Vec<Command> {
    if super::dialogs::quit_confirm::quits(key) {
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
fn begin(app: &mut App, pr: u64, cmd: ChatCommand) -> Vec<Command> {
    app.actions.insert(
        pr,
        RunningAction {
            kind: ActionKind::of(&cmd),
            started: app.now,
            step: "starting".into(),
            step_no: 0,
        },
    );
    app.say(Level::Info, format!("{cmd} on #{pr} started"));
    vec![Command::StartAction { pr, cmd }]
}

/// Progress of a running action.
pub fn on_event(app: &mut App, ev: ActionEvent) -> Vec<Command> {
    match ev {
        ActionEvent::Step { pr, text } => {
            if let Some(running) = app.actions.get_mut(&pr) {
                running.step = text.clone();
                let kind = running.kind;
                if let Some(n) = crate::engine::progress::step_number(kind, running.step_no, &text)
                {
                    running.step_no = n;
                }
                app.say(Level::Info, format!("{kind} on #{pr}: {text}"));
            }
            Vec::new()
        }
        ActionEvent::BuildPod {
            image,
            pod,
            version_id,
            phase,
            ..
        } => {
            let commands = open_stream(app, pod.clone(), image, version_id);
            app.logs.set_phase(&pod, &phase);
            commands
        }
        ActionEvent::RunStarted { pr, run_id } => {
            app.say(Level::Info, format!("#{pr}: run {run_id} started"));
            super::update_graph::on_run_started(app, pr, &run_id)
        }
        ActionEvent::RunProgress { run, .. } => super::update_graph::on_run_progress(app, run),
        ActionEvent::Done {
            pr,
            action,
            outcome,
        } => {
            app.actions.remove(&pr);
            match outcome {
                Ok(summary) => app.say(Level::Info, format!("✓ {action} on #{pr}: {summary}")),
                Err(err) => app.say(
                    Level::Error,
                    format!(
                        "✗ {action} on #{pr} failed at {}: {}",
                        err.step, err.message
                    ),
                ),
            }
            // The PR's comments changed (version / run IDs): reload the list.
            super::update::request_prs(app)
        }
    }
}
