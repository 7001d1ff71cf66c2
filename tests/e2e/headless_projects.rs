//! `--project` on the headless commands, the binary against the simulator serving two
//! repositories (`acme-ml/churn-model`, `acme-ml/fraud-model`): each command reads and writes
//! only the named project's repository (GitHub paths in the request log, PR comments, labels,
//! KFP runs, build pods, the audit line), the first project without `--project`; an unknown or
//! ambiguous name exits 2 before any request, listing the projects, and with `--json` ends
//! with the same refusal object as a broken config.

use std::path::{Path, PathBuf};

use kfops_console::domain::LABEL_STAGING;
use kfops_sim::{RecordedRequest, Scenario, Simulator};
use serde_json::Value;

use crate::build_flow::fast_scenario;
use crate::headless::config_for;

pub const A: &str = "/github/repos/acme-ml/churn-model/";
pub const B: &str = "/github/repos/acme-ml/fraud-model/";
pub const BOTH: &str = "acme-ml/churn-model, acme-ml/fraud-model";

/// A config file with the demo's two projects (the first with the demo's settings, the second
/// with the defaults), every service on the simulator.
pub fn two_projects(sim: &Simulator, dir: &Path) -> PathBuf {
    let text = format!(
        r#"[github]
api_url = "{github}"

[cluster]
namespace = "kfops"
server = "{kube}"

[kfp]
endpoint = "{kfp}"
namespace = "kubeflow-user-example-com"

[[projects]]
[projects.repository]
owner = "acme-ml"
name = "churn-model"
[projects.pipeline]
description = "Customer churn classifier"
[projects.pipeline.run_arguments]
learning_rate = 0.01
epochs = 20
[projects.image_builder]
registry = "registry.acme.example/ml"
git_secret = "git-credentials"
[[projects.image_builder.images]]
name = "trainer"
dockerfile_folder = "images/trainer"
other_folders = ["src"]
[[projects.image_builder.images]]
name = "server"
dockerfile_folder = "images/server"

[[projects]]
[projects.repository]
owner = "acme-ml"
name = "fraud-model"
[projects.pipeline]
description = "Card fraud scorer"
[projects.image_builder]
registry = "registry.acme.example/fraud"
# The demo's fraud-model repository is private: its build contexts are fetched with these.
git_secret = "git-credentials"
[[projects.image_builder.images]]
name = "scorer"
dockerfile_folder = "images/scorer"
"#,
        github = sim.github_url(),
        kube = sim.kube_url(),
        kfp = sim.kfp_url(),
    );
    let path = dir.join("two-projects.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The fast demo scenario, the second repository with a Kaniko template and an image to build.
pub fn scenario() -> Scenario {
    let mut scenario = fast_scenario();
    scenario.kserve.ready_ms = 30;
    let template = scenario.github.files.get("kaniko/pod.yaml").cloned();
    let fraud = &mut scenario.github.extra_repositories[0];
    assert_eq!(fraud.repository.name, "fraud-model");
    fraud.files.insert(
        "kaniko/pod.yaml".into(),
        template.expect("the demo's template"),
    );
    fraud.files.insert(
        "images/scorer/Dockerfile".into(),
        "FROM python:3.11-slim\nCOPY src/ ./src/\n".into(),
    );
    scenario
}

/// The simulator ([`scenario`]), a temporary directory with the two-project config in it, and
/// the audit file to use there.
pub async fn setup() -> (Simulator, tempfile::TempDir, PathBuf, PathBuf) {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), scenario())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = two_projects(&sim, dir.path());
    let audit = dir.path().join("audit.jsonl");
    (sim, dir, config, audit)
}

/// `out` exited 2 and said `needle` (on stderr, or on stdout for `kfops check`).
pub fn exits_2_saying(out: &std::process::Output, needle: &str) {
    assert_eq!(out.status.code(), Some(2), "{}", text(out));
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains(needle), "{needle:?} not said: {}", text(out));
}

/// `kfops ARGS` with `config`, auditing to `audit`.
async fn kfops(args: &[&str], config: &Path, audit: &Path) -> std::process::Output {
    kfops_with_env(args, config, audit, &[]).await
}

