//! GitHub App authentication against the simulator: the JWT checked as GitHub checks it,
//! installation tokens renewed five minutes before they expire (a simulated clock on both
//! sides, no sleeping), expired ones refused with GitHub's 401, GitHub Enterprise Server's
//! `/api/v3` base URL, and `kfops check` proving the App's access without leaking its secrets.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use kfops_console::backends::github::app_auth::{self, AppAuth, AppKey, Clock};
use kfops_console::backends::github::GitHub;
use kfops_sim::github::app_auth::AppScenario;
use kfops_sim::{Scenario, Simulator};
use reqwest::Method;
use serde_json::Value;

const APP_ID: u64 = 904_211;
const INSTALLATION: u64 = 48_120_007;

fn key_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/e2e/support/github_app/{name}"))
}

fn read(name: &str) -> String {
    std::fs::read_to_string(key_file(name)).unwrap()
}

/// The demo with the test App installed (and no personal token accepted besides).
pub async fn start_with_app() -> Simulator {
    Simulator::start(([127, 0, 0, 1], 0).into(), with_app(Scenario::demo()))
        .await
        .unwrap()
}

/// `scenario` with the test App installed and no personal token accepted.
pub fn with_app(mut scenario: Scenario) -> Scenario {
    scenario.github.token = None;
    scenario.github.app = Some(AppScenario {
        id: APP_ID,
        client_id: Some("Iv23liKfopsTestApp".into()),
        public_key: read("test-app.public.pem"),
        installation_id: INSTALLATION,
        permissions: [
            ("contents", "write"),
            ("issues", "write"),
            ("pull_requests", "write"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect(),
    });
    scenario
}

fn app_key() -> AppKey {
    AppKey::from_pem(&APP_ID.to_string(), &read("test-app.private.pem")).unwrap()
}

/// A clock the test moves.
fn manual_clock(start: DateTime<Utc>) -> (Clock, Arc<Mutex<DateTime<Utc>>>) {
    let now = Arc::new(Mutex::new(start));
    let read = now.clone();
    (Arc::new(move || *read.lock().unwrap()), now)
}

fn repo_of(sim: &Simulator) -> (String, String, u64) {
    sim.github().read(|s| {
        let pr = *s.pulls.keys().next().unwrap();
        (s.repo.owner.clone(), s.repo.name.clone(), pr)
    })
}

fn client(sim: &Simulator, api_url: &str, clock: Clock) -> GitHub {
    let (owner, repo, _) = repo_of(sim);
    let auth = AppAuth::new(app_key(), None, api_url, &owner, &repo).unwrap();
    GitHub::with_app(api_url, auth, clock).unwrap()
}

/// The recorded requests whose path ends with `suffix`, as `METHOD path status`.
fn requests_to(sim: &Simulator, suffix: &str) -> Vec<String> {
    sim.requests()
        .iter()
        .filter(|r| r.path.ends_with(suffix))
        .map(|r| format!("{} {} {}", r.method, r.path, r.status.as_u16()))
        .collect()
}

async fn send(url: &str, method: Method, credential: &str) -> (u16, Value) {
    let request = reqwest::Client::new()
        .request(method, url)
        .header("authorization", format!("Bearer {credential}"));
    crate::support::status_and_json(request).await
}

#[tokio::test]
async fn app_auth_token_is_renewed_five_minutes_before_expiry_under_a_simulated_clock() {
    let sim = start_with_app().await;
    let app = sim.github().app().unwrap();
    let (clock, now) = manual_clock(app.now());
    let advance = |by: Duration| {
        *now.lock().unwrap() += by;
        app.advance(by);
    };
    let github = client(&sim, &sim.github_url(), clock);
    let (_, _, pr) = repo_of(&sim);
    let tokens_url = format!("/app/installations/{INSTALLATION}/access_tokens");

    // First use: the repository's installation, then a token (201).
    assert!(github.pull_exists(pr).await.unwrap());
    assert_eq!(requests_to(&sim, "/installation").len(), 1);
    assert_eq!(
        requests_to(&sim, &tokens_url),
        [format!("POST /github{tokens_url} 201")]
    );
    let first = app.issued_tokens();
    assert_eq!(first.len(), 1);

    // 54 minutes on: the hour-long token is still used.
    advance(Duration::minutes(54));
    assert!(github.pull_exists(pr).await.unwrap());
    assert_eq!(requests_to(&sim, &tokens_url).len(), 1, "renewed too early");

    // 56 minutes on (4 left): renewed before use, and the request succeeds with the new one.
    advance(Duration::minutes(2));
    assert!(github.pull_exists(pr).await.unwrap());
    assert_eq!(requests_to(&sim, &tokens_url).len(), 2, "not renewed");
    let second: Vec<String> = app
        .issued_tokens()
        .into_iter()
        .filter(|t| !first.contains(t))
        .collect();
    assert_eq!(second.len(), 1);
    let new_credential =
        kfops_sim::record::credential_fingerprint(format!("Bearer {}", second[0]).as_bytes());
    let last_pull = sim
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.path.ends_with(&format!("/pulls/{pr}")))
        .unwrap();
    assert_eq!(last_pull.credential, Some(new_credential));

    // Past the first token's hour GitHub refuses it: 401 Bad credentials.
    advance(Duration::minutes(5));
    let (owner, repo, _) = repo_of(&sim);
    let url = format!("{}/repos/{owner}/{repo}/pulls/{pr}", sim.github_url());
    let (status, body) = send(&url, Method::GET, &first[0]).await;
    assert_eq!(status, 401);
    assert_eq!(body["message"], "Bad credentials");
    assert!(body["documentation_url"].as_str().is_some(), "{body}");
    // The renewed token still works, and no third one was needed.
    assert!(github.pull_exists(pr).await.unwrap());
    assert_eq!(requests_to(&sim, &tokens_url).len(), 2);
}

#[tokio::test]
async fn a_revoked_app_token_fails_one_request_and_the_next_gets_a_new_token() {
    let sim = start_with_app().await;
    let app = sim.github().app().unwrap();
    let github = client(&sim, &sim.github_url(), app_auth::system_clock());
    let (_, _, pr) = repo_of(&sim);
    assert!(github.pull_exists(pr).await.unwrap());
    app.revoke_all();
    let refused = github.pull_exists(pr).await.unwrap_err();
    assert_eq!(refused.status, Some(401), "{refused}");
    assert!(github.pull_exists(pr).await.unwrap());
    assert_eq!(requests_to(&sim, "/access_tokens").len(), 2);
}

#[tokio::test]
async fn the_simulator_checks_the_app_jwt_and_installation_tokens_as_github_does() {
    let sim = start_with_app().await;
    let app = sim.github().app().unwrap();
    let key = app_key();
    let api = sim.github_url();
    let tokens = format!("{api}/app/installations/{INSTALLATION}/access_tokens");
    let message = |body: &Value| body["message"].as_str().unwrap_or_default().to_owned();

    let jwt = key.jwt(app.now()).unwrap();
    let (status, token) = send(&tokens, Method::POST, jwt.expose()).await;
    assert_eq!(status, 201, "{token}");
    let expires = DateTime::parse_from_rfc3339(token["expires_at"].as_str().unwrap()).unwrap();
    let lifetime = expires.with_timezone(&Utc) - app.now();
    assert!(lifetime > Duration::minutes(59) && lifetime <= Duration::minutes(60));
    let token = token["token"].as_str().unwrap().to_owned();

    // A JWT whose signature is not the App's key.
    let mut forged = jwt.expose().to_owned();
    forged.truncate(forged.len() - 4);
    forged.push_str("AAAA");
    let (status, body) = send(&tokens, Method::POST, &forged).await;
    assert_eq!(
        (status, message(&body)),
        (401, "A JSON web token could not be decoded".into())
    );
    // An expired JWT (made 20 minutes ago), and one claiming to last too long.
    let old = key.jwt(app.now() - Duration::minutes(20)).unwrap();
    let (status, body) = send(&tokens, Method::POST, old.expose()).await;
    assert_eq!(status, 401);
    assert!(
        message(&body).starts_with("'Expiration time' claim ('exp') must be"),
        "{body}"
    );
    let future = key.jwt(app.now() + Duration::minutes(3)).unwrap();
    let (status, body) = send(&tokens, Method::POST, future.expose()).await;
    assert_eq!(status, 401);
    assert!(
        message(&body).contains("too far in the future") || message(&body).contains("iat"),
        "{body}"
    );
    // An installation token is not the App's JWT.
    let (status, _) = send(&tokens, Method::POST, &token).await;
    assert_eq!(status, 401);
    // Another installation is not found.
    let other = format!("{api}/app/installations/1/access_tokens");
    let (status, _) = send(&other, Method::POST, key.jwt(app.now()).unwrap().expose()).await;
    assert_eq!(status, 404);

    // `GET /user` is not for an installation token, and no OAuth scopes are sent to one.
    let (status, body) = send(&format!("{api}/user"), Method::GET, &token).await;
    assert_eq!(status, 403);
    assert_eq!(message(&body), "Resource not accessible by integration");
    let (owner, repo, _) = repo_of(&sim);
    let response = reqwest::Client::new()
        .get(format!("{api}/repos/{owner}/{repo}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers().get("x-oauth-scopes").is_none());
    // A token the App never issued.
    let (status, body) = send(&format!("{api}/repos/{owner}/{repo}"), Method::GET, "ghs_x").await;
    assert_eq!((status, message(&body)), (401, "Bad credentials".into()));
}

#[tokio::test]
async fn a_github_enterprise_api_v3_url_serves_app_auth_and_the_pr_list() {
    let sim = start_with_app().await;
    let ghes = format!("http://{}/api/v3", sim.addr());
    let github = client(&sim, &ghes, app_auth::system_clock());
    let prs = github.open_pull_requests().await.unwrap();
    assert!(!prs.is_empty());
    let paths: Vec<String> = sim.requests().iter().map(|r| r.path.clone()).collect();
    assert!(
        paths.iter().all(|p| p.starts_with("/api/v3/")),
        "{paths:#?}"
    );
    assert!(paths.iter().any(|p| p.ends_with("/access_tokens")));
    // Its answers name the root the request came through, as GHES names its own.
    let token = github.app_token().await.unwrap().unwrap().token;
    let (owner, repo, _) = repo_of(&sim);
    let number = prs[0].number;
    let (status, pr) = send(
        &format!("{ghes}/repos/{owner}/{repo}/pulls/{number}"),
        Method::GET,
        token.expose(),
    )
    .await;
    assert_eq!(status, 200);
    let url = pr["url"].as_str().unwrap_or_default();
    assert_eq!(url, format!("{ghes}/repos/{owner}/{repo}/pulls/{number}"));
}

/// The demo config on `sim` with the test App instead of a token (and `extra` appended).
pub fn app_config(sim: &Simulator, dir: &std::path::Path, extra: &str) -> PathBuf {
    let path = crate::headless::config_for(sim, dir);
    let text = std::fs::read_to_string(&path).unwrap();
    // A private copy, as an operator keeps it (`kfops check` warns about a readable key).
    let key = dir.join("app.private-key.pem");
    std::fs::copy(key_file("test-app.private.pem"), &key).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let app = format!(
        "\n[github.app]\nid = {APP_ID}\nprivate_key_file = \"{}\"\n{extra}",
        key.display()
    );
    std::fs::write(&path, text + &app).unwrap();
    path
}

/// The secrets of the App: its key's base64 body and every token the simulator issued.
pub fn secrets(sim: &Simulator) -> Vec<String> {
    let pem = read("test-app.private.pem");
    let key_line = pem
        .lines()
        .find(|l| !l.starts_with("-----") && l.len() == 64)
        .unwrap()
        .to_owned();
    let mut all = sim.github().app().unwrap().issued_tokens();
    all.push(key_line);
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kfops_check_reports_app_auth_and_proves_it_without_showing_secrets() {
    let sim = start_with_app().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = app_config(&sim, dir.path(), "");
    let env = [("RUST_LOG", "debug")];
    let (code, report) = crate::doctor::check_json_with(&cfg, &[], &env).await;
    use crate::doctor::{detail, status};
    assert_eq!(status(&report, "github.user"), "pass", "{report:#}");
    let app_line = detail(&report, "github.user");
    assert!(
        app_line.contains(&format!(
            "App {APP_ID}: installation {INSTALLATION} token obtained"
        )),
        "{app_line}"
    );
    assert_eq!(status(&report, "github.scopes"), "pass");
    assert_eq!(
        detail(&report, "github.scopes"),
        "contents: write, issues: write, pull_requests: write"
    );
    assert_eq!(status(&report, "github.repository"), "pass");
    assert!(detail(&report, "github.repository").contains("reachable with installation"));
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(crate::doctor::not_passed(&report), Vec::<String>::new());
    // Proven with the App's token: an installation token was created, `GET /user` never sent.
    assert_eq!(requests_to(&sim, "/access_tokens").len(), 1);
    assert!(requests_to(&sim, "/github/user").is_empty());

    let (_, stdout, stderr) = crate::doctor::check_with_env(&cfg, &[], &env).await;
    let recorded: Vec<String> = sim
        .requests()
        .iter()
        .map(|r| format!("{} {:?} {:?}", r.path, r.query, r.body))
        .collect();
    for secret in secrets(&sim) {
        assert!(
            !stdout.contains(&secret) && !stderr.contains(&secret),
            "a secret was printed"
        );
        assert!(!report.to_string().contains(&secret));
        assert!(
            recorded.iter().all(|r| !r.contains(&secret)),
            "a secret in a request"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kfops_check_names_the_fix_when_the_app_has_no_such_installation() {
    let sim = start_with_app().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = app_config(&sim, dir.path(), "installation_id = 1\n");
    let (code, report) = crate::doctor::check_json_with(&cfg, &[], &[]).await;
    use crate::doctor::{detail, status};
    assert_eq!(code, 1);
    assert_eq!(status(&report, "github.user"), "fail");
    assert!(detail(&report, "github.user").contains("404"), "{report:#}");
    let hint = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "github.user")
        .and_then(|c| c["hint"].as_str())
        .unwrap_or_default();
    assert!(hint.contains("install the GitHub App on"), "{hint}");
    assert_eq!(status(&report, "github.repository"), "skip");
}
