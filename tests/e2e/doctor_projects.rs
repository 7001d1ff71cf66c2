//! `kfops check` with two `[[projects]]` (`acme-ml/churn-model` on the shared namespaces,
//! `acme-ml/fraud-model` with its own Kubeflow profile `team-fraud` and staging namespace
//! `fraud-staging`): the shared pieces are checked once, each project's repository, namespaces
//! and RBAC in its own group naming it, a namespace both use once; a broken piece of the second
//! project fails its line alone; `--project` (or `$KFOPS_PROJECT`) keeps one project's lines.

use std::path::{Path, PathBuf};

use kfops_sim::{Scenario, Simulator};
use serde_json::Value;

use crate::doctor::{check, check_json_with, detail, not_passed};
use crate::headless_projects::{repo_requests, two_projects};

const CHURN: &str = "acme-ml/churn-model";
const FRAUD: &str = "acme-ml/fraud-model";

/// The demo scenario (serving both repositories) with the namespaces `extra` created too.
async fn start(extra: &[&str]) -> Simulator {
    let mut scenario = Scenario::demo();
    scenario
        .kube
        .namespaces
        .extend(extra.iter().map(|n| (*n).to_owned()));
    Simulator::start(([127, 0, 0, 1], 0).into(), scenario)
        .await
        .unwrap()
}

/// [`start`], a temporary directory and the [`config`] in it.
async fn setup(extra: &[&str]) -> (Simulator, tempfile::TempDir, PathBuf) {
    let sim = start(extra).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&sim, dir.path());
    (sim, dir, cfg)
}

/// The two-project config, the second project with its own KFP profile and staging namespace.
fn config(sim: &Simulator, dir: &Path) -> PathBuf {
    let path = two_projects(sim, dir);
    let mut text = std::fs::read_to_string(&path).unwrap();
    // Tables after the last `[[projects]]` are the second project's.
    text.push_str(
        "[projects.kfp]\nnamespace = \"team-fraud\"\n\
         [projects.deployment.staging]\nnamespace = \"fraud-staging\"\n",
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn checks(report: &Value) -> &Vec<Value> {
    report["checks"].as_array().unwrap()
}

/// `id` of every line of `project`, in order.
fn ids_of<'a>(report: &'a Value, project: &str) -> Vec<&'a str> {
    checks(report)
        .iter()
        .filter(|c| c["project"] == project)
        .map(|c| c["id"].as_str().unwrap())
        .collect()
}

/// The line of `project` with the id `id`.
fn line_of<'a>(report: &'a Value, project: &str, id: &str) -> &'a Value {
    checks(report)
        .iter()
        .find(|c| c["project"] == project && c["id"] == id)
        .unwrap_or_else(|| panic!("no {id} of {project} in {report:#}"))
}

/// The text line starting with `prefix`.
fn line<'a>(stdout: &'a str, prefix: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line {prefix:?} in:\n{stdout}"))
}

