//! The reducer's part for the build logs pane: its keys, the followers' events, the builds
//! picker. Pure like the rest of `update`.

use crossterm::event::KeyEvent;

use super::app::{App, Level, PaneId, PrId};
use super::layout::Areas;
use super::panes::logs::{BuildPicker, PickerState};
use crate::backends::BackendError;
use crate::domain::PodRef;
use crate::effects::Command;
use crate::keys::{Action, Context};
use crate::logs::{BuildInfo, LogEvent, StreamStatus};

/// A navigation or logs action while the logs pane is focused (logs actions also from other
/// panes: they only ever change this pane).
pub fn on_logs_action(app: &mut App, action: Action) -> Vec<Command> {
    let area = Areas::of_app(app).logs;
    let pane = &mut app.logs;
    let vp = pane.viewport(area);
    let page = vp.height.saturating_sub(1).max(1);
    match action {
        Action::Up => pane.scroll_up(1, vp),
        Action::Down => pane.scroll_down(1, vp),
        Action::PageUp => pane.scroll_up(page, vp),
        Action::PageDown => pane.scroll_down(page, vp),
        Action::Top => pane.scroll_to_top(),
        Action::Bottom => pane.follow(),
        Action::LogsFollow => pane.toggle_follow(vp),
        Action::LogsLayout => pane.toggle_layout(),
        Action::LogsTimestamps => pane.timestamps = !pane.timestamps,
        Action::LogsWrap => pane.wrap = !pane.wrap,
        Action::LogsNextStream => pane.select_stream(1),
        Action::LogsPrevStream => pane.select_stream(-1),
        Action::LogsBuilds => return open_picker(app),
        _ => {}
    }
    Vec::new()
}

/// `o`: the builds of the selected PR (closes the picker when it is open).
fn open_picker(app: &mut App) -> Vec<Command> {
    if app.logs.picker.take().is_some() {
        return Vec::new();
    }
    let Some((project, pr)) = app.prs.selected_id() else {
        app.say(
            Level::Error,
            "builds: no PR selected; select one in the PR pane first",
        );
        return Vec::new();
    };
    app.focus = PaneId::Logs;
    let mut picker = BuildPicker::loading(pr);
    picker.project = project;
    app.logs.picker = Some(picker);
    vec![Command::ListBuilds { project, pr }]
}

/// Keys while the picker is open and the pane focused: `None` when the key is not the
/// picker's (the normal key handling goes on).
pub fn on_picker_key(app: &mut App, key: &KeyEvent) -> Option<Vec<Command>> {
    let picker = app.logs.picker.as_mut()?;
    let page = 10;
    match app.keymap.action_in(Context::BuildPicker, key)? {
        Action::Cancel | Action::LogsBuilds => app.logs.picker = None,
        Action::Confirm => {
            let chosen = picker.chosen().cloned();
            app.logs.picker = None;
            return Some(chosen.map(|b| open_build(app, &b)).unwrap_or_default());
        }
        a => picker.move_by(a.list_step(page)?),
    }
    Some(Vec::new())
}

/// Opens every pod of a build (following running pods, fetching finished ones once) and
/// shows it.
pub fn open_build(app: &mut App, build: &BuildInfo) -> Vec<Command> {
    let mut commands = Vec::new();
    for p in &build.pods {
        let new = app
            .logs
            .open_stream(p.pod.clone(), p.image.clone(), build.group.clone());
        app.logs.set_phase(&p.pod, &p.phase);
        if new {
            commands.push(if p.is_terminal() {
                Command::FetchLogs { pod: p.pod.clone() }
            } else {
                Command::FollowLogs { pod: p.pod.clone() }
            });
        }
    }
    app.logs.show_group(&build.group);
    app.focus = PaneId::Logs;
    commands
}

/// Opens a pod's stream under a build and returns the command that follows it (nothing when
/// the stream was already open). For the build wiring.
pub fn open_stream(app: &mut App, pod: PodRef, title: String, group: String) -> Vec<Command> {
    if app.logs.open_stream(pod.clone(), title, group) {
        vec![Command::FollowLogs { pod }]
    } else {
        Vec::new()
    }
}

/// Forgets a build's streams and stops their followers.
pub fn clear_group(app: &mut App, group: &str) -> Vec<Command> {
    app.logs
        .clear_group(group)
        .into_iter()
        .map(|pod| Command::StopLogs { pod })
        .collect()
}

/// A follower's lines or status.
pub fn on_log_event(app: &mut App, ev: LogEvent) -> Vec<Command> {
    match ev {
        LogEvent::Lines { pod, lines } => {
            app.logs.append(&pod, lines);
        }
        LogEvent::Status { pod, status } => {
            if let StreamStatus::Failed(reason) = &status {
                if let Some(s) = app.logs.stream(&pod) {
                    let text = format!("logs of {} ({}): {reason}", s.title, pod.name);
                    app.say(Level::Warn, text);
                }
            }
            app.logs.set_status(&pod, status);
        }
        LogEvent::Phase { pod, phase } => app.logs.set_phase(&pod, &phase),
        LogEvent::Batch(events) => {
            return events
                .into_iter()
                .flat_map(|e| on_log_event(app, e))
                .collect();
        }
    }
    Vec::new()
}

/// The answer to [`Command::ListBuilds`]: fills the picker if it is still open for that PR.
pub fn on_builds_listed(
    app: &mut App,
    pr: PrId,
    result: Result<Vec<BuildInfo>, BackendError>,
) -> Vec<Command> {
    let Some(picker) = app.logs.picker.as_mut().filter(|p| (p.project, p.pr) == pr) else {
        return Vec::new();
    };
    picker.selected = 0;
    picker.state = match result {
        Ok(builds) => PickerState::Loaded(builds),
        Err(e) => PickerState::Failed(e.to_string()),
    };
    Vec::new()
}

#[cfg(test)]
#[path = "update_logs_tests.rs"]
mod tests;
