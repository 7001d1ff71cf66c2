//! Drawing the deployment targets pane: one card per target, fitted to the pane (cards side
//! by side when zoomed; on a short pane the least important lines go first).

use chrono::{DateTime, Utc};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use super::{label_holders, target_name, StreamState, TargetsPane, TARGETS};
use crate::backends::kserve::ServiceState;
use crate::chatops::DeployTarget;
use crate::domain::PullRequest;
use crate::tui::app::PaneId;
use crate::tui::format::{age, ellipsize, short_id};
use crate::tui::panes::pane_block;
use crate::tui::theme::Theme;

/// `churn-model-predictor-00002` → `00002` (the revision's number is what tells them apart).
pub(super) fn short_revision(name: &str) -> &str {
    match name.rsplit_once('-') {
        Some((_, n)) if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => n,
        _ => name,
    }
}

/// Spans cut to `width` columns, the last one ending with `…` when cut.
fn fit(spans: Vec<Span<'static>>, width: usize) -> Line<'static> {
    let mut out = Vec::new();
    let mut used = 0;
    for span in spans {
        let w = span.content.width();
        if used + w <= width {
            used += w;
            out.push(span);
            continue;
        }
        let room = width.saturating_sub(used);
        if room > 0 {
            out.push(Span::styled(ellipsize(&span.content, room), span.style));
        }
        break;
    }
    Line::from(out)
}

/// Width of the dim key column (`  traffic `).
const KEY: usize = 10;

fn keyed(key: &str, value: Vec<Span<'static>>, theme: &Theme) -> Vec<Span<'static>> {
    let mut spans = vec![Span::styled(
        format!("  {key:<w$} ", w = KEY - 3),
        theme.dim,
    )];
    spans.extend(value);
    spans
}

/// The traffic split in the longest form that fits `width`: `latest 00002 10% │ prev 00001
/// 90%`, then without tags, then percentages only.
pub(super) fn traffic_text(state: &ServiceState, width: usize) -> String {
    type Form<'a> = &'a dyn Fn(&(String, i64, Option<String>)) -> String;
    let forms: [Form; 3] = [
        &|(rev, pct, tag)| match tag {
            Some(tag) => format!("{tag} {} {pct}%", short_revision(rev)),
            None => format!("{} {pct}%", short_revision(rev)),
        },
        &|(rev, pct, _)| format!("{} {pct}%", short_revision(rev)),
        &|(_, pct, _)| format!("{pct}%"),
    ];
    let mut text = String::new();
    for form in forms {
        text = state
            .traffic
            .iter()
            .map(form)
            .collect::<Vec<_>>()
            .join(" │ ");
        if text.width() <= width {
            break;
        }
    }
    text
}

/// A bar of the traffic split, one fill character per traffic target.
pub(super) fn traffic_bar(state: &ServiceState, width: usize, theme: &Theme) -> Vec<Span<'static>> {
    const FILLS: [&str; 4] = ["█", "░", "▒", "▓"];
    let total: i64 = state.traffic.iter().map(|t| t.1.max(0)).sum();
    if total <= 0 || width == 0 {
        return Vec::new();
    }
    let mut spans = Vec::new();
    let mut drawn = 0usize;
    let mut cumulative = 0i64;
    for (i, (_, pct, _)) in state.traffic.iter().enumerate() {
        cumulative += pct.max(&0);
        // Cumulative rounding, so the cells always add up to `width`.
        let end = usize::try_from(cumulative * i64::try_from(width).unwrap_or(0) / total)
            .unwrap_or(0)
            .min(width);
        let cells = end.saturating_sub(drawn);
        drawn = end.max(drawn);
        let style = if i == 0 { theme.key } else { theme.dim };
        spans.push(Span::styled(FILLS[i % FILLS.len()].repeat(cells), style));
    }
    spans
}

/// `text` word-wrapped to `width` columns after `indent`, in at most `max` lines (the last
/// cut with `…`), each with `priority`.
fn wrapped(
    text: &str,
    indent: &str,
    width: usize,
    max: usize,
    priority: u8,
    style: Style,
) -> Vec<CardLine> {
    let room = width.saturating_sub(indent.width()).max(1);
    let mut rows: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        if !current.is_empty() && current.width() + 1 + word.width() > room {
            rows.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() {
        rows.push(current);
    }
    if rows.len() > max {
        let rest = rows.split_off(max.saturating_sub(1)).join(" ");
        rows.push(ellipsize(&rest, room));
    }
    rows.into_iter()
        .map(|row| {
            let line = vec![Span::styled(format!("{indent}{row}"), style)];
            (priority, fit(line, width))
        })
        .collect()
}

/// Lines kept for a message that must be read (why not ready, the watch's error).
const MESSAGE_LINES: usize = 2;

/// One line of a card with how important it is (0 = kept longest on a short pane).
type CardLine = (u8, Line<'static>);

/// The lines of one target's card, each already fitted to `width`.
fn card(
    target: DeployTarget,
    pane: &TargetsPane,
    prs: Option<&[PullRequest]>,
    now: DateTime<Utc>,
    focused: bool,
    width: usize,
    theme: &Theme,
) -> Vec<CardLine> {
    let t = pane.target(target);
    let selected = pane.selected == target;
    let mut lines: Vec<CardLine> = Vec::new();

    let header_style = if selected && focused {
        theme.selected
    } else {
        theme.title
    };
    let header = vec![
        Span::styled(if selected { "▶ " } else { "  " }, theme.key),
        Span::styled(format!("{:<11}", target_name(target)), header_style),
        Span::styled(format!("{}/{}", t.namespace, pane.service_name), theme.dim),
    ];
    lines.push((0, fit(header, width)));

    // Readiness (and why not), rollout in progress.
    let (readiness, reason): (Vec<Span<'static>>, Option<String>) = match &t.state {
        None if t.listed => (vec![Span::styled("— not deployed", theme.dim)], None),
        None if matches!(t.stream, StreamState::Connecting) => {
            (vec![Span::styled("… loading", theme.dim)], None)
        }
        None => (vec![Span::styled("◌ Unknown", theme.warn)], None),
        Some(s) => {
            let mut spans = match s.ready {
                Some(true) => vec![Span::styled("● Ready", theme.ok)],
                Some(false) => vec![Span::styled("○ Not ready", theme.error)],
                None => vec![Span::styled("◌ Unknown", theme.warn)],
            };
            if s.generation.is_some() && s.observed_generation < s.generation {
                spans.push(Span::styled(" ⟳ rolling out", theme.warn));
            }
            let reason = s.reason.clone().filter(|_| s.ready != Some(true));
            (spans, reason)
        }
    };
    let mut ready_line = vec![Span::raw("  ")];
    ready_line.extend(readiness);
    let ready_width: usize = ready_line.iter().map(|s| s.content.width()).sum();
    match reason {
        // On one line when it fits, else the reason gets its own line.
        Some(r) if ready_width + 2 + r.width() <= width => {
            let style = ready_line.last().map(|s| s.style).unwrap_or(theme.error);
            ready_line.push(Span::styled(format!(": {r}"), style));
            lines.push((1, fit(ready_line, width)));
        }
        Some(r) => {
            lines.push((1, fit(ready_line, width)));
            lines.extend(wrapped(&r, "    ", width, MESSAGE_LINES, 2, theme.error));
        }
        None => lines.push((1, fit(ready_line, width))),
    }

    // The watch's trouble, with since when.
    match &t.stream {
        StreamState::Failing {
            error,
            since,
            count,
        } => {
            let times = if *count > 1 {
                format!(" ({count}×)")
            } else {
                String::new()
            };
            let text = format!(
                "⚠ failing for {}{times}, retrying: {error}",
                age(*since, now)
            );
            lines.extend(wrapped(&text, "  ", width, MESSAGE_LINES, 1, theme.error));
        }
        StreamState::Unavailable(reason) => {
            let text = format!("⚠ not watched: {reason}");
            lines.extend(wrapped(&text, "  ", width, MESSAGE_LINES, 1, theme.warn));
        }
        StreamState::Connecting | StreamState::Watching => {}
    }

    if let Some(s) = &t.state {
        if let Some(url) = &s.url {
            let value = vec![Span::raw(url.clone())];
            lines.push((5, fit(keyed("url", value, theme), width)));
        }
        if !s.traffic.is_empty() {
            let text = traffic_text(s, width.saturating_sub(KEY));
            let value = vec![Span::raw(text)];
            lines.push((3, fit(keyed("traffic", value, theme), width)));
            if s.traffic.len() > 1 {
                let bar = traffic_bar(s, width.saturating_sub(KEY).min(40), theme);
                lines.push((7, fit(keyed("", bar, theme), width)));
            }
        }
        let revision =
            |r: &Option<String>| r.as_deref().map(short_revision).unwrap_or("-").to_string();
        let mut rev = vec![
            Span::styled("created ", theme.dim),
            Span::raw(revision(&s.latest_created)),
            Span::styled(" ready ", theme.dim),
            Span::raw(revision(&s.latest_ready)),
        ];
        if let Some(canary) = s.canary_percent {
            rev.push(Span::styled(" canary ", theme.dim));
            rev.push(Span::styled(format!("{canary}%"), theme.warn));
        }
        lines.push((6, fit(keyed("rev", rev, theme), width)));
        lines.extend(run_lines(s, width, theme));
    }

    // The PR carrying the label.
    let holders = label_holders(target, prs, t.state.as_ref());
    if !holders.is_empty() || t.state.is_some() {
        let mut value = Vec::new();
        for (i, h) in holders.iter().enumerate() {
            if i > 0 {
                value.push(Span::styled(" · ", theme.dim));
            }
            value.push(Span::styled(format!("#{}", h.pr), theme.title));
            let (text, style) = match h.open {
                Some(true) => (" open", theme.ok),
                Some(false) => (" closed", theme.dim),
                None => ("", theme.dim),
            };
            value.push(Span::styled(text, style));
            if !h.labelled && h.open == Some(true) {
                // The service names an open PR that lacks the label.
                value.push(Span::styled(" (no label)", theme.warn));
            }
        }
        if holders.is_empty() {
            value.push(Span::styled("no PR has the label", theme.dim));
        }
        lines.push((2, fit(keyed("PR", value, theme), width)));
    }
    lines
}

/// The `run` line(s): what really serves (each revision's run from its Knative Revision),
/// one line per revision when the traffic is split or the latest revision is not promoted
/// (`run A 100%`, `run B 0% (canary, not promoted)`).
fn run_lines(s: &ServiceState, width: usize, theme: &Theme) -> Vec<CardLine> {
    let served = s.served();
    let full = |id: &String| {
        // In full when it fits (to copy into `/deploy --run-id=…`).
        if width >= KEY + id.width() + 8 {
            id.clone()
        } else {
            short_id(id)
        }
    };
    if served.len() <= 1 {
        let model = match served.first() {
            Some(x) => x.model.clone(),
            None => s.model_of(s.latest_created.as_deref().unwrap_or_default()),
        };
        let run = match model.and_then(|m| m.run_id) {
            Some(id) => Span::raw(full(&id)),
            None => Span::styled("-", theme.dim),
        };
        return vec![(3, fit(keyed("run", vec![run], theme), width))];
    }
    served
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let mut value = match x.model.as_ref().and_then(|m| m.run_id.as_ref()) {
                Some(id) => vec![Span::raw(short_id(id))],
                None => vec![Span::styled("unknown run", theme.dim)],
            };
            value.push(Span::raw(format!(" {}%", x.percent)));
            if let Some(pr) = x.model.as_ref().and_then(|m| m.pr) {
                value.push(Span::styled(format!(" #{pr}"), theme.dim));
            }
            if let Some(note) = x.note {
                value.push(Span::styled(format!(" ({note})"), theme.warn));
            }
            let key = if i == 0 { "run" } else { "" };
            // The first (the most traffic) is kept longest.
            (
                if i == 0 { 3 } else { 4 },
                fit(keyed(key, value, theme), width),
            )
        })
        .collect()
}

/// Drops the least important lines (the later one first on a tie) until `lines` fit `height`.
fn shrink(lines: &mut Vec<CardLine>, height: usize) {
    while lines.len() > height {
        let Some(drop) = lines
            .iter()
            .enumerate()
            .max_by_key(|(i, (prio, _))| (*prio, *i))
            .map(|(i, _)| i)
        else {
            break;
        };
        lines.remove(drop);
    }
}

/// The watch state of the pane as a whole, for its title.
fn title_status(pane: &TargetsPane, theme: &Theme) -> Span<'static> {
    let streams = [&pane.staging.stream, &pane.production.stream];
    if streams
        .iter()
        .any(|s| matches!(s, StreamState::Failing { .. }))
    {
        Span::styled(" ⚠ reconnecting", theme.error)
    } else if streams
        .iter()
        .any(|s| matches!(s, StreamState::Unavailable(_)))
    {
        Span::styled(" ⚠ not watched", theme.warn)
    } else if streams.iter().any(|s| matches!(s, StreamState::Connecting)) {
        Span::styled(" … connecting", theme.dim)
    } else {
        Span::styled(" ● live", theme.ok)
    }
}

