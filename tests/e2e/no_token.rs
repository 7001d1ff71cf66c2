//! Writes need a token (issue 13, point 6): GitHub refuses anonymous writes (401) and hides a
//! private repository (404), so without a token the console starts read-only and says so, and
//! the headless actions exit 2 with the fix, before any request.

use kfops_sim::Simulator;

use crate::build_flow::fast_scenario;
use crate::safety::{mutating, press_everything};
use crate::support::console::{driver_with, key, screen, select_pr, test_config};

/// A variable no test environment sets: the config's only place to look for a token.
const NO_SUCH_VAR: &str = "KFOPS_E2E_NO_TOKEN_HERE";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_token_the_console_is_read_only_says_why_and_sends_nothing() {
    let mut scenario = fast_scenario();
    // Public, so the PRs load without a token (a private one would be 404, as on GitHub).
    scenario.github.repository.private = false;
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), scenario)
        .await
        .unwrap();
    let mut cfg = test_config(&sim);
    cfg.github.token = None;
    cfg.github.token_env = vec![NO_SUCH_VAR.into()];
    let mut driver = driver_with(&cfg, false, 200, 45).await;
    assert!(driver.app.read_only);
    let shown = screen(&driver, 200, 45);
    assert!(shown.contains("READ-ONLY (no GitHub token)"), "{shown}");
    assert!(
        shown.contains(&format!(
            "actions need a GitHub token: export {NO_SUCH_VAR}=… and restart kfops"
        )),
        "the fix is said at start: {shown}"
    );
    press_everything(&mut driver).await;
    assert!(driver.app.actions.is_empty());
    assert_eq!(mutating(&sim), Vec::<String>::new());
    select_pr(&mut driver, 41);
    driver.handle(key('b'));
    let said = driver.app.status.message.clone().unwrap().text;
    assert_eq!(
        said,
        format!(
            "read-only (no GitHub token): /build on #41 not sent; export {NO_SUCH_VAR}=… and \
             restart kfops"
        )
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_token_headless_actions_exit_2_with_the_fix_before_any_request() {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), fast_scenario())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = crate::headless::config_for(&sim, dir.path());
    let commands: [&[&str]; 6] = [
        &["build", "--pr", "42"],
        &["run", "--pr", "41", "--wait"],
        &["build-run", "--pr", "41"],
        &["deploy", "--pr", "44", "--staging"],
        &["deploy", "--pr", "41", "--yes", "--force"],
        &["build", "--pr", "42", "--json"],
    ];
    for args in commands {
        let out = crate::headless::kfops_with_token(args, &config, None).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("no GitHub token: /"), "{stderr}");
        assert!(
            stderr.contains("export GITHUB_TOKEN=… (or GH_TOKEN)"),
            "{stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        if args.contains(&"--json") {
            let stdout = String::from_utf8_lossy(&out.stdout);
            let last: serde_json::Value =
                serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
            assert_eq!(last["error"]["step"], "token", "{stdout}");
        }
    }
    assert_eq!(sim.requests().len(), 0, "not a single request");
    assert_eq!(mutating(&sim), Vec::<String>::new());
    sim.shutdown().await;
}
