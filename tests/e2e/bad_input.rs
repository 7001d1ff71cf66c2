//! Bad input to the binary (issue 13, points 7 and 8): a PR number the repository does not
//! have is refused in one line before anything is attempted on it, 0 by the argument parser;
//! the console without a terminal says so in one line.

use std::process::Stdio;

use kfops_sim::Simulator;

use crate::build_flow::fast_scenario;
use crate::headless::{config_for, kfops};
use crate::safety::mutating;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pr_the_repository_lacks_exits_2_in_one_line_attempting_nothing() {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), fast_scenario())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(&sim, dir.path());
    let commands: [&[&str]; 7] = [
        &["build", "--pr", "999"],
        &["run", "--pr", "999", "--wait"],
        &["build-run", "--pr", "999"],
        &["runs", "--pr", "999"],
        &["deploy", "--pr", "999", "--staging"],
        &["deploy", "--pr", "999", "--yes", "--force"],
        &["logs", "--pr", "999"],
    ];
    for args in commands {
        let out = kfops(args, &config).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        // Only the refusal: no tracing line about a failure comment, no other noise.
        assert_eq!(
            stderr, "kfops: PR #999 not found in acme-ml/churn-model\n",
            "{args:?}"
        );
    }
    // No comment attempted, nothing changed anywhere; one look at the PR per command.
    assert_eq!(mutating(&sim), Vec::<String>::new());
    let asked: Vec<String> = sim.requests().iter().map(|r| r.path.clone()).collect();
    assert!(
        asked
            .iter()
            .all(|p| p == "/github/repos/acme-ml/churn-model/pulls/999"),
        "{asked:?}"
    );
    // 0 is not a PR number: refused by the argument parser, before the config is read.
    sim.request_log().clear();
    for command in ["build", "run", "build-run", "runs", "deploy", "logs"] {
        let out = kfops(&[command, "--pr", "0"], &config).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command}: {stderr}");
        assert!(
            stderr.contains("invalid value '0' for '--pr <N>': PR numbers start at 1"),
            "{stderr}"
        );
    }
    assert!(sim.requests().is_empty(), "{:?}", sim.requests());
    sim.shutdown().await;
}

/// `kfops ARGS` with stdin and stdout pipes, not terminals.
fn without_a_terminal(args: &[&str], config: Option<&std::path::Path>) -> std::process::Output {
    let mut command = crate::support::kfops_command();
    if let Some(config) = config {
        command.arg("--config").arg(config);
    }
    command
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .env(
            kfops_console::audit::AUDIT_ENV_VAR,
            crate::support::console::temp_audit_path(),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_and_the_demo_without_a_terminal_exit_2_in_one_line() {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), fast_scenario())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(&sim, dir.path());
    for (args, config) in [(&["demo"][..], None), (&[][..], Some(config.as_path()))] {
        let out = without_a_terminal(args, config);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(
            stderr.starts_with(
                "kfops: the console needs a terminal (stdin and stdout are not terminals)"
            ),
            "{stderr}"
        );
        assert!(!stderr.contains("backtrace"), "{stderr}");
        assert!(out.stdout.is_empty(), "nothing drawn");
    }
    assert!(sim.requests().is_empty(), "the console did not start");
    sim.shutdown().await;
}
