//! A multi-user KFP (the simulator's `[kfp.multi_user]` mode): what the API server refuses
//! (no identity, a token for another audience, no namespace, another profile), each way of
//! sending an identity reaching the runs of its profile through the real binary, and
//! `kfops check` proving access and naming the fix.

use std::path::{Path, PathBuf};

use kfops_sim::kfp::{MultiUser, TOKEN_AUDIENCE, USERID_HEADER};
use kfops_sim::{Scenario, Simulator};
use serde_json::Value;

use crate::doctor::check_json_with;

const PROFILE: &str = "kubeflow-user-example-com";
const USER: &str = "user@example.com";
const SESSION: &str = "session-4e1f0b";

fn multi_user(mut s: Scenario) -> Scenario {
    s.kfp.multi_user = Some(MultiUser {
        users: [(USER.to_owned(), vec![PROFILE.to_owned()])].into(),
        sessions: [(SESSION.to_owned(), USER.to_owned())].into(),
    });
    s
}

async fn start() -> Simulator {
    let scenario = multi_user(crate::build_flow::fast_scenario());
    Simulator::start(([127, 0, 0, 1], 0).into(), scenario)
        .await
        .unwrap()
}

fn sa_token(namespace: &str, audience: &str) -> String {
    MultiUser::service_account_token(namespace, "default-editor", audience)
}

/// KFP requests that change something (the check and refused calls must send none).
fn kfp_writes(sim: &Simulator) -> usize {
    sim.requests()
        .iter()
        .filter(|r| r.path.contains("/apis/v2beta1/") && r.method != http::Method::GET)
        .count()
}

/// GET `path` on the simulated KFP with `headers`; status and JSON body.
async fn get(sim: &Simulator, path: &str, headers: &[(&str, &str)]) -> (u16, Value) {
    send(sim, http::Method::GET, path, headers, None).await
}

