//! The embedded demo scenario holds the PRs the demo promises (the table atop the asset).

use kfops_sim::scenario::PullScenario;
use kfops_sim::{Scenario, Simulator};
use regex::Regex;
use reqwest::Method;
use serde_json::json;

use super::{repo_path, send, OWNER, REPO};

const UUID: &str = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

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

    // The four kinds of open PR the demo must show, whatever their numbers.
    let open: Vec<_> = gh
        .pulls
        .iter()
        .filter(|p| p.state.as_str() == "open")
        .collect();
    let has = |what: &str, pred: &dyn Fn(&&PullScenario) -> bool| {
        assert!(
            open.iter().any(pred),
            "the demo has no open PR that is {what}"
        );
    };
    has("up to date and mergeable", &|p| {
        p.behind_by == 0 && p.mergeable == Some(true) && p.mergeable_state == "clean"
    });
    has("behind its base", &|p| {
        p.behind_by > 0 && p.mergeable_state == "behind"
    });
    has("not mergeable", &|p| {
        p.mergeable == Some(false) && p.mergeable_state == "dirty"
    });
    has("deployed to staging", &|p| {
        p.labels.iter().any(|l| l == "Deployed-to-staging")
    });
    let closed: Vec<_> = gh
        .pulls
        .iter()
        .filter(|p| p.state.as_str() == "closed")
        .collect();
    assert!(closed
        .iter()
        .any(|p| p.merged_at.is_some() && p.labels.iter().any(|l| l == "Deployed-to-production")));

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
