//! Drawing the logs pane from `&LogsPane`: only the lines on screen are read from the store.

use chrono::{DateTime, Utc};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};
use ratatui::Frame;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::highlight::{mark_of, marked_spans, search_title};
use super::styled;
use super::{inner, picker, LogLayout, LogsPane, Scroll, Viewport, TIMESTAMP_WIDTH};
use crate::logs::ansi;
use crate::logs::{StoredLine, StreamId, StreamStatus};
use crate::tui::app::PaneId;
use crate::tui::format::ellipsize;
use crate::tui::panes::{empty, pane_block};
use crate::tui::theme::Theme;

/// Colours of the merged view's image prefixes, in stream order.
const PALETTE: [Color; 6] = [
    Color::Cyan,
    Color::Magenta,
    Color::LightBlue,
    Color::LightGreen,
    Color::LightYellow,
    Color::LightRed,
];

/// The style of the `i`-th shown stream's prefix (bold only under the monochrome theme).
pub fn stream_style(i: usize, theme: &Theme) -> Style {
    let bold = Style::new().add_modifier(Modifier::BOLD);
    // The monochrome theme (NO_COLOR) has no colour on errors: use none here either.
    if theme.error.fg.is_none() {
        return bold;
    }
    bold.fg(PALETTE[i % PALETTE.len()])
}

/// The style a pod phase is drawn in.
pub fn phase_style(phase: &str, theme: &Theme) -> Style {
    match phase {
        "Succeeded" => theme.ok,
        "Failed" => theme.error,
        "Running" => theme.key,
        "Pending" => theme.warn,
        _ => theme.dim,
    }
}

/// The style a stream status is drawn in.
pub fn status_style(status: &StreamStatus, theme: &Theme) -> Style {
    match status {
        StreamStatus::Connecting | StreamStatus::Finished => theme.dim,
        StreamStatus::Streaming => theme.ok,
        StreamStatus::Reconnecting { .. } | StreamStatus::Restarted { .. } => theme.warn,
        StreamStatus::Failed(_) => theme.error,
    }
}

/// Kaniko (logrus) levels worth a colour.
fn text_style(text: &str, theme: &Theme) -> Style {
    if text.starts_with("ERRO") || text.starts_with("FATA") || text.starts_with("error ") {
        theme.error
    } else if text.starts_with("WARN") {
        theme.warn
    } else {
        Style::new()
    }
}

/// `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn pad(text: &str, width: usize) -> String {
    let cut = ellipsize(text, width);
    let w = cut.width();
    format!("{cut}{}", " ".repeat(width.saturating_sub(w)))
}

/// Splits `text` into pieces of at most `width` columns (at least one character each).
fn chunks(text: &str, width: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut used = 0;
    for (i, c) in text.char_indices() {
        let w = c.width().unwrap_or(0);
        if used + w > width && i > start {
            out.push(&text[start..i]);
            start = i;
            used = 0;
        }
        used += w;
    }
    out.push(&text[start..]);
    out
}

/// `text` cut to `width` columns; the `bool` says whether it was cut (a `…` follows).
fn truncate(text: &str, width: usize) -> (&str, bool) {
    if text.width() <= width {
        return (text, false);
    }
    let mut used = 0;
    for (i, c) in text.char_indices() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            return (&text[..i], true);
        }
        used += w;
    }
    (text, false)
}

/// The image prefix of a merged line.
struct Prefix<'a> {
    title: &'a str,
    width: usize,
    style: Style,
}

