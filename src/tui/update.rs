//! The reducer: `update(&mut App, Msg) -> Vec<Command>`. Pure: no I/O, no clock, no terminal,
//! so every behaviour is testable with plain `#[test]`s.

use crossterm::event::{KeyEvent, KeyEventKind};

use super::app::{App, Failing, Level, Overlay, PaneId};
use super::dialogs::command_line::Entered;
use super::layout::Areas;
use super::msg::Msg;
use super::panes::prs::{LoadState, PrPane};
use super::update_logs::{on_builds_listed, on_log_event, on_logs_action, on_picker_key};
use crate::chatops::{ChatCommand, DeployTarget};
use crate::effects::Command;
use crate::keys::{Action, Context};
use crate::logs::LogEvent;

/// The first effects when the console starts: load the PRs, watch the deployment targets.
pub fn init(app: &mut App) -> Vec<Command> {
    let mut commands = request_prs(app);
    commands.extend(super::update_targets::watch(app));
    commands
}

/// Applies one message to the state and returns the effects to carry out; marks the app
/// dirty when the message can have changed what is on screen.
pub fn update(app: &mut App, msg: Msg) -> Vec<Command> {
    let visible = can_show(app, &msg);
    let dropped = app.logs.store.dropped();
    let commands = dispatch(app, msg);
    // Lines of a build not shown can still push shown lines out of the scrollback.
    if visible || app.logs.store.dropped() != dropped {
        app.dirty = true;
    }
    commands
}

/// Whether a message can change the screen. Key releases and lines for streams of a build
/// that is not shown (or of no stream at all) cannot; anything else is assumed to.
fn can_show(app: &App, msg: &Msg) -> bool {
    fn log_event(app: &App, ev: &LogEvent) -> bool {
        match ev {
            LogEvent::Batch(events) => events.iter().any(|e| log_event(app, e)),
            LogEvent::Lines { pod, .. } => app.logs.is_shown(pod),
            // Statuses and phases also show in the earlier-builds picker.
            LogEvent::Status { .. } | LogEvent::Phase { .. } => true,
        }
    }
    match msg {
        Msg::Key(key) => key.kind != KeyEventKind::Release,
        Msg::Log(ev) => log_event(app, ev),
        // A tick moves spinners and clocks: nothing to redraw when none is shown.
        Msg::Tick { .. } => app.animating(),
        _ => true,
    }
}

fn dispatch(app: &mut App, msg: Msg) -> Vec<Command> {
    match msg {
        Msg::Key(key) if key.kind != KeyEventKind::Release => on_key(app, key),
        Msg::Key(_) => Vec::new(),
        Msg::Mouse(mouse) => super::update_mouse::on_mouse(app, mouse),
        Msg::Resize { width, height } => {
            app.size = ratatui::layout::Rect::new(0, 0, width, height);
            app.prs.ensure_visible(Areas::of_app(app).prs);
            Vec::new()
        }
        Msg::Tick { now } => {
            if app.animating() {
                app.now = app.now.max(now);
            }
            Vec::new()
        }
        Msg::RefreshDue { now } => {
            app.now = app.now.max(now);
            // The timer ticks at the configured interval; a low or exhausted budget skips
            // ticks until the paced time (`refresh_pace.rs`).
            if app.prs.refreshing || !app.pace.due(now) {
                Vec::new()
            } else {
                request_prs(app)
            }
        }
        Msg::PrsLoaded {
            generation,
            at,
            result,
            budget,
        } => {
            app.now = app.now.max(at);
            if generation != app.prs_generation {
                return Vec::new(); // a newer load is in flight; this answer is stale
            }
            match result {
                Ok(items) => {
                    app.pace.loaded(budget, at);
                    app.prs.set_items(items, at);
                    app.prs.ensure_visible(Areas::of_app(app).prs);
                    app.status.failing = None;
                }
                Err(err) => {
                    app.pace.failed(&err, at);
                    app.prs.refreshing = false;
                    if app.prs.load != LoadState::Loaded {
                        app.prs.load = LoadState::Failed;
                    }
                    let previous = app.status.failing.take();
                    app.status.failing = Some(Failing::after(previous, err.to_string(), at));
                }
            }
            Vec::new()
        }
        Msg::ProjectsLoaded {
            generation,
            at,
            results,
            budget,
        } => {
            app.now = app.now.max(at);
            if generation != app.prs_generation {
                return Vec::new(); // stale
            }
            app.pace.loaded(budget, at);
            for err in results.iter().filter_map(|(_, r)| r.as_ref().err()) {
                app.pace.failed(err, at);
            }
            on_projects_loaded(app, at, results);
            Vec::new()
        }
        Msg::Log(ev) => on_log_event(app, ev),
        Msg::BuildsListed {
            project,
            pr,
            result,
        } => on_builds_listed(app, (project, pr), result),
        Msg::Action { project, event } => super::update_actions::on_event(app, project, event),
        Msg::RunLoaded { run_id, result } => {
            super::update_graph::on_run_loaded(app, run_id, result)
        }
        Msg::RunsListed {
            project,
            pr,
            result,
        } => super::update_graph::on_runs_listed(app, (project, pr), result),
        Msg::Target(ev) => super::update_targets::on_event(app, ev),
        Msg::AuditLoaded(result) => super::update_audit::on_loaded(app, result),
        Msg::AuditFailed(error) => {
            app.say(super::app::Level::Error, error);
            Vec::new()
        }
        Msg::LogSaved {
            asked,
            lines,
            result,
        } => super::update_search::on_saved(app, &asked, lines, result),
    }
}

