//! Turning a raw log line into what a terminal would show: SGR escape sequences (colours,
//! bold, …) become ratatui styles, other escapes (cursor moves, OSC titles, erase line) and
//! control characters are dropped, `\r` rewinds to column 0 so a progress line shows its last
//! state, tabs are expanded, and very long lines are cut with a `…[+N chars]` marker.
//!
//! Parsing is done by `anstyle-parse` (the vte state machine), which only tokenizes: the
//! cell model and the SGR mapping are here.

use anstyle_parse::{DefaultCharAccumulator, Params, Parser, Perform};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

/// Lines are cut for display beyond this many characters (the store keeps them whole).
pub const DISPLAY_MAX_CHARS: usize = 4096;

/// Tab stops every this many columns.
const TAB: usize = 8;

/// A one-line virtual terminal: one cell per character, a cursor and the current style.
#[derive(Default)]
struct Screen {
    cells: Vec<(char, Style)>,
    cursor: usize,
    style: Style,
}

impl Screen {
    fn put(&mut self, c: char) {
        let cell = (c, self.style);
        if self.cursor < self.cells.len() {
            self.cells[self.cursor] = cell;
        } else {
            // The cursor never goes beyond the end: cursor moves are dropped.
            self.cells.push(cell);
        }
        self.cursor += 1;
    }

    fn sgr(&mut self, params: &Params) {
        // `ESC [ m` is a reset; `38:5:n` (colon sub-parameters) is the same as `38;5;n`.
        let mut flat: Vec<u16> = Vec::new();
        for p in params.iter() {
            flat.extend_from_slice(p);
        }
        if flat.is_empty() {
            self.style = Style::new();
            return;
        }
        let mut it = flat.into_iter();
        while let Some(code) = it.next() {
            let s = self.style;
            self.style = match code {
                0 => Style::new(),
                1 => s.add_modifier(Modifier::BOLD),
                2 => s.add_modifier(Modifier::DIM),
                3 => s.add_modifier(Modifier::ITALIC),
                4 => s.add_modifier(Modifier::UNDERLINED),
                5 => s.add_modifier(Modifier::SLOW_BLINK),
                6 => s.add_modifier(Modifier::RAPID_BLINK),
                7 => s.add_modifier(Modifier::REVERSED),
                8 => s.add_modifier(Modifier::HIDDEN),
                9 => s.add_modifier(Modifier::CROSSED_OUT),
                21 | 22 => s.remove_modifier(Modifier::BOLD | Modifier::DIM),
                23 => s.remove_modifier(Modifier::ITALIC),
                24 => s.remove_modifier(Modifier::UNDERLINED),
                25 => s.remove_modifier(Modifier::SLOW_BLINK | Modifier::RAPID_BLINK),
                27 => s.remove_modifier(Modifier::REVERSED),
                28 => s.remove_modifier(Modifier::HIDDEN),
                29 => s.remove_modifier(Modifier::CROSSED_OUT),
                30..=37 => s.fg(basic(code - 30)),
                38 => match extended(&mut it) {
                    Some(c) => s.fg(c),
                    None => s,
                },
                39 => Style { fg: None, ..s },
                40..=47 => s.bg(basic(code - 40)),
                48 => match extended(&mut it) {
                    Some(c) => s.bg(c),
                    None => s,
                },
                49 => Style { bg: None, ..s },
                90..=97 => s.fg(bright(code - 90)),
                100..=107 => s.bg(bright(code - 100)),
                _ => s,
            };
        }
    }
}

/// The 8 basic colours (`30`–`37`).
fn basic(n: u16) -> Color {
    match n {
        0 => Color::Black,
        1 => Color::Red,
        2 => Color::Green,
        3 => Color::Yellow,
        4 => Color::Blue,
        5 => Color::Magenta,
        6 => Color::Cyan,
        _ => Color::Gray,
    }
}

/// The 8 bright colours (`90`–`97`).
fn bright(n: u16) -> Color {
    match n {
        0 => Color::DarkGray,
        1 => Color::LightRed,
        2 => Color::LightGreen,
        3 => Color::LightYellow,
        4 => Color::LightBlue,
        5 => Color::LightMagenta,
        6 => Color::LightCyan,
        _ => Color::White,
    }
}

/// The colour after `38`/`48`: `5;n` (256 colours) or `2;r;g;b` (truecolor).
fn extended(it: &mut impl Iterator<Item = u16>) -> Option<Color> {
    let byte = |v: Option<u16>| v.map(|v| u8::try_from(v).unwrap_or(u8::MAX));
    match it.next()? {
        5 => byte(it.next()).map(Color::Indexed),
        2 => {
            let (r, g, b) = (byte(it.next())?, byte(it.next())?, byte(it.next())?);
            Some(Color::Rgb(r, g, b))
        }
        _ => None,
    }
}