/// Appends the screen rows of one line to `out`, its search matches marked with `mark`.
fn push_rows(
    out: &mut Vec<Line<'static>>,
    pane: &LogsPane,
    line: StoredLine<'_>,
    width: usize,
    prefix: Option<&Prefix>,
    mark: Option<Style>,
    theme: &Theme,
) {
    let mut lead: Vec<Span<'static>> = Vec::new();
    let mut blank_lead: Vec<Span<'static>> = Vec::new();
    if pane.timestamps {
        let ts = match line.time {
            Some(t) => format!("{} ", t.with_timezone(&pane.tz).format("%H:%M:%S%.3f")),
            None => " ".repeat(TIMESTAMP_WIDTH),
        };
        lead.push(Span::styled(ts, theme.dim));
        blank_lead.push(Span::raw(" ".repeat(TIMESTAMP_WIDTH)));
    }
    if let Some(p) = prefix {
        lead.push(Span::styled(pad(p.title, p.width), p.style));
        lead.push(Span::styled(" │ ", theme.dim));
        blank_lead.push(Span::raw(" ".repeat(p.width)));
        blank_lead.push(Span::styled(" │ ", theme.dim));
    }
    let used: usize = lead.iter().map(|s| s.content.width()).sum();
    let room = width.saturating_sub(used).max(1);
    // What a terminal would show: SGR styles kept, other escapes dropped, `\r` applied, cut
    // at the display cap. Widths are those of this text, not of the raw line.
    let shown = styled::display_line(line.text, ansi::DISPLAY_MAX_CHARS);
    let text = styled::plain(&shown);
    let style = text_style(&text, theme);
    // Only the lines drawn are matched again, for where the matches are.
    let (matches, mark) = match (&pane.search, mark) {
        (Some(s), Some(mark)) => (s.search.highlights(&text), mark),
        _ => (Vec::new(), Style::new()),
    };
    let slice = |a: usize, b: usize| marked_spans(&shown, a, b, style, &matches, mark);
    if pane.wrap {
        let mut start = 0;
        for (n, piece) in chunks(&text, room).into_iter().enumerate() {
            let mut spans = if n == 0 {
                lead.clone()
            } else {
                blank_lead.clone()
            };
            spans.extend(slice(start, start + piece.len()));
            start += piece.len();
            out.push(Line::from(spans));
        }
    } else {
        let (cut, more) = truncate(&text, room);
        let mut spans = lead;
        spans.extend(slice(0, cut.len()));
        if more {
            spans.push(Span::styled("…", theme.dim));
        }
        out.push(Line::from(spans));
    }
}

/// Keeps the `height` rows on screen: the last ones when following, else the first ones.
fn fit(mut rows: Vec<Line<'static>>, height: usize, following: bool) -> Vec<Line<'static>> {
    if rows.len() > height {
        if following {
            rows.drain(..rows.len() - height);
        } else {
            rows.truncate(height);
        }
    }
    rows
}

fn paused_hint(pane: &LogsPane, theme: &Theme) -> Vec<Span<'static>> {
    vec![
        Span::styled(" · ", theme.dim),
        Span::styled(
            format!("PAUSED · {} to follow", pane.follow_key),
            theme.warn,
        ),
    ]
}

/// Draws the logs pane: the picker when open, the empty state without streams, else the
/// shown build's streams in the chosen layout.
pub fn render(
    frame: &mut Frame,
    area: Rect,
    pane: &LogsPane,
    now: DateTime<Utc>,
    focused: bool,
    theme: &Theme,
) {
    if let Some(p) = &pane.picker {
        let extra = vec![Span::styled(format!(" · builds of #{}", p.pr), theme.dim)];
        frame.render_widget(pane_block(PaneId::Logs, extra, focused, theme), area);
        picker::render(frame, inner(area), p, &pane.picker_hint, now, theme);
        return;
    }
    let shown = pane.shown_streams();
    if shown.is_empty() {
        empty::render(frame, area, PaneId::Logs, focused, theme);
        return;
    }
    let mut extra = vec![Span::styled(
        format!(
            " · build {} · {}",
            ellipsize(pane.shown_group().unwrap_or(""), 24),
            match pane.layout {
                LogLayout::Grid => "grid",
                LogLayout::Merged => "merged",
            }
        ),
        theme.dim,
    )];
    if pane.filtering() {
        extra.push(Span::styled(" · filtered", theme.warn));
    }
    let cells = pane.grid_cells(area);
    if pane.layout == LogLayout::Grid && cells.len() < shown.len() {
        let first = cells.first().map_or(0, |c| c.0) + 1;
        let last = cells.last().map_or(0, |c| c.0) + 1;
        extra.push(Span::styled(
            format!(" · streams {first}–{last} of {}", shown.len()),
            theme.warn,
        ));
    }
    if pane.layout == LogLayout::Merged && pane.merged.is_paused() {
        extra.extend(paused_hint(pane, theme));
    }
    if pane.store.dropped() > 0 {
        extra.push(Span::styled(
            format!(
                " · {} lines dropped (scrollback)",
                thousands(pane.store.dropped())
            ),
            theme.warn,
        ));
    }
    let mut block = pane_block(PaneId::Logs, extra, focused, theme);
    // The search on the bottom border: the top one is often full on a narrow pane.
    let search = search_title(pane, theme);
    if !search.is_empty() {
        block = block.title_bottom(Line::from(search));
    }
    frame.render_widget(block, area);
    match pane.layout {
        LogLayout::Grid => {
            let indices: Vec<usize> = (0..pane.streams.len())
                .filter(|&i| Some(pane.streams[i].group.as_str()) == pane.shown_group())
                .collect();
            for (pos, rect) in cells {
                if let Some(&i) = indices.get(pos) {
                    render_cell(frame, rect, pane, i, focused && pos == pane.selected, theme);
                }
            }
        }
        LogLayout::Merged => render_merged(frame, area, pane, theme),
    }
}