/// Every project's answer: the PRs of those that loaded replace theirs; those that failed
/// keep their last good PRs, are named in the PR pane and make the refresh "failing".
fn on_projects_loaded(
    app: &mut App,
    at: chrono::DateTime<chrono::Utc>,
    results: Vec<(
        usize,
        Result<Vec<crate::domain::PullRequest>, crate::backends::BackendError>,
    )>,
) {
    let mut errors = Vec::new();
    let mut any_ok = false;
    for (project, result) in results {
        match result {
            Ok(items) => {
                any_ok = true;
                if let Some(p) = app.projects.get_mut(project) {
                    p.failure = None;
                }
                app.prs.set_project_items(project, items);
            }
            Err(err) => {
                let name = match app.projects.get_mut(project) {
                    Some(p) => {
                        p.failure = Some(err.to_string());
                        p.repo.clone()
                    }
                    None => String::new(),
                };
                errors.push(format!("{name}: {err}"));
            }
        }
    }
    app.prs.refreshing = false;
    if any_ok || app.prs.load == LoadState::Loaded {
        let all = std::mem::take(&mut app.prs.all);
        app.prs.set_items(all, at);
        app.prs.ensure_visible(Areas::of_app(app).prs);
    } else {
        app.prs.load = LoadState::Failed;
    }
    if errors.is_empty() {
        app.status.failing = None;
        return;
    }
    let previous = app.status.failing.take();
    app.status.failing = Some(Failing::after(previous, errors.join("; "), at));
}

/// `P`: all projects → the first → the second … → all; the deployment targets follow.
fn switch_project(app: &mut App) -> Vec<Command> {
    if app.projects.len() <= 1 {
        app.say(Level::Info, "only one project is configured");
        return Vec::new();
    }
    let next = match app.project_filter {
        None => Some(0),
        Some(p) if p + 1 < app.projects.len() => Some(p + 1),
        Some(_) => None,
    };
    let commands = show_project(app, next);
    app.say(Level::Info, format!("showing {}", app.header()));
    commands
}

/// Shows `filter`'s PRs (`None`: every project's) and that project's deployment targets (the
/// first one's for all): the switcher's step, and `--project` at start. Returns the watch of
/// the new targets when they changed.
pub fn show_project(app: &mut App, filter: Option<usize>) -> Vec<Command> {
    let before = app.targets_project();
    app.project_filter = filter.filter(|&p| p < app.projects.len());
    app.prs.set_filter(app.project_filter);
    app.prs.ensure_visible(Areas::of_app(app).prs);
    let now = app.targets_project();
    if now == before {
        return Vec::new();
    }
    match app.project(now) {
        Some(p) => {
            app.targets = p.targets_pane();
            super::update_targets::watch(app)
        }
        None => Vec::new(),
    }
}

