//! The GitHub token never leaks: a full demo flow (build, run, staging deploy, the audit
//! overlay, help, a production dialog through the console's keys, then a headless build) with
//! a distinctive token and tracing at debug for every crate, and the token is searched in
//! every output: each screen drawn, both log files, the audit log, the headless command's
//! stdout/stderr, every PR comment, and every request path, query and body the simulator
//! recorded (the request log keeps no headers at all).

use std::time::Duration;

use crossterm::event::KeyCode;
use kfops_console::config::Secret;
use kfops_console::logging;
use kfops_console::tui::app::Overlay;
use kfops_console::tui::dialogs::audit::AuditLoad;
use kfops_console::tui::runner::Driver;
use kfops_console::tui::{App, Msg};
use kfops_sim::Simulator;

use crate::build_flow::fast_scenario;
use crate::support::console::{code, driver_with, key, screen, select_pr, test_config, typed};

/// Distinctive enough to be found only where it leaked.
const TOKEN: &str = "ghp_LeakCanary7f3Q9zXw2Vb81Kfops";

/// Where the token was found (the token itself is never printed: only the place).
fn leaks(what: &str, text: &str, found: &mut Vec<String>) {
    if text.contains(TOKEN) {
        found.push(what.to_string());
    }
}

fn press(driver: &mut Driver, msg: Msg, screens: &mut Vec<String>) {
    driver.handle(msg);
    screens.push(screen(driver, 160, 45));
}

/// Handles answers until `done`, drawing the screen every 200 ms.
async fn until(driver: &mut Driver, screens: &mut Vec<String>, done: impl Fn(&App) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !driver.run_until(Duration::from_millis(200), &done).await {
        screens.push(screen(driver, 160, 45));
        assert!(tokio::time::Instant::now() < deadline, "timed out");
    }
    screens.push(screen(driver, 160, 45));
}

