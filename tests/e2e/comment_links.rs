//! The "Details" links of the build and run comments open the KFP UI's pages: with `[kfp]
//! ui_url` they are Kfops' links to the UI's hash routes (kubeflow/pipelines
//! `frontend/src/components/Router.tsx`: `/pipelines/details/:pid/version/:vid`,
//! `/runs/details/:rid`) for IDs that exist in KFP; without it no link is written (neither the
//! API endpoint nor a service-proxy path relative to the API server is a page a PR reader can
//! open), and the IDs are written as text.

use kfops_console::config::Config;
use kfops_console::engine::run::{run, RunOptions};
use kfops_console::launch;
use kfops_sim::Simulator;

use crate::build_flow::{build, fast_scenario, newest_version, POLL};

const UI: &str = "https://kubeflow.example.com/pipeline";

/// The simulator and its demo config, changed by `adjust` before the backends are built.
async fn setup_with(adjust: impl FnOnce(&mut Config)) -> (Simulator, Config) {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), fast_scenario())
        .await
        .unwrap();
    let mut cfg = launch::demo_config(&sim).unwrap();
    adjust(&mut cfg);
    (sim, cfg)
}

/// Builds and runs PR 42; the bot's new comments on it.
async fn build_and_run(sim: &Simulator, cfg: &Config) -> Vec<String> {
    let before = sim.github().comments(42).len();
    let backends = launch::backends(cfg).await.unwrap();
    build(&backends, cfg, 42, &|_| {}).await.unwrap();
    let options = RunOptions {
        version_id: None,
        wait: true,
        poll: POLL,
    };
    run(&backends, cfg, 42, &options, &|_| {}).await.unwrap();
    sim.github().comments(42)[before..]
        .iter()
        .map(|c| c.body.clone())
        .collect()
}

/// The comment saying `text`.
fn comment<'a>(bodies: &'a [String], text: &str) -> &'a str {
    bodies
        .iter()
        .find(|b| b.contains(text))
        .unwrap_or_else(|| panic!("no comment says {text:?}: {bodies:?}"))
}

fn hrefs(body: &str) -> Vec<String> {
    body.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn with_a_ui_address_details_link_to_the_version_and_run_pages_of_the_kfp_ui() {
    let (sim, cfg) = setup_with(|cfg| cfg.kfp.ui_url = Some(format!("{UI}/"))).await;
    let bodies = build_and_run(&sim, &cfg).await;
    let version = newest_version(&sim, &cfg);
    let build = comment(&bodies, "Pipeline compiled successfully");
    assert_eq!(
        hrefs(build),
        vec![format!(
            "{UI}/#/pipelines/details/{}/version/{}",
            version.pipeline_id, version.id
        )]
    );
    let started = comment(&bodies, "Pipeline run started");
    let links = hrefs(started);
    let run_id = links[0]
        .strip_prefix(&format!("{UI}/#/runs/details/"))
        .unwrap_or_else(|| panic!("{links:?}"));
    let stored = sim.kfp().run(run_id).expect("the linked run exists in KFP");
    assert_eq!(stored.pipeline_version_id, version.id);
}

#[tokio::test]
async fn without_a_ui_address_no_comment_carries_a_link_only_the_ids() {
    // The API endpoint directly, and through the Kubernetes service proxy.
    for through_proxy in [false, true] {
        let (sim, cfg) = setup_with(|cfg| {
            cfg.kfp.ui_url = None;
            if through_proxy {
                cfg.kfp.endpoint = None;
            }
        })
        .await;
        let bodies = build_and_run(&sim, &cfg).await;
        assert!(!bodies.is_empty());
        for body in &bodies {
            assert!(hrefs(body).is_empty(), "proxy {through_proxy}: {body}");
        }
        let version = newest_version(&sim, &cfg);
        let build = comment(&bodies, "Pipeline compiled successfully");
        assert!(
            build.contains(&format!("Pipeline version <code>{}</code>", version.id)),
            "{build}"
        );
        let started = comment(&bodies, "Pipeline run started");
        assert!(started.contains("Run <code>"), "{started}");
    }
}
