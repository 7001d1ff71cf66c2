//! Reducer tests of several projects: one list of every project's PRs, a failing project
//! kept apart, the switcher, and each PR read with its own project's settings.

use super::*;
use crate::tui::project::ProjectState;
use crate::tui::test_support::said;

/// A console on two projects with their PRs loaded (#1 #2 in `a`, #1 in `b`); `b` has its
/// own target namespaces and KFP namespace.
pub(super) fn two_projects() -> App {
    let mut app = App::new("acme/a", "test", KeyMap::default());
    app.set_projects(vec![
        ProjectState {
            service_name: "a".into(),
            kfp_namespace: "kubeflow".into(),
            ..ProjectState::new("acme/a")
        },
        ProjectState {
            service_name: "b".into(),
            staging_namespace: "staging-b".into(),
            production_namespace: "production-b".into(),
            kfp_namespace: "team-b".into(),
            ..ProjectState::new("acme/b")
        },
    ]);
    init(&mut app);
    update(
        &mut app,
        Msg::ProjectsLoaded {
            budget: None,
            generation: 1,
            at: t(1),
            results: vec![(0, Ok(vec![pr(1), pr(2)])), (1, Ok(vec![pr(1)]))],
        },
    );
    app
}

#[test]
fn projects_load_into_one_list_and_one_failing_project_keeps_its_last_prs() {
    let mut app = two_projects();
    let ids = app.prs.ids();
    assert_eq!(ids, [(0, 1), (0, 2), (1, 1)]);
    assert_eq!(app.header(), "all projects (2)");
    // Project b fails: its last good PR stays, a's new list is taken, b is named.
    update(&mut app, key('G'));
    let cmds = update(
        &mut app,
        Msg::Key(KeyEvent::new(KeyCode::F(5), KeyModifiers::NONE)),
    );
    assert_eq!(cmds, [Command::LoadPrs { generation: 2 }]);
    update(
        &mut app,
        Msg::ProjectsLoaded {
            budget: None,
            generation: 2,
            at: t(2),
            results: vec![(0, Ok(vec![pr(2)])), (1, fail(t(2)))],
        },
    );
    let ids = app.prs.ids();
    assert_eq!(ids, [(0, 2), (1, 1)]);
    assert_eq!(app.prs.selected_id(), Some((1, 1)));
    assert_eq!(app.project(0).and_then(|p| p.failure.as_ref()), None);
    assert!(app.project(1).is_some_and(|p| p.failure.is_some()));
    assert!(app
        .status
        .failing
        .as_ref()
        .unwrap()
        .text
        .starts_with("acme/b: "));
}

#[test]
fn the_switcher_filters_and_actions_are_keyed_by_project_and_number() {
    let mut app = two_projects();
    // #1 of project b: `b` sends the build to project b.
    update(&mut app, key('G'));
    assert_eq!(
        update(&mut app, key('b')),
        [Command::StartAction {
            project: 1,
            pr: 1,
            cmd: ChatCommand::Build
        }]
    );
    assert!(app.actions.contains_key(&(1, 1)));
    assert!(said(&app).contains("acme/b#1"), "{}", said(&app));
    // #1 of project a is another PR: it may build meanwhile.
    update(&mut app, key('g'));
    assert_eq!(
        update(&mut app, key('b')),
        [Command::StartAction {
            project: 0,
            pr: 1,
            cmd: ChatCommand::Build
        }]
    );
    // P: a only, b only (targets follow), all again.
    update(&mut app, key('P'));
    assert_eq!(app.header(), "acme/a");
    assert_eq!(app.prs.items.len(), 2);
    let cmds = update(&mut app, key('P'));
    assert_eq!(app.header(), "acme/b");
    assert_eq!(app.prs.items.len(), 1);
    assert_eq!(
        cmds,
        [Command::WatchTargets {
            service_name: "b".into(),
            staging_namespace: "staging-b".into(),
            production_namespace: "production-b".into(),
        }]
    );
    update(&mut app, key('P'));
    assert_eq!(app.header(), "all projects (2)");
    assert_eq!(app.prs.items.len(), 3);
}

#[test]
fn a_pr_of_another_project_is_confirmed_with_that_projects_namespace_and_name() {
    let mut app = two_projects();
    // #1 of project b while the targets pane shows a (the first, for "all").
    update(&mut app, key('G'));
    assert!(
        update(&mut app, key('d')).is_empty(),
        "production asks first"
    );
    let Overlay::Deploy(d) = &app.overlay else {
        panic!("no confirmation: {:?}", app.overlay)
    };
    assert_eq!((d.project, d.pr), (1, 1));
    assert_eq!(d.namespace, "production-b");
    assert_eq!(d.label, "acme/b#1");
    assert!(d.current.contains("watches acme/a"), "{}", d.current);
    // Shown with its own project, the targets pane is b's and says what it serves.
    update(&mut app, code(KeyCode::Esc));
    update(&mut app, key('P'));
    update(&mut app, key('P'));
    assert_eq!(app.targets.service_name, "b");
    assert_eq!(app.targets.namespace(DeployTarget::Staging), "staging-b");
    update(&mut app, key('d'));
    let Overlay::Deploy(d) = &app.overlay else {
        panic!("no confirmation: {:?}", app.overlay)
    };
    assert_eq!(d.namespace, "production-b");
    assert!(!d.current.contains("not shown"), "{}", d.current);
}

#[test]
fn each_project_keeps_its_own_names_and_kfp_namespace() {
    let app = two_projects();
    assert_eq!(app.pr_label((0, 1)), "acme/a#1");
    assert_eq!(app.pr_label((1, 1)), "acme/b#1");
    assert_eq!(app.kfp_namespace_of(0), "kubeflow");
    assert_eq!(app.kfp_namespace_of(1), "team-b");
    // One repository is one project: a bare `#N` and its name in the header.
    let mut one = App::new("acme/model", "test", KeyMap::default());
    assert_eq!(one.pr_label((0, 7)), "#7");
    assert_eq!(one.header(), "acme/model");
    one.set_projects(Vec::new());
    assert_eq!(one.projects.len(), 1, "never without a project");
}
