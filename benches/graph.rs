//! Run graph: layout + render of a 1,000-node run (50 layers × 20 tasks, each depending on
//! 1–3 tasks of the previous 1–3 layers, seeded) into a 200×50 viewport, and layout alone.
//!
//! `cargo bench --bench graph`; the numbers are in docs/PERFORMANCE.md.

use std::collections::HashSet;
use std::hint::black_box;

use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use kfops_console::graph::{Layout, RunGraph, RuntimeState, TaskDetail};
use kfops_console::tui::graph_draw::{self, GraphView};
use kfops_console::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use serde_json::{json, Value};

const LAYERS: usize = 50;
const PER_LAYER: usize = 20;

/// xorshift64*: a seeded generator, so every run measures the same graph.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n.max(1)
    }
}

fn name(layer: usize, i: usize) -> String {
    // Names of varied widths, like real component names.
    let stems = [
        "prep",
        "train-model",
        "evaluate",
        "feature-eng",
        "split",
        "score-batch",
    ];
    format!("{}-{layer}-{i}", stems[(layer * 7 + i) % stems.len()])
}

fn spec(rng: &mut Rng) -> Value {
    let mut tasks = serde_json::Map::new();
    for layer in 0..LAYERS {
        for i in 0..PER_LAYER {
            let mut deps = Vec::new();
            if layer > 0 {
                for _ in 0..1 + rng.below(3) {
                    let back = 1 + rng.below(3.min(layer));
                    deps.push(name(layer - back, rng.below(PER_LAYER)));
                }
            }
            deps.sort();
            deps.dedup();
            tasks.insert(name(layer, i), json!({"dependentTasks": deps}));
        }
    }
    json!({"root": {"dag": {"tasks": tasks}}})
}

fn run_graph() -> RunGraph {
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let mut run = RunGraph::from_spec(&spec(&mut rng)).expect("a valid generated spec");
    let t0 = Utc
        .with_ymd_and_hms(2026, 11, 25, 10, 0, 0)
        .single()
        .expect("a date");
    // The first half of the run is done (a few failures), one layer is running.
    let details: Vec<TaskDetail> = (0..LAYERS / 2 + 1)
        .flat_map(|layer| (0..PER_LAYER).map(move |i| (layer, i)))
        .map(|(layer, i)| TaskDetail {
            task_id: format!("{layer}-{i}"),
            display_name: name(layer, i),
            state: match (layer, i % 9) {
                (l, _) if l == LAYERS / 2 => RuntimeState::Running,
                (_, 0) => RuntimeState::Failed,
                _ => RuntimeState::Succeeded,
            },
            start_time: Some(t0 + chrono::Duration::seconds(layer as i64 * 60)),
            end_time: (layer < LAYERS / 2)
                .then(|| t0 + chrono::Duration::seconds(layer as i64 * 60 + 59)),
            ..TaskDetail::default()
        })
        .collect();
    run.apply_task_details(&details);
    run
}

fn bench(c: &mut Criterion) {
    let run = run_graph();
    let visible = run.visible(&HashSet::new());
    assert_eq!(visible.len(), LAYERS * PER_LAYER);
    let now = Utc
        .with_ymd_and_hms(2026, 11, 25, 11, 0, 0)
        .single()
        .expect("a date");
    let theme = Theme::dark();
    let area = Rect::new(0, 0, 200, 50);
    let layout = Layout::compute(&visible);
    // Somewhere in the middle of the graph, with a selection.
    let view = GraphView {
        offset_x: layout.width / 3,
        offset_y: layout.height / 2,
        selected: layout.node_at(layout.width / 3 + 20, layout.height / 2 + 10),
        ascii: false,
    };
    eprintln!(
        "graph: {} nodes, {} edges, {}×{} cells",
        visible.len(),
        visible.edges.len(),
        layout.width,
        layout.height
    );

    let mut group = c.benchmark_group("run_graph_1000");
    group.sample_size(20);
    group.bench_function("layout", |b| {
        b.iter(|| Layout::compute(black_box(&visible)))
    });
    group.bench_function("layout+render_200x50", |b| {
        let mut buf = Buffer::empty(area);
        b.iter(|| {
            let layout = Layout::compute(black_box(&visible));
            graph_draw::render(&visible, &layout, area, &mut buf, &view, &theme, now);
            black_box(&buf);
        })
    });
    group.bench_function("render_200x50", |b| {
        let mut buf = Buffer::empty(area);
        b.iter(|| {
            graph_draw::render(&visible, &layout, area, &mut buf, &view, &theme, now);
            black_box(&buf);
        })
    });
    group.bench_function("visible", |b| {
        b.iter(|| run.visible(black_box(&HashSet::new())))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
