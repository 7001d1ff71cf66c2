//! The build logs pane drawn with ratatui's TestBackend: the grid of a build's streams in
//! their different states, the merged view, and the colours that carry meaning.

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use kfops_console::backends::cluster::LogLine;
use kfops_console::domain::PodRef;
use kfops_console::keys::KeyMap;
use kfops_console::logs::search::{Direction, Search};
use kfops_console::logs::StreamStatus;
use kfops_console::tui::panes::logs::{self, LogLayout, LogsPane, Viewport};
use kfops_console::tui::theme::Theme;
use kfops_console::tui::{view, App};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::Terminal;

fn t(ms: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap() + chrono::Duration::milliseconds(ms)
}

fn pod(name: &str) -> PodRef {
    PodRef {
        namespace: "kfops".into(),
        name: name.into(),
        container: None,
    }
}

/// Kaniko-like output: `INFO[0003] …` lines, one every 700 ms from `start`.
fn kaniko(image: &str, start: i64, n: usize) -> Vec<LogLine> {
    let steps = [
        "Retrieving image manifest python:3.11-slim",
        "Built cross stage deps: map[]",
        "Executing 0 build triggers",
        "Unpacking rootfs as cmd COPY requirements.txt . requires it.",
        "RUN pip install --no-cache-dir -r requirements.txt",
        "Taking snapshot of full filesystem...",
        "COPY src/ /app/src/",
        "Pushing image to registry.example.com/acme/model",
    ];
    (0..n)
        .map(|i| {
            let ms = start + i as i64 * 700;
            LogLine {
                time: Some(t(ms)),
                text: format!(
                    "INFO[{:04}] {} ({image} step {i})",
                    ms / 1000,
                    steps[i % steps.len()]
                ),
            }
        })
        .collect()
}

/// One build of three images: trainer failed (finished), server running (streaming, paused
/// by the operator), evaluator running (its stream reconnecting).
fn three_streams() -> LogsPane {
    let mut pane = LogsPane::new(10_000);
    pane.tz = FixedOffset::east_opt(0).unwrap();
    for (name, image) in [
        ("b7-trainer", "trainer"),
        ("b7-server", "server"),
        ("b7-evaluator", "evaluator"),
    ] {
        assert!(pane.open_stream(pod(name), image.into(), "b7f3a9c1".into()));
    }
    let mut trainer = kaniko("trainer", 0, 12);
    trainer.push(LogLine {
        time: Some(t(9_000)),
        text:
            "error building image: error building stage: failed to execute command: exit status 1"
                .into(),
    });
    pane.append(&pod("b7-trainer"), trainer);
    pane.set_phase(&pod("b7-trainer"), "Failed");
    pane.set_status(&pod("b7-trainer"), StreamStatus::Finished);

    pane.append(&pod("b7-server"), kaniko("server", 350, 30));
    pane.set_phase(&pod("b7-server"), "Running");
    pane.set_status(&pod("b7-server"), StreamStatus::Streaming);

    pane.append(&pod("b7-evaluator"), kaniko("evaluator", 200, 10));
    pane.set_phase(&pod("b7-evaluator"), "Running");
    pane.set_status(
        &pod("b7-evaluator"),
        StreamStatus::Reconnecting {
            attempt: 2,
            reason: "connection reset".into(),
        },
    );
    pane
}

fn draw(pane: &LogsPane, theme: &Theme) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(120, 30)).unwrap();
    terminal
        .draw(|f| logs::render(f, f.area(), pane, t(60_000), true, theme))
        .unwrap();
    terminal
}

/// Where `text` starts on screen, if it is drawn.
fn find(buf: &Buffer, text: &str) -> Option<(u16, u16)> {
    let area = buf.area;
    for y in 0..area.height {
        let row: String = (0..area.width).map(|x| buf[(x, y)].symbol()).collect();
        if let Some(byte) = row.find(text) {
            let x = row[..byte].chars().count();
            return Some((u16::try_from(x).unwrap(), y));
        }
    }
    None
}

#[test]
fn grid_shows_each_stream_with_its_phase_and_stream_status() {
    let mut pane = three_streams();
    // The operator scrolled the server's log up a little: its title says so.
    pane.select_stream(1);
    let vp = Viewport {
        width: 38,
        height: 26,
    };
    pane.scroll_up(2, vp);
    pane.select_stream(-1);
    let terminal = draw(&pane, &Theme::default());
    insta::assert_snapshot!("logs_grid_three_streams_120x30", terminal.backend());
}

#[test]
fn merged_view_prefixes_every_line_with_its_image_in_time_order() {
    let mut pane = three_streams();
    pane.layout = LogLayout::Merged;
    pane.timestamps = true;
    // From the first line: paused, the three images interleaved by time.
    pane.scroll_to_top();
    let terminal = draw(&pane, &Theme::default());
    insta::assert_snapshot!("logs_merged_timestamps_120x30", terminal.backend());
}

