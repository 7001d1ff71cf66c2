//! The run graph pane driven by keys against the simulator: focusing it shows the selected
//! PR's last run (a nested DAG: a sub-DAG and a ParallelFor), `p` lists the PR's runs, `r`
//! starts a run that is drawn live to SUCCEEDED, Enter opens a task's pod log.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use crossterm::event::KeyCode;
use kfops_console::backends::kfp::RuntimeState;
use kfops_console::tui::app::PaneId;
use kfops_console::tui::view;
use kfops_sim::Simulator;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use crate::build_flow::fast_scenario;
use crate::support::console::{
    code, driver_on, finish_actions, key, open_run_picker, pick_older_run, screen, select_pr,
    select_task,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn focusing_the_graph_shows_the_last_run_and_p_lists_the_prs_runs() {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), fast_scenario())
        .await
        .unwrap();
    let mut driver = driver_on(&sim, 200, 60).await;
    select_pr(&mut driver, 41);
    let last_run = driver
        .app
        .prs
        .selected_pr()
        .unwrap()
        .last_run_id
        .clone()
        .unwrap();
    driver.handle(key('3'));
    assert_eq!(driver.app.focus, PaneId::Graph);
    assert!(
        driver
            .run_until(Duration::from_secs(30), |app| app.graph.layout.is_some())
            .await,
        "{:?}",
        driver.app.graph.error
    );
    assert_eq!(driver.app.graph.run_id(), Some(last_run.as_str()));
    // Every task of the finished demo run is drawn succeeded; the sub-DAG and the loop are groups.
    let graph = driver.app.graph.graph.as_ref().unwrap();
    assert!(graph.groups().len() >= 2, "a sub-DAG and a ParallelFor");
    assert!(
        driver
            .app
            .graph
            .visible
            .nodes
            .iter()
            .all(|n| n.status.label() == "succeeded"),
        "{:?}",
        driver.app.graph.visible.nodes
    );

    // A fixed clock: the demo run's durations are in the past, so the snapshot is stable.
    driver.app.now = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    terminal.draw(|f| view::draw(f, &driver.app)).unwrap();
    let area =
        kfops_console::tui::layout::Areas::of(ratatui::layout::Rect::new(0, 0, 200, 60)).graph;
    let buffer = terminal.backend().buffer();
    let pane: Vec<String> = (area.y..area.y + area.height)
        .map(|y| {
            (area.x..area.x + area.width)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect()
        })
        .collect();
    insta::assert_snapshot!("graph_pane_demo_run", pane.join("\n"));

    // Moving the selection, folding the selected group and panning change the view.
    driver.handle(key('j'));
    driver.handle(key('l'));
    let before = driver.app.graph.visible.len();
    let group = driver.app.graph.graph.as_ref().unwrap().groups()[0];
    driver.app.graph.view.selected = Some(group);
    driver.handle(key(' '));
    assert!(
        driver.app.graph.visible.len() < before,
        "folding hides the group's children"
    );
    driver.handle(key(' '));
    assert_eq!(driver.app.graph.visible.len(), before);

    // p: the run picker lists the PR's runs with their states, newest first.
    open_run_picker(&mut driver).await;
    let picker = driver.app.graph.picker.clone().unwrap();
    assert!(
        picker.runs.len() >= 2,
        "{:?}",
        picker.runs.iter().map(|r| &r.run_id).collect::<Vec<_>>()
    );
    assert!(picker
        .runs
        .windows(2)
        .all(|w| w[0].created_at >= w[1].created_at));
    let text = screen(&driver, 200, 60);
    assert!(
        text.contains("runs of #41") && text.contains("SUCCEEDED") && text.contains(&last_run),
        "{text}"
    );
    // Choose the older run.
    let older = pick_older_run(&mut driver);
    driver.handle(code(KeyCode::Enter));
    assert!(
        driver
            .run_until(Duration::from_secs(30), |app| app.graph.run_id()
                == Some(older.as_str())
                && app.graph.layout.is_some())
            .await
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_runs_the_pr_and_the_graph_follows_it_live_then_enter_opens_a_task_log() {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), fast_scenario())
        .await
        .unwrap();
    let mut driver = driver_on(&sim, 200, 60).await;
    select_pr(&mut driver, 44);
    driver.handle(key('r'));
    assert!(driver.app.actions.contains_key(&(0, 44)));
    // The run appears in the graph pane and is followed to its end.
    let msg = finish_actions(&mut driver).await;
    assert!(msg.starts_with("✓ /run on #44"), "{msg}");
    let run = driver.app.graph.run.clone().expect("the run is shown");
    assert_eq!(run.state, RuntimeState::Succeeded);
    assert!(driver.app.graph.layout.is_some());
    assert!(driver
        .app
        .graph
        .visible
        .nodes
        .iter()
        .all(|n| n.status.is_terminal()));
    assert!(sim.kfp().run(&run.run_id).is_some());

    // Enter on a task: details, and its pod's log in the logs pane.
    select_task(&mut driver, "train");
    driver.handle(code(KeyCode::Enter));
    assert!(driver.app.graph.details);
    assert!(
        driver
            .run_until(Duration::from_secs(30), |app| {
                app.logs
                    .streams
                    .iter()
                    .any(|s| s.title == "train" && app.logs.store.len(s.id) > 0)
            })
            .await,
        "status {:?}\nstreams {:?}\ntask {:?}\npods {:?}",
        driver.app.status,
        driver.app.logs.streams,
        driver.app.graph.selected_task(),
        sim.kube()
            .pods("kubeflow-user-example-com")
            .iter()
            .map(|p| p.metadata.name.clone())
            .collect::<Vec<_>>()
    );
    let text = screen(&driver, 200, 60);
    assert!(text.contains("train"), "{text}");
    sim.shutdown().await;
}
