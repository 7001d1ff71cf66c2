//! The simulated KFP runs pipelines: experiments and runs answer with the shapes of KFP's
//! Swagger descriptions; a run executes its version's DAG (sub-DAGs, ParallelFor) on the
//! simulated clock with one pod per container task in the simulated cluster; failures stop
//! the downstream tasks; terminate cancels; lists filter and page like KFP; the real `Kfp`
//! client drives all of it over both transports; the demo's KFOPS_RUN_IDs are finished runs.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use kfops_console::backends::kfp::{
    CreateRun, Kfp, KfpEndpoint, NameMatch, Run, RunQuery, RuntimeState, TaskDetail,
};
use kfops_console::chatops::{vars_in, VAR_RUN_ID, VAR_VERSION_ID};
use kfops_sim::kfp::{NodeKind, StoredRun, TASK_CONTAINER};
use kfops_sim::{Scenario, Simulator};
use reqwest::Method;
use serde_json::{json, Map, Value};

use crate::support::kfp_api::{self, answer, enc, start, Answer};
use crate::support::swagger::Swagger;

const DEMO_PIPELINE_ID: &str = "83d5a5f2-d4fe-4523-9488-daddbb4fcc85";
const DEMO_EXPERIMENT_ID: &str = "5d2f6c1e-8a44-4c1b-9a63-2f0e7d9b1c35";
const PROFILE: &str = "kubeflow-user-example-com";
const RUNS: &str = "/apis/v2beta1/runs";
const EXPERIMENTS: &str = "/apis/v2beta1/experiments";
/// The container tasks of the demo pipeline (three tuning trials).
const CONTAINERS: [&str; 8] = [
    "ingest",
    "validate-data",
    "feature-engineering",
    "tune-trial",
    "train",
    "compute-metrics",
    "check-thresholds",
    "export-model",
];

/// The demo world on a fast clock.
fn fast() -> Scenario {
    let mut s = Scenario::demo();
    s.kube.pod_start_ms = 4;
    s.kube.kaniko_line_ms = 1;
    s.kfp.run_start_ms = 5;
    s.kfp.task_ms = 20;
    s
}

fn direct(sim: &Simulator) -> Kfp {
    Kfp::new(KfpEndpoint::Direct {
        url: sim.kfp_url(),
        token: None,
    })
    .unwrap()
}

fn proxied(sim: &Simulator) -> Kfp {
    let client =
        kube::Client::try_from(kube::Config::new(sim.kube_url().parse().unwrap())).unwrap();
    Kfp::new(KfpEndpoint::ServiceProxy {
        client,
        namespace: "kubeflow".into(),
        service: "ml-pipeline:8888".into(),
    })
    .unwrap()
}

fn pipeline_yaml() -> Vec<u8> {
    Scenario::demo().github.files["pipeline.yaml"]
        .clone()
        .into_bytes()
}

async fn send(sim: &Simulator, method: Method, path: &str, body: Option<Value>) -> Answer {
    let url = format!("{}{path}", sim.kfp_url());
    let mut request = reqwest::Client::new().request(method, &url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    answer(request).await
}

/// The answer matches the operation's declared response and has no empty field outside the
/// pipeline spec and the run's parameters.
fn conforms(spec: &Swagger, method: &str, template: &str, answer: &Answer) {
    kfp_api::conforms(
        spec,
        method,
        template,
        answer,
        &["pipeline_spec", "parameters"],
    );
}

/// A googleRpcStatus error with this HTTP status and gRPC code.
fn rpc_error(answer: &Answer, status: u16, code: i64, contains: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.body["code"], code, "{}", answer.body);
    let message = answer.body["message"].as_str().unwrap();
    assert!(message.contains(contains), "`{contains}` not in: {message}");
}

