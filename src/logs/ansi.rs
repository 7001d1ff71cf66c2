//! Turning a raw log line into what a terminal would show: SGR escape sequences (colours,
//! bold, …) become styles ([`SgrStyle`], which the console maps to its own), other escapes (cursor moves, OSC titles, erase line) and
//! control characters are dropped, `\r` rewinds to column 0 so a progress line shows its last
//! state, tabs are expanded, and very long lines are cut with a `…[+N chars]` marker.
//!
//! Parsing is done by `anstyle-parse` (the vte state machine), which only tokenizes: the
//! cell model and the SGR mapping are here.

use anstyle_parse::{DefaultCharAccumulator, Params, Parser, Perform};

pub use super::sgr::{AnsiColor, Attrs, SgrStyle};

/// Lines are cut for display beyond this many characters (the store keeps them whole).
pub const DISPLAY_MAX_CHARS: usize = 4096;

/// Tab stops every this many columns.
const TAB: usize = 8;

/// A one-line virtual terminal: one cell per character, a cursor and the current style.
#[derive(Default)]
struct Screen {
    cells: Vec<(char, SgrStyle)>,
    cursor: usize,
    style: SgrStyle,
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
            self.style = self.style.apply(params);
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

/// A run of characters of one style.
pub type StyledRun = (String, SgrStyle);

/// What a terminal would show of `raw`, as runs of one style each, cut at `max_chars`
/// characters with a dim marker run.
pub fn display_runs(raw: &str, max_chars: usize) -> Vec<StyledRun> {
    // Fast path: nothing to interpret.
    if !raw.chars().any(char::is_control) {
        let n = raw.chars().count();
        if n <= max_chars {
            // An empty line has no runs, as after the terminal.
            return match raw {
                "" => Vec::new(),
                _ => vec![(raw.to_string(), SgrStyle::default())],
            };
        }
    }
    let screen = screen(raw);
    let shown = screen.cells.len().min(max_chars);
    let mut runs: Vec<StyledRun> = Vec::new();
    let mut text = String::new();
    let mut style = SgrStyle::default();
    for &(c, s) in &screen.cells[..shown] {
        if s != style && !text.is_empty() {
            runs.push((std::mem::take(&mut text), style));
        }
        style = s;
        text.push(c);
    }
    if !text.is_empty() {
        runs.push((text, style));
    }
    if screen.cells.len() > shown {
        runs.push((
            cut_marker(screen.cells.len() - shown),
            SgrStyle::default().with(Attrs::DIM),
        ));
    }
    runs
}

/// What a terminal would show of `raw`, unstyled (for widths).
pub fn display_text(raw: &str, max_chars: usize) -> String {
    display_runs(raw, max_chars)
        .into_iter()
        .map(|(text, _)| text)
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn text(raw: &str) -> String {
        display_text(raw, DISPLAY_MAX_CHARS)
    }

    #[test]
    fn other_escapes_and_controls_are_dropped() {
        assert_eq!(text("\x1b]0;my title\x07hello"), "hello");
        assert_eq!(text("\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\"), "link");
        assert_eq!(text("a\x1b[2Kb\x1b[1Ac\x1b[?25l"), "abc");
        assert_eq!(text("\x1b(Bx\x1b7y\x00\x07z\x1b"), "xyz");
        assert_eq!(text("a\tb"), "a       b");
        assert_eq!(text("ab\x08c"), "ac");
    }

    #[test]
    fn carriage_returns_overwrite_from_column_zero() {
        assert_eq!(text("50%\r75%\r100%"), "100%");
        assert_eq!(text("abcdef\rXY"), "XYcdef");
        assert_eq!(text("done\r"), "done");
        assert_eq!(text("line\r\n"), "line");
    }

    #[test]
    fn long_lines_are_cut_with_a_marker() {
        let long = "x".repeat(10_000);
        let runs = display_runs(&long, 4096);
        assert_eq!(
            display_text(&long, 4096),
            format!("{}…[+5904 chars]", "x".repeat(4096))
        );
        assert_eq!(runs.len(), 2);
        assert!(runs[1].1.set.contains(Attrs::DIM));
        // Counted in displayed characters, not raw bytes.
        let coloured = format!("\x1b[32m{}\x1b[0m", "é".repeat(5));
        assert_eq!(text(&coloured), "ééééé");
        assert_eq!(display_text(&coloured, 3), "ééé…[+2 chars]");
        assert_eq!(display_text("abc", 3), "abc");
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