/// A refresh asked for (a key, the command line): refused while GitHub's rate limit holds.
fn refresh_now(app: &mut App) -> Vec<Command> {
    if let Some(until) = app.pace.held(app.now) {
        let text = app.pace.status(app.now);
        app.say(
            Level::Warn,
            text.unwrap_or_else(|| format!("GitHub rate limit: next refresh at {until}")),
        );
        return Vec::new();
    }
    request_prs(app)
}

pub(crate) fn request_prs(app: &mut App) -> Vec<Command> {
    app.prs_generation += 1;
    app.prs.refreshing = true;
    if app.prs.load != LoadState::Loaded {
        app.prs.load = LoadState::Loading;
    }
    vec![Command::LoadPrs {
        generation: app.prs_generation,
    }]
}

/// A key press: read in the context of what is open (a dialog, prompt, overlay or picker,
/// else the screen), so dialog keys act only there and typing in a text input types.
pub(crate) fn on_key(app: &mut App, key: KeyEvent) -> Vec<Command> {
    match &mut app.overlay {
        // Quit's keys that do not type (ctrl-c) leave the line; its others type.
        Overlay::Command(line) => match app.keymap.action_in(Context::TextInput, &key) {
            Some(Action::Cancel | Action::Quit) => {
                app.overlay = Overlay::None;
                Vec::new()
            }
            Some(Action::Confirm) => match line.parse() {
                Ok(entered) => {
                    app.overlay = Overlay::None;
                    on_entered(app, entered)
                }
                Err(err) => {
                    line.error = Some(err);
                    Vec::new()
                }
            },
            _ => {
                line.edit(key);
                Vec::new()
            }
        },
        Overlay::Deploy(dialog) => {
            use super::dialogs::deploy_confirm::Outcome;
            match dialog.key(key, &app.keymap) {
                Outcome::Open => Vec::new(),
                Outcome::Cancelled => {
                    let (pr, target) = (dialog.pr, dialog.target);
                    app.overlay = Overlay::None;
                    app.say(
                        super::app::Level::Info,
                        format!(
                            "/{} on #{pr} cancelled; nothing was sent",
                            target.command_name()
                        ),
                    );
                    Vec::new()
                }
                Outcome::Confirmed { force } => {
                    let Overlay::Deploy(dialog) = std::mem::take(&mut app.overlay) else {
                        return Vec::new();
                    };
                    super::update_actions::confirmed_deploy(app, &dialog, force)
                }
            }
        }
        Overlay::Prompt(_) => super::update_search::on_prompt_key(app, key),
        Overlay::Quit => super::update_actions::on_quit_key(app, &key),
        Overlay::Audit(_) => super::update_audit::on_key(app, &key),
        Overlay::Help(scroll) => {
            match app.keymap.action_in(Context::Help, &key) {
                Some(Action::Quit) => return super::update_actions::request_quit(app),
                Some(Action::Cancel | Action::Help) => app.overlay = Overlay::None,
                Some(Action::Down) => *scroll = scroll.saturating_add(1),
                Some(Action::Up) => *scroll = scroll.saturating_sub(1),
                Some(Action::Top) => *scroll = 0,
                _ => {}
            }
            Vec::new()
        }
        Overlay::None => {
            if app.focus == PaneId::Logs {
                if let Some(commands) = on_picker_key(app, &key) {
                    return commands;
                }
            }
            if app.focus == PaneId::Graph {
                if let Some(commands) = super::update_graph::on_picker_key(app, &key) {
                    return commands;
                }
            }
            match app.keymap.action_for(&key) {
                Some(action) => on_action(app, action),
                None => Vec::new(),
            }
        }
    }
}

fn on_entered(app: &mut App, entered: Entered) -> Vec<Command> {
    match entered {
        Entered::Quit => super::update_actions::request_quit(app),
        Entered::Help => {
            app.overlay = Overlay::Help(0);
            Vec::new()
        }
        Entered::Refresh => refresh_now(app),
        Entered::Chat(cmd) => chat(app, cmd),
    }
}

