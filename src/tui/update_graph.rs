//! The reducer part for the run graph pane: which run it shows, live updates, node selection,
//! folding, panning, the run picker, and opening a task's pod logs.

use std::time::Duration;

use crossterm::event::KeyEvent;

use super::app::{App, Level, PaneId, PrId};
use super::layout::Areas;
use super::panes::graph::RunPicker;
use super::update_logs::open_stream;
use crate::backends::kfp::Run;
use crate::backends::BackendError;
use crate::domain::PodRef;
use crate::effects::{Command, LoadedRun};
use crate::graph::Direction;
use crate::keys::{Action, Context};

/// How often a run that is not final (and not reported by a running action) is reloaded.
pub const RUN_REFRESH: Duration = Duration::from_secs(2);

/// Shows a run of a PR in the pane, loading it (with its spec).
pub fn show_run(app: &mut App, (project, pr): PrId, run_id: &str) -> Vec<Command> {
    app.graph.show(pr, run_id);
    app.graph.project = project;
    app.graph.loading = true;
    vec![Command::LoadRun {
        project,
        run_id: run_id.to_string(),
        spec: true,
        after: None,
    }]
}

/// When the graph pane is focused on a PR it is not showing: show the PR's last run.
pub fn on_focus(app: &mut App) -> Vec<Command> {
    let Some(pr) = app.prs.selected_pr().cloned() else {
        return Vec::new();
    };
    let same = app.graph.pr == Some(pr.number) && app.graph.project == pr.project;
    if same || app.graph.picker.is_some() {
        return Vec::new();
    }
    match &pr.last_run_id {
        Some(run_id) => show_run(app, (pr.project, pr.number), run_id),
        None => {
            app.graph.pr = Some(pr.number);
            app.graph.project = pr.project;
            let label = app.pr_label((pr.project, pr.number));
            app.say(
                Level::Info,
                format!("{label}: no completed run yet; p lists its runs, r starts one"),
            );
            Vec::new()
        }
    }
}

/// A loaded run: build the graph (first time), apply the tasks, and keep it live.
pub fn on_run_loaded(
    app: &mut App,
    run_id: String,
    result: Result<LoadedRun, BackendError>,
) -> Vec<Command> {
    if app.graph.run_id().is_some_and(|id| id != run_id)
        || (app.graph.run.is_none() && !app.graph.loading)
    {
        return Vec::new(); // the pane moved on to another run
    }
    app.graph.loading = false;
    match result {
        Err(e) => {
            app.graph.error = Some(e.to_string());
            app.say(Level::Error, e.to_string());
            Vec::new()
        }
        Ok(LoadedRun { run, spec }) => {
            if let Some((version, spec)) = spec {
                app.graph.set_spec(&version, &spec);
            }
            let live = !run.state.is_final();
            app.graph.set_run(run);
            let project = app.graph.project;
            let reported_by_action = app
                .graph
                .pr
                .is_some_and(|pr| app.actions.contains_key(&(project, pr)));
            if live && !reported_by_action {
                vec![Command::LoadRun {
                    project,
                    run_id,
                    spec: app.graph.graph.is_none(),
                    after: Some(RUN_REFRESH),
                }]
            } else {
                Vec::new()
            }
        }
    }
}

/// A running action started a run: show it.
pub fn on_run_started(app: &mut App, pr: PrId, run_id: &str) -> Vec<Command> {
    show_run(app, pr, run_id)
}

/// A running action reported its run.
pub fn on_run_progress(app: &mut App, run: Box<Run>) -> Vec<Command> {
    if app.graph.run_id().is_some_and(|id| id != run.run_id) {
        return Vec::new();
    }
    let needs_spec = app.graph.graph.is_none() && !app.graph.loading;
    let run_id = run.run_id.clone();
    app.graph.set_run(run);
    if needs_spec {
        app.graph.loading = true;
        return vec![Command::LoadRun {
            project: app.graph.project,
            run_id,
            spec: true,
            after: None,
        }];
    }
    Vec::new()
}

/// The PR's runs arrived for the picker.
pub fn on_runs_listed(
    app: &mut App,
    pr: PrId,
    result: Result<Vec<Run>, BackendError>,
) -> Vec<Command> {
    let Some(picker) = &mut app.graph.picker else {
        return Vec::new();
    };
    if (picker.project, picker.pr) != pr {
        return Vec::new();
    }
    picker.loading = false;
    match result {
        Ok(runs) => {
            // Select the run shown, if listed.
            let shown = app.graph.run.as_ref().map(|r| r.run_id.clone());
            picker.selected = runs
                .iter()
                .position(|r| Some(&r.run_id) == shown.as_ref())
                .unwrap_or(0);
            picker.runs = runs;
        }
        Err(e) => {
            app.graph.picker = None;
            app.say(Level::Error, e.to_string());
        }
    }
    Vec::new()
}

