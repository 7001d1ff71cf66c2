//! The search on screen: matches drawn over a line's own colours (the spans of a slice of
//! the shown line, the parts inside a match patched with the match style), and the pane
//! title's pattern and match counter.

use std::ops::Range;

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::render::thousands;
use super::styled;
use super::LogsPane;
use crate::logs::StreamId;
use crate::tui::format::ellipsize;
use crate::tui::theme::Theme;

/// The spans of `shown` between byte offsets `start..end` of its plain text (see
/// [`styled::slice_spans`]), the parts inside `matches` (ascending, not overlapping; byte
/// ranges of the plain text) patched with `mark`.
pub fn marked_spans(
    shown: &Line<'_>,
    start: usize,
    end: usize,
    base: Style,
    matches: &[Range<usize>],
    mark: Style,
) -> Vec<Span<'static>> {
    let mut out = Vec::new();
    let mut at = start;
    for m in matches {
        if m.end <= at {
            continue;
        }
        if m.start >= end {
            break;
        }
        let a = m.start.max(at);
        let b = m.end.min(end);
        out.extend(styled::slice_spans(shown, at, a, base));
        out.extend(
            styled::slice_spans(shown, a, b, base)
                .into_iter()
                .map(|s| s.patch_style(mark)),
        );
        at = b;
    }
    if at < end {
        out.extend(styled::slice_spans(shown, at, end, base));
    }
    out
}

/// The style the search matches of a line are drawn in (`None`: no search).
pub fn mark_of(pane: &LogsPane, stream: StreamId, index: u64, theme: &Theme) -> Option<Style> {
    pane.search.as_ref()?;
    Some(if pane.is_current(stream, index) {
        theme.search_current
    } else {
        theme.search_match
    })
}

/// ` /pattern/ · match 3/12 ` (` FILTER /pattern/ · … ` when filtering), for the pane's
/// bottom border.
pub fn search_title(pane: &LogsPane, theme: &Theme) -> Vec<Span<'static>> {
    let (Some(s), Some((i, n))) = (&pane.search, pane.match_counter()) else {
        return Vec::new();
    };
    let what = if s.filter { "FILTER " } else { "" };
    let counter = match (i, n) {
        (_, 0) => "no match".to_string(),
        (0, 1) => "1 match".to_string(),
        (0, n) => format!("{} matches", thousands(n as u64)),
        (i, n) => format!("match {}/{}", thousands(i as u64), thousands(n as u64)),
    };
    vec![
        Span::styled(
            format!(" {what}/{}/", ellipsize(s.search.pattern(), 24)),
            if s.filter { theme.warn } else { theme.key },
        ),
        Span::styled(format!(" · {counter} "), theme.title),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::{Color, Modifier};

    #[test]
    fn matches_are_patched_over_the_ansi_colours_within_the_slice() {
        let shown = styled::display_line("\u{1b}[31mred error\u{1b}[0m and error", 100);
        let mark = Style::new().add_modifier(Modifier::REVERSED);
        let spans = marked_spans(&shown, 2, 19, Style::new(), &[4..9, 14..19], mark);
        let parts: Vec<(&str, Option<Color>, bool)> = spans
            .iter()
            .map(|s| {
                (
                    s.content.as_ref(),
                    s.style.fg,
                    s.style.add_modifier.contains(Modifier::REVERSED),
                )
            })
            .collect();
        assert_eq!(
            parts,
            [
                ("d ", Some(Color::Red), false),
                ("error", Some(Color::Red), true),
                (" and ", None, false),
                ("error", None, true),
            ]
        );
    }
}
