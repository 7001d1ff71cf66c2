//! Several model repositories in one console (`[[projects]]`): the simulator serving two
//! repositories, the combined PR view and its switcher, and actions landing in the PR's own
//! repository with its own settings.

use crossterm::event::KeyCode;
use std::time::Duration;

use kfops_console::backends::github::GitHub;
use kfops_console::backends::kfp::{Kfp, KfpEndpoint};
use kfops_console::config::{self, ProjectChoice, RepositoryConfig};
use kfops_console::domain::LABEL_STAGING;
use kfops_console::effects::Command;
use kfops_console::launch;
use kfops_console::tui::runner::Driver;
use kfops_console::tui::Msg;
use kfops_sim::{RecordedRequest, Simulator};

use crate::build_flow::fast_scenario;
use crate::support::console::{
    answers, code, driver_with, key, screen, select_task, temp_audit_path,
};

const A: &str = "/github/repos/acme-ml/churn-model/";
const B: &str = "/github/repos/acme-ml/fraud-model/";

async fn sim() -> Simulator {
    let mut scenario = fast_scenario();
    scenario.kserve.ready_ms = 30;
    Simulator::start(([127, 0, 0, 1], 0).into(), scenario)
        .await
        .unwrap()
}

/// The demo config: two projects.
fn two_projects(sim: &Simulator) -> config::Config {
    let mut cfg = launch::demo_config(sim).unwrap();
    cfg.audit.path = Some(temp_audit_path());
    assert_eq!(cfg.projects.len(), 2);
    cfg
}

/// `name` as `--project` gives it.
fn by_option(name: &str) -> ProjectChoice<'_> {
    ProjectChoice {
        name,
        from_env: false,
    }
}

