//! Labels, the issues list, issue/PR updates and merges: every answer checked against GitHub's
//! description, and labels matched case-insensitively, following renames and deletes.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::{call, demo, repo_path, send, Answer};
use crate::support::openapi::Spec;

pub(super) const HEAD_41: &str = "16ad8062ac9ffa71ade3292078168c9ab89b3251";
pub(super) const OLD_TIP: &str = "4675fb8b577d300d6e11c862ebe142a241a3e5fb";

pub(super) async fn at(
    sim: &kfops_sim::Simulator,
    method: Method,
    rest: &str,
    body: Option<Value>,
) -> Answer {
    send(
        method,
        &format!("{}{}", sim.github_url(), repo_path(rest)),
        body,
    )
    .await
}

fn names(labels: &Value) -> Vec<&str> {
    labels
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect()
}

pub(super) fn numbers(items: &Value) -> Vec<u64> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["number"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn label_issue_and_merge_operations_answer_as_the_github_description_says() {
    let spec = Spec::github();
    let sim = demo().await;
    let issues = "/repos/{owner}/{repo}/issues";
    let issue = "/repos/{owner}/{repo}/issues/{issue_number}";
    let labels = "/repos/{owner}/{repo}/labels";
    let label = "/repos/{owner}/{repo}/labels/{name}";
    let issue_labels = "/repos/{owner}/{repo}/issues/{issue_number}/labels";
    let issue_label = "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}";
    let pull = "/repos/{owner}/{repo}/pulls/{pull_number}";
    let merge = "/repos/{owner}/{repo}/pulls/{pull_number}/merge";
    let (get, post, put, patch, delete) = (
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
    );
    let stale = "0".repeat(40);
    // In order: later rows see what earlier ones changed.
    #[rustfmt::skip]
    let cases: Vec<(&Method, &str, String, Option<Value>, u16)> = vec![
        (&get, issues, repo_path("/issues"), None, 200),
        (&get, issues, repo_path("/issues?state=all&labels=Deployed-to-production"), None, 200),
        (&get, issues, repo_path("/issues?labels=enhancement,bug&state=closed&sort=comments&direction=asc"), None, 200),
        (&get, issues, repo_path("/issues?state=all&per_page=2&page=2"), None, 200),
        (&get, issues, repo_path("/issues?state=merged"), None, 422),
        (&get, issues, repo_path("/issues?sort=newest"), None, 422),
        (&get, issues, "/repos/someone/else/issues".into(), None, 404),
        (&get, issue, repo_path("/issues/40"), None, 200),
        (&get, issue, repo_path("/issues/41"), None, 200),
        (&get, issue, repo_path("/issues/999"), None, 404),
        (&patch, issue, repo_path("/issues/42"), Some(json!({"title": "Tune XGBoost depth", "labels": ["bug", {"name": "enhancement"}]})), 200),
        (&patch, issue, repo_path("/issues/42"), Some(json!({"state": "reopened"})), 422),
        (&patch, issue, repo_path("/issues/40"), Some(json!({"state": "open"})), 422),
        (&patch, issue, repo_path("/issues/999"), Some(json!({"state": "closed"})), 404),
        (&post, labels, repo_path("/labels"), Some(json!({"name": "kfops-test", "color": "5319e7", "description": "made by a test"})), 201),
        (&post, labels, repo_path("/labels"), Some(json!({"name": "KFOPS-TEST"})), 422),
        (&post, labels, repo_path("/labels"), Some(json!({"name": "q", "color": "#5319e7"})), 422),
        (&post, labels, repo_path("/labels"), Some(json!({"color": "5319e7"})), 422),
        (&post, labels, "/repos/someone/else/labels".into(), Some(json!({"name": "x"})), 404),
        (&get, label, repo_path("/labels/kfops-test"), None, 200),
        (&patch, label, repo_path("/labels/KFOPS-TEST"), Some(json!({"new_name": "kfops-renamed", "color": "000000", "description": ""})), 200),
        (&delete, label, repo_path("/labels/kfops-renamed"), None, 204),
        (&get, issue_labels, repo_path("/issues/45/labels"), None, 200),
        (&post, issue_labels, repo_path("/issues/45/labels"), Some(json!({"labels": ["bug", {"name": "brand-new"}]})), 200),
        (&post, issue_labels, repo_path("/issues/45/labels"), Some(json!(["enhancement"])), 200),
        (&post, issue_labels, repo_path("/issues/45/labels"), Some(json!([{"name": "bug"}])), 200),
        (&post, issue_labels, repo_path("/issues/45/labels"), Some(json!({"labels": []})), 422),
        (&post, issue_labels, repo_path("/issues/45/labels"), Some(json!({"names": ["bug"]})), 422),
        (&post, issue_labels, repo_path("/issues/999/labels"), Some(json!({"labels": ["bug"]})), 404),
        (&put, issue_labels, repo_path("/issues/45/labels"), Some(json!({"labels": ["experiment", "bug"]})), 200),
        (&put, issue_labels, repo_path("/issues/45/labels"), Some(json!("experiment")), 200),
        (&put, issue_labels, repo_path("/issues/45/labels"), Some(json!([{"name": "bug"}])), 200),
        (&put, issue_labels, repo_path("/issues/45/labels"), Some(json!({"labels": []})), 200),
        (&put, issue_labels, repo_path("/issues/45/labels"), Some(json!(7)), 422),
        (&delete, issue_label, repo_path("/issues/44/labels/Deployed-to-staging"), None, 200),
        (&delete, issue_label, repo_path("/issues/44/labels/Deployed-to-staging"), None, 404),
        (&delete, issue_label, repo_path("/issues/999/labels/bug"), None, 404),
        (&delete, issue_labels, repo_path("/issues/43/labels"), None, 204),
        (&delete, issue_labels, repo_path("/issues/999/labels"), None, 404),
        (&patch, pull, repo_path("/pulls/42"), Some(json!({"title": "Tune depth", "body": "Deeper trees."})), 200),
        (&patch, pull, repo_path("/pulls/42"), Some(json!({"state": "merged"})), 422),
        (&patch, pull, repo_path("/pulls/40"), Some(json!({"state": "open"})), 422),
        (&get, merge, repo_path("/pulls/40/merge"), None, 204),
        (&get, merge, repo_path("/pulls/41/merge"), None, 404),
        (&get, merge, repo_path("/pulls/999/merge"), None, 404),
        (&put, merge, repo_path("/pulls/43/merge"), Some(json!({})), 405),
        (&put, merge, repo_path("/pulls/45/merge"), Some(json!({})), 405),
        (&put, merge, repo_path("/pulls/41/merge"), Some(json!({"sha": stale})), 409),
        (&put, merge, repo_path("/pulls/41/merge"), Some(json!({"merge_method": "octopus"})), 422),
        (&put, merge, repo_path("/pulls/999/merge"), Some(json!({})), 404),
        (&put, merge, repo_path("/pulls/41/merge"), Some(json!({"sha": HEAD_41, "commit_title": "Merge #41"})), 200),
        (&put, merge, repo_path("/pulls/41/merge"), Some(json!({})), 405),
        (&put, merge, repo_path("/pulls/40/merge"), None, 405),
        (&get, merge, repo_path("/pulls/41/merge"), None, 204),
        (&patch, pull, repo_path("/pulls/44"), Some(json!({"state": "closed"})), 200),
        (&patch, pull, repo_path("/pulls/44"), Some(json!({"state": "open"})), 200),
        (&patch, issue, repo_path("/issues/44"), Some(json!({"state": "closed"})), 200),
    ];
    for (method, template, path, body, status) in cases {
        call(&spec, &sim, method.clone(), template, &path, body, status).await;
    }

    // GitHub answers these too, though the description declares only the success status.
    let basic = spec.schema("basic-error");
    let validation = spec.schema("validation-error");
    for (method, rest, body, status, schema) in [
        (
            Method::PATCH,
            "/labels/nope",
            json!({"color": "000000"}),
            404,
            basic,
        ),
        (Method::DELETE, "/labels/nope", Value::Null, 404, basic),
        (
            Method::PATCH,
            "/labels/bug",
            json!({"new_name": "Enhancement"}),
            422,
            validation,
        ),
        (
            Method::PATCH,
            "/pulls/999",
            json!({"state": "closed"}),
            404,
            basic,
        ),
    ] {
        let body = (!body.is_null()).then_some(body);
        let answer = at(&sim, method.clone(), rest, body).await;
        assert_eq!(
            answer.status.as_u16(),
            status,
            "{method} {rest}: {}",
            answer.body
        );
        assert_eq!(
            spec.validate(schema, &answer.body),
            Vec::<String>::new(),
            "{rest}"
        );
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn labels_match_case_insensitively_and_follow_renames_and_deletes() {
    let sim = demo().await;
    let gh = sim.github();
    let taken = at(
        &sim,
        Method::POST,
        "/labels",
        Some(json!({"name": "deployed-TO-production"})),
    )
    .await;
    assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(taken.body["message"], "Validation Failed");
    assert_eq!(
        taken.body["errors"],
        json!([{"resource": "Label", "field": "name", "code": "already_exists"}])
    );

    // Adding takes the repository's spelling and defines unknown labels (grey), once.
    let body = json!({"labels": ["deployed-to-production", "Needs-Review"]});
    let added = at(&sim, Method::POST, "/issues/42/labels", Some(body.clone())).await;
    assert_eq!(added.status, StatusCode::OK);
    assert_eq!(
        names(&added.body),
        ["Deployed-to-production", "Needs-Review"]
    );
    let again = at(&sim, Method::POST, "/issues/42/labels", Some(body)).await;
    assert_eq!(
        names(&again.body),
        ["Deployed-to-production", "Needs-Review"]
    );
    let created = at(&sim, Method::GET, "/labels/needs-review", None).await;
    assert_eq!(
        (created.status, &created.body["color"]),
        (StatusCode::OK, &json!("ededed"))
    );

    let removed = at(&sim, Method::DELETE, "/issues/42/labels/needs-review", None).await;
    assert_eq!(removed.status, StatusCode::OK);
    assert_eq!(names(&removed.body), ["Deployed-to-production"]);
    let missing = at(&sim, Method::DELETE, "/issues/42/labels/Needs-Review", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body["message"], "Label does not exist");
    assert_eq!(
        missing.body["documentation_url"],
        "https://docs.github.com/rest/issues/labels#remove-a-label-from-an-issue"
    );

    // A rename follows onto the PRs; a delete takes the label off them.
    let renamed = at(
        &sim,
        Method::PATCH,
        "/labels/Deployed-to-production",
        Some(json!({"new_name": "Deployed-to-prod"})),
    )
    .await;
    assert_eq!(renamed.body["name"], "Deployed-to-prod");
    assert_eq!(renamed.body["color"], "0e8a16", "colour kept");
    assert_eq!(gh.labels_of(40), ["Deployed-to-prod"]);
    assert_eq!(gh.labels_of(42), ["Deployed-to-prod"]);
    let deleted = at(&sim, Method::DELETE, "/labels/deployed-to-prod", None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(
        deleted.header("content-type"),
        None,
        "a 204 has no body type"
    );
    assert!(gh.labels_of(40).is_empty() && gh.labels_of(42).is_empty());
    let gone = at(&sim, Method::GET, "/labels/Deployed-to-prod", None).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    sim.shutdown().await;
}

#[tokio::test]
async fn the_issue_list_filters_by_labels_state_and_creator_and_paginates() {
    let sim = demo().await;
    let list = |query: &'static str| {
        let sim = &sim;
        async move { at(sim, Method::GET, &format!("/issues?{query}"), None).await }
    };
    let open = list("labels=Deployed-to-production").await;
    assert_eq!(numbers(&open.body), Vec::<u64>::new(), "open by default");
    let all = list("labels=Deployed-to-production&state=all").await;
    assert_eq!(numbers(&all.body), [40]);
    let pr = &all.body[0];
    assert_eq!(pr["state"], "closed");
    assert!(pr["pull_request"]["url"]
        .as_str()
        .unwrap()
        .ends_with("/repos/acme-ml/churn-model/pulls/40"));
    assert!(pr["pull_request"]["merged_at"].is_string());
    assert!(
        pr.get("closed_by").is_none(),
        "only single issues name who closed them"
    );
    assert_eq!(
        numbers(&list("labels=experiment,enhancement").await.body),
        Vec::<u64>::new()
    );
    assert_eq!(numbers(&list("labels=EXPERIMENT").await.body), [45]);
    assert_eq!(
        numbers(&list("creator=maria-ds&state=all").await.body),
        [42, 44, 40]
    );
    assert_eq!(numbers(&list("state=closed").await.body), [40]);

    // Pages follow the Link header, filters kept.
    let first = list("state=all&per_page=2").await;
    let mut seen = numbers(&first.body);
    let mut next = super::lists::next_link(first.header("link"));
    while let Some(url) = next {
        assert!(url.contains("state=all"), "{url}");
        let page = send(Method::GET, &url, None).await;
        seen.extend(numbers(&page.body));
        next = super::lists::next_link(page.header("link"));
    }
    assert_eq!(seen, [45, 43, 42, 41, 44, 40]);
    sim.shutdown().await;
}
