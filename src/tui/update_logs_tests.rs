//! The logs pane's reducer: keys, follower events, the builds picker. No I/O.

use crossterm::event::KeyCode;

use super::*;
use crate::backends::cluster::LogLine;
use crate::keys::KeyMap;
use crate::logs::BuildPod;
use crate::tui::msg::Msg;
use crate::tui::panes::logs::LogLayout;
use crate::tui::test_support::{code, key, log_time as t, pod, pr};
use crate::tui::update::update;

fn lines_msg(p: &str, from: usize, n: usize) -> Msg {
    Msg::Log(LogEvent::Lines {
        pod: pod(p),
        lines: (from..from + n)
            .map(|i| LogLine {
                time: Some(t(i as i64)),
                text: format!("{p} line {i}"),
            })
            .collect(),
    })
}

/// A console with PR #7 loaded, one build's two streams open and the logs pane focused.
fn app_with_streams() -> App {
    let mut app = App::new("acme/model", "test", KeyMap::default());
    app.prs.set_items(vec![pr(7)], t(0));
    let mut cmds = open_stream(&mut app, pod("trainer-pod"), "trainer".into(), "b1".into());
    cmds.extend(open_stream(
        &mut app,
        pod("server-pod"),
        "server".into(),
        "b1".into(),
    ));
    assert_eq!(
        cmds,
        [
            Command::FollowLogs {
                pod: pod("trainer-pod")
            },
            Command::FollowLogs {
                pod: pod("server-pod")
            }
        ]
    );
    assert!(open_stream(&mut app, pod("server-pod"), "server".into(), "b1".into()).is_empty());
    update(&mut app, key('2'));
    assert_eq!(app.focus, PaneId::Logs);
    app
}

fn top(app: &App) -> u64 {
    let vp = app.logs.viewport(Areas::of_app(app).logs);
    app.logs.top_of(0, vp)
}

#[test]
fn scrolling_up_pauses_following_and_f_or_end_resume_it() {
    let mut app = app_with_streams();
    update(&mut app, lines_msg("trainer-pod", 0, 500));
    assert!(app.logs.is_following());
    let following_top = top(&app);
    update(&mut app, key('k'));
    assert!(!app.logs.is_following(), "k pauses");
    assert_eq!(top(&app), following_top - 1);
    // Lines keep arriving; the paused view stays where it is.
    update(&mut app, lines_msg("trainer-pod", 500, 100));
    assert_eq!(top(&app), following_top - 1);
    update(&mut app, key('f'));
    assert!(app.logs.is_following(), "f resumes");
    assert_eq!(top(&app), following_top + 100);

    for pause in [code(KeyCode::Up), code(KeyCode::PageUp), key('g')] {
        update(&mut app, pause);
        assert!(!app.logs.is_following());
        update(&mut app, code(KeyCode::End));
        assert!(app.logs.is_following(), "End resumes");
    }
    // f toggles: it also pauses.
    update(&mut app, key('f'));
    assert!(!app.logs.is_following());
    assert_eq!(app.prs.selected, 0, "the PR selection did not move");
}

#[test]
fn navigation_keys_scroll_logs_only_when_the_logs_pane_is_focused() {
    let mut app = app_with_streams();
    update(&mut app, lines_msg("trainer-pod", 0, 500));
    update(&mut app, key('1'));
    update(&mut app, key('k'));
    assert!(app.logs.is_following());
}

#[test]
fn layout_timestamps_wrap_and_stream_selection_keys() {
    let mut app = app_with_streams();
    update(&mut app, key('m'));
    assert_eq!(app.logs.layout, LogLayout::Merged);
    update(&mut app, key('m'));
    assert_eq!(app.logs.layout, LogLayout::Grid);
    update(&mut app, key('t'));
    assert!(app.logs.timestamps);
    update(&mut app, key('w'));
    assert!(app.logs.wrap);
    update(&mut app, key(']'));
    assert_eq!(app.logs.selected, 1);
    update(&mut app, key(']'));
    assert_eq!(app.logs.selected, 0);
    update(&mut app, key('['));
    assert_eq!(app.logs.selected, 1);
}

