//! Drawing a laid-out run graph (`crate::graph`: model and layout in cells) into a ratatui
//! buffer: only the cells inside the viewport, status by colour and symbol, Unicode box
//! drawing or an ASCII fallback.

use chrono::{DateTime, Utc};
use ratatui::buffer::{Buffer, Cell};
use ratatui::layout::Rect;
use ratatui::style::Style;
use unicode_width::UnicodeWidthChar;

use crate::graph::layout::{node_text, CellRect, Layout, PlacedNode, DURATION_WIDTH};
use crate::graph::status::{duration_text, NodeStatus};
use crate::graph::{NodeId, VisibleGraph};
use crate::tui::theme::Theme;

impl From<CellRect> for Rect {
    fn from(r: CellRect) -> Rect {
        Rect::new(r.x, r.y, r.width, r.height)
    }
}

/// What part of the graph the pane shows and how.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GraphView {
    /// The graph cell drawn at the area's top-left corner.
    pub offset_x: u16,
    pub offset_y: u16,
    pub selected: Option<NodeId>,
    /// `| - + v` instead of box drawing, `. * + x - c #` instead of status symbols.
    pub ascii: bool,
}

impl GraphView {
    /// Scrolls the least so `rect` is inside a viewport of `size` (its top-left first when it
    /// does not fit).
    pub fn scroll_to(&mut self, rect: CellRect, size: Rect) {
        let fit = |offset: u16, start: u16, len: u16, view: u16| -> u16 {
            let end = start.saturating_add(len);
            if start < offset || len > view {
                start
            } else if end > offset.saturating_add(view) {
                end - view
            } else {
                offset
            }
        };
        self.offset_x = fit(self.offset_x, rect.x, rect.width, size.width);
        self.offset_y = fit(self.offset_y, rect.y, rect.height, size.height);
    }

    /// Keeps the offsets within the graph (no scrolling past its far edges).
    pub fn clamp(&mut self, layout: &Layout, size: Rect) {
        self.offset_x = self.offset_x.min(layout.width.saturating_sub(size.width));
        self.offset_y = self.offset_y.min(layout.height.saturating_sub(size.height));
    }
}

struct Glyphs {
    corners: [&'static str; 4],
    h: &'static str,
    v: &'static str,
    group_corners: [&'static str; 4],
    group_h: &'static str,
    group_v: &'static str,
    port: &'static str,
    arrow: &'static str,
}

const UNICODE: Glyphs = Glyphs {
    corners: ["╭", "╮", "╰", "╯"],
    h: "─",
    v: "│",
    group_corners: ["╭", "╮", "╰", "╯"],
    group_h: "┄",
    group_v: "┆",
    port: "┬",
    arrow: "▼",
};

const ASCII: Glyphs = Glyphs {
    corners: ["+", "+", "+", "+"],
    h: "-",
    v: "|",
    group_corners: ["+", "+", "+", "+"],
    group_h: ".",
    group_v: ":",
    port: "+",
    arrow: "v",
};

const UP: u8 = 1;
const DOWN: u8 = 2;
const LEFT: u8 = 4;
const RIGHT: u8 = 8;

/// The line glyph joining the given directions.
fn edge_glyph(bits: u8, ascii: bool) -> &'static str {
    let vertical = bits & (UP | DOWN) != 0;
    let horizontal = bits & (LEFT | RIGHT) != 0;
    if ascii {
        return match (vertical, horizontal) {
            // A crossing reads as a bridge; `+` is kept for bends.
            _ if bits == UP | DOWN | LEFT | RIGHT => "|",
            (true, true) => "+",
            (true, false) => "|",
            _ => "-",
        };
    }
    match bits {
        b if b == DOWN | RIGHT => "┌",
        b if b == DOWN | LEFT => "┐",
        b if b == UP | RIGHT => "└",
        b if b == UP | LEFT => "┘",
        b if b == UP | DOWN | RIGHT => "├",
        b if b == UP | DOWN | LEFT => "┤",
        b if b == LEFT | RIGHT | DOWN => "┬",
        b if b == LEFT | RIGHT | UP => "┴",
        b if b == UP | DOWN | LEFT | RIGHT => "┼",
        _ if vertical => "│",
        _ => "─",
    }
}

/// The viewport onto the buffer: graph cells → screen cells, clipped.
struct Canvas<'a> {
    buf: &'a mut Buffer,
    area: Rect,
    ox: u16,
    oy: u16,
}

