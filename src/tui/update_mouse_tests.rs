//! Mouse tests: every interaction on a real layout (`Areas` and the dialogs' button places,
//! which the drawing uses too), checked against the state and the effects asked for.

use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use ratatui::Terminal;
use serde_json::json;

use crate::domain::PullRequest;
use crate::effects::Command;
use crate::keys::KeyMap;
use crate::logs::builds::{BuildInfo, BuildPod};
use crate::tui::app::{App, Overlay, PaneId, RunningAction};
use crate::tui::layout::{run_picker, Areas, Buttons};
use crate::tui::msg::Msg;
use crate::tui::panes::graph::{graph_area, RunPicker};
use crate::tui::panes::logs::{LogLayout, PickerState};
use crate::tui::test_support::{self, key, pod, t0};
use crate::tui::update::update;

/// A PR whose last run is `run-1`.
fn pr(number: u64) -> PullRequest {
    PullRequest {
        last_run_id: Some("run-1".into()),
        ..test_support::pr(number)
    }
}

/// 5 PRs loaded on a 160×40 screen.
fn app() -> App {
    app_with(KeyMap::default())
}

/// 5 PRs loaded on a 160×40 screen, with these keys.
fn app_with(keymap: KeyMap) -> App {
    let mut app = App::new("acme/model", "test", keymap);
    app.prs.set_items((1..=5).map(pr).collect(), t0());
    update(
        &mut app,
        Msg::Resize {
            width: 160,
            height: 40,
        },
    );
    app
}

fn mouse(kind: MouseEventKind, column: u16, row: u16) -> Msg {
    Msg::Mouse(MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    })
}

fn click(column: u16, row: u16) -> Msg {
    mouse(MouseEventKind::Down(MouseButton::Left), column, row)
}

fn wheel_down(column: u16, row: u16) -> Msg {
    mouse(MouseEventKind::ScrollDown, column, row)
}

fn wheel_up(column: u16, row: u16) -> Msg {
    mouse(MouseEventKind::ScrollUp, column, row)
}

fn centre(r: Rect) -> (u16, u16) {
    (r.x + r.width / 2, r.y + r.height / 2)
}

fn draw(app: &App) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(app.size.width, app.size.height)).unwrap();
    terminal.draw(|f| crate::tui::view::draw(f, app)).unwrap();
    terminal
}

fn text_at(terminal: &Terminal<TestBackend>, r: Rect) -> String {
    let buf = terminal.backend().buffer();
    (r.x..r.x + r.width)
        .map(|x| buf[(x, r.y)].symbol().to_string())
        .collect()
}

#[test]
fn a_click_focuses_any_pane() {
    let mut app = app();
    let areas = Areas::of_app(&app);
    for pane in [PaneId::Logs, PaneId::Targets, PaneId::Prs] {
        let (x, y) = centre(areas.of_pane(pane));
        update(&mut app, click(x, y));
        assert_eq!(app.focus, pane);
    }
    // Focusing the graph by a click loads its run, as its focus key does.
    let (x, y) = centre(areas.graph);
    let cmds = update(&mut app, click(x, y));
    assert_eq!(app.focus, PaneId::Graph);
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Command::LoadRun { run_id, .. } if run_id == "run-1")),
        "{cmds:?}"
    );
}

#[test]
fn clicks_select_pr_rows_and_the_wheel_moves_the_selection() {
    let mut app = app();
    let prs = Areas::of_app(&app).prs;
    // Border, header, then rows.
    update(&mut app, click(prs.x + 5, prs.y + 2 + 3));
    assert_eq!(app.prs.selected, 3);
    update(&mut app, wheel_down(prs.x + 5, prs.y + 3));
    assert_eq!(app.prs.selected, 4);
    update(&mut app, wheel_up(prs.x + 5, prs.y + 3));
    update(&mut app, wheel_up(prs.x + 5, prs.y + 3));
    assert_eq!(app.prs.selected, 2);
    // Below the last row: nothing selected there.
    update(&mut app, click(prs.x + 5, prs.y + 2 + 10));
    assert_eq!(app.prs.selected, 2);
}

