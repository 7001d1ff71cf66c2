//! A log line as the console draws it: the styled runs of [`crate::logs::ansi`] as ratatui
//! spans, and slices of them (the search highlights parts of a line over its own colours).

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

use crate::logs::ansi::{self, AnsiColor, Attrs, SgrStyle};

/// What a terminal would show of `raw`, styled, cut at `max_chars` characters with a marker.
pub fn display_line(raw: &str, max_chars: usize) -> Line<'static> {
    let spans: Vec<Span<'static>> = ansi::display_runs(raw, max_chars)
        .into_iter()
        .map(|(text, s)| Span::styled(text, style(s)))
        .collect();
    Line::from(spans)
}

/// The plain text of a line (its spans' contents, joined).
pub fn plain(line: &Line<'_>) -> String {
    line.spans.iter().map(|s| s.content.as_ref()).collect()
}

/// The ratatui style of an SGR style (a reset attribute stays a reset: `sub_modifier`).
pub fn style(s: SgrStyle) -> Style {
    Style {
        fg: s.fg.map(color),
        bg: s.bg.map(color),
        add_modifier: modifier(s.set),
        sub_modifier: modifier(s.reset),
        ..Style::new()
    }
}

fn modifier(attrs: Attrs) -> Modifier {
    const MODIFIERS: [Modifier; 9] = [
        Modifier::BOLD,
        Modifier::DIM,
        Modifier::ITALIC,
        Modifier::UNDERLINED,
        Modifier::SLOW_BLINK,
        Modifier::RAPID_BLINK,
        Modifier::REVERSED,
        Modifier::HIDDEN,
        Modifier::CROSSED_OUT,
    ];
    Attrs::ALL
        .iter()
        .zip(MODIFIERS)
        .filter(|(a, _)| attrs.contains(**a))
        .fold(Modifier::empty(), |m, (_, bit)| m | bit)
}

fn color(c: AnsiColor) -> Color {
    match c {
        AnsiColor::Black => Color::Black,
        AnsiColor::Red => Color::Red,
        AnsiColor::Green => Color::Green,
        AnsiColor::Yellow => Color::Yellow,
        AnsiColor::Blue => Color::Blue,
        AnsiColor::Magenta => Color::Magenta,
        AnsiColor::Cyan => Color::Cyan,
        AnsiColor::Gray => Color::Gray,
        AnsiColor::DarkGray => Color::DarkGray,
        AnsiColor::LightRed => Color::LightRed,
        AnsiColor::LightGreen => Color::LightGreen,
        AnsiColor::LightYellow => Color::LightYellow,
        AnsiColor::LightBlue => Color::LightBlue,
        AnsiColor::LightMagenta => Color::LightMagenta,
        AnsiColor::LightCyan => Color::LightCyan,
        AnsiColor::White => Color::White,
        AnsiColor::Indexed(n) => Color::Indexed(n),
        AnsiColor::Rgb(r, g, b) => Color::Rgb(r, g, b),
    }
}

/// The spans of `line` between byte offsets `start..end` of its [`plain`] text, each span's
/// style patched over `base`. Offsets not on a character boundary are moved down to one.
pub fn slice_spans(line: &Line<'_>, start: usize, end: usize, base: Style) -> Vec<Span<'static>> {
    let mut out = Vec::new();
    let mut at = 0;
    for span in &line.spans {
        let text = span.content.as_ref();
        let (lo, hi) = (at, at + text.len());
        at = hi;
        if hi <= start || lo >= end {
            continue;
        }
        let a = floor_boundary(text, start.saturating_sub(lo));
        let b = floor_boundary(text, end.min(hi) - lo);
        if a < b {
            out.push(Span::styled(text[a..b].to_string(), base.patch(span.style)));
        }
    }
    out
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::ansi::DISPLAY_MAX_CHARS;

    fn styled(raw: &str) -> Vec<(String, Style)> {
        display_line(raw, DISPLAY_MAX_CHARS)
            .spans
            .into_iter()
            .map(|s| (s.content.into_owned(), s.style))
            .collect()
    }

    #[test]
    fn sgr_colours_become_styles() {
        let red = Style::new().fg(Color::Red);
        assert_eq!(
            styled("\x1b[31merror\x1b[0m ok"),
            [("error".into(), red), (" ok".into(), Style::new())]
        );
        let bold_green = Style::new().fg(Color::Green).add_modifier(Modifier::BOLD);
        assert_eq!(
            styled("\x1b[1;32mPASS\x1b[m."),
            [("PASS".into(), bold_green), (".".into(), Style::new())]
        );
        assert_eq!(
            styled("\x1b[38;5;208mo"),
            [("o".into(), Style::new().fg(Color::Indexed(208)))]
        );
        assert_eq!(
            styled("\x1b[38;2;10;20;30mt\x1b[48;5;4mu"),
            [
                ("t".into(), Style::new().fg(Color::Rgb(10, 20, 30))),
                (
                    "u".into(),
                    Style::new()
                        .fg(Color::Rgb(10, 20, 30))
                        .bg(Color::Indexed(4))
                ),
            ]
        );
        assert_eq!(
            styled("\x1b[38:5:1mx\x1b[39;91my"),
            [
                ("x".into(), Style::new().fg(Color::Indexed(1))),
                ("y".into(), Style::new().fg(Color::LightRed)),
            ]
        );
    }

    #[test]
    fn other_escapes_keep_no_style_and_overwrites_take_the_new_one() {
        assert!(styled("\x1b[2J\x1b[Hplain")
            .iter()
            .all(|(_, s)| *s == Style::new()));
        // The overwritten cells take the new style; the rest keep theirs.
        assert_eq!(
            styled("\x1b[31mabcd\r\x1b[0mXY"),
            [
                ("XY".into(), Style::new()),
                ("cd".into(), Style::new().fg(Color::Red))
            ]
        );
    }

    #[test]
    fn the_cut_marker_is_dim() {
        let line = display_line(&"x".repeat(10_000), 4096);
        assert_eq!(plain(&line), format!("{}…[+5904 chars]", "x".repeat(4096)));
        assert_eq!(line.spans.len(), 2);
        assert!(line.spans[1].style.add_modifier.contains(Modifier::DIM));
    }

    #[test]
    fn slices_keep_styles_over_the_base() {
        let line = display_line("ab\x1b[31mcdé\x1b[0mf", 100);
        let base = Style::new().add_modifier(Modifier::BOLD);
        let red = base.fg(Color::Red);
        assert_eq!(
            slice_spans(&line, 1, 5, base),
            [Span::styled("b", base), Span::styled("cd", red)]
        );
        assert_eq!(
            slice_spans(&line, 4, 7, base),
            [Span::styled("é", red), Span::styled("f", base)]
        );
        assert!(slice_spans(&line, 3, 3, base).is_empty());
    }
}
