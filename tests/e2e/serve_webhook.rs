//! `kfops serve`'s webhook route (src/serve/) in-process against the simulator: a signed
//! `/build` comment answered 202 and built through the engine (its comment on the PR), bad
//! signatures refused with nothing sent to any service, a redelivery run once, the service's
//! own comments and chat ignored.

use std::sync::Arc;

use kfops_console::effects::Engine;
use kfops_console::serve::deliveries::Deliveries;
use kfops_console::serve::router::{router, Hooks, Taken, DELIVERIES_KEPT};
use kfops_console::serve::signature::{Verifier, HEADER};
use kfops_console::serve::start::run;
use kfops_sim::Simulator;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

use crate::build_flow::{fast_scenario, setup, POLL};
use crate::safety::mutating;

const SECRET: &[u8] = b"e2e webhook secret";

struct Service {
    sim: Simulator,
    url: String,
    /// Each started action's summary (or error), as it ends.
    done: UnboundedReceiver<(Taken, String)>,
}

async fn service() -> Service {
    let (sim, cfg, backends) = setup(fast_scenario()).await;
    let mut engine = Engine::new(backends, Arc::new(cfg));
    engine.run_poll = POLL;
    let (tx, done) = unbounded_channel();
    let start = Arc::new(move |taken: Taken| {
        let (engine, tx) = (engine.clone(), tx.clone());
        tokio::spawn(async move {
            let outcome = run(&engine, None, taken.clone()).await;
            let _ = tx.send((taken, outcome));
        });
    });
    let hooks = Arc::new(Hooks {
        verifier: Verifier::new(SECRET),
        own_login: Some("kfops-bot".into()),
        deliveries: Deliveries::new(DELIVERIES_KEPT),
        start,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router(hooks)).await });
    Service { sim, url, done }
}

fn comment(login: &str, text: &str) -> Vec<u8> {
    serde_json::json!({
        "action": "created",
        "issue": { "number": 42, "pull_request": { "url": "x" } },
        "comment": { "body": text, "user": { "login": login } },
    })
    .to_string()
    .into_bytes()
}

async fn deliver(s: &Service, id: &str, signature: Option<String>, body: Vec<u8>) -> u16 {
    let mut req = reqwest::Client::new()
        .post(&s.url)
        .header("X-GitHub-Event", "issue_comment")
        .header("X-GitHub-Delivery", id);
    if let Some(sig) = signature {
        req = req.header(HEADER, sig);
    }
    req.body(body).send().await.unwrap().status().as_u16()
}

fn signed(body: &[u8]) -> Option<String> {
    Some(Verifier::new(SECRET).sign(body))
}

#[tokio::test]
async fn a_signed_build_comment_is_accepted_built_once_and_answered_on_the_pr() {
    let mut s = service().await;
    let before = s.sim.github().comments(42).len();
    let body = comment("maria-ds", "/build");
    assert_eq!(
        deliver(&s, "guid-1", signed(&body), body.clone()).await,
        202
    );
    assert_eq!(deliver(&s, "guid-1", signed(&body), body).await, 200);
    let (taken, outcome) = s.done.recv().await.unwrap();
    assert_eq!((taken.pr, taken.user.as_str()), (42, "maria-ds"));
    assert!(s.done.try_recv().is_err(), "the redelivery ran nothing");
    let comments = s.sim.github().comments(42);
    assert_eq!(comments.len(), before + 1, "{outcome}");
}

#[tokio::test]
async fn bad_signatures_own_comments_and_chat_send_nothing_anywhere() {
    let mut s = service().await;
    let before = mutating(&s.sim);
    let body = comment("maria-ds", "/build");
    assert_eq!(deliver(&s, "guid-1", None, body.clone()).await, 401);
    let forged = Some(Verifier::new(b"not it").sign(&body));
    assert_eq!(deliver(&s, "guid-2", forged, body).await, 401);
    let own = comment("kfops-bot", "/build");
    assert_eq!(deliver(&s, "guid-3", signed(&own), own).await, 200);
    let chat = comment("maria-ds", "thanks, looks good");
    assert_eq!(deliver(&s, "guid-4", signed(&chat), chat).await, 200);
    assert!(s.done.try_recv().is_err(), "nothing started");
    assert_eq!(mutating(&s.sim), before);
}
