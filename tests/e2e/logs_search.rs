//! Searching and saving the build logs in the console on the demo simulator, with the keys:
//! `/pushed` Enter and `n` walk the two images' `Pushed` lines; `ctrl-s` writes the selected
//! stream to a file that holds exactly the pod's log.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kfops_console::logs::StreamStatus;
use kfops_console::tui::app::Overlay;
use kfops_console::tui::runner::Driver;
use kfops_console::tui::Msg;
use kfops_sim::Simulator;

use crate::build_flow::fast_scenario;
use crate::support::console::{code, driver_on, key, screen, select_pr, typed};

const W: u16 = 160;
const H: u16 = 45;

/// The demo console after `b` on #42, its build finished and both streams complete.
async fn built(sim: &Simulator) -> Driver {
    let mut driver = driver_on(sim, W, H).await;
    select_pr(&mut driver, 42);
    driver.handle(key('b'));
    assert!(
        driver
            .run_until(Duration::from_secs(60), |app| {
                app.actions.is_empty()
                    && app.logs.streams.len() == 2
                    && app
                        .logs
                        .streams
                        .iter()
                        .all(|s| s.status == StreamStatus::Finished)
            })
            .await,
        "the build did not finish: {:?}",
        driver.app.status
    );
    driver
}

fn message(driver: &Driver) -> String {
    driver
        .app
        .status
        .message
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default()
}

/// The image of the stream holding the current match, and that match's text.
fn current(driver: &Driver) -> (String, String) {
    let logs = &driver.app.logs;
    let c = logs.search.as_ref().unwrap().current.unwrap();
    let stream = logs.streams.iter().find(|s| s.id == c.stream).unwrap();
    let text = logs.store.get(c.stream, c.index).unwrap().text.to_string();
    (stream.title.clone(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slash_pattern_enter_and_n_walk_the_matches_of_both_images() {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), fast_scenario())
        .await
        .unwrap();
    let mut driver = built(&sim).await;

    driver.handle(key('/'));
    typed(&mut driver, "pushed");
    let prompt = screen(&driver, W, H);
    assert!(prompt.contains("/ search"), "{prompt}");
    driver.handle(code(KeyCode::Enter));
    let (first_image, first_text) = current(&driver);
    assert!(first_text.starts_with("INFO[") && first_text.contains("Pushed"));
    let (i, n) = driver.app.logs.match_counter().unwrap();
    assert_eq!(n, 2, "one Pushed line per image");
    let first = screen(&driver, W, H);
    assert!(
        first.contains(&format!("/pushed/ · match {i}/2")),
        "{first}"
    );
    assert!(first.contains("Pushed registry."), "{first}");

    driver.handle(key('n'));
    let (second_image, second_text) = current(&driver);
    assert_ne!(
        second_image, first_image,
        "n went to the other image's match"
    );
    assert!(second_text.contains("Pushed "));
    let second = screen(&driver, W, H);
    let j = i % 2 + 1;
    assert!(
        second.contains(&format!("/pushed/ · match {j}/2")),
        "{second}"
    );
    // The grid selected the stream holding it.
    let selected = driver.app.logs.selected_index().unwrap();
    assert_eq!(driver.app.logs.streams[selected].title, second_image);
    // From the last match `n` wraps to the first, with less's message.
    if i == 1 {
        driver.handle(key('n'));
        assert_eq!(current(&driver).0, first_image);
    }
    let wrapped = screen(&driver, W, H);
    assert!(
        wrapped.contains("search hit BOTTOM, continuing at TOP"),
        "{wrapped}"
    );
    assert!(wrapped.contains("/pushed/ · match 1/2"), "{wrapped}");

    // The filter: only the two lines, in both cells.
    driver.handle(key('&'));
    let filtered = screen(&driver, W, H);
    assert!(
        filtered.contains("FILTER /pushed/ · match 1/2"),
        "{filtered}"
    );
    assert!(filtered.contains("Pushed registry."), "{filtered}");
    assert!(!filtered.contains("Taking snapshot"), "{filtered}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_s_saves_the_selected_stream_exactly_as_the_pod_logged_it() {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), fast_scenario())
        .await
        .unwrap();
    let mut driver = built(&sim).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trainer.log");
    let selected = driver.app.logs.selected_index().unwrap();
    let pod = driver.app.logs.streams[selected].pod.clone();

    let save = |driver: &mut Driver| {
        driver.handle(Msg::Key(KeyEvent::new(
            KeyCode::Char('s'),
            KeyModifiers::CONTROL,
        )));
        let Overlay::Prompt(prompt) = &driver.app.overlay else {
            panic!("no save prompt");
        };
        let default = prompt.text();
        assert!(
            default.starts_with(&format!("kfops-{}-", pod.name)) && default.ends_with(".log"),
            "{default}"
        );
        for _ in 0..default.chars().count() {
            driver.handle(code(KeyCode::Backspace));
        }
        typed(driver, path.to_str().unwrap());
        driver.handle(code(KeyCode::Enter));
    };
    save(&mut driver);
    assert!(
        driver
            .run_until(Duration::from_secs(10), |app| app
                .status
                .message
                .as_ref()
                .is_some_and(|m| m.text.starts_with("saved")))
            .await,
        "{:?}",
        driver.app.status
    );
    let stored = sim.kube().logs_of(&pod.namespace, &pod.name, "kaniko");
    assert!(!stored.is_empty());
    let want: String = stored.iter().map(|(_, text)| format!("{text}\n")).collect();
    let written = std::fs::read_to_string(&path).unwrap();
    assert_eq!(written, want, "the file is the pod's log, line for line");
    assert_eq!(
        message(&driver),
        format!("saved {} lines to {}", stored.len(), path.display())
    );

    // Again to the same name: the file is kept, a numbered one is written.
    save(&mut driver);
    assert!(
        driver
            .run_until(Duration::from_secs(10), |app| app
                .status
                .message
                .as_ref()
                .is_some_and(|m| m.text.contains("not overwritten")))
            .await,
        "{:?}",
        driver.app.status
    );
    let numbered = dir.path().join("trainer-1.log");
    assert_eq!(std::fs::read_to_string(&numbered).unwrap(), want);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), want);
    sim.shutdown().await;
}
