//! `--json` on every headless command, the binary against the simulator: every stdout line is
//! a JSON object, the last one says whether the action worked with its IDs, a failure names
//! the step and keeps exit code 1, and the token never appears.

use kfops_sim::Simulator;
use serde_json::Value;

use crate::build_flow::fast_scenario;
use crate::headless::{config_for, kfops};

const TOKEN: &str = "ghp_headless_test_token";

/// Every stdout line parsed (panics with the text when one is not JSON), no colour, no token.
fn json_lines(out: &std::process::Output) -> Vec<Value> {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains('\x1b'), "colour in JSON mode:\n{stdout}");
    assert!(!stdout.contains(TOKEN), "the token in the output");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains(TOKEN),
        "the token on stderr"
    );
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}\n{stdout}"))
        })
        .collect();
    assert!(
        lines.iter().all(Value::is_object),
        "every line is an object: {stdout}"
    );
    lines
}

/// The final object, checked to be the action's result.
fn result_of<'a>(lines: &'a [Value], action: &str, pr: u64) -> &'a Value {
    let last = lines.last().expect("at least the final object");
    assert_eq!(last["event"], "result", "{last}");
    assert_eq!(last["action"], action, "{last}");
    assert_eq!(last["pr"], pr, "{last}");
    last
}

