//! The console against servers that answer garbage: the status bar says which service failed
//! doing what, and the console keeps running (keys work, a refresh asks again).

use std::path::Path;
use std::time::Duration;

use crossterm::event::KeyCode;
use kfops_console::config;
use kfops_console::launch;
use kfops_console::tui::runner::Driver;
use kfops_console::tui::Msg;

use super::server::{Hostile, Payload};
use crate::support::console::{code, key, screen};

/// The console built from a config file whose every URL is the hostile server.
async fn console_on(server: &Hostile) -> Driver {
    let text = format!(
        "[repository]\nowner = \"acme-ml\"\nname = \"churn-model\"\n\n\
         [github]\napi_url = \"{url}\"\n\n[cluster]\nserver = \"{url}\"\n\n\
         [kfp]\nendpoint = \"{url}\"\n",
        url = server.url
    );
    let cfg = config::parse(&text, Path::new("hostile.toml")).expect("config");
    let mut console = launch::console(&cfg, false, "hostile").expect("console");
    launch::connect_cluster(&cfg, &mut console).await;
    let mut driver = Driver::new(console.app, console.services);
    driver.app.size = ratatui::layout::Rect::new(0, 0, 160, 40);
    driver.start();
    driver
}

#[tokio::test]
async fn the_status_bar_names_the_failing_service_and_the_console_keeps_running() {
    for payload in Payload::ALL {
        let server = Hostile::always(payload).await;
        let mut driver = console_on(&server).await;
        let failing = |app: &kfops_console::tui::App, times: u32| {
            app.status.failing.as_ref().is_some_and(|f| {
                f.text.starts_with("GitHub: list pull requests: ") && f.count >= times
            })
        };
        let loaded = driver
            .run_until(Duration::from_secs(20), |app| failing(app, 1))
            .await;
        assert!(
            loaded,
            "{payload:?}: no PR error in the status bar: {:?}",
            driver.app.status
        );
        let text = driver
            .app
            .status
            .failing
            .as_ref()
            .map(|f| f.text.clone())
            .unwrap_or_default();
        assert!(
            text.len() < 1000 && !text.contains('\n'),
            "{payload:?}: {text:.300}"
        );
        let shown = screen(&driver, 160, 40);
        let bottom = shown.lines().last().unwrap_or_default();
        assert!(
            bottom.contains("GitHub: list pull requests"),
            "{payload:?}: status bar: {bottom}\n{shown}"
        );
        // Keys still work: help opens and closes, panes take the focus.
        driver.handle(key('?'));
        assert!(
            screen(&driver, 160, 40).contains("Help: keys"),
            "{payload:?}"
        );
        driver.handle(code(KeyCode::Esc));
        for pane in ['2', '3', '4', '1'] {
            driver.handle(key(pane));
            driver.handle(key('j'));
        }
        assert!(!screen(&driver, 160, 40).contains("Help: keys"));
        // A refresh asks again and fails the same clear way, without a crash.
        let before = driver.app.prs_generation;
        driver.handle(Msg::RefreshDue {
            now: chrono::Utc::now(),
        });
        assert!(
            driver.app.prs_generation > before,
            "{payload:?}: no new load"
        );
        assert!(
            driver
                .run_until(Duration::from_secs(20), |app| failing(app, 2))
                .await,
            "{payload:?}: {:?}",
            driver.app.status
        );
        driver.drain();
        let _ = screen(&driver, 160, 40);
        let _ = screen(&driver, 40, 8);
    }
}
