//! The headless commands as a user runs them: `kfops build --pr N` and `kfops logs --pr N`,
//! the binary against the simulator through a config file.

use kfops_sim::Simulator;

use crate::build_flow::fast_scenario;

/// A config file pointing every service at the simulator.
pub fn config_for(sim: &Simulator, dir: &std::path::Path) -> std::path::PathBuf {
    let text = kfops_console::launch::DEMO_CONFIG.replace(
        "[github]\n",
        &format!("[github]\napi_url = \"{}\"\n", sim.github_url()),
    );
    let text = text.replace(
        "[cluster]\n",
        &format!("[cluster]\nserver = \"{}\"\n", sim.kube_url()),
    );
    let text = text.replace(
        "[kfp]\n",
        &format!("[kfp]\nendpoint = \"{}\"\n", sim.kfp_url()),
    );
    let path = dir.join("kfops.toml");
    std::fs::write(&path, text).unwrap();
    path
}

pub async fn kfops(args: &[&str], config: &std::path::Path) -> std::process::Output {
    kfops_with_token(args, config, Some("ghp_headless_test_token")).await
}

/// [`kfops`] with `token` in `$GITHUB_TOKEN`, or no token at all (neither `$GITHUB_TOKEN`
/// nor `$GH_TOKEN`).
pub async fn kfops_with_token(
    args: &[&str],
    config: &std::path::Path,
    token: Option<&str>,
) -> std::process::Output {
    let mut command = crate::support::kfops_command();
    match token {
        Some(token) => command.env("GITHUB_TOKEN", token),
        None => command.env_remove("GITHUB_TOKEN").env_remove("GH_TOKEN"),
    };
    tokio::process::Command::from(command)
        .arg("--config")
        .arg(config)
        .args(args)
        // Never the user's own audit trail.
        .env(
            kfops_console::audit::AUDIT_ENV_VAR,
            crate::support::console::temp_audit_path(),
        )
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_build_prints_progress_and_logs_tails_the_pods() {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), fast_scenario())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(&sim, dir.path());

    let out = kfops(&["build", "--pr", "41"], &config).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("uploading pipeline"), "{stdout}");
    for image in ["trainer", "server"] {
        assert!(
            stdout
                .lines()
                .any(|l| l.contains(image) && l.contains("Running")),
            "{stdout}"
        );
        assert!(
            stdout
                .lines()
                .any(|l| l.contains(image) && l.contains("Succeeded")),
            "{stdout}"
        );
    }
    assert!(
        stdout.contains("✓ /build on #41 succeeded: pipeline version "),
        "{stdout}"
    );
    assert!(!stdout.contains("ghp_headless_test_token"));

    let out = kfops(&["logs", "--pr", "41", "--no-color"], &config).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!stdout.contains('\x1b'), "no colour in a pipe");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("trainer │ ") && l.contains("Pushed")),
        "{stdout}"
    );
    assert!(
        stdout.lines().any(|l| l.starts_with("server  │ ")),
        "{stdout}"
    );
    // Every line of the simulator's log of the trainer pod, in order.
    let trainer_pod = sim
        .kube()
        .pods("kfops")
        .into_iter()
        .find(|p| {
            p.metadata
                .name
                .as_deref()
                .is_some_and(|n| n.starts_with("kfops-build-pr41-trainer"))
        })
        .unwrap();
    let expected: Vec<String> = sim
        .kube()
        .logs_of(
            "kfops",
            trainer_pod.metadata.name.as_deref().unwrap(),
            "kaniko",
        )
        .into_iter()
        .map(|l| l.1)
        .collect();
    let got: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("trainer │ "))
        .collect();
    assert_eq!(got, expected);

    // --follow on finished pods prints the same and ends.
    let out = kfops(&["logs", "--pr", "41", "--follow", "--no-color"], &config).await;
    assert_eq!(out.status.code(), Some(0));
    let followed = String::from_utf8_lossy(&out.stdout);
    let got_followed: Vec<&str> = followed
        .lines()
        .filter_map(|l| l.strip_prefix("trainer │ "))
        .collect();
    assert_eq!(got_followed, expected);

    let out = kfops(&["logs", "--pr", "45"], &config).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no build pods"));

    sim.shutdown().await;

    // A failing build exits 1 and names the image.
    let mut scenario = fast_scenario();
    scenario.kube.fail_images = vec!["server".into()];
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), scenario)
        .await
        .unwrap();
    let config = config_for(&sim, dir.path());
    let out = kfops(&["build", "--pr", "44"], &config).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("✗ /build on #44 failed at step \"build the images\""),
        "{stdout}"
    );
    assert!(stdout.contains("server"), "{stdout}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_run_waits_for_the_run_and_runs_lists_it() {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), fast_scenario())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(&sim, dir.path());

    // The demo's earlier runs of #41 are listed (JSON), newest first.
    let out = kfops(&["runs", "--pr", "41", "--json"], &config).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let before: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let before = before.as_array().unwrap().clone();
    assert!(before.len() >= 2, "{before:?}");
    assert!(before.iter().all(|r| r["state"] == "SUCCEEDED"));

    let out = kfops(&["run", "--pr", "41", "--wait"], &config).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run_id = stdout
        .lines()
        .find_map(|l| l.strip_prefix("✓ /run on #41 succeeded: run "))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("{stdout}"))
        .to_string();
    assert!(
        stdout.contains("run RUNNING") || stdout.contains("run SUCCEEDED"),
        "{stdout}"
    );
    // Each state line once: a poll that changed nothing the line says prints nothing (the
    // same `run RUNNING 0/1 tasks ended` was printed again on the next poll).
    let run_lines: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.split_once("  run ").map(|(_, said)| said))
        .filter(|said| said.contains("tasks ended"))
        .collect();
    let mut once = run_lines.clone();
    once.dedup();
    assert_eq!(run_lines, once, "{stdout}");

    let out = kfops(&["runs", "--pr", "41"], &config).await;
    let table = String::from_utf8_lossy(&out.stdout);
    let first_row = table.lines().nth(1).unwrap_or_default();
    assert!(
        first_row.starts_with("SUCCEEDED") && first_row.contains(&run_id),
        "{table}"
    );
    assert!(table.lines().next().unwrap_or_default().contains("RUN ID"));

    // --read-only sends nothing.
    let requests = sim.requests().len();
    let out = kfops(&["--read-only", "run", "--pr", "41"], &config).await;
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(sim.requests().len(), requests, "no request at all");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_deploy_asks_refuses_behind_prs_and_deploys_staging() {
    let mut scenario = fast_scenario();
    scenario.kserve.ready_ms = 30;
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), scenario)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(&sim, dir.path());
    let mutating = |sim: &Simulator| {
        sim.requests()
            .iter()
            .filter(|r| r.method != http::Method::GET)
            .count()
    };

    // Production without a terminal and without --yes: refused before anything is sent.
    let before = mutating(&sim);
    let out = kfops(&["deploy", "--pr", "41"], &config).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--yes"));
    assert_eq!(mutating(&sim), before);

    // A PR behind its base is refused without --force (#41's run, confirmed explicitly).
    let run41 = crate::support::deploy::newest_run(&sim, 41);
    let out = kfops(
        &[
            "deploy",
            "--pr",
            "42",
            "--run-id",
            &run41,
            "--allow-run-of-pr",
            "41",
            "--yes",
        ],
        &config,
    )
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("3 commit(s) behind") && stdout.contains("--force"),
        "{stdout}"
    );
    assert!(!sim.github().is_merged(42));

    // Staging needs no confirmation.
    let out = kfops(&["deploy", "--pr", "41", "--staging"], &config).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("✓ /staging_deploy on #41 succeeded"),
        "{stdout}"
    );
    assert!(sim
        .github()
        .labels_of(41)
        .iter()
        .any(|l| l == "Deployed-to-staging"));
    sim.shutdown().await;
}
