//! What a deploy does on GitHub, through the console's real client (octocrab) against the
//! simulated GitHub: the label made once and moved between PRs, the merge guarded by the
//! head SHA with operator hints when GitHub refuses, and the close.

use kfops_console::backends::github::GitHub;
use kfops_sim::scenario::PullStatus;
use kfops_sim::{Scenario, Simulator};

use super::{demo, OWNER, REPO};

const PROD: &str = "Deployed-to-production";
const STAGING: &str = "Deployed-to-staging";

/// A client with a token: the demo repository is private (404 to anonymous requests, and
/// writes need authentication, as on GitHub).
fn client(sim: &Simulator) -> GitHub {
    let token = kfops_console::config::Secret::new("any-token");
    GitHub::new(&sim.github_url(), Some(&token), OWNER, REPO).unwrap()
}

fn label_count(sim: &Simulator) -> usize {
    sim.github().read(|s| s.labels.len())
}

#[tokio::test]
async fn ensure_label_creates_the_label_once_and_other_422s_still_fail() {
    let sim = demo().await;
    let gh = client(&sim);
    let before = label_count(&sim);
    gh.ensure_label("Deployed-to-canary", "1d76db", "Deployed by Kfops")
        .await
        .unwrap();
    assert_eq!(label_count(&sim), before + 1);
    let made = sim
        .github()
        .read(|s| s.label("deployed-to-canary").cloned())
        .unwrap();
    assert_eq!(
        (made.color.as_str(), made.description.as_deref()),
        ("1d76db", Some("Deployed by Kfops"))
    );
    // Again, and for a label the scenario already has: GitHub's 422 already_exists is fine.
    gh.ensure_label("Deployed-to-canary", "1d76db", "Deployed by Kfops")
        .await
        .unwrap();
    gh.ensure_label(PROD, "000000", "").await.unwrap();
    assert_eq!(label_count(&sim), before + 1, "no second label");
    assert_eq!(
        sim.github().read(|s| s.label(PROD).unwrap().color.clone()),
        "0e8a16",
        "left as it was"
    );
    // A 422 for another reason is an error.
    let err = gh
        .ensure_label("broken", "not-a-colour", "")
        .await
        .unwrap_err();
    assert_eq!(err.status, Some(422), "{err}");
    sim.shutdown().await;
}

#[tokio::test]
async fn labels_are_added_removed_and_found_on_closed_prs_too() {
    let sim = demo().await;
    let gh = client(&sim);
    // state=all: the closed, merged #40 holds the production label.
    assert_eq!(gh.numbers_with_label(PROD).await.unwrap(), [40]);
    assert_eq!(gh.numbers_with_label(STAGING).await.unwrap(), [44]);

    gh.add_label(41, PROD).await.unwrap();
    gh.add_label(41, PROD).await.unwrap();
    assert_eq!(sim.github().labels_of(41), ["enhancement", PROD]);
    assert_eq!(gh.numbers_with_label(PROD).await.unwrap(), [40, 41]);

    gh.remove_label(40, PROD).await.unwrap();
    assert!(sim.github().labels_of(40).is_empty());
    // Not there (GitHub's 404 "Label does not exist") is fine...
    gh.remove_label(40, PROD).await.unwrap();
    gh.remove_label(42, "never-defined").await.unwrap();
    assert_eq!(gh.numbers_with_label(PROD).await.unwrap(), [41]);
    // ...but a PR that does not exist is an error.
    let err = gh.remove_label(999, PROD).await.unwrap_err();
    assert_eq!(err.status, Some(404), "{err}");
    let err = gh.add_label(999, PROD).await.unwrap_err();
    assert_eq!(err.status, Some(404), "{err}");
    sim.shutdown().await;
}

