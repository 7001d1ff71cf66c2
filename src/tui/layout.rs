//! Where each pane goes, as a pure function of the terminal size, so drawing and mouse hit
//! testing agree.

use ratatui::layout::{Constraint, Direction, Layout, Position, Rect};

use super::app::PaneId;

/// The screen split into panes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub prs: Rect,
    pub logs: Rect,
    pub graph: Rect,
    pub targets: Rect,
    pub status: Rect,
}

impl Areas {
    /// PRs across the top; logs, run graph and deployment targets side by side below; the
    /// status bar on the last line.
    pub fn of(size: Rect) -> Areas {
        let [body, status] =
            Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(size);
        let [top, bottom] =
            Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(body);
        let [logs, graph, targets] = Layout::default()
            .direction(Direction::Horizontal)
            .constraints([
                Constraint::Percentage(45),
                Constraint::Percentage(30),
                Constraint::Percentage(25),
            ])
            .areas(bottom);
        Areas {
            prs: top,
            logs,
            graph,
            targets,
            status,
        }
    }

    /// The layout with `zoom`'s pane taking the whole body (the others get no room).
    pub fn zoomed(size: Rect, zoom: Option<PaneId>) -> Areas {
        let normal = Areas::of(size);
        let Some(pane) = zoom else { return normal };
        let body = Rect::new(size.x, size.y, size.width, size.height.saturating_sub(1));
        let none = Rect::new(size.x, size.y, 0, 0);
        let pick = |p: PaneId| if p == pane { body } else { none };
        Areas {
            prs: pick(PaneId::Prs),
            logs: pick(PaneId::Logs),
            graph: pick(PaneId::Graph),
            targets: pick(PaneId::Targets),
            status: normal.status,
        }
    }

    /// The layout the console has now (its size and zoom).
    pub fn of_app(app: &super::app::App) -> Areas {
        Areas::zoomed(app.size, app.zoom)
    }

    pub fn of_pane(&self, pane: PaneId) -> Rect {
        match pane {
            PaneId::Prs => self.prs,
            PaneId::Logs => self.logs,
            PaneId::Graph => self.graph,
            PaneId::Targets => self.targets,
        }
    }

    /// The pane under a screen position.
    pub fn pane_at(&self, column: u16, row: u16) -> Option<PaneId> {
        let pos = Position::new(column, row);
        PaneId::ALL
            .into_iter()
            .find(|p| self.of_pane(*p).contains(pos))
    }
}

/// A rectangle of `width`×`height` centred in `area` (clamped to it).
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// Where a dialog's `[ No ]` and `[ Yes ]` buttons are drawn (for mouse clicks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Buttons {
    pub no: Rect,
    pub yes: Rect,
}

impl Buttons {
    /// The quit confirmation's buttons with `running` actions listed (as
    /// `dialogs::quit_confirm::render` draws them: a line per action between a heading and a
    /// blank line, then the buttons).
    pub fn quit(screen: Rect, running: usize) -> Buttons {
        let lines = u16::try_from(running).unwrap_or(u16::MAX).saturating_add(3);
        let rect = centered(screen, 76, lines.saturating_add(2));
        let y = rect.y + 1 + lines - 1;
        Buttons {
            no: Rect::new(rect.x + 1, y, 6, 1),
            yes: Rect::new(rect.x + 9, y, 7, 1),
        }
    }

    /// The production deploy confirmation's buttons (as `dialogs::deploy_confirm::render`
    /// draws them when no `force` is needed: four fields, a blank line, the warning, then the
    /// buttons indented by ten columns).
    pub fn deploy(screen: Rect) -> Buttons {
        let rect = centered(screen, 78, 12);
        let y = rect.y + 1 + 6;
        let x = rect.x + 1 + 1 + 10;
        Buttons {
            no: Rect::new(x, y, 6, 1),
            yes: Rect::new(x + 10, y, 7, 1),
        }
    }
}

/// The run picker floating over the screen with `runs` rows (as `panes::graph` draws it).
pub fn run_picker(screen: Rect, runs: usize) -> Rect {
    let height = u16::try_from(runs)
        .unwrap_or(u16::MAX)
        .saturating_add(4)
        .max(5);
    centered(screen, 84, height.min(screen.height.saturating_sub(2)))
}

/// The row index of a list drawn from `first_y` with `rows` rows visible, scrolled (as
/// ratatui's tables and the build picker do) just enough to show `selected`.
pub fn list_index_at(
    first_y: u16,
    rows: u16,
    selected: usize,
    len: usize,
    y: u16,
) -> Option<usize> {
    if y < first_y || y >= first_y.saturating_add(rows) {
        return None;
    }
    let offset = (selected + 1).saturating_sub(usize::from(rows));
    let index = offset + usize::from(y - first_y);
    (index < len).then_some(index)
}

/// Whether a screen position is inside a rectangle.
pub fn hits(rect: Rect, column: u16, row: u16) -> bool {
    rect.contains(Position::new(column, row))
}
