//! GitHub's request budget: the simulator answers conditional requests as GitHub documents
//! them (`ETag`, `If-None-Match` → 304, which an authorized request is not charged for) and
//! refuses requests past the primary limit with GitHub's 403.

use kfops_sim::{Scenario, Simulator};
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

/// The open PRs of the demo repository grown to `count` (copies of its first open PR).
fn open_prs(sim: &Simulator, count: u64) {
    sim.github().update(|s| {
        let open: Vec<_> = s
            .pulls
            .values()
            .filter(|p| p.state == kfops_sim::scenario::PullStatus::Open)
            .cloned()
            .collect();
        let template = open.first().cloned().unwrap();
        let missing = count.saturating_sub(open.len() as u64);
        for number in 500..500 + missing {
            let mut pr = template.clone();
            pr.number = number;
            pr.title = format!("copy {number}");
            s.pulls.insert(number, pr);
        }
    });
}

/// Requests counted against the primary limit so far.
fn counted(sim: &Simulator) -> u64 {
    sim.github().read(|s| s.rate_used)
}

/// A client of the demo repository on the simulator, with a token.
fn client(sim: &Simulator) -> kfops_console::backends::github::GitHub {
    let token = kfops_console::config::Secret::new("ghp_budget_test_token");
    let (owner, name) = sim
        .github()
        .read(|s| (s.repo.owner.clone(), s.repo.name.clone()));
    kfops_console::backends::github::GitHub::new(&sim.github_url(), Some(&token), &owner, &name)
        .unwrap()
}

/// What `refreshes` refreshes cost: (counted against the limit, sent), checking each one
/// returns `expected`.
async fn cost(
    sim: &Simulator,
    github: &kfops_console::backends::github::GitHub,
    refreshes: u64,
    expected: &[kfops_console::domain::PullRequest],
) -> (u64, u64) {
    let before = (counted(sim), sim.requests().len());
    for _ in 0..refreshes {
        assert_eq!(github.open_pull_requests().await.unwrap(), expected);
    }
    (
        counted(sim) - before.0,
        (sim.requests().len() - before.1) as u64,
    )
}

/// The request-budget harness (docs/PERFORMANCE.md): 20 open PRs, N refreshes with nothing
/// changed on GitHub cost N × 0 counted requests (every read is a conditional 304) and N × (1 +
/// 2 per PR) sent (the list, each PR's comparison and comments; the PR's details are not read
/// again while its list entry and comparison are unchanged).
#[tokio::test]
async fn idle_refreshes_cost_no_counted_requests_and_few_sent() {
    const OPEN_PRS: u64 = 20;
    const REFRESHES: u64 = 10;
    let sim = start().await;
    open_prs(&sim, OPEN_PRS);
    let github = client(&sim);

    let before = counted(&sim);
    let prs = github.open_pull_requests().await.unwrap();
    assert_eq!(prs.len() as u64, OPEN_PRS);
    let first_refresh = counted(&sim) - before;
    let first_sent = sim.requests().len() as u64;
    // The list, then per PR its details, its comparison and its comments (the copies share
    // their comparison, so some of those are already 304s).
    assert!(first_refresh <= 1 + 3 * OPEN_PRS, "{first_refresh}");

    let log_before = sim.requests().len();
    let (idle, sent) = cost(&sim, &github, REFRESHES, &prs).await;
    let log = sim.requests().split_off(log_before);
    println!(
        "budget: {OPEN_PRS} open PRs: first refresh {first_refresh} counted requests \
         ({first_sent} sent); {REFRESHES} idle refreshes {idle} counted ({sent} sent, {} \
         answered 304)",
        log.iter().filter(|r| r.status == 304).count()
    );
    assert_eq!(idle, 0, "idle refreshes were charged");
    assert_eq!(sent, REFRESHES * (1 + 2 * OPEN_PRS), "requests sent");
    assert!(
        log.iter().all(|r| r.status == 304),
        "every idle read is a 304"
    );
    assert!(
        !log.iter().any(|r| r.path.contains("/pulls/")),
        "no PR's details were read again"
    );
}