impl Canvas<'_> {
    fn cell(&mut self, x: u16, y: u16) -> Option<&mut Cell> {
        let (sx, sy) = (x.checked_sub(self.ox)?, y.checked_sub(self.oy)?);
        if sx >= self.area.width || sy >= self.area.height {
            return None;
        }
        self.buf.cell_mut((self.area.x + sx, self.area.y + sy))
    }

    fn put(&mut self, x: u16, y: u16, symbol: &str, style: Style) {
        if let Some(cell) = self.cell(x, y) {
            cell.set_symbol(symbol).set_style(style);
        }
    }

    /// Writes `text` from `x`, at most `max` columns; returns the columns used.
    fn text(&mut self, x: u16, y: u16, text: &str, max: u16, style: Style) -> u16 {
        let mut used = 0u16;
        for ch in text.chars() {
            let w = ch.width().unwrap_or(0) as u16;
            if w == 0 {
                continue;
            }
            if used + w > max {
                break;
            }
            let cx = x.saturating_add(used);
            let mut tmp = [0u8; 4];
            self.put(cx, y, ch.encode_utf8(&mut tmp), style);
            for extra in 1..w {
                if let Some(cell) = self.cell(cx.saturating_add(extra), y) {
                    cell.reset();
                }
            }
            used += w;
        }
        used
    }

    fn visible(&self, r: CellRect) -> bool {
        let (vx, vy) = (u32::from(self.ox), u32::from(self.oy));
        u32::from(r.x) < vx + u32::from(self.area.width)
            && u32::from(r.x) + u32::from(r.width) > vx
            && u32::from(r.y) < vy + u32::from(self.area.height)
            && u32::from(r.y) + u32::from(r.height) > vy
    }

    fn patch(&mut self, x: u16, y: u16, style: Style) {
        if let Some(cell) = self.cell(x, y) {
            let patched = cell.style().patch(style);
            cell.set_style(patched);
        }
    }
}

/// Draws the part of `graph` that `view` shows into `area` of `buf`.
pub fn render(
    graph: &VisibleGraph,
    layout: &Layout,
    area: Rect,
    buf: &mut Buffer,
    view: &GraphView,
    theme: &Theme,
    now: DateTime<Utc>,
) {
    let area = area.intersection(buf.area);
    if area.is_empty() {
        return;
    }
    let glyphs = if view.ascii { &ASCII } else { &UNICODE };
    let mut canvas = Canvas {
        buf,
        area,
        ox: view.offset_x,
        oy: view.offset_y,
    };
    for group in &layout.groups {
        if canvas.visible(group.rect) {
            draw_box(&mut canvas, group, graph, view, theme, now, true, glyphs);
        }
    }
    draw_edges(&mut canvas, layout, view, theme, glyphs);
    for node in &layout.nodes {
        if canvas.visible(node.rect) {
            draw_box(&mut canvas, node, graph, view, theme, now, false, glyphs);
        }
    }
    // Each edge leaves through a port on its source's bottom border.
    for edge in &layout.edges {
        if let Some(&(x, y)) = edge.path.first() {
            if let Some(cell) = y.checked_sub(1).and_then(|py| canvas.cell(x, py)) {
                cell.set_symbol(glyphs.port);
            }
        }
    }
    if let Some(selected) = view.selected {
        highlight(&mut canvas, layout, selected, theme);
    }
}

