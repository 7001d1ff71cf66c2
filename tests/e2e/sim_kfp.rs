//! The simulated KFP speaks KFP's v2beta1 pipelines API: every response body is checked
//! against KFP's Swagger descriptions (no field the description lacks, no empty field), the
//! filter/sort/paging options behave like KFP's, uploads answer like the API server (errors
//! as `{"error_message","error_details"}`), the Kubernetes service proxy reaches it, the real
//! `Kfp` client works over both transports, and the demo's KFOPS_VERSION_IDs exist.

use std::collections::BTreeSet;

use kfops_console::backends::kfp::{Kfp, KfpEndpoint};
use kfops_console::chatops::{vars_in, VAR_VERSION_ID};
use kfops_console::config::Secret;
use kfops_sim::{Scenario, Simulator};
use reqwest::multipart::{Form, Part};
use reqwest::Method;
use serde_json::{json, Value};

use crate::support::kfp_api::{self, answer, enc, start, Answer};
use crate::support::swagger::Swagger;

const DEMO_PIPELINE_ID: &str = "83d5a5f2-d4fe-4523-9488-daddbb4fcc85";
const EXAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/specs/kfp/examples/pipeline_with_after.yaml"
);
const HELLO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/specs/kfp/examples/hello_world.yaml"
);
const PIPELINES: &str = "/apis/v2beta1/pipelines";

fn example() -> Vec<u8> {
    std::fs::read(EXAMPLE).unwrap()
}

fn hello() -> Vec<u8> {
    std::fs::read(HELLO).unwrap()
}

async fn send(method: Method, url: &str, form: Option<Form>) -> Answer {
    let mut request = reqwest::Client::new().request(method, url);
    if let Some(form) = form {
        request = request.multipart(form);
    }
    answer(request).await
}

async fn get(sim: &Simulator, path: &str) -> Answer {
    send(Method::GET, &format!("{}{path}", sim.kfp_url()), None).await
}

fn file_form(bytes: Vec<u8>, filename: &str) -> Form {
    Form::new().part(
        "uploadfile",
        Part::bytes(bytes).file_name(filename.to_owned()),
    )
}

async fn upload(sim: &Simulator, path_and_query: &str, form: Option<Form>) -> Answer {
    send(
        Method::POST,
        &format!("{}{PIPELINES}/{path_and_query}", sim.kfp_url()),
        form,
    )
    .await
}

/// Checks the answer against the operation's declared response, and that no field of a
/// resource is empty (protojson omits those) outside the pipeline spec.
fn conforms(spec: &Swagger, method: &str, template: &str, answer: &Answer) {
    kfp_api::conforms(spec, method, template, answer, &["pipeline_spec"]);
}

/// An upload error: exactly `error_message` and `error_details`, both strings.
fn upload_error(answer: &Answer, status: u16, contains: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    let object = answer.body.as_object().unwrap();
    let keys: BTreeSet<&str> = object.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        BTreeSet::from(["error_details", "error_message"]),
        "{}",
        answer.body
    );
    let message = answer.body["error_message"].as_str().unwrap();
    assert!(message.contains(contains), "`{contains}` not in: {message}");
}

