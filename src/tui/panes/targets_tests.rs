//! The targets pane's state: watch events (with relists), label holders, selection.

use chrono::TimeZone;

use super::render::{short_revision, traffic_bar, traffic_text};
use super::*;
use crate::tui::theme::Theme;

fn t(s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, s).unwrap()
}

fn svc(run: &str, canary: Option<i64>, pr: Option<u64>) -> Box<ServiceState> {
    Box::new(ServiceState {
        namespace: "staging".into(),
        name: "m".into(),
        ready: Some(true),
        run_id: Some(run.into()),
        canary_percent: canary,
        pr,
        traffic: vec![("m-predictor-00001".into(), 100, Some("latest".into()))],
        latest_created: Some("m-predictor-00001".into()),
        latest_ready: Some("m-predictor-00001".into()),
        ..ServiceState::default()
    })
}

fn pr(number: u64, labels: &[&str]) -> PullRequest {
    PullRequest {
        project: 0,
        number,
        title: format!("PR {number}"),
        author: "ana".into(),
        head_ref: "f".into(),
        head_sha: "a".repeat(40),
        base_ref: "main".into(),
        behind_by: Some(0),
        ahead_by: Some(1),
        mergeable: Some(true),
        mergeable_state: None,
        labels: labels.iter().map(|l| l.to_string()).collect(),
        updated_at: t(0),
        last_version_id: None,
        last_run_id: None,
    }
}

fn run_of(target: &Target) -> Option<&str> {
    target.state.as_ref().and_then(|s| s.run_id.as_deref())
}

#[test]
fn a_first_list_sets_the_state_and_an_empty_list_means_not_deployed() {
    let mut pane = TargetsPane::new("m", "staging", "production");
    assert!(!pane.staging.listed);
    assert_eq!(pane.staging.stream, StreamState::Connecting);
    pane.apply(DeployTarget::Staging, TargetChange::Init, t(1));
    pane.apply(
        DeployTarget::Staging,
        TargetChange::InitApply(svc("r1", None, None)),
        t(1),
    );
    assert!(
        pane.state(DeployTarget::Staging).is_none(),
        "not before InitDone"
    );
    pane.apply(DeployTarget::Staging, TargetChange::InitDone, t(2));
    assert_eq!(run_of(&pane.staging), Some("r1"));
    assert_eq!(pane.staging.changed_at, Some(t(2)));
    assert_eq!(pane.staging.stream, StreamState::Watching);

    pane.apply(DeployTarget::Production, TargetChange::Init, t(1));
    pane.apply(DeployTarget::Production, TargetChange::InitDone, t(2));
    assert!(pane.production.listed);
    assert!(pane.state(DeployTarget::Production).is_none());
}

#[test]
fn apply_and_delete_change_the_state_live() {
    let mut pane = TargetsPane::new("m", "staging", "production");
    pane.apply(DeployTarget::Staging, TargetChange::Init, t(1));
    pane.apply(DeployTarget::Staging, TargetChange::InitDone, t(1));
    pane.apply(
        DeployTarget::Staging,
        TargetChange::Apply(svc("r1", Some(10), None)),
        t(2),
    );
    assert_eq!(
        pane.state(DeployTarget::Staging)
            .and_then(|s| s.canary_percent),
        Some(10)
    );
    pane.apply(
        DeployTarget::Staging,
        TargetChange::Apply(svc("r1", Some(90), None)),
        t(3),
    );
    assert_eq!(
        pane.state(DeployTarget::Staging)
            .and_then(|s| s.canary_percent),
        Some(90)
    );
    assert_eq!(pane.staging.changed_at, Some(t(3)));
    pane.apply(DeployTarget::Staging, TargetChange::Deleted, t(4));
    assert!(pane.state(DeployTarget::Staging).is_none());
    assert!(
        pane.production.state.is_none(),
        "the other target is untouched"
    );
}

#[test]
fn a_relist_replaces_the_state_only_when_complete() {
    let mut pane = TargetsPane::new("m", "staging", "production");
    let target = DeployTarget::Production;
    pane.apply(target, TargetChange::Apply(svc("old", None, None)), t(1));
    // A relist that sees a new object: the old state stays until InitDone.
    pane.apply(target, TargetChange::Init, t(2));
    pane.apply(
        target,
        TargetChange::InitApply(svc("new", None, None)),
        t(2),
    );
    assert_eq!(run_of(&pane.production), Some("old"));
    pane.apply(target, TargetChange::InitDone, t(3));
    assert_eq!(run_of(&pane.production), Some("new"));
    // A relist that finds nothing: deleted while the watch was away.
    pane.apply(target, TargetChange::Init, t(4));
    pane.apply(target, TargetChange::InitDone, t(5));
    assert!(pane.state(target).is_none());
    assert_eq!(pane.production.changed_at, Some(t(5)));
}

#[test]
fn errors_keep_the_last_good_state_and_count_since_the_first() {
    let mut pane = TargetsPane::new("m", "staging", "production");
    let target = DeployTarget::Staging;
    pane.apply(target, TargetChange::Apply(svc("r1", None, None)), t(1));
    // A relist cut short by an error does not replace anything.
    pane.apply(target, TargetChange::Init, t(2));
    pane.apply(
        target,
        TargetChange::Error("connection refused".into()),
        t(3),
    );
    pane.apply(target, TargetChange::InitDone, t(4));
    assert_eq!(run_of(&pane.staging), Some("r1"));
    pane.apply(
        target,
        TargetChange::Error("connection refused again".into()),
        t(5),
    );
    assert_eq!(
        pane.staging.stream,
        StreamState::Failing {
            error: "connection refused again".into(),
            since: t(3),
            count: 2
        }
    );
    assert_eq!(run_of(&pane.staging), Some("r1"));
    // A fresh list after the restart: healthy again.
    pane.apply(target, TargetChange::Init, t(9));
    assert_eq!(pane.staging.stream, StreamState::Watching);
    pane.apply(
        target,
        TargetChange::Unavailable("no cluster".into()),
        t(10),
    );
    assert_eq!(
        pane.staging.stream,
        StreamState::Unavailable("no cluster".into())
    );
}