fn with_streams(layout: LogLayout) -> App {
    let mut app = app();
    for (name, image) in [("trainer-pod", "trainer"), ("server-pod", "server")] {
        app.logs.open_stream(pod(name), image.into(), "b1".into());
        let lines = (0..200)
            .map(|n| crate::backends::cluster::LogLine {
                time: None,
                text: format!("{image} line {n}"),
            })
            .collect();
        app.logs.append(&pod(name), lines);
    }
    app.logs.layout = layout;
    app
}

#[test]
fn wheel_over_a_logs_grid_cell_scrolls_that_cell_and_a_click_selects_it() {
    let mut app = with_streams(LogLayout::Grid);
    let area = Areas::of_app(&app).logs;
    let cells = app.logs.grid_cells(area);
    assert_eq!(cells.len(), 2);
    let (second, rect) = cells[1];
    let (x, y) = centre(rect);
    update(&mut app, click(x, y));
    assert_eq!(app.focus, PaneId::Logs);
    assert_eq!(app.logs.selected, second);
    // Back to the first cell by the wheel over it: it scrolls (stops following).
    let (first, rect) = app.logs.grid_cells(area)[0];
    let (x, y) = centre(rect);
    assert!(app.logs.is_following());
    update(&mut app, wheel_up(x, y));
    assert_eq!(app.logs.selected, first);
    assert!(!app.logs.is_following(), "the wheel scrolled the cell up");
}

#[test]
fn wheel_scrolls_the_merged_logs_view() {
    let mut app = with_streams(LogLayout::Merged);
    let (x, y) = centre(Areas::of_app(&app).logs);
    assert!(app.logs.is_following());
    update(&mut app, wheel_up(x, y));
    assert_eq!(app.focus, PaneId::Logs);
    assert!(!app.logs.is_following());
}

fn build(group: &str, name: &str) -> BuildInfo {
    BuildInfo {
        group: group.into(),
        build_id: Some(group.into()),
        version_id: Some("v1".into()),
        created: Some(t0()),
        pods: vec![BuildPod {
            pod: pod(name),
            image: "trainer".into(),
            phase: "Succeeded".into(),
            created: Some(t0()),
        }],
    }
}

/// The build picker open with these builds, the logs pane focused.
fn open_build_picker(app: &mut App, builds: Vec<BuildInfo>) {
    let mut picker = crate::tui::panes::logs::BuildPicker::loading(1);
    picker.state = PickerState::Loaded(builds);
    app.logs.picker = Some(picker);
    app.focus = PaneId::Logs;
}

#[test]
fn build_picker_rows_are_picked_by_click_and_a_second_click_opens() {
    let mut app = with_streams(LogLayout::Grid);
    open_build_picker(
        &mut app,
        vec![build("b2", "new-pod"), build("b0", "old-pod")],
    );
    let area = Areas::of_app(&app).logs;
    // Border, the picker's heading, then one row per build.
    let second_row = area.y + 1 + 1 + 1;
    update(&mut app, click(area.x + 4, second_row));
    assert_eq!(app.logs.picker.as_ref().unwrap().selected, 1);
    // The wheel moves the picker's selection too.
    update(&mut app, wheel_up(area.x + 4, second_row));
    assert_eq!(app.logs.picker.as_ref().unwrap().selected, 0);
    update(&mut app, wheel_down(area.x + 4, second_row));
    let cmds = update(&mut app, click(area.x + 4, second_row));
    assert!(app.logs.picker.is_none(), "opened");
    assert_eq!(
        cmds,
        [Command::FetchLogs {
            pod: pod("old-pod")
        }]
    );
}

fn flat_spec(tasks: &[(&str, &[&str])]) -> serde_json::Value {
    let tasks: serde_json::Map<String, serde_json::Value> = tasks
        .iter()
        .map(|(name, deps)| {
            (
                name.to_string(),
                json!({"componentRef": {"name": format!("comp-{name}")},
                       "dependentTasks": deps, "taskInfo": {"name": name}}),
            )
        })
        .collect();
    json!({"pipelineInfo": {"name": "test"}, "root": {"dag": {"tasks": tasks}}})
}

