//! The console's event loop (`runner::run_loop`) on a test terminal: nothing is drawn when
//! nothing visible changed, and keys are handled promptly while 8 log streams flood — counted
//! in messages, never in wall-clock time.

use std::time::Duration;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures::channel::mpsc;
use k8s_openapi::api::core::v1::Pod;
use kfops_console::backends::cluster::LogLine;
use kfops_console::domain::{build_labels, PodRef};
use kfops_console::logs::LogEvent;
use kfops_console::tui::panes::logs::PickerState;
use kfops_console::tui::runner::{run_loop, BATCH};
use kfops_console::tui::Msg;
use kfops_sim::{Scenario, Simulator};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use crate::support::console::{driver_on, key, select_pr};

const NS: &str = "kfops";

fn press(c: char) -> std::io::Result<Event> {
    Ok(Event::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE,
    )))
}

/// Waits (polling) until `done` holds; panics after `limit` (a bound against a hang, not a
/// speed check).
async fn wait_for(what: &str, limit: Duration, done: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until no frame has been drawn for a while (the screen has settled).
async fn settle(stats: &kfops_console::tui::runner::LoopStats) {
    let mut last = (stats.frames(), stats.answers());
    let mut quiet = 0;
    for _ in 0..2_000 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let now = (stats.frames(), stats.answers());
        quiet = if now == last { quiet + 1 } else { 0 };
        last = now;
        if quiet >= 15 {
            return;
        }
    }
    panic!("the console never settled");
}

/// A log line for a pod the console has no stream for (an answer that changes nothing).
fn lines_of(pod: &str, n: u64) -> Msg {
    let pod = PodRef {
        namespace: NS.into(),
        name: pod.into(),
        container: None,
    };
    let lines = vec![LogLine {
        time: None,
        text: format!("line {n}"),
    }];
    Msg::Log(LogEvent::Lines { pod, lines })
}

fn quiet_scenario() -> Scenario {
    let mut s = Scenario::demo();
    s.kube.pod_start_ms = 50;
    s.kube.kaniko_line_ms = 1;
    s
}

#[tokio::test]
async fn nothing_is_drawn_without_a_visible_change() {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), quiet_scenario())
        .await
        .unwrap();
    let mut driver = driver_on(&sim, 120, 40).await;
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let stats = driver.stats.clone();
    let answers = driver.sender();
    let (keys, input) = mpsc::unbounded();
    let script = async move {
        settle(&stats).await;
        let frames = stats.frames();
        assert!(frames >= 1, "the first frame is drawn");
        // Lines for a pod the console does not show: 200 answers, no frame.
        let before = stats.answers();
        for n in 0..200 {
            answers.send(lines_of("not-shown", n)).unwrap();
        }
        wait_for("the answers are handled", Duration::from_secs(10), || {
            stats.answers() >= before + 200
        })
        .await;
        settle(&stats).await;
        assert_eq!(stats.frames(), frames, "no redraw for invisible changes");
        // A key release changes nothing either; a key press does.
        let release = KeyEvent::new_with_kind(
            KeyCode::Char('j'),
            KeyModifiers::NONE,
            crossterm::event::KeyEventKind::Release,
        );
        keys.unbounded_send(Ok(Event::Key(release))).unwrap();
        wait_for("the release is handled", Duration::from_secs(10), || {
            stats.input() >= 1
        })
        .await;
        settle(&stats).await;
        assert_eq!(stats.frames(), frames, "no redraw for a key release");
        keys.unbounded_send(press('j')).unwrap();
        wait_for("a frame after the key", Duration::from_secs(10), || {
            stats.frames() > frames
        })
        .await;
        keys.unbounded_send(press('q')).unwrap();
    };
    let (ran, ()) = tokio::join!(
        run_loop(
            &mut terminal,
            &mut driver,
            input,
            Duration::from_secs(3_600)
        ),
        script
    );
    ran.unwrap();
    assert!(driver.app.should_quit);
    assert_eq!(driver.app.prs.selected, 1, "the key moved the selection");
}

