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