#[test]
fn wrapped_lines_continue_under_the_text() {
    let mut pane = three_streams();
    let cut = draw(&pane, &Theme::default());
    assert!(
        find(cut.backend().buffer(), "…┃").is_some(),
        "cut lines end with …"
    );
    assert!(find(cut.backend().buffer(), "exit status 1").is_none());
    pane.wrap = true;
    let terminal = draw(&pane, &Theme::default());
    let buf = terminal.backend().buffer();
    // The long trainer error is wrapped, not cut.
    assert!(find(buf, "status 1").is_some());
    assert!(find(buf, "…│").is_none() && find(buf, "…┃").is_none());
}

#[test]
fn failed_phase_is_drawn_in_the_error_style_and_streaming_in_ok() {
    let theme = Theme::default();
    let terminal = draw(&three_streams(), &theme);
    let buf = terminal.backend().buffer();
    let (x, y) = find(buf, "Failed").expect("the failed phase is in a title");
    for dx in 0..6 {
        let cell = &buf[(x + dx, y)];
        assert_eq!(cell.fg, theme.error.fg.unwrap(), "{cell:?}");
        assert!(cell.modifier.contains(ratatui::style::Modifier::BOLD));
    }
    let (x, y) = find(buf, "streaming").unwrap();
    assert_eq!(buf[(x, y)].fg, theme.ok.fg.unwrap());
    let (x, y) = find(buf, "reconnecting (2)").unwrap();
    assert_eq!(buf[(x, y)].fg, theme.warn.fg.unwrap());
    // The trainer's error line is red too.
    let (x, y) = find(buf, "error building image").unwrap();
    assert_eq!(buf[(x, y)].fg, theme.error.fg.unwrap());
}

#[test]
fn a_restarted_container_is_shown_in_its_title_in_the_warning_style() {
    let theme = Theme::default();
    let mut pane = three_streams();
    pane.set_status(&pod("b7-server"), StreamStatus::Restarted { count: 1 });
    let terminal = draw(&pane, &theme);
    let buf = terminal.backend().buffer();
    let (x, y) = find(buf, "restarted (1)").expect("the restart is in the title");
    assert_eq!(buf[(x, y)].fg, theme.warn.fg.unwrap());
}

#[test]
fn dropped_lines_are_counted_in_the_titles() {
    let mut pane = LogsPane::new(1000);
    pane.tz = FixedOffset::east_opt(0).unwrap();
    pane.open_stream(pod("p"), "trainer".into(), "b1".into());
    pane.append(&pod("p"), kaniko("trainer", 0, 1500));
    let terminal = draw(&pane, &Theme::default());
    let buf = terminal.backend().buffer();
    assert!(find(buf, "500 lines dropped (scrollback)").is_some());
    assert!(find(buf, "trainer · connecting").is_some());
    assert!(find(buf, " 500 dropped ").is_some());
    // Following: the newest line is on the last row inside the borders.
    assert_eq!(find(buf, "step 1499)").map(|(_, y)| y), Some(27));
}

#[test]
fn console_draws_the_logs_pane_instead_of_the_empty_placeholder() {
    let mut app = App::new("acme/model", "test", KeyMap::default());
    let size = Rect::new(0, 0, 160, 40);
    app.size = size;
    let mut terminal = Terminal::new(TestBackend::new(size.width, size.height)).unwrap();
    terminal.draw(|f| view::draw(f, &app)).unwrap();
    assert!(find(terminal.backend().buffer(), "No build logs yet.").is_some());

    app.logs = three_streams();
    terminal.draw(|f| view::draw(f, &app)).unwrap();
    let buf = terminal.backend().buffer();
    assert!(find(buf, "No build logs yet.").is_none());
    assert!(find(buf, "build b7f3a9c1 · grid").is_some());
    assert!(find(buf, "trainer · Failed").is_some());
}