/// Polls the run until it is in a final state (or the time is up).
async fn wait_final(kfp: &Kfp, run_id: &str) -> Run {
    for _ in 0..400 {
        let run = kfp.get_run(run_id).await.unwrap();
        if run.state.is_final() {
            return run;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("run {run_id} did not end in 10 s");
}

/// Polls the stored run until `done` says so.
async fn wait_until(sim: &Simulator, run_id: &str, done: impl Fn(&StoredRun) -> bool) -> StoredRun {
    for _ in 0..400 {
        if let Some(run) = sim.kfp().run(run_id) {
            if done(&run) {
                return run;
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "run {run_id} did not get there in 10 s: {:?}",
        sim.kfp().run(run_id).map(|r| r.state)
    );
}

fn params(learning_rate: f64, epochs: i64) -> Map<String, Value> {
    let Value::Object(map) = json!({"learning_rate": learning_rate, "epochs": epochs}) else {
        unreachable!()
    };
    map
}

fn names(run: &Run) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for t in run.tasks() {
        *counts.entry(t.display_name.clone()).or_insert(0) += 1;
    }
    counts
}

fn by_id<'a>(run: &'a Run, id: &str) -> &'a TaskDetail {
    run.tasks().iter().find(|t| t.task_id == id).unwrap()
}

/// The pod of a container task (its `child_tasks` entry) and the main container's log.
fn pod_log(sim: &Simulator, task: &TaskDetail) -> (String, String) {
    let pods = task.pod_names();
    assert_eq!(pods.len(), 1, "{task:?}");
    let pod = pods[0].to_owned();
    let lines = sim.kube().logs_of(PROFILE, &pod, TASK_CONTAINER);
    let text: Vec<String> = lines.into_iter().map(|(_, l)| l).collect();
    (pod, text.join("\n"))
}

/// Upload, experiment, run, wait, and check everything a finished run should show.
async fn run_flow(sim: &Simulator, kfp: &Kfp, tag: &str) {
    let version = kfp
        .upload_pipeline_version(
            DEMO_PIPELINE_ID,
            &format!("churn-model-{tag}"),
            pipeline_yaml(),
        )
        .await
        .unwrap();
    let name = format!("kfops-{tag}");
    assert_eq!(
        kfp.find_experiment(&name, Some(PROFILE)).await.unwrap(),
        None
    );
    let experiment = kfp.create_experiment(&name, Some(PROFILE)).await.unwrap();
    assert_eq!(experiment.display_name, name);
    assert_eq!(experiment.namespace.as_deref(), Some(PROFILE));
    assert_eq!(experiment.storage_state.as_deref(), Some("AVAILABLE"));
    let dup = kfp
        .create_experiment(&name, Some(PROFILE))
        .await
        .unwrap_err();
    assert_eq!(dup.status, Some(409), "{dup}");
    assert!(dup.message.contains("already exists"), "{dup}");
    assert!(dup.hint.is_some());
    let found = kfp.find_experiment(&name, Some(PROFILE)).await.unwrap();
    assert_eq!(
        found.as_ref().map(|e| &e.experiment_id),
        Some(&experiment.experiment_id)
    );

    let created = kfp
        .create_run(&CreateRun {
            display_name: format!("churn-model-{tag}-run"),
            experiment_id: Some(experiment.experiment_id.clone()),
            pipeline_id: DEMO_PIPELINE_ID.into(),
            pipeline_version_id: version.pipeline_version_id.clone(),
            parameters: params(0.05, 3),
        })
        .await
        .unwrap();
    assert_eq!(
        created.state,
        RuntimeState::Pending,
        "a new run is stored PENDING"
    );
    assert!(created.tasks().is_empty());
    assert_eq!(
        created.version_id(),
        Some(version.pipeline_version_id.as_str())
    );
    assert_eq!(
        created.experiment_id.as_deref(),
        Some(experiment.experiment_id.as_str())
    );
    assert_eq!(
        created.runtime_config.as_ref().unwrap().parameters["epochs"],
        json!(3)
    );

    let run = wait_final(kfp, &created.run_id).await;
    assert_eq!(run.state, RuntimeState::Succeeded, "{:?}", run.error);
    assert!(run.error.is_none());
    assert!(run.finished_at.unwrap() >= run.created_at.unwrap());
    let history: Vec<&RuntimeState> = run.state_history.iter().map(|s| &s.state).collect();
    assert_eq!(
        history,
        [
            &RuntimeState::Pending,
            &RuntimeState::Running,
            &RuntimeState::Succeeded
        ]
    );

    // Every task of the DAG: the sub-DAG and its children, the loop and its iterations.
    let expected: BTreeMap<String, usize> = [
        ("ingest", 1),
        ("validate-data", 1),
        ("feature-engineering", 1),
        ("for-loop-2", 1),
        ("for-loop-2(0)", 1),
        ("for-loop-2(1)", 1),
        ("for-loop-2(2)", 1),
        ("tune-trial", 3),
        ("train", 1),
        ("evaluate", 1),
        ("compute-metrics", 1),
        ("check-thresholds", 1),
        ("export-model", 1),
    ]
    .into_iter()
    .map(|(n, c)| (n.to_owned(), c))
    .collect();
    assert_eq!(names(&run), expected);
    for t in run.tasks() {
        assert_eq!(t.state, RuntimeState::Succeeded, "{}", t.display_name);
        assert_eq!(t.run_id.as_deref(), Some(run.run_id.as_str()));
        assert!(t.execution_id.is_some() && t.pod_name.is_none() && t.executor_detail.is_none());
        let history: Vec<&RuntimeState> = t.state_history.iter().map(|s| &s.state).collect();
        assert_eq!(
            history.last(),
            Some(&&RuntimeState::Succeeded),
            "{}",
            t.display_name
        );
    }
    let task = |name: &str| run.task(name).unwrap();
    let evaluate = task("evaluate");
    for child in ["compute-metrics", "check-thresholds"] {
        assert_eq!(
            task(child).parent_task_id.as_deref(),
            Some(evaluate.task_id.as_str())
        );
    }
    let for_loop = task("for-loop-2");
    let trial_params: BTreeSet<String> = run
        .tasks()
        .iter()
        .filter(|t| t.display_name == "tune-trial")
        .map(|t| {
            let iteration = by_id(&run, t.parent_task_id.as_deref().unwrap());
            assert!(iteration.display_name.starts_with("for-loop-2("));
            assert_eq!(
                iteration.parent_task_id.as_deref(),
                Some(for_loop.task_id.as_str())
            );
            let (_, log) = pod_log(sim, t);
            let line = log
                .lines()
                .find(|l| l.starts_with("Trial parameters: "))
                .unwrap();
            line.to_owned()
        })
        .collect();
    assert_eq!(
        trial_params.len(),
        3,
        "one trial per item: {trial_params:?}"
    );
    assert!(trial_params.contains("Trial parameters: {\"eta\":0.05,\"max_depth\":8}"));
    for top in ["ingest", "train", "evaluate", "for-loop-2", "export-model"] {
        assert_eq!(task(top).parent_task_id, None, "{top} is at the root");
    }
    // Artifacts flow from producers to consumers.
    assert_eq!(
        task("validate-data").inputs["raw_data"],
        task("ingest").outputs["raw_data"]
    );
    assert_eq!(
        task("compute-metrics").inputs["model"],
        task("train").outputs["model"],
        "through the sub-DAG's inputs"
    );

    // Tasks start only after their dependencies ended (the precise times of the stored run;
    // the API shows whole seconds, which must not contradict them).
    let stored = sim.kfp().run(&run.run_id).unwrap();
    for t in &stored.tasks {
        let node = &stored.plan.nodes[t.node];
        let start = t.start_time.unwrap();
        for &dep in &node.deps {
            let d = stored
                .tasks
                .iter()
                .find(|d| d.node == dep && d.parent_task_id == t.parent_task_id)
                .unwrap();
            assert!(
                start >= d.end_time.unwrap(),
                "{} started at {start} before {} ended at {:?}",
                t.display_name,
                d.display_name,
                d.end_time
            );
        }
        if let Some(parent) = &t.parent_task_id {
            let p = stored.tasks.iter().find(|p| &p.task_id == parent).unwrap();
            assert!(start >= p.start_time.unwrap() && t.end_time <= p.end_time);
        }
        let api = run.tasks().iter().find(|a| a.task_id == t.task_id).unwrap();
        assert_eq!(api.start_time.unwrap().timestamp(), start.timestamp());
    }
    assert!(
        stored.task("train").unwrap().start_time
            >= stored
                .tasks
                .iter()
                .filter(|t| t.display_name == "tune-trial")
                .map(|t| t.end_time)
                .max()
                .unwrap(),
        "train waits for the whole loop"
    );

    // One pod per container task, in the profile namespace, with the task's output.
    let containers: Vec<&TaskDetail> = run
        .tasks()
        .iter()
        .filter(|t| CONTAINERS.contains(&t.display_name.as_str()))
        .collect();
    assert_eq!(containers.len(), 10);
    let mut pods = BTreeSet::new();
    for t in &containers {
        let (pod, log) = pod_log(sim, t);
        let p = sim.kube().pod(PROFILE, &pod).unwrap();
        let labels = p.metadata.labels.clone().unwrap();
        assert_eq!(labels["pipeline/runid"], run.run_id);
        assert!(labels["workflows.argoproj.io/workflow"].starts_with("churn-model-pipeline-"));
        assert!(
            pod.starts_with(&labels["workflows.argoproj.io/workflow"]),
            "{pod}"
        );
        assert_eq!(p.status.unwrap().phase.as_deref(), Some("Succeeded"));
        assert!(
            log.contains("launcher_v2.go:90] input ComponentSpec"),
            "{log}"
        );
        assert!(log.contains("publish success."), "{log}");
        let wait = sim.kube().logs_of(PROFILE, &pod, "wait");
        assert!(wait
            .iter()
            .any(|(_, l)| l.contains("Main container completed")));
        pods.insert(pod);
    }
    assert_eq!(pods.len(), 10, "a pod of its own for every task");
    let (_, train_log) = pod_log(sim, task("train"));
    assert!(
        train_log.contains("learning_rate=0.05 epochs=3"),
        "{train_log}"
    );
    assert!(train_log.contains("Epoch 3/3"), "{train_log}");
    let glog =
        regex::Regex::new(r"^I\d{4} \d{2}:\d{2}:\d{2}\.\d{6} +\d+ launcher_v2\.go:\d+\] ").unwrap();
    assert!(train_log.lines().any(|l| glog.is_match(l)), "{train_log}");
    // The component's placeholders were filled in.
    let p = sim
        .kube()
        .pod(PROFILE, task("train").pod_names()[0])
        .unwrap();
    let args = p
        .spec
        .unwrap()
        .containers
        .into_iter()
        .find(|c| c.name == "main")
        .unwrap()
        .args
        .unwrap();
    assert!(
        args.windows(2).any(|w| w[0] == "--epochs" && w[1] == "3"),
        "{args:?}"
    );
    assert!(!args.iter().any(|a| a.contains("{{$")), "{args:?}");

    // The run is listed in its experiment.
    let listed = kfp
        .list_runs(&RunQuery {
            experiment_id: Some(experiment.experiment_id.clone()),
            ..RunQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].run_id, run.run_id);
    assert_eq!(listed[0].state, RuntimeState::Succeeded);
}

#[tokio::test]
async fn a_run_executes_its_dag_with_a_pod_per_task_through_the_api_directly() {
    let sim = start(fast()).await;
    run_flow(&sim, &direct(&sim), "direct").await;
}

#[tokio::test]
async fn a_run_executes_its_dag_with_a_pod_per_task_through_the_service_proxy() {
    let sim = start(fast()).await;
    let kfp = proxied(&sim);
    run_flow(&sim, &kfp, "proxy").await;
    assert!(
        !sim.requests().iter().any(|r| r.path.starts_with("/apis/")),
        "every call went through the proxy"
    );
    // A service-proxy path is relative to the API server: never a link in a PR comment.
    assert_eq!(kfp.ui_url_for_run("r1"), None);
}

async fn demo_run(kfp: &Kfp, name: &str) -> Run {
    kfp.create_run(&CreateRun {
        display_name: name.into(),
        experiment_id: Some(DEMO_EXPERIMENT_ID.into()),
        pipeline_id: DEMO_PIPELINE_ID.into(),
        pipeline_version_id: "b0db9b80-aec1-4b3d-9549-667ffd024a05".into(),
        parameters: params(0.01, 2),
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn a_failing_task_fails_the_run_and_its_downstream_tasks_never_start() {
    let mut scenario = fast();
    scenario.kfp.fail_tasks = vec!["train".into()];
    let sim = start(scenario).await;
    let kfp = direct(&sim);
    let run = wait_final(&kfp, &demo_run(&kfp, "fails-in-train").await.run_id).await;
    assert_eq!(run.state, RuntimeState::Failed);
    let error = run.error.clone().unwrap();
    assert!(error.message.contains("'train'"), "{error:?}");
    let train = run.task("train").unwrap();
    assert_eq!(train.state, RuntimeState::Failed);
    assert_eq!(
        train.error.as_ref().unwrap().message,
        "task 'train' failed: exit status 1"
    );
    for downstream in [
        "evaluate",
        "compute-metrics",
        "check-thresholds",
        "export-model",
    ] {
        assert!(run.task(downstream).is_none(), "{downstream} never started");
    }
    for upstream in [
        "ingest",
        "validate-data",
        "feature-engineering",
        "for-loop-2",
    ] {
        assert_eq!(run.task(upstream).unwrap().state, RuntimeState::Succeeded);
    }
    let (pod, log) = pod_log(&sim, train);
    assert!(log.contains("Traceback (most recent call last):"), "{log}");
    assert!(
        log.contains("failed to execute component: exit status 1"),
        "{log}"
    );
    assert!(!log.contains("publish success."));
    let p = sim.kube().pod(PROFILE, &pod).unwrap();
    assert_eq!(p.status.unwrap().phase.as_deref(), Some("Failed"));
    assert_eq!(
        run.state_history.last().map(|s| &s.state),
        Some(&RuntimeState::Failed)
    );

    // A failure inside the sub-DAG fails the DAG task too.
    sim.kfp()
        .update_runs(|s| s.knobs.fail_tasks = vec!["check-thresholds".into()]);
    let run = wait_final(&kfp, &demo_run(&kfp, "fails-in-evaluate").await.run_id).await;
    assert_eq!(run.state, RuntimeState::Failed);
    let evaluate = run.task("evaluate").unwrap();
    assert_eq!(evaluate.state, RuntimeState::Failed);
    assert!(evaluate
        .error
        .as_ref()
        .unwrap()
        .message
        .contains("check-thresholds"));
    assert_eq!(
        run.task("compute-metrics").unwrap().state,
        RuntimeState::Succeeded
    );
    assert!(run.task("export-model").is_none());
    let (_, log) = pod_log(&sim, run.task("check-thresholds").unwrap());
    assert!(log.contains("< min_auc 0.85: FAILED"), "{log}");
    assert!(log.contains("is below min_auc 0.85"), "{log}");
    assert!(run.error.unwrap().message.contains("check-thresholds"));
}

#[tokio::test]
async fn cached_tasks_are_skipped_at_once_with_outputs_and_no_pod() {
    let mut scenario = fast();
    scenario.kfp.cached_tasks = vec!["ingest".into(), "feature-engineering".into()];
    let sim = start(scenario).await;
    let kfp = direct(&sim);
    let run = wait_final(&kfp, &demo_run(&kfp, "cached").await.run_id).await;
    assert_eq!(run.state, RuntimeState::Succeeded);
    for name in ["ingest", "feature-engineering"] {
        let t = run.task(name).unwrap();
        assert_eq!(t.state, RuntimeState::Skipped);
        assert!(t.child_tasks.is_empty(), "no pod for a cached task");
        assert!(!t.outputs.is_empty(), "a cached task has outputs");
        assert_eq!(t.state_history.len(), 1);
    }
    assert_eq!(
        run.task("validate-data").unwrap().inputs["raw_data"],
        run.task("ingest").unwrap().outputs["raw_data"]
    );
    let pods = sim
        .kube()
        .pods(PROFILE)
        .into_iter()
        .filter(|p| p.metadata.labels.as_ref().unwrap()["pipeline/runid"] == run.run_id)
        .count();
    assert_eq!(pods, 8, "10 container tasks, 2 cached");
}

#[tokio::test]
async fn terminate_cancels_pending_and_running_tasks() {
    let mut scenario = fast();
    scenario.kfp.task_ms = 30_000;
    let sim = start(scenario).await;
    let kfp = proxied(&sim);
    let run = demo_run(&kfp, "to-cancel").await;
    let stored = wait_until(&sim, &run.run_id, |r| {
        r.task("ingest").is_some_and(|t| t.start_time.is_some())
    })
    .await;
    let pod = stored.task("ingest").unwrap().pod_name.clone().unwrap();
    assert!(sim.kube().pod(PROFILE, &pod).is_some());
    kfp.terminate_run(&run.run_id).await.unwrap();
    let run = wait_final(&kfp, &run.run_id).await;
    assert_eq!(run.state, RuntimeState::Canceled);
    let history: Vec<&RuntimeState> = run.state_history.iter().map(|s| &s.state).collect();
    assert_eq!(
        history,
        [
            &RuntimeState::Pending,
            &RuntimeState::Running,
            &RuntimeState::Canceling,
            &RuntimeState::Canceled
        ]
    );
    let ingest = run.task("ingest").unwrap();
    assert_eq!(ingest.state, RuntimeState::Canceled);
    assert_eq!(ingest.error.as_ref().unwrap().code, 1);
    assert!(run
        .tasks()
        .iter()
        .all(|t| t.state == RuntimeState::Canceled));
    assert!(run.task("validate-data").is_none());
    assert!(
        sim.kube().pod(PROFILE, &pod).is_none(),
        "the pod is stopped"
    );
    assert!(run.finished_at.is_some());
    let again = kfp.terminate_run(&run.run_id).await.unwrap_err();
    assert_eq!(again.status, Some(400), "{again}");

    // A run terminated before it started ends without tasks.
    sim.kfp().update_runs(|s| s.knobs.run_start_ms = 60_000);
    let pending = demo_run(&kfp, "never-starts").await;
    kfp.terminate_run(&pending.run_id).await.unwrap();
    let pending = wait_final(&kfp, &pending.run_id).await;
    assert_eq!(pending.state, RuntimeState::Canceled);
    assert!(pending.tasks().is_empty());
    let missing = kfp
        .terminate_run("00000000-0000-4000-8000-000000000000")
        .await
        .unwrap_err();
    assert_eq!(missing.status, Some(404), "{missing}");
}

#[tokio::test]
async fn runs_are_listed_by_experiment_and_by_name_in_both_filter_spellings_with_paging() {
    let spec = Swagger::kfp("run.swagger.json");
    let mut scenario = fast();
    // The new runs stay PENDING: listing needs no pods.
    scenario.kfp.run_start_ms = 60_000;
    let sim = start(scenario).await;
    let kfp = direct(&sim);
    let other = kfp
        .create_experiment("nightly", Some(PROFILE))
        .await
        .unwrap();
    let mut created = Vec::new();
    for (name, experiment) in [
        ("nightly-1", &other.experiment_id),
        ("pr-50-a", &DEMO_EXPERIMENT_ID.to_owned()),
        ("nightly-2", &other.experiment_id),
        ("pr-50-b", &DEMO_EXPERIMENT_ID.to_owned()),
        ("nightly-3", &other.experiment_id),
    ] {
        let run = kfp
            .create_run(&CreateRun {
                display_name: name.into(),
                experiment_id: Some(experiment.clone()),
                pipeline_id: DEMO_PIPELINE_ID.into(),
                pipeline_version_id: "b0db9b80-aec1-4b3d-9549-667ffd024a05".into(),
                parameters: Map::new(),
            })
            .await
            .unwrap();
        created.push(run.run_id);
    }

    // By experiment: newest first.
    let nightly = kfp
        .list_runs(&RunQuery {
            experiment_id: Some(other.experiment_id.clone()),
            ..RunQuery::default()
        })
        .await
        .unwrap();
    let shown: Vec<&str> = nightly.iter().map(|r| r.display_name.as_str()).collect();
    assert_eq!(shown, ["nightly-3", "nightly-2", "nightly-1"]);
    let demo = kfp
        .list_runs(&RunQuery {
            experiment_id: Some(DEMO_EXPERIMENT_ID.into()),
            ..RunQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(demo.len(), 6, "4 demo runs and 2 new ones");
    assert_eq!(demo[0].display_name, "pr-50-b");
    // By name: prefix, substring, exact; with a limit.
    let q = |name: NameMatch, limit: usize| RunQuery {
        name: Some(name),
        limit,
        ..RunQuery::default()
    };
    let prefixed = kfp
        .list_runs(&q(NameMatch::Prefix("pr-50-".into()), 0))
        .await
        .unwrap();
    assert_eq!(prefixed.len(), 2);
    let contains = kfp
        .list_runs(&q(NameMatch::Contains("ightly".into()), 2))
        .await
        .unwrap();
    let shown: Vec<&str> = contains.iter().map(|r| r.display_name.as_str()).collect();
    assert_eq!(shown, ["nightly-3", "nightly-2"], "the newest two");
    let exact = kfp
        .list_runs(&q(NameMatch::Exact("nightly-2".into()), 0))
        .await
        .unwrap();
    assert_eq!(exact.len(), 1);
    let succeeded = kfp
        .list_runs(&RunQuery {
            state: Some(RuntimeState::Succeeded),
            ..RunQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(succeeded.len(), 4, "the demo's finished runs");

    // The filter as the v2beta1 JSON and as the SDK sends it (camelCase, numeric operation).
    for filter in [
        json!({"predicates": [{"key": "display_name", "operation": "IS_SUBSTRING", "string_value": "nightly"}]}),
        json!({"predicates": [{"key": "name", "operation": 9, "stringValue": "nightly"}]}),
        json!({"predicates": [{"key": "display_name", "operation": "IN", "stringValues": {"values": ["nightly-1", "nightly-2", "nightly-3"]}}]}),
    ] {
        let a = send(
            &sim,
            Method::GET,
            &format!("{RUNS}?filter={}", enc(&filter.to_string())),
            None,
        )
        .await;
        assert_eq!(a.status, 200, "{filter}: {}", a.body);
        conforms(&spec, "get", RUNS, &a);
        assert_eq!(a.body["total_size"], 3, "{filter}");
    }
    let by_experiment = json!({"predicates": [{"key": "experiment_id", "operation": 1, "stringValue": other.experiment_id}]});
    let a = send(
        &sim,
        Method::GET,
        &format!("{RUNS}?filter={}", enc(&by_experiment.to_string())),
        None,
    )
    .await;
    assert_eq!(a.body["total_size"], 3, "{}", a.body);
    let a = send(
        &sim,
        Method::GET,
        &format!("{RUNS}?experimentId={}", other.experiment_id),
        None,
    )
    .await;
    assert_eq!(a.body["total_size"], 3, "{}", a.body);
    let bad = json!({"predicates": [{"key": "display_name", "op": 1, "string_value": "x"}]});
    let a = send(
        &sim,
        Method::GET,
        &format!("{RUNS}?filter={}", enc(&bad.to_string())),
        None,
    )
    .await;
    rpc_error(&a, 400, 3, "unknown field");
    let a = send(&sim, Method::GET, &format!("{RUNS}?sort_by=owner"), None).await;
    rpc_error(&a, 400, 3, "owner");

    // Pages of two, newest first, each page conforming.
    let mut seen = Vec::new();
    let mut path = format!("{RUNS}?page_size=2&sort_by={}", enc("created_at desc"));
    loop {
        let a = send(&sim, Method::GET, &path, None).await;
        conforms(&spec, "get", RUNS, &a);
        assert_eq!(a.body["total_size"], 9);
        seen.extend(
            a.body["runs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["run_id"].as_str().unwrap().to_owned()),
        );
        match a.body["next_page_token"].as_str() {
            Some(token) => path = format!("{RUNS}?page_size=2&page_token={token}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 9);
    let newest: Vec<String> = created.iter().rev().cloned().collect();
    assert_eq!(seen[..5], newest[..], "the new runs first, newest first");
    assert_eq!(
        seen[8], "1944c4b2-af10-4f57-bad0-7233f4788c0d",
        "the oldest demo run last"
    );
}

#[tokio::test]
async fn experiments_and_runs_answer_with_the_shapes_of_the_spec() {
    let runs = Swagger::kfp("run.swagger.json");
    let experiments = Swagger::kfp("experiment.swagger.json");
    let sim = start(fast()).await;
    let one_experiment = format!("{EXPERIMENTS}/{{experiment_id}}");
    let one_run = format!("{RUNS}/{{run_id}}");

    // Experiments: create (camelCase accepted), duplicate, unknown field, list, get.
    let a = send(
        &sim,
        Method::POST,
        EXPERIMENTS,
        Some(json!({"displayName": "shapes", "description": "d", "namespace": PROFILE})),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    conforms(&experiments, "post", EXPERIMENTS, &a);
    assert_eq!(a.body["storage_state"], "AVAILABLE");
    let id = a.body["experiment_id"].as_str().unwrap().to_owned();
    let a = send(
        &sim,
        Method::POST,
        EXPERIMENTS,
        Some(json!({"display_name": "shapes", "namespace": PROFILE})),
    )
    .await;
    rpc_error(&a, 409, 6, "already exists");
    conforms(&experiments, "post", EXPERIMENTS, &a);
    let a = send(
        &sim,
        Method::POST,
        EXPERIMENTS,
        Some(json!({"display_name": "x", "owner": "me"})),
    )
    .await;
    rpc_error(&a, 400, 3, "unknown field \"owner\"");
    let a = send(
        &sim,
        Method::POST,
        EXPERIMENTS,
        Some(json!({"description": "no name"})),
    )
    .await;
    rpc_error(&a, 400, 3, "name is empty");
    let a = send(
        &sim,
        Method::GET,
        &format!("{EXPERIMENTS}?namespace={PROFILE}&sort_by=name"),
        None,
    )
    .await;
    conforms(&experiments, "get", EXPERIMENTS, &a);
    let shown: Vec<&str> = a.body["experiments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["display_name"].as_str().unwrap())
        .collect();
    assert_eq!(shown, ["churn-model", "shapes"]);
    let f = json!({"predicates": [{"key": "name", "operation": "EQUALS", "stringValue": "churn-model"}]});
    let a = send(
        &sim,
        Method::GET,
        &format!("{EXPERIMENTS}?filter={}", enc(&f.to_string())),
        None,
    )
    .await;
    assert_eq!(
        a.body["experiments"][0]["experiment_id"],
        DEMO_EXPERIMENT_ID
    );
    assert_eq!(
        a.body["experiments"][0]["last_run_created_at"],
        "2026-11-03T15:45:57Z"
    );
    let a = send(&sim, Method::GET, &format!("{EXPERIMENTS}/{id}"), None).await;
    conforms(&experiments, "get", &one_experiment, &a);
    let a = send(
        &sim,
        Method::GET,
        &format!("{EXPERIMENTS}/00000000-0000-4000-8000-000000000000"),
        None,
    )
    .await;
    rpc_error(&a, 404, 5, "not found");
    conforms(&experiments, "get", &one_experiment, &a);

    // Runs: the whole Run with task details, in proto names; camelCase requests accepted.
    let a = send(&sim, Method::POST, RUNS, Some(json!({
        "displayName": "camel",
        "pipelineVersionReference": {"pipelineId": DEMO_PIPELINE_ID, "pipelineVersionId": "b0db9b80-aec1-4b3d-9549-667ffd024a05"},
        "runtimeConfig": {"parameters": {"epochs": 2, "snapshot_date": "2026-11-01"}},
    }))).await;
    assert_eq!(a.status, 200, "{}", a.body);
    conforms(&runs, "post", RUNS, &a);
    assert_eq!(a.body["state"], "PENDING");
    let run_id = a.body["run_id"].as_str().unwrap().to_owned();
    let default = sim
        .kfp()
        .experiments()
        .into_iter()
        .find(|e| e.display_name == "Default")
        .unwrap();
    assert_eq!(
        a.body["experiment_id"],
        default.id.as_str(),
        "no experiment: the Default one"
    );
    let run = wait_final(&direct(&sim), &run_id).await;
    assert_eq!(run.state, RuntimeState::Succeeded);
    let a = send(&sim, Method::GET, &format!("{RUNS}/{run_id}"), None).await;
    conforms(&runs, "get", &one_run, &a);
    let details = &a.body["run_details"];
    assert!(
        details["pipeline_context_id"].is_string()
            && details["pipeline_run_context_id"].is_string()
    );
    let tasks = details["task_details"].as_array().unwrap();
    assert_eq!(tasks.len(), 15);
    for t in tasks {
        assert!(t["execution_id"].as_str().unwrap().parse::<i64>().is_ok());
        assert!(t.get("pod_name").is_none() && t.get("executor_detail").is_none());
        assert!(
            t["child_tasks"]
                .as_array()
                .is_some_and(|c| c.iter().all(|c| c["pod_name"].is_string())),
            "{t}"
        );
    }
    let ingest = tasks
        .iter()
        .find(|t| t["display_name"] == "ingest")
        .unwrap();
    let ingest_log = sim.kube().logs_of(
        PROFILE,
        ingest["child_tasks"][0]["pod_name"].as_str().unwrap(),
        TASK_CONTAINER,
    );
    assert!(
        ingest_log
            .iter()
            .any(|(_, l)| l.contains("snapshot 2026-11-01")),
        "{ingest_log:?}"
    );
    let stored = sim.kfp().run(&run_id).unwrap();
    assert_eq!(
        stored
            .plan
            .nodes
            .iter()
            .filter(|n| matches!(n.kind, NodeKind::Container(_)))
            .count(),
        10
    );

    // Create errors.
    let version = "b0db9b80-aec1-4b3d-9549-667ffd024a05";
    for (body, status, code, why) in [
        (
            json!({"display_name": "x"}),
            400,
            3,
            "pipeline version reference is required",
        ),
        (
            json!({"display_name": "x", "pipeline_version_reference": {"pipeline_id": DEMO_PIPELINE_ID, "pipeline_version_id": "00000000-0000-4000-8000-000000000000"}}),
            400,
            3,
            "does not exist",
        ),
        (
            json!({"pipeline_version_reference": {"pipeline_version_id": version}}),
            400,
            3,
            "display_name is empty",
        ),
        (
            json!({"display_name": "x", "pipeline_version_reference": {"pipeline_version_id": version}, "priority": 1}),
            400,
            3,
            "unknown field \"priority\"",
        ),
        (
            json!({"display_name": "x", "experiment_id": "00000000-0000-4000-8000-000000000000", "pipeline_version_reference": {"pipeline_version_id": version}}),
            404,
            5,
            "Experiment",
        ),
        (
            json!({"display_name": "x", "pipeline_version_reference": {"pipeline_id": "00000000-0000-4000-8000-000000000000", "pipeline_version_id": version}}),
            400,
            3,
            "belongs to pipeline",
        ),
    ] {
        let a = send(&sim, Method::POST, RUNS, Some(body.clone())).await;
        rpc_error(&a, status, code, why);
        conforms(&runs, "post", RUNS, &a);
    }
    let a = send(
        &sim,
        Method::GET,
        &format!("{RUNS}/00000000-0000-4000-8000-000000000000"),
        None,
    )
    .await;
    rpc_error(&a, 404, 5, "not found");

    // A run of an inline pipeline spec shows the spec instead of a version reference.
    let spec = sim.kfp().version(version).unwrap().pipeline_spec;
    let a = send(&sim, Method::POST, RUNS, Some(json!({"display_name": "inline", "pipeline_spec": spec, "experiment_id": DEMO_EXPERIMENT_ID}))).await;
    assert_eq!(a.status, 200, "{}", a.body);
    conforms(&runs, "post", RUNS, &a);
    assert!(a.body.get("pipeline_version_reference").is_none());
    assert_eq!(
        a.body["pipeline_spec"]["pipelineInfo"]["name"],
        "churn-model-pipeline"
    );
    let inline = a.body["run_id"].as_str().unwrap().to_owned();

    // Archive, unarchive, delete.
    let a = send(
        &sim,
        Method::POST,
        &format!("{RUNS}/{inline}:archive"),
        None,
    )
    .await;
    assert_eq!((a.status, a.body.clone()), (200, json!({})));
    assert!(sim.kfp().run(&inline).unwrap().archived);
    let a = send(
        &sim,
        Method::POST,
        &format!("{EXPERIMENTS}/{id}:archive"),
        None,
    )
    .await;
    assert_eq!(a.status, 200);
    let a = send(&sim, Method::GET, &format!("{EXPERIMENTS}/{id}"), None).await;
    assert_eq!(a.body["storage_state"], "ARCHIVED");
    let a = send(&sim, Method::POST, RUNS, Some(json!({"display_name": "late", "experiment_id": id, "pipeline_version_reference": {"pipeline_version_id": version}}))).await;
    rpc_error(&a, 400, 9, "archived");
    let a = send(
        &sim,
        Method::POST,
        &format!("{EXPERIMENTS}/{id}:unarchive"),
        None,
    )
    .await;
    assert_eq!(a.status, 200);
    let a = send(&sim, Method::DELETE, &format!("{RUNS}/{inline}"), None).await;
    assert_eq!((a.status, a.body.clone()), (200, json!({})));
    assert!(sim.kfp().run(&inline).is_none());
    let a = send(&sim, Method::DELETE, &format!("{RUNS}/{inline}"), None).await;
    rpc_error(&a, 404, 5, "not found");
    let a = send(&sim, Method::POST, &format!("{RUNS}/{run_id}:fly"), None).await;
    assert_eq!(a.status, 404);
}

/// `H:MM:SS` of "Pipeline run successfully completed after H:MM:SS."
fn reported_duration(body: &str) -> Option<i64> {
    let re = regex::Regex::new(r"completed after (\d+):(\d{2}):(\d{2})").unwrap();
    let c = re.captures(body)?;
    let n = |i: usize| c[i].parse::<i64>().unwrap();
    Some(n(1) * 3600 + n(2) * 60 + n(3))
}

#[tokio::test]
async fn every_run_id_in_the_demo_comments_is_a_finished_run_with_its_task_graph() {
    let runs_spec = Swagger::kfp("run.swagger.json");
    let scenario = Scenario::demo();
    let sim = start(scenario.clone()).await;
    let kfp = direct(&sim);
    let mut seen = BTreeSet::new();
    for pull in &scenario.github.pulls {
        let mut version = None;
        let mut started: BTreeMap<String, DateTime<Utc>> = BTreeMap::new();
        for comment in &pull.comments {
            for (name, value) in vars_in(&comment.body) {
                if name == VAR_VERSION_ID {
                    version = Some(value);
                }
            }
            if let Some(id) = comment
                .body
                .split("#/runs/details/")
                .nth(1)
                .map(|r| r[..36].to_owned())
            {
                started.insert(id.clone(), comment.created_at);
                // The run was made from the last build before it.
                let stored = sim
                    .kfp()
                    .run(&id)
                    .unwrap_or_else(|| panic!("run {id} is not in KFP"));
                assert_eq!(
                    Some(&stored.pipeline_version_id),
                    version.as_ref(),
                    "#{}: {id}",
                    pull.number
                );
            }
            for (name, id) in vars_in(&comment.body) {
                if name != VAR_RUN_ID {
                    continue;
                }
                seen.insert(id.clone());
                let run = kfp.get_run(&id).await.unwrap();
                assert_eq!(run.state, RuntimeState::Succeeded, "{id}");
                assert_eq!(run.experiment_id.as_deref(), Some(DEMO_EXPERIMENT_ID));
                let created = run.created_at.unwrap();
                let finished = run.finished_at.unwrap();
                assert!(
                    created <= started[&id],
                    "{id} created after its 'started' comment"
                );
                assert!(
                    finished <= comment.created_at,
                    "{id} finished after its 'completed' comment"
                );
                assert_eq!(
                    Some((finished - created).num_seconds()),
                    reported_duration(&comment.body),
                    "{id}: the comment's duration"
                );
                assert_eq!(run.tasks().len(), 15, "{id}: the full graph");
                for t in run.tasks() {
                    assert_eq!(t.state, RuntimeState::Succeeded, "{id} {}", t.display_name);
                    assert!(t.start_time.unwrap() >= created && t.end_time.unwrap() <= finished);
                }
                let train = run.task("train").unwrap();
                let tuned = run
                    .tasks()
                    .iter()
                    .filter(|t| t.display_name == "tune-trial")
                    .map(|t| t.end_time)
                    .max()
                    .unwrap();
                assert!(train.start_time >= tuned);
                let a = send(&sim, Method::GET, &format!("{RUNS}/{id}"), None).await;
                conforms(&runs_spec, "get", &format!("{RUNS}/{{run_id}}"), &a);
            }
        }
    }
    assert_eq!(
        seen,
        BTreeSet::from(
            [
                "1944c4b2-af10-4f57-bad0-7233f4788c0d",
                "28caaa6e-ad23-44d2-9546-de190ef52d35",
                "9b14e7d5-42e1-43ae-a1e3-c8e1e2f6871b",
                "f1669f97-4534-47b5-82ec-4ca5d6b35337",
            ]
            .map(str::to_owned)
        )
    );
    // They are in the `churn-model` experiment, whose last run is PR #41's second one.
    let experiment = kfp
        .find_experiment("churn-model", Some(PROFILE))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(experiment.experiment_id, DEMO_EXPERIMENT_ID);
    let listed = kfp
        .list_runs(&RunQuery {
            experiment_id: Some(DEMO_EXPERIMENT_ID.into()),
            name: Some(NameMatch::Prefix("churn-model-pr41-".into())),
            ..RunQuery::default()
        })
        .await
        .unwrap();
    let ids: Vec<&str> = listed.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "28caaa6e-ad23-44d2-9546-de190ef52d35",
            "9b14e7d5-42e1-43ae-a1e3-c8e1e2f6871b"
        ],
        "newest first"
    );
    assert!(
        sim.kube().pods(PROFILE).is_empty(),
        "old runs' pods are long gone"
    );
}

#[test]
fn scenario_runs_are_checked() {
    let demo = Scenario::demo_toml();
    for (from, to, reason) in [
        (
            "pipeline_version_id = \"90b3db80-5649-41f1-b35b-df26e54416aa\"",
            "pipeline_version_id = \"00000000-0000-4000-8000-000000000000\"",
            "is not a version",
        ),
        (
            "finished_at = 2026-10-05T10:12:08Z",
            "finished_at = 2026-10-05T09:00:00Z",
            "finish after",
        ),
        (
            "experiment_id = \"5d2f6c1e-8a44-4c1b-9a63-2f0e7d9b1c35\"",
            "experiment_id = \"00000000-0000-4000-8000-000000000000\"",
            "not in [[kfp.experiments]]",
        ),
        (
            "parameters = { learning_rate = 0.01, epochs = 20 }",
            "parameters = { learning_rate = 0.01, epochs = 20 }\nfail_tasks = [\"no-such-task\"]",
            "no-such-task",
        ),
        ("task_ms = 6000", "task_ms = 6000\nwhatever = 1", "whatever"),
    ] {
        let text = demo.replacen(from, to, 1);
        assert_ne!(text, demo, "{from} is not in the demo");
        let err = Scenario::from_toml_str(&text).map(|_| ()).unwrap_err();
        assert!(err.to_string().contains(reason), "{err}");
    }
    // A finished run may have failed.
    let failed = demo.replacen(
        "parameters = { learning_rate = 0.01, epochs = 20 }",
        "parameters = { learning_rate = 0.01, epochs = 20 }\nfail_tasks = [\"train\"]",
        1,
    );
    let scenario = Scenario::from_toml_str(&failed).unwrap();
    let kfp = kfops_sim::KfpHandle::new(&scenario.kfp, &scenario.github);
    let run = kfp.run("1944c4b2-af10-4f57-bad0-7233f4788c0d").unwrap();
    assert_eq!(run.state.as_str(), "FAILED");
    assert!(run.task("evaluate").is_none());
    assert_eq!(
        run.finished_at.unwrap().to_rfc3339(),
        "2026-10-05T10:12:08+00:00"
    );
}
