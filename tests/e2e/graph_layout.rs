//! The run graph pane's model, layout and renderer: KFP pipeline specs with task details in
//! mixed states drawn with ratatui's TestBackend (snapshots), the colours that carry the
//! status, and layout properties on random DAGs (edges join their nodes, nothing overlaps).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, TimeZone, Utc};
use kfops_console::graph::{
    self, Direction, GroupState, Layout, NodeId, NodeStatus, RunGraph, RuntimeState, TaskDetail,
    VisibleGraph,
};
use kfops_console::tui::graph_draw::{self, GraphView};
use kfops_console::tui::theme::Theme;
use proptest::prelude::*;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::Terminal;
use serde_json::{json, Value};

fn t(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap() + chrono::Duration::seconds(secs)
}

/// "Now" for every drawing: ten minutes into the run.
fn now() -> DateTime<Utc> {
    t(600)
}

/// A spec whose root DAG has `tasks` as (name, dependencies).
fn flat_spec(tasks: &[(&str, &[&str])]) -> Value {
    let tasks: serde_json::Map<String, Value> = tasks
        .iter()
        .map(|(name, deps)| {
            (
                name.to_string(),
                json!({"componentRef": {"name": format!("comp-{name}")},
                       "dependentTasks": deps, "taskInfo": {"name": name}}),
            )
        })
        .collect();
    json!({"pipelineInfo": {"name": "test"}, "root": {"dag": {"tasks": tasks}}})
}

/// A task detail: `state` over [start, end] seconds (end `None` while running).
fn detail(
    id: &str,
    name: &str,
    parent: &str,
    state: RuntimeState,
    start: Option<i64>,
    end: Option<i64>,
) -> TaskDetail {
    TaskDetail {
        task_id: id.into(),
        display_name: name.into(),
        parent_task_id: parent.into(),
        state,
        start_time: start.map(t),
        end_time: end.map(t),
        ..TaskDetail::default()
    }
}

/// Root-level details: the run's root DAG plus one entry per (name, state, start, end).
fn root_details(tasks: &[(&str, RuntimeState, Option<i64>, Option<i64>)]) -> Vec<TaskDetail> {
    let mut out = vec![detail(
        "root",
        "test-run-7f3a",
        "",
        RuntimeState::Running,
        Some(0),
        None,
    )];
    out.extend(
        tasks
            .iter()
            .map(|&(name, state, s, e)| detail(name, name, "root", state, s, e)),
    );
    out
}

/// Lays out and draws `graph` on a terminal just big enough for it.
fn draw(graph: &RunGraph, collapsed: &HashSet<NodeId>, ascii: bool) -> Terminal<TestBackend> {
    let visible = graph.visible(collapsed);
    let layout = Layout::compute(&visible);
    check_layout(&visible, &layout).unwrap();
    let (w, h) = (layout.width.max(20), layout.height.max(3));
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    let view = GraphView {
        ascii,
        ..GraphView::default()
    };
    terminal
        .draw(|frame| {
            let area = frame.area();
            graph_draw::render(
                &visible,
                &layout,
                area,
                frame.buffer_mut(),
                &view,
                &Theme::dark(),
                now(),
            );
        })
        .unwrap();
    terminal
}

/// The screen cell showing `symbol` first (row-major).
fn find_symbol(buf: &Buffer, symbol: &str) -> Option<(u16, u16)> {
    let area = buf.area;
    (area.y..area.bottom())
        .flat_map(|y| (area.x..area.right()).map(move |x| (x, y)))
        .find(|&(x, y)| buf[(x, y)].symbol() == symbol)
}

#[test]
fn a_linear_run_shows_each_step_with_its_status_and_duration() {
    use RuntimeState::*;
    let spec = flat_spec(&[
        ("ingest", &[]),
        ("validate", &["ingest"]),
        ("train", &["validate"]),
        ("evaluate", &["train"]),
        ("deploy", &["evaluate"]),
    ]);
    let mut run = RunGraph::from_spec(&spec).unwrap();
    run.apply_task_details(&root_details(&[
        ("ingest", Succeeded, Some(0), Some(83)),
        ("validate", Succeeded, Some(84), Some(95)),
        ("train", Running, Some(96), None),
    ]));
    let terminal = draw(&run, &HashSet::new(), false);
    insta::assert_snapshot!("graph_linear", terminal.backend());
}

