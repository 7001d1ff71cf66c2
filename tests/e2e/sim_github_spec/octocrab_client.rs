//! The real GitHub client, octocrab, against the simulated GitHub.

use super::{demo, OWNER, REPO};

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