/// Keys while the run picker is open (it takes every key); `None` when the picker is closed.
pub fn on_picker_key(app: &mut App, key: &KeyEvent) -> Option<Vec<Command>> {
    let picker = app.graph.picker.as_mut()?;
    let action = app.keymap.action_in(Context::RunPicker, key);
    if let Some(step) = action.and_then(|a| a.list_step(10)) {
        picker.move_by(step);
        return Some(Vec::new());
    }
    match action {
        Some(Action::Cancel | Action::GraphRuns) => app.graph.picker = None,
        Some(Action::Confirm) => {
            let pr = (picker.project, picker.pr);
            let chosen = picker.runs.get(picker.selected).map(|r| r.run_id.clone());
            app.graph.picker = None;
            if let Some(run_id) = chosen {
                return Some(show_run(app, pr, &run_id));
            }
        }
        // Rollback / redeploy: deploy the chosen run, with the same confirmations.
        Some(action @ (Action::Deploy | Action::StagingDeploy)) => {
            let chosen = picker.runs.get(picker.selected).cloned();
            let Some(run) = chosen else {
                return Some(Vec::new());
            };
            if run.state != crate::backends::kfp::RuntimeState::Succeeded {
                app.say(
                    Level::Warn,
                    format!(
                        "run {} is {}: only a succeeded run can be deployed",
                        run.run_id, run.state
                    ),
                );
                return Some(Vec::new());
            }
            app.graph.picker = None;
            let target = if action == Action::Deploy {
                crate::chatops::DeployTarget::Production
            } else {
                crate::chatops::DeployTarget::Staging
            };
            let cmd = crate::chatops::ChatCommand::Deploy {
                target,
                run_id: Some(run.run_id),
                force: false,
                allow_run_of_pr: None,
            };
            return Some(super::update_actions::start(app, cmd));
        }
        Some(Action::Quit) => return Some(super::update_actions::request_quit(app)),
        _ => {}
    }
    Some(Vec::new())
}

/// Actions while the graph pane is focused; `None` for actions it does not handle.
pub fn on_graph_action(app: &mut App, action: Action) -> Option<Vec<Command>> {
    let area = Areas::of_app(app).graph;
    let pane = &mut app.graph;
    match action {
        Action::Up => pane.move_selection(Direction::Up, area),
        Action::Down => pane.move_selection(Direction::Down, area),
        Action::Left => pane.move_selection(Direction::Left, area),
        Action::Right => pane.move_selection(Direction::Right, area),
        Action::GraphPanLeft => pane.pan(-8, 0, area),
        Action::GraphPanRight => pane.pan(8, 0, area),
        Action::GraphPanUp => pane.pan(0, -4, area),
        Action::GraphPanDown => pane.pan(0, 4, area),
        Action::GraphAscii => pane.view.ascii = !pane.view.ascii,
        Action::GraphToggleGroup => {
            if !pane.toggle_group() {
                app.say(Level::Info, "the selected task is not a sub-DAG or loop");
            }
        }
        Action::GraphOpen => return Some(open_task(app)),
        _ => return None,
    }
    Some(Vec::new())
}

/// `p`: the run picker of the selected PR (from the PR or graph pane).
pub fn open_picker(app: &mut App) -> Vec<Command> {
    let Some((project, pr)) = app.prs.selected_id() else {
        app.say(Level::Error, "no PR selected");
        return Vec::new();
    };
    app.focus = PaneId::Graph;
    app.graph.picker = Some(RunPicker {
        project,
        pr,
        runs: Vec::new(),
        selected: 0,
        loading: true,
    });
    vec![Command::ListRuns { project, pr }]
}

/// Enter on a task: its details, and its pod's log in the logs pane.
fn open_task(app: &mut App) -> Vec<Command> {
    app.graph.details = true;
    let Some(task) = app.graph.selected_task() else {
        return Vec::new();
    };
    let Some(pod_name) = task.pod_name.clone() else {
        let name = task.display_name.clone();
        app.say(
            Level::Info,
            format!("{name}: no pod (not started, or a sub-DAG)"),
        );
        return Vec::new();
    };
    let title = task.display_name.clone();
    let group = app
        .graph
        .run_id()
        .map(|id| format!("run {}", crate::tui::format::short_id(id)))
        .unwrap_or_default();
    let pod = PodRef {
        namespace: app.kfp_namespace_of(app.graph.project).to_string(),
        name: pod_name,
        container: Some("main".into()),
    };
    let mut commands = open_stream(app, pod.clone(), title, group.clone());
    app.logs.show_group(&group);
    if commands.is_empty() {
        // Already open: show it again from the start.
        commands.push(Command::FollowLogs { pod });
    }
    commands
}