impl Perform for Screen {
    fn print(&mut self, c: char) {
        if !c.is_control() {
            self.put(c);
        }
    }

    fn execute(&mut self, byte: u8) {
        match byte {
            b'\r' => self.cursor = 0,
            b'\t' => {
                let next = (self.cursor / TAB + 1) * TAB;
                while self.cursor < next {
                    if self.cursor < self.cells.len() {
                        // A tab moves over text already there without erasing it.
                        self.cursor += 1;
                    } else {
                        self.put(' ');
                    }
                }
            }
            0x08 => self.cursor = self.cursor.saturating_sub(1),
            _ => {}
        }
    }

    fn csi_dispatch(&mut self, params: &Params, intermediates: &[u8], ignore: bool, action: u8) {
        if action == b'm' && intermediates.is_empty() && !ignore {
            self.sgr(params);
        }
    }
}

/// Runs `raw` through the one-line terminal.
fn screen(raw: &str) -> Screen {
    let mut screen = Screen::default();
    let mut parser = Parser::<DefaultCharAccumulator>::new();
    for byte in raw.bytes() {
        parser.advance(&mut screen, byte);
    }
    screen
}

/// The marker after a line cut at `max_chars`: `…[+12345 chars]`.
pub fn cut_marker(hidden: usize) -> String {
    format!("…[+{hidden} chars]")
}

/// What a terminal would show of `raw`, styled, cut at `max_chars` characters with a marker.
pub fn display_line(raw: &str, max_chars: usize) -> Line<'static> {
    // Fast path: nothing to interpret.
    if !raw.chars().any(char::is_control) {
        let n = raw.chars().count();
        if n <= max_chars {
            return Line::from(raw.to_string());
        }
    }
    let screen = screen(raw);
    let shown = screen.cells.len().min(max_chars);
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut text = String::new();
    let mut style = Style::new();
    for &(c, s) in &screen.cells[..shown] {
        if s != style && !text.is_empty() {
            spans.push(Span::styled(std::mem::take(&mut text), style));
        }
        style = s;
        text.push(c);
    }
    if !text.is_empty() {
        spans.push(Span::styled(text, style));
    }
    if screen.cells.len() > shown {
        spans.push(Span::styled(
            cut_marker(screen.cells.len() - shown),
            Style::new().add_modifier(Modifier::DIM),
        ));
    }
    Line::from(spans)
}

/// The plain text of a line (its spans' contents, joined).
pub fn plain(line: &Line<'_>) -> String {
    line.spans.iter().map(|s| s.content.as_ref()).collect()
}

/// What a terminal would show of `raw`, unstyled (for widths).
pub fn display_text(raw: &str, max_chars: usize) -> String {
    plain(&display_line(raw, max_chars))
}

/// What a terminal would show of `raw`, unstyled and uncut: the text a search looks at.
pub fn search_text(raw: &str) -> std::borrow::Cow<'_, str> {
    if !has_control(raw) {
        return std::borrow::Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    push_search_text(raw, &mut out);
    std::borrow::Cow::Owned(out)
}

/// Appends [`search_text`]`(raw)` to `out` (no allocation for lines whose only escapes are
/// colours).
pub fn push_search_text(raw: &str, out: &mut String) {
    let mark = out.len();
    if !push_without_sgr(raw, out) {
        out.truncate(mark);
        out.push_str(&display_text(raw, usize::MAX));
    }
}

/// Whether `text` has a control character (C0, DEL or C1), checked on bytes.
pub fn has_control(text: &str) -> bool {
    let bytes = text.as_bytes();
    // Most text has none of these bytes: a check without early exit (so the compiler
    // vectorises it) rules them out first.
    let suspect = bytes.iter().fold(false, |seen, &b| {
        seen | (b < 0x20) | (b == 0x7f) | (b == 0xc2)
    });
    if !suspect {
        return false;
    }
    bytes.iter().enumerate().any(|(i, &b)| {
        b < 0x20 || b == 0x7f || (b == 0xc2 && bytes.get(i + 1).is_some_and(|n| *n < 0xa0))
    })
}