fn draw_edges(canvas: &mut Canvas, layout: &Layout, view: &GraphView, theme: &Theme, g: &Glyphs) {
    let (w, h) = (
        usize::from(canvas.area.width),
        usize::from(canvas.area.height),
    );
    // Direction bits per viewport cell; bit 16 marks an arrow, bit 32 an edge of the selection.
    let mut grid = vec![0u8; w * h];
    for (e, edge) in layout.edges.iter().enumerate() {
        if !canvas.visible(layout.edge_bounds(e)) {
            continue;
        }
        let touches = view
            .selected
            .is_some_and(|s| s == edge.from || s == edge.to);
        let last = edge.path.len().saturating_sub(1);
        for (i, &(x, y)) in edge.path.iter().enumerate() {
            let (Some(sx), Some(sy)) = (x.checked_sub(canvas.ox), y.checked_sub(canvas.oy)) else {
                continue;
            };
            let (sx, sy) = (usize::from(sx), usize::from(sy));
            if sx >= w || sy >= h {
                continue;
            }
            let toward = |o: (u16, u16)| -> u8 {
                match (i32::from(o.0) - i32::from(x), i32::from(o.1) - i32::from(y)) {
                    (0, -1) => UP,
                    (0, 1) => DOWN,
                    (-1, 0) => LEFT,
                    (1, 0) => RIGHT,
                    _ => 0,
                }
            };
            let mut bits = if i == 0 { UP } else { toward(edge.path[i - 1]) };
            bits |= if i == last {
                DOWN | 16
            } else {
                toward(edge.path[i + 1])
            };
            if touches {
                bits |= 32;
            }
            grid[sy * w + sx] |= bits;
        }
    }
    for (i, &bits) in grid.iter().enumerate() {
        if bits == 0 {
            continue;
        }
        let symbol = if bits & 16 != 0 {
            g.arrow
        } else {
            edge_glyph(bits & 15, view.ascii)
        };
        let style = if bits & 32 != 0 {
            theme.border_focused
        } else {
            theme.label
        };
        let (x, y) = ((i % w) as u16, (i / w) as u16);
        if let Some(cell) = canvas.buf.cell_mut((canvas.area.x + x, canvas.area.y + y)) {
            cell.set_symbol(symbol).set_style(style);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn draw_box(
    canvas: &mut Canvas,
    placed: &PlacedNode,
    graph: &VisibleGraph,
    view: &GraphView,
    theme: &Theme,
    now: DateTime<Utc>,
    group: bool,
    g: &Glyphs,
) {
    let Some(node) = graph.node(placed.id) else {
        return;
    };
    let r = placed.rect;
    if r.width < 2 || r.height < 2 {
        return;
    }
    let status_style = theme.status_style(node.status);
    let (corners, h, v, frame_style) = if group {
        (&g.group_corners, g.group_h, g.group_v, theme.border)
    } else {
        (&g.corners, g.h, g.v, status_style)
    };
    let (right, bottom) = (r.x + r.width - 1, r.y + r.height - 1);
    for x in r.x..=right {
        let (top, low) = match x {
            _ if x == r.x => (corners[0], corners[2]),
            _ if x == right => (corners[1], corners[3]),
            _ => (h, h),
        };
        canvas.put(x, r.y, top, frame_style);
        canvas.put(x, bottom, low, frame_style);
    }
    for y in r.y + 1..bottom {
        canvas.put(r.x, y, v, frame_style);
        canvas.put(right, y, v, frame_style);
        if !group {
            for x in r.x + 1..right {
                canvas.put(x, y, " ", Style::default());
            }
        }
    }
    // The text row: ` ✓ name      1m23s `.
    let y = r.y + 1;
    let inner = r.width.saturating_sub(2);
    let label_style = match node.status {
        NodeStatus::Pending | NodeStatus::Skipped => theme.dim,
        _ if group => theme.title,
        _ => Style::default(),
    };
    let mut sym = [0u8; 4];
    canvas.put(
        r.x + 2,
        y,
        node.status.symbol(view.ascii).encode_utf8(&mut sym),
        status_style,
    );
    let dur = duration_text(node, now);
    let text_max = inner.saturating_sub(4 + DURATION_WIDTH as u16);
    canvas.text(
        r.x + 4,
        y,
        &node_text(node, view.ascii),
        text_max,
        label_style,
    );
    let dur_w = dur.chars().count() as u16;
    canvas.text(
        right.saturating_sub(1 + dur_w),
        y,
        &dur,
        dur_w,
        status_style,
    );
}

fn highlight(canvas: &mut Canvas, layout: &Layout, selected: NodeId, theme: &Theme) {
    let Some(r) = layout.rect_of(selected) else {
        return;
    };
    let (right, bottom) = (
        r.x + r.width.saturating_sub(1),
        r.y + r.height.saturating_sub(1),
    );
    if layout.is_group(selected) {
        // The frame and the title row: the children keep their own look.
        for x in r.x..=right {
            canvas.patch(x, r.y, theme.selected);
            canvas.patch(x, r.y + 1, theme.selected);
            canvas.patch(x, bottom, theme.selected);
        }
        for y in r.y + 2..bottom {
            canvas.patch(r.x, y, theme.selected);
            canvas.patch(right, y, theme.selected);
        }
    } else {
        for y in r.y..=bottom {
            for x in r.x..=right {
                canvas.patch(x, y, theme.selected);
            }
        }
    }
}
