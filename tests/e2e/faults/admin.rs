//! The fault rules through `/_sim/faults` and the scenario's `[faults]` table, and the error
//! bodies each service's faults answer with.

use kfops_console::backends::kfp::{Kfp, KfpEndpoint};
use kfops_sim::{Scenario, Simulator};
use serde_json::{json, Value};

use super::{requests_to, statuses};

async fn start(scenario: Scenario) -> Simulator {
    Simulator::start(([127, 0, 0, 1], 0).into(), scenario)
        .await
        .unwrap()
}

#[tokio::test]
async fn rules_are_added_listed_and_removed_through_the_admin_endpoint() {
    let sim = start(Scenario::demo()).await;
    let http = reqwest::Client::new();
    let base = format!("http://{}", sim.addr());
    let added = http
        .post(format!("{base}/_sim/faults"))
        .json(&json!({
            "service": "kfp", "method": "GET", "path": "/apis/v2beta1/pipelines",
            "times": 1, "fault": {"kind": "status", "status": 503}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 201);
    let id = added.json::<Value>().await.unwrap()["id"].as_u64().unwrap();

    let refused = http
        .post(format!("{base}/_sim/faults"))
        .json(&json!({"service": "kfp", "fault": {"kind": "status", "status": 200}}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let why = refused.json::<Value>().await.unwrap();
    assert!(why["error"].as_str().unwrap().contains("200"), "{why}");

    // KFP's googleRpcStatus body.
    let answer = http
        .get(format!("{base}/apis/v2beta1/pipelines"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 503);
    let body = answer.json::<Value>().await.unwrap();
    assert_eq!(body["code"], 14, "{body}");
    assert!(
        body["message"].is_string() && body["details"].is_array(),
        "{body}"
    );
    // Used up: the next one is served.
    let again = http
        .get(format!("{base}/apis/v2beta1/pipelines"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);

    let listed = http
        .get(format!("{base}/_sim/faults"))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(listed["rules"][0]["id"], id);
    assert_eq!(listed["rules"][0]["left"], 0);
    assert_eq!(listed["rules"][0]["hits"], 1);
    assert_eq!(listed["rules"][0]["fault"]["kind"], "status");

    let gone = http
        .delete(format!("{base}/_sim/faults/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 204);
    let missing = http
        .delete(format!("{base}/_sim/faults/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert!(sim.faults().rules().is_empty());
    // The faulted request is in the log with the status it got.
    assert_eq!(
        statuses(&requests_to(&sim, "GET", "/apis/v2beta1/pipelines")),
        [503, 200]
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn the_scenario_faults_table_puts_rules_in_force_from_the_start() {
    let text = format!(
        "{}\n{}",
        Scenario::demo_toml(),
        r#"
[[faults.rules]]
service = "kube"
method = "GET"
path = "/api/v1/namespaces/*/pods"
times = 2
fault = { kind = "rate_limit", status = 429, retry_after = "0" }

[[faults.rules]]
service = "kfp"
fault = { kind = "status", status = 500 }
"#
    );
    let scenario = Scenario::from_toml_str(&text).unwrap();
    let sim = start(scenario).await;
    assert_eq!(sim.faults().rules().len(), 2);
    let http = reqwest::Client::new();
    let answer = http
        .get(format!("{}/api/v1/namespaces/kfops/pods", sim.kube_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 429);
    assert_eq!(answer.headers()["retry-after"], "0");
    let body = answer.json::<Value>().await.unwrap();
    assert_eq!(body["kind"], "Status", "{body}");
    assert_eq!(body["reason"], "TooManyRequests");
    assert_eq!(body["details"]["retryAfterSeconds"], 0);

    // A KFP read that always fails: retried, then reported with a hint.
    let kfp = Kfp::new(KfpEndpoint::Direct {
        url: sim.kfp_url(),
        token: None,
    })
    .unwrap();
    let err = kfp.find_pipeline("churn-model").await.unwrap_err();
    assert_eq!(err.status, Some(500));
    assert!(
        err.hint.as_deref().unwrap().contains("failed 3 times"),
        "{err}"
    );
    assert_eq!(requests_to(&sim, "GET", "/apis/v2beta1/pipelines").len(), 3);
    sim.shutdown().await;

    // Unknown keys and unusable rules are refused with the rule named.
    let typo = format!(
        "{}\n[[faults.rules]]\nservice = \"kfp\"\nmethd = \"GET\"\nfault = {{ kind = \"delay\", ms = 5 }}\n",
        Scenario::demo_toml()
    );
    assert!(Scenario::from_toml_str(&typo).is_err());
    let bad = format!(
        "{}\n[[faults.rules]]\nservice = \"github\"\nfault = {{ kind = \"never_ready\", names = [\"x\"] }}\n",
        Scenario::demo_toml()
    );
    let err = Scenario::from_toml_str(&bad).unwrap_err().to_string();
    assert!(err.contains("faults.rules[0]"), "{err}");
}

#[tokio::test]
async fn a_github_5xx_has_github_s_body_and_a_kube_one_a_status() {
    let text = format!(
        "{}\n{}",
        Scenario::demo_toml(),
        r#"
[[faults.rules]]
service = "github"
fault = { kind = "status", status = 502 }

[[faults.rules]]
service = "kserve"
path = "/apis/serving.kserve.io/**/inferenceservices"
fault = { kind = "status", status = 503 }
"#
    );
    let sim = start(Scenario::from_toml_str(&text).unwrap()).await;
    let http = reqwest::Client::new();
    let gh = http
        .get(format!("{}/repos/a/b/pulls", sim.github_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(gh.status(), 502);
    let body = gh.json::<Value>().await.unwrap();
    assert_eq!(body["message"], "Server Error");
    assert!(body["documentation_url"].is_string());
    let kube = http
        .get(format!(
            "{}/apis/serving.kserve.io/v1beta1/namespaces/staging/inferenceservices",
            sim.kube_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(kube.status(), 503);
    let body = kube.json::<Value>().await.unwrap();
    assert_eq!(body["kind"], "Status");
    assert_eq!(body["code"], 503);
    assert_eq!(body["reason"], "ServiceUnavailable");
    sim.shutdown().await;
}