fn on_action(app: &mut App, action: Action) -> Vec<Command> {
    if app.focus == PaneId::Graph {
        if let Some(commands) = super::update_graph::on_graph_action(app, action) {
            return commands;
        }
    }
    if app.focus == PaneId::Targets {
        if let Some(commands) = super::update_targets::on_action(app, action) {
            return commands;
        }
    }
    let before = app.focus;
    let mut commands = on_global_action(app, action);
    if app.zoom.is_some() && app.focus != before {
        app.zoom = Some(app.focus); // a zoomed console shows the focused pane
    }
    if app.focus == PaneId::Graph && before != PaneId::Graph {
        commands.extend(super::update_graph::on_focus(app));
    }
    commands
}

fn on_global_action(app: &mut App, action: Action) -> Vec<Command> {
    let prs_area = Areas::of_app(app).prs;
    let page = isize::try_from(PrPane::visible_rows(prs_area)).unwrap_or(10);
    match action {
        Action::Quit => return super::update_actions::request_quit(app),
        Action::Audit => return super::update_audit::open(app),
        Action::SwitchProject => return switch_project(app),
        Action::Help => app.overlay = Overlay::Help(0),
        Action::CommandLine => app.overlay = Overlay::Command(Box::default()),
        Action::Refresh => return refresh_now(app),
        Action::Zoom => {
            app.zoom = match app.zoom {
                Some(_) => None,
                None => Some(app.focus),
            };
        }
        Action::FocusNext => app.focus = app.focus.next(),
        Action::FocusPrev => app.focus = app.focus.prev(),
        Action::FocusPrs => app.focus = PaneId::Prs,
        Action::FocusLogs => app.focus = PaneId::Logs,
        Action::FocusGraph => app.focus = PaneId::Graph,
        Action::FocusTargets => app.focus = PaneId::Targets,
        Action::Up
        | Action::Down
        | Action::PageUp
        | Action::PageDown
        | Action::Top
        | Action::Bottom => {
            if app.focus == PaneId::Prs {
                match action {
                    Action::Up => app.prs.move_by(-1),
                    Action::Down => app.prs.move_by(1),
                    Action::PageUp => app.prs.move_by(-page),
                    Action::PageDown => app.prs.move_by(page),
                    Action::Top => app.prs.select_first(),
                    _ => app.prs.select_last(),
                }
                app.prs.ensure_visible(prs_area);
            } else if app.focus == PaneId::Logs {
                return on_logs_action(app, action);
            }
        }
        Action::LogsFollow
        | Action::LogsLayout
        | Action::LogsTimestamps
        | Action::LogsWrap
        | Action::LogsNextStream
        | Action::LogsPrevStream
        | Action::LogsBuilds => return on_logs_action(app, action),
        Action::LogsSearch
        | Action::LogsSearchNext
        | Action::LogsSearchPrev
        | Action::LogsFilter
        | Action::LogsSaveView
        | Action::LogsSaveStream => return super::update_search::on_action(app, action),
        Action::GraphRuns => return super::update_graph::open_picker(app),
        // Graph-only keys outside the graph pane do nothing.
        Action::Left
        | Action::Right
        | Action::GraphOpen
        | Action::GraphToggleGroup
        | Action::GraphPanLeft
        | Action::GraphPanRight
        | Action::GraphPanUp
        | Action::GraphPanDown
        | Action::GraphAscii => {}
        // Dialog actions are never looked up on the screen (`Context::Screen`).
        Action::Confirm | Action::Cancel | Action::Yes | Action::No => {}
        Action::Build => return chat(app, ChatCommand::Build),
        Action::Run => return chat(app, ChatCommand::Run),
        Action::BuildRun => return chat(app, ChatCommand::BuildRun),
        Action::Deploy | Action::StagingDeploy => {
            let target = if action == Action::Deploy {
                DeployTarget::Production
            } else {
                DeployTarget::Staging
            };
            return chat(
                app,
                ChatCommand::Deploy {
                    target,
                    run_id: None,
                    force: false,
                    allow_run_of_pr: None,
                },
            );
        }
    }
    Vec::new()
}

/// A Kfops action on the selected PR, from a key or the command line.
fn chat(app: &mut App, cmd: ChatCommand) -> Vec<Command> {
    super::update_actions::start(app, cmd)
}

#[cfg(test)]
#[path = "update_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "update_progress_tests.rs"]
mod progress_tests;

#[cfg(test)]
#[path = "update_budget_tests.rs"]
mod budget_tests;
