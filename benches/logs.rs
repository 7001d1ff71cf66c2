//! Logs at scale: 1,000,000 lines (8 streams × 125,000, ~100 bytes each, seeded).
//!
//! - `ingest/*`: parsing kubelet lines (`timestamp text`) and appending them to the store in
//!   follower-sized batches of 500.
//! - `render/*`: drawing the logs pane into a 200×50 terminal over the full store (merged
//!   view following the end, merged view paused in the middle, grid following).
//! - `search/*`: a regex over all stored lines (rare and frequent matches, plain and
//!   ANSI-coloured lines).
//!
//! `cargo bench --bench logs`; the numbers are in docs/PERFORMANCE.md.

use std::hint::black_box;

use chrono::{DateTime, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use kfops_console::backends::cluster::LogLine;
use kfops_console::domain::PodRef;
use kfops_console::logs::merge;
use kfops_console::logs::{LogStore, Search};
use kfops_console::tui::panes::logs::{render, LogLayout, LogsPane, Scroll};
use kfops_console::tui::theme::Theme;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use ratatui::Terminal;

const STREAMS: usize = 8;
const PER_STREAM: usize = 125_000;
const BATCH: usize = 500;

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0)
        .single()
        .unwrap_or_default()
}

/// Line `i` of stream `s`: a training log line of about 100 bytes; one in 1,000 is an error.
/// `coloured` wraps the level in SGR escapes, as many tools print it.
fn text(s: usize, i: usize, coloured: bool) -> String {
    let level = if i % 1_000 == 999 { "ERROR" } else { "INFO" };
    let level = if coloured {
        format!("\u{1b}[32m{level}\u{1b}[0m")
    } else {
        level.to_string()
    };
    format!(
        "{level} [trainer-{s}] step {i}/125000 loss={:.4} acc={:.3} lr=0.001 batch=256 worker={}",
        1.0 / (i as f64 + 1.0),
        (i % 1_000) as f64 / 1_000.0,
        i % 7
    )
}

fn line(s: usize, i: usize, coloured: bool) -> LogLine {
    LogLine {
        time: Some(start() + chrono::Duration::microseconds((i * 1_000 + s) as i64)),
        text: text(s, i, coloured),
    }
}

/// The stream's lines in follower-sized batches.
fn batches(s: usize, coloured: bool) -> Vec<Vec<LogLine>> {
    (0..PER_STREAM)
        .collect::<Vec<_>>()
        .chunks(BATCH)
        .map(|c| c.iter().map(|&i| line(s, i, coloured)).collect())
        .collect()
}

fn pod(s: usize) -> PodRef {
    PodRef {
        namespace: "kfops".into(),
        name: format!("b1-image{s}"),
        container: None,
    }
}

/// A logs pane holding the 1M lines, batches interleaved across streams as they arrive.
fn pane(coloured: bool) -> LogsPane {
    let mut pane = LogsPane::new(1_000_000);
    for s in 0..STREAMS {
        pane.open_stream(pod(s), format!("image{s}"), "b1".into());
    }
    pane.show_group("b1");
    let all: Vec<Vec<Vec<LogLine>>> = (0..STREAMS).map(|s| batches(s, coloured)).collect();
    for b in 0..all[0].len() {
        for (s, stream) in all.iter().enumerate() {
            pane.append(&pod(s), stream[b].clone());
        }
    }
    pane
}

fn ingest(c: &mut Criterion) {
    let mut group = c.benchmark_group("ingest");
    group.sample_size(10);
    let wire: Vec<String> = (0..PER_STREAM * STREAMS)
        .map(|n| {
            let l = line(n % STREAMS, n / STREAMS, false);
            let t = l.time.unwrap_or_default();
            format!("{} {}", t.format("%Y-%m-%dT%H:%M:%S%.9fZ"), l.text)
        })
        .collect();
    group.bench_function("parse 1M kubelet lines", |b| {
        b.iter(|| {
            for raw in &wire {
                black_box(LogLine::parse(raw));
            }
        })
    });
    let all: Vec<Vec<Vec<LogLine>>> = (0..STREAMS).map(|s| batches(s, false)).collect();
    group.bench_function("store 1M lines in batches of 500", |b| {
        b.iter_batched(
            || all.clone(),
            |all| {
                let mut store = LogStore::new(1_000_000);
                let ids: Vec<_> = (0..STREAMS).map(|_| store.add_stream()).collect();
                let mut streams: Vec<_> = all.into_iter().map(Vec::into_iter).collect();
                loop {
                    let mut any = false;
                    for (s, it) in streams.iter_mut().enumerate() {
                        if let Some(batch) = it.next() {
                            store.extend(ids[s], batch);
                            any = true;
                        }
                    }
                    if !any {
                        break;
                    }
                }
                store
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn draw(terminal: &mut Terminal<TestBackend>, pane: &LogsPane, theme: &Theme) {
    let now = start();
    let result = terminal.draw(|f| render(f, Rect::new(0, 0, 200, 50), pane, now, true, theme));
    black_box(result.is_ok());
}

fn rendering(c: &mut Criterion) {
    let mut group = c.benchmark_group("render");
    let theme = Theme::default();
    let mut terminal = match Terminal::new(TestBackend::new(200, 50)) {
        Ok(t) => t,
        Err(e) => panic!("test terminal: {e}"),
    };
    let mut pane = pane(false);
    pane.layout = LogLayout::Merged;
    group.bench_function("200x50 merged, following, 1M lines", |b| {
        b.iter(|| draw(&mut terminal, &pane, &theme))
    });
    let ids = pane.shown_ids();
    let middle = merge::forward(&pane.store, &ids, None, 500_000)
        .last()
        .copied();
    if let Some(p) = middle {
        pane.merged = Scroll::Paused(p);
    }
    group.bench_function("200x50 merged, paused mid-way, 1M lines", |b| {
        b.iter(|| draw(&mut terminal, &pane, &theme))
    });
    pane.layout = LogLayout::Grid;
    group.bench_function("200x50 grid of 8, following, 1M lines", |b| {
        b.iter(|| draw(&mut terminal, &pane, &theme))
    });
    let mut coloured = self::pane(true);
    coloured.layout = LogLayout::Merged;
    group.bench_function("200x50 merged, following, 1M coloured lines", |b| {
        b.iter(|| draw(&mut terminal, &coloured, &theme))
    });
    group.finish();
}

fn searching(c: &mut Criterion) {
    let mut group = c.benchmark_group("search");
    group.sample_size(20);
    let plain = pane(false);
    let ids = plain.shown_ids();
    let mut run = |name: &str, pane: &LogsPane, pattern: &str| {
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut search = match Search::new(pattern) {
                    Ok(s) => s,
                    Err(e) => panic!("{pattern}: {e}"),
                };
                search.update(&pane.store, &ids);
                black_box(search.count())
            })
        });
    };
    run("1M lines, rare literal (1 hit)", &plain, "step 4242/");
    run("1M lines, ERROR (1,000 hits)", &plain, "ERROR");
    run(
        "1M lines, regex loss=0\\.00[0-9]+ (many hits)",
        &plain,
        r"loss=0\.00[0-9]+",
    );
    let coloured = pane(true);
    run("1M coloured lines, ERROR (1,000 hits)", &coloured, "ERROR");
    group.finish();
}

criterion_group!(benches, ingest, rendering, searching);
criterion_main!(benches);
