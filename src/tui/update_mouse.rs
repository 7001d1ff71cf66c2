//! The reducer part for the mouse. A click focuses the pane under it and picks what is
//! there (a PR row, a grid cell of the logs, a graph node, a picker row, a dialog button);
//! clicking what is already picked opens it, as Enter does. The wheel scrolls the pane, picker
//! or overlay under the pointer. Wheel, "open" and a dialog's No go through the key handling by
//! pressing the key of the action (`Up`, `Down`, `GraphPan…`, `Confirm`, `Cancel`), so they
//! follow remapped keys and do exactly what the keyboard does. Positions come from
//! `layout.rs`, which drawing uses too.

use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};

use super::app::{App, Level, Overlay, PaneId};
use super::layout::{hits, list_index_at, run_picker, Areas, Buttons};
use super::panes::graph::graph_area;
use super::panes::logs::{inner, LogLayout, PickerState};
use crate::effects::Command;
use crate::keys::Action;

/// What the wheel did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wheel {
    Up,
    Down,
    Left,
    Right,
}

/// Applies a mouse event.
pub fn on_mouse(app: &mut App, mouse: MouseEvent) -> Vec<Command> {
    let wheel = match mouse.kind {
        MouseEventKind::ScrollUp if mouse.modifiers.contains(KeyModifiers::SHIFT) => {
            Some(Wheel::Left)
        }
        MouseEventKind::ScrollDown if mouse.modifiers.contains(KeyModifiers::SHIFT) => {
            Some(Wheel::Right)
        }
        MouseEventKind::ScrollUp => Some(Wheel::Up),
        MouseEventKind::ScrollDown => Some(Wheel::Down),
        MouseEventKind::ScrollLeft => Some(Wheel::Left),
        MouseEventKind::ScrollRight => Some(Wheel::Right),
        _ => None,
    };
    let click = mouse.kind == MouseEventKind::Down(MouseButton::Left);
    let (x, y) = (mouse.column, mouse.row);
    if !matches!(app.overlay, Overlay::None) {
        return match wheel {
            Some(w) => overlay_wheel(app, w),
            None if click => overlay_click(app, x, y),
            None => Vec::new(),
        };
    }
    // The run picker floats over the screen while the graph pane is focused.
    if app.focus == PaneId::Graph && app.graph.picker.is_some() {
        return run_picker_mouse(app, wheel, click, x, y);
    }
    let areas = Areas::of_app(app);
    let Some(pane) = areas.pane_at(x, y) else {
        return Vec::new();
    };
    if !click && wheel.is_none() {
        return Vec::new();
    }
    let mut commands = focus(app, pane);
    let area = areas.of_pane(pane);
    commands.extend(match (pane, wheel) {
        (PaneId::Logs, Some(w)) => {
            // Over the grid, the wheel scrolls the cell under the pointer.
            if app.logs.picker.is_none() {
                select_cell(app, area, x, y);
            }
            pane_wheel(app, pane, w)
        }
        (_, Some(w)) => pane_wheel(app, pane, w),
        (PaneId::Prs, None) => {
            if let Some(i) = app.prs.index_at_row(area, y) {
                app.prs.selected = i;
            }
            Vec::new()
        }
        (PaneId::Logs, None) => logs_click(app, area, x, y),
        (PaneId::Graph, None) => graph_click(app, area, x, y),
        (PaneId::Targets, None) => Vec::new(),
    });
    commands
}

/// Focuses a pane as its focus key does (the graph pane loads its run when focused).
fn focus(app: &mut App, pane: PaneId) -> Vec<Command> {
    if app.focus == pane {
        return Vec::new();
    }
    let action = match pane {
        PaneId::Prs => Action::FocusPrs,
        PaneId::Logs => Action::FocusLogs,
        PaneId::Graph => Action::FocusGraph,
        PaneId::Targets => Action::FocusTargets,
    };
    let commands = press(app, action);
    app.focus = pane; // also when the focus key was unbound
    commands
}

/// Presses the first key bound to `action`, through the normal key handling.
fn press(app: &mut App, action: Action) -> Vec<Command> {
    match app.keymap.keys_for(action).first().copied() {
        Some(key) => super::update::on_key(app, key.to_event()),
        None => Vec::new(),
    }
}

/// "Open what is picked": the `confirm` key (enter by default) of the picker or list.
fn enter(app: &mut App) -> Vec<Command> {
    press(app, Action::Confirm)
}

fn pane_wheel(app: &mut App, pane: PaneId, wheel: Wheel) -> Vec<Command> {
    let action = match (pane, wheel) {
        (PaneId::Graph, _) if app.graph.layout.is_none() => return Vec::new(),
        (PaneId::Graph, Wheel::Up) => Action::GraphPanUp,
        (PaneId::Graph, Wheel::Down) => Action::GraphPanDown,
        (PaneId::Graph, Wheel::Left) => Action::GraphPanLeft,
        (PaneId::Graph, Wheel::Right) => Action::GraphPanRight,
        (_, Wheel::Up) => Action::Up,
        (_, Wheel::Down) => Action::Down,
        (_, Wheel::Left | Wheel::Right) => return Vec::new(),
    };
    press(app, action)
}

