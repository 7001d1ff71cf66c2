//! Searching, filtering and saving the build logs, at the reducer: keys in, state and
//! commands out. No I/O.

use crossterm::event::KeyCode;

use super::*;
use crate::backends::cluster::LogLine;
use crate::keys::KeyMap;
use crate::logs::LogEvent;
use crate::tui::msg::Msg;
use crate::tui::panes::logs::Scroll;
use crate::tui::test_support::{code, ctrl, key, log_time as t, pod, typed};
use crate::tui::update::update;

/// Lines `text(i)` of a pod at `t(i * 10 + offset)` for `i` in `from..from + n`.
fn lines(p: &str, from: usize, n: usize, offset: i64, text: impl Fn(usize) -> String) -> Msg {
    Msg::Log(LogEvent::Lines {
        pod: pod(p),
        lines: (from..from + n)
            .map(|i| LogLine {
                time: Some(t(i as i64 * 10 + offset)),
                text: text(i),
            })
            .collect(),
    })
}

/// Two streams of one build, 200 lines each, interleaved in time (trainer first): every
/// 50th line of each says `ERROR`.
fn app_with_two_streams() -> App {
    let mut app = App::new("acme/model", "test", KeyMap::default());
    app.logs.tz = chrono::FixedOffset::east_opt(0).unwrap();
    app.now = t(0);
    for (p, title) in [("trainer-pod", "trainer"), ("server-pod", "server")] {
        update_logs_open(&mut app, p, title);
    }
    update(
        &mut app,
        lines("trainer-pod", 0, 200, 0, |i| {
            if i % 50 == 7 {
                format!("ERROR trainer {i}")
            } else {
                format!("trainer line {i}")
            }
        }),
    );
    update(
        &mut app,
        lines("server-pod", 0, 200, 1, |i| {
            if i % 50 == 20 {
                format!("ERROR server {i}")
            } else {
                format!("server line {i}")
            }
        }),
    );
    app.focus = PaneId::Logs;
    app
}

fn update_logs_open(app: &mut App, p: &str, title: &str) {
    crate::tui::update_logs::open_stream(app, pod(p), title.into(), "b1".into());
}

/// `(image, line)` of the current match.
fn current(app: &App) -> Option<(String, u64)> {
    let c = app.logs.search.as_ref()?.current?;
    let s = app.logs.streams.iter().find(|s| s.id == c.stream)?;
    Some((s.title.clone(), c.index))
}

fn message(app: &App) -> String {
    app.status
        .message
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default()
}

fn search(app: &mut App, pattern: &str) {
    update(app, key('/'));
    typed(app, pattern);
    update(app, code(KeyCode::Enter));
}

#[test]
fn slash_opens_the_prompt_enter_applies_esc_keeps_the_previous_search() {
    let mut app = app_with_two_streams();
    app.focus = PaneId::Prs;
    update(&mut app, key('/'));
    assert_eq!(app.focus, PaneId::Logs, "/ focuses the logs pane");
    assert!(matches!(app.overlay, Overlay::Prompt(_)));
    // Keys go to the prompt, not to the panes: `q` does not quit.
    typed(&mut app, "error");
    assert!(!app.should_quit);
    update(&mut app, code(KeyCode::Enter));
    assert!(matches!(app.overlay, Overlay::None));
    let s = app.logs.search.as_ref().unwrap();
    assert_eq!(s.search.pattern(), "error");
    assert_eq!(s.search.count(), 8, "smart case: ERROR matches error");
    assert_eq!(app.logs.match_counter().map(|c| c.1), Some(8));

    // Esc: the typed pattern is dropped, the previous search stays.
    update(&mut app, key('/'));
    typed(&mut app, "server");
    update(&mut app, code(KeyCode::Esc));
    assert!(matches!(app.overlay, Overlay::None));
    assert_eq!(app.logs.search.as_ref().unwrap().search.pattern(), "error");

    // Empty Enter clears it.
    update(&mut app, key('/'));
    update(&mut app, code(KeyCode::Enter));
    assert!(app.logs.search.is_none());
    assert_eq!(message(&app), "search cleared");
}

#[test]
fn an_invalid_regex_keeps_the_prompt_and_the_typed_text_with_regexs_message() {
    let mut app = app_with_two_streams();
    search(&mut app, "ERROR");
    update(&mut app, key('/'));
    typed(&mut app, "(unclosed");
    update(&mut app, code(KeyCode::Enter));
    let Overlay::Prompt(prompt) = &app.overlay else {
        panic!("the prompt closed on an invalid regex");
    };
    assert_eq!(prompt.text(), "(unclosed", "nothing typed is lost");
    assert_eq!(
        prompt.error.as_deref(),
        Some("invalid regex: unclosed group")
    );
    assert_eq!(app.logs.search.as_ref().unwrap().search.pattern(), "ERROR");
    // Fixing it applies it.
    typed(&mut app, ")");
    update(&mut app, code(KeyCode::Enter));
    assert!(matches!(app.overlay, Overlay::None));
    assert_eq!(
        app.logs.search.as_ref().unwrap().search.pattern(),
        "(unclosed)"
    );
    assert_eq!(message(&app), "no match for /(unclosed)/");
}

