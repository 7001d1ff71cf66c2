//! `kfops check`, the real binary against the simulator: everything passes on the demo, and
//! with one broken piece at a time (token, scope, RBAC, namespace, CRD, KFP) the right line
//! fails with exit code 1; a broken config is the first and only failed line (exit 2).

use std::path::{Path, PathBuf};

use kfops_sim::kube::DeniedAccess;
use kfops_sim::{Scenario, Simulator};
use serde_json::Value;

/// The token the config's environment gives (the simulator accepts any unless told).
const TOKEN: &str = "ghp_doctor_test_token_5f1c9a";

async fn start(scenario: Scenario) -> Simulator {
    Simulator::start(([127, 0, 0, 1], 0).into(), scenario)
        .await
        .unwrap()
}

/// Runs `kfops check [extra]` with `config`; exit code, stdout, stderr.
pub async fn check(config: &Path, extra: &[&str]) -> (i32, String, String) {
    check_with_env(config, extra, &[]).await
}

/// [`check`] with the variables `env` set too.
pub async fn check_with_env(
    config: &Path,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (i32, String, String) {
    let mut command = crate::support::kfops_command();
    command
        .arg("--config")
        .arg(config)
        .arg("check")
        .args(extra)
        .env("GITHUB_TOKEN", TOKEN)
        .env_remove("GH_TOKEN")
        .envs(env.iter().copied());
    let (code, stdout, stderr) = crate::support::run_output(command).await;
    assert!(
        !stdout.contains(TOKEN) && !stderr.contains(TOKEN),
        "the token was printed:\n{stdout}\n{stderr}"
    );
    (code, stdout, stderr)
}

/// `kfops check --json`: exit code and the parsed report.
async fn check_json(config: &Path) -> (i32, Value) {
    check_json_with(config, &[], &[]).await
}

/// `kfops check --json [extra]` with the variables `env`: exit code and the parsed report.
pub async fn check_json_with(config: &Path, extra: &[&str], env: &[(&str, &str)]) -> (i32, Value) {
    let mut args = vec!["--json"];
    args.extend(extra);
    let (code, stdout, stderr) = check_with_env(config, &args, env).await;
    let report: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}\nstderr:\n{stderr}"));
    (code, report)
}

/// The status of the check `id` (panics listing the ids when there is none).
pub fn status<'a>(report: &'a Value, id: &str) -> &'a str {
    let checks = report["checks"].as_array().unwrap();
    checks
        .iter()
        .find(|c| c["id"] == id)
        .and_then(|c| c["status"].as_str())
        .unwrap_or_else(|| panic!("no check {id} in {report:#}"))
}

/// Every check that is not `pass`, as `id: status`.
pub fn not_passed(report: &Value) -> Vec<String> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] != "pass")
        .map(|c| format!("{}: {}", c["id"].as_str().unwrap(), c["status"]))
        .collect()
}

pub fn detail<'a>(report: &'a Value, id: &str) -> &'a str {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .and_then(|c| c["detail"].as_str())
        .unwrap_or_default()
}

