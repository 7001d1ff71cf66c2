//! Pagination (`Link` headers) and the comment list after a POST.

use std::collections::BTreeMap;

use kfops_sim::Scenario;
use regex::Regex;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::{call, demo, repo_path, send};
use crate::support::openapi::Spec;

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

/// The `next` URL of a `Link` header.
pub(super) fn next_link(header: Option<&str>) -> Option<String> {
    links(header).get("next").cloned()
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
        .find(|r| r.method == Method::GET && r.path.ends_with("/comments"))
        .unwrap();
    assert_eq!(get.query.as_deref(), Some("per_page=100"));
    assert_eq!(get.status, StatusCode::OK);
    sim.shutdown().await;
}