#[test]
fn a_diamond_with_a_failed_branch_colours_failed_and_running_nodes() {
    use RuntimeState::*;
    let spec = flat_spec(&[
        ("prepare-data", &[]),
        ("train-xgboost", &["prepare-data"]),
        ("train-linear", &["prepare-data"]),
        ("compare-models", &["train-xgboost", "train-linear"]),
    ]);
    let mut run = RunGraph::from_spec(&spec).unwrap();
    let mut details = root_details(&[
        ("prepare-data", Succeeded, Some(0), Some(40)),
        ("train-xgboost", Running, Some(41), None),
        ("train-linear", Failed, Some(41), Some(163)),
    ]);
    details[3].error = Some(graph::status::RpcStatus {
        code: 2,
        message: "exit code 1".into(),
    });
    run.apply_task_details(&details);
    let failed = run.find_task_id("train-linear").unwrap();
    assert_eq!(
        run.node(failed).unwrap().error.as_deref(),
        Some("exit code 1")
    );

    let terminal = draw(&run, &HashSet::new(), false);
    insta::assert_snapshot!("graph_diamond", terminal.backend());
    let buf = terminal.backend().buffer();
    let theme = Theme::dark();
    let failed_at = find_symbol(buf, "✗").expect("a failed symbol");
    assert_eq!(buf[failed_at].fg, Color::Red);
    assert_eq!(
        buf[failed_at].style().fg,
        theme.status_style(NodeStatus::Failed).fg
    );
    let running_at = find_symbol(buf, "◐").expect("a running symbol");
    assert_eq!(buf[running_at].fg, Color::Cyan);
    // The running duration is measured to "now": 600 - 41 seconds.
    let row: String = (0..buf.area.width)
        .map(|x| buf[(x, running_at.1)].symbol().to_string())
        .collect();
    assert!(row.contains("9m19s"), "{row}");
    // The failed box's border is red too, the pending one's is dim.
    let pending_at = find_symbol(buf, "○").unwrap();
    assert_eq!(buf[(pending_at.0 - 2, pending_at.1)].fg, Color::DarkGray);
    assert_eq!(buf[(failed_at.0 - 2, failed_at.1)].fg, Color::Red);
}

#[test]
fn a_fan_out_and_fan_in_route_every_edge_through_its_own_port() {
    use RuntimeState::*;
    let spec = flat_spec(&[
        ("load", &[]),
        ("shard-0", &["load"]),
        ("shard-1", &["load"]),
        ("shard-2", &["load"]),
        ("shard-3", &["load"]),
        ("merge", &["shard-0", "shard-1", "shard-2", "shard-3"]),
        ("report", &["merge", "load"]),
    ]);
    let mut run = RunGraph::from_spec(&spec).unwrap();
    let mut details = root_details(&[
        ("load", Succeeded, Some(0), Some(12)),
        ("shard-0", Succeeded, Some(13), Some(70)),
        ("shard-1", Running, Some(13), None),
        ("shard-2", Skipped, Some(13), Some(14)),
        ("shard-3", Canceled, Some(13), Some(50)),
    ]);
    details[4]
        .outputs
        .insert("out".into(), json!({"artifact_ids": ["9"]}));
    run.apply_task_details(&details);
    let terminal = draw(&run, &HashSet::new(), false);
    insta::assert_snapshot!("graph_fan_out_fan_in", terminal.backend());
    let ascii = draw(&run, &HashSet::new(), true);
    insta::assert_snapshot!("graph_fan_out_fan_in_ascii", ascii.backend());
}

