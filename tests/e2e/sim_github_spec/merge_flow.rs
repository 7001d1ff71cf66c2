//! Merging and closing over HTTP: GitHub's refusals (405, 409) change nothing; a merge moves
//! the base branch and every PR on it one commit further behind (compare agrees).

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::demo;
use super::labels_merge::{at, numbers, HEAD_41, OLD_TIP};

#[tokio::test]
async fn a_merge_moves_the_base_and_every_pr_falls_one_commit_further_behind() {
    let sim = demo().await;
    let gh = sim.github();
    let compare = |head: String| {
        let sim = &sim;
        async move {
            at(sim, Method::GET, &format!("/compare/main...{head}"), None)
                .await
                .body
        }
    };
    let scenario = kfops_sim::Scenario::demo();
    let others: Vec<_> = scenario
        .github
        .pulls
        .iter()
        .filter(|p| p.number != 41)
        .collect();

    let refused = at(
        &sim,
        Method::PUT,
        "/pulls/43/merge",
        Some(json!({"sha": "53d27fbc887d275ad513d8e01d68ee09cb68e428"})),
    )
    .await;
    assert_eq!(refused.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(refused.body["message"], "Pull Request is not mergeable");
    let draft = at(&sim, Method::PUT, "/pulls/45/merge", None).await;
    assert_eq!(draft.body["message"], "Pull Request is still a draft");
    let moved = at(
        &sim,
        Method::PUT,
        "/pulls/41/merge",
        Some(json!({"sha": OLD_TIP})),
    )
    .await;
    assert_eq!(moved.status, StatusCode::CONFLICT);
    assert_eq!(
        moved.body["message"],
        "Head branch was modified. Review and try the merge again."
    );
    assert!(!gh.is_merged(41), "refusals change nothing");

    let merged = at(
        &sim,
        Method::PUT,
        "/pulls/41/merge",
        Some(json!({"sha": HEAD_41, "merge_method": "merge"})),
    )
    .await;
    assert_eq!(merged.status, StatusCode::OK);
    assert_eq!(merged.body["merged"], true);
    assert_eq!(merged.body["message"], "Pull Request successfully merged");
    let sha = merged.body["sha"].as_str().unwrap().to_owned();
    assert_eq!(sha.len(), 40);
    assert_eq!(gh.base_sha(), sha);
    assert!(gh.is_merged(41));
    assert_eq!(
        gh.state_of(41),
        Some(kfops_sim::scenario::PullStatus::Closed)
    );

    let pr = at(&sim, Method::GET, "/pulls/41", None).await.body;
    assert_eq!(
        (&pr["state"], &pr["merged"]),
        (&json!("closed"), &json!(true))
    );
    assert_eq!(
        pr["merged_by"]["login"], "priya-ops",
        "the token's owner merges"
    );
    assert_eq!(pr["merge_commit_sha"], sha);
    assert!(pr["merged_at"].is_string() && pr["closed_at"].is_string());
    assert_eq!(
        at(&sim, Method::GET, "/issues/41", None).await.body["closed_by"]["login"],
        "priya-ops"
    );
    let again = at(&sim, Method::PUT, "/pulls/41/merge", None).await;
    assert_eq!(
        (again.status, &again.body["message"]),
        (
            StatusCode::METHOD_NOT_ALLOWED,
            &json!("Pull Request is not mergeable")
        )
    );

    // The base moved one commit: every other PR (open or closed) is one further behind.
    for p in &others {
        let c = compare(p.head_ref.clone()).await;
        assert_eq!(
            c["behind_by"].as_u64(),
            Some(p.behind_by + 1),
            "#{}",
            p.number
        );
        assert_eq!(c["ahead_by"].as_u64(), Some(p.ahead_by), "#{}", p.number);
        let fresh = at(&sim, Method::GET, &format!("/pulls/{}", p.number), None)
            .await
            .body;
        // GitHub leaves `base.sha` where it was when the PR was opened or last pushed to
        // (github/docs#431): the comparison, not `base.sha`, shows the base moved.
        assert_ne!(fresh["base"]["sha"], sha, "#{}", p.number);
    }
    let pr44 = at(&sim, Method::GET, "/pulls/44", None).await.body;
    assert_eq!(
        pr44["mergeable_state"], "behind",
        "clean PRs now need an update"
    );
    // The old tip is the merge commit's parent, and the merged files are on main.
    let step = at(
        &sim,
        Method::GET,
        &format!("/compare/{OLD_TIP}...main"),
        None,
    )
    .await
    .body;
    assert_eq!(
        (step["ahead_by"].as_u64(), step["behind_by"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(step["commits"][0]["sha"], sha);
    assert_eq!(step["commits"][0]["parents"][0]["sha"], OLD_TIP);
    let file = at(
        &sim,
        Method::GET,
        "/contents/src/features/tenure.py?ref=main",
        None,
    )
    .await;
    assert_eq!(file.status, StatusCode::OK);
    sim.shutdown().await;
}

#[tokio::test]
async fn closing_and_reopening_a_pr_through_pulls_and_issues() {
    let sim = demo().await;
    let gh = sim.github();
    let closed = at(
        &sim,
        Method::PATCH,
        "/pulls/42",
        Some(json!({"state": "closed"})),
    )
    .await;
    assert_eq!(closed.status, StatusCode::OK);
    assert_eq!(
        (&closed.body["state"], &closed.body["merged"]),
        (&json!("closed"), &json!(false))
    );
    assert!(closed.body["closed_at"].is_string());
    assert!(!gh.is_merged(42));
    assert_eq!(
        at(&sim, Method::GET, "/pulls/42/merge", None).await.status,
        StatusCode::NOT_FOUND
    );
    let listed = at(&sim, Method::GET, "/issues?state=closed", None).await;
    assert_eq!(numbers(&listed.body), [42, 40]);
    let merge = at(&sim, Method::PUT, "/pulls/42/merge", None).await;
    assert_eq!(
        merge.status,
        StatusCode::METHOD_NOT_ALLOWED,
        "a closed PR cannot be merged"
    );

    let reopened = at(
        &sim,
        Method::PATCH,
        "/issues/42",
        Some(json!({"state": "open"})),
    )
    .await;
    assert_eq!(reopened.status, StatusCode::OK);
    assert_eq!(
        (&reopened.body["state"], &reopened.body["closed_at"]),
        (&json!("open"), &Value::Null)
    );
    assert_eq!(reopened.body["closed_by"], Value::Null);
    let merged = at(
        &sim,
        Method::PATCH,
        "/pulls/40",
        Some(json!({"state": "open"})),
    )
    .await;
    assert_eq!(
        merged.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a merged PR stays closed"
    );
    assert_eq!(
        gh.state_of(40),
        Some(kfops_sim::scenario::PullStatus::Closed)
    );
    assert_eq!(gh.state_of(999), None);
    sim.shutdown().await;
}