/// Appends `raw` without its SGR sequences (`ESC [ digits;… m`) when those are its only
/// control characters: what the terminal shows, found without running the terminal.
/// `false` (with `out` partly written) for anything else (other escapes, `\r`, tabs…).
fn push_without_sgr(raw: &str, out: &mut String) -> bool {
    let bytes = raw.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let next = memchr::memchr(0x1b, &bytes[i..]).map_or(bytes.len(), |p| i + p);
        let run = &raw[i..next];
        if has_control(run) {
            return false;
        }
        out.push_str(run);
        if next == bytes.len() {
            break;
        }
        // ESC [ params m
        if bytes.get(next + 1) != Some(&b'[') {
            return false;
        }
        let Some(params) = bytes[next + 2..]
            .iter()
            .position(|b| !(b.is_ascii_digit() || *b == b';'))
        else {
            return false;
        };
        if bytes.get(next + 2 + params) != Some(&b'm') {
            return false;
        }
        i = next + 3 + params;
    }
    true
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
    use proptest::prelude::*;

    fn text(raw: &str) -> String {
        display_text(raw, DISPLAY_MAX_CHARS)
    }

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
    fn other_escapes_and_controls_are_dropped() {
        assert_eq!(text("\x1b]0;my title\x07hello"), "hello");
        assert_eq!(text("\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\"), "link");
        assert_eq!(text("a\x1b[2Kb\x1b[1Ac\x1b[?25l"), "abc");
        assert_eq!(text("\x1b(Bx\x1b7y\x00\x07z\x1b"), "xyz");
        assert_eq!(text("a\tb"), "a       b");
        assert_eq!(text("ab\x08c"), "ac");
        assert!(styled("\x1b[2J\x1b[Hplain")
            .iter()
            .all(|(_, s)| *s == Style::new()));
    }

    #[test]
    fn carriage_returns_overwrite_from_column_zero() {
        assert_eq!(text("50%\r75%\r100%"), "100%");
        assert_eq!(text("abcdef\rXY"), "XYcdef");
        assert_eq!(text("done\r"), "done");
        assert_eq!(text("line\r\n"), "line");
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
    fn long_lines_are_cut_with_a_marker() {
        let long = "x".repeat(10_000);
        let line = display_line(&long, 4096);
        assert_eq!(plain(&line), format!("{}…[+5904 chars]", "x".repeat(4096)));
        assert_eq!(line.spans.len(), 2);
        assert!(line.spans[1].style.add_modifier.contains(Modifier::DIM));
        // Counted in displayed characters, not raw bytes.
        let coloured = format!("\x1b[32m{}\x1b[0m", "é".repeat(5));
        assert_eq!(text(&coloured), "ééééé");
        assert_eq!(display_text(&coloured, 3), "ééé…[+2 chars]");
        assert_eq!(display_text("abc", 3), "abc");
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

    proptest! {
        #[test]
        fn never_panics_and_never_shows_escapes(raw in any::<String>(), max in 0usize..64) {
            let shown = display_text(&raw, max);
            prop_assert!(!shown.contains('\x1b') && !shown.contains('\r'), "{shown:?}");
        }

        #[test]
        fn escape_heavy_strings_are_clean(
            raw in "(\x1b|\\[|;|[0-9]|m|\r|\t|\x07|\\]|[a-z]|é)*"
        ) {
            let shown = text(&raw);
            prop_assert!(!shown.contains('\x1b') && !shown.contains('\r'), "{shown:?}");
            prop_assert!(!shown.chars().any(char::is_control), "{shown:?}");
        }

        #[test]
        fn plain_text_is_shown_as_is(raw in "[^\\p{Cc}]*", max in 0usize..200) {
            let n = raw.chars().count();
            let shown = display_text(&raw, max);
            if n <= max {
                prop_assert_eq!(shown, raw);
            } else {
                let head: String = raw.chars().take(max).collect();
                prop_assert_eq!(shown, format!("{head}{}", cut_marker(n - max)));
            }
        }

        #[test]
        fn carriage_returns_keep_the_longest_segment(
            segments in proptest::collection::vec("[ -~]{0,20}", 1..6)
        ) {
            let raw = segments.join("\r");
            let longest = segments.iter().map(String::len).max().unwrap_or(0);
            let shown = text(&raw);
            prop_assert_eq!(shown.len(), longest);
            // The last segment is on top.
            let last = segments.last().map_or("", String::as_str);
            prop_assert!(shown.starts_with(last));
        }
    }

    proptest! {
        /// The fast way to the searched text agrees with the terminal wherever it applies.
        #[test]
        fn stripping_sgr_agrees_with_the_terminal(raw in "([a-z \u{e9}]{0,6}(\u{1b}\\[[0-9;]{0,6}m)?){0,6}") {
            let mut fast = String::new();
            prop_assert!(push_without_sgr(&raw, &mut fast), "only SGR escapes: {raw:?}");
            prop_assert_eq!(fast, display_text(&raw, usize::MAX));
        }

        #[test]
        fn search_text_is_the_shown_text(raw in "[a-z\u{1b}\\[0-9;mK\r\t ]{0,30}") {
            prop_assert_eq!(search_text(&raw).into_owned(), display_text(&raw, usize::MAX));
        }
    }
}