async fn send(
    sim: &Simulator,
    method: http::Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = reqwest::Client::new().request(method, format!("{}{path}", sim.kfp_url()));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_user_kfp_refuses_like_the_api_server_and_creates_nothing() {
    let sim = start().await;
    let list = format!("/apis/v2beta1/experiments?namespace={PROFILE}");
    let good = format!("Bearer {}", sa_token(PROFILE, TOKEN_AUDIENCE));
    let other = format!("Bearer {}", sa_token("team-b", TOKEN_AUDIENCE));
    let wrong_aud = format!(
        "Bearer {}",
        sa_token(PROFILE, "https://kubernetes.default.svc")
    );

    // healthz needs no identity.
    assert_eq!(get(&sim, "/apis/v2beta1/healthz", &[]).await.0, 200);
    // No identity: 401, gRPC Unauthenticated.
    let (status, body) = get(&sim, &list, &[]).await;
    assert_eq!((status, body["code"].as_i64()), (401, Some(16)), "{body}");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("User identity is empty"));
    // A token for another audience: the TokenReview fails.
    let (status, body) = get(&sim, &list, &[("authorization", &wrong_aud)]).await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("audience"),
        "{body}"
    );
    // No namespace: 400 InvalidArgument.
    let (status, body) = get(
        &sim,
        "/apis/v2beta1/experiments",
        &[("authorization", &good)],
    )
    .await;
    assert_eq!((status, body["code"].as_i64()), (400, Some(3)), "{body}");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("cannot have an empty namespace in multi-user mode"));
    let (status, _) = get(&sim, "/apis/v2beta1/runs", &[("authorization", &good)]).await;
    assert_eq!(status, 400);
    // Another profile's token: 403 PermissionDenied, naming the ServiceAccount.
    let (status, body) = get(&sim, &list, &[("authorization", &other)]).await;
    assert_eq!((status, body["code"].as_i64()), (403, Some(7)), "{body}");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("system:serviceaccount:team-b:default-editor"));
    // A create in a profile the token may not use changes nothing.
    let before = sim.kfp().experiments().len();
    let (status, _) = send(
        &sim,
        http::Method::POST,
        "/apis/v2beta1/experiments",
        &[("authorization", &other)],
        Some(serde_json::json!({"display_name": "x", "namespace": PROFILE})),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(sim.kfp().experiments().len(), before);
    // The right token, the gateway's header, the gateway's session cookie: allowed.
    assert_eq!(get(&sim, &list, &[("authorization", &good)]).await.0, 200);
    assert_eq!(get(&sim, &list, &[(USERID_HEADER, USER)]).await.0, 200);
    assert_eq!(
        get(&sim, &list, &[(USERID_HEADER, "stranger@example.com")])
            .await
            .0,
        403
    );
    let cookie = format!("oauth2_proxy_kubeflow={SESSION}");
    assert_eq!(get(&sim, &list, &[("cookie", &cookie)]).await.0, 200);
    // Runs listed by namespace hold only that profile's runs.
    let (status, body) = get(
        &sim,
        &format!("/apis/v2beta1/runs?namespace={PROFILE}"),
        &[("authorization", &good)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let runs = body["runs"].as_array().cloned().unwrap_or_default();
    assert!(!runs.is_empty());
    assert!(runs
        .iter()
        .all(|r| r["namespace"] == PROFILE || r["namespace"].is_null()));
    sim.shutdown().await;
}

/// The demo config pointed at `sim` (KFP at its URL), with `extra` added to `[kfp]`.
fn config(sim: &Simulator, dir: &Path, extra: &str) -> PathBuf {
    let path = crate::headless::config_for(sim, dir);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replacen("[kfp]\n", &format!("[kfp]\n{extra}\n"), 1),
    )
    .unwrap();
    path
}

fn token_file(dir: &Path, name: &str, token: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, format!("{token}\n")).unwrap();
    path.display().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_file_and_a_session_cookie_each_reach_the_runs_of_the_profile() {
    let sim = start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = token_file(dir.path(), "sa-token", &sa_token(PROFILE, TOKEN_AUDIENCE));

    // Without an identity the runs are refused (401), and nothing was created.
    let bare = config(&sim, dir.path(), "");
    let out = crate::headless::kfops(&["runs", "--pr", "41"], &bare).await;
    assert_ne!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("identity"),
        "{out:?}"
    );

    // token_path: list, then a whole /run in the profile.
    let cfg = config(&sim, dir.path(), &format!("token_path = {file:?}"));
    let out = crate::headless::kfops(&["runs", "--pr", "41", "--json"], &cfg).await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let runs: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(runs.as_array().is_some_and(|r| r.len() >= 2), "{runs}");
    let out = crate::headless::kfops(&["run", "--pr", "41", "--wait"], &cfg).await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let newest = sim
        .kfp()
        .runs()
        .into_iter()
        .max_by_key(|r| r.created_at)
        .unwrap();
    assert_eq!(newest.namespace, PROFILE);

    // cookie_env: the gateway's session cookie.
    let cfg = config(&sim, dir.path(), "cookie_env = \"KFOPS_TEST_KFP_COOKIE\"");
    let out = tokio::process::Command::from(crate::support::kfops_command())
        .args(["--config"])
        .arg(&cfg)
        .args(["runs", "--pr", "41"])
        .env("GITHUB_TOKEN", "ghp_multi_user_test")
        .env(
            "KFOPS_TEST_KFP_COOKIE",
            format!("oauth2_proxy_kubeflow={SESSION}"),
        )
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_proves_access_and_names_the_fix() {
    let sim = start().await;
    let dir = tempfile::tempdir().unwrap();
    let hint = |report: &Value| -> String {
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == format!("kfp.access.{PROFILE}").as_str())
            .map(|c| format!("{} {}", c["status"], c["hint"]))
            .unwrap_or_default()
    };
    let cases: Vec<(String, &str)> = vec![
        (String::new(), "set [kfp] token_path"),
        (
            format!(
                "token_path = {:?}",
                token_file(
                    dir.path(),
                    "aud",
                    &sa_token(PROFILE, "https://kubernetes.default.svc")
                )
            ),
            "not for the audience pipelines.kubeflow.org",
        ),
        (
            format!(
                "token_path = {:?}",
                token_file(dir.path(), "other", &sa_token("team-b", TOKEN_AUDIENCE))
            ),
            "may not use profile kubeflow-user-example-com",
        ),
    ];
    for (extra, fix) in cases {
        let cfg = config(&sim, dir.path(), &extra);
        let (code, report) = check_json_with(&cfg, &[], &[]).await;
        assert_eq!(code, 1, "{report:#}");
        let line = hint(&report);
        assert!(
            line.starts_with("\"fail\"") && line.contains(fix),
            "{extra}: {line}"
        );
    }
    // Through the Kubernetes service proxy a multi-user KFP sees no identity.
    let path = crate::headless::config_for(&sim, dir.path());
    let text = std::fs::read_to_string(&path).unwrap();
    let proxied = text.replace(&format!("endpoint = \"{}\"\n", sim.kfp_url()), "");
    std::fs::write(&path, proxied).unwrap();
    let (_, report) = check_json_with(&path, &[], &[]).await;
    assert!(hint(&report).contains("service proxy"), "{report:#}");

    // The right token passes.
    let file = token_file(dir.path(), "good", &sa_token(PROFILE, TOKEN_AUDIENCE));
    let cfg = config(&sim, dir.path(), &format!("token_path = {file:?}"));
    let (code, report) = check_json_with(&cfg, &[], &[]).await;
    assert_eq!(code, 0, "{report:#}");
    assert!(hint(&report).starts_with("\"pass\""), "{report:#}");
    // The check changed nothing in KFP.
    assert_eq!(kfp_writes(&sim), 0);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_account_token_requested_by_the_console_reaches_the_profile_once_requested() {
    let sim = start().await;
    let dir = tempfile::tempdir().unwrap();
    let token_requests = |sim: &Simulator| {
        sim.requests()
            .iter()
            .filter(|r| r.path.ends_with("/serviceaccounts/default-editor/token"))
            .count()
    };
    let cfg = config(
        &sim,
        dir.path(),
        &format!("service_account = \"{PROFILE}/default-editor\""),
    );
    let out = crate::headless::kfops(&["runs", "--pr", "41", "--json"], &cfg).await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let runs: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(runs.as_array().is_some_and(|r| r.len() >= 2), "{runs}");
    assert_eq!(token_requests(&sim), 1);

    // kfops check: three KFP calls (healthz, experiments, runs), one token requested.
    let kfp_calls = |sim: &Simulator| {
        sim.requests()
            .iter()
            .filter(|r| r.path.starts_with("/apis/v2beta1/"))
            .count()
    };
    let before = kfp_calls(&sim);
    let (code, report) = check_json_with(&cfg, &[], &[]).await;
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(kfp_calls(&sim) - before, 3);
    assert_eq!(token_requests(&sim), 2);

    // A ServiceAccount of another profile: refused, and the check names the namespace fix.
    let cfg = config(
        &sim,
        dir.path(),
        "service_account = \"team-b/default-editor\"",
    );
    let (code, report) = check_json_with(&cfg, &[], &[]).await;
    assert_eq!(code, 1, "{report:#}");
    let access = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == format!("kfp.access.{PROFILE}").as_str())
        .cloned()
        .unwrap_or_default();
    assert!(
        access["hint"]
            .as_str()
            .unwrap_or_default()
            .contains("may not use profile"),
        "{access}"
    );
    assert_eq!(kfp_writes(&sim), 0);
    sim.shutdown().await;
}

