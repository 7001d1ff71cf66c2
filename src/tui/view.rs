//! Drawing the whole console from `&App`: no state changes, no I/O.

use ratatui::Frame;

use super::app::{App, Overlay, PaneId};
use super::dialogs::{audit, command_line, deploy_confirm, help, prompt, quit_confirm};
use super::layout::Areas;
use super::panes::prs::LoadState;
use super::panes::{graph, logs, prs, targets};
use super::status_bar;

/// Draws every pane, the status bar and any overlay.
pub fn draw(frame: &mut Frame, app: &App) {
    let areas = Areas::zoomed(frame.area(), app.zoom);
    let theme = &app.theme;
    prs::render(
        frame,
        areas.prs,
        &app.prs,
        &app.projects,
        &app.actions,
        app.now,
        app.focus == PaneId::Prs,
        theme,
    );
    // The logs pane draws its own empty state when no stream is open.
    logs::render(
        frame,
        areas.logs,
        &app.logs,
        app.now,
        app.focus == PaneId::Logs,
        theme,
    );
    graph::render(
        frame,
        areas.graph,
        &app.graph,
        app.now,
        app.focus == PaneId::Graph,
        theme,
    );
    // The targets pane shows one project's service: only that project's PRs name what it serves.
    let shown = app.targets_project();
    let project_prs: Vec<crate::domain::PullRequest> = app
        .prs
        .all
        .iter()
        .filter(|p| p.project == shown)
        .cloned()
        .collect();
    let prs = (app.prs.load == LoadState::Loaded).then_some(project_prs.as_slice());
    targets::render(
        frame,
        areas.targets,
        &app.targets,
        prs,
        app.now,
        app.focus == PaneId::Targets,
        theme,
    );
    status_bar::render(frame, areas.status, app);
    match &app.overlay {
        Overlay::None => {}
        Overlay::Help(scroll) => help::render(frame, frame.area(), &app.keymap, *scroll, theme),
        Overlay::Command(line) => {
            command_line::render(frame, frame.area(), line, &app.keymap, theme)
        }
        Overlay::Deploy(dialog) => {
            deploy_confirm::render(frame, frame.area(), dialog, &app.keymap, theme)
        }
        Overlay::Quit => quit_confirm::render(
            frame,
            frame.area(),
            &app.actions,
            app.now,
            &app.keymap,
            theme,
        ),
        Overlay::Audit(view) => audit::render(frame, frame.area(), view, &app.keymap, theme),
        Overlay::Prompt(p) => {
            // Over the bottom of the logs pane; over the screen's when the pane is hidden.
            let area = if areas.logs.height >= 3 {
                areas.logs
            } else {
                frame.area()
            };
            prompt::render(frame, area, p, &app.keymap, theme);
        }
    }
}
