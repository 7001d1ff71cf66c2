//! coordination.k8s.io/v1 Leases as kube-apiserver serves them, through kube-rs: discovery
//! finds them, create 201 / 409 AlreadyExists, get 404 NotFound, a PUT with a stale
//! resourceVersion 409 Conflict (optimistic concurrency), list, delete.

use k8s_openapi::api::coordination::v1::Lease;
use kube::api::{DeleteParams, ListParams, PostParams};
use kube::Api;
use serde_json::{json, Value};

use super::{api_error, raw, scenario, start, NS};

fn lease(name: &str, holder: &str) -> Lease {
    serde_json::from_value(json!({
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": name},
        "spec": {"holderIdentity": holder, "leaseDurationSeconds": 60},
    }))
    .unwrap()
}

#[tokio::test]
async fn discovery_lists_leases_with_their_verbs() {
    let (sim, client) = start(scenario(|_| {})).await;
    let discovery = kube::discovery::Discovery::new(client.clone())
        .run()
        .await
        .unwrap();
    let (leases, caps) = discovery
        .resolve_gvk(&kube::api::GroupVersionKind::gvk(
            "coordination.k8s.io",
            "v1",
            "Lease",
        ))
        .unwrap();
    assert_eq!(leases.plural, "leases");
    for verb in ["create", "get", "list", "update", "delete", "watch"] {
        assert!(caps.supports_operation(verb), "{verb}");
    }
    let (status, _, body) = raw(&sim, "/apis").await;
    assert_eq!(status, 200);
    let body: Value = serde_json::from_str(&body).unwrap();
    let groups: Vec<&str> = body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert!(groups.contains(&"coordination.k8s.io"), "{groups:?}");
}

#[tokio::test]
async fn leases_are_created_read_replaced_with_optimistic_concurrency_and_deleted() {
    let (sim, client) = start(scenario(|_| {})).await;
    let api: Api<Lease> = Api::namespaced(client.clone(), NS);

    let missing = api_error(api.get("pr-42").await.unwrap_err());
    assert_eq!(
        (
            missing.code,
            missing.reason.as_str(),
            missing.message.as_str()
        ),
        (
            404,
            "NotFound",
            "leases.coordination.k8s.io \"pr-42\" not found"
        )
    );

    let created = api
        .create(&PostParams::default(), &lease("pr-42", "ana@laptop"))
        .await
        .unwrap();
    let first_version = created.metadata.resource_version.clone().unwrap();
    let taken = api_error(
        api.create(&PostParams::default(), &lease("pr-42", "bob@laptop"))
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (taken.code, taken.reason.as_str(), taken.message.as_str()),
        (
            409,
            "AlreadyExists",
            "leases.coordination.k8s.io \"pr-42\" already exists"
        )
    );

    // Two writers read the same version; the first PUT wins, the second conflicts.
    let mut renew = created.clone();
    renew.spec.as_mut().unwrap().lease_duration_seconds = Some(90);
    let renewed = api
        .replace("pr-42", &PostParams::default(), &renew)
        .await
        .unwrap();
    assert_ne!(renewed.metadata.resource_version, Some(first_version));
    let mut takeover = created.clone();
    takeover.spec.as_mut().unwrap().holder_identity = Some("bob@laptop".to_owned());
    let lost = api_error(
        api.replace("pr-42", &PostParams::default(), &takeover)
            .await
            .unwrap_err(),
    );
    assert_eq!((lost.code, lost.reason.as_str()), (409, "Conflict"));
    assert_eq!(
        lost.message,
        "Operation cannot be fulfilled on leases.coordination.k8s.io \"pr-42\": the object has \
         been modified; please apply your changes to the latest version and try again"
    );
    let held = api.get("pr-42").await.unwrap();
    let spec = held.spec.unwrap();
    assert_eq!(
        (spec.holder_identity.as_deref(), spec.lease_duration_seconds),
        (Some("ana@laptop"), Some(90))
    );
    assert_eq!(sim.kube().leases_in(NS).len(), 1);

    let listed = api.list(&ListParams::default()).await.unwrap();
    let names: Vec<_> = listed
        .items
        .iter()
        .map(|l| l.metadata.name.clone())
        .collect();
    assert_eq!(names, vec![Some("pr-42".to_owned())]);

    api.delete("pr-42", &DeleteParams::default()).await.unwrap();
    assert!(sim.kube().lease(NS, "pr-42").is_none());
    let gone = api_error(
        api.delete("pr-42", &DeleteParams::default())
            .await
            .unwrap_err(),
    );
    assert_eq!(gone.code, 404);
}
