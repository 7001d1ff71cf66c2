//! GitHub's request budget: the simulator answers conditional requests as GitHub documents
//! them (`ETag`, `If-None-Match` → 304, which an authorized request is not charged for) and
//! refuses requests past the primary limit with GitHub's 403.

use kfops_console::sim::{Scenario, Simulator};
use reqwest::StatusCode;

async fn start() -> Simulator {
    Simulator::start(([127, 0, 0, 1], 0).into(), Scenario::demo())
        .await
        .unwrap()
}

/// The first open PR's path in the demo repository.
fn pulls_url(sim: &Simulator) -> String {
    let (owner, name) = sim
        .github()
        .read(|s| (s.repo.owner.clone(), s.repo.name.clone()));
    format!("{}/repos/{owner}/{name}/pulls", sim.github_url())
}

async fn get(url: &str, token: Option<&str>, etag: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(url);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    if let Some(etag) = etag {
        request = request.header("if-none-match", etag);
    }
    request.send().await.unwrap()
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response.headers().get(name).unwrap().to_str().unwrap()
}

#[tokio::test]
async fn an_unchanged_list_is_a_free_304_and_a_change_a_new_etag() {
    let sim = start().await;
    let url = pulls_url(&sim);
    let first = get(&url, Some("t"), None).await;
    assert_eq!(first.status(), StatusCode::OK);
    let etag = header(&first, "etag").to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");
    let used = header(&first, "x-ratelimit-used").to_owned();

    let again = get(&url, Some("t"), Some(&etag)).await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&again, "etag"), etag);
    assert_eq!(
        header(&again, "x-ratelimit-used"),
        used,
        "a 304 was counted"
    );
    assert_eq!(again.bytes().await.unwrap().len(), 0);

    // Without a token a 304 is charged (GitHub: only "correctly authorized" ones are free).
    sim.github().update(|s| s.repo.private = false);
    let anonymous = get(&url, None, None).await;
    let (anonymous_etag, used) = (
        header(&anonymous, "etag").to_owned(),
        header(&anonymous, "x-ratelimit-used")
            .parse::<u64>()
            .unwrap(),
    );
    let anonymous = get(&url, None, Some(&anonymous_etag)).await;
    assert_eq!(anonymous.status(), StatusCode::NOT_MODIFIED);
    let used_now: u64 = header(&anonymous, "x-ratelimit-used").parse().unwrap();
    assert_eq!(used_now, used + 1);

    // A change on GitHub: the old ETag no longer matches.
    sim.github().update(|s| {
        for pr in s.pulls.values_mut() {
            pr.title.push_str(" (edited)");
        }
    });
    let changed = get(&url, Some("t"), Some(&anonymous_etag)).await;
    assert_eq!(changed.status(), StatusCode::OK);
    assert_ne!(header(&changed, "etag"), anonymous_etag);
}

#[tokio::test]
async fn past_the_primary_limit_github_answers_403_rate_limit_exceeded() {
    let sim = start().await;
    sim.github().update(|s| s.rate_limit = s.rate_used + 1);
    let url = pulls_url(&sim);
    assert_eq!(get(&url, Some("t"), None).await.status(), StatusCode::OK);
    let refused = get(&url, Some("t"), None).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(header(&refused, "x-ratelimit-remaining"), "0");
    let body: serde_json::Value = refused.json().await.unwrap();
    let message = body["message"].as_str().unwrap();
    assert!(message.starts_with("API rate limit exceeded"), "{message}");
}
