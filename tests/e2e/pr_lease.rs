//! A PR's Lease (`backends::lease`) against the simulated API server: of two processes racing
//! on one PR exactly one holds it and the other is told who and since when; a holder that stops
//! renewing loses the PR once the Lease expires (the clock is moved, nothing sleeps); a
//! release frees the PR and leaves a Lease taken over by someone else alone.

use chrono::{DateTime, Duration, Utc};
use k8s_openapi::api::coordination::v1::Lease;
use kfops_console::backends::lease::{lease_name, LeaseError, PrLease};
use kfops_sim::{Scenario, Simulator};
use kube::{Api, Client, Config};

const NS: &str = "kfops";

async fn start() -> (Simulator, Api<Lease>, Api<Lease>) {
    let sim = Simulator::start("127.0.0.1:0".parse().unwrap(), Scenario::demo())
        .await
        .unwrap();
    // Two clients: two processes.
    let api = || {
        let config = Config::new(sim.kube_url().parse().unwrap());
        Api::namespaced(Client::try_from(config).unwrap(), NS)
    };
    let (a, b) = (api(), api());
    (sim, a, b)
}

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap()
}

fn held_by(result: Result<PrLease, LeaseError>) -> (String, String, Option<DateTime<Utc>>) {
    match result {
        Err(LeaseError::Held(h)) => (h.identity, h.action, h.since),
        Err(other) => panic!("expected a refusal, got {other}"),
        Ok(_) => panic!("expected a refusal, got the lease"),
    }
}

#[tokio::test]
async fn two_processes_racing_on_one_pr_one_wins_the_other_is_told_who_and_since_when() {
    let (sim, a, b) = start().await;
    let name = lease_name("acme-ml", "churn-model", 42);
    let (ra, rb) = tokio::join!(
        PrLease::acquire(a, &name, "ana@laptop", "build", 30, t0()),
        PrLease::acquire(b, &name, "kfops-serve-7d9f", "deploy", 30, t0()),
    );
    let (won, lost, winner, action) = match (ra, rb) {
        (Ok(l), r) => (l, r, "ana@laptop", "build"),
        (r, Ok(l)) => (l, r, "kfops-serve-7d9f", "deploy"),
        (Err(x), Err(y)) => panic!("nobody got the lease: {x} / {y}"),
    };
    assert_eq!(
        held_by(lost),
        (winner.to_owned(), action.to_owned(), Some(t0()))
    );
    let stored = sim.kube().lease(NS, &name).unwrap();
    assert_eq!(
        stored.spec.unwrap().holder_identity.as_deref(),
        Some(winner)
    );
    let refusal = LeaseError::Held(kfops_console::backends::lease::Holder {
        identity: winner.to_owned(),
        action: action.to_owned(),
        since: Some(t0()),
    })
    .to_string();
    assert!(refusal.contains(winner) && refusal.contains(action) && refusal.contains("since"));

    won.release().await.unwrap();
    assert!(sim.kube().lease(NS, &name).is_none(), "released");
}

#[tokio::test]
async fn a_holder_that_stops_renewing_loses_the_pr_when_its_lease_expires() {
    let (sim, a, b) = start().await;
    let name = lease_name("acme-ml", "churn-model", 41);
    let mut ana = PrLease::acquire(a, &name, "ana@laptop", "run", 30, t0())
        .await
        .unwrap();
    // Renewed at +20 s: still held at +45 s.
    ana.renew(t0() + Duration::seconds(20)).await.unwrap();
    let early = PrLease::acquire(
        b.clone(),
        &name,
        "bob@desk",
        "build",
        30,
        t0() + Duration::seconds(45),
    )
    .await;
    assert_eq!(held_by(early).0, "ana@laptop");

    // Ana's process died: no renewal after +20 s; at +51 s the lease is free again.
    let bob = PrLease::acquire(
        b,
        &name,
        "bob@desk",
        "build",
        30,
        t0() + Duration::seconds(51),
    )
    .await
    .unwrap();
    let stored = sim.kube().lease(NS, &name).unwrap();
    assert_eq!(
        stored.spec.unwrap().holder_identity.as_deref(),
        Some("bob@desk")
    );
    // Ana coming back finds it taken, and her release leaves Bob's lease alone.
    let back = ana.renew(t0() + Duration::seconds(52)).await;
    assert!(
        matches!(back, Err(LeaseError::Held(ref h)) if h.identity == "bob@desk"),
        "{back:?}"
    );
    ana.release().await.unwrap();
    assert!(sim.kube().lease(NS, &name).is_some(), "Bob still holds it");
    bob.release().await.unwrap();
    assert!(sim.kube().lease(NS, &name).is_none());
}
