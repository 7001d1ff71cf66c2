//! What the save keys write: the view as shown (the shown streams in merged order, the filter
//! applied, each line prefixed with its image) or one stream exactly as received. Pure: the
//! reducer builds the text, the runner writes it off the UI task.

use unicode_width::UnicodeWidthStr;

use super::LogsPane;
use crate::logs::ansi;

/// Lines read from the merged order at a time.
const PAGE: usize = 4096;

/// The shown streams in merged order with the filter applied, as the merged view shows them:
/// `[time ]image │ text` (the time when timestamps are shown, in full), the text as a
/// terminal shows it (escape sequences dropped, `\r` applied, never cut). Returns the text
/// and its number of lines.
pub fn view_text(pane: &LogsPane) -> (String, usize) {
    let shown = pane.shown_streams();
    let width = shown.iter().map(|s| s.title.width()).max().unwrap_or(0);
    let mut out = String::new();
    let mut lines = 0;
    let mut start = None;
    loop {
        let page = pane.merged_forward(start, PAGE + 1);
        // From the second page on, the first line is the last one of the page before.
        let skip = usize::from(start.is_some());
        for p in page.iter().skip(skip) {
            let (Some(line), Some(stream)) = (
                pane.store.get(p.stream, p.index),
                shown.iter().find(|s| s.id == p.stream),
            ) else {
                continue;
            };
            if pane.timestamps {
                match line.time {
                    Some(t) => out.push_str(
                        &t.with_timezone(&pane.tz)
                            .format("%Y-%m-%dT%H:%M:%S%.3f%:z ")
                            .to_string(),
                    ),
                    None => out.push_str(&" ".repeat(30)),
                }
            }
            let pad = width.saturating_sub(stream.title.width());
            out.push_str(&stream.title);
            out.push_str(&" ".repeat(pad));
            out.push_str(" │ ");
            out.push_str(&ansi::search_text(line.text));
            out.push('\n');
            lines += 1;
        }
        match page.last() {
            Some(last) if page.len() > skip => start = Some(*last),
            _ => break,
        }
    }
    (out, lines)
}

/// Stream `i`'s lines exactly as received (escape sequences and all), one per line: what
/// the store holds of it. Returns the text and its number of lines.
pub fn stream_text(pane: &LogsPane, i: usize) -> (String, usize) {
    let id = pane.streams[i].id;
    let range = pane.store.range(id);
    let mut out = String::new();
    for segment in pane.store.segments(id, range.start) {
        // Every line is followed by `\n` in the store already.
        out.push_str(segment.text);
    }
    (out, pane.store.len(id))
}
