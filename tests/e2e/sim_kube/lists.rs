//! Label and field selectors, all-namespace lists, `limit` + `continue`.

use k8s_openapi::api::core::v1::Pod;
use kube::api::{ListParams, PostParams};
use kube::Api;
use serde_json::json;

use super::{api_error, busybox, scenario, start, wait_phase, NS};

#[tokio::test]
async fn lists_filter_by_label_and_field_selectors_and_page_with_continue() {
    let (sim, client) = start(scenario(|_| {})).await;
    let api: Api<Pod> = Api::namespaced(client.clone(), NS);
    for (name, labels) in [
        ("a", json!({"app": "kaniko", "pr": "41"})),
        ("b", json!({"app": "kaniko", "pr": "42"})),
        ("c", json!({"app": "kfp"})),
        ("d", json!({})),
    ] {
        api.create(&PostParams::default(), &busybox(name, labels, &["main"]))
            .await
            .unwrap();
    }
    Api::<Pod>::namespaced(client.clone(), "staging")
        .create(
            &PostParams::default(),
            &busybox("e", json!({"app": "kaniko"}), &["main"]),
        )
        .await
        .unwrap();
    let names = |list: kube::core::ObjectList<Pod>| -> Vec<String> {
        list.items
            .into_iter()
            .filter_map(|p| p.metadata.name)
            .collect()
    };
    let select = |s: &str| ListParams::default().labels(s);
    assert_eq!(
        names(api.list(&select("app=kaniko")).await.unwrap()),
        ["a", "b"]
    );
    assert_eq!(
        names(api.list(&select("app==kaniko,pr!=41")).await.unwrap()),
        ["b"]
    );
    assert_eq!(
        names(api.list(&select("app!=kaniko")).await.unwrap()),
        ["c", "d"]
    );
    assert_eq!(
        names(api.list(&select("pr in (41, 42)")).await.unwrap()),
        ["a", "b"]
    );
    assert_eq!(
        names(api.list(&select("app notin (kaniko)")).await.unwrap()),
        ["c", "d"]
    );
    assert_eq!(names(api.list(&select("pr")).await.unwrap()), ["a", "b"]);
    assert_eq!(names(api.list(&select("!app")).await.unwrap()), ["d"]);
    assert_eq!(
        names(
            api.list(&ListParams::default().fields("metadata.name=c"))
                .await
                .unwrap()
        ),
        ["c"]
    );
    wait_phase(&api, "d", "Succeeded").await;
    let done = names(
        api.list(&ListParams::default().fields("status.phase=Succeeded,metadata.name!=a"))
            .await
            .unwrap(),
    );
    assert!(
        done.contains(&"d".to_owned()) && !done.contains(&"a".to_owned()),
        "{done:?}"
    );
    let status = api_error(
        api.list(&ListParams::default().fields("spec.bogus=1"))
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (status.code, status.message.as_str()),
        (400, "field label not supported: spec.bogus")
    );
    assert_eq!(
        api_error(api.list(&select("app in kaniko")).await.unwrap_err()).code,
        400
    );

    let all: Api<Pod> = Api::all(client.clone());
    assert_eq!(
        names(all.list(&select("app=kaniko")).await.unwrap()),
        ["a", "b", "e"]
    );

    // limit + continue walk the list in order.
    let first = api.list(&ListParams::default().limit(3)).await.unwrap();
    assert_eq!(first.metadata.remaining_item_count, Some(1));
    let token = first.metadata.continue_.clone().unwrap();
    let rv: u64 = first
        .metadata
        .resource_version
        .clone()
        .unwrap()
        .parse()
        .unwrap();
    assert!(rv >= 5);
    let rest = api
        .list(&ListParams::default().limit(3).continue_token(&token))
        .await
        .unwrap();
    assert!(rest
        .metadata
        .continue_
        .as_deref()
        .unwrap_or_default()
        .is_empty());
    let mut walked = names(first);
    walked.extend(names(rest));
    assert_eq!(walked, ["a", "b", "c", "d"]);
    assert_eq!(sim.kube().pods(NS).len(), 4);
}