/// A new comment, a push and a move of the base branch each show on the very next refresh.
#[tokio::test]
async fn a_comment_a_push_and_a_base_move_show_on_the_next_refresh() {
    let sim = start().await;
    open_prs(&sim, 5);
    let github = client(&sim);
    let prs = github.open_pull_requests().await.unwrap();
    let pr = prs[0].number;
    let shown = |prs: &[kfops_console::domain::PullRequest]| {
        prs.iter().find(|p| p.number == pr).cloned().unwrap()
    };

    sim.github()
        .add_comment(pr, "kfops-bot", "<!-- KFOPS_RUN_ID=run-budget-1 -->")
        .unwrap();
    let before = counted(&sim);
    let again = github.open_pull_requests().await.unwrap();
    assert_eq!(shown(&again).last_run_id.as_deref(), Some("run-budget-1"));
    assert!(counted(&sim) - before <= 3, "{}", counted(&sim) - before);

    let sha = kfops_sim::github::fake_sha("budget-push");
    assert!(sim.github().set_head_sha(pr, &sha));
    let again = github.open_pull_requests().await.unwrap();
    assert_eq!(shown(&again).head_sha, sha);

    // The base branch moves: the PR's list entry is unchanged (GitHub does not move its
    // `base.sha`), its comparison is not.
    let behind = shown(&again).behind_by.unwrap_or(0) + 2;
    assert!(sim.github().set_behind_by(pr, behind));
    sim.github().set_mergeable(pr, Some(false), "behind");
    let again = github.open_pull_requests().await.unwrap();
    assert_eq!(shown(&again).behind_by, Some(behind));
    assert_eq!(shown(&again).mergeable, Some(false), "details read again");
}

#[tokio::test]
async fn the_count_starts_again_when_the_window_resets() {
    let sim = start().await;
    sim.github().update(|s| {
        s.rate_limit = 1;
        s.rate_used = 1;
        s.rate_reset = chrono::Utc::now().timestamp() - 1;
    });
    let answer = get(&pulls_url(&sim), Some("t"), None).await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(header(&answer, "x-ratelimit-used"), "1");
    let reset: i64 = header(&answer, "x-ratelimit-reset").parse().unwrap();
    assert!(reset > chrono::Utc::now().timestamp());
}

/// Past one page of comments (whose further pages are plain, counted requests) the comments
/// are read `since` the newest seen: an idle refresh is a 304 again, a new comment still shows.
#[tokio::test]
async fn comments_past_one_page_are_read_since_the_newest_seen() {
    let sim = start().await;
    open_prs(&sim, 1);
    let github = client(&sim);
    let pr = github.open_pull_requests().await.unwrap()[0].number;
    for n in 0..150 {
        sim.github().add_comment(pr, "ana", &format!("comment {n}"));
    }
    // Written over the last hours, not all in this second.
    sim.github().update(|s| {
        for (n, c) in s.comments.iter_mut().rev().enumerate() {
            c.created_at -= chrono::Duration::minutes(n as i64 + 1);
            c.updated_at = c.created_at;
        }
    });
    sim.github()
        .add_comment(pr, "kfops-bot", "<!-- KFOPS_RUN_ID=run-old -->")
        .unwrap();
    let comment_reads = |sim: &Simulator, from: usize| -> Vec<(Option<String>, u16)> {
        sim.requests()[from..]
            .iter()
            .filter(|r| r.path.ends_with(&format!("/issues/{pr}/comments")))
            .map(|r| (r.query.clone(), r.status.as_u16()))
            .collect()
    };
    let from = sim.requests().len();
    let prs = github.open_pull_requests().await.unwrap();
    assert_eq!(prs[0].last_run_id.as_deref(), Some("run-old"));
    assert_eq!(comment_reads(&sim, from).len(), 2, "two pages");

    // The next refresh asks only for what is new since the newest comment (once, charged),
    // then that answer is a free 304.
    let from = sim.requests().len();
    assert_eq!(github.open_pull_requests().await.unwrap(), prs);
    let reads = comment_reads(&sim, from);
    assert_eq!(reads.len(), 1, "{reads:?}");
    assert!(reads[0].0.as_deref().is_some_and(|q| q.contains("since=")));
    let from = sim.requests().len();
    assert_eq!(github.open_pull_requests().await.unwrap(), prs);
    let reads = comment_reads(&sim, from);
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0].1, 304);

    sim.github()
        .add_comment(pr, "kfops-bot", "<!-- KFOPS_RUN_ID=run-new -->")
        .unwrap();
    let again = github.open_pull_requests().await.unwrap();
    assert_eq!(again[0].last_run_id.as_deref(), Some("run-new"));
}