/// prepare → for-loop-2 (ParallelFor: train → evaluate) → pick-best → condition-3 (deploy).
fn nested_run() -> RunGraph {
    use RuntimeState::*;
    let spec = json!({"pipeline_spec": {
        "components": {
            "comp-for-loop-2": {"dag": {"tasks": {
                "train": {"componentRef": {"name": "comp-train"}, "taskInfo": {"name": "train"}},
                "evaluate": {"componentRef": {"name": "comp-evaluate"}, "dependentTasks": ["train"],
                             "taskInfo": {"name": "evaluate"}}
            }}},
            "comp-condition-3": {"dag": {"tasks": {
                "deploy": {"componentRef": {"name": "comp-deploy"}, "taskInfo": {"name": "deploy"}}
            }}},
            "comp-train": {"executorLabel": "exec-train"},
            "comp-evaluate": {"executorLabel": "exec-evaluate"},
            "comp-deploy": {"executorLabel": "exec-deploy"}
        },
        "root": {"dag": {"tasks": {
            "prepare": {"componentRef": {"name": "comp-train"}, "taskInfo": {"name": "prepare"}},
            "for-loop-2": {"componentRef": {"name": "comp-for-loop-2"}, "dependentTasks": ["prepare"],
                           "parameterIterator": {"itemInput": "lr", "items": {"raw": "[0.1, 0.01]"}},
                           "taskInfo": {"name": "for-loop-2"}},
            "pick-best": {"componentRef": {"name": "comp-evaluate"}, "dependentTasks": ["for-loop-2"],
                          "taskInfo": {"name": "pick-best"}},
            "condition-3": {"componentRef": {"name": "comp-condition-3"}, "dependentTasks": ["pick-best"],
                            "triggerPolicy": {"condition": "inputs.parameter_values['x'] == 'yes'"},
                            "taskInfo": {"name": "condition-3"}}
        }}}
    }, "platform_spec": {}});
    let mut run = RunGraph::from_spec(&spec).unwrap();
    run.apply_task_details(&[
        detail("root", "test-run-7f3a", "", Running, Some(0), None),
        TaskDetail {
            // A skip with outputs: a cache hit.
            outputs: [("model".to_string(), json!({"artifact_ids": ["3"]}))].into(),
            ..detail("p", "prepare", "root", Skipped, Some(0), Some(2))
        },
        detail("l", "for-loop-2", "root", Running, Some(3), None),
        detail("i0", "for-loop-2(0)", "l", Succeeded, Some(3), Some(200)),
        detail("i1", "for-loop-2(1)", "l", Running, Some(3), None),
        detail("t0", "train", "i0", Succeeded, Some(4), Some(150)),
        detail("e0", "evaluate", "i0", Succeeded, Some(151), Some(200)),
        detail("t1", "train", "i1", Running, Some(4), None),
    ]);
    run
}

#[test]
fn a_nested_run_expanded_frames_the_loop_iterations_and_the_condition() {
    let run = nested_run();
    let looped = run.find("for-loop-2").unwrap();
    assert_eq!(run.children(looped).len(), 2, "two iterations");
    let terminal = draw(&run, &HashSet::new(), false);
    insta::assert_snapshot!("graph_nested_expanded", terminal.backend());
}

#[test]
fn a_nested_run_collapsed_shows_one_node_per_group_with_its_worst_status() {
    let run = nested_run();
    let collapsed: HashSet<NodeId> = [
        run.find("for-loop-2").unwrap(),
        run.find("condition-3").unwrap(),
    ]
    .into_iter()
    .collect();
    let visible = run.visible(&collapsed);
    let looped = visible.node(run.find("for-loop-2").unwrap()).unwrap();
    assert_eq!(looped.group, Some(GroupState::Collapsed { children: 2 }));
    assert_eq!(looped.status, NodeStatus::Running);
    let terminal = draw(&run, &collapsed, false);
    insta::assert_snapshot!("graph_nested_collapsed", terminal.backend());
}

#[test]
fn the_kfp_example_pipeline_with_after_reads_from_its_yaml() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/specs/kfp/examples/pipeline_with_after.yaml"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let spec: Value = serde_norway::from_str(&text).unwrap();
    let mut run = RunGraph::from_spec(&spec).unwrap();
    assert_eq!(run.len(), 3);
    let first = run.find("print-text").unwrap();
    let third = run.find("print-text-3").unwrap();
    assert_eq!(run.upstream(third).len(), 2);
    assert!(run.downstream(first).contains(&third));
    use RuntimeState::*;
    run.apply_task_details(&root_details(&[
        ("print-text", Succeeded, Some(0), Some(9)),
        ("print-text-2", Failed, Some(10), Some(31)),
        ("print-text-3", Skipped, None, None),
    ]));
    let terminal = draw(&run, &HashSet::new(), false);
    insta::assert_snapshot!("graph_pipeline_with_after", terminal.backend());
}

