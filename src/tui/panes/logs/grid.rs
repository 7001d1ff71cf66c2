//! Where each stream's cell goes in the grid layout: a pure function of the area, the number
//! of streams and the selected one, shared by drawing and the reducer's paging.

use ratatui::layout::Rect;

/// A cell narrower than this is not useful; more streams than fit are paged.
pub const MIN_CELL_WIDTH: u16 = 24;
/// Borders plus a few lines.
pub const MIN_CELL_HEIGHT: u16 = 5;

/// The grid of `n` streams in `area`: `(stream position, cell)` for the streams shown. When
/// not all fit, the page holding `selected` is shown.
///
/// 1 → one cell; 2 → side by side; 3 → three columns (or 2 + 1 when narrow); 4 → 2×2;
/// more → up to 3 columns, as many rows as fit.
pub fn cells(area: Rect, n: usize, selected: usize) -> Vec<(usize, Rect)> {
    if n == 0 || area.width == 0 || area.height == 0 {
        return Vec::new();
    }
    let max_cols = usize::from((area.width / MIN_CELL_WIDTH).max(1));
    let max_rows = usize::from((area.height / MIN_CELL_HEIGHT).max(1));
    let capacity = max_cols * max_rows;
    let shown = n.min(capacity);
    let first = (selected.min(n - 1) / capacity) * capacity;
    let shown = shown.min(n - first);
    let mut cols = if shown <= 3 {
        shown
    } else {
        (1..=shown).find(|c| c * c >= shown).unwrap_or(shown)
    };
    cols = cols.min(max_cols).max(1);
    if shown.div_ceil(cols) > max_rows {
        cols = shown.div_ceil(max_rows).min(max_cols);
    }
    let rows = shown.div_ceil(cols);
    let mut out = Vec::with_capacity(shown);
    for r in 0..rows {
        let in_row = cols.min(shown - r * cols);
        let y0 = area.y + split(area.height, rows, r);
        let y1 = area.y + split(area.height, rows, r + 1);
        for c in 0..in_row {
            let x0 = area.x + split(area.width, in_row, c);
            let x1 = area.x + split(area.width, in_row, c + 1);
            out.push((first + r * cols + c, Rect::new(x0, y0, x1 - x0, y1 - y0)));
        }
    }
    out
}

/// The offset of part `i` of `parts` equal parts of `total` (the remainder spread evenly).
fn split(total: u16, parts: usize, i: usize) -> u16 {
    let parts = parts.max(1) as u32;
    u16::try_from(u32::from(total) * i as u32 / parts).unwrap_or(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(cells: &[(usize, Rect)]) -> Vec<(usize, u16, u16, u16, u16)> {
        cells
            .iter()
            .map(|(i, r)| (*i, r.x, r.y, r.width, r.height))
            .collect()
    }

    #[test]
    fn layouts_for_two_three_and_four_streams() {
        let wide = Rect::new(0, 0, 120, 30);
        assert_eq!(
            shape(&cells(wide, 2, 0)),
            [(0, 0, 0, 60, 30), (1, 60, 0, 60, 30)]
        );
        assert_eq!(
            shape(&cells(wide, 3, 0)),
            [(0, 0, 0, 40, 30), (1, 40, 0, 40, 30), (2, 80, 0, 40, 30)]
        );
        assert_eq!(
            shape(&cells(wide, 4, 0)),
            [
                (0, 0, 0, 60, 15),
                (1, 60, 0, 60, 15),
                (2, 0, 15, 60, 15),
                (3, 60, 15, 60, 15)
            ]
        );
        // Narrow: 3 streams become 2 + 1, the last one full width.
        let narrow = Rect::new(0, 0, 52, 20);
        assert_eq!(
            shape(&cells(narrow, 3, 0)),
            [(0, 0, 0, 26, 10), (1, 26, 0, 26, 10), (2, 0, 10, 52, 10)]
        );
    }

    #[test]
    fn more_streams_than_fit_are_paged_around_the_selection() {
        let small = Rect::new(0, 0, 50, 10); // 2 columns × 2 rows fit
        let page = cells(small, 6, 0);
        assert_eq!(page.iter().map(|c| c.0).collect::<Vec<_>>(), [0, 1, 2, 3]);
        let page = cells(small, 6, 5);
        assert_eq!(page.iter().map(|c| c.0).collect::<Vec<_>>(), [4, 5]);
        assert!(cells(small, 0, 0).is_empty());
    }
}
