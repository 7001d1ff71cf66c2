//! Compare and contents: the synthesised history and the files at each ref.

use base64::Engine;
use kfops_sim::Scenario;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::{demo, repo_path, send, OWNER};

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