#[test]
fn n_and_shift_n_walk_the_matches_across_streams_in_time_order_and_wrap() {
    let mut app = app_with_two_streams();
    app.logs.layout = LogLayout::Merged;
    app.logs.scroll_to_top();
    search(&mut app, "ERROR");
    // From the top of the view: trainer 7 (t=70) comes first, then server 20 (t=201)…
    assert_eq!(current(&app), Some(("trainer".into(), 7)));
    let mut order = vec![current(&app).unwrap()];
    for _ in 0..7 {
        update(&mut app, key('n'));
        order.push(current(&app).unwrap());
    }
    let want: Vec<(String, u64)> = [
        ("trainer", 7),
        ("server", 20),
        ("trainer", 57),
        ("server", 70),
        ("trainer", 107),
        ("server", 120),
        ("trainer", 157),
        ("server", 170),
    ]
    .iter()
    .map(|(s, i)| (s.to_string(), *i))
    .collect();
    assert_eq!(order, want);
    assert_eq!(app.logs.match_counter(), Some((8, 8)));
    assert!(!app.logs.is_following(), "jumping pauses following");
    // Past the last match: wraps to the first, and says so.
    update(&mut app, key('n'));
    assert_eq!(current(&app), Some(("trainer".into(), 7)));
    assert_eq!(message(&app), "search hit BOTTOM, continuing at TOP");
    assert_eq!(app.logs.match_counter(), Some((1, 8)));
    // N goes back, wrapping at the top.
    update(&mut app, key('N'));
    assert_eq!(current(&app), Some(("server".into(), 170)));
    assert_eq!(message(&app), "search hit TOP, continuing at BOTTOM");
    update(&mut app, key('N'));
    assert_eq!(current(&app), Some(("trainer".into(), 157)));
    // The match is on screen.
    let vp = app.logs.viewport(Areas::of_app(&app).logs);
    let window = app.logs.merged_window(vp);
    assert!(window.iter().any(|p| p.index == 157 && p.stream == 0));
}

#[test]
fn in_the_grid_a_match_selects_its_streams_cell_and_scrolls_it() {
    let mut app = app_with_two_streams();
    assert_eq!(app.logs.layout, LogLayout::Grid);
    app.logs.scroll_to_top(); // the trainer cell, at its first line
    search(&mut app, "ERROR");
    assert_eq!(current(&app), Some(("trainer".into(), 7)));
    assert_eq!(app.logs.selected, 0);
    update(&mut app, key('n'));
    assert_eq!(current(&app), Some(("server".into(), 20)));
    assert_eq!(app.logs.selected, 1, "the server's cell is selected");
    let vp = app.logs.viewport(Areas::of_app(&app).logs);
    assert!(app.logs.grid_window(1, vp).contains(&20));
    assert!(app.logs.streams[1].scroll.is_paused());
    // Further down, out of the first screen: scrolled to, with two lines above it.
    for _ in 0..4 {
        update(&mut app, key('n'));
    }
    assert_eq!(current(&app), Some(("server".into(), 120)));
    assert_eq!(app.logs.streams[1].scroll, Scroll::Paused(118));
}

#[test]
fn n_without_a_search_or_a_match_says_so() {
    let mut app = app_with_two_streams();
    update(&mut app, key('n'));
    assert_eq!(message(&app), "no search yet: press / to search");
    search(&mut app, "nowhere");
    assert_eq!(message(&app), "no match for /nowhere/");
    update(&mut app, key('n'));
    assert_eq!(message(&app), "no match for /nowhere/");
    assert!(app.logs.is_following());
}