fn writes(requests: &[RecordedRequest], prefix: &str) -> Vec<String> {
    requests
        .iter()
        .filter(|r| r.method != "GET" && r.method != "HEAD" && r.path.starts_with(prefix))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

fn numbers(driver: &Driver) -> Vec<(usize, u64)> {
    driver.app.prs.ids()
}

/// A console on `cfg` with the PRs of both projects (7) loaded.
async fn both_loaded(cfg: &config::Config, width: u16, height: u16) -> Driver {
    let mut driver = driver_with(cfg, false, width, height).await;
    assert!(
        driver
            .run_until(Duration::from_secs(30), |app| app.prs.items.len() == 7)
            .await,
        "{:?}",
        numbers(&driver)
    );
    driver
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_serves_two_repositories_to_octocrab() {
    let sim = sim().await;
    // A token: the demo repositories are private (404 to anonymous requests, as on GitHub).
    let token = kfops_console::config::Secret::new("any-token");
    let a = GitHub::new(&sim.github_url(), Some(&token), "acme-ml", "churn-model").unwrap();
    let b = GitHub::new(&sim.github_url(), Some(&token), "acme-ml", "fraud-model").unwrap();
    let mut a_prs: Vec<u64> = a
        .open_pull_requests()
        .await
        .unwrap()
        .iter()
        .map(|p| p.number)
        .collect();
    let mut b_prs: Vec<u64> = b
        .open_pull_requests()
        .await
        .unwrap()
        .iter()
        .map(|p| p.number)
        .collect();
    a_prs.sort_unstable();
    b_prs.sort_unstable();
    assert_eq!(a_prs, [41, 42, 43, 44, 45]);
    assert_eq!(b_prs, [7, 8]);
    // Plain octocrab too: each repository answers with its own PR and files.
    let oc = octocrab::Octocrab::builder()
        .base_uri(sim.github_url())
        .unwrap()
        .personal_token("any-token".to_owned())
        .build()
        .unwrap();
    let pr = oc.pulls("acme-ml", "fraud-model").get(7).await.unwrap();
    assert_eq!(pr.title.as_deref(), Some("Add merchant category features"));
    assert!(oc.pulls("acme-ml", "churn-model").get(7).await.is_err());
    assert!(oc
        .pulls("acme-ml", "no-such-model")
        .list()
        .send()
        .await
        .is_err());
    // The second repository's state is its own.
    let fraud = sim.github().repo("acme-ml", "fraud-model").unwrap();
    assert_eq!(fraud.labels_of(7), ["enhancement"]);
    assert!(sim.github().pull(7).is_none());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_projects_prs_load_into_one_list_and_the_switcher_filters() {
    let sim = sim().await;
    let cfg = two_projects(&sim);
    let mut driver = both_loaded(&cfg, 160, 40).await;
    // By project (config order), each in GitHub's order.
    let listed = numbers(&driver);
    assert!(listed[..5].iter().all(|(p, _)| *p == 0), "{listed:?}");
    let mut b: Vec<u64> = listed[5..]
        .iter()
        .map(|(p, n)| {
            assert_eq!(*p, 1);
            *n
        })
        .collect();
    b.sort_unstable();
    assert_eq!(b, [7, 8]);
    let text = screen(&driver, 160, 40);
    assert!(text.contains("all projects (2)"), "{text}");
    assert!(text.contains("Project"), "{text}");
    assert!(text.contains("fraud-model"), "{text}");
    assert!(text.contains("Add merchant category fea"), "{text}");
    assert!(text.contains("Calibrate churn probabili"), "{text}");

    driver.handle(key('P'));
    assert_eq!(driver.app.project_filter, Some(0));
    assert!(numbers(&driver).iter().all(|(p, _)| *p == 0));
    assert_eq!(driver.app.prs.items.len(), 5);
    driver.handle(key('P'));
    assert_eq!(driver.app.project_filter, Some(1));
    assert_eq!(driver.app.prs.items.len(), 2);
    let text = screen(&driver, 160, 40);
    assert!(text.contains("acme-ml/fraud-model"), "{text}");
    assert!(!text.contains("Calibrate churn probabili"), "{text}");
    // The targets pane follows the project shown.
    assert_eq!(driver.app.targets.service_name, "fraud-model");
    driver.handle(key('P'));
    assert_eq!(driver.app.project_filter, None);
    assert_eq!(driver.app.prs.items.len(), 7);
    assert_eq!(driver.app.targets.service_name, "churn-model");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_project_that_fails_to_load_is_named_and_the_others_prs_stay() {
    let sim = sim().await;
    let mut cfg = two_projects(&sim);
    let mut ghost = cfg.projects[1].clone();
    ghost.repository = RepositoryConfig {
        owner: "acme-ml".into(),
        name: "ghost-model".into(),
    };
    cfg.projects.push(ghost);
    let driver = driver_with(&cfg, false, 160, 40).await;
    assert_eq!(driver.app.prs.items.len(), 7);
    assert!(driver.app.project(2).is_some_and(|p| p.failure.is_some()));
    let text = screen(&driver, 160, 40);
    assert!(text.contains("✗ acme-ml/ghost-model"), "{text}");
    let failing = driver.app.status.failing.as_ref().expect("failing");
    assert!(
        failing.text.contains("acme-ml/ghost-model"),
        "{}",
        failing.text
    );
    sim.shutdown().await;
}

/// Selects PR `number` of `project` with the keys, in the all-projects view.
fn select(driver: &mut Driver, project: usize, number: u64) {
    driver.handle(key('1'));
    driver.handle(key('g'));
    let at = numbers(driver)
        .iter()
        .position(|id| *id == (project, number))
        .expect("listed");
    for _ in 0..at {
        driver.handle(key('j'));
    }
    let selected = driver.app.prs.selected_id();
    assert_eq!(selected, Some((project, number)));
}

async fn finish(driver: &mut Driver, what: &str) {
    assert!(
        driver
            .run_until(Duration::from_secs(60), |app| app.actions.is_empty())
            .await,
        "{what} did not end"
    );
    let message = driver.app.status.message.clone().unwrap().text;
    assert!(message.starts_with('✓'), "{what}: {message}");
    assert!(message.contains("acme-ml/fraud-model#7"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_run_and_staging_deploy_of_the_second_projects_pr_land_in_its_repository() {
    let sim = sim().await;
    let cfg = two_projects(&sim);
    let mut driver = both_loaded(&cfg, 160, 40).await;
    sim.request_log().clear();
    let fraud = sim.github().repo("acme-ml", "fraud-model").unwrap();

    select(&mut driver, 1, 7);
    driver.handle(key('b'));
    assert!(driver.app.actions.contains_key(&(1, 7)));
    // The same number in the other project is another PR: not busy.
    assert!(!driver.app.actions.contains_key(&(0, 7)));
    finish(&mut driver, "/build").await;
    let bodies: Vec<String> = fraud.comments(7).into_iter().map(|c| c.body).collect();
    assert!(
        bodies.iter().any(|b| b.contains("KFOPS_VERSION_ID")),
        "{bodies:?}"
    );

    driver.handle(key('r'));
    finish(&mut driver, "/run").await;
    let bodies: Vec<String> = fraud.comments(7).into_iter().map(|c| c.body).collect();
    assert!(
        bodies.iter().any(|b| b.contains("KFOPS_RUN_ID")),
        "{bodies:?}"
    );

    driver.handle(key('s'));
    finish(&mut driver, "/staging_deploy").await;
    assert!(fraud.labels_of(7).contains(&LABEL_STAGING.to_string()));
    // The first project's staging PR keeps its label: another repository, another service.
    assert!(sim
        .github()
        .labels_of(44)
        .contains(&LABEL_STAGING.to_string()));
    assert!(!fraud.is_merged(7));

    let requests = sim.requests();
    let in_b = writes(&requests, B);
    assert!(
        in_b.iter()
            .any(|w| w == &format!("POST {B}issues/7/comments")),
        "{in_b:?}"
    );
    assert!(
        in_b.iter()
            .any(|w| w.starts_with(&format!("POST {B}issues/7/labels"))),
        "{in_b:?}"
    );
    assert_eq!(
        writes(&requests, A),
        Vec::<String>::new(),
        "nothing written in the first repository"
    );
    // Deployed under the second project's service name.
    let deployed = requests.iter().any(|r| {
        r.method != "GET"
            && r.path.contains("/namespaces/staging/inferenceservices")
            && r.body.as_deref().unwrap_or("").contains("fraud-model")
    });
    assert!(deployed, "an InferenceService fraud-model in staging");
    // The audit log names the repository of each action.
    let audit = std::fs::read_to_string(cfg.audit.path.as_ref().unwrap()).unwrap();
    let repos: Vec<String> = audit
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["repository"].to_string())
        .collect();
    assert_eq!(repos, ["\"acme-ml/fraud-model\""; 3], "{audit}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_opens_on_the_project_named_by_project() {
    let sim = sim().await;
    let cfg = two_projects(&sim);
    let mut console = launch::console(&cfg, false, "demo").unwrap();
    console
        .show_project(&cfg, by_option("fraud-model"))
        .unwrap();
    assert_eq!(console.app.project_filter, Some(1));
    assert_eq!(console.app.header(), "acme-ml/fraud-model");
    // Its deployment targets, watched from the start.
    assert_eq!(console.app.targets.service_name, "fraud-model");
    let mut driver = Driver::new(console.app, console.services);
    driver.app.size = ratatui::layout::Rect::new(0, 0, 160, 40);
    driver.start();
    assert!(
        driver
            .run_until(Duration::from_secs(30), |app| app.prs.all.len() == 7)
            .await
    );
    let mut shown = numbers(&driver);
    shown.sort_unstable();
    assert_eq!(shown, [(1, 7), (1, 8)]);
    // P goes on from there: the next step shows every project.
    driver.handle(key('P'));
    assert_eq!(driver.app.project_filter, None);

    let mut console = launch::console(&cfg, false, "demo").unwrap();
    let e = console
        .show_project(&cfg, by_option("ghost-model"))
        .unwrap_err();
    assert!(
        e.0.contains("acme-ml/churn-model, acme-ml/fraud-model"),
        "{e}"
    );
    assert_eq!(console.app.project_filter, None);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_production_dialog_names_the_prs_repository_and_only_its_own_targets() {
    let sim = sim().await;
    let cfg = two_projects(&sim);
    let mut driver = both_loaded(&cfg, 160, 40).await;
    assert!(
        driver
            .run_until(Duration::from_secs(30), |app| app.targets.production.listed)
            .await
    );
    // All projects shown, the targets pane watches the first: the second's PR is named with
    // its repository, and the first project's production is not passed off as its own.
    select(&mut driver, 1, 7);
    driver.handle(key('d'));
    let text = screen(&driver, 160, 40);
    assert!(text.contains("acme-ml/fraud-model#7"), "{text}");
    assert!(
        text.contains("not shown (the targets pane watches"),
        "{text}"
    );
    driver.handle(code(KeyCode::Esc));
    // The first project's PR: its production as the targets pane shows it.
    select(&mut driver, 0, 41);
    driver.handle(key('d'));
    let text = screen(&driver, 160, 40);
    assert!(text.contains("acme-ml/churn-model#41"), "{text}");
    assert!(text.contains("from #40 (ready)"), "{text}");
    driver.handle(code(KeyCode::Esc));
    sim.shutdown().await;
}

/// A project with its own Kubeflow profile: its run's task pods are there, and Enter on a
/// task follows the pod in that namespace (not the shared `kfp.namespace`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_log_of_a_project_with_its_own_kfp_namespace_is_read_there() {
    let mut scenario = fast_scenario();
    scenario.kube.namespaces.push("team-fraud".into());
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), scenario)
        .await
        .unwrap();
    let mut cfg = two_projects(&sim);
    cfg.projects[1].kfp.namespace = Some("team-fraud".into());
    let mut driver = both_loaded(&cfg, 200, 60).await;
    select(&mut driver, 1, 7);
    driver.handle(key('B'));
    finish(&mut driver, "/build_run").await;
    assert_eq!(driver.app.graph.project, 1);
    select_task(&mut driver, "train");
    driver.handle(code(KeyCode::Enter));
    let pod_name = driver.app.graph.selected_task().unwrap().pod_name.clone();
    assert!(
        driver
            .run_until(Duration::from_secs(30), |app| {
                app.logs.streams.iter().any(|s| {
                    s.title == "train"
                        && s.pod.namespace == "team-fraud"
                        && app.logs.store.len(s.id) > 0
                })
            })
            .await,
        "streams {:?}, task pod {pod_name:?}, pods in team-fraud {:?}",
        driver.app.logs.streams,
        sim.kube()
            .pods("team-fraud")
            .iter()
            .map(|p| p.metadata.name.clone())
            .collect::<Vec<_>>()
    );
    sim.shutdown().await;
}

/// A URL where nothing listens (a port bound, then released).
fn nothing_listens() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().expect("its address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

#[tokio::test]
async fn a_run_of_the_second_project_is_loaded_with_that_projects_engine() {
    let sim = sim().await;
    let cfg = two_projects(&sim);
    let mut console = launch::console(&cfg, false, "demo").unwrap();
    launch::connect_cluster(&cfg, &mut console).await;
    // The projects' engines differ: the first one's KFP is somewhere that answers nothing.
    let endpoint = KfpEndpoint::Direct {
        url: nothing_listens(),
        token: None,
    };
    let first = console.services.projects[0]
        .engine
        .as_mut()
        .expect("engine");
    first.backends.kfp = Kfp::new(endpoint).unwrap();
    let run_id = sim.kfp().runs().first().expect("a run").id.clone();
    let load = |project| Command::LoadRun {
        project,
        run_id: run_id.clone(),
        spec: true,
        after: None,
    };

    // The second project's run comes through its own engine (it used to go through the
    // first project's, whatever the PR's project).
    let loaded = answers(load(1), &console.services).await;
    let [Msg::RunLoaded { result, .. }] = loaded.as_slice() else {
        panic!("not one run answer: {loaded:?}");
    };
    let run = result
        .as_ref()
        .expect("loaded with the second project's engine");
    assert_eq!(run.run.run_id, run_id);
    assert!(run.spec.is_some(), "with its spec");

    // The first project's engine really is another one.
    let loaded = answers(load(0), &console.services).await;
    assert!(
        matches!(loaded.as_slice(), [Msg::RunLoaded { result: Err(_), .. }]),
        "{loaded:?}"
    );
}