fn events<'a>(lines: &'a [Value], kind: &str) -> Vec<&'a Value> {
    lines.iter().filter(|l| l["event"] == kind).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_action_command_prints_json_lines_ending_with_its_result() {
    let mut scenario = fast_scenario();
    scenario.kserve.ready_ms = 30;
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), scenario)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(&sim, dir.path());

    // build: steps, every pod's phases, then the version and its images.
    let out = kfops(&["build", "--pr", "41", "--json"], &config).await;
    let lines = json_lines(&out);
    assert_eq!(out.status.code(), Some(0), "{lines:?}");
    let build = result_of(&lines, "/build", 41);
    assert_eq!(build["ok"], true);
    let version_id = build["version_id"].as_str().unwrap().to_owned();
    assert!(!version_id.is_empty());
    assert!(build["images"]["trainer"].is_string(), "{build}");
    assert!(!events(&lines, "step").is_empty());
    let pods = events(&lines, "build_pod");
    assert!(pods
        .iter()
        .any(|p| p["image"] == "trainer" && p["phase"] == "Succeeded"));
    assert!(pods.iter().all(|p| p["version_id"] == version_id.as_str()));

    // logs: one object per line of the build's pods.
    let out = kfops(&["logs", "--pr", "41", "--json"], &config).await;
    let lines = json_lines(&out);
    assert_eq!(out.status.code(), Some(0), "{lines:?}");
    let log_lines = events(&lines, "line");
    assert!(log_lines
        .iter()
        .any(|l| l["image"] == "trainer" && l["text"].as_str().unwrap().contains("Pushed")));
    for l in &log_lines {
        assert!(l["pod"].as_str().unwrap().starts_with("kfops-build-pr41-"));
        assert!(l["time"].is_string(), "{l}");
    }

    // run --wait: the new version runs to the end.
    let out = kfops(&["run", "--pr", "41", "--wait", "--json"], &config).await;
    let lines = json_lines(&out);
    assert_eq!(out.status.code(), Some(0), "{lines:?}");
    let run = result_of(&lines, "/run", 41);
    assert_eq!(run["ok"], true);
    assert_eq!(run["version_id"], version_id.as_str());
    assert_eq!(run["state"], "SUCCEEDED");
    let run_id = run["run_id"].as_str().unwrap().to_owned();
    assert_eq!(events(&lines, "run_started")[0]["run_id"], run_id.as_str());
    let progress = events(&lines, "run_progress");
    assert!(progress.iter().any(|p| p["run_id"] == run_id.as_str()));
    // Each object says something new (the state or the count of ended tasks).
    for pair in progress.windows(2) {
        let said = |p: &serde_json::Value| (p["state"].clone(), p["tasks_ended"].clone());
        assert_ne!(said(pair[0]), said(pair[1]), "{progress:?}");
    }

    // build-run: both IDs, taken from its events.
    let out = kfops(&["build-run", "--pr", "41", "--json"], &config).await;
    let lines = json_lines(&out);
    assert_eq!(out.status.code(), Some(0), "{lines:?}");
    let br = result_of(&lines, "/build_run", 41);
    assert_eq!(br["ok"], true);
    assert!(
        br["version_id"].is_string() && br["run_id"].is_string(),
        "{br}"
    );

    // deploy to staging: the run that serves and where.
    let out = kfops(
        &[
            "deploy",
            "--pr",
            "41",
            "--staging",
            "--run-id",
            &run_id,
            "--json",
        ],
        &config,
    )
    .await;
    let lines = json_lines(&out);
    assert_eq!(out.status.code(), Some(0), "{lines:?}");
    let dep = result_of(&lines, "/staging_deploy", 41);
    assert_eq!(dep["ok"], true);
    assert_eq!(dep["run_id"], run_id.as_str());
    assert!(dep["namespace"].is_string(), "{dep}");

    // A PR behind its base: refused at a named step, exit code 1, still JSON (#41's run,
    // confirmed explicitly).
    let out = kfops(
        &[
            "deploy",
            "--pr",
            "42",
            "--run-id",
            &run_id,
            "--allow-run-of-pr",
            "41",
            "--yes",
            "--json",
        ],
        &config,
    )
    .await;
    let lines = json_lines(&out);
    assert_eq!(out.status.code(), Some(1), "{lines:?}");
    let refused = result_of(&lines, "/deploy", 42);
    assert_eq!(refused["ok"], false);
    assert!(refused["error"]["step"].is_string(), "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("behind"),
        "{refused}"
    );
    assert!(!sim.github().is_merged(42));

    // Production without --yes off a terminal: exit 2, said by the final object too.
    let out = kfops(&["deploy", "--pr", "41", "--json"], &config).await;
    assert_eq!(out.status.code(), Some(2));
    let lines = json_lines(&out);
    let asked = result_of(&lines, "/deploy", 41);
    assert_eq!(asked["ok"], false);
    assert_eq!(asked["error"]["step"], "confirm");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_image_gives_ok_false_with_the_step_and_exit_code_1() {
    let mut scenario = fast_scenario();
    scenario.kube.fail_images = vec!["server".into()];
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), scenario)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(&sim, dir.path());
    let out = kfops(&["build", "--pr", "44", "--json"], &config).await;
    let lines = json_lines(&out);
    assert_eq!(out.status.code(), Some(1), "{lines:?}");
    let failed = result_of(&lines, "/build", 44);
    assert_eq!(failed["ok"], false);
    assert_eq!(failed["error"]["step"], "build the images", "{failed}");
    assert!(
        failed["error"]["message"]
            .as_str()
            .unwrap()
            .contains("server"),
        "{failed}"
    );
    // The version it was building is still named.
    assert!(failed["version_id"].is_string(), "{failed}");
    assert!(events(&lines, "build_pod")
        .iter()
        .any(|p| p["image"] == "server" && p["phase"] == "Failed"));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_before_the_start_still_end_with_a_json_result() {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), fast_scenario())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(&sim, dir.path());
    // Read-only: every action command, exit 2, the final object names the step.
    for (args, action) in [
        (vec!["build", "--pr", "41"], "/build"),
        (vec!["run", "--pr", "41"], "/run"),
        (vec!["build-run", "--pr", "41"], "/build_run"),
        (vec!["deploy", "--pr", "41", "--staging"], "/staging_deploy"),
    ] {
        let mut args = args.clone();
        args.extend(["--json", "--read-only"]);
        let out = kfops(&args, &config).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let lines = json_lines(&out);
        assert_eq!(lines.len(), 1, "{lines:?}");
        let refused = result_of(&lines, action, 41);
        assert_eq!(refused["ok"], false);
        assert_eq!(refused["error"]["step"], "read-only", "{refused}");
    }
    // A broken config: exit 2, the message with file and line, as JSON too.
    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, "[repository]\nowner = 3\n").unwrap();
    let out = kfops(&["build", "--pr", "41", "--json"], &broken).await;
    assert_eq!(out.status.code(), Some(2));
    let lines = json_lines(&out);
    let refused = result_of(&lines, "/build", 41);
    assert_eq!(refused["error"]["step"], "config");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(message.contains("broken.toml:2"), "{message}");
    // Without --json nothing goes to stdout.
    let out = kfops(&["build", "--pr", "41", "--read-only"], &config).await;
    assert!(out.stdout.is_empty());
    assert_eq!(sim.requests().len(), 0, "nothing was sent");
    sim.shutdown().await;
}