/// A build pod of PR 41 that prints `lines` lines as fast as it can.
fn flood_pod(n: usize, lines: u64) -> Pod {
    let mut pod = kfops_sim::kube::flood::flood_pod(&format!("flood-{n}"), lines, 120);
    pod.metadata.labels = Some(
        [
            (
                build_labels::COMPONENT,
                build_labels::COMPONENT_BUILD.to_owned(),
            ),
            (build_labels::PR, "41".to_owned()),
            (build_labels::IMAGE, format!("image{n}")),
            (build_labels::BUILD_ID, "flood".to_owned()),
            (build_labels::VERSION_ID, "v-flood".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
    );
    pod
}

#[tokio::test]
async fn keys_are_handled_between_batches_while_eight_streams_flood() {
    const STREAMS: usize = 8;
    const LINES: u64 = 20_000;
    const KEYS: u64 = 60;
    // 60 keys with at most one batch of 256 answers before each: fewer than this.
    const BACKLOG: u64 = 20_000;
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), quiet_scenario())
        .await
        .unwrap();
    let mut driver = driver_on(&sim, 160, 50).await;
    for n in 0..STREAMS {
        sim.kube()
            .create_pod(NS, flood_pod(n, LINES))
            .expect("flood pod");
    }
    // The flood build opened from the builds picker (`o`, Enter), as a user would.
    select_pr(&mut driver, 41);
    driver.handle(key('2'));
    driver.handle(key('o'));
    assert!(
        driver
            .run_until(Duration::from_secs(30), |app| app
                .logs
                .picker
                .as_ref()
                .is_some_and(|p| matches!(p.state, PickerState::Loaded(_))))
            .await
    );
    driver.handle(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    assert_eq!(driver.app.logs.shown_streams().len(), STREAMS);

    let mut terminal = Terminal::new(TestBackend::new(160, 50)).unwrap();
    let stats = driver.stats.clone();
    stats
        .record_gaps
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let (keys, input) = mpsc::unbounded();
    let kube = sim.kube().clone();
    let answers = driver.sender();
    let script = async move {
        // Keys pressed while the flood is on: after the first log batches arrived, and
        // behind a backlog of answers far longer than the keys could wait for.
        wait_for("log batches arrive", Duration::from_secs(60), || {
            stats.answers() > 40
        })
        .await;
        let before_backlog = stats.answers();
        for n in 0..BACKLOG {
            answers.send(lines_of("elsewhere", n)).unwrap();
        }
        for n in 0..KEYS {
            keys.unbounded_send(press(if n % 2 == 0 { 'j' } else { 'k' }))
                .unwrap();
        }
        wait_for("every key handled", Duration::from_secs(60), || {
            stats.input() >= KEYS
        })
        .await;
        let handled_during_flood = stats.answers();
        assert!(handled_during_flood > before_backlog);
        // Then the flood runs to its end and every line arrives.
        wait_for("the pods finish", Duration::from_secs(120), || {
            (0..STREAMS).all(|n| {
                kube.pod(NS, &format!("flood-{n}"))
                    .and_then(|p| p.status?.phase)
                    .is_some_and(|p| p == "Succeeded")
            })
        })
        .await;
        settle(&stats).await;
        keys.unbounded_send(press('q')).unwrap();
        handled_during_flood
    };
    let (ran, handled_during_flood) = tokio::join!(
        run_loop(
            &mut terminal,
            &mut driver,
            input,
            Duration::from_secs(3_600)
        ),
        script
    );
    ran.unwrap();
    let stats = driver.stats.clone();
    let gaps = stats.gaps();
    assert_eq!(
        gaps.len() as u64,
        KEYS,
        "a gap before every key but the first, and q"
    );
    // The last gap is the rest of the flood, before `q`.
    let longest = gaps[..gaps.len() - 1].iter().max().copied().unwrap_or(0);
    assert!(
        longest <= BATCH as u64 + 1,
        "a key waited behind {longest} answers (one batch is {BATCH}): {gaps:?}"
    );
    assert!(
        handled_during_flood < stats.answers(),
        "the flood went on after the keys"
    );
    // The keys really waited behind answers: a full batch was handled between two keys
    // (fewer when the loop did not starve the queue), so the backlog outlasted the keys.
    let between: u64 = gaps[..gaps.len() - 1].iter().sum();
    assert!(
        between < BACKLOG && gaps[..gaps.len() - 1].iter().all(|&g| g >= 1),
        "answers were handled between every two keys, and the keys did not wait for all of \
         the backlog: {gaps:?}"
    );
    // Batched ingestion: every line of every stream stored once, in order.
    let app = &driver.app;
    for s in app.logs.shown_streams() {
        let want = sim.kube().logs_of(NS, &s.pod.name, "main");
        assert_eq!(want.len() as u64, LINES);
        let got: Vec<String> = app
            .logs
            .store
            .range(s.id)
            .map(|i| app.logs.store.get(s.id, i).unwrap().text.to_string())
            .collect();
        let want: Vec<String> = want.into_iter().map(|(_, t)| t).collect();
        assert!(got == want, "stream {} differs", s.pod.name);
    }
    assert!(
        stats.frames() < stats.answers(),
        "frames are coalesced: {} frames for {} answers",
        stats.frames(),
        stats.answers()
    );
}

/// Animation ticks: none while the console is idle (no frame either); while an action is in
/// flight they keep coming, each moving the spinner and the elapsed time, so frames keep
/// coming; when it ends they stop again. Counted, never timed.
#[tokio::test]
async fn spinners_tick_only_while_an_action_is_in_flight() {
    use kfops_console::engine::{ActionEvent, ActionKind};
    use kfops_console::tui::app::RunningAction;

    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), quiet_scenario())
        .await
        .unwrap();
    let mut driver = driver_on(&sim, 120, 40).await;
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let stats = driver.stats.clone();

    // Idle: after the first load nothing is animated, so no tick and no frame.
    let (keys, input) = mpsc::unbounded();
    let idle = {
        let stats = stats.clone();
        async move {
            settle(&stats).await;
            let (ticks, frames) = (stats.ticks(), stats.frames());
            settle(&stats).await;
            assert_eq!(stats.ticks(), ticks, "no tick while idle");
            assert_eq!(stats.frames(), frames, "no frame while idle");
            keys.unbounded_send(press('q')).unwrap();
        }
    };
    let (ran, ()) = tokio::join!(
        run_loop(
            &mut terminal,
            &mut driver,
            input,
            Duration::from_secs(3_600)
        ),
        idle
    );
    ran.unwrap();
    assert!(driver.app.actions.is_empty());

    // An action in flight (its task is the test: it ends when the test says so).
    driver.app.should_quit = false;
    driver.app.actions.insert(
        (0, 41),
        RunningAction {
            kind: ActionKind::Build,
            started: chrono::Utc::now(),
            step: "uploading pipeline demo to KFP".into(),
            step_no: 4,
        },
    );
    let answers = driver.sender();
    let (keys, input) = mpsc::unbounded();
    let busy = {
        let stats = stats.clone();
        async move {
            let (ticks, frames) = (stats.ticks(), stats.frames());
            wait_for(
                "ticks and frames while busy",
                Duration::from_secs(30),
                || stats.ticks() >= ticks + 10 && stats.frames() >= frames + 10,
            )
            .await;
            // The action ends: the ticks stop (after the PR reload it asks for).
            answers
                .send(Msg::Action {
                    project: 0,
                    event: ActionEvent::Done {
                        pr: 41,
                        action: ActionKind::Build,
                        outcome: Ok("built".into()),
                    },
                })
                .unwrap();
            settle(&stats).await;
            let (ticks, frames) = (stats.ticks(), stats.frames());
            settle(&stats).await;
            assert_eq!(stats.ticks(), ticks, "no tick once the action ended");
            assert_eq!(stats.frames(), frames);
            keys.unbounded_send(press('q')).unwrap();
        }
    };
    let (ran, ()) = tokio::join!(
        run_loop(
            &mut terminal,
            &mut driver,
            input,
            Duration::from_secs(3_600)
        ),
        busy
    );
    ran.unwrap();
    assert!(driver.app.should_quit);
    assert!(driver.app.actions.is_empty());
}
