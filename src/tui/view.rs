//! Drawing the whole console from `&App`: no state changes, no I/O.

use ratatui::Frame;

use super::app::{App, Overlay, PaneId};
use super::dialogs::{command_line, help};
use super::layout::Areas;
use super::panes::{empty, logs, prs};
use super::status_bar;

/// Draws every pane, the status bar and any overlay.
pub fn draw(frame: &mut Frame, app: &App) {
    let areas = Areas::of(frame.area());
    let theme = &app.theme;
    prs::render(
        frame,
        areas.prs,
        &app.prs,
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
    for pane in [PaneId::Graph, PaneId::Targets] {
        empty::render(frame, areas.of_pane(pane), pane, app.focus == pane, theme);
    }
    status_bar::render(frame, areas.status, app);
    match &app.overlay {
        Overlay::None => {}
        Overlay::Help(scroll) => help::render(frame, frame.area(), &app.keymap, *scroll, theme),
        Overlay::Command(line) => command_line::render(frame, frame.area(), line, theme),
    }
}