#[test]
fn graph_nodes_are_selected_by_click_and_the_wheel_pans() {
    let mut app = app();
    app.graph.set_spec(
        "v1",
        &flat_spec(&[
            ("a", &[]),
            ("b", &["a"]),
            ("c", &["b"]),
            ("d", &["c"]),
            ("e", &["d"]),
            ("f", &["e"]),
        ]),
    );
    app.graph.relayout();
    app.focus = PaneId::Graph;
    let area = Areas::of_app(&app).graph;
    let g = graph_area(area, false);
    let layout = app.graph.layout.clone().unwrap();
    let target = app
        .graph
        .visible
        .nodes
        .iter()
        .map(|n| n.id)
        .find(|id| Some(*id) != app.graph.view.selected)
        .unwrap();
    let r = layout.rect_of(target).unwrap();
    update(&mut app, click(g.x + r.x + 1, g.y + r.y));
    assert_eq!(app.graph.view.selected, Some(target));
    // A second click opens it (the task details), as Enter does.
    assert!(!app.graph.details);
    update(&mut app, click(g.x + r.x + 1, g.y + r.y));
    assert!(app.graph.details);
    // The wheel pans (six tasks in a column do not fit in the pane).
    let before = app.graph.view.offset_y;
    update(&mut app, wheel_down(g.x + 1, g.y + 1));
    assert!(app.graph.view.offset_y > before, "panned down");
    update(&mut app, wheel_up(g.x + 1, g.y + 1));
    assert_eq!(app.graph.view.offset_y, before);
}

#[test]
fn run_picker_rows_are_picked_by_click_and_a_second_click_shows_the_run() {
    let mut app = app();
    app.focus = PaneId::Graph;
    let run = |id: &str| -> crate::backends::kfp::Run {
        serde_json::from_value(json!({"run_id": id, "display_name": id})).unwrap()
    };
    app.graph.picker = Some(RunPicker {
        project: 0,
        pr: 2,
        runs: vec![run("run-b"), run("run-a")],
        selected: 0,
        loading: false,
    });
    let rect = run_picker(app.size, 2);
    // Border, header, rows.
    let row = rect.y + 2 + 1;
    update(&mut app, click(rect.x + 5, row));
    assert_eq!(app.graph.picker.as_ref().unwrap().selected, 1);
    update(&mut app, wheel_up(rect.x + 5, row));
    assert_eq!(app.graph.picker.as_ref().unwrap().selected, 0);
    update(&mut app, wheel_down(rect.x + 5, row));
    let cmds = update(&mut app, click(rect.x + 5, row));
    assert!(app.graph.picker.is_none());
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Command::LoadRun { run_id, .. } if run_id == "run-a")),
        "{cmds:?}"
    );
}

#[test]
fn wheel_moves_the_targets_selection() {
    use crate::chatops::DeployTarget;
    let mut app = app();
    let (x, y) = centre(Areas::of_app(&app).targets);
    update(&mut app, wheel_down(x, y));
    assert_eq!(app.focus, PaneId::Targets);
    assert_eq!(app.targets.selected_target(), DeployTarget::Production);
    update(&mut app, wheel_up(x, y));
    assert_eq!(app.targets.selected_target(), DeployTarget::Staging);
}

#[test]
fn wheel_scrolls_the_help_and_a_click_closes_it() {
    let mut app = app();
    app.overlay = Overlay::Help(0);
    update(&mut app, wheel_down(10, 10));
    update(&mut app, wheel_down(10, 10));
    assert!(matches!(app.overlay, Overlay::Help(2)));
    update(&mut app, wheel_up(10, 10));
    assert!(matches!(app.overlay, Overlay::Help(1)));
    update(&mut app, click(10, 10));
    assert!(matches!(app.overlay, Overlay::None));
    assert_eq!(app.focus, PaneId::Prs, "the click did not reach the panes");
}

