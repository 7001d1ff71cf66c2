//! The simulated GitHub speaks GitHub's REST API: every response of every implemented
//! operation is checked against GitHub's OpenAPI description (status declared, body valid),
//! pagination, comments, compare and contents behave like GitHub, the real octocrab client
//! works against it, and the demo scenario holds the PRs the console's demo promises.

use std::collections::BTreeMap;

use base64::Engine;
use kfops_console::sim::{Scenario, Simulator};
use regex::Regex;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::openapi::Spec;

const OWNER: &str = "acme-ml";
const REPO: &str = "churn-model";
const UUID: &str = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

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
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{url} answered {status} with non-JSON ({e}): {text}"));
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
    let cases: Vec<(Method, &str, String, Option<Value>, u16)> = vec![
        (get(), pulls, repo_path("/pulls"), None, 200),
        (
            get(),
            pulls,
            repo_path("/pulls?state=all&per_page=100"),
            None,
            200,
        ),
        (get(), pulls, repo_path("/pulls?state=closed"), None, 200),
        (
            get(),
            pulls,
            repo_path("/pulls?head=acme-ml:feature/tenure-buckets&base=main"),
            None,
            200,
        ),
        (
            get(),
            pulls,
            repo_path("/pulls?sort=updated&direction=asc"),
            None,
            200,
        ),
        (
            get(),
            pulls,
            repo_path("/pulls?sort=popularity&direction=desc"),
            None,
            200,
        ),
        (get(), pulls, repo_path("/pulls?state=merged"), None, 422),
        (get(), pulls, repo_path("/pulls?sort=newest"), None, 422),
        (get(), pull, repo_path("/pulls/41"), None, 200),
        (get(), pull, repo_path("/pulls/40"), None, 200),
        (get(), pull, repo_path("/pulls/42"), None, 200),
        (get(), pull, repo_path("/pulls/43"), None, 200),
        (get(), pull, repo_path("/pulls/45"), None, 200),
        (get(), pull, repo_path("/pulls/999"), None, 404),
        (get(), pull, repo_path("/pulls/forty-one"), None, 404),
        (
            get(),
            pull,
            "/repos/acme-ml/no-such-repo/pulls/41".into(),
            None,
            404,
        ),
        (
            get(),
            compare,
            repo_path("/compare/main...feature/tenure-buckets"),
            None,
            200,
        ),
        (
            get(),
            compare,
            repo_path("/compare/tune/xgb-depth...main"),
            None,
            200,
        ),
        (
            get(),
            compare,
            repo_path("/compare/main...deps/feast-0.40"),
            None,
            200,
        ),
        (get(), compare, repo_path("/compare/main...main"), None, 200),
        (
            get(),
            compare,
            repo_path("/compare/feature/xgboost...main"),
            None,
            200,
        ),
        (
            get(),
            compare,
            repo_path("/compare/main...acme-ml:tune/xgb-depth?per_page=1&page=2"),
            None,
            200,
        ),
        (
            get(),
            compare,
            repo_path("/compare/main...no-such-branch"),
            None,
            404,
        ),
        (get(), compare, repo_path("/compare/main"), None, 404),
        (get(), comments, repo_path("/issues/41/comments"), None, 200),
        (
            get(),
            comments,
            repo_path("/issues/44/comments?per_page=2&page=3"),
            None,
            200,
        ),
        (
            get(),
            comments,
            repo_path("/issues/41/comments?since=2026-11-03T15:30:00Z"),
            None,
            200,
        ),
        (
            get(),
            comments,
            repo_path("/issues/999/comments"),
            None,
            404,
        ),
        (
            post(),
            comments,
            repo_path("/issues/42/comments"),
            Some(json!({"body": "/run"})),
            201,
        ),
        (
            post(),
            comments,
            repo_path("/issues/42/comments"),
            Some(json!({"body": ""})),
            422,
        ),
        (
            post(),
            comments,
            repo_path("/issues/42/comments"),
            Some(json!({"text": "/run"})),
            422,
        ),
        (
            post(),
            comments,
            repo_path("/issues/999/comments"),
            Some(json!({"body": "/run"})),
            404,
        ),
        (
            get(),
            issue_labels,
            repo_path("/issues/44/labels"),
            None,
            200,
        ),
        (
            get(),
            issue_labels,
            repo_path("/issues/42/labels"),
            None,
            200,
        ),
        (
            get(),
            issue_labels,
            repo_path("/issues/999/labels"),
            None,
            404,
        ),
        (get(), labels, repo_path("/labels"), None, 200),
        (get(), labels, repo_path("/labels?per_page=2"), None, 200),
        (
            get(),
            labels,
            "/repos/someone/else/labels".into(),
            None,
            404,
        ),
        (
            get(),
            label,
            repo_path("/labels/Deployed-to-staging"),
            None,
            200,
        ),
        (
            get(),
            label,
            repo_path("/labels/deployed-to-production"),
            None,
            200,
        ),
        (
            get(),
            label,
            repo_path("/labels/no%20such%20label"),
            None,
            404,
        ),
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
fn links(header: Option<&str>) -> BTreeMap<String, String> {
    let re = Regex::new(r#"<([^>]+)>;\s*rel="(\w+)""#).unwrap();
    header
        .map(|h| {
            re.captures_iter(h)
                .map(|c| (c[2].to_owned(), c[1].to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn pull_list_paginates_with_link_headers() {
    let spec = Spec::github();
    let sim = demo().await;
    let template = "/repos/{owner}/{repo}/pulls";
    let all = call(
        &spec,
        &sim,
        Method::GET,
        template,
        &repo_path("/pulls?state=all&per_page=100"),
        None,
        200,
    )
    .await;
    assert!(
        all.header("link").is_none(),
        "one page needs no Link header"
    );
    let numbers = |v: &Value| -> Vec<u64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| p["number"].as_u64().unwrap())
            .collect()
    };
    let expected = numbers(&all.body);
    assert_eq!(expected.len(), Scenario::demo().github.pulls.len());
    // Default order: newest first.
    let created: Vec<&str> = all
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["created_at"].as_str().unwrap())
        .collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]), "{created:?}");

    let first = call(
        &spec,
        &sim,
        Method::GET,
        template,
        &repo_path("/pulls?state=all&per_page=2"),
        None,
        200,
    )
    .await;
    let rels = links(first.header("link"));
    assert!(
        rels.contains_key("next") && rels.contains_key("last"),
        "{rels:?}"
    );
    assert!(!rels.contains_key("prev"), "{rels:?}");
    assert!(rels["next"].starts_with(&sim.github_url()), "{rels:?}");
    assert!(rels["last"].contains("page=3"), "{rels:?}");
    let mut seen = numbers(&first.body);
    let mut next = rels.get("next").cloned();
    let mut pages = 1;
    while let Some(url) = next {
        let page = send(Method::GET, &url, None).await;
        assert_eq!(page.status, StatusCode::OK);
        spec.check("GET", template, 200, &page.body).unwrap();
        seen.extend(numbers(&page.body));
        let rels = links(page.header("link"));
        assert!(
            rels.contains_key("prev") && rels.contains_key("first"),
            "{rels:?}"
        );
        next = rels.get("next").cloned();
        pages += 1;
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, expected);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_posted_comment_is_listed_last_and_recorded() {
    let spec = Spec::github();
    let sim = demo().await;
    let template = "/repos/{owner}/{repo}/issues/{issue_number}/comments";
    let before = sim.github().comments(41);
    let posted = call(
        &spec,
        &sim,
        Method::POST,
        template,
        &repo_path("/issues/41/comments"),
        Some(json!({"body": "/deploy --run-id=28caaa6e-ad23-44d2-9546-de190ef52d35"})),
        201,
    )
    .await;
    let id = posted.body["id"].as_u64().unwrap();
    assert!(before.iter().all(|c| c.id < id), "ids increase");
    assert_eq!(
        posted.body["user"]["login"], "priya-ops",
        "comments are the token owner's"
    );
    assert_eq!(posted.header("location"), posted.body["url"].as_str());
    let created =
        chrono::DateTime::parse_from_rfc3339(posted.body["created_at"].as_str().unwrap()).unwrap();
    assert!(
        (chrono::Utc::now() - created.to_utc()).num_seconds().abs() < 60,
        "created now"
    );

    let list = call(
        &spec,
        &sim,
        Method::GET,
        template,
        &repo_path("/issues/41/comments?per_page=100"),
        None,
        200,
    )
    .await;
    let list = list.body.as_array().unwrap().clone();
    assert_eq!(list.len(), before.len() + 1);
    assert_eq!(list.last().unwrap()["id"].as_u64(), Some(id));
    assert_eq!(
        list.last().unwrap()["body"],
        "/deploy --run-id=28caaa6e-ad23-44d2-9546-de190ef52d35"
    );
    assert_eq!(sim.github().comments(41).last().unwrap().id, id);
    // The PR's comment count follows.
    let pr = send(
        Method::GET,
        &format!("{}{}", sim.github_url(), repo_path("/pulls/41")),
        None,
    )
    .await;
    assert_eq!(pr.body["comments"].as_u64(), Some(list.len() as u64));

    let recorded = sim.requests();
    let post = recorded
        .iter()
        .find(|r| r.method == Method::POST)
        .expect("the POST is recorded");
    assert_eq!(
        post.path,
        "/github/repos/acme-ml/churn-model/issues/41/comments"
    );
    assert_eq!(post.status, StatusCode::CREATED);
    assert!(post.body.as_deref().unwrap().contains("/deploy --run-id="));
    let get = recorded
        .iter()
        .rev()
        .find(|r| r.method == Method::GET)
        .unwrap();
    assert_eq!(get.query.as_deref(), Some("per_page=100"));
    assert_eq!(get.status, StatusCode::OK);
    sim.shutdown().await;
}

#[tokio::test]
async fn compare_gives_each_prs_scenario_numbers() {
    let sim = demo().await;
    let scenario = Scenario::demo();
    let base = format!("{}{}", sim.github_url(), repo_path("/compare"));
    for pr in &scenario.github.pulls {
        let forms = [
            format!("main...{}", pr.head_ref),
            format!("{OWNER}:main...{OWNER}:{}", pr.head_ref),
            format!("{}...{}", scenario.github.repository.head_sha, pr.head_sha),
        ];
        for basehead in forms {
            let c = send(Method::GET, &format!("{base}/{basehead}"), None).await;
            assert_eq!(c.status, StatusCode::OK, "{basehead}");
            let at = format!("#{} {basehead}", pr.number);
            assert_eq!(c.body["behind_by"].as_u64(), Some(pr.behind_by), "{at}");
            assert_eq!(c.body["ahead_by"].as_u64(), Some(pr.ahead_by), "{at}");
            assert_eq!(c.body["total_commits"].as_u64(), Some(pr.ahead_by), "{at}");
            assert_eq!(
                c.body["commits"].as_array().unwrap().len() as u64,
                pr.ahead_by,
                "{at}"
            );
            let status = match (pr.ahead_by > 0, pr.behind_by > 0) {
                (true, true) => "diverged",
                (true, false) => "ahead",
                (false, true) => "behind",
                (false, false) => "identical",
            };
            assert_eq!(c.body["status"], status, "{at}");
            assert_eq!(
                c.body["base_commit"]["sha"],
                scenario.github.repository.head_sha.as_str()
            );
            if pr.ahead_by > 0 {
                assert_eq!(
                    c.body["commits"].as_array().unwrap().last().unwrap()["sha"],
                    pr.head_sha.as_str(),
                    "{at}"
                );
            }
            if pr.behind_by == 0 {
                assert_eq!(
                    c.body["merge_base_commit"]["sha"],
                    scenario.github.repository.head_sha.as_str(),
                    "{at}"
                );
            }
        }
        // And the other way round.
        let c = send(Method::GET, &format!("{base}/{}...main", pr.head_ref), None).await;
        assert_eq!(
            c.body["ahead_by"].as_u64(),
            Some(pr.behind_by),
            "#{} reversed",
            pr.number
        );
        assert_eq!(
            c.body["behind_by"].as_u64(),
            Some(pr.ahead_by),
            "#{} reversed",
            pr.number
        );
    }
    // Commits chain: each parent is the previous commit.
    let c = send(Method::GET, &format!("{base}/main...deps/feast-0.40"), None).await;
    let commits = c.body["commits"].as_array().unwrap();
    assert_eq!(
        commits[0]["parents"][0]["sha"],
        c.body["merge_base_commit"]["sha"]
    );
    for pair in commits.windows(2) {
        assert_eq!(pair[1]["parents"][0]["sha"], pair[0]["sha"]);
    }
    // The base moving on shows in the next comparison.
    assert!(sim.github().set_behind_by(41, 2));
    let c = send(
        Method::GET,
        &format!("{base}/main...feature/tenure-buckets"),
        None,
    )
    .await;
    assert_eq!(
        (c.body["behind_by"].as_u64(), c.body["status"].as_str()),
        (Some(2), Some("diverged"))
    );
    sim.shutdown().await;
}

fn decode(content: &Value) -> String {
    let text: String = content
        .as_str()
        .unwrap()
        .chars()
        .filter(|c| *c != '\n')
        .collect();
    String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn contents_serve_base_files_and_pr_overrides() {
    let sim = demo().await;
    let scenario = Scenario::demo();
    let url = |rest: &str| {
        format!(
            "{}{}",
            sim.github_url(),
            repo_path(&format!("/contents/{rest}"))
        )
    };
    let file = send(Method::GET, &url("pipeline.yaml"), None).await;
    assert_eq!(file.status, StatusCode::OK);
    for key in [
        "type",
        "encoding",
        "size",
        "name",
        "path",
        "content",
        "sha",
        "url",
        "git_url",
        "html_url",
        "download_url",
        "_links",
    ] {
        assert!(
            file.body.get(key).is_some(),
            "contents has {key}: {}",
            file.body
        );
    }
    assert_eq!(file.body["type"], "file");
    assert_eq!(file.body["encoding"], "base64");
    let pipeline = &scenario.github.files["pipeline.yaml"];
    assert_eq!(decode(&file.body["content"]), *pipeline);
    assert_eq!(file.body["size"].as_u64(), Some(pipeline.len() as u64));
    let lines: Vec<&str> = file.body["content"].as_str().unwrap().lines().collect();
    assert!(
        lines.iter().all(|l| l.len() <= 60) && lines[0].len() == 60,
        "base64 wrapped at 60"
    );
    assert!(pipeline.contains("PIPELINE DEFINITION") && pipeline.contains("dependentTasks"));
    for self_link in ["self", "git", "html"] {
        assert!(file.body["_links"][self_link].is_string());
    }

    // A PR head overrides base files and adds its own.
    let pr41 = scenario.github.pull(41).unwrap();
    let head = send(
        Method::GET,
        &url("images/trainer/Dockerfile?ref=feature/tenure-buckets"),
        None,
    )
    .await;
    assert_eq!(
        decode(&head.body["content"]),
        pr41.files["images/trainer/Dockerfile"]
    );
    let by_sha = send(
        Method::GET,
        &url(&format!("images/trainer/Dockerfile?ref={}", pr41.head_sha)),
        None,
    )
    .await;
    assert_eq!(by_sha.body["content"], head.body["content"]);
    let base = send(
        Method::GET,
        &url("images/trainer/Dockerfile?ref=main"),
        None,
    )
    .await;
    assert_eq!(
        decode(&base.body["content"]),
        scenario.github.files["images/trainer/Dockerfile"]
    );
    let added = send(
        Method::GET,
        &url("src/features/tenure.py?ref=feature/tenure-buckets"),
        None,
    )
    .await;
    assert_eq!(added.status, StatusCode::OK);
    let missing = send(Method::GET, &url("src/features/tenure.py"), None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body["message"], "Not Found");
    let bad_ref = send(Method::GET, &url("pipeline.yaml?ref=no-such-branch"), None).await;
    assert_eq!(bad_ref.status, StatusCode::NOT_FOUND);
    assert_eq!(
        bad_ref.body["message"],
        "No commit found for the ref no-such-branch"
    );

    // Directories list their entries.
    let dir = send(Method::GET, &url("deployment"), None).await;
    let names: Vec<&str> = dir
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["inference_service.yaml", "sample_input.json"]);
    for path in [
        "deployment/inference_service.yaml",
        "deployment/sample_input.json",
        "kaniko/pod.yaml",
        "images/server/Dockerfile",
    ] {
        let f = send(Method::GET, &url(path), None).await;
        assert_eq!(f.status, StatusCode::OK, "{path}");
    }
    let isvc = &scenario.github.files["deployment/inference_service.yaml"];
    assert!(
        isvc.contains("apiVersion: serving.kserve.io/v1beta1")
            && isvc.contains("kind: InferenceService")
    );
    let sample: Value =
        serde_json::from_str(&scenario.github.files["deployment/sample_input.json"]).unwrap();
    assert!(sample.is_object());
    sim.shutdown().await;
}

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
        (None, 401),
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

/// The last value of a hidden Kfops variable in comment bodies.
fn last_var(bodies: &[String], name: &str) -> Option<String> {
    let re = Regex::new(&format!(r"<!-- {name}=({UUID}) -->")).unwrap();
    bodies
        .iter()
        .flat_map(|b| {
            re.captures_iter(b)
                .map(|c| c[1].to_owned())
                .collect::<Vec<_>>()
        })
        .last()
}

/// Whether a bot comment is exactly one of Kfops' message templates.
fn is_kfops_message(body: &str) -> bool {
    let build = Regex::new(&format!(
        "^\nPipeline compiled successfully\\. <a href=\"[^\"]+\" target=\"_blank\">Details</a><br/>\n<!-- KFOPS_VERSION_ID={UUID} -->\n(<br/>Type: <code>&#47;run</code> to run the compiled pipeline\\.)?$"
    ))
    .unwrap();
    let started = Regex::new(
        "^\nPipeline run started\\. <a href=\"[^\"]+\" target=\"_blank\">Details</a>\nWait for completion message\\.\n$",
    )
    .unwrap();
    let completed = Regex::new(&format!(r"^\nPipeline run successfully completed after ([0-9:.]+)\.\n[\s\S]*KFOPS_RUN_ID=({UUID}) -->\n$")).unwrap();
    if let Some(c) = completed.captures(body) {
        let (run_time, run_id) = (&c[1], &c[2]);
        let exact = format!(
            "\nPipeline run successfully completed after {run_time}.\n\n* Type: <code>&#47;deploy</code> to deploy to production model from last pipeline run (in this PR).\n* Type: <code>&#47;deploy --run-id={run_id}</code> to deploy to production this particular pipeline run.\n* Type: <code>&#47;staging_deploy</code> to deploy to staging model from last pipeline run (in this PR).\n* Type: <code>&#47;staging_deploy --run-id={run_id}</code> to deploy to staging this particular pipeline run.\n\n<b>Note:</b> Sucessful deployment to production will automatically merge your code with base branch and close the Pull request.\n<!-- KFOPS_RUN_ID={run_id} -->\n"
        );
        return body == exact;
    }
    build.is_match(body) || started.is_match(body)
}

/// Expected facts of the demo PRs (the table at the top of assets/demo/scenario.toml).
struct Facts {
    number: u64,
    open: bool,
    behind: u64,
    mergeable: Option<bool>,
    state: &'static str,
    labels: &'static [&'static str],
    version: Option<&'static str>,
    run: Option<&'static str>,
}

const DEMO_FACTS: &[Facts] = &[
    Facts {
        number: 40,
        open: false,
        behind: 4,
        mergeable: None,
        state: "unknown",
        labels: &["Deployed-to-production"],
        version: Some("90b3db80-5649-41f1-b35b-df26e54416aa"),
        run: Some("1944c4b2-af10-4f57-bad0-7233f4788c0d"),
    },
    Facts {
        number: 41,
        open: true,
        behind: 0,
        mergeable: Some(true),
        state: "clean",
        labels: &["enhancement"],
        version: Some("b0db9b80-aec1-4b3d-9549-667ffd024a05"),
        run: Some("28caaa6e-ad23-44d2-9546-de190ef52d35"),
    },
    Facts {
        number: 42,
        open: true,
        behind: 3,
        mergeable: Some(true),
        state: "behind",
        labels: &[],
        version: Some("7506cd62-5e7c-47b6-a61c-c8b9e9d2c602"),
        run: None,
    },
    Facts {
        number: 43,
        open: true,
        behind: 1,
        mergeable: Some(false),
        state: "dirty",
        labels: &["dependencies"],
        version: Some("c4a00cf8-8853-41cf-9e9d-773aec630f4a"),
        run: None,
    },
    Facts {
        number: 44,
        open: true,
        behind: 0,
        mergeable: Some(true),
        state: "clean",
        labels: &["Deployed-to-staging"],
        version: Some("8be58e4a-0081-44aa-83e2-306264151e1c"),
        run: Some("f1669f97-4534-47b5-82ec-4ca5d6b35337"),
    },
    Facts {
        number: 45,
        open: true,
        behind: 0,
        mergeable: Some(true),
        state: "draft",
        labels: &["experiment"],
        version: None,
        run: None,
    },
];

#[tokio::test]
async fn the_demo_scenario_holds_the_promised_prs() {
    let scenario =
        Scenario::from_toml_str(Scenario::demo_toml()).expect("the embedded demo scenario parses");
    let sim = Simulator::start("127.0.0.1:0".parse().unwrap(), scenario.clone())
        .await
        .unwrap();
    let gh = &scenario.github;
    assert_eq!(
        (gh.repository.owner.as_str(), gh.repository.name.as_str()),
        (OWNER, REPO)
    );
    assert_eq!(gh.repository.default_branch, "main");
    let colour = |name: &str| {
        gh.labels
            .iter()
            .find(|l| l.name == name)
            .map(|l| l.color.as_str())
    };
    assert_eq!(colour("Deployed-to-production"), Some("0e8a16"));
    assert_eq!(colour("Deployed-to-staging"), Some("fbca04"));
    assert!(gh.labels.len() >= 4);
    assert_eq!(gh.pulls.len(), DEMO_FACTS.len());

    for facts in DEMO_FACTS {
        let n = facts.number;
        let pr = send(
            Method::GET,
            &format!("{}{}", sim.github_url(), repo_path(&format!("/pulls/{n}"))),
            None,
        )
        .await;
        let pr = pr.body;
        assert_eq!(
            pr["state"],
            if facts.open { "open" } else { "closed" },
            "#{n}"
        );
        assert_eq!(pr["mergeable"], json!(facts.mergeable), "#{n}");
        assert_eq!(pr["mergeable_state"], facts.state, "#{n}");
        let labels: Vec<&str> = pr["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["name"].as_str().unwrap())
            .collect();
        assert_eq!(labels, facts.labels, "#{n}");
        assert_eq!(gh.pull(n).unwrap().behind_by, facts.behind, "#{n}");
        let year = pr["created_at"].as_str().unwrap();
        assert!(year.starts_with("2026-"), "#{n} created in 2026: {year}");

        let comments = send(
            Method::GET,
            &format!(
                "{}{}",
                sim.github_url(),
                repo_path(&format!("/issues/{n}/comments?per_page=100"))
            ),
            None,
        )
        .await;
        let comments = comments.body.as_array().unwrap().clone();
        let bodies: Vec<String> = comments
            .iter()
            .map(|c| c["body"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            last_var(&bodies, "KFOPS_VERSION_ID").as_deref(),
            facts.version,
            "#{n} version"
        );
        assert_eq!(
            last_var(&bodies, "KFOPS_RUN_ID").as_deref(),
            facts.run,
            "#{n} run"
        );
        let mut times: Vec<&str> = comments
            .iter()
            .map(|c| c["created_at"].as_str().unwrap())
            .collect();
        let sorted = {
            let mut t = times.clone();
            t.sort();
            t
        };
        assert_eq!(times, sorted, "#{n} comments in time order");
        times.clear();
        for c in &comments {
            let body = c["body"].as_str().unwrap();
            let author = c["user"]["login"].as_str().unwrap();
            if author == "kfops-bot" {
                assert_eq!(c["user"]["type"], "Bot");
                assert!(
                    is_kfops_message(body) || body.starts_with("Model from pipeline run"),
                    "#{n}: bot comment is not a Kfops message: {body:?}"
                );
            } else if body.starts_with('/') {
                let command = body.split_whitespace().next().unwrap();
                assert!(
                    ["/build", "/run", "/deploy", "/staging_deploy"].contains(&command),
                    "#{n}: {body}"
                );
            }
        }
    }
    // #41 was built and run twice: the first IDs must lose to the last ones.
    let bodies: Vec<String> = gh
        .pull(41)
        .unwrap()
        .comments
        .iter()
        .map(|c| c.body.clone())
        .collect();
    assert!(
        bodies
            .iter()
            .filter(|b| b.contains("KFOPS_VERSION_ID="))
            .count()
            >= 2
    );
    assert!(
        bodies
            .iter()
            .filter(|b| b.contains("KFOPS_RUN_ID="))
            .count()
            >= 2
    );
    // #44 went to staging by command; #45 never saw Kfops.
    let p44 = gh.pull(44).unwrap();
    assert!(p44.comments.iter().any(|c| c.body == "/staging_deploy"));
    assert!(p44
        .comments
        .last()
        .unwrap()
        .body
        .contains("deployed to staging"));
    let p45 = gh.pull(45).unwrap();
    assert!(p45.draft);
    assert!(p45
        .comments
        .iter()
        .all(|c| c.author != "kfops-bot" && !c.body.starts_with('/')));
    let p40 = gh.pull(40).unwrap();
    assert!(p40.merged_at.is_some() && p40.merged_by.is_some());
    assert!(p40.comments.iter().any(|c| c.body == "/deploy"));
    sim.shutdown().await;
}

#[tokio::test]
async fn octocrab_reads_and_writes_the_simulated_github() {
    use octocrab::params;
    let sim = demo().await;
    let crab = octocrab::Octocrab::builder()
        .base_uri(sim.github_url())
        .unwrap()
        .personal_token("any-token".to_owned())
        .build()
        .unwrap();
    let first = crab
        .pulls(OWNER, REPO)
        .list()
        .state(params::State::All)
        .per_page(2)
        .send()
        .await
        .unwrap();
    assert_eq!(first.items.len(), 2);
    let mut numbers: Vec<u64> = first.items.iter().map(|p| p.number).collect();
    let mut next = first.next.clone();
    while let Some(page) = crab
        .get_page::<octocrab::models::pulls::PullRequest>(&next)
        .await
        .unwrap()
    {
        numbers.extend(page.items.iter().map(|p| p.number));
        next = page.next;
    }
    assert_eq!(numbers, [45, 43, 42, 41, 44, 40]);

    let pr = crab.pulls(OWNER, REPO).get(43).await.unwrap();
    assert_eq!(pr.mergeable, Some(false));
    assert_eq!(
        pr.mergeable_state,
        Some(octocrab::models::pulls::MergeableState::Dirty)
    );
    let pr = crab.pulls(OWNER, REPO).get(40).await.unwrap();
    assert_eq!(pr.merged_by.map(|u| u.login).as_deref(), Some("kfops-bot"));

    let cmp = crab
        .commits(OWNER, REPO)
        .compare("main", "tune/xgb-depth")
        .send()
        .await
        .unwrap();
    assert_eq!((cmp.behind_by, cmp.ahead_by), (3, 2));

    let comment = crab
        .issues(OWNER, REPO)
        .create_comment(42, "/run")
        .await
        .unwrap();
    let listed = crab
        .issues(OWNER, REPO)
        .list_comments(42)
        .per_page(100)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.items.last().map(|c| c.id), Some(comment.id));

    let labels = crab
        .issues(OWNER, REPO)
        .list_labels_for_issue(44)
        .send()
        .await
        .unwrap();
    assert_eq!(labels.items[0].name, "Deployed-to-staging");
    let repo_labels = crab
        .issues(OWNER, REPO)
        .list_labels_for_repo()
        .per_page(100)
        .send()
        .await
        .unwrap();
    assert!(repo_labels
        .items
        .iter()
        .any(|l| l.name == "Deployed-to-production" && l.color == "0e8a16"));

    let mut content = crab
        .repos(OWNER, REPO)
        .get_content()
        .path("deployment/inference_service.yaml")
        .r#ref("feature/isotonic-calibration")
        .send()
        .await
        .unwrap();
    let file = content.take_items().pop().unwrap();
    assert!(file
        .decoded_content()
        .unwrap()
        .contains("kind: InferenceService"));
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