/// Two projects in two profiles (the second with its own `projects[1].kfp.namespace`) and a
/// token of the first profile only: each namespace gets its own access line naming its
/// project; the one the identity may not read fails naming the namespace and the key to fix,
/// the other passes; nothing is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_proves_access_per_project_namespace_failing_only_the_refused_profile() {
    let scenario = multi_user(kfops_sim::Scenario::demo());
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), scenario)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = token_file(dir.path(), "good", &sa_token(PROFILE, TOKEN_AUDIENCE));
    let path = crate::headless_projects::two_projects(&sim, dir.path());
    let mut text = std::fs::read_to_string(&path).unwrap();
    text = text.replacen("[kfp]\n", &format!("[kfp]\ntoken_path = {file:?}\n"), 1);
    // Tables after the last `[[projects]]` are the second project's.
    text.push_str("[projects.kfp]\nnamespace = \"team-fraud\"\n");
    std::fs::write(&path, text).unwrap();

    let (code, report) = check_json_with(&path, &[], &[]).await;
    assert_eq!(code, 1, "{report:#}");
    let access: Vec<(String, String, String, String)> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["id"]
                .as_str()
                .is_some_and(|id| id.starts_with("kfp.access"))
        })
        .map(|c| {
            let text = |k: &str| c[k].as_str().unwrap_or_default().to_owned();
            (text("id"), text("status"), text("project"), text("hint"))
        })
        .collect();
    assert_eq!(
        access.len(),
        2,
        "one line per profile namespace: {access:#?}"
    );
    let (id, status, project, hint) = &access[0];
    assert_eq!(
        (
            id.as_str(),
            status.as_str(),
            project.as_str(),
            hint.as_str()
        ),
        (
            "kfp.access.kubeflow-user-example-com",
            "pass",
            "acme-ml/churn-model",
            ""
        )
    );
    let (id, status, project, hint) = &access[1];
    assert_eq!(
        (id.as_str(), status.as_str(), project.as_str()),
        ("kfp.access.team-fraud", "fail", "acme-ml/fraud-model")
    );
    assert!(
        hint.contains("may not use profile team-fraud: set projects[1].kfp.namespace"),
        "{hint}"
    );
    // The text report: the failed line names the namespace and its project, then the fix.
    let (_, stdout, _) = crate::doctor::check(&path, &[]).await;
    assert!(
        stdout.lines().any(|l| l.starts_with("FAIL")
            && l.contains("acme-ml/fraud-model")
            && l.contains("KFP access in team-fraud")),
        "{stdout}"
    );
    assert_eq!(kfp_writes(&sim), 0);
    sim.shutdown().await;
}
