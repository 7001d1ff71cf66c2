//! Kubernetes config as kubectl finds it, through `kfops check` (the real binary) against the
//! simulator: `--context` and `[cluster] context` pick a kubeconfig context, `$KUBECONFIG`
//! with several files is merged (the first file setting a value wins), a user's exec plugin
//! gives the token that reaches the API server, and without a kubeconfig the in-cluster
//! service account is tried only when `KUBERNETES_SERVICE_HOST` says we run in a pod.
//!
//! In-cluster loading itself is kube-rs's `Config::incluster`, which reads the token and CA
//! at the fixed `/var/run/secrets/kubernetes.io/serviceaccount/` paths: a test cannot point it
//! at its own files, so only the choice of that path (and its error) is tested here.

use std::path::{Path, PathBuf};

use kfops_sim::record::credential_fingerprint;
use kfops_sim::{Scenario, Simulator};

use crate::doctor::{check_json_with, detail, status};

/// The token the exec plugin prints (not a real credential).
const EXEC_TOKEN: &str = "kfops-exec-plugin-test-token";

/// A shell script answering as a client-go exec credential plugin, noting each run in
/// `ran` (the ExecCredential format:
/// <https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins>).
fn exec_plugin(dir: &Path) -> (PathBuf, PathBuf) {
    let script = dir.join("token-plugin.sh");
    let ran = dir.join("plugin-ran");
    let text = format!(
        "#!/bin/sh\ntouch '{}'\nprintf '%s' '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\
         \"kind\":\"ExecCredential\",\"status\":{{\"token\":\"{EXEC_TOKEN}\"}}}}'\n",
        ran.display()
    );
    std::fs::write(&script, text).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (script, ran)
}

/// The kubeconfig `users` entry running `plugin`.
fn exec_user(name: &str, plugin: &Path) -> String {
    format!(
        "- name: {name}\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      \
         command: {}\n      interactiveMode: Never\n",
        plugin.display()
    )
}

/// The demo config pointed at `sim` but with no `[cluster] server` (so the kubeconfig is
/// read), plus `extra_cluster` lines in `[cluster]`.
fn config_without_server(sim: &Simulator, dir: &Path, extra_cluster: &str) -> PathBuf {
    let path = crate::headless::config_for(sim, dir);
    let text = std::fs::read_to_string(&path).unwrap();
    let server = format!("server = \"{}\"\n", sim.kube_url());
    assert!(text.contains(&server));
    std::fs::write(&path, text.replace(&server, extra_cluster)).unwrap();
    path
}

/// Two contexts: `sim` (the simulator, exec plugin user) and `wrong` (a path where no API
/// server answers), the current one being `wrong`.
fn two_contexts(sim: &Simulator, dir: &Path, plugin: &Path) -> PathBuf {
    let text = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: wrong\nclusters:\n\
         - name: sim\n  cluster:\n    server: {url}\n\
         - name: wrong\n  cluster:\n    server: {url}/no-api-server-here\n\
         contexts:\n- name: sim\n  context:\n    cluster: sim\n    user: plugin\n\
         - name: wrong\n  context:\n    cluster: wrong\n    user: plugin\n\
         users:\n{user}",
        url = sim.kube_url(),
        user = exec_user("plugin", plugin),
    );
    let path = dir.join("kubeconfig");
    std::fs::write(&path, text).unwrap();
    path
}

async fn start() -> Simulator {
    Simulator::start(([127, 0, 0, 1], 0).into(), Scenario::demo())
        .await
        .unwrap()
}

