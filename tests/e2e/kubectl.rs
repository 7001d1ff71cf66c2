//! The real kubectl against the simulated Kubernetes API server: discovery (kubectl asks for
//! aggregated discovery and falls back), `get pods` printing the server's Table with STATUS,
//! label-selected JSON, `logs` and `logs -f` of Kaniko builds, `get ns`, and a restarted
//! container (RESTARTS, `logs --previous`).
//!
//! Skipped (with a message) only when kubectl is not on PATH and `CI` is unset.

use std::path::{Path, PathBuf};
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kfops_sim::{Scenario, Simulator};
use kube::api::PostParams;
use kube::{Api, Client, Config};
use serde_json::{json, Value};

const NS: &str = "kfops";

fn kubectl_on_path() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("kubectl"))
        .find(|candidate| candidate.is_file())
}

/// kubectl, or `None` (after saying why) when the test may be skipped.
pub fn kubectl() -> Option<PathBuf> {
    match kubectl_on_path() {
        Some(bin) => Some(bin),
        None if std::env::var_os("CI").is_some() => {
            panic!("kubectl is not on PATH, and CI is set: install kubectl to run this test")
        }
        None => {
            eprintln!(
                "SKIPPED kubectl tests: kubectl is not on PATH (they are required when CI is set)"
            );
            None
        }
    }
}

/// Runs kubectl against the simulator with an empty kubeconfig, HOME and cache of its own.
struct Kubectl {
    bin: PathBuf,
    server: String,
    home: tempfile::TempDir,
}

impl Kubectl {
    fn new(bin: PathBuf, server: String) -> Kubectl {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join("kubeconfig"), "").unwrap();
        Kubectl { bin, server, home }
    }

    fn dir(&self) -> &Path {
        self.home.path()
    }

    async fn run(&self, args: &[&str]) -> String {
        let mut command = tokio::process::Command::new(&self.bin);
        command
            .arg(format!("--server={}", self.server))
            .arg("--insecure-skip-tls-verify=false")
            .arg("--request-timeout=10s")
            .arg(format!(
                "--cache-dir={}",
                self.dir().join("cache").display()
            ))
            .args(args)
            .env("KUBECONFIG", self.dir().join("kubeconfig"))
            .env("HOME", self.dir())
            .kill_on_drop(true);
        let output = tokio::time::timeout(Duration::from_secs(60), command.output())
            .await
            .unwrap_or_else(|_| panic!("kubectl {args:?} did not finish within a minute"))
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(
            output.status.success(),
            "kubectl {args:?} failed ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
            output.status
        );
        stdout
    }
}

fn kaniko_pod(name: &str, team: &str, sha: &str) -> Pod {
    serde_json::from_value(json!({
        "metadata": {"name": name, "labels": {"app": "kaniko", "team": team}},
        "spec": {
            "restartPolicy": "Never",
            "containers": [{
                "name": "kaniko",
                "image": "gcr.io/kaniko-project/executor:v1.23.2",
                "args": [
                    "--dockerfile=images/trainer/Dockerfile",
                    format!("--context=git://github.com/acme-ml/churn-model.git#{sha}"),
                    format!("--destination=registry.acme.example/ml/{name}:v1"),
                ],
            }],
        },
    }))
    .unwrap()
}

fn phase(pod: &Pod) -> String {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.clone())
        .unwrap_or_default()
}

