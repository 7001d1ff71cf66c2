//! The simulated GitHub speaks GitHub's REST API: every response of every implemented
//! operation is checked against GitHub's OpenAPI description (status declared, body valid),
//! pagination, comments, compare and contents behave like GitHub, the real octocrab client
//! works against it, and the demo scenario holds the PRs the console's demo promises.

use kfops_sim::{Scenario, Simulator};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::openapi::Spec;

mod anonymous;
mod demo_scenario;
mod deploy_client;
mod labels_merge;
mod lists;
mod merge_flow;
mod octocrab_client;
mod repo_refs;

const OWNER: &str = "acme-ml";
const REPO: &str = "churn-model";

async fn demo() -> Simulator {
    Simulator::start("127.0.0.1:0".parse().unwrap(), Scenario::demo())
        .await
        .unwrap()
}

/// A response, read whole.
struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

async fn send(method: Method, url: &str, body: Option<Value>) -> Answer {
    let client = reqwest::Client::new();
    let mut request = client
        .request(method, url)
        .header("authorization", "Bearer any-token")
        .header("accept", "application/vnd.github+json");
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    // A 204 has no body at all.
    let body = if text.is_empty() && status == StatusCode::NO_CONTENT {
        Value::Null
    } else {
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{url} answered {status} with non-JSON ({e}): {text}"))
    };
    Answer {
        status,
        headers,
        body,
    }
}

/// Calls one operation of the description and checks the answer against it.
async fn call(
    spec: &Spec,
    sim: &Simulator,
    method: Method,
    template: &str,
    path_and_query: &str,
    body: Option<Value>,
    expected: u16,
) -> Answer {
    let url = format!("{}{path_and_query}", sim.github_url());
    let answer = send(method.clone(), &url, body).await;
    assert_eq!(
        answer.status.as_u16(),
        expected,
        "{method} {url}: {}",
        answer.body
    );
    if let Err(e) = spec.check(method.as_str(), template, expected, &answer.body) {
        panic!("{method} {url}\n{e}");
    }
    answer
}

fn repo_path(rest: &str) -> String {
    format!("/repos/{OWNER}/{REPO}{rest}")
}

