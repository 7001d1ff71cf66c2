//! The reducer part for the deployment targets pane: the watch's events, and Up/Down
//! selecting staging / production. Also the pure mapping from a kube watcher event to a
//! [`TargetChange`] (defined with the watch in `effects::targets`).

use super::app::App;
use crate::chatops::DeployTarget;
use crate::effects::targets::TargetEvent;
use crate::effects::Command;
use crate::keys::Action;

/// The command watching both targets of the project the pane shows (started at init and
/// when the switcher changes project; it runs until replaced or the console quits).
pub fn watch(app: &App) -> Vec<Command> {
    let Some(p) = app.project(app.targets_project()) else {
        return Vec::new();
    };
    vec![Command::WatchTargets {
        service_name: p.service_name.clone(),
        staging_namespace: p.staging_namespace.clone(),
        production_namespace: p.production_namespace.clone(),
    }]
}

/// Applies a watch event to the pane.
pub fn on_event(app: &mut App, event: TargetEvent) -> Vec<Command> {
    match event {
        TargetEvent::Change { target, at, change } => {
            app.now = app.now.max(at);
            app.targets.apply(target, change, at);
        }
        TargetEvent::Batch(events) => {
            for ev in events {
                on_event(app, ev);
            }
        }
    }
    Vec::new()
}

/// Actions while the targets pane is focused; `None` for the ones it does not handle.
pub fn on_action(app: &mut App, action: Action) -> Option<Vec<Command>> {
    match action {
        Action::Up | Action::Top => app.targets.select(DeployTarget::Staging),
        Action::Down | Action::Bottom => app.targets.select(DeployTarget::Production),
        _ => return None,
    }
    Some(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backends::kserve::ServiceState;
    use crate::effects::targets::TargetChange;
    use crate::keys::KeyMap;
    use crate::tui::msg::Msg;
    use crate::tui::project::ProjectState;
    use crate::tui::update::update;
    use chrono::TimeZone;
    use chrono::{DateTime, Utc};
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use kube::api::DynamicObject;
    use kube::runtime::watcher;

    fn t(s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, s).unwrap()
    }

    fn object(name: &str, canary: i64) -> DynamicObject {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": name, "namespace": "staging"},
            "spec": {"predictor": {"canaryTrafficPercent": canary}},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]}
        }))
        .unwrap()
    }

    fn change(target: DeployTarget, s: u32, change: TargetChange) -> Msg {
        Msg::Target(TargetEvent::Change {
            target,
            at: t(s),
            change,
        })
    }

    fn app() -> App {
        let mut app = App::new("acme/model", "test", KeyMap::default());
        app.set_projects(vec![ProjectState {
            service_name: "m".into(),
            staging_namespace: "stg".into(),
            production_namespace: "prd".into(),
            ..ProjectState::new("acme/model")
        }]);
        app
    }

    #[test]
    fn watcher_events_are_filtered_to_the_configured_service() {
        let ev = |e| TargetChange::of_watch(e, "m");
        assert_eq!(ev(watcher::Event::Init), Some(TargetChange::Init));
        assert_eq!(ev(watcher::Event::InitDone), Some(TargetChange::InitDone));
        assert_eq!(ev(watcher::Event::Apply(object("other", 5))), None);
        assert_eq!(ev(watcher::Event::InitApply(object("other", 5))), None);
        assert_eq!(ev(watcher::Event::Delete(object("other", 5))), None);
        assert_eq!(
            ev(watcher::Event::Delete(object("m", 5))),
            Some(TargetChange::Deleted)
        );
        match ev(watcher::Event::Apply(object("m", 5))) {
            Some(TargetChange::Apply(s)) => assert_eq!(s.canary_percent, Some(5)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_watch_starts_at_init_with_the_configured_names() {
        let mut app = app();
        let commands = crate::tui::update::init(&mut app);
        assert!(commands.contains(&Command::WatchTargets {
            service_name: "m".into(),
            staging_namespace: "stg".into(),
            production_namespace: "prd".into(),
        }));
    }

    #[test]
    fn events_move_the_state_and_a_batch_applies_them_in_order() {
        let mut app = app();
        let state = |canary| Box::new(ServiceState::of(&object("m", canary)));
        update(
            &mut app,
            Msg::Target(TargetEvent::Batch(vec![
                TargetEvent::Change {
                    target: DeployTarget::Production,
                    at: t(1),
                    change: TargetChange::Init,
                },
                TargetEvent::Change {
                    target: DeployTarget::Production,
                    at: t(1),
                    change: TargetChange::InitApply(state(10)),
                },
                TargetEvent::Change {
                    target: DeployTarget::Production,
                    at: t(2),
                    change: TargetChange::InitDone,
                },
            ])),
        );
        let prod = |app: &App| app.targets.state(DeployTarget::Production).cloned();
        assert_eq!(prod(&app).and_then(|s| s.canary_percent), Some(10));
        assert!(app.targets.state(DeployTarget::Staging).is_none());
        assert!(!app.targets.staging.listed, "staging not listed yet");
        assert_eq!(app.now, t(2), "time comes with the events");

        update(
            &mut app,
            change(DeployTarget::Production, 3, TargetChange::Apply(state(50))),
        );
        assert_eq!(prod(&app).and_then(|s| s.canary_percent), Some(50));
        assert_eq!(app.targets.production.changed_at, Some(t(3)));
        update(
            &mut app,
            change(DeployTarget::Production, 4, TargetChange::Deleted),
        );
        assert!(prod(&app).is_none());
        assert!(app.targets.production.listed, "now: not deployed");
    }

    #[test]
    fn up_and_down_select_a_target_only_when_the_pane_is_focused() {
        let mut app = app();
        let down = || Msg::Key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE));
        let up = || Msg::Key(KeyEvent::new(KeyCode::Up, KeyModifiers::NONE));
        update(&mut app, down());
        assert_eq!(app.targets.selected_target(), DeployTarget::Staging);
        update(
            &mut app,
            Msg::Key(KeyEvent::new(KeyCode::Char('4'), KeyModifiers::NONE)),
        );
        update(&mut app, down());
        assert_eq!(app.targets.selected_target(), DeployTarget::Production);
        update(&mut app, down());
        assert_eq!(app.targets.selected_target(), DeployTarget::Production);
        update(&mut app, up());
        assert_eq!(app.targets.selected_target(), DeployTarget::Staging);
    }
}
