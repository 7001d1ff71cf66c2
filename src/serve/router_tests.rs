//! The routes over a real listener on loopback, with a [`Start`] that records what it was given.

use std::sync::{Arc, Mutex};

use super::*;

const SECRET: &[u8] = b"test webhook secret";

struct Served {
    url: String,
    taken: Arc<Mutex<Vec<Taken>>>,
}

async fn serve() -> Served {
    let taken: Arc<Mutex<Vec<Taken>>> = Arc::default();
    let record = taken.clone();
    let hooks = Arc::new(Hooks {
        verifier: Verifier::new(SECRET),
        own_login: Some("kfops-bot".into()),
        deliveries: Deliveries::new(DELIVERIES_KEPT),
        start: Arc::new(move |t| record.lock().expect("record").push(t)),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router(hooks)).await });
    Served {
        url: format!("http://{addr}"),
        taken,
    }
}

fn comment(login: &str, body: &str) -> Vec<u8> {
    serde_json::json!({
        "action": "created",
        "issue": { "number": 42, "pull_request": { "url": "x" } },
        "comment": { "body": body, "user": { "login": login } },
    })
    .to_string()
    .into_bytes()
}

async fn deliver(s: &Served, id: &str, signature: Option<String>, body: Vec<u8>) -> (u16, String) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/webhook", s.url))
        .header("X-GitHub-Event", "issue_comment")
        .header("X-GitHub-Delivery", id);
    if let Some(sig) = signature {
        req = req.header(HEADER, sig);
    }
    let resp = req.body(body).send().await.expect("send");
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap_or_default())
}

fn signed(body: &[u8]) -> Option<String> {
    Some(Verifier::new(SECRET).sign(body))
}

fn taken(s: &Served) -> Vec<Taken> {
    s.taken.lock().expect("record").clone()
}

#[tokio::test]
async fn a_signed_command_is_accepted_once_and_handed_on() {
    let s = serve().await;
    let body = comment("maria-ds", "/build");
    assert_eq!(deliver(&s, "d-1", signed(&body), body.clone()).await.0, 202);
    let again = deliver(&s, "d-1", signed(&body), body).await;
    assert_eq!(again.0, 200, "a redelivery is not run again: {}", again.1);
    let expected = Taken {
        pr: 42,
        user: "maria-ds".into(),
        cmd: ChatCommand::Build,
        delivery: "d-1".into(),
    };
    assert_eq!(taken(&s), vec![expected]);
}

#[tokio::test]
async fn missing_or_wrong_signatures_are_401_and_nothing_starts() {
    let s = serve().await;
    let body = comment("maria-ds", "/build");
    assert_eq!(deliver(&s, "d-1", None, body.clone()).await.0, 401);
    let forged = Some(Verifier::new(b"not the secret").sign(&body));
    assert_eq!(deliver(&s, "d-2", forged, body.clone()).await.0, 401);
    let tampered = signed(&comment("maria-ds", "/run"));
    assert_eq!(deliver(&s, "d-3", tampered, body).await.0, 401);
    assert!(taken(&s).is_empty());
}

#[tokio::test]
async fn own_and_chat_comments_are_ignored_and_big_bodies_refused() {
    let s = serve().await;
    let own = comment("kfops-bot", "/build");
    assert_eq!(deliver(&s, "d-1", signed(&own), own).await.0, 200);
    let chat = comment("maria-ds", "nice work");
    assert_eq!(deliver(&s, "d-2", signed(&chat), chat).await.0, 200);
    let big = vec![b' '; MAX_BODY + 1];
    assert_eq!(deliver(&s, "d-3", signed(&big), big).await.0, 413);
    assert!(taken(&s).is_empty());
    let health = reqwest::get(format!("{}/healthz", s.url))
        .await
        .expect("get");
    assert_eq!(health.status().as_u16(), 200);
}