/// A googleRpcStatus error with this gRPC code.
fn rpc_error(spec: &Swagger, template: &str, answer: &Answer, status: u16, code: i64) {
    assert_eq!(answer.status, status, "{}", answer.body);
    conforms(spec, "get", template, answer);
    assert_eq!(answer.body["code"], code, "{}", answer.body);
    assert!(answer.body["message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
}

fn filter(key: &str, operation: Value, value_field: &str, value: Value) -> String {
    let mut predicate = json!({"key": key, "operation": operation});
    predicate[value_field] = value;
    enc(&json!({"predicates": [predicate]}).to_string())
}

fn names_of(list: &Value, field: &str) -> Vec<String> {
    list[field]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|p| p["name"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn the_validator_catches_unknown_fields_wrong_types_and_bad_times() {
    let spec = Swagger::kfp("pipeline.swagger.json");
    let good = json!({
        "pipeline_id": "p", "name": "n", "created_at": "2026-01-02T03:04:05Z",
        "tags": {"a": "b"}, "error": {"code": 5, "message": "m", "details": [{"@type": "t", "x": 1}]}
    });
    assert_eq!(spec.check_definition("v2beta1Pipeline", &good), Ok(()));
    for (bad, why) in [
        (
            json!({"pipeline_id": "p", "pipelineId": "p"}),
            "/pipelineId: property not in",
        ),
        (json!({"name": 3}), "/name: expected string"),
        (json!({"created_at": "yesterday"}), "not an RFC 3339"),
        (json!({"tags": {"a": 1}}), "/tags/a: expected string"),
        (
            json!({"error": {"code": "5"}}),
            "/error/code: expected integer",
        ),
    ] {
        let err = spec.check_definition("v2beta1Pipeline", &bad).unwrap_err();
        assert!(err.contains(why), "{bad}: {err}");
    }
}

#[tokio::test]
async fn every_pipelines_endpoint_answers_with_the_shapes_of_the_spec() {
    let spec = Swagger::kfp("pipeline.swagger.json");
    let uploads = Swagger::kfp("pipeline.upload.swagger.json");
    let health = Swagger::kfp("healthz.swagger.json");
    let sim = start(Scenario::demo()).await;

    let a = get(&sim, "/apis/v2beta1/healthz").await;
    assert_eq!(a.status, 200);
    conforms(&health, "get", "/apis/v2beta1/healthz", &a);

    let a = get(&sim, PIPELINES).await;
    assert_eq!(a.status, 200, "{}", a.body);
    conforms(&spec, "get", PIPELINES, &a);
    assert_eq!(a.body["total_size"], 1);
    assert_eq!(a.body["pipelines"][0]["pipeline_id"], DEMO_PIPELINE_ID);
    assert_eq!(a.body["pipelines"][0]["name"], "churn-model");
    assert!(a.body.get("next_page_token").is_none());

    let one = format!("{PIPELINES}/{{pipeline_id}}");
    let a = get(&sim, &format!("{PIPELINES}/{DEMO_PIPELINE_ID}")).await;
    assert_eq!(a.status, 200);
    conforms(&spec, "get", &one, &a);
    assert_eq!(a.body["created_at"], "2026-03-16T09:02:11Z");
    assert_eq!(a.body["display_name"], "churn-model");

    let by_name = format!("{PIPELINES}/names/{{name}}");
    let a = get(&sim, &format!("{PIPELINES}/names/churn-model")).await;
    assert_eq!(a.status, 200);
    conforms(&spec, "get", &by_name, &a);
    assert_eq!(a.body["pipeline_id"], DEMO_PIPELINE_ID);

    let versions = format!("{PIPELINES}/{{pipeline_id}}/versions");
    let a = get(&sim, &format!("{PIPELINES}/{DEMO_PIPELINE_ID}/versions")).await;
    assert_eq!(a.status, 200);
    conforms(&spec, "get", &versions, &a);
    assert_eq!(a.body["total_size"], 7);
    assert_eq!(
        a.body["pipeline_versions"][0]["name"], "churn-model",
        "oldest first by default"
    );

    let version = format!("{versions}/{{pipeline_version_id}}");
    let vid = "b0db9b80-aec1-4b3d-9549-667ffd024a05";
    let a = get(
        &sim,
        &format!("{PIPELINES}/{DEMO_PIPELINE_ID}/versions/{vid}"),
    )
    .await;
    assert_eq!(a.status, 200);
    conforms(&spec, "get", &version, &a);
    assert_eq!(a.body["pipeline_version_id"], vid);
    assert_eq!(
        a.body["pipeline_spec"]["pipelineInfo"]["name"],
        "churn-model-pipeline"
    );

    // Errors are googleRpcStatus with grpc-gateway's HTTP mapping.
    let unknown = "00000000-0000-4000-8000-000000000000";
    let a = get(&sim, &format!("{PIPELINES}/{unknown}")).await;
    rpc_error(&spec, &one, &a, 404, 5);
    let a = get(
        &sim,
        &format!("{PIPELINES}/{DEMO_PIPELINE_ID}/versions/{unknown}"),
    )
    .await;
    rpc_error(&spec, &version, &a, 404, 5);
    let a = get(&sim, &format!("{PIPELINES}/names/no-such-pipeline")).await;
    rpc_error(&spec, &by_name, &a, 404, 5);
    let a = get(&sim, &format!("{PIPELINES}?filter=%7Bnope")).await;
    rpc_error(&spec, PIPELINES, &a, 400, 3);
    let a = get(&sim, &format!("{PIPELINES}?sort_by=owner")).await;
    rpc_error(&spec, PIPELINES, &a, 400, 3);
    let a = get(&sim, "/apis/v2beta1/no-such-thing").await;
    assert_eq!((a.status, a.body["code"].as_i64()), (404, Some(5)));

    // The uploads, against the upload description.
    let a = upload(
        &sim,
        "upload?name=after&description=Runs%20in%20order",
        Some(file_form(example(), "after.yaml")),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    conforms(&uploads, "post", &format!("{PIPELINES}/upload"), &a);
    assert_eq!(a.body["name"], "after");
    assert_eq!(a.body["description"], "Runs in order");
    let pid = a.body["pipeline_id"].as_str().unwrap().to_owned();
    uuid_v4(&pid);
    let a = upload(&sim, &format!("upload_version?pipelineid={pid}&name=v2&code_source_url=https%3A%2F%2Fgithub.com%2Facme-ml%2Fchurn-model"), Some(file_form(example(), "after.yaml"))).await;
    assert_eq!(a.status, 200, "{}", a.body);
    conforms(&uploads, "post", &format!("{PIPELINES}/upload_version"), &a);
    assert_eq!(a.body["pipeline_id"], pid.as_str());
    assert_eq!(a.body["name"], "v2");
    assert_eq!(a.body["display_name"], "v2");
    assert_eq!(
        a.body["code_source_url"],
        "https://github.com/acme-ml/churn-model"
    );
    assert_eq!(
        a.body["pipeline_spec"]["pipelineInfo"]["name"],
        "pipeline-with-after"
    );
    uuid_v4(a.body["pipeline_version_id"].as_str().unwrap());
    chrono::DateTime::parse_from_rfc3339(a.body["created_at"].as_str().unwrap()).unwrap();
}

fn uuid_v4(id: &str) {
    let parsed = uuid::Uuid::parse_str(id).unwrap_or_else(|e| panic!("{id}: {e}"));
    assert_eq!(parsed.get_version_num(), 4, "{id}");
    assert_eq!(parsed.hyphenated().to_string(), id);
}

#[tokio::test]
async fn every_version_id_in_the_demo_comments_exists_in_kfp() {
    let scenario = Scenario::demo();
    let mut ids = BTreeSet::new();
    let mut links = Vec::new();
    let link =
        regex::Regex::new(r"#/pipelines/details/([0-9a-f-]{36})/version/([0-9a-f-]{36})").unwrap();
    for pull in &scenario.github.pulls {
        for comment in &pull.comments {
            for (name, value) in vars_in(&comment.body) {
                if name == VAR_VERSION_ID {
                    ids.insert(value);
                }
            }
            for c in link.captures_iter(&comment.body) {
                links.push((c[1].to_owned(), c[2].to_owned()));
            }
        }
    }
    assert_eq!(ids.len(), 6, "the demo's builds: {ids:?}");
    assert_eq!(links.len(), 6);
    let sim = start(scenario).await;
    let kfp = Kfp::new(KfpEndpoint::Direct {
        url: sim.kfp_url(),
        token: None,
    })
    .unwrap();
    for id in &ids {
        let stored = sim
            .kfp()
            .version(id)
            .unwrap_or_else(|| panic!("KFOPS_VERSION_ID {id} is not in the simulated KFP"));
        assert_eq!(stored.pipeline_id, DEMO_PIPELINE_ID);
        let v = kfp.get_version(DEMO_PIPELINE_ID, id).await.unwrap();
        assert_eq!(v.pipeline_version_id, *id);
        assert!(v.name.starts_with("churn-model-pr"), "{}", v.name);
        assert!(!sim.kfp().package(id).unwrap().is_empty());
    }
    for (pid, vid) in links {
        assert!(
            ids.contains(&vid),
            "link to {vid} without its KFOPS_VERSION_ID"
        );
        assert_eq!(pid, DEMO_PIPELINE_ID);
    }
    // Each build's version was created before the bot's comment announcing it.
    for pull in &sim
        .github()
        .read(|s| s.pulls.keys().copied().collect::<Vec<_>>())
    {
        for c in sim.github().comments(*pull) {
            for (name, id) in vars_in(&c.body) {
                if name == VAR_VERSION_ID {
                    let v = sim.kfp().version(&id).unwrap();
                    assert!(
                        v.created_at <= c.created_at,
                        "{id} created after its comment"
                    );
                }
            }
        }
    }
    let found = kfp.find_pipeline("churn-model").await.unwrap().unwrap();
    assert_eq!(found.pipeline_id, DEMO_PIPELINE_ID);
    let all = kfp.list_versions(DEMO_PIPELINE_ID).await.unwrap();
    assert_eq!(all.len(), 7);
    assert_eq!(
        all[0].pipeline_version_id, "c4a00cf8-8853-41cf-9e9d-773aec630f4a",
        "newest first"
    );
    assert_eq!(all[6].name, "churn-model");
}

/// The build flow over one transport: upload, find, new version, list, get, and the errors.
async fn client_flow(sim: &Simulator, kfp: &Kfp) {
    assert_eq!(kfp.find_pipeline("with-after").await.unwrap(), None);
    let p = kfp
        .upload_pipeline("with-after", "Three steps in order", example())
        .await
        .unwrap();
    assert_eq!(p.name, "with-after");
    assert_eq!(p.description.as_deref(), Some("Three steps in order"));
    uuid_v4(&p.pipeline_id);
    let found = kfp.find_pipeline("with-after").await.unwrap().unwrap();
    assert_eq!(found, p);
    // `find_pipeline` matches the name exactly.
    assert_eq!(kfp.find_pipeline("with-aft").await.unwrap(), None);

    let first = kfp.list_versions(&p.pipeline_id).await.unwrap();
    assert_eq!(
        first.len(),
        1,
        "uploading a pipeline creates its first version"
    );
    assert_eq!(first[0].name, "with-after");

    let v2 = kfp
        .upload_pipeline_version(&p.pipeline_id, "with-after-pr7-abc1234-1", hello())
        .await
        .unwrap();
    assert_eq!(v2.pipeline_id, p.pipeline_id);
    assert_eq!(v2.name, "with-after-pr7-abc1234-1");
    assert_eq!(
        sim.kfp().package(&v2.pipeline_version_id).unwrap(),
        hello(),
        "the raw package is kept"
    );
    let v3 = kfp
        .upload_pipeline_version(&p.pipeline_id, "with-after-pr7-abc1234-2", example())
        .await
        .unwrap();

    let listed = kfp.list_versions(&p.pipeline_id).await.unwrap();
    let ids: Vec<&str> = listed
        .iter()
        .map(|v| v.pipeline_version_id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            v3.pipeline_version_id.as_str(),
            v2.pipeline_version_id.as_str(),
            first[0].pipeline_version_id.as_str()
        ],
        "newest first"
    );
    let got = kfp
        .get_version(&p.pipeline_id, &v2.pipeline_version_id)
        .await
        .unwrap();
    assert_eq!(got, v2);
    assert_eq!(got.pipeline_spec.unwrap()["pipelineInfo"]["name"], "echo");

    let dup = kfp
        .upload_pipeline("with-after", "", example())
        .await
        .unwrap_err();
    assert_eq!(dup.status, Some(409), "{dup}");
    assert!(dup.message.contains("already exists"), "{dup}");
    assert!(
        dup.hint.as_deref().unwrap().contains("[pipeline] name"),
        "{dup}"
    );

    let dup = kfp
        .upload_pipeline_version(&p.pipeline_id, "with-after-pr7-abc1234-2", example())
        .await
        .unwrap_err();
    assert_eq!(dup.status, Some(409), "{dup}");

    let bad = kfp
        .upload_pipeline("broken", "", b"apiVersion: v1\nkind: Pod\n".to_vec())
        .await
        .unwrap_err();
    assert_eq!(bad.status, Some(400), "{bad}");
    assert!(bad.message.contains("pipelineInfo is missing"), "{bad}");
    assert!(
        bad.hint.as_deref().unwrap().contains("package_path"),
        "{bad}"
    );

    let missing = kfp
        .get_version(&p.pipeline_id, "00000000-0000-4000-8000-000000000000")
        .await
        .unwrap_err();
    assert_eq!(missing.status, Some(404), "{missing}");
    assert!(missing.message.contains("not found"), "{missing}");
    assert!(missing.hint.is_some());

    let gone = kfp
        .upload_pipeline_version("00000000-0000-4000-8000-000000000000", "x", example())
        .await
        .unwrap_err();
    assert_eq!(gone.status, Some(404), "{gone}");
}

#[tokio::test]
async fn the_client_works_against_the_api_directly() {
    let sim = start(Scenario::demo()).await;
    let kfp = Kfp::new(KfpEndpoint::Direct {
        url: format!("{}/", sim.kfp_url()),
        token: None,
    })
    .unwrap();
    client_flow(&sim, &kfp).await;
    assert!(sim
        .requests()
        .iter()
        .any(|r| r.path == "/apis/v2beta1/pipelines/upload"));
}

fn kube_client(sim: &Simulator) -> kube::Client {
    kube::Client::try_from(kube::Config::new(sim.kube_url().parse().unwrap())).unwrap()
}

#[tokio::test]
async fn the_client_works_through_the_kubernetes_service_proxy() {
    let sim = start(Scenario::demo()).await;
    let kfp = Kfp::new(KfpEndpoint::ServiceProxy {
        client: kube_client(&sim),
        namespace: "kubeflow".into(),
        service: "ml-pipeline:8888".into(),
    })
    .unwrap();
    client_flow(&sim, &kfp).await;
    let requests = sim.requests();
    assert!(
        requests.iter().any(|r| r.path == "/api/v1/namespaces/kubeflow/services/ml-pipeline:8888/proxy/apis/v2beta1/pipelines/upload_version"),
        "{:?}",
        requests.iter().map(|r| &r.path).collect::<Vec<_>>()
    );
    assert!(
        !requests.iter().any(|r| r.path.starts_with("/apis/")),
        "every call went through the proxy"
    );
    // A service-proxy path is relative to the API server: never a link in a PR comment.
    assert_eq!(kfp.ui_url_for_version("p", "v"), None);
}

#[tokio::test]
async fn the_service_proxy_answers_like_kubernetes_for_other_services() {
    let sim = start(Scenario::demo()).await;
    let proxy = |ns: &str, svc: &str| {
        format!("/api/v1/namespaces/{ns}/services/{svc}/proxy/apis/v2beta1/healthz")
    };
    for svc in ["ml-pipeline", "ml-pipeline:http", "http:ml-pipeline:8888"] {
        let a = get(&sim, &proxy("kubeflow", svc)).await;
        assert_eq!(a.status, 200, "{svc}: {}", a.body);
    }
    let a = get(&sim, &proxy("kubeflow", "minio-service:9000")).await;
    assert_eq!(a.status, 404);
    assert_eq!(a.body["kind"], "Status");
    assert_eq!(a.body["reason"], "NotFound");
    assert_eq!(a.body["message"], "services \"minio-service\" not found");
    let a = get(&sim, &proxy("default", "ml-pipeline:8888")).await;
    assert_eq!((a.status, a.body["kind"].as_str()), (404, Some("Status")));
    let a = get(&sim, &proxy("kubeflow", "ml-pipeline:grpc")).await;
    assert_eq!(
        (a.status, a.body["reason"].as_str()),
        (503, Some("ServiceUnavailable"))
    );
    // Unknown KFP paths behind the proxy are KFP's 404.
    let a = get(
        &sim,
        "/api/v1/namespaces/kubeflow/services/ml-pipeline:8888/proxy/nope",
    )
    .await;
    assert_eq!((a.status, a.body["code"].as_i64()), (404, Some(5)));

    let kfp = Kfp::new(KfpEndpoint::ServiceProxy {
        client: kube_client(&sim),
        namespace: "kubeflow".into(),
        service: "ml-pipeline-api:8888".into(),
    })
    .unwrap();
    let err = kfp.find_pipeline("churn-model").await.unwrap_err();
    assert_eq!(err.status, Some(404), "{err}");
    assert!(
        err.message
            .contains("services \"ml-pipeline-api\" not found"),
        "{err}"
    );
    assert!(
        err.hint.as_deref().unwrap().contains("proxy_service"),
        "{err}"
    );
}

#[tokio::test]
async fn filters_accept_the_sdk_spellings_and_refuse_unknown_fields() {
    let spec = Swagger::kfp("pipeline.swagger.json");
    let sim = start(Scenario::demo()).await;
    for (name, description) in [
        ("alpha", "first"),
        ("beta", "second"),
        ("alphabet", "third"),
    ] {
        let a = upload(
            &sim,
            &format!("upload?name={name}&display_name={name}-shown&description={description}"),
            Some(file_form(example(), "p.yaml")),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.body);
    }
    let list = |f: String| {
        let sim = &sim;
        async move { get(sim, &format!("{PIPELINES}?sort_by=name&filter={f}")).await }
    };
    for (f, expected) in [
        (
            filter("name", json!("EQUALS"), "string_value", json!("alpha")),
            vec!["alpha"],
        ),
        (
            filter("name", json!("EQUALS"), "stringValue", json!("alpha")),
            vec!["alpha"],
        ),
        (
            filter("name", json!(1), "stringValue", json!("beta")),
            vec!["beta"],
        ),
        (
            filter(
                "display_name",
                json!("EQUALS"),
                "string_value",
                json!("beta-shown"),
            ),
            vec!["beta"],
        ),
        (
            filter("name", json!("NOT_EQUALS"), "string_value", json!("alpha")),
            vec!["alphabet", "beta", "churn-model"],
        ),
        (
            filter(
                "name",
                json!("IS_SUBSTRING"),
                "string_value",
                json!("alpha"),
            ),
            vec!["alpha", "alphabet"],
        ),
        (
            filter(
                "name",
                json!("IN"),
                "string_values",
                json!({"values": ["beta", "churn-model"]}),
            ),
            vec!["beta", "churn-model"],
        ),
        (
            filter(
                "pipeline_id",
                json!("EQUALS"),
                "string_value",
                json!(DEMO_PIPELINE_ID),
            ),
            vec!["churn-model"],
        ),
        (
            filter(
                "created_at",
                json!("LESS_THAN"),
                "timestamp_value",
                json!("2026-06-01T00:00:00Z"),
            ),
            vec!["churn-model"],
        ),
        (
            filter(
                "created_at",
                json!("GREATER_THAN"),
                "timestampValue",
                json!("2026-06-01T00:00:00Z"),
            ),
            vec!["alpha", "alphabet", "beta"],
        ),
    ] {
        let a = list(f.clone()).await;
        assert_eq!(a.status, 200, "{f}: {}", a.body);
        conforms(&spec, "get", PIPELINES, &a);
        assert_eq!(names_of(&a.body, "pipelines"), expected, "{f}");
        assert_eq!(
            a.body["total_size"].as_u64().unwrap_or(0),
            expected.len() as u64,
            "{f}"
        );
    }
    let nothing = list(filter(
        "name",
        json!("EQUALS"),
        "string_value",
        json!("zeta"),
    ))
    .await;
    assert_eq!(
        (nothing.status, nothing.body.clone()),
        (200, json!({})),
        "an empty list is an empty object"
    );

    for f in [
        filter("name", json!("EQUALS"), "str_value", json!("alpha")),
        filter("owner", json!("EQUALS"), "string_value", json!("alpha")),
        filter("name", json!("SIMILAR"), "string_value", json!("alpha")),
        filter("name", json!("IN"), "string_value", json!("alpha")),
        filter(
            "created_at",
            json!("EQUALS"),
            "string_value",
            json!("last tuesday"),
        ),
    ] {
        let a = list(f.clone()).await;
        assert_eq!(
            (a.status, a.body["code"].as_i64()),
            (400, Some(3)),
            "{f}: {}",
            a.body
        );
    }

    // Versions filter by their own keys, in both spellings too.
    let a = get(
        &sim,
        &format!(
            "{PIPELINES}/{DEMO_PIPELINE_ID}/versions?filter={}",
            filter(
                "name",
                json!("IS_SUBSTRING"),
                "stringValue",
                json!("-pr41-")
            )
        ),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["total_size"], 2);
    let a = get(
        &sim,
        &format!(
            "{PIPELINES}/{DEMO_PIPELINE_ID}/versions?filter={}",
            filter(
                "pipeline_version_id",
                json!("EQUALS"),
                "string_value",
                json!("7506cd62-5e7c-47b6-a61c-c8b9e9d2c602")
            )
        ),
    )
    .await;
    assert_eq!(
        names_of(&a.body, "pipeline_versions"),
        ["churn-model-pr42-59dba34-20261104131757208"]
    );
}

#[tokio::test]
async fn pages_of_one_walk_the_whole_list_in_order() {
    let spec = Swagger::kfp("pipeline.swagger.json");
    let sim = start(Scenario::demo()).await;
    for name in ["p-c", "p-a", "p-b"] {
        let a = upload(
            &sim,
            &format!("upload?name={name}"),
            Some(file_form(example(), "p.yaml")),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.body);
    }
    let mut seen = Vec::new();
    let mut path = format!("{PIPELINES}?page_size=1&sort_by=name%20desc");
    loop {
        let a = get(&sim, &path).await;
        assert_eq!(a.status, 200, "{}", a.body);
        conforms(&spec, "get", PIPELINES, &a);
        assert_eq!(a.body["total_size"], 4, "total_size counts every match");
        assert_eq!(a.body["pipelines"].as_array().unwrap().len(), 1);
        seen.extend(names_of(&a.body, "pipelines"));
        match a.body["next_page_token"].as_str() {
            // The token carries the sort order: later pages need not repeat it.
            Some(token) => path = format!("{PIPELINES}?page_size=1&page_token={}", enc(token)),
            None => break,
        }
        assert!(seen.len() < 10, "paging does not end: {seen:?}");
    }
    assert_eq!(seen, ["p-c", "p-b", "p-a", "churn-model"]);

    // Versions, newest first, two per page.
    let mut ids = Vec::new();
    let mut path =
        format!("{PIPELINES}/{DEMO_PIPELINE_ID}/versions?pageSize=2&sortBy=created_at%20desc");
    loop {
        let a = get(&sim, &path).await;
        assert_eq!(a.status, 200, "{}", a.body);
        ids.extend(
            a.body["pipeline_versions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["pipeline_version_id"].as_str().unwrap().to_owned()),
        );
        match a.body["next_page_token"].as_str() {
            Some(token) => {
                path = format!(
                    "{PIPELINES}/{DEMO_PIPELINE_ID}/versions?page_size=2&page_token={}",
                    enc(token)
                )
            }
            None => break,
        }
    }
    assert_eq!(ids.len(), 7);
    assert_eq!(ids[0], "c4a00cf8-8853-41cf-9e9d-773aec630f4a");
    assert_eq!(ids[6], "3f0c9d4e-6b1a-4c57-9e2d-0a8b7c6d5e41");

    let a = get(&sim, &format!("{PIPELINES}?page_token=garbage")).await;
    assert_eq!(
        (a.status, a.body["code"].as_i64()),
        (400, Some(3)),
        "{}",
        a.body
    );
    let a = get(&sim, &format!("{PIPELINES}?page_size=-1")).await;
    assert_eq!(a.status, 400, "{}", a.body);
}

#[tokio::test]
async fn uploads_check_the_form_the_package_and_the_names() {
    let sim = start(Scenario::demo()).await;
    // No `uploadfile` field, or no multipart body at all.
    let a = upload(
        &sim,
        "upload?name=x",
        Some(Form::new().text("file", "pipelineInfo: {}")),
    )
    .await;
    upload_error(&a, 400, "uploadfile");
    let a = upload(&sim, "upload?name=x", None).await;
    upload_error(&a, 400, "multipart/form-data");
    // Not a KFP package.
    for (text, reason) in [
        ("{{{ not yaml", "not valid YAML"),
        ("pipelineInfo: {name: x}\n", "root component is empty"),
        ("root: {dag: {}}\n", "pipelineInfo is missing"),
        ("", "empty"),
    ] {
        let a = upload(
            &sim,
            "upload?name=x",
            Some(file_form(text.as_bytes().to_vec(), "x.yaml")),
        )
        .await;
        upload_error(&a, 400, reason);
    }
    // Taken name: 409; the first version of an upload is named like the pipeline.
    let a = upload(
        &sim,
        "upload?name=churn-model",
        Some(file_form(example(), "x.yaml")),
    )
    .await;
    upload_error(&a, 409, "already exists");
    // Without `name` the file name is used; another namespace may reuse a name.
    let a = upload(&sim, "upload", Some(file_form(example(), "after.yaml"))).await;
    assert_eq!(
        (a.status, a.body["name"].as_str()),
        (200, Some("after.yaml")),
        "{}",
        a.body
    );
    let a = upload(
        &sim,
        "upload?name=churn-model&namespace=team-a",
        Some(file_form(example(), "x.yaml")),
    )
    .await;
    assert_eq!(
        (a.status, a.body["namespace"].as_str()),
        (200, Some("team-a")),
        "{}",
        a.body
    );
    let a = get(&sim, &format!("{PIPELINES}?namespace=team-a")).await;
    assert_eq!(a.body["total_size"], 1);

    // upload_version: pipelineid is required, must exist; names are unique per pipeline.
    let a = upload(
        &sim,
        "upload_version?name=v",
        Some(file_form(example(), "x.yaml")),
    )
    .await;
    upload_error(&a, 400, "pipeline id");
    let a = upload(
        &sim,
        "upload_version?pipelineid=00000000-0000-4000-8000-000000000000&name=v",
        Some(file_form(example(), "x.yaml")),
    )
    .await;
    upload_error(&a, 404, "not found");
    let a = upload(
        &sim,
        &format!("upload_version?pipelineid={DEMO_PIPELINE_ID}&name=churn-model"),
        Some(file_form(example(), "x.yaml")),
    )
    .await;
    upload_error(&a, 409, "already exists");
    let a = upload(
        &sim,
        &format!("upload_version?pipelineid={DEMO_PIPELINE_ID}&name=v&tags=not-json"),
        Some(file_form(example(), "x.yaml")),
    )
    .await;
    upload_error(&a, 400, "tags");

    // The two-document form: pipeline spec plus platform spec.
    let mut two = example();
    two.extend_from_slice(
        b"---\nplatforms:\n  kubernetes:\n    deploymentSpec:\n      executors: {}\n",
    );
    let a = upload(&sim, &format!("upload_version?pipelineid={DEMO_PIPELINE_ID}&name=with-platform&tags=%7B%22pr%22%3A%2241%22%7D"), Some(file_form(two.clone(), "x.yaml"))).await;
    assert_eq!(a.status, 200, "{}", a.body);
    conforms(
        &Swagger::kfp("pipeline.upload.swagger.json"),
        "post",
        &format!("{PIPELINES}/upload_version"),
        &a,
    );
    assert_eq!(
        a.body["pipeline_spec"]["pipeline_spec"]["pipelineInfo"]["name"],
        "pipeline-with-after"
    );
    assert!(a.body["pipeline_spec"]["platform_spec"]["platforms"]["kubernetes"].is_object());
    assert_eq!(a.body["tags"], json!({"pr": "41"}));
    let vid = a.body["pipeline_version_id"].as_str().unwrap();
    assert_eq!(sim.kfp().package(vid).unwrap(), two);
}

#[tokio::test]
async fn a_pipeline_is_deleted_only_without_versions_or_with_cascade() {
    let spec = Swagger::kfp("pipeline.swagger.json");
    let sim = start(Scenario::demo()).await;
    let url = |path: &str| format!("{}{PIPELINES}/{path}", sim.kfp_url());
    let a = send(Method::DELETE, &url(DEMO_PIPELINE_ID), None).await;
    rpc_error(&spec, &format!("{PIPELINES}/{{pipeline_id}}"), &a, 400, 9);
    assert!(
        a.body["message"]
            .as_str()
            .unwrap()
            .contains("7 pipeline version"),
        "{}",
        a.body
    );

    let a = upload(
        &sim,
        "upload?name=short-lived",
        Some(file_form(example(), "x.yaml")),
    )
    .await;
    let pid = a.body["pipeline_id"].as_str().unwrap().to_owned();
    let vid = sim.kfp().versions(&pid)[0].id.clone();
    let a = send(Method::DELETE, &url(&format!("{pid}/versions/{vid}")), None).await;
    assert_eq!((a.status, a.body.clone()), (200, json!({})));
    let a = send(Method::DELETE, &url(&format!("{pid}/versions/{vid}")), None).await;
    assert_eq!((a.status, a.body["code"].as_i64()), (404, Some(5)));
    let a = send(Method::DELETE, &url(&pid), None).await;
    assert_eq!((a.status, a.body.clone()), (200, json!({})));
    assert!(sim.kfp().pipeline(&pid).is_none());

    let a = send(
        Method::DELETE,
        &url(&format!("{DEMO_PIPELINE_ID}?cascade=true")),
        None,
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(sim.kfp().versions(DEMO_PIPELINE_ID).is_empty());
}

#[tokio::test]
async fn a_scenario_token_is_required_and_the_client_sends_it() {
    let mut scenario = Scenario::demo();
    scenario.kfp.token = Some("kfp-token-123".into());
    let sim = start(scenario).await;
    let anonymous = Kfp::new(KfpEndpoint::Direct {
        url: sim.kfp_url(),
        token: None,
    })
    .unwrap();
    let err = anonymous.find_pipeline("churn-model").await.unwrap_err();
    assert_eq!(err.status, Some(401), "{err}");
    assert!(err.hint.as_deref().unwrap().contains("token_env"), "{err}");
    let kfp = Kfp::new(KfpEndpoint::Direct {
        url: sim.kfp_url(),
        token: Some(Secret::new("kfp-token-123")),
    })
    .unwrap();
    assert!(!format!("{kfp:?}").contains("kfp-token-123"));
    assert!(kfp.find_pipeline("churn-model").await.unwrap().is_some());
}

#[tokio::test]
async fn an_unreachable_endpoint_is_reported_with_a_hint() {
    // Bind then drop a listener to get a local port nobody serves.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let kfp = Kfp::new(KfpEndpoint::Direct {
        url: format!("http://127.0.0.1:{port}"),
        token: None,
    })
    .unwrap();
    let err = kfp.list_versions("p").await.unwrap_err();
    assert_eq!(err.status, None);
    assert!(
        err.hint.as_deref().unwrap().contains("[kfp] endpoint"),
        "{err}"
    );
    // A server that is not KFP (the simulated GitHub answers JSON of another shape).
    let sim = start(Scenario::demo()).await;
    let kfp = Kfp::new(KfpEndpoint::Direct {
        url: sim.github_url(),
        token: None,
    })
    .unwrap();
    let err = kfp.find_pipeline("churn-model").await.unwrap_err();
    assert_eq!(err.status, Some(404), "{err}");
}

#[test]
fn scenario_packages_and_ids_are_checked() {
    let demo = Scenario::demo_toml();
    for (from, to, reason) in [
        (
            "package_file = \"pipeline.yaml\"",
            "package_file = \"nope.yaml\"",
            "nope.yaml",
        ),
        (
            "id = \"3f0c9d4e-6b1a-4c57-9e2d-0a8b7c6d5e41\"",
            "id = \"3F0C\"",
            "UUID",
        ),
        (
            "name = \"churn-model-pr40-86fca89-20261005092058311\"",
            "name = \"churn-model\"",
            "unique",
        ),
    ] {
        let text = demo.replacen(from, to, 1);
        assert_ne!(text, demo, "{from} is not in the demo");
        let err = Scenario::from_toml_str(&text).map(|_| ()).unwrap_err();
        assert!(err.to_string().contains(reason), "{err}");
    }
    let inline = demo.replacen(
        "package_file = \"pipeline.yaml\"",
        "package_yaml = '''\npipelineInfo: {name: x}\n'''",
        1,
    );
    let err = Scenario::from_toml_str(&inline).map(|_| ()).unwrap_err();
    assert!(err.to_string().contains("root component is empty"), "{err}");
}