async fn wait_for(api: &Api<Pod>, name: &str, ok: impl Fn(&Pod) -> bool) {
    for _ in 0..2000 {
        if ok(&api.get(name).await.unwrap()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("pod {name} never reached the expected state");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_gets_pods_and_namespaces_and_reads_kaniko_logs() {
    let Some(bin) = kubectl() else { return };
    let mut scenario = Scenario::demo();
    scenario.kube.pod_start_ms = 10;
    // Slow enough that `logs -f` starts while the build still runs (about two seconds).
    scenario.kube.kaniko_line_ms = 20;
    let sha = scenario.github.pull(41).unwrap().head_sha.clone();
    let sim = Simulator::start("127.0.0.1:0".parse().unwrap(), scenario)
        .await
        .unwrap();
    let client = Client::try_from(Config::new(sim.kube_url().parse().unwrap())).unwrap();
    let api: Api<Pod> = Api::namespaced(client, NS);
    for (name, team) in [("trainer", "a"), ("server", "b")] {
        api.create(&PostParams::default(), &kaniko_pod(name, team, &sha))
            .await
            .unwrap();
    }
    for name in ["trainer", "server"] {
        wait_for(&api, name, |p| phase(p) == "Succeeded").await;
    }
    let kubectl = Kubectl::new(bin, sim.kube_url());

    // The server's Table: NAME READY STATUS RESTARTS AGE.
    let table = kubectl.run(&["get", "pods", "-n", NS]).await;
    let mut rows = table.lines();
    let header: Vec<&str> = rows.next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        ["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
        "{table}"
    );
    let rows: Vec<Vec<&str>> = rows.map(|r| r.split_whitespace().collect()).collect();
    assert_eq!(rows.len(), 2, "{table}");
    for (row, name) in rows.iter().zip(["server", "trainer"]) {
        assert_eq!(&row[..4], [name, "0/1", "Completed", "0"], "{table}");
    }
    let wide = kubectl.run(&["get", "pods", "-n", NS, "-o", "wide"]).await;
    assert!(
        wide.contains("sim-node-1") && wide.contains("10.244."),
        "{wide}"
    );

    // Label-selected JSON parses and holds only the selected pod.
    let selected = kubectl
        .run(&["get", "pods", "-n", NS, "-l", "team=a", "-o", "json"])
        .await;
    let list: Value = serde_json::from_str(&selected).unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{selected}");
    assert_eq!(items[0]["metadata"]["name"], "trainer");
    assert_eq!(items[0]["status"]["phase"], "Succeeded");

    // Logs of a finished build: the Kaniko output.
    let logs = kubectl.run(&["logs", "-n", NS, "trainer"]).await;
    assert!(
        logs.contains("RUN pip install --no-cache-dir -r requirements.txt"),
        "{logs}"
    );
    let last = logs.lines().last().unwrap_or_default();
    assert!(last.starts_with("INFO["), "{logs}");
    assert!(
        last.contains("Pushed registry.acme.example/ml/trainer@sha256:"),
        "{logs}"
    );

    // `logs -f` of a running build ends when the build does.
    api.create(&PostParams::default(), &kaniko_pod("follow", "c", &sha))
        .await
        .unwrap();
    wait_for(&api, "follow", |p| phase(p) == "Running").await;
    let followed = kubectl.run(&["logs", "-f", "-n", NS, "follow"]).await;
    assert_eq!(phase(&api.get("follow").await.unwrap()), "Succeeded");
    let produced: String = sim
        .kube()
        .logs_of(NS, "follow", "kaniko")
        .into_iter()
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    assert_eq!(followed, produced);

    // Namespaces.
    let namespaces = kubectl.run(&["get", "ns"]).await;
    let header: Vec<&str> = namespaces
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(header, ["NAME", "STATUS", "AGE"], "{namespaces}");
    for ns in ["kfops", "kubeflow", "production", "staging"] {
        assert!(
            namespaces
                .lines()
                .any(|l| l.split_whitespace().take(2).eq([ns, "Active"])),
            "{namespaces}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_shows_restarts_and_reads_the_previous_log() {
    use crate::support::printer::{printer_pod, Printer};
    let Some(bin) = kubectl() else { return };
    let mut scenario = Scenario::demo();
    scenario.kube.pod_start_ms = 10;
    scenario.kube.crash_images = vec!["printer".into()];
    scenario.kube.crash_after_lines = 5;
    scenario.kube.crash_restarts = 1;
    scenario.kube.restart_delay_ms = 20;
    let sim = Simulator::start("127.0.0.1:0".parse().unwrap(), scenario)
        .await
        .unwrap();
    let printer = Printer {
        lines: 8,
        burst: 1,
        pause: Duration::from_millis(5),
    };
    sim.kube().register_program(std::sync::Arc::new(printer));
    sim.kube()
        .create_pod(NS, printer_pod("crashy", "OnFailure"))
        .unwrap();
    let client = Client::try_from(Config::new(sim.kube_url().parse().unwrap())).unwrap();
    let api: Api<Pod> = Api::namespaced(client, NS);
    wait_for(&api, "crashy", |p| phase(p) == "Succeeded").await;
    let kubectl = Kubectl::new(bin, sim.kube_url());

    let table = kubectl.run(&["get", "pods", "-n", NS]).await;
    let row: Vec<&str> = table.lines().nth(1).unwrap().split_whitespace().collect();
    // RESTARTS: `1 (Ns ago)`.
    assert_eq!(&row[..4], ["crashy", "0/1", "Completed", "1"], "{table}");
    assert!(row[4].starts_with('(') && row[5] == "ago)", "{table}");

    let texts = printer.texts("crashy");
    let previous = kubectl
        .run(&["logs", "--previous", "-n", NS, "crashy"])
        .await;
    assert_eq!(previous.lines().collect::<Vec<_>>(), texts[..5]);
    let current = kubectl.run(&["logs", "-n", NS, "crashy"]).await;
    assert_eq!(current.lines().collect::<Vec<_>>(), texts[5..]);
}