#[test]
fn wheel_scrolls_the_audit_overlay() {
    let mut app = app();
    update(&mut app, key('A'));
    assert!(matches!(app.overlay, Overlay::Audit(_)));
    // Scrolling an empty (still loading) audit log is harmless; with entries it moves.
    update(&mut app, wheel_down(10, 10));
    assert!(matches!(app.overlay, Overlay::Audit(_)));
}

fn running(app: &mut App) {
    app.actions.insert(
        (0, 1),
        RunningAction {
            kind: crate::engine::ActionKind::Build,
            started: t0(),
            step: "starting".into(),
            step_no: 0,
        },
    );
}

#[test]
fn quit_dialog_buttons_answer_by_click() {
    let mut app = app();
    running(&mut app);
    app.overlay = Overlay::Quit;
    let b = Buttons::quit(app.size, 1);
    // The places agree with the drawing.
    let screen = draw(&app);
    assert_eq!(text_at(&screen, b.no), "[ No ]");
    assert_eq!(text_at(&screen, b.yes), "[ Yes ]");
    update(&mut app, click(b.no.x + 2, b.no.y));
    assert!(matches!(app.overlay, Overlay::None));
    assert!(!app.should_quit);
    app.overlay = Overlay::Quit;
    update(&mut app, click(b.yes.x + 2, b.yes.y));
    assert!(app.should_quit);
}

#[test]
fn deploy_dialog_buttons_answer_by_click() {
    let mut app = app();
    app.prs.selected = 1; // #2
    assert!(update(&mut app, key('d')).is_empty());
    assert!(
        matches!(app.overlay, Overlay::Deploy(_)),
        "{:?}",
        app.status
    );
    let b = Buttons::deploy(app.size);
    let screen = draw(&app);
    assert_eq!(text_at(&screen, b.no), "[ No ]");
    assert_eq!(text_at(&screen, b.yes), "[ Yes ]");
    // No: cancelled, nothing sent.
    assert!(update(&mut app, click(b.no.x + 1, b.no.y)).is_empty());
    assert!(matches!(app.overlay, Overlay::None));
    assert!(app.actions.is_empty());
    // Yes: the deploy starts.
    update(&mut app, key('d'));
    let cmds = update(&mut app, click(b.yes.x + 1, b.yes.y));
    assert!(
        matches!(&cmds[..], [Command::StartAction { pr: 2, .. }]),
        "{cmds:?}"
    );
    assert!(matches!(app.overlay, Overlay::None));
}

#[test]
fn clicks_that_open_or_answer_press_the_remapped_confirm_and_cancel() {
    // A second click on a build picker row opens it (through `confirm`).
    // confirm = ctrl-o, cancel = ctrl-g: enter and esc are not dialog keys any more.
    let mut app = app_with(crate::keys::testing::keymap(
        crate::keys::testing::DIALOGS_MOVED,
    ));
    open_build_picker(&mut app, vec![build("b2", "new-pod")]);
    let area = Areas::of_app(&app).logs;
    let first_row = area.y + 1 + 1;
    let cmds = update(&mut app, click(area.x + 4, first_row));
    assert!(app.logs.picker.is_none(), "opened");
    assert_eq!(
        cmds,
        [Command::FetchLogs {
            pod: pod("new-pod")
        }]
    );
    // The deploy confirmation's No button cancels (through `cancel`), Yes deploys.
    app.focus = PaneId::Prs;
    update(&mut app, key('d'));
    let b = Buttons::deploy(app.size);
    assert!(update(&mut app, click(b.no.x + 1, b.no.y)).is_empty());
    assert!(matches!(app.overlay, Overlay::None) && app.actions.is_empty());
    update(&mut app, key('d'));
    let cmds = update(&mut app, click(b.yes.x + 1, b.yes.y));
    assert!(
        matches!(&cmds[..], [Command::StartAction { pr: 1, .. }]),
        "{cmds:?}"
    );
}