#[test]
fn panning_draws_only_the_viewport_and_the_selection_is_highlighted() {
    let run = nested_run();
    let visible = run.visible(&HashSet::new());
    let layout = Layout::compute(&visible);
    let theme = Theme::dark();
    let train1 = run.find_task_id("t1").unwrap();
    let rect = layout.rect_of(train1).unwrap();
    let area = Rect::new(3, 2, 30, 8);
    let mut view = GraphView {
        selected: Some(train1),
        ..GraphView::default()
    };
    view.scroll_to(rect, area);
    let mut buf = Buffer::filled(Rect::new(0, 0, 40, 12), ratatui::buffer::Cell::new("X"));
    graph_draw::render(&visible, &layout, area, &mut buf, &view, &theme, now());
    // Outside the area nothing was touched.
    for y in 0..12 {
        for x in 0..40 {
            if !(area.x..area.right()).contains(&x) || !(area.y..area.bottom()).contains(&y) {
                assert_eq!(
                    buf[(x, y)].symbol(),
                    "X",
                    "({x},{y}) drawn outside the area"
                );
            }
        }
    }
    // The selected box is in view and highlighted.
    let sx = area.x + rect.x - view.offset_x;
    let sy = area.y + rect.y - view.offset_y;
    assert!(sx + rect.width <= area.right() || rect.width > area.width);
    assert_eq!(buf[(sx + 1, sy + 1)].bg, theme.selected.bg.unwrap());
    assert_eq!(buf[(sx, sy)].symbol(), "╭");
}

#[test]
fn neighbours_are_found_by_geometry_and_cells_map_back_to_nodes() {
    let spec = flat_spec(&[("a", &[]), ("b", &["a"]), ("c", &["a"]), ("d", &["b", "c"])]);
    let run = RunGraph::from_spec(&spec).unwrap();
    let visible = run.visible(&HashSet::new());
    let layout = Layout::compute(&visible);
    let id = |n: &str| run.find(n).unwrap();
    assert_eq!(layout.first_node(), Some(id("a")));
    let below_a = layout.next_node(id("a"), Direction::Down).unwrap();
    assert!(below_a == id("b") || below_a == id("c"));
    let (left, right) = {
        let (rb, rc) = (
            layout.rect_of(id("b")).unwrap(),
            layout.rect_of(id("c")).unwrap(),
        );
        if rb.x < rc.x {
            (id("b"), id("c"))
        } else {
            (id("c"), id("b"))
        }
    };
    assert_eq!(layout.next_node(left, Direction::Right), Some(right));
    assert_eq!(layout.next_node(right, Direction::Left), Some(left));
    assert_eq!(layout.next_node(left, Direction::Down), Some(id("d")));
    assert_eq!(layout.next_node(id("d"), Direction::Down), None);
    assert_eq!(layout.next_node(id("a"), Direction::Up), None);
    let r = layout.rect_of(id("d")).unwrap();
    assert_eq!(layout.node_at(r.x + 1, r.y + 1), Some(id("d")));
    assert_eq!(layout.node_at(r.x + r.width, r.y + 1), None);
}