/// Whether some request to the simulated API server carried `Bearer EXEC_TOKEN`.
fn exec_token_reached(sim: &Simulator) -> bool {
    let expected = credential_fingerprint(format!("Bearer {EXEC_TOKEN}").as_bytes());
    sim.requests()
        .iter()
        .any(|r| r.path == "/version" && r.credential == Some(expected))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn context_option_and_config_key_pick_the_context_and_the_exec_token_is_sent() {
    let sim = start().await;
    let dir = tempfile::tempdir().unwrap();
    let (plugin, ran) = exec_plugin(dir.path());
    let kubeconfig = two_contexts(&sim, dir.path(), &plugin);
    let kubeconfig = kubeconfig.to_str().unwrap();
    let cfg = config_without_server(&sim, dir.path(), "");
    let env = [("KUBECONFIG", kubeconfig)];

    // The current context is the wrong one.
    let (_, report) = check_json_with(&cfg, &[], &env).await;
    assert_eq!(status(&report, "kube.server"), "fail", "{report:#}");
    assert!(!exec_token_reached(&sim));

    // --context picks the simulator's, and the plugin's token reaches it.
    let (_, report) = check_json_with(&cfg, &["--context", "sim"], &env).await;
    assert_eq!(status(&report, "kube.server"), "pass", "{report:#}");
    assert!(
        detail(&report, "kube.server").contains("context sim"),
        "{report:#}"
    );
    assert!(ran.exists(), "the exec plugin never ran");
    assert!(
        exec_token_reached(&sim),
        "no /version request carried the plugin's token"
    );

    // `[cluster] context` does the same, and --context wins over it.
    let cfg = config_without_server(&sim, dir.path(), "context = \"sim\"\n");
    let (_, report) = check_json_with(&cfg, &[], &env).await;
    assert_eq!(status(&report, "kube.server"), "pass", "{report:#}");
    let (_, report) = check_json_with(&cfg, &["--context", "wrong"], &env).await;
    assert_eq!(status(&report, "kube.server"), "fail", "{report:#}");

    // An unknown context is a kubeconfig error naming the fix.
    let (_, report) = check_json_with(&cfg, &["--context", "nope"], &env).await;
    assert_eq!(status(&report, "kube.server"), "fail", "{report:#}");
    assert!(report.to_string().contains("get-contexts"), "{report:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubeconfig_variable_merges_several_files_first_value_wins() {
    let sim = start().await;
    let dir = tempfile::tempdir().unwrap();
    let (plugin, _) = exec_plugin(dir.path());
    // The first file: the current context and the right cluster address.
    let first = dir.path().join("first");
    std::fs::write(
        &first,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: sim\nclusters:\n\
             - name: sim\n  cluster:\n    server: {}\n\
             contexts:\n- name: sim\n  context:\n    cluster: sim\n    user: plugin\n",
            sim.kube_url()
        ),
    )
    .unwrap();
    // The second: the user, another current context and the same cluster name elsewhere
    // (both lose to the first file).
    let second = dir.path().join("second");
    std::fs::write(
        &second,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: other\nclusters:\n\
             - name: sim\n  cluster:\n    server: {}/no-api-server-here\n\
             contexts:\n- name: other\n  context:\n    cluster: sim\n    user: plugin\n\
             users:\n{}",
            sim.kube_url(),
            exec_user("plugin", &plugin)
        ),
    )
    .unwrap();
    let cfg = config_without_server(&sim, dir.path(), "");
    let list = format!("{}:{}", first.display(), second.display());
    let (_, report) = check_json_with(&cfg, &[], &[("KUBECONFIG", &list)]).await;
    assert_eq!(status(&report, "kube.server"), "pass", "{report:#}");
    assert!(exec_token_reached(&sim));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_kubeconfig_the_in_cluster_account_is_tried_only_inside_a_pod() {
    let sim = start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_without_server(&sim, dir.path(), "");
    let missing = dir.path().join("no-such-kubeconfig");
    let missing = missing.to_str().unwrap();
    let home = dir.path().to_str().unwrap();

    let outside = [("KUBECONFIG", missing), ("HOME", home)];
    let (_, report) = check_json_with(&cfg, &[], &outside).await;
    assert_eq!(status(&report, "kube.server"), "fail", "{report:#}");
    let text = report.to_string();
    assert!(text.contains("load kubeconfig"), "{report:#}");
    assert!(!text.contains("in-cluster"), "{report:#}");

    // KUBERNETES_SERVICE_HOST (set by the kubelet) makes it read the service account, whose
    // files do not exist here: the error says so.
    let inside = [
        ("KUBECONFIG", missing),
        ("HOME", home),
        ("KUBERNETES_SERVICE_HOST", "127.0.0.1"),
        ("KUBERNETES_SERVICE_PORT", "1"),
    ];
    let (_, report) = check_json_with(&cfg, &[], &inside).await;
    assert_eq!(status(&report, "kube.server"), "fail", "{report:#}");
    assert!(
        report.to_string().contains("load in-cluster config"),
        "{report:#}"
    );
    assert!(sim.requests().iter().all(|r| r.path != "/version"));
}
