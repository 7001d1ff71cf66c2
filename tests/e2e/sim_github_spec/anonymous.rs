//! Requests without a token get GitHub's answers, so a test of a tokenless client means
//! something: a private repository is 404 to them ("since we don't want to provide any
//! information about private repositories, the API returns a 404 error instead": GitHub REST
//! docs, Troubleshooting, "404 error for an existing repository",
//! https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api), and a
//! write to a public one is 401 `Requires authentication` ("Authenticating to the REST API",
//! https://docs.github.com/en/rest/authentication/authenticating-to-the-rest-api). Nothing is
//! changed by a refused request.

use kfops_sim::{Scenario, Simulator};
use reqwest::Method;
use serde_json::{json, Value};

use super::{repo_path, OWNER, REPO};
use crate::support::openapi::Spec;

/// `(status, body)` of a request with `token` (none: anonymous).
async fn ask(sim: &Simulator, method: Method, path: &str, token: Option<&str>) -> (u16, Value) {
    let url = format!("{}{}", sim.github_url(), repo_path(path));
    let mut request = reqwest::Client::new().request(method.clone(), url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if method != Method::GET {
        request = request.json(&json!({"body": "anonymous?", "labels": ["x"]}));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn start(private: bool) -> Simulator {
    let mut scenario = Scenario::demo();
    assert_eq!(
        (
            scenario.github.repository.owner.as_str(),
            scenario.github.repository.name.as_str()
        ),
        (OWNER, REPO)
    );
    scenario.github.repository.private = private;
    Simulator::start("127.0.0.1:0".parse().unwrap(), scenario)
        .await
        .unwrap()
}

fn comment_count(sim: &Simulator) -> usize {
    sim.github().comments(41).len()
}

#[tokio::test]
async fn anonymous_writes_to_a_public_repository_require_authentication() {
    let spec = Spec::github();
    let sim = start(false).await;
    let before = comment_count(&sim);
    // Reads of a public repository need no token.
    assert_eq!(ask(&sim, Method::GET, "/pulls/41", None).await.0, 200);
    for (method, path) in [
        (Method::POST, "/issues/41/comments"),
        (Method::POST, "/issues/41/labels"),
        (Method::PUT, "/pulls/41/merge"),
        (Method::PATCH, "/pulls/41"),
        (Method::DELETE, "/issues/41/labels/enhancement"),
    ] {
        let (status, body) = ask(&sim, method.clone(), path, None).await;
        assert_eq!(status, 401, "{method} {path}: {body}");
        assert_eq!(body["message"], "Requires authentication", "{body}");
        assert_eq!(
            spec.validate(spec.schema("basic-error"), &body),
            Vec::<String>::new()
        );
    }
    assert_eq!(comment_count(&sim), before, "nothing written");
    assert!(!sim.github().is_merged(41));
    // The same write with a token goes through.
    let (status, _) = ask(&sim, Method::POST, "/issues/41/comments", Some("t")).await;
    assert_eq!(status, 201);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_private_repository_is_not_found_without_a_token() {
    let spec = Spec::github();
    let sim = start(true).await;
    let before = comment_count(&sim);
    for (method, path) in [
        (Method::GET, "/pulls/41"),
        (Method::GET, ""),
        (Method::POST, "/issues/41/comments"),
    ] {
        let (status, body) = ask(&sim, method.clone(), path, None).await;
        assert_eq!(status, 404, "{method} {path}: {body}");
        assert_eq!(body["message"], "Not Found");
        assert_eq!(
            spec.validate(spec.schema("basic-error"), &body),
            Vec::<String>::new()
        );
    }
    assert_eq!(comment_count(&sim), before, "nothing written");
    assert_eq!(ask(&sim, Method::GET, "/pulls/41", Some("t")).await.0, 200);
    sim.shutdown().await;
}
