//! Progress of work in flight: step numbers, elapsed times, spinners, and the animation tick
//! that moves them (only while something animated is on screen).

use chrono::Duration;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::*;
use crate::domain::PullRequest;
use crate::engine::{ActionEvent, Step};
use crate::keys::KeyMap;
use crate::tui::test_support::{self, t0};

fn pr(number: u64) -> PullRequest {
    PullRequest {
        title: format!("Retrain the churn model ({number})"),
        ..test_support::pr(number)
    }
}

/// Two PRs loaded at `t0`, nothing in flight.
fn idle() -> App {
    let mut app = App::new("acme/model", "test", KeyMap::default());
    init(&mut app);
    update(
        &mut app,
        Msg::PrsLoaded {
            budget: None,
            generation: 1,
            at: t0(),
            result: Ok(vec![pr(41), pr(42)]),
        },
    );
    app
}

fn step(app: &mut App, step: Step) {
    update(
        app,
        Msg::Action {
            project: 0,
            event: ActionEvent::Step { pr: 41, step },
        },
    );
}

fn press(app: &mut App, c: char) -> Vec<Command> {
    update(
        app,
        Msg::Key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::Char(c),
        )),
    )
}

/// `/build` on #41 at its 4th step, started 72 s before `now`.
fn building() -> App {
    let mut app = idle();
    let cmds = press(&mut app, 'b');
    assert!(matches!(cmds[..], [Command::StartAction { pr: 41, .. }]));
    for s in [
        Step::ReadPr { pr: 41 },
        Step::ReadPackage {
            path: "pipeline.yaml".into(),
            sha7: "abc1234".into(),
        },
        Step::UploadPipeline {
            name: "churn".into(),
        },
    ] {
        step(&mut app, s);
    }
    app.now = t0() + Duration::seconds(72);
    app
}

fn screen(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| crate::tui::view::draw(f, app)).unwrap();
    terminal
}

fn row_text(terminal: &Terminal<TestBackend>, y: u16) -> String {
    let buf = terminal.backend().buffer();
    (0..buf.area.width)
        .map(|x| buf[(x, y)].symbol().to_string())
        .collect()
}

#[test]
fn steps_are_numbered_per_action_kind() {
    let app = building();
    let a = &app.actions[&(0, 41)];
    assert_eq!(a.step_no, 4, "the template step was skipped (no images)");
    assert_eq!(a.step_of(), "step 4/6");
    assert_eq!(
        a.progress(app.now, 40),
        "4/6 · 1m12s · uploading pipeline churn to KFP"
    );
}

/// The image builds, where a build spends its time, were `step 6/7` from its first second:
/// the upload's outcome ("pipeline version … uploaded") counted as a phase of its own.
#[test]
fn the_image_builds_are_step_5_of_6() {
    let mut app = building();
    for s in [
        Step::VersionUploaded {
            version_id: "v1".into(),
        },
        Step::StartImageBuilds {
            pods: 2,
            namespace: "kfops".into(),
        },
    ] {
        step(&mut app, s);
    }
    let a = &app.actions[&(0, 41)];
    assert_eq!(a.step_of(), "step 5/6");
    assert!(a.progress(app.now, 40).starts_with("5/6 · "), "{a:?}");
}

/// A run being watched was `5/5` (the action looked finished) for the whole of the run: its
/// result comment is a phase after it.
#[test]
fn a_watched_run_is_not_the_last_step_until_it_ends() {
    let mut app = idle();
    let cmds = press(&mut app, 'r');
    assert!(
        matches!(cmds[..], [Command::StartAction { pr: 41, .. }]),
        "{cmds:?}"
    );
    for s in [
        Step::ReadLastVersion { pr: 41 },
        Step::FindExperiment { name: "e".into() },
        Step::StartRun { name: "r".into() },
        Step::WatchRun {
            run_id: "r-1".into(),
        },
    ] {
        step(&mut app, s);
    }
    assert_eq!(app.actions[&(0, 41)].step_of(), "step 5/6");
    step(
        &mut app,
        Step::RunEnded {
            run_id: "r-1".into(),
            state: crate::backends::kfp::RuntimeState::Succeeded,
        },
    );
    assert_eq!(app.actions[&(0, 41)].step_of(), "step 6/6");
}

#[test]
fn pr_row_shows_spinner_step_and_elapsed_time() {
    let app = building();
    let terminal = screen(&app, 200, 12);
    // The PR pane: border, header, then #41's row.
    insta::assert_snapshot!("pr_row_running_build", row_text(&terminal, 2));
    let row = row_text(&terminal, 2);
    assert!(row.contains(app.spinner()), "{row}");
    assert!(
        row.contains("/build 4/6 · 1m12s · uploading pipeline"),
        "{row}"
    );
}

#[test]
fn status_bar_shows_running_actions_with_step_and_elapsed_time() {
    let app = building();
    let terminal = screen(&app, 140, 12);
    insta::assert_snapshot!("status_bar_running_build", row_text(&terminal, 11));
    let bar = row_text(&terminal, 11);
    assert!(bar.contains("/build #41 · step 4/6 · 1m12s"), "{bar}");
}

#[test]
fn elapsed_time_and_spinner_follow_the_clock() {
    let mut app = building();
    let before = screen(&app, 140, 12);
    app.now += Duration::milliseconds(crate::tui::format::SPINNER_FRAME_MS);
    let after = screen(&app, 140, 12);
    assert_ne!(
        row_text(&before, 2),
        row_text(&after, 2),
        "the spinner moved"
    );
    // On a 120-column screen the number and the time still show.
    app.now = t0() + Duration::seconds(75);
    let row = row_text(&screen(&app, 120, 12), 2);
    assert!(row.contains("/build 4/6 · 1m15s"), "{row}");
}

#[test]
fn tick_marks_dirty_only_while_something_is_animated() {
    let mut app = idle();
    assert!(!app.animating());
    app.dirty = false;
    update(
        &mut app,
        Msg::Tick {
            now: t0() + Duration::seconds(5),
        },
    );
    assert!(!app.dirty, "an idle console is not redrawn by a tick");
    assert_eq!(app.now, t0(), "nor does its clock move");

    let mut app = building();
    assert!(app.animating());
    app.dirty = false;
    let now = app.now + Duration::seconds(1);
    assert!(update(&mut app, Msg::Tick { now }).is_empty());
    assert!(app.dirty);
    assert_eq!(app.now, now);

    // The action ends: no more animation.
    update(
        &mut app,
        Msg::Action {
            project: 0,
            event: ActionEvent::Done {
                pr: 41,
                action: crate::engine::ActionKind::Build,
                outcome: Ok("built".into()),
            },
        },
    );
    // Its reload of the PR list is a visible loading state until it answers.
    assert!(app.animating());
    let generation = app.prs_generation;
    update(
        &mut app,
        Msg::PrsLoaded {
            budget: None,
            generation,
            at: now,
            result: Ok(vec![pr(41)]),
        },
    );
    assert!(!app.animating());
    app.dirty = false;
    update(
        &mut app,
        Msg::Tick {
            now: now + Duration::seconds(1),
        },
    );
    assert!(!app.dirty);
}

#[test]
fn loading_the_prs_shows_a_spinner() {
    let mut app = App::new("acme/model", "test", KeyMap::default());
    init(&mut app);
    app.now = t0();
    assert!(app.animating());
    let terminal = screen(&app, 100, 12);
    let line = row_text(&terminal, 1);
    assert!(
        line.contains(&format!("{} Loading pull requests…", app.spinner())),
        "{line}"
    );
}