#[test]
fn follower_events_update_streams_and_a_failure_is_reported() {
    let mut app = app_with_streams();
    update(
        &mut app,
        Msg::Log(LogEvent::Batch(vec![
            LogEvent::Status {
                pod: pod("trainer-pod"),
                status: StreamStatus::Streaming,
            },
            LogEvent::Phase {
                pod: pod("trainer-pod"),
                phase: "Running".into(),
            },
        ])),
    );
    let s = app.logs.stream(&pod("trainer-pod")).unwrap();
    assert_eq!(s.status, StreamStatus::Streaming);
    assert_eq!(s.phase.as_deref(), Some("Running"));
    // Events of pods without a stream are ignored.
    update(&mut app, lines_msg("elsewhere", 0, 10));
    assert_eq!(app.logs.store.total_lines(), 0);
    update(
        &mut app,
        Msg::Log(LogEvent::Status {
            pod: pod("server-pod"),
            status: StreamStatus::Failed("403 Forbidden".into()),
        }),
    );
    let msg = app.status.message.clone().unwrap();
    assert!(
        msg.text.contains("server") && msg.text.contains("403"),
        "{}",
        msg.text
    );
    // Clearing the build stops its followers.
    let cmds = clear_group(&mut app, "b1");
    assert_eq!(cmds.len(), 2);
    assert!(matches!(cmds[0], Command::StopLogs { .. }));
    assert!(!app.logs.has_streams());
}

fn build(group: &str, pods: &[(&str, &str, &str)]) -> BuildInfo {
    BuildInfo {
        group: group.into(),
        build_id: Some(group.into()),
        version_id: Some("v1".into()),
        created: Some(t(0)),
        pods: pods
            .iter()
            .map(|(name, image, phase)| BuildPod {
                pod: pod(name),
                image: image.to_string(),
                phase: phase.to_string(),
                created: Some(t(0)),
            })
            .collect(),
    }
}

#[test]
fn o_lists_the_prs_builds_and_enter_opens_the_chosen_one() {
    let mut app = app_with_streams();
    let cmds = update(&mut app, key('o'));
    assert_eq!(cmds, [Command::ListBuilds { project: 0, pr: 7 }]);
    assert!(app.logs.picker.is_some());
    // An answer for another PR is not for this picker.
    update(
        &mut app,
        Msg::BuildsListed {
            project: 0,
            pr: 8,
            result: Ok(vec![build("x", &[])]),
        },
    );
    assert_eq!(app.logs.picker.as_ref().unwrap().builds().len(), 0);
    update(
        &mut app,
        Msg::BuildsListed {
            project: 0,
            pr: 7,
            result: Ok(vec![
                build("b1", &[("trainer-pod", "trainer", "Running")]),
                build(
                    "b0",
                    &[
                        ("old-trainer", "trainer", "Succeeded"),
                        ("old-server", "server", "Running"),
                    ],
                ),
            ]),
        },
    );
    update(&mut app, key('j'));
    assert_eq!(app.logs.picker.as_ref().unwrap().selected, 1);
    let cmds = update(&mut app, code(KeyCode::Enter));
    assert_eq!(
        cmds,
        [
            Command::FetchLogs {
                pod: pod("old-trainer")
            },
            Command::FollowLogs {
                pod: pod("old-server")
            }
        ],
        "finished pods are fetched once, running ones followed"
    );
    assert!(app.logs.picker.is_none());
    assert_eq!(app.logs.shown_group(), Some("b0"));
    assert_eq!(
        app.logs
            .stream(&pod("old-trainer"))
            .and_then(|s| s.phase.as_deref()),
        Some("Succeeded")
    );
    // Going back to the current build re-uses its open streams.
    update(&mut app, key('o'));
    update(
        &mut app,
        Msg::BuildsListed {
            project: 0,
            pr: 7,
            result: Ok(vec![build("b1", &[("trainer-pod", "trainer", "Running")])]),
        },
    );
    assert!(update(&mut app, code(KeyCode::Enter)).is_empty());
    assert_eq!(app.logs.shown_group(), Some("b1"));
    // Esc closes the picker; a failed listing is shown in it.
    update(&mut app, key('o'));
    update(
        &mut app,
        Msg::BuildsListed {
            project: 0,
            pr: 7,
            result: Err(BackendError::new(
                crate::backends::error::Service::Kubernetes,
                "list pods",
                "403 Forbidden",
            )),
        },
    );
    assert!(matches!(
        app.logs.picker.as_ref().unwrap().state,
        PickerState::Failed(_)
    ));
    update(&mut app, code(KeyCode::Esc));
    assert!(app.logs.picker.is_none());
}
