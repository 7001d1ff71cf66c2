//! Colours in one place. `NO_COLOR` (https://no-color.org) turns them all off.

use ratatui::style::{Color, Modifier, Style};

/// The styles the views use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    pub border: Style,
    pub border_focused: Style,
    pub title: Style,
    pub header: Style,
    pub selected: Style,
    pub dim: Style,
    pub ok: Style,
    pub warn: Style,
    pub error: Style,
    pub label: Style,
    pub label_production: Style,
    pub label_staging: Style,
    pub key: Style,
    pub status_bar: Style,
    /// A search match in a log line (patched over the line's own colours).
    pub search_match: Style,
    /// The matches of the current match's line (where `n`/`N` went).
    pub search_current: Style,
}

impl Default for Theme {
    fn default() -> Self {
        Theme::dark()
    }
}

impl Theme {
    /// The style of a run-graph node's status (its symbol, duration and box).
    pub fn status_style(&self, status: crate::graph::NodeStatus) -> Style {
        use crate::graph::NodeStatus as S;
        match status {
            S::Succeeded | S::Cached => self.ok,
            S::Failed => self.error,
            S::Running => self.key,
            S::Cancelled => self.warn,
            S::Pending | S::Skipped => self.dim,
        }
    }

    /// The theme named in `[ui] theme`, or monochrome when `no_color`.
    pub fn named(name: &str, no_color: bool) -> Theme {
        if no_color {
            return Theme::mono();
        }
        match name {
            "light" => Theme::light(),
            "colorblind" => Theme::colorblind(),
            _ => Theme::dark(),
        }
    }

    pub fn dark() -> Theme {
        Theme {
            border: Style::new().fg(Color::DarkGray),
            border_focused: Style::new().fg(Color::Cyan),
            title: Style::new().fg(Color::White).add_modifier(Modifier::BOLD),
            header: Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            selected: Style::new()
                .bg(Color::Rgb(40, 60, 90))
                .add_modifier(Modifier::BOLD),
            dim: Style::new().fg(Color::DarkGray),
            ok: Style::new().fg(Color::Green),
            warn: Style::new().fg(Color::Yellow),
            error: Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            label: Style::new().fg(Color::Gray),
            label_production: Style::new()
                .fg(Color::Black)
                .bg(Color::Green)
                .add_modifier(Modifier::BOLD),
            label_staging: Style::new()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
            key: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            status_bar: Style::new().bg(Color::Rgb(30, 30, 30)),
            search_match: Style::new().fg(Color::Black).bg(Color::Yellow),
            search_current: Style::new()
                .fg(Color::Black)
                .bg(Color::LightRed)
                .add_modifier(Modifier::BOLD),
        }
    }

    pub fn light() -> Theme {
        Theme {
            border: Style::new().fg(Color::Gray),
            border_focused: Style::new().fg(Color::Blue),
            title: Style::new().fg(Color::Black).add_modifier(Modifier::BOLD),
            header: Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD),
            selected: Style::new()
                .bg(Color::Rgb(200, 220, 255))
                .add_modifier(Modifier::BOLD),
            dim: Style::new().fg(Color::Gray),
            ok: Style::new().fg(Color::Rgb(0, 120, 0)),
            warn: Style::new().fg(Color::Rgb(160, 100, 0)),
            error: Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            label: Style::new().fg(Color::DarkGray),
            label_production: Style::new()
                .fg(Color::White)
                .bg(Color::Rgb(0, 120, 0))
                .add_modifier(Modifier::BOLD),
            label_staging: Style::new()
                .fg(Color::Black)
                .bg(Color::Rgb(250, 200, 60))
                .add_modifier(Modifier::BOLD),
            key: Style::new().fg(Color::Blue).add_modifier(Modifier::BOLD),
            status_bar: Style::new().bg(Color::Rgb(225, 225, 225)),
            search_match: Style::new().fg(Color::Black).bg(Color::Rgb(255, 225, 100)),
            search_current: Style::new()
                .fg(Color::Black)
                .bg(Color::Rgb(255, 150, 60))
                .add_modifier(Modifier::BOLD),
        }
    }

    /// Blue/orange instead of green/red (Okabe–Ito palette).
    pub fn colorblind() -> Theme {
        let blue = Color::Rgb(0, 114, 178);
        let orange = Color::Rgb(230, 159, 0);
        let vermillion = Color::Rgb(213, 94, 0);
        Theme {
            ok: Style::new().fg(blue),
            warn: Style::new().fg(orange),
            error: Style::new().fg(vermillion).add_modifier(Modifier::BOLD),
            label_production: Style::new()
                .fg(Color::White)
                .bg(blue)
                .add_modifier(Modifier::BOLD),
            label_staging: Style::new()
                .fg(Color::Black)
                .bg(orange)
                .add_modifier(Modifier::BOLD),
            search_match: Style::new().fg(Color::Black).bg(Color::Rgb(240, 228, 66)),
            search_current: Style::new()
                .fg(Color::White)
                .bg(blue)
                .add_modifier(Modifier::BOLD),
            ..Theme::dark()
        }
    }

    /// No colours at all; emphasis by bold/reverse only.
    pub fn mono() -> Theme {
        let plain = Style::new();
        let bold = Style::new().add_modifier(Modifier::BOLD);
        Theme {
            border: plain,
            border_focused: bold,
            title: bold,
            header: bold,
            selected: Style::new().add_modifier(Modifier::REVERSED),
            dim: plain,
            ok: plain,
            warn: bold,
            error: bold,
            label: plain,
            label_production: bold.add_modifier(Modifier::UNDERLINED),
            label_staging: bold.add_modifier(Modifier::UNDERLINED),
            key: bold,
            status_bar: plain,
            search_match: Style::new().add_modifier(Modifier::REVERSED),
            search_current: Style::new()
                .add_modifier(Modifier::REVERSED | Modifier::BOLD | Modifier::UNDERLINED),
        }
    }
}