/// Runs the flow in a process of its own: tracing caches per call site whether anyone listens,
/// process-wide, so a subscriber scoped to one test thread (`set_default`) misses the call
/// sites that other tests' threads reach first. The child installs a process-wide subscriber
/// and runs only this flow.
#[test]
fn the_github_token_appears_in_no_output() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "secret_leak::token_flow_in_its_own_process",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("RUST_BACKTRACE", "0")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stdout.contains(TOKEN) && !stderr.contains(TOKEN));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    // The child really ran the flow (libtest exits 0 when a filter matches nothing).
    assert!(stdout.contains("1 passed"), "{stdout}");
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "run by the_github_token_appears_in_no_output in a process of its own"]
async fn token_flow_in_its_own_process() {
    let dir = tempfile::tempdir().unwrap();
    let console_log = dir.path().join("console.log");
    let headless_log = dir.path().join("headless.log");
    let audit = dir.path().join("audit.jsonl");
    let subscriber = logging::file_subscriber(
        logging::open_log_file(&console_log).unwrap(),
        tracing_subscriber::EnvFilter::new("debug"),
    );
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let mut scenario = fast_scenario();
    scenario.kserve.ready_ms = 30;
    // The simulated GitHub refuses any other token: the flow below proves it was sent.
    scenario.github.token = Some(TOKEN.into());
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), scenario)
        .await
        .unwrap();
    let mut cfg = test_config(&sim);
    cfg.github.token = Some(Secret::new(TOKEN));
    cfg.audit.path = Some(audit.clone());

    let mut screens = Vec::new();
    let mut driver = driver_with(&cfg, false, 160, 45).await;
    screens.push(screen(&driver, 160, 45));
    select_pr(&mut driver, 42);
    for action in ['b', 'r', 's'] {
        press(&mut driver, key(action), &mut screens);
        assert!(
            driver.app.actions.contains_key(&(0, 42)),
            "{action} started"
        );
        until(&mut driver, &mut screens, |app| app.actions.is_empty()).await;
        let said = driver.app.status.message.clone().unwrap().text;
        assert!(said.starts_with('✓'), "{said}");
    }
    press(&mut driver, key('A'), &mut screens);
    until(
        &mut driver,
        &mut screens,
        |app| matches!(&app.overlay, Overlay::Audit(v) if v.load == AuditLoad::Loaded),
    )
    .await;
    press(&mut driver, code(KeyCode::Enter), &mut screens);
    press(&mut driver, code(KeyCode::Esc), &mut screens);
    press(&mut driver, code(KeyCode::Esc), &mut screens);
    press(&mut driver, key('?'), &mut screens);
    press(&mut driver, code(KeyCode::Esc), &mut screens);
    press(&mut driver, key(':'), &mut screens);
    typed(&mut driver, "/deploy --force");
    press(&mut driver, code(KeyCode::Enter), &mut screens);
    assert!(matches!(driver.app.overlay, Overlay::Deploy(_)));
    press(&mut driver, code(KeyCode::Esc), &mut screens);

    // A headless build with the token in the environment, debug logs to a file.
    let config = crate::headless::config_for(&sim, dir.path());
    let mut command = crate::support::kfops_command();
    command
        .arg("--config")
        .arg(&config)
        .arg("--log-file")
        .arg(&headless_log)
        .args(["build", "--pr", "41"])
        .env("GITHUB_TOKEN", TOKEN)
        .env("RUST_LOG", "debug")
        .env(kfops_console::audit::AUDIT_ENV_VAR, &audit);
    let (code, stdout, stderr) = crate::support::run_output(command).await;
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    drop(driver);

    let mut found = Vec::new();
    for (i, s) in screens.iter().enumerate() {
        leaks(&format!("screen {i}"), s, &mut found);
    }
    let console_text = std::fs::read_to_string(&console_log).unwrap();
    let headless_text = std::fs::read_to_string(&headless_log).unwrap();
    let audit_text = std::fs::read_to_string(&audit).unwrap();
    leaks("the console's tracing log", &console_text, &mut found);
    leaks("the headless tracing log", &headless_text, &mut found);
    leaks("the audit log", &audit_text, &mut found);
    leaks("headless stdout", &stdout, &mut found);
    leaks("headless stderr", &stderr, &mut found);
    let comments = sim.github().read(|s| {
        s.comments
            .iter()
            .map(|c| c.body.clone())
            .collect::<Vec<_>>()
    });
    for (i, c) in comments.iter().enumerate() {
        leaks(&format!("PR comment {i}"), c, &mut found);
    }
    for r in sim.requests() {
        let what = format!("{} {}", r.method, r.path);
        leaks(&what, &r.path, &mut found);
        leaks(&what, r.query.as_deref().unwrap_or_default(), &mut found);
        leaks(&what, r.body.as_deref().unwrap_or_default(), &mut found);
    }
    assert!(found.is_empty(), "the token leaked into: {found:?}");

    // The search covered real output: debug logs of both processes, their configs printed
    // (with the token masked), Kfops' comments, the audit lines of both.
    assert!(screens.len() > 20);
    for text in [&console_text, &headless_text] {
        assert!(text.contains("DEBUG"), "debug logs were written");
        assert!(
            text.contains("connecting the backends"),
            "the config was logged"
        );
    }
    // The console's config holds the token itself: logged, masked.
    assert!(console_text.contains("token: Some(***)"));
    assert!(comments.iter().any(|c| c.contains("KFOPS_VERSION_ID")));
    assert_eq!(audit_text.lines().count(), 4, "{audit_text}");
    assert!(audit_text.contains("\"user\":\"priya-ops\""));
    assert!(audit_text.contains("\"source\":\"headless\""));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg(unix)]
async fn a_config_file_with_the_token_readable_by_others_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), fast_scenario())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = crate::headless::config_for(&sim, dir.path());
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("[github]\n", &format!("[github]\ntoken = \"{TOKEN}\"\n"));
    std::fs::write(&config, text).unwrap();
    let warned = |mode: u32| {
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(mode)).unwrap();
        let config = config.clone();
        async move {
            let out = crate::headless::kfops(&["runs", "--pr", "41"], &config).await;
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            assert_eq!(out.status.code(), Some(0), "{stderr}");
            assert!(!stderr.contains(TOKEN));
            stderr
        }
    };
    let stderr = warned(0o644).await;
    assert!(
        stderr.contains("other users can read it")
            && stderr.contains(&format!("chmod 600 {}", config.display())),
        "{stderr}"
    );
    assert!(warned(0o640).await.contains("chmod 600"));
    assert!(!warned(0o600).await.contains("chmod 600"));

    // In the console the same warning stays in the status bar.
    let mut cfg = test_config(&sim);
    cfg.github.token = Some(Secret::new(TOKEN));
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut driver = driver_with(&cfg, false, 200, 30).await;
    driver.app.status.warning = kfops_console::config::token_file_warning(&config, &cfg);
    driver.handle(key('j'));
    let shown = screen(&driver, 200, 30);
    assert!(
        shown.contains("⚠") && shown.contains("chmod 600"),
        "{shown}"
    );
    sim.shutdown().await;
}