fn reviews(sim: &Simulator) -> usize {
    sim.requests()
        .iter()
        .filter(|r| r.path.ends_with("/selfsubjectaccessreviews"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_project_is_checked_the_shared_pieces_once_and_each_projects_lines_named() {
    let (sim, _dir, cfg) = setup(&["team-fraud", "fraud-staging"]).await;
    let (code, stdout, stderr) = check(&cfg, &[]).await;
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        !stdout.contains("FAIL") && !stdout.contains("WARN"),
        "{stdout}"
    );
    // The shared pieces once, without a project.
    for shared in [
        "PASS  config file",
        "PASS  GitHub token  ",
        "PASS  GitHub token scopes",
        "PASS  Kubernetes API server",
        "PASS  KFP API",
        "PASS  InferenceService CRD",
        // Both projects build in [cluster] namespace and deploy production in `production`.
        "PASS  RBAC in kfops (build)",
        "PASS  namespace kfops (build)",
        "PASS  RBAC in production ",
        "PASS  namespace production ",
    ] {
        assert_eq!(
            stdout.lines().filter(|l| l.starts_with(shared)).count(),
            1,
            "{shared:?} not once in:\n{stdout}"
        );
    }
    // Each project's own lines name it, in its own group.
    for (project, namespace) in [
        (CHURN, "kubeflow-user-example-com (KFP profile)"),
        (CHURN, "staging "),
        (FRAUD, "team-fraud (KFP profile)"),
        (FRAUD, "fraud-staging (staging)"),
    ] {
        line(&stdout, &format!("PASS  {project}  RBAC in {namespace}"));
        line(&stdout, &format!("PASS  {project}  namespace {namespace}"));
    }
    for project in [CHURN, FRAUD] {
        assert!(
            line(&stdout, &format!("PASS  {project}  GitHub repository"))
                .ends_with(&format!("{project}: reachable, push allowed")),
            "{stdout}"
        );
    }
    let groups: Vec<&str> = stdout.split("\n\n").collect();
    assert_eq!(groups.len(), 4, "shared, churn, fraud, summary:\n{stdout}");
    assert!(groups[1].lines().all(|l| l.contains(CHURN)), "{stdout}");
    assert!(groups[2].lines().all(|l| l.contains(FRAUD)), "{stdout}");
    // Every namespace asked about once, with what its projects need: kfops 7 (the pods and
    // `get secrets`: both projects name image_builder.git_secret), the two profiles 1 each,
    // staging, fraud-staging and production 7 each (6 for InferenceServices,
    // `get revisions.serving.knative.dev` for the targets pane).
    assert_eq!(reviews(&sim), 30);
    // The projects' repositories are checked concurrently: in either order.
    let mut repos = repo_requests(&sim.requests());
    repos.sort();
    assert_eq!(
        repos,
        [
            format!("GET /github/repos/{CHURN}"),
            format!("GET /github/repos/{FRAUD}")
        ],
        "each repository once"
    );

    // --json: the same lines, each project's with its `project`, a shared namespace with both.
    let (code, report) = check_json_with(&cfg, &[], &[]).await;
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["projects"], serde_json::json!([CHURN, FRAUD]));
    assert_eq!(
        ids_of(&report, CHURN),
        [
            "github.repository",
            "rbac.kubeflow-user-example-com",
            "rbac.staging",
            "kfp.access.kubeflow-user-example-com",
            "namespace.kubeflow-user-example-com",
            "namespace.staging",
        ]
    );
    assert_eq!(
        ids_of(&report, FRAUD),
        [
            "github.repository",
            "rbac.team-fraud",
            "rbac.fraud-staging",
            "kfp.access.team-fraud",
            "namespace.team-fraud",
            "namespace.fraud-staging",
        ]
    );
    let production = checks(&report)
        .iter()
        .find(|c| c["id"] == "namespace.production")
        .unwrap();
    assert_eq!(production["projects"], serde_json::json!([CHURN, FRAUD]));
    assert!(production.get("project").is_none(), "{production}");
    let shared: Vec<&str> = checks(&report)
        .iter()
        .filter(|c| c.get("project").is_none() && c.get("projects").is_none())
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        shared,
        [
            "config",
            "github.user",
            "github.scopes",
            "kube.server",
            "kfp.healthz",
            "kserve.crd"
        ]
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_second_projects_missing_namespace_fails_its_line_alone_naming_the_project() {
    // The cluster has no `fraud-staging`.
    let (sim, _dir, cfg) = setup(&["team-fraud"]).await;
    let (code, stdout, _) = check(&cfg, &[]).await;
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(stdout.matches("FAIL").count(), 1, "{stdout}");
    let failed = line(&stdout, "FAIL");
    assert!(
        failed.starts_with(&format!("FAIL  {FRAUD}  namespace fraud-staging (staging)"))
            && failed.ends_with("does not exist"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "fix: create it (kubectl create namespace fraud-staging) or fix \
             projects[1].deployment.staging.namespace in the config"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("1 failed"), "{stdout}");

    let (code, report) = check_json_with(&cfg, &[], &[]).await;
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(not_passed(&report), ["namespace.fraud-staging: \"fail\""]);
    assert_eq!(
        line_of(&report, FRAUD, "namespace.fraud-staging")["status"],
        "fail"
    );
    let churn = checks(&report)
        .iter()
        .filter(|c| c["project"] == CHURN)
        .collect::<Vec<_>>();
    // Repository, RBAC and namespace lines of its two own namespaces, its KFP access line.
    assert_eq!(churn.len(), 6, "{report:#}");
    assert!(churn.iter().all(|c| c["status"] == "pass"), "{report:#}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_project_whose_repository_github_does_not_know_fails_its_repository_line() {
    let (sim, _dir, cfg) = setup(&["team-fraud", "fraud-staging"]).await;
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        text.replace("name = \"fraud-model\"", "name = \"ghost-model\""),
    )
    .unwrap();
    let ghost = "acme-ml/ghost-model";
    let (code, report) = check_json_with(&cfg, &[], &[]).await;
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(not_passed(&report), ["github.repository: \"fail\""]);
    let failed = line_of(&report, ghost, "github.repository");
    assert_eq!(failed["status"], "fail");
    assert!(
        failed["detail"].as_str().unwrap().contains("404"),
        "{failed}"
    );
    assert!(
        failed["hint"]
            .as_str()
            .unwrap()
            .contains("projects[1].repository"),
        "{failed}"
    );
    assert_eq!(
        line_of(&report, CHURN, "github.repository")["status"],
        "pass"
    );
    // The token's own lines are not the repository's business.
    assert!(detail(&report, "github.user").contains("logged in as"));

    let (code, stdout, _) = check(&cfg, &[]).await;
    assert_eq!(code, 1, "{stdout}");
    assert!(
        line(&stdout, "FAIL").starts_with(&format!("FAIL  {ghost}  GitHub repository")),
        "{stdout}"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn project_or_kfops_project_keeps_one_projects_lines_and_the_option_wins() {
    let (sim, _dir, cfg) = setup(&["team-fraud", "fraud-staging"]).await;
    let fraud_ids = [
        "github.repository",
        "rbac.kfops",
        "rbac.team-fraud",
        "rbac.fraud-staging",
        "rbac.production",
        "kfp.access.team-fraud",
        "namespace.kfops",
        "namespace.team-fraud",
        "namespace.fraud-staging",
        "namespace.production",
    ];
    for (extra, env) in [
        (&["--project", "fraud-model"][..], &[][..]),
        (&[][..], &[("KFOPS_PROJECT", FRAUD)][..]),
    ] {
        sim.request_log().clear();
        let (code, report) = check_json_with(&cfg, extra, env).await;
        assert_eq!(code, 0, "{extra:?} {env:?}: {report:#}");
        assert_eq!(report["projects"], serde_json::json!([FRAUD]));
        assert_eq!(ids_of(&report, FRAUD), fraud_ids, "{report:#}");
        // Every line is the shared pieces' or the project's: none names another project.
        assert!(
            checks(&report)
                .iter()
                .all(|c| c.get("projects").is_none() && c["project"] != CHURN),
            "{report:#}"
        );
        let repos = repo_requests(&sim.requests());
        assert_eq!(repos, [format!("GET /github/repos/{FRAUD}")]);
        // Its four namespaces: kfops 7 (with `get secrets`), team-fraud 1, fraud-staging 7,
        // production 7.
        assert_eq!(reviews(&sim), 22);
    }

    // The option wins over the variable.
    let (code, report) = check_json_with(
        &cfg,
        &["--project", "churn-model"],
        &[("KFOPS_PROJECT", FRAUD)],
    )
    .await;
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["projects"], serde_json::json!([CHURN]));
    assert!(ids_of(&report, FRAUD).is_empty(), "{report:#}");

    // In text, the project's lines name it; the other project is not mentioned.
    let (code, stdout, _) = check(&cfg, &["--project", "fraud-model"]).await;
    assert_eq!(code, 0, "{stdout}");
    line(&stdout, &format!("PASS  {FRAUD}  namespace kfops (build)"));
    assert!(!stdout.contains("churn-model"), "{stdout}");
    sim.shutdown().await;
}