#[tokio::test]
async fn every_operation_answers_as_the_github_description_says() {
    let spec = Spec::github();
    let sim = demo().await;
    let pulls = "/repos/{owner}/{repo}/pulls";
    let pull = "/repos/{owner}/{repo}/pulls/{pull_number}";
    let compare = "/repos/{owner}/{repo}/compare/{basehead}";
    let comments = "/repos/{owner}/{repo}/issues/{issue_number}/comments";
    let issue_labels = "/repos/{owner}/{repo}/issues/{issue_number}/labels";
    let labels = "/repos/{owner}/{repo}/labels";
    let label = "/repos/{owner}/{repo}/labels/{name}";
    let get = || Method::GET;
    let post = || Method::POST;
    // One row per call: method, operation, path and query, body, expected status.
    #[rustfmt::skip]
    let cases: Vec<(Method, &str, String, Option<Value>, u16)> = vec![
        (get(), pulls, repo_path("/pulls"), None, 200),
        (get(), pulls, repo_path("/pulls?state=all&per_page=100"), None, 200),
        (get(), pulls, repo_path("/pulls?state=closed"), None, 200),
        (get(), pulls, repo_path("/pulls?head=acme-ml:feature/tenure-buckets&base=main"), None, 200),
        (get(), pulls, repo_path("/pulls?sort=updated&direction=asc"), None, 200),
        (get(), pulls, repo_path("/pulls?sort=popularity&direction=desc"), None, 200),
        (get(), pulls, repo_path("/pulls?state=merged"), None, 422),
        (get(), pulls, repo_path("/pulls?sort=newest"), None, 422),
        (get(), pull, repo_path("/pulls/41"), None, 200),
        (get(), pull, repo_path("/pulls/40"), None, 200),
        (get(), pull, repo_path("/pulls/42"), None, 200),
        (get(), pull, repo_path("/pulls/43"), None, 200),
        (get(), pull, repo_path("/pulls/45"), None, 200),
        (get(), pull, repo_path("/pulls/999"), None, 404),
        (get(), pull, repo_path("/pulls/forty-one"), None, 404),
        (get(), pull, "/repos/acme-ml/no-such-repo/pulls/41".into(), None, 404),
        (get(), compare, repo_path("/compare/main...feature/tenure-buckets"), None, 200),
        (get(), compare, repo_path("/compare/tune/xgb-depth...main"), None, 200),
        (get(), compare, repo_path("/compare/main...deps/feast-0.40"), None, 200),
        (get(), compare, repo_path("/compare/main...main"), None, 200),
        (get(), compare, repo_path("/compare/feature/xgboost...main"), None, 200),
        (get(), compare, repo_path("/compare/main...acme-ml:tune/xgb-depth?per_page=1&page=2"), None, 200),
        (get(), compare, repo_path("/compare/main...no-such-branch"), None, 404),
        (get(), compare, repo_path("/compare/main"), None, 404),
        (get(), comments, repo_path("/issues/41/comments"), None, 200),
        (get(), comments, repo_path("/issues/44/comments?per_page=2&page=3"), None, 200),
        (get(), comments, repo_path("/issues/41/comments?since=2026-11-03T15:30:00Z"), None, 200),
        (get(), comments, repo_path("/issues/999/comments"), None, 404),
        (post(), comments, repo_path("/issues/42/comments"), Some(json!({"body": "/run"})), 201),
        (post(), comments, repo_path("/issues/42/comments"), Some(json!({"body": ""})), 422),
        (post(), comments, repo_path("/issues/42/comments"), Some(json!({"text": "/run"})), 422),
        (post(), comments, repo_path("/issues/999/comments"), Some(json!({"body": "/run"})), 404),
        (get(), issue_labels, repo_path("/issues/44/labels"), None, 200),
        (get(), issue_labels, repo_path("/issues/42/labels"), None, 200),
        (get(), issue_labels, repo_path("/issues/999/labels"), None, 404),
        (get(), labels, repo_path("/labels"), None, 200),
        (get(), labels, repo_path("/labels?per_page=2"), None, 200),
        (get(), labels, "/repos/someone/else/labels".into(), None, 404),
        (get(), label, repo_path("/labels/Deployed-to-staging"), None, 200),
        (get(), label, repo_path("/labels/deployed-to-production"), None, 200),
        (get(), label, repo_path("/labels/no%20such%20label"), None, 404),
    ];
    for (method, template, path, body, status) in cases {
        call(&spec, &sim, method, template, &path, body, status).await;
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn errors_outside_the_operations_are_basic_errors() {
    let spec = Spec::github();
    let sim = demo().await;
    let basic = spec.schema("basic-error");
    // GitHub answers 404 for unknown paths and unsupported methods alike.
    for (method, path) in [
        (Method::GET, "/nothing/here".to_owned()),
        (Method::DELETE, repo_path("/pulls/41")),
        (Method::GET, "/repos/someone/else/pulls".to_owned()),
    ] {
        let answer = send(method.clone(), &format!("{}{path}", sim.github_url()), None).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{method} {path}");
        assert_eq!(answer.body["message"], "Not Found");
        assert_eq!(
            answer.body["documentation_url"],
            "https://docs.github.com/rest"
        );
        assert_eq!(spec.validate(basic, &answer.body), Vec::<String>::new());
    }
    // Unparseable JSON is a 400 like on GitHub.
    let response = reqwest::Client::new()
        .post(format!(
            "{}{}",
            sim.github_url(),
            repo_path("/issues/41/comments")
        ))
        .bearer_auth("any-token")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["message"], "Problems parsing JSON");
    sim.shutdown().await;
}

#[test]
fn the_validator_catches_missing_fields_wrong_types_and_bad_variants() {
    let spec = Spec::github();
    let pr_list =
        json!({"type": "array", "items": {"$ref": "#/components/schemas/pull-request-simple"}});
    let scenario = Scenario::demo();
    // A real answer, taken from the simulator, is valid...
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut list = runtime.block_on(async {
        let sim = demo().await;
        let answer = send(
            Method::GET,
            &format!("{}{}", sim.github_url(), repo_path("/pulls")),
            None,
        )
        .await;
        sim.shutdown().await;
        answer.body
    });
    assert_eq!(spec.validate(&pr_list, &list), Vec::<String>::new());
    assert!(list.as_array().unwrap().len() >= scenario.github.pulls.len() - 1);

    // ...until a required field goes missing or a type is wrong.
    list[0]["head"]["repo"]["owner"]["login"] = Value::Null;
    list[0]["number"] = json!("41");
    list[1]["id"] = json!(1.5);
    list[1]["user"]
        .as_object_mut()
        .unwrap()
        .remove("avatar_url");
    list[2]["author_association"] = json!("BOSS");
    list[2]["created_at"] = json!("yesterday");
    list[2]["html_url"] = json!("not a url");
    let errors = spec.validate(&pr_list, &list);
    for expected in [
        "/0/head/repo/owner/login: expected string, got null",
        "/0/number: expected integer, got string",
        "/1/id: expected integer, got number",
        "/1/user/avatar_url: required property missing",
        "/2/author_association: \"BOSS\" is not one of",
        "/2/created_at: `yesterday` is not an RFC 3339 date-time",
        "/2/html_url: `not a url` is not a URI",
    ] {
        assert!(
            errors.iter().any(|e| e.starts_with(expected)),
            "expected an error starting with {expected:?} in {errors:#?}"
        );
    }
    assert_eq!(errors.len(), 7, "{errors:#?}");

    // Nullable, oneOf (exactly one), additionalProperties: false.
    let commit = spec.schema("commit");
    let mut c = json!({
        "url": "https://x.test/c", "sha": "a", "node_id": "n", "html_url": "https://x.test/h",
        "comments_url": "https://x.test/cc",
        "commit": {"url": "https://x.test/g", "author": null, "committer": null, "message": "m",
                   "comment_count": 0, "tree": {"sha": "t", "url": "https://x.test/t"}},
        "author": {}, "committer": null, "parents": [],
    });
    assert_eq!(
        spec.validate(commit, &c),
        Vec::<String>::new(),
        "empty-object author and null committer are valid"
    );
    c["author"] = json!({"unexpected": 1});
    let errors = spec.validate(commit, &c);
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("/author: matches none of oneOf")),
        "{errors:#?}"
    );
    c["author"] = Value::Null;
    c["commit"]["message"] = Value::Null;
    assert_eq!(
        spec.validate(commit, &c),
        vec!["/commit/message: expected string, got null"]
    );

    // Status codes the operation does not declare are refused.
    let err = spec
        .check(
            "GET",
            "/repos/{owner}/{repo}/pulls",
            404,
            &json!({"message": "Not Found"}),
        )
        .unwrap_err();
    assert!(err.contains("declares only"), "{err}");
}