/// `trainer · Running · streaming`, the image name shortened when the cell is narrow.
fn cell_title(pane: &LogsPane, i: usize, width: usize, theme: &Theme) -> Line<'static> {
    let s = &pane.streams[i];
    let status = match &s.status {
        StreamStatus::Failed(reason) => format!("failed: {}", ellipsize(reason, 48)),
        other => other.label(),
    };
    let phase_width = s.phase.as_ref().map_or(0, |p| p.width() + 3);
    let fixed = 2 + phase_width + 3 + status.width();
    let room = width.saturating_sub(fixed).max(6);
    let mut spans = vec![
        Span::raw(" "),
        Span::styled(ellipsize(&s.title, room), theme.title),
    ];
    if let Some(phase) = &s.phase {
        spans.push(Span::styled(" · ", theme.dim));
        spans.push(Span::styled(phase.clone(), phase_style(phase, theme)));
    }
    spans.push(Span::styled(" · ", theme.dim));
    spans.push(Span::styled(status, status_style(&s.status, theme)));
    spans.push(Span::raw(" "));
    Line::from(spans)
}

/// On the cell's bottom border: `PAUSED · f to follow` and the dropped count.
fn cell_footer(pane: &LogsPane, i: usize, theme: &Theme) -> Option<Line<'static>> {
    let s = &pane.streams[i];
    let mut spans = Vec::new();
    if s.scroll.is_paused() {
        spans.push(Span::styled(
            format!(" PAUSED · {} to follow ", pane.follow_key),
            theme.warn,
        ));
    }
    let dropped = pane.store.stream_dropped(s.id);
    if dropped > 0 {
        spans.push(Span::styled(
            format!(" {} dropped ", thousands(dropped)),
            theme.warn,
        ));
    }
    (!spans.is_empty()).then(|| Line::from(spans).right_aligned())
}