#[test]
fn the_filter_shows_only_matching_lines_and_follows_new_ones() {
    let mut app = app_with_two_streams();
    app.logs.layout = LogLayout::Merged;
    update(&mut app, key('&'));
    assert_eq!(message(&app), "nothing to filter by: search first (/)");
    search(&mut app, "ERROR");
    update(&mut app, code(KeyCode::End)); // follow again
    update(&mut app, key('&'));
    assert!(app.logs.filtering());
    let vp = app.logs.viewport(Areas::of_app(&app).logs);
    let shown = |app: &App| -> Vec<String> {
        app.logs
            .merged_window(vp)
            .iter()
            .map(|p| {
                app.logs
                    .store
                    .get(p.stream, p.index)
                    .unwrap()
                    .text
                    .to_string()
            })
            .collect()
    };
    assert_eq!(
        shown(&app),
        [
            "ERROR trainer 7",
            "ERROR server 20",
            "ERROR trainer 57",
            "ERROR server 70",
            "ERROR trainer 107",
            "ERROR server 120",
            "ERROR trainer 157",
            "ERROR server 170",
        ]
    );
    // Following: a new matching line shows at the end, non-matching ones not at all.
    update(
        &mut app,
        lines("server-pod", 200, 3, 1, |i| {
            if i == 201 {
                "late ERROR".into()
            } else {
                "quiet".into()
            }
        }),
    );
    assert!(app.logs.is_following());
    let now = shown(&app);
    assert_eq!(now.last().map(String::as_str), Some("late ERROR"));
    assert_eq!(now.len(), 9);
    // Grid: each cell shows its stream's matches only.
    app.logs.layout = LogLayout::Grid;
    let vp = app.logs.viewport(Areas::of_app(&app).logs);
    assert_eq!(app.logs.grid_window(0, vp), [7, 57, 107, 157]);
    // Off again: the full view.
    update(&mut app, key('&'));
    assert!(!app.logs.filtering());
    assert_eq!(app.logs.grid_window(0, vp).len(), vp.height);
}

#[test]
fn saving_the_view_writes_the_shown_streams_merged_with_the_filter() {
    let mut app = app_with_two_streams();
    search(&mut app, "ERROR");
    update(&mut app, key('&'));
    update(&mut app, key('S'));
    let Overlay::Prompt(prompt) = &app.overlay else {
        panic!("no save prompt");
    };
    assert_eq!(prompt.text(), "kfops-build-b1-20261125-100000.log");
    // The name is editable.
    for _ in 0.."20261125-100000.log".len() {
        update(&mut app, code(KeyCode::Backspace));
    }
    typed(&mut app, "errors.log");
    let commands = update(&mut app, code(KeyCode::Enter));
    let [Command::SaveLog { path, text, lines }] = commands.as_slice() else {
        panic!("not one save: {commands:?}");
    };
    assert_eq!(path.to_str(), Some("kfops-build-b1-errors.log"));
    assert_eq!(*lines, 8);
    let first: Vec<&str> = text.lines().take(3).collect();
    assert_eq!(
        first,
        [
            "trainer │ ERROR trainer 7",
            "server  │ ERROR server 20",
            "trainer │ ERROR trainer 57",
        ]
    );
    assert_eq!(text.lines().count(), 8);
    assert!(matches!(app.overlay, Overlay::None));
    assert_eq!(
        message(&app),
        "saving 8 lines to kfops-build-b1-errors.log…"
    );
}

#[test]
fn saving_a_stream_writes_it_raw_and_the_answer_is_reported() {
    let mut app = app_with_two_streams();
    update(
        &mut app,
        lines("server-pod", 200, 1, 1, |_| {
            "\u{1b}[31mred\u{1b}[0m\r".into()
        }),
    );
    update(&mut app, key(']')); // the server's stream
    update(&mut app, ctrl('s'));
    let commands = update(&mut app, code(KeyCode::Enter));
    let [Command::SaveLog { path, text, lines }] = commands.as_slice() else {
        panic!("not one save: {commands:?}");
    };
    assert_eq!(path.to_str(), Some("kfops-server-pod-20261125-100000.log"));
    assert_eq!(*lines, 201);
    let want: String = (0..200)
        .map(|i| {
            if i % 50 == 20 {
                format!("ERROR server {i}\n")
            } else {
                format!("server line {i}\n")
            }
        })
        .chain(["\u{1b}[31mred\u{1b}[0m\r\n".to_string()])
        .collect();
    assert_eq!(text, &want, "raw, as received");

    let asked = std::path::PathBuf::from("x.log");
    update(
        &mut app,
        Msg::LogSaved {
            asked: asked.clone(),
            lines: 201,
            result: Ok(asked.clone()),
        },
    );
    assert_eq!(message(&app), "saved 201 lines to x.log");
    update(
        &mut app,
        Msg::LogSaved {
            asked: asked.clone(),
            lines: 201,
            result: Ok("x-1.log".into()),
        },
    );
    assert_eq!(
        message(&app),
        "saved 201 lines to x-1.log (x.log exists; not overwritten)"
    );
    update(
        &mut app,
        Msg::LogSaved {
            asked,
            lines: 201,
            result: Err("Permission denied (os error 13)".into()),
        },
    );
    assert!(message(&app).starts_with(
        "not saved to x.log: Permission denied (os error 13); check that the directory"
    ));
    // An empty name is refused in the prompt.
    update(&mut app, key('S'));
    let Overlay::Prompt(prompt) = &mut app.overlay else {
        panic!("no save prompt");
    };
    prompt.input = tui_textarea::TextArea::default();
    assert!(update(&mut app, code(KeyCode::Enter)).is_empty());
    let Overlay::Prompt(prompt) = &app.overlay else {
        panic!("the prompt closed");
    };
    assert_eq!(prompt.error.as_deref(), Some("type a file name"));
}