/// [`kfops`] with the variables `env` set too.
pub async fn kfops_with_env(
    args: &[&str],
    config: &Path,
    audit: &Path,
    env: &[(&str, &str)],
) -> std::process::Output {
    tokio::process::Command::from(crate::support::kfops_command())
        .arg("--config")
        .arg(config)
        .args(args)
        .env("GITHUB_TOKEN", "ghp_headless_test_token")
        .env(kfops_console::audit::AUDIT_ENV_VAR, audit)
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap()
}

pub fn text(out: &std::process::Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `METHOD path` of every request to a GitHub repository.
pub fn repo_requests(requests: &[RecordedRequest]) -> Vec<String> {
    requests
        .iter()
        .filter(|r| r.path.starts_with("/github/repos/"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

/// The requests since the last call (the log is cleared), checked to reach the repository of
/// `prefix` and no other.
pub fn only_in(sim: &Simulator, prefix: &str, what: &str) -> Vec<String> {
    let requests = repo_requests(&sim.requests());
    sim.request_log().clear();
    assert!(!requests.is_empty(), "{what}: no GitHub request at all");
    let elsewhere: Vec<&String> = requests
        .iter()
        .filter(|r| {
            !r.split_once(' ')
                .is_some_and(|(_, p)| p.starts_with(prefix))
        })
        .collect();
    assert!(
        elsewhere.is_empty(),
        "{what} outside {prefix}: {elsewhere:?}"
    );
    requests
}

/// The last stdout line as JSON.
pub fn final_object(out: &std::process::Output) -> Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(out)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_command_acts_in_the_named_projects_repository_and_the_first_without_project() {
    let (sim, _dir, config, audit) = setup().await;
    let fraud = sim.github().repo("acme-ml", "fraud-model").unwrap();

    // build, by the bare repository name: comments on the second repository's PR #7.
    let out = kfops(
        &["build", "--pr", "7", "--project", "fraud-model"],
        &config,
        &audit,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("PR #7 of acme-ml/fraud-model"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("acting on"),
        "no note with --project: {stderr}"
    );
    let requests = only_in(&sim, B, "build --project fraud-model");
    assert!(
        requests.contains(&format!("POST {B}issues/7/comments")),
        "{requests:?}"
    );
    let comments: Vec<String> = fraud.comments(7).into_iter().map(|c| c.body).collect();
    assert!(
        comments.iter().any(|b| b.contains("KFOPS_VERSION_ID")),
        "{comments:?}"
    );
    // Its pods carry the second repository's label, and `logs` finds them through it only.
    let out = kfops(
        &[
            "logs",
            "--pr",
            "7",
            "--no-color",
            "--project",
            "acme-ml/fraud-model",
        ],
        &config,
        &audit,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let logs = String::from_utf8_lossy(&out.stdout);
    assert!(
        logs.lines().any(|l| l.starts_with("scorer │ ")),
        "{}",
        text(&out)
    );
    // Without --project: the first project's repository, which has no PR #7.
    let out = kfops(&["logs", "--pr", "7"], &config, &audit).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("PR #7 not found in acme-ml/churn-model"),
        "{stderr}"
    );
    assert!(
        stderr.contains("acting on acme-ml/churn-model, the first of the config's 2 projects"),
        "{stderr}"
    );
    sim.request_log().clear();

    // run --wait, owner/name in another case: the second project's pipeline, JSON naming the
    // repository as the config spells it.
    let out = kfops(
        &[
            "run",
            "--pr",
            "7",
            "--wait",
            "--json",
            "--project",
            "ACME-ML/Fraud-Model",
        ],
        &config,
        &audit,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let run = final_object(&out);
    assert_eq!(run["ok"], true, "{run}");
    assert_eq!(run["repository"], "acme-ml/fraud-model", "{run}");
    let run_id = run["run_id"].as_str().unwrap().to_owned();
    only_in(&sim, B, "run --project");
    let created = sim
        .kfp()
        .runs()
        .into_iter()
        .find(|r| r.id == run_id)
        .unwrap();
    assert!(
        created.display_name.starts_with("fraud-model-pr7-"),
        "{}",
        created.display_name
    );

    // runs: the PR's runs, read from the second repository's comments.
    let out = kfops(
        &["--project", "fraud-model", "runs", "--pr", "7", "--json"],
        &config,
        &audit,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows[0]["run_id"], run_id.as_str(), "{rows}");
    only_in(&sim, B, "runs --project");

    // staging deploy: the second repository's PR gets the label; the first's keeps its own.
    let out = kfops(
        &[
            "deploy",
            "--pr",
            "7",
            "--staging",
            "--project",
            "fraud-model",
        ],
        &config,
        &audit,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let requests = only_in(&sim, B, "deploy --project");
    assert!(
        requests
            .iter()
            .any(|r| r.starts_with(&format!("POST {B}issues/7/labels"))),
        "{requests:?}"
    );
    assert!(fraud.labels_of(7).contains(&LABEL_STAGING.to_string()));
    assert!(sim
        .github()
        .labels_of(44)
        .contains(&LABEL_STAGING.to_string()));

    // Without --project: the first project, and a note naming it.
    let out = kfops(&["build", "--pr", "41"], &config, &audit).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("acting on acme-ml/churn-model"),
        "{}",
        text(&out)
    );
    let requests = only_in(&sim, A, "build without --project");
    assert!(
        requests.contains(&format!("POST {A}issues/41/comments")),
        "{requests:?}"
    );

    // The audit log names each action's repository.
    let lines: Vec<Value> = std::fs::read_to_string(&audit)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let named: Vec<(String, String, u64)> = lines
        .iter()
        .map(|l| {
            assert_eq!(l["source"], "headless", "{l}");
            (
                l["action"].as_str().unwrap().to_owned(),
                l["repository"].as_str().unwrap_or("none").to_owned(),
                l["pr"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected: Vec<(String, String, u64)> = [
        ("/build", "acme-ml/fraud-model", 7),
        ("/run", "acme-ml/fraud-model", 7),
        ("/staging_deploy", "acme-ml/fraud-model", 7),
        ("/build", "acme-ml/churn-model", 41),
    ]
    .into_iter()
    .map(|(a, r, n)| (a.to_owned(), r.to_owned(), n))
    .collect();
    assert_eq!(named, expected);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_or_ambiguous_project_exits_2_before_any_request_listing_the_projects() {
    let (sim, dir, config, audit) = setup().await;

    // Every command that takes a project, in words.
    let commands: [&[&str]; 7] = [
        &["build", "--pr", "7"],
        &["run", "--pr", "7"],
        &["build-run", "--pr", "7"],
        &["deploy", "--pr", "7", "--staging"],
        &["deploy", "--pr", "7", "--yes"],
        &["runs", "--pr", "7"],
        &["logs", "--pr", "7"],
    ];
    for args in commands {
        let mut argv = args.to_vec();
        argv.extend(["--project", "acme-ml/frod-model"]);
        let out = kfops(&argv, &config, &audit).await;
        exits_2_saying(&out, "no project `acme-ml/frod-model` in the config");
        exits_2_saying(&out, BOTH);
        assert!(out.stdout.is_empty(), "{argv:?}: {}", text(&out));
    }

    // With --json, the action commands end with the config refusal's object.
    for (args, action) in [
        (vec!["build", "--pr", "7"], "/build"),
        (vec!["run", "--pr", "7"], "/run"),
        (vec!["build-run", "--pr", "7"], "/build_run"),
        (vec!["deploy", "--pr", "7", "--staging"], "/staging_deploy"),
        (vec!["deploy", "--pr", "7", "--yes"], "/deploy"),
    ] {
        let mut argv = args.clone();
        argv.extend(["--json", "--project", "nope"]);
        let out = kfops(&argv, &config, &audit).await;
        assert_eq!(out.status.code(), Some(2), "{argv:?}: {}", text(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(stdout.lines().count(), 1, "{argv:?}: {stdout}");
        let refused = final_object(&out);
        assert_eq!(refused["event"], "result", "{refused}");
        assert_eq!(refused["ok"], false, "{refused}");
        assert_eq!(refused["action"], action, "{refused}");
        assert_eq!(refused["pr"], 7, "{refused}");
        assert_eq!(refused["error"]["step"], "config", "{refused}");
        let message = refused["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("no project `nope`") && message.contains(BOTH),
            "{message}"
        );
        // No project was chosen, so none is named: the shape of a broken config's refusal.
        assert!(refused.get("repository").is_none(), "{refused}");
    }

    // A bare name two projects share: the candidates, and owner/name is asked for.
    let text_two = std::fs::read_to_string(&config).unwrap();
    let ambiguous = dir.path().join("ambiguous.toml");
    std::fs::write(
        &ambiguous,
        format!(
            "{text_two}\n[[projects]]\nrepository = {{ owner = \"other\", name = \"fraud-model\" }}\ndeployment = {{ inference_service_name = \"other-fraud\" }}\n"
        ),
    )
    .unwrap();
    let out = kfops(
        &["build", "--pr", "7", "--project", "fraud-model", "--json"],
        &ambiguous,
        &audit,
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let message = final_object(&out)["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains(
            "`fraud-model` names several projects: acme-ml/fraud-model, other/fraud-model"
        ) && message.contains("give owner/name"),
        "{message}"
    );

    // kfops check: the config check fails naming the projects (exit 2).
    let out = kfops(&["check", "--project", "nope"], &config, &audit).await;
    exits_2_saying(&out, BOTH);

    // A command that acts on no project refuses the option rather than ignore it.
    let out = kfops(
        &["example-config", "--project", "fraud-model"],
        &config,
        &audit,
    )
    .await;
    exits_2_saying(&out, "--project applies to");

    // The single-repository layout answers to its own name, and refuses any other.
    let single = config_for(&sim, dir.path());
    let out = kfops(
        &["build", "--pr", "7", "--project", "acme-ml/fraud-model"],
        &single,
        &audit,
    )
    .await;
    exits_2_saying(&out, "its projects: acme-ml/churn-model;");
    assert_eq!(sim.requests().len(), 0, "nothing was sent");
    assert!(!audit.exists(), "nothing started, nothing audited");

    let out = kfops(
        &["runs", "--pr", "41", "--json", "--project", "churn-model"],
        &single,
        &audit,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    only_in(
        &sim,
        A,
        "runs --project churn-model on a single-repository config",
    );

    // check --project: the named project's repository is the one checked.
    let out = kfops(
        &["check", "--json", "--project", "fraud-model"],
        &config,
        &audit,
    )
    .await;
    let report: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    assert!(report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"] == "github.repository"));
    let repos = repo_requests(&sim.requests());
    assert!(
        repos.contains(&"GET /github/repos/acme-ml/fraud-model".to_owned()),
        "{repos:?}"
    );
    assert!(
        !repos.iter().any(|r| r.contains("churn-model")),
        "{repos:?}"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_with_a_project_sends_nothing_and_names_the_repository() {
    let (sim, _dir, config, audit) = setup().await;
    for (args, action) in [
        (vec!["build", "--pr", "7"], "/build"),
        (vec!["run", "--pr", "7", "--wait"], "/run"),
        (vec!["build-run", "--pr", "7"], "/build_run"),
        (vec!["deploy", "--pr", "7", "--staging"], "/staging_deploy"),
        (vec!["deploy", "--pr", "7", "--yes", "--force"], "/deploy"),
    ] {
        let mut argv = vec!["--read-only"];
        argv.extend(args);
        argv.extend(["--project", "fraud-model", "--json"]);
        let out = kfops(&argv, &config, &audit).await;
        assert_eq!(out.status.code(), Some(2), "{argv:?}: {}", text(&out));
        let refused = final_object(&out);
        assert_eq!(refused["action"], action, "{refused}");
        assert_eq!(refused["error"]["step"], "read-only", "{refused}");
        assert_eq!(refused["repository"], "acme-ml/fraud-model", "{refused}");
        let message = refused["error"]["message"].as_str().unwrap();
        assert!(message.contains("acme-ml/fraud-model#7"), "{message}");
    }
    assert_eq!(sim.requests().len(), 0, "no request at all");
    assert!(!audit.exists(), "nothing started, nothing audited");
    sim.shutdown().await;
}