/// The layout invariants; `Err` names the first one broken.
fn check_layout(graph: &VisibleGraph, layout: &Layout) -> Result<(), String> {
    let rects: HashMap<NodeId, Rect> = layout
        .nodes
        .iter()
        .chain(&layout.groups)
        .map(|p| (p.id, Rect::from(p.rect)))
        .collect();
    let layers: HashMap<NodeId, u16> = layout
        .nodes
        .iter()
        .chain(&layout.groups)
        .map(|p| (p.id, p.layer))
        .collect();
    for n in &graph.nodes {
        if !rects.contains_key(&n.id) {
            return Err(format!("{:?} is not placed", n.id));
        }
    }
    let inside = |r: Rect, x: u16, y: u16| x >= r.x && y >= r.y && x < r.right() && y < r.bottom();
    let contains = |outer: Rect, inner: Rect| outer.intersection(inner) == inner;
    for (i, a) in layout.nodes.iter().enumerate() {
        for b in &layout.nodes[i + 1..] {
            if Rect::from(a.rect).intersects(Rect::from(b.rect)) {
                return Err(format!("nodes {:?} and {:?} overlap", a.id, b.id));
            }
        }
        for g in &layout.groups {
            if Rect::from(a.rect).intersects(Rect::from(g.rect))
                && !contains(Rect::from(g.rect), Rect::from(a.rect))
            {
                return Err(format!("node {:?} straddles group {:?}", a.id, g.id));
            }
        }
    }
    for (i, a) in layout.groups.iter().enumerate() {
        for b in &layout.groups[i + 1..] {
            if Rect::from(a.rect).intersects(Rect::from(b.rect))
                && !contains(Rect::from(a.rect), Rect::from(b.rect))
                && !contains(Rect::from(b.rect), Rect::from(a.rect))
            {
                return Err(format!("groups {:?} and {:?} overlap", a.id, b.id));
            }
        }
    }
    if layout.edges.len() != graph.edges.len() {
        return Err(format!(
            "{} edges routed of {}",
            layout.edges.len(),
            graph.edges.len()
        ));
    }
    let adjacent = |a: (u16, u16), b: (u16, u16)| a.0.abs_diff(b.0) + a.1.abs_diff(b.1) == 1;
    let mut owners: HashMap<(u16, u16), Vec<usize>> = HashMap::new();
    for (e, edge) in layout.edges.iter().enumerate() {
        let (from, to) = (rects[&edge.from], rects[&edge.to]);
        let name = format!("edge {:?}→{:?}", edge.from, edge.to);
        if layers[&edge.from] >= layers[&edge.to] || from.bottom() >= to.y {
            return Err(format!("{name} does not point down"));
        }
        let (Some(&first), Some(&last)) = (edge.path.first(), edge.path.last()) else {
            return Err(format!("{name} has no cells"));
        };
        if first.1 != from.bottom() || first.0 <= from.x || first.0 >= from.right() - 1 {
            return Err(format!("{name} starts at {first:?}, not under {from:?}"));
        }
        if last.1 + 1 != to.y || last.0 <= to.x || last.0 >= to.right() - 1 {
            return Err(format!("{name} ends at {last:?}, not over {to:?}"));
        }
        if let Some(w) = edge.path.windows(2).find(|w| !adjacent(w[0], w[1])) {
            return Err(format!("{name} jumps from {:?} to {:?}", w[0], w[1]));
        }
        for &(x, y) in &edge.path {
            if let Some(n) = layout
                .nodes
                .iter()
                .find(|n| inside(Rect::from(n.rect), x, y))
            {
                return Err(format!("{name} runs through node {:?} at ({x},{y})", n.id));
            }
            // Inside a group frame only when both ends are, and never on the frame itself.
            for g in &layout.groups {
                let ours =
                    g.id != edge.from && g.id != edge.to && contains(Rect::from(g.rect), from);
                let interior = Rect::new(
                    Rect::from(g.rect).x + 1,
                    Rect::from(g.rect).y + 1,
                    Rect::from(g.rect).width - 2,
                    Rect::from(g.rect).height - 2,
                );
                if (ours && !inside(interior, x, y)) || (!ours && inside(Rect::from(g.rect), x, y))
                {
                    return Err(format!(
                        "{name} crosses the frame of {:?} at ({x},{y})",
                        g.id
                    ));
                }
            }
            owners.entry((x, y)).or_default().push(e);
        }
    }
    // Two edges share a cell only to cross there, each running straight through it.
    for (&(x, y), list) in &owners {
        if list.len() < 2 {
            continue;
        }
        let mut dirs = Vec::new();
        for &e in list {
            let path = &layout.edges[e].path;
            let i = path.iter().position(|&c| c == (x, y)).unwrap_or(0);
            let prev = if i == 0 {
                (x, y.wrapping_sub(1))
            } else {
                path[i - 1]
            };
            let next = path.get(i + 1).copied().unwrap_or((x, y + 1));
            let vertical = prev.0 == x && next.0 == x;
            let horizontal = prev.1 == y && next.1 == y;
            if !vertical && !horizontal {
                return Err(format!("edges {list:?} share the bend at ({x},{y})"));
            }
            dirs.push(vertical);
        }
        if list.len() > 2 || dirs[0] == dirs[1] {
            return Err(format!("edges {list:?} run together at ({x},{y})"));
        }
    }
    Ok(())
}