/// Inner widths from which the two cards stand side by side (the zoomed pane).
const SIDE_BY_SIDE: u16 = 90;

/// Draws the deployment targets pane. `prs` is the open PR list (`None` while not loaded).
pub fn render(
    frame: &mut Frame,
    area: Rect,
    pane: &TargetsPane,
    prs: Option<&[PullRequest]>,
    now: DateTime<Utc>,
    focused: bool,
    theme: &Theme,
) {
    let block = pane_block(
        PaneId::Targets,
        vec![title_status(pane, theme)],
        focused,
        theme,
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.width == 0 || inner.height == 0 {
        return;
    }
    let card_of =
        |target, width: u16| card(target, pane, prs, now, focused, usize::from(width), theme);
    if inner.width >= SIDE_BY_SIDE {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(inner);
        let right_block = Block::default()
            .borders(Borders::LEFT)
            .border_style(theme.border);
        let right_inner = right_block.inner(right);
        frame.render_widget(right_block, right);
        for (target, rect) in [(TARGETS[0], left), (TARGETS[1], right_inner)] {
            let mut lines = card_of(target, rect.width);
            shrink(&mut lines, usize::from(rect.height));
            let text: Vec<Line> = lines.into_iter().map(|(_, l)| l).collect();
            frame.render_widget(Paragraph::new(text), rect);
        }
        return;
    }
    // Stacked, with a blank line between the cards when there is room.
    let height = usize::from(inner.height);
    let mut first = card_of(TARGETS[0], inner.width);
    let mut second = card_of(TARGETS[1], inner.width);
    let gap = usize::from(first.len() + second.len() < height);
    let mut all: Vec<(bool, CardLine)> = first
        .drain(..)
        .map(|l| (false, l))
        .chain(second.drain(..).map(|l| (true, l)))
        .collect();
    // Shrink both cards together, so neither loses its important lines to the other.
    while all.len() + gap > height {
        let Some(drop) = all
            .iter()
            .enumerate()
            .max_by_key(|(i, (_, (prio, _)))| (*prio, *i))
            .map(|(i, _)| i)
        else {
            break;
        };
        all.remove(drop);
    }
    let mut text: Vec<Line> = Vec::new();
    let mut in_second = false;
    for (second, (_, line)) in all {
        if second && !in_second && gap == 1 {
            text.push(Line::raw(""));
        }
        in_second = second;
        text.push(line);
    }
    frame.render_widget(Paragraph::new(text), inner);
}