/// A click in the logs pane: a build picker row (again: open it), else a grid cell.
fn logs_click(app: &mut App, area: ratatui::layout::Rect, x: u16, y: u16) -> Vec<Command> {
    if let Some(picker) = &mut app.logs.picker {
        let PickerState::Loaded(builds) = &picker.state else {
            return Vec::new();
        };
        let list = inner(area);
        let rows = list.height.saturating_sub(1);
        let Some(i) = list_index_at(list.y + 1, rows, picker.selected, builds.len(), y) else {
            return Vec::new();
        };
        if i == picker.selected {
            return enter(app);
        }
        picker.selected = i;
        return Vec::new();
    }
    select_cell(app, area, x, y);
    Vec::new()
}

/// Selects the logs grid cell at a position (the merged view has one list: nothing to do).
fn select_cell(app: &mut App, area: ratatui::layout::Rect, x: u16, y: u16) {
    if app.logs.layout != LogLayout::Grid {
        return;
    }
    if let Some((i, _)) = app
        .logs
        .grid_cells(area)
        .into_iter()
        .find(|(_, r)| hits(*r, x, y))
    {
        app.logs.selected = i;
    }
}

/// A click in the graph: selects the node under it; on the selected node, opens it.
fn graph_click(app: &mut App, area: ratatui::layout::Rect, x: u16, y: u16) -> Vec<Command> {
    let pane = &mut app.graph;
    let Some(layout) = &pane.layout else {
        return Vec::new();
    };
    let g = graph_area(area, pane.details);
    if !hits(g, x, y) {
        return Vec::new();
    }
    let lx = x - g.x + pane.view.offset_x;
    let ly = y - g.y + pane.view.offset_y;
    let Some(id) = layout.node_at(lx, ly) else {
        return Vec::new();
    };
    if pane.view.selected == Some(id) {
        return press(app, Action::GraphOpen);
    }
    pane.view.selected = Some(id);
    Vec::new()
}

/// The run picker: the wheel moves its selection; a click picks a row (again: shows it).
fn run_picker_mouse(
    app: &mut App,
    wheel: Option<Wheel>,
    click: bool,
    x: u16,
    y: u16,
) -> Vec<Command> {
    match wheel {
        Some(Wheel::Up) => return press(app, Action::Up),
        Some(Wheel::Down) => return press(app, Action::Down),
        Some(_) => return Vec::new(),
        None if !click => return Vec::new(),
        None => {}
    }
    let Some(picker) = &mut app.graph.picker else {
        return Vec::new();
    };
    let rect = run_picker(app.size, picker.runs.len());
    // Border and header above the rows, border below.
    let rows = rect.height.saturating_sub(3);
    let hit = hits(rect, x, y)
        .then(|| list_index_at(rect.y + 2, rows, picker.selected, picker.runs.len(), y))
        .flatten();
    match hit {
        Some(i) if i == picker.selected => enter(app),
        Some(i) => {
            picker.selected = i;
            Vec::new()
        }
        None => Vec::new(),
    }
}

/// The wheel over an overlay scrolls the help and the audit log; other dialogs ignore it.
fn overlay_wheel(app: &mut App, wheel: Wheel) -> Vec<Command> {
    if !matches!(app.overlay, Overlay::Help(_) | Overlay::Audit(_)) {
        return Vec::new();
    }
    match wheel {
        Wheel::Up => press(app, Action::Up),
        Wheel::Down => press(app, Action::Down),
        Wheel::Left | Wheel::Right => Vec::new(),
    }
}

/// A click with an overlay open: the dialog buttons; a click closes the help.
fn overlay_click(app: &mut App, x: u16, y: u16) -> Vec<Command> {
    let screen = app.size;
    match &app.overlay {
        Overlay::Help(_) => {
            app.overlay = Overlay::None;
            Vec::new()
        }
        Overlay::Quit => {
            let b = Buttons::quit(screen, app.actions.len());
            if hits(b.yes, x, y) {
                app.should_quit = true;
            } else if hits(b.no, x, y) {
                app.overlay = Overlay::None;
                let running = app.actions.len();
                app.say(
                    Level::Info,
                    format!("not quitting: {running} action(s) still running"),
                );
            }
            Vec::new()
        }
        Overlay::Deploy(d) if !d.needs_typing() => {
            let b = Buttons::deploy(screen);
            if hits(b.yes, x, y) {
                let Overlay::Deploy(dialog) = std::mem::take(&mut app.overlay) else {
                    return Vec::new();
                };
                super::update_actions::confirmed_deploy(app, &dialog, false)
            } else if hits(b.no, x, y) {
                // As `cancel` (esc) does: cancelled, nothing sent.
                press(app, Action::Cancel)
            } else {
                Vec::new()
            }
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
#[path = "update_mouse_tests.rs"]
mod tests;
