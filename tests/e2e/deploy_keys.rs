//! Keyboard deploys in the console (the runner's `Driver` against the simulator): the
//! production confirmation, typing `force` for a PR behind its base, typing the other PR's
//! number to deploy its run, Esc sending nothing, one action per PR, and a rollback to an
//! earlier run from the run picker.

use std::time::Duration;

use crossterm::event::KeyCode;
use kfops_console::chatops::DeployTarget;
use kfops_console::domain::LABEL_STAGING;
use kfops_console::tui::app::Overlay;
use kfops_console::tui::runner::Driver;
use kfops_sim::Simulator;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use crate::support::console::{
    code, driver_on, finish_actions, key, open_run_picker, pick_older_run, screen, select_pr, typed,
};
use crate::support::deploy::{fast, has_label};

/// The console drawn at the size the dialogs are read at.
fn dialog_text(driver: &Driver) -> String {
    screen(driver, 100, 24)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn d_then_esc_sends_nothing_and_d_on_a_behind_pr_needs_force_typed() {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), fast())
        .await
        .unwrap();
    let mut driver = driver_on(&sim, 160, 45).await;
    // The targets watch has listed production (the dialog says what serves there now).
    assert!(
        driver
            .run_until(Duration::from_secs(30), |app| {
                app.targets.state(DeployTarget::Production).is_some()
            })
            .await
    );

    // d on #41 → the confirmation (default No) → Esc: nothing reaches the simulator.
    select_pr(&mut driver, 41);
    let before = sim
        .requests()
        .iter()
        .filter(|r| r.method != http::Method::GET)
        .count();
    driver.handle(key('d'));
    assert!(matches!(driver.app.overlay, Overlay::Deploy(_)));
    let text = dialog_text(&driver);
    assert!(
        text.contains("Deploy to PRODUCTION?") && text.contains("[ No ]"),
        "{text}"
    );
    driver.handle(code(KeyCode::Esc));
    assert!(matches!(driver.app.overlay, Overlay::None));
    assert!(driver.app.actions.is_empty());
    let _ = driver
        .run_until(Duration::from_millis(200), |_| false)
        .await;
    let after = sim
        .requests()
        .iter()
        .filter(|r| r.method != http::Method::GET)
        .count();
    assert_eq!(after, before, "no mutating request after Esc");
    assert!(!sim.github().is_merged(41));

    // Enter on the default (No) cancels too.
    driver.handle(key('d'));
    driver.handle(code(KeyCode::Enter));
    assert!(matches!(driver.app.overlay, Overlay::None) && driver.app.actions.is_empty());

    // #42 is 3 commits behind: the dialog says so and wants `force` typed.
    select_pr(&mut driver, 42);
    let run41 = crate::support::deploy::newest_run(&sim, 41);
    driver.handle(key(':'));
    typed(&mut driver, &format!("/deploy --run-id={run41}"));
    driver.handle(code(KeyCode::Enter));
    let text = dialog_text(&driver);
    assert!(text.contains("3 commit(s) behind"), "{text}");
    let Overlay::Deploy(dialog) = &driver.app.overlay else {
        panic!("no dialog");
    };
    let mut terminal = Terminal::new(TestBackend::new(84, 16)).unwrap();
    terminal
        .draw(|f| {
            kfops_console::tui::dialogs::deploy_confirm::render(
                f,
                f.area(),
                dialog,
                &driver.app.keymap,
                &driver.app.theme,
            )
        })
        .unwrap();
    insta::assert_snapshot!("force_dialog", terminal.backend());
    assert!(text.contains("serving now run 1944c4b2 from #40"), "{text}");
    typed(&mut driver, "y"); // not `force`: just text
    driver.handle(code(KeyCode::Enter));
    assert!(
        matches!(driver.app.overlay, Overlay::None) && driver.app.actions.is_empty(),
        "a wrong word cancels"
    );
    driver.handle(key(':'));
    typed(&mut driver, &format!("/deploy --run-id={run41}"));
    driver.handle(code(KeyCode::Enter));
    typed(&mut driver, "force");
    driver.handle(code(KeyCode::Enter));
    assert!(driver.app.actions.contains_key(&(0, 42)));
    // #41's run on #42: the engine refuses before changing anything, and the dialog asks
    // again, wanting 41 typed (`force` does not imply it).
    let before = crate::support::deploy::mutating_requests(&sim);
    let msg = finish_actions(&mut driver).await;
    assert!(
        msg.contains("refused") && msg.contains("built for #41"),
        "{msg}"
    );
    assert_eq!(crate::support::deploy::mutating_requests(&sim), before);
    let text = dialog_text(&driver);
    assert!(text.contains("built for #41, not #42"), "{text}");
    typed(&mut driver, "force");
    driver.handle(code(KeyCode::Enter));
    assert!(
        matches!(driver.app.overlay, Overlay::None) && driver.app.actions.is_empty(),
        "only 41 confirms"
    );
    assert_eq!(crate::support::deploy::mutating_requests(&sim), before);
    driver.handle(key(':'));
    typed(&mut driver, &format!("/deploy --run-id={run41}"));
    driver.handle(code(KeyCode::Enter));
    typed(&mut driver, "force");
    driver.handle(code(KeyCode::Enter));
    let _ = finish_actions(&mut driver).await;
    typed(&mut driver, "41");
    driver.handle(code(KeyCode::Enter));
    assert!(driver.app.actions.contains_key(&(0, 42)));
    // A second d while the deploy runs does nothing.
    driver.handle(key('d'));
    assert!(matches!(driver.app.overlay, Overlay::None));
    assert!(driver
        .app
        .status
        .message
        .as_ref()
        .unwrap()
        .text
        .contains("already running"));
    let msg = finish_actions(&mut driver).await;
    assert!(msg.starts_with("✓ /deploy"), "{msg}");
    assert!(sim.github().is_merged(42));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_deploys_an_earlier_run_chosen_in_the_run_picker() {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), fast())
        .await
        .unwrap();
    let mut driver = driver_on(&sim, 160, 45).await;
    select_pr(&mut driver, 41);
    open_run_picker(&mut driver).await;
    let older = pick_older_run(&mut driver);
    driver.handle(key('s'));
    assert!(driver.app.actions.contains_key(&(0, 41)));
    let msg = finish_actions(&mut driver).await;
    assert!(msg.starts_with("✓ /staging_deploy"), "{msg}");
    let isvc = sim.kserve().get("staging", "churn-model").unwrap();
    assert_eq!(
        isvc["metadata"]["annotations"]["kfops.io/run-id"],
        older.as_str()
    );
    assert!(has_label(&sim, 41, LABEL_STAGING));
    sim.shutdown().await;
}