fn render_cell(
    frame: &mut Frame,
    rect: Rect,
    pane: &LogsPane,
    i: usize,
    selected: bool,
    theme: &Theme,
) {
    let (border_style, border_type) = if selected {
        (theme.border_focused, BorderType::Thick)
    } else {
        (theme.border, BorderType::Plain)
    };
    let width = usize::from(rect.width.saturating_sub(2));
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_type(border_type)
        .border_style(border_style)
        .title(cell_title(pane, i, width, theme));
    if let Some(footer) = cell_footer(pane, i, theme) {
        block = block.title_bottom(footer);
    }
    let area = inner(rect);
    frame.render_widget(block, rect);
    let s = &pane.streams[i];
    let vp = Viewport {
        width: usize::from(area.width),
        height: usize::from(area.height),
    };
    if pane.store.is_empty(s.id) {
        let (text, style) = match &s.status {
            StreamStatus::Failed(reason) => (reason.clone(), theme.error),
            StreamStatus::Finished => ("(no output)".to_string(), theme.dim),
            StreamStatus::Connecting => ("waiting for the pod to start…".to_string(), theme.dim),
            _ => ("waiting for output…".to_string(), theme.dim),
        };
        frame.render_widget(
            Paragraph::new(Span::styled(text, style)).wrap(Wrap { trim: true }),
            area,
        );
        return;
    }
    let lines = pane.lines_of(i);
    if pane.filtering() && lines.first().is_none() {
        let text = "(no line matches)";
        frame.render_widget(Paragraph::new(Span::styled(text, theme.dim)), area);
        return;
    }
    let top = pane.top_of(i, vp);
    let following = matches!(s.scroll, Scroll::Follow);
    // Following, `top` is at most a screenful from the end: read to the end, keep the last rows.
    let mut rows = Vec::new();
    for index in lines.after(top) {
        if !following && rows.len() >= vp.height {
            break;
        }
        if let Some(line) = pane.store.get(s.id, index) {
            let mark = mark_of(pane, s.id, index, theme);
            push_rows(&mut rows, pane, line, vp.width, None, mark, theme);
        }
    }
    frame.render_widget(Paragraph::new(fit(rows, vp.height, following)), area);
}

fn render_merged(frame: &mut Frame, area: Rect, pane: &LogsPane, theme: &Theme) {
    let inside = inner(area);
    if inside.height == 0 {
        return;
    }
    let shown = pane.shown_streams();
    let styles: Vec<(StreamId, &str, Style)> = shown
        .iter()
        .enumerate()
        .map(|(n, s)| (s.id, s.title.as_str(), stream_style(n, theme)))
        .collect();
    // The legend: every stream with its phase and status.
    let mut legend = Vec::new();
    for (s, (_, title, style)) in shown.iter().zip(&styles) {
        if !legend.is_empty() {
            legend.push(Span::styled("  │  ", theme.dim));
        }
        legend.push(Span::styled(title.to_string(), *style));
        if let Some(phase) = &s.phase {
            legend.push(Span::styled(" · ", theme.dim));
            legend.push(Span::styled(phase.clone(), phase_style(phase, theme)));
        }
        legend.push(Span::styled(" · ", theme.dim));
        legend.push(Span::styled(
            s.status.label(),
            status_style(&s.status, theme),
        ));
    }
    frame.render_widget(
        Paragraph::new(Line::from(legend)),
        Rect::new(inside.x, inside.y, inside.width, 1),
    );
    let list = Rect::new(inside.x, inside.y + 1, inside.width, inside.height - 1);
    let vp = pane.viewport(area);
    let width = pane.merged_title_width();
    let Some(top) = pane.merged_top(vp) else {
        if pane.filtering() {
            let text = Span::styled("(no line matches)", theme.dim);
            frame.render_widget(Paragraph::new(text), list);
        }
        return;
    };
    let mut rows = Vec::new();
    for p in pane.merged_forward(Some(top), vp.height) {
        let (Some(line), Some((_, title, style))) = (
            pane.store.get(p.stream, p.index),
            styles.iter().find(|s| s.0 == p.stream),
        ) else {
            continue;
        };
        let prefix = Prefix {
            title,
            width,
            style: *style,
        };
        let mark = mark_of(pane, p.stream, p.index, theme);
        push_rows(&mut rows, pane, line, vp.width, Some(&prefix), mark, theme);
        if rows.len() >= vp.height && pane.merged.is_paused() {
            break;
        }
    }
    let following = !pane.merged.is_paused();
    frame.render_widget(Paragraph::new(fit(rows, vp.height, following)), list);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_helpers() {
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
        assert_eq!(chunks("abcdefg", 3), ["abc", "def", "g"]);
        assert_eq!(chunks("", 3), [""]);
        assert_eq!(truncate("abcdefg", 4), ("abc", true));
        assert_eq!(truncate("abc", 4), ("abc", false));
        assert_eq!(pad("ab", 4), "ab  ");
    }
}