#[test]
fn the_label_holder_is_the_open_pr_with_the_label_else_the_deploying_pr() {
    let prs = vec![
        pr(41, &[]),
        pr(42, &[LABEL_STAGING, "model"]),
        pr(43, &[LABEL_PRODUCTION]),
    ];
    let staging = label_holders(DeployTarget::Staging, Some(&prs), None);
    assert_eq!(
        staging,
        vec![LabelHolder {
            pr: 42,
            open: Some(true),
            labelled: true
        }]
    );
    // Production's PR was merged (closed): only the service's annotation names it.
    let prs = vec![pr(41, &[]), pr(42, &[LABEL_STAGING])];
    let deployed = svc("r1", None, Some(40));
    let production = label_holders(DeployTarget::Production, Some(&prs), Some(&deployed));
    assert_eq!(
        production,
        vec![LabelHolder {
            pr: 40,
            open: Some(false),
            labelled: false
        }]
    );
    // The annotation naming the labelled PR adds nothing; an open unlabelled one is open.
    let deployed_42 = svc("r1", None, Some(42));
    assert_eq!(
        label_holders(DeployTarget::Staging, Some(&prs), Some(&deployed_42)).len(),
        1
    );
    let deployed_41 = svc("r1", None, Some(41));
    assert_eq!(
        label_holders(DeployTarget::Staging, Some(&prs), Some(&deployed_41))[1],
        LabelHolder {
            pr: 41,
            open: Some(true),
            labelled: false
        }
    );
    // PR list not loaded: open unknown.
    assert_eq!(
        label_holders(DeployTarget::Production, None, Some(&deployed))[0].open,
        None
    );
    assert!(label_holders(DeployTarget::Production, Some(&prs), None).is_empty());
}

#[test]
fn selection_and_lookups_by_target() {
    let mut pane = TargetsPane::new("m", "stg", "prd");
    assert_eq!(pane.selected_target(), DeployTarget::Staging);
    pane.select(DeployTarget::Production);
    assert_eq!(pane.selected_target(), DeployTarget::Production);
    assert_eq!(pane.namespace(DeployTarget::Staging), "stg");
    assert_eq!(pane.namespace(DeployTarget::Production), "prd");
    pane.apply(
        DeployTarget::Production,
        TargetChange::Apply(svc("r9", None, None)),
        t(1),
    );
    assert_eq!(
        pane.state(DeployTarget::Production)
            .and_then(|s| s.run_id.as_deref()),
        Some("r9")
    );
    assert!(pane.state(DeployTarget::Staging).is_none());
}

#[test]
fn traffic_text_degrades_with_width_and_revisions_are_shortened() {
    let state = ServiceState {
        traffic: vec![
            ("m-predictor-00002".into(), 10, Some("latest".into())),
            ("m-predictor-00001".into(), 90, Some("prev".into())),
        ],
        ..ServiceState::default()
    };
    assert_eq!(
        traffic_text(&state, 80),
        "latest 00002 10% │ prev 00001 90%"
    );
    assert_eq!(traffic_text(&state, 25), "00002 10% │ 00001 90%");
    assert_eq!(traffic_text(&state, 12), "10% │ 90%");
    assert_eq!(short_revision("m-predictor-00002"), "00002");
    assert_eq!(short_revision("custom"), "custom");
}

#[test]
fn the_bar_cells_add_up_to_the_width() {
    let theme = Theme::default();
    let state = ServiceState {
        traffic: vec![
            ("a".into(), 33, None),
            ("b".into(), 33, None),
            ("c".into(), 34, None),
        ],
        ..ServiceState::default()
    };
    for width in [1usize, 7, 20, 40] {
        let cells: usize = traffic_bar(&state, width, &theme)
            .iter()
            .map(|s| s.content.chars().count())
            .sum();
        assert_eq!(cells, width);
    }
}

#[test]
fn serving_now_in_words() {
    let mut pane = TargetsPane::new("m", "staging", "production");
    assert_eq!(
        pane.serving_now(DeployTarget::Production),
        "unknown (not listed yet)"
    );
    pane.apply(
        DeployTarget::Production,
        TargetChange::Unavailable("no cluster".into()),
        t(1),
    );
    assert_eq!(
        pane.serving_now(DeployTarget::Production),
        "unknown (no cluster)"
    );
    pane.apply(DeployTarget::Production, TargetChange::Init, t(1));
    pane.apply(DeployTarget::Production, TargetChange::InitDone, t(1));
    assert_eq!(
        pane.serving_now(DeployTarget::Production),
        "nothing (not deployed)"
    );
    pane.apply(
        DeployTarget::Production,
        TargetChange::Apply(svc("1a2b3c4d-5e6f", None, Some(40))),
        t(2),
    );
    assert_eq!(
        pane.serving_now(DeployTarget::Production),
        "run 1a2b3c4d from #40 (ready)"
    );
}
