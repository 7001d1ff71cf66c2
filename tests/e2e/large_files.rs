//! Files past 1 MB, as GitHub's contents API serves them (REST docs, "Get repository
//! content": https://docs.github.com/rest/repos/contents#get-repository-content): between 1 and
//! 100 MB the JSON object has `content: ""` and `encoding: "none"`, and the bytes come through
//! the raw media type. The simulator answers so, and the client reads such files whole.

use kfops_console::backends::github::GitHub;
use kfops_sim::{Scenario, Simulator};

use crate::build_flow::{build, fast_scenario, newest_version, setup};

/// 1.5 MB: past GitHub's 1 MB inline limit, well under its 100 MB one.
const LARGE: usize = 1_500_000;

/// The demo's `pipeline.yaml` padded with a YAML comment to `LARGE` bytes (still a valid
/// package), on the base branch and in every PR that overrides it.
fn large_pipeline(scenario: &mut Scenario) -> String {
    let mut text = scenario.github.files["pipeline.yaml"].clone();
    text.push_str("\n# ");
    while text.len() < LARGE - 1 {
        text.push_str("padding ");
    }
    text.truncate(LARGE - 1);
    text.push('\n');
    scenario
        .github
        .files
        .insert("pipeline.yaml".into(), text.clone());
    for pull in &mut scenario.github.pulls {
        pull.files.remove("pipeline.yaml");
    }
    text
}

/// The demo's simulator with a large `pipeline.yaml`, and its text.
async fn large_sim() -> (Simulator, String) {
    let mut scenario = Scenario::demo();
    let text = large_pipeline(&mut scenario);
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), scenario)
        .await
        .unwrap();
    (sim, text)
}

/// The JSON a contents request answers with `accept`.
async fn json(url: &str, accept: &str) -> serde_json::Value {
    get(url, accept).await.json().await.unwrap()
}

async fn get(url: &str, accept: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(url)
        .header("authorization", "Bearer any-token")
        .header("accept", accept)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_simulated_contents_api_serves_large_files_only_through_the_raw_media_type() {
    let (sim, text) = large_sim().await;
    let url = |path: &str| {
        format!(
            "{}/repos/acme-ml/churn-model/contents/{path}?ref=main",
            sim.github_url()
        )
    };

    // The object: no content, encoding "none", the real size.
    let object = json(&url("pipeline.yaml"), "application/vnd.github+json").await;
    assert_eq!(object["type"], "file");
    assert_eq!(object["encoding"], "none");
    assert_eq!(object["content"], "");
    assert_eq!(object["size"].as_u64(), Some(LARGE as u64));

    // The raw media type, in each spelling clients send: the bytes.
    for accept in [
        "application/vnd.github.raw+json",
        "application/vnd.github.raw",
        "application/vnd.github.v3.raw",
    ] {
        let raw = get(&url("pipeline.yaml"), accept).await;
        assert_eq!(raw.status(), 200, "{accept}");
        assert_eq!(raw.bytes().await.unwrap(), text.as_bytes(), "{accept}");
    }
    // Small files still come inline; a directory is JSON whatever is asked.
    let small: serde_json::Value = get(&url("kaniko/pod.yaml"), "application/vnd.github+json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(small["encoding"], "base64");
    let dir = json(&url("images"), "application/vnd.github.raw+json").await;
    assert!(dir.is_array(), "{dir}");
}

#[tokio::test]
async fn the_client_reads_a_large_file_whole_through_the_raw_media_type() {
    let (sim, text) = large_sim().await;
    let token = kfops_console::config::Secret::new("ghp_large_file_test");
    let github = GitHub::new(&sim.github_url(), Some(&token), "acme-ml", "churn-model").unwrap();
    let bytes = github.file_at("pipeline.yaml", "main").await.unwrap();
    assert_eq!(bytes.len(), LARGE, "never read as empty");
    assert_eq!(bytes, text.as_bytes());
    let raw_reads = sim
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/contents/pipeline.yaml"))
        .count();
    assert_eq!(raw_reads, 2, "the object, then the raw bytes");
    // A small file stays one request.
    let pod = github.file_at("kaniko/pod.yaml", "main").await.unwrap();
    assert!(!pod.is_empty());
}

#[tokio::test]
async fn a_build_uploads_a_pipeline_package_of_one_and_a_half_megabytes_whole() {
    let mut scenario = fast_scenario();
    let text = large_pipeline(&mut scenario);
    let (sim, cfg, backends) = setup(scenario).await;
    build(&backends, &cfg, 42, &|_| {}).await.unwrap();
    let newest = newest_version(&sim, &cfg);
    assert_eq!(newest.package.len(), LARGE);
    assert_eq!(newest.package, text.as_bytes());
}
