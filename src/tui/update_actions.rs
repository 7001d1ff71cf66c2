//! The reducer part for Kfops actions: starting one on the selected PR (with the console's
//! safety rules) and following its progress.

use super::app::{App, Level, RunningAction};
use super::format::age;
use super::msg::Command;
use super::update_logs::open_stream;
use crate::chatops::ChatCommand;
use crate::engine::{ActionEvent, ActionKind};

/// Actions the engine performs in this version; the others say so and send nothing.
fn available(cmd: &ChatCommand) -> bool {
    matches!(
        cmd,
        ChatCommand::Build | ChatCommand::Run | ChatCommand::BuildRun
    )
}

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
    if !available(&cmd) {
        app.say(
            Level::Warn,
            format!("{cmd} on #{pr}: not available yet in this version of kfops-console; nothing was sent"),
        );
        return Vec::new();
    }
    app.actions.insert(
        pr,
        RunningAction {
            kind: ActionKind::of(&cmd),
            started: app.now,
            step: "starting".into(),
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
