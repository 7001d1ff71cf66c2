//! A Kfops action as a GitHub App: headless `/build` with `[github.app]` and no token works
//! (its comments posted with installation tokens), the audit names the operator without
//! `GET /user` (403 to an installation token), and neither the App's key nor any installation
//! token shows up in the output, the debug log, the audit log, PR comments or requests.

use kfops_sim::Simulator;

use crate::build_flow::fast_scenario;
use crate::github_app::{app_config, secrets, with_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_headless_build_as_the_app_works_and_leaks_no_secret() {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), with_app(fast_scenario()))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = app_config(&sim, dir.path(), "");
    let (log, audit) = (dir.path().join("debug.log"), dir.path().join("audit.jsonl"));
    let comments_before = sim.github().comments(41).len();
    let mut command = crate::support::kfops_command();
    command
        .arg("--config")
        .arg(&config)
        .arg("--log-file")
        .arg(&log)
        .args(["build", "--pr", "41"])
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .env("RUST_LOG", "debug")
        .env(kfops_console::audit::AUDIT_ENV_VAR, &audit)
        .env("USER", "app-operator");
    let (code, stdout, stderr) = crate::support::run_output(command).await;
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("✓ /build on #41 succeeded"), "{stdout}");

    // Written with installation tokens: comments posted, a token created, no GET /user.
    assert!(sim.github().comments(41).len() > comments_before);
    let paths: Vec<String> = sim.requests().iter().map(|r| r.path.clone()).collect();
    assert!(paths.iter().any(|p| p.ends_with("/access_tokens")));
    assert!(!paths.iter().any(|p| p == "/github/user"), "{paths:#?}");
    let audit_text = std::fs::read_to_string(&audit).unwrap();
    assert!(
        audit_text.contains("\"user\":\"app-operator\""),
        "{audit_text}"
    );

    let log_text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(!log_text.is_empty(), "the debug log was not written");
    let comments: Vec<String> = sim
        .github()
        .comments(41)
        .into_iter()
        .map(|c| c.body)
        .collect();
    let recorded: Vec<String> = sim
        .requests()
        .iter()
        .map(|r| format!("{} {:?} {:?}", r.path, r.query, r.body))
        .collect();
    let secrets = secrets(&sim);
    assert!(secrets.len() >= 2, "no installation token was issued");
    for secret in secrets {
        for (place, text) in [
            ("stdout", &stdout),
            ("stderr", &stderr),
            ("debug log", &log_text),
            ("audit log", &audit_text),
        ] {
            assert!(!text.contains(&secret), "a secret in the {place}");
        }
        assert!(
            comments.iter().all(|c| !c.contains(&secret)),
            "a secret in a comment"
        );
        assert!(
            recorded.iter().all(|r| !r.contains(&secret)),
            "a secret in a request"
        );
    }
}
