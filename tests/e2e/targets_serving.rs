//! What really serves, live against the simulator: after a failed canary the old revision
//! keeps 100%, and the targets pane and the production confirmation name its run (read from
//! the revisions' Knative Revision objects), not the spec's newest annotations.

use std::time::Duration;

use crossterm::event::KeyCode;
use kfops_console::chatops::DeployTarget;

use crate::build_flow::setup;
use crate::support::console::{code, driver_on, key, screen, select_pr};
use crate::support::deploy::{deploy_quietly, fast, last_run, request};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_failed_canary_the_pane_and_the_confirmation_name_the_run_that_serves() {
    let mut scenario = fast();
    scenario.kserve.fail_sample = vec!["churn-model".into()];
    let (sim, cfg, b) = setup(scenario).await;
    let (run40, run41) = (last_run(&sim, 40), last_run(&sim, 41));
    let err = deploy_quietly(&b, &cfg, 41, request(DeployTarget::Production, None, false))
        .await
        .unwrap_err();
    assert_eq!(err.step, "test the new revision with the sample input");
    // The spec now names #41's run; the traffic stays on #40's.
    let isvc = sim.kserve().get("production", "churn-model").unwrap();
    assert_eq!(isvc["metadata"]["annotations"]["kfops.io/run-id"], run41);

    let mut driver = driver_on(&sim, 160, 45).await;
    let read = |app: &kfops_console::tui::App| {
        app.targets
            .state(DeployTarget::Production)
            .is_some_and(|s| s.revisions.len() >= 2)
            && !app.prs.items.is_empty()
    };
    assert!(driver.run_until(Duration::from_secs(30), read).await);
    let production = driver.app.targets.state(DeployTarget::Production).unwrap();
    assert_eq!(
        production.main_model().and_then(|m| m.run_id),
        Some(run40.clone())
    );
    let text = screen(&driver, 160, 45);
    assert!(
        text.contains(&format!("{} 100% #40", &run40[..8])),
        "{text}"
    );
    assert!(
        text.contains(&format!("{} 0% #41 (canary", &run41[..8])),
        "{text}"
    );

    select_pr(&mut driver, 44);
    driver.handle(key('d'));
    let text = screen(&driver, 160, 45);
    assert!(
        text.contains(&format!("serving now run {} from #40 (ready)", &run40[..8])),
        "{text}"
    );
    driver.handle(code(KeyCode::Esc));
    sim.shutdown().await;
}