#[test]
fn ansi_colours_are_drawn_as_styles_and_no_escape_reaches_the_screen() {
    let mut pane = LogsPane::new(1000);
    pane.tz = FixedOffset::east_opt(0).unwrap();
    pane.open_stream(pod("p"), "trainer".into(), "b1".into());
    let lines = [
        "\u{1b}[31mREDTEXT\u{1b}[0m plain after",
        "\u{1b}]0;title\u{7}\u{1b}[2Kdownloading 50%\r\u{1b}[1;32mdownloading 100%\u{1b}[m\r",
    ];
    pane.append(
        &pod("p"),
        lines
            .iter()
            .enumerate()
            .map(|(i, text)| LogLine {
                time: Some(t(i as i64)),
                text: (*text).into(),
            })
            .collect(),
    );
    for wrap in [false, true] {
        pane.wrap = wrap;
        let terminal = draw(&pane, &Theme::default());
        let buf = terminal.backend().buffer();
        let (x, y) = find(buf, "REDTEXT").expect("the red text is drawn");
        for dx in 0..7 {
            assert_eq!(buf[(x + dx, y)].fg, ratatui::style::Color::Red);
        }
        let (x, y) = find(buf, " plain after").expect("the reset text is drawn");
        assert_eq!(buf[(x + 1, y)].fg, ratatui::style::Color::Reset);
        let (x, y) = find(buf, "downloading 100%").expect("the last progress state is drawn");
        assert_eq!(buf[(x, y)].fg, ratatui::style::Color::Green);
        assert!(find(buf, "50%").is_none() && find(buf, "title").is_none());
        for cell in buf.content() {
            let s = cell.symbol();
            assert!(!s.contains('\u{1b}') && !s.contains('\r'), "{cell:?}");
        }
        for raw in ["[31m", "[0m", "[1;32m", "[m", "]0;", "[2K"] {
            assert!(find(buf, raw).is_none(), "{raw} is drawn");
        }
    }
}

/// The search `step 1\d` on the three streams, its second match current.
fn searched(layout: LogLayout) -> LogsPane {
    let mut pane = three_streams();
    pane.layout = layout;
    pane.set_search(Some(Search::new(r"step 1\d").unwrap()));
    let ids = pane.shown_ids();
    let s = pane.search.as_mut().unwrap();
    let first = s
        .search
        .next_merged(&pane.store, &ids, None, Direction::Forward);
    s.current = s
        .search
        .next_merged(&pane.store, &ids, first, Direction::Forward);
    let current = s.current.unwrap();
    // As `n` does: the match's stream selected, scrolled to and paused.
    pane.reveal(current, Rect::new(0, 0, 120, 30));
    pane
}

#[test]
fn search_matches_are_highlighted_and_counted_in_the_title() {
    let theme = Theme::default();
    let pane = searched(LogLayout::Merged);
    let terminal = draw(&pane, &theme);
    insta::assert_snapshot!("logs_merged_search_120x30", terminal.backend());
    let buf = terminal.backend().buffer();
    assert!(find(buf, "/step 1\\d/ · match 2/12").is_some());
    // Every match on screen is highlighted, the current one distinctly; the rest of the
    // line keeps its own style.
    let (x, y) = find(buf, "step 10)").expect("a match is drawn");
    for dx in 0..7 {
        assert_eq!(buf[(x + dx, y)].bg, theme.search_match.bg.unwrap());
    }
    assert_ne!(buf[(x + 7, y)].bg, theme.search_match.bg.unwrap());
    // The second match, the current one, is the server's step 10.
    let (x, y) = find(buf, "server step 10)").expect("the current match is on screen");
    assert_eq!(buf[(x + 7, y)].bg, theme.search_current.bg.unwrap());
    // NO_COLOR: reversed.
    let mono = draw(&pane, &Theme::mono());
    let buf = mono.backend().buffer();
    let (x, y) = find(buf, "step 10)").unwrap();
    assert!(buf[(x, y)].modifier.contains(Modifier::REVERSED));
}

#[test]
fn grid_highlights_each_cells_matches() {
    let theme = Theme::default();
    let mut pane = searched(LogLayout::Grid);
    pane.wrap = true;
    let terminal = draw(&pane, &theme);
    insta::assert_snapshot!("logs_grid_search_wrapped_120x30", terminal.backend());
    let buf = terminal.backend().buffer();
    // The second match is the server's step 10: its cell is selected (thick border).
    let (x, y) = find(buf, "(server step 10)").expect("the current match is drawn");
    assert_eq!(buf[(x + 8, y)].bg, theme.search_current.bg.unwrap());
    let (x, y) = find(buf, "(trainer step 10)").expect("a match is drawn");
    assert_eq!(buf[(x + 9, y)].bg, theme.search_match.bg.unwrap());
    assert_ne!(buf[(x, y)].bg, theme.search_match.bg.unwrap());
}

#[test]
fn the_filter_shows_only_matching_lines_and_says_so_in_the_title() {
    let mut pane = searched(LogLayout::Grid);
    pane.set_search(Some(Search::new("error|Pushing").unwrap()));
    pane.search.as_mut().unwrap().filter = true;
    let terminal = draw(&pane, &Theme::default());
    insta::assert_snapshot!("logs_grid_filtered_120x30", terminal.backend());
    let buf = terminal.backend().buffer();
    assert!(find(buf, "FILTER /error|Pushing/ · 6 matches").is_some());
    assert!(find(buf, "Retrieving image").is_none());
    pane.layout = LogLayout::Merged;
    let terminal = draw(&pane, &Theme::default());
    insta::assert_snapshot!("logs_merged_filtered_120x30", terminal.backend());
}