#[tokio::test]
async fn numbers_with_label_reads_every_page() {
    let mut scenario = Scenario::demo();
    let template = scenario.github.pull(44).unwrap().clone();
    for n in 100..230u64 {
        let mut pr = template.clone();
        pr.number = n;
        pr.head_ref = format!("bulk/{n}");
        pr.head_sha = format!("{n:0>40}");
        pr.comments.clear();
        pr.state = if n % 2 == 0 {
            PullStatus::Open
        } else {
            PullStatus::Closed
        };
        scenario.github.pulls.push(pr);
    }
    let sim = Simulator::start("127.0.0.1:0".parse().unwrap(), scenario)
        .await
        .unwrap();
    let found = client(&sim).numbers_with_label(STAGING).await.unwrap();
    let expected: Vec<u64> = std::iter::once(44).chain(100..230).collect();
    assert_eq!(found, expected, "131 PRs need two pages of 100");
    let pages = sim
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/issues"))
        .count();
    assert_eq!(pages, 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn merge_guards_the_head_and_explains_refusals_then_close_closes() {
    let sim = demo().await;
    let gh = client(&sim);
    let github = sim.github();

    // #43 conflicts with main: 405 with what to do.
    let head43 = gh.deploy_check(43).await.unwrap().head_sha;
    let err = gh.merge(43, &head43, "Deploy #43").await.unwrap_err();
    assert_eq!(err.status, Some(405), "{err}");
    assert!(
        err.message.contains("Pull Request is not mergeable"),
        "{err}"
    );
    assert_eq!(
        err.hint.as_deref(),
        Some("the PR is not mergeable (conflicts or checks); resolve it on GitHub")
    );

    // #44's head moves after the check: 409, nothing merged.
    let check = gh.deploy_check(44).await.unwrap();
    let (behind, checked) = (check.behind, check.head_sha);
    assert_eq!(behind, 0);
    let pushed = "b".repeat(40);
    assert!(github.set_head_sha(44, &pushed));
    let err = gh.merge(44, &checked, "Deploy #44").await.unwrap_err();
    assert_eq!(err.status, Some(409), "{err}");
    assert!(err.message.contains("Head branch was modified"), "{err}");
    assert_eq!(
        err.hint.as_deref(),
        Some("the PR head moved since it was checked; refresh and retry")
    );
    assert!(!github.is_merged(44));

    // A fresh check sees the new head; merging it works.
    let behind42_before = gh.deploy_check(42).await.unwrap().behind;
    let check44 = gh.deploy_check(44).await.unwrap();
    assert_eq!((check44.behind, check44.head_sha), (0, pushed.clone()));
    let sha = gh
        .merge(44, &pushed, "Deploy #44 to production")
        .await
        .unwrap();
    assert!(github.is_merged(44));
    assert_eq!(github.state_of(44), Some(PullStatus::Closed));
    assert_eq!(
        github.pull(44).unwrap().merge_commit_sha.as_deref(),
        Some(sha.as_str())
    );
    assert_eq!(github.base_sha(), sha);
    let behind42 = gh.deploy_check(42).await.unwrap().behind;
    assert_eq!(behind42, behind42_before + 1, "the other PRs fell behind");
    assert_eq!(gh.deploy_check(41).await.unwrap().behind, 1);
    // The recorded merge carried the head SHA and the title.
    let put = sim
        .requests()
        .into_iter()
        .find(|r| {
            r.method == reqwest::Method::PUT
                && r.path.ends_with("/pulls/44/merge")
                && r.status == 200
        })
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(put.body.as_deref().unwrap()).unwrap();
    assert_eq!(body["sha"], pushed);
    assert_eq!(body["commit_title"], "Deploy #44 to production");

    // Close: a PR that is closed, not merged; closing twice is fine.
    gh.close(42).await.unwrap();
    assert_eq!(github.state_of(42), Some(PullStatus::Closed));
    assert!(!github.is_merged(42));
    gh.close(42).await.unwrap();
    let err = gh.close(999).await.unwrap_err();
    assert_eq!(err.status, Some(404), "{err}");
    sim.shutdown().await;
}