/// `<url>; rel="name"` pairs of a Link header.
#[tokio::test]
async fn a_scenario_token_is_required_when_set() {
    let spec = Spec::github();
    let mut scenario = Scenario::demo();
    scenario.github.token = Some("s3cret".into());
    let sim = Simulator::start("127.0.0.1:0".parse().unwrap(), scenario)
        .await
        .unwrap();
    let url = format!("{}{}", sim.github_url(), repo_path("/pulls"));
    let client = reqwest::Client::new();
    for (auth, expected) in [
        // No token is an anonymous request, to which GitHub hides a private repository.
        (None, 404),
        (Some("Bearer wrong"), 401),
        (Some("token s3cret"), 200),
        (Some("Bearer s3cret"), 200),
    ] {
        let mut request = client.get(&url);
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), expected, "{auth:?}");
        let body: Value = response.json().await.unwrap();
        if expected == 401 {
            assert_eq!(body["message"], "Bad credentials");
            assert_eq!(
                spec.validate(spec.schema("basic-error"), &body),
                Vec::<String>::new()
            );
        }
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn responses_carry_githubs_headers() {
    let sim = demo().await;
    let a = send(
        Method::GET,
        &format!("{}{}", sim.github_url(), repo_path("/pulls/41")),
        None,
    )
    .await;
    let b = send(
        Method::GET,
        &format!("{}{}", sim.github_url(), repo_path("/pulls/999")),
        None,
    )
    .await;
    for answer in [&a, &b] {
        assert_eq!(
            answer.header("content-type"),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(
            answer.header("x-github-api-version-selected"),
            Some("2022-11-28")
        );
        assert_eq!(answer.header("x-ratelimit-limit"), Some("5000"));
        assert_eq!(answer.header("x-ratelimit-resource"), Some("core"));
        assert!(
            answer
                .header("x-ratelimit-reset")
                .unwrap()
                .parse::<i64>()
                .unwrap()
                > chrono::Utc::now().timestamp()
        );
    }
    let used = |x: &Answer| {
        x.header("x-ratelimit-used")
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    let remaining = |x: &Answer| {
        x.header("x-ratelimit-remaining")
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    assert_eq!(used(&b), used(&a) + 1);
    assert_eq!(remaining(&a) + used(&a), 5000);
    sim.shutdown().await;
}

#[tokio::test]
async fn shutdown_stops_serving() {
    let sim = demo().await;
    let addr = sim.addr();
    assert_eq!(sim.kube_url(), format!("http://{addr}"));
    assert_eq!(sim.kfp_url(), format!("http://{addr}"));
    sim.shutdown().await;
    let err = reqwest::Client::new()
        .get(format!("http://{addr}/github/repos/{OWNER}/{REPO}/pulls"))
        .send()
        .await;
    assert!(err.is_err(), "nothing listens after shutdown");
}