/// The demo config pointed at `sim`, with `edit` applied to its text.
fn config(sim: &Simulator, dir: &Path, edit: impl Fn(String) -> String) -> PathBuf {
    let path = crate::headless::config_for(sim, dir);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, edit(text)).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_check_passes_against_the_simulator() {
    let sim = start(Scenario::demo()).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&sim, dir.path(), |t| t);
    let (code, stdout, stderr) = check(&cfg, &[]).await;
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    for line in [
        "PASS  config file",
        "logged in as priya-ops",
        "repo, read:org",
        "acme-ml/churn-model: reachable, push allowed",
        "v1.36.2 at http://",
        "RBAC in kfops (build)",
        "RBAC in kubeflow-user-example-com (KFP profile)",
        "RBAC in staging ",
        "RBAC in production ",
        "healthz answers at",
        "namespace production ",
        "serving.kserve.io/v1beta1 serves inferenceservices",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
    assert!(
        !stdout.contains("FAIL") && !stdout.contains("WARN"),
        "{stdout}"
    );
    // The reviews were asked, one per verb: 6 build + `get secrets` (the demo config names
    // image_builder.git_secret) + 1 KFP + 8 + 8 deploy (6 for InferenceServices, `get
    // revisions.serving.knative.dev` for the targets pane, and, as the demo config has a sample
    // input and no ingress_url, `create` on `services/proxy` for the canary's sample test).
    let reviews: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/selfsubjectaccessreviews"))
        .collect();
    assert_eq!(reviews.len(), 24);
    let proxy_reviews = reviews
        .iter()
        .filter(|r| {
            r.body
                .as_deref()
                .is_some_and(|b| b.contains("\"subresource\":\"proxy\""))
        })
        .count();
    assert_eq!(proxy_reviews, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_lists_every_check_with_its_status() {
    let sim = start(Scenario::demo()).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&sim, dir.path(), |t| t);
    let (code, report) = check_json(&cfg).await;
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["ok"], true);
    assert_eq!(report["exit_code"], 0);
    let ids: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "config",
            "github.user",
            "github.scopes",
            "github.repository",
            "kube.server",
            "rbac.kfops",
            "rbac.kubeflow-user-example-com",
            "rbac.staging",
            "rbac.production",
            "kfp.healthz",
            "kfp.access.kubeflow-user-example-com",
            "namespace.kfops",
            "namespace.kubeflow-user-example-com",
            "namespace.staging",
            "namespace.production",
            "kserve.crd",
        ]
    );
    assert!(not_passed(&report).is_empty(), "{report:#}");
    // The single-repository layout names no project.
    assert!(report.get("projects").is_none(), "{report:#}");
    for c in report["checks"].as_array().unwrap() {
        assert!(
            c.get("project").is_none() && c.get("projects").is_none(),
            "{c}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_the_server_refuses_fails_the_token_line() {
    let mut scenario = Scenario::demo();
    scenario.github.token = Some("ghp_the_right_one".to_owned());
    let sim = start(scenario).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&sim, dir.path(), |t| t);
    let (code, report) = check_json(&cfg).await;
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        not_passed(&report),
        [
            "github.user: \"fail\"",
            "github.scopes: \"skip\"",
            "github.repository: \"skip\""
        ]
    );
    assert!(detail(&report, "github.user").contains("401 Bad credentials"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_classic_token_without_repo_fails_and_a_fine_grained_one_warns() {
    let mut scenario = Scenario::demo();
    scenario.github.token_scopes = vec!["read:org".to_owned(), "gist".to_owned()];
    let sim = start(scenario).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&sim, dir.path(), |t| t);
    let (code, stdout, _) = check(&cfg, &[]).await;
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("FAIL  GitHub token scopes")
            && stdout.contains("read:org, gist; missing `repo`")
            && stdout.contains("fix: give the classic token the `repo` scope"),
        "{stdout}"
    );

    let mut scenario = Scenario::demo();
    scenario.github.token_scopes = Vec::new();
    let sim = start(scenario).await;
    let cfg = config(&sim, dir.path(), |t| t);
    let (code, report) = check_json(&cfg).await;
    assert_eq!(code, 0, "a warning does not fail: {report:#}");
    assert_eq!(not_passed(&report), ["github.scopes: \"warn\""]);
    assert_eq!(
        detail(&report, "github.scopes"),
        "cannot list scopes of a fine-grained token; needs pull requests: write, \
         contents: write, issues: write"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repository_without_push_permission_fails() {
    let mut scenario = Scenario::demo();
    scenario.github.push_permission = false;
    let sim = start(scenario).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&sim, dir.path(), |t| t);
    let (code, report) = check_json(&cfg).await;
    assert_eq!(code, 1);
    assert_eq!(not_passed(&report), ["github.repository: \"fail\""]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_verb_fails_its_namespace_line_naming_the_verb() {
    let mut scenario = Scenario::demo();
    scenario.kube.denied = vec![
        DeniedAccess {
            verb: "create".to_owned(),
            resource: "pods".to_owned(),
            namespace: Some("kfops".to_owned()),
            group: None,
        },
        DeniedAccess {
            verb: "patch".to_owned(),
            resource: "inferenceservices".to_owned(),
            namespace: Some("production".to_owned()),
            group: Some("serving.kserve.io".to_owned()),
        },
    ];
    let sim = start(scenario).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&sim, dir.path(), |t| t);
    let (code, stdout, _) = check(&cfg, &[]).await;
    assert_eq!(code, 1, "{stdout}");
    let line = |prefix: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix:?} line in:\n{stdout}"))
            .to_owned()
    };
    assert!(
        line("FAIL  RBAC in kfops (build)").ends_with("denied: create pods"),
        "{stdout}"
    );
    assert!(
        line("FAIL  RBAC in production").ends_with("denied: patch inferenceservices"),
        "{stdout}"
    );
    assert!(line("PASS  RBAC in staging").contains("inferenceservices: get"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_namespace_the_cluster_lacks_fails_with_the_config_key() {
    let sim = start(Scenario::demo()).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&sim, dir.path(), |t| {
        t.replace(
            "[deployment.staging]\nnamespace = \"staging\"",
            "[deployment.staging]\nnamespace = \"staging-eu\"",
        )
    });
    let (code, stdout, _) = check(&cfg, &[]).await;
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("FAIL  namespace staging-eu (staging)")
            && stdout.contains("does not exist")
            && stdout.contains(
                "fix: create it (kubectl create namespace staging-eu) or fix \
                 deployment.staging.namespace in the config"
            ),
        "{stdout}"
    );
    assert_eq!(stdout.matches("FAIL").count(), 1, "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_without_kserve_fails_the_crd_line() {
    let mut scenario = Scenario::demo();
    scenario.kserve.crd_installed = false;
    let sim = start(scenario).await;
    // Discovery leaves the group out too.
    let groups: Value = reqwest::get(format!("{}/apis", sim.kube_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(groups["kind"], "APIGroupList");
    assert!(
        !groups.to_string().contains("serving.kserve.io"),
        "{groups}"
    );
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&sim, dir.path(), |t| t);
    let (code, report) = check_json(&cfg).await;
    assert_eq!(code, 1);
    assert_eq!(not_passed(&report), ["kserve.crd: \"fail\""]);
    assert_eq!(status(&report, "rbac.production"), "pass");
    assert!(detail(&report, "kserve.crd").contains("KServe is not installed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kfp_down_fails_the_kfp_line() {
    let sim = start(Scenario::demo()).await;
    // A port nothing listens on: bound, then closed.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&sim, dir.path(), |t| {
        t.replace(
            &format!("endpoint = \"{}\"", sim.kfp_url()),
            &format!("endpoint = \"http://{closed}\""),
        )
    });
    let (code, stdout, _) = check(&cfg, &[]).await;
    assert_eq!(code, 1, "{stdout}");
    let kfp = stdout.lines().find(|l| l.contains("KFP API")).unwrap();
    assert!(
        kfp.starts_with("FAIL") && kfp.contains("refused"),
        "{stdout}"
    );
    assert_eq!(stdout.matches("FAIL").count(), 1, "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_config_is_the_first_and_only_failed_check() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kfops.toml");
    std::fs::write(
        &path,
        "[repository]\nowner = \"a\"\nname = \"b\"\n\n[cluster]\nnamespaces = \"x\"\n",
    )
    .unwrap();
    let (code, stdout, _) = check(&path, &[]).await;
    assert_eq!(code, 2, "{stdout}");
    let first = stdout.lines().next().unwrap();
    assert!(first.starts_with("FAIL  config file"), "{stdout}");
    assert!(
        first.contains(&format!("{}:6:1: key `cluster.namespaces`", path.display())),
        "{stdout}"
    );
    assert!(
        stdout.contains("0 passed, 0 warnings, 1 failed"),
        "{stdout}"
    );
    let (code, report) = check_json(&path).await;
    assert_eq!(code, 2);
    assert_eq!(report["checks"].as_array().unwrap().len(), 1);
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_in_a_readable_config_is_a_warning_with_chmod() {
    use std::os::unix::fs::PermissionsExt;
    let sim = start(Scenario::demo()).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&sim, dir.path(), |t| {
        t.replace("[github]\n", &format!("[github]\ntoken = \"{TOKEN}\"\n"))
    });
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, stdout, _) = check(&cfg, &[]).await;
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.starts_with("WARN  config file"), "{stdout}");
    assert!(
        stdout.contains(&format!("fix: chmod 600 {}", cfg.display())),
        "{stdout}"
    );
}
