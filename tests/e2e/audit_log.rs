//! The audit log end to end: actions started with keys in the console are appended as JSON
//! lines (operator from GitHub's `GET /user`, asked once), and the `A` overlay lists them,
//! newest first, with each action's steps on Enter.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use crossterm::event::KeyCode;
use kfops_console::audit::{AuditArgs, AuditEntry, AuditOutcome, AuditStep, Source};
use kfops_console::config::Secret;
use kfops_console::tui::app::Overlay;
use kfops_console::tui::dialogs::audit::{self, AuditLoad, AuditView};
use kfops_console::tui::theme::Theme;
use kfops_sim::{Scenario, Simulator};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use serde_json::Value;

use crate::build_flow::fast_scenario;
use crate::support::console::{code, driver_with, key, screen, select_pr, test_config};

fn fast() -> Scenario {
    let mut s = fast_scenario();
    s.kserve.ready_ms = 30;
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_started_with_keys_are_audited_and_listed_newest_first() {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), fast())
        .await
        .unwrap();
    let mut cfg = test_config(&sim);
    cfg.github.token = Some(Secret::new("ghp_audit_e2e_token"));
    let path = cfg.audit.path.clone().unwrap();
    let mut driver = driver_with(&cfg, false, 160, 45).await;
    let done = |d: &kfops_console::tui::runner::Driver| d.app.actions.is_empty();

    // b on #42, s on #41, then d on #41 confirmed with y.
    select_pr(&mut driver, 42);
    driver.handle(key('b'));
    assert!(
        driver
            .run_until(Duration::from_secs(60), |app| app.actions.is_empty())
            .await
    );
    select_pr(&mut driver, 41);
    driver.handle(key('s'));
    assert!(
        driver
            .run_until(Duration::from_secs(60), |app| app.actions.is_empty())
            .await
    );
    driver.handle(key('d'));
    assert!(matches!(driver.app.overlay, Overlay::Deploy(_)));
    driver.handle(key('y'));
    assert!(
        driver
            .run_until(Duration::from_secs(60), |app| app.actions.is_empty())
            .await
    );
    assert!(done(&driver));

    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{text}");
    let expect = [
        ("/build", 42, Value::Null),
        ("/staging_deploy", 41, Value::from("staging")),
        ("/deploy", 41, Value::from("production")),
    ];
    for (line, (action, pr, target)) in lines.iter().zip(expect) {
        assert_eq!(line["action"], action, "{line}");
        assert_eq!(line["pr"], pr);
        assert_eq!(line["args"]["target"], target);
        assert_eq!(line["args"]["force"], false);
        assert_eq!(
            line["user"], "priya-ops",
            "the token's login, from GET /user"
        );
        assert_eq!(line["source"], "console");
        assert_eq!(line["outcome"], "ok", "{line}");
        for key in ["time", "ended"] {
            chrono::DateTime::parse_from_rfc3339(line[key].as_str().unwrap()).unwrap();
        }
        let steps = line["steps"].as_array().unwrap();
        assert!(!steps.is_empty(), "{line}");
        for step in steps {
            chrono::DateTime::parse_from_rfc3339(step["time"].as_str().unwrap()).unwrap();
            assert!(!step["text"].as_str().unwrap().is_empty());
        }
    }
    assert!(lines[0]["message"]
        .as_str()
        .unwrap()
        .starts_with("pipeline version "));
    assert!(!text.contains("ghp_audit_e2e_token"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let user_calls = sim
        .requests()
        .iter()
        .filter(|r| r.path == "/github/user")
        .count();
    assert_eq!(user_calls, 1, "the operator is asked for once");

    // A: the overlay reads the file (an effect) and lists the newest first.
    driver.handle(key('A'));
    assert!(
        driver
            .run_until(Duration::from_secs(10), |app| {
                matches!(&app.overlay, Overlay::Audit(v) if v.load == AuditLoad::Loaded)
            })
            .await
    );
    let shown = screen(&driver, 160, 45);
    let row = |needle: &str| {
        shown
            .lines()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle} not shown:\n{shown}"))
    };
    assert!(row("/deploy ") < row("/staging_deploy") && row("/staging_deploy") < row("/build "));
    // Enter: the newest action's steps.
    driver.handle(code(KeyCode::Enter));
    let details = screen(&driver, 160, 45);
    assert!(
        details.contains("Steps") && details.contains("/deploy on #41"),
        "{details}"
    );
    driver.handle(code(KeyCode::Esc));
    driver.handle(code(KeyCode::Esc));
    assert!(matches!(driver.app.overlay, Overlay::None));
    sim.shutdown().await;
}

fn entry(min: u32, pr: u64, action: &str, outcome: AuditOutcome, message: &str) -> AuditEntry {
    let at = |s: u32| Utc.with_ymd_and_hms(2026, 11, 25, 12, min, s).unwrap();
    AuditEntry {
        time: at(0),
        user: "priya-ops".into(),
        source: if pr == 40 {
            Source::Headless
        } else {
            Source::Console
        },
        repository: None,
        pr,
        action: action.into(),
        args: AuditArgs {
            target: action.contains("deploy").then(|| "production".into()),
            force: pr == 42,
            ..AuditArgs::default()
        },
        steps: vec![
            AuditStep {
                time: at(1),
                text: "checking the PR".into(),
            },
            AuditStep {
                time: at(9),
                text: "waiting for the InferenceService".into(),
            },
        ],
        outcome,
        message: message.into(),
        ended: at(30),
    }
}

#[test]
fn audit_overlay_snapshot() {
    let mut view = AuditView::loading("/home/priya/.local/state/kfops/audit.jsonl".into());
    view.load = AuditLoad::Loaded;
    view.entries = vec![
        entry(
            40,
            42,
            "/deploy",
            AuditOutcome::Error,
            "behind check: #42 is 3 commit(s) behind",
        ),
        entry(
            31,
            41,
            "/build",
            AuditOutcome::Ok,
            "pipeline version 5f1c2a",
        ),
        entry(12, 40, "/run", AuditOutcome::Ok, "run 1944c4b2 SUCCEEDED"),
    ];
    view.selected = 1;
    let draw = |view: &AuditView| {
        let mut terminal = Terminal::new(TestBackend::new(120, 14)).unwrap();
        terminal
            .draw(|f| {
                audit::render(
                    f,
                    f.area(),
                    view,
                    &kfops_console::keys::KeyMap::default(),
                    &Theme::default(),
                )
            })
            .unwrap();
        terminal.backend().clone()
    };
    let list = draw(&view);
    insta::assert_snapshot!("audit_overlay", list);
    // The selected row (#41, the second) is highlighted; the others are not.
    let selected = Theme::default().selected.bg;
    assert_eq!(list.buffer()[(40, 3)].style().bg, selected);
    assert_ne!(list.buffer()[(40, 2)].style().bg, selected);
    view.details = true;
    insta::assert_snapshot!("audit_overlay_details", draw(&view));
}
