//! Reading and checking the simulated KFP API's answers, for the pipelines (`sim_kfp`) and
//! runs (`sim_kfp_runs`) tests.

use kfops_sim::{Scenario, Simulator};
use reqwest::RequestBuilder;
use serde_json::Value;

use super::swagger::Swagger;

/// The simulator on a free loopback port.
pub async fn start(scenario: Scenario) -> Simulator {
    Simulator::start("127.0.0.1:0".parse().unwrap(), scenario)
        .await
        .unwrap()
}

/// A response, read whole; the body must be JSON.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

/// Sends the request and reads its answer whole.
pub async fn answer(request: RequestBuilder) -> Answer {
    let (client, request) = request.build_split();
    let request = request.unwrap();
    let (method, url) = (request.method().clone(), request.url().clone());
    let response = client.execute(request).await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{method} {url} answered {status} with non-JSON ({e}): {text}"));
    Answer { status, body }
}

/// Checks the answer against the operation's declared response, and that no field of a
/// resource is empty (protojson omits those); fields named in `opaque` are not looked into.
pub fn conforms(spec: &Swagger, method: &str, template: &str, answer: &Answer, opaque: &[&str]) {
    if let Err(e) = spec.check(method, template, answer.status, &answer.body) {
        panic!("{e}");
    }
    no_empty_fields(&answer.body, "", opaque);
}

fn no_empty_fields(value: &Value, at: &str, opaque: &[&str]) {
    let Some(object) = value.as_object() else {
        return;
    };
    for (key, field) in object {
        let here = format!("{at}/{key}");
        let empty = match field {
            Value::Null => true,
            Value::Bool(b) => !b,
            Value::String(s) => s.is_empty(),
            Value::Array(a) => a.is_empty(),
            Value::Object(o) => o.is_empty(),
            Value::Number(n) => n.as_f64() == Some(0.0),
        };
        assert!(!empty, "{here} is empty; protojson omits empty fields");
        if opaque.contains(&key.as_str()) {
            continue;
        }
        match field {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    no_empty_fields(item, &format!("{here}/{i}"), opaque);
                }
            }
            Value::Object(_) => no_empty_fields(field, &here, opaque),
            _ => {}
        }
    }
}

/// URL-encodes a query value.
pub fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