/// A random DAG as a spec: task `i` depends on some earlier tasks; task `i` may be a sub-DAG
/// with a small random DAG of its own.
fn random_spec(deps: &[Vec<usize>], names: &[usize], inner: &[Vec<Vec<usize>>]) -> Value {
    let mut components = serde_json::Map::new();
    let dag = |prefix: &str, deps: &[Vec<usize>], name_len: &dyn Fn(usize) -> usize| {
        let mut tasks = serde_json::Map::new();
        for (i, d) in deps.iter().enumerate() {
            let name = format!("{prefix}{i}-{}", "x".repeat(name_len(i)));
            let mut up: Vec<String> = Vec::new();
            for &j in d {
                if i > 0 {
                    let j = j % i;
                    up.push(format!("{prefix}{j}-{}", "x".repeat(name_len(j))));
                }
            }
            up.sort();
            up.dedup();
            tasks.insert(name, json!({"dependentTasks": up}));
        }
        tasks
    };
    let mut root = dag("t", deps, &|i| names[i] % 14);
    for (i, sub) in inner.iter().enumerate() {
        if sub.is_empty() || i >= deps.len() {
            continue;
        }
        let comp = format!("comp-sub-{i}");
        let tasks = dag(&format!("s{i}-"), sub, &|j| j % 3);
        components.insert(comp.clone(), json!({"dag": {"tasks": tasks}}));
        let key = format!("t{i}-{}", "x".repeat(names[i] % 14));
        if let Some(task) = root.get_mut(&key) {
            task["componentRef"] = json!({"name": comp});
        }
    }
    json!({"components": components, "root": {"dag": {"tasks": root}}})
}

fn deps_strategy(max: usize) -> impl Strategy<Value = Vec<Vec<usize>>> {
    prop::collection::vec(prop::collection::vec(0usize..1000, 0..4), 1..=max)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn random_dags_lay_out_with_connected_edges_and_no_overlaps(
        deps in deps_strategy(60),
        names in prop::collection::vec(0usize..100, 60),
    ) {
        let spec = random_spec(&deps, &names, &[]);
        let run = RunGraph::from_spec(&spec).unwrap();
        let visible = run.visible(&HashSet::new());
        let layout = Layout::compute(&visible);
        prop_assert_eq!(visible.len(), deps.len());
        if let Err(e) = check_layout(&visible, &layout) {
            prop_assert!(false, "{}", e);
        }
    }

    #[test]
    fn random_nested_dags_keep_edges_inside_their_frames(
        deps in deps_strategy(16),
        names in prop::collection::vec(0usize..100, 16),
        inner in prop::collection::vec(
            prop_oneof![Just(Vec::new()), prop::collection::vec(prop::collection::vec(0usize..100, 0..3), 1..6)],
            16,
        ),
        fold in prop::collection::vec(any::<bool>(), 16),
    ) {
        let spec = random_spec(&deps, &names, &inner);
        let run = RunGraph::from_spec(&spec).unwrap();
        let collapsed: HashSet<NodeId> = run
            .groups()
            .into_iter()
            .zip(&fold)
            .filter(|(_, &f)| f)
            .map(|(g, _)| g)
            .collect();
        let visible = run.visible(&collapsed);
        let layout = Layout::compute(&visible);
        if let Err(e) = check_layout(&visible, &layout) {
            prop_assert!(false, "{}", e);
        }
    }
}
