//! The experiments and finished runs a scenario starts with. A finished run's tasks are
//! replayed through the same [`Exec`] state machine on a virtual clock (plausible durations
//! per kind of task), then stretched to end exactly at the run's `finished_at`. Their pods
//! are long gone (garbage-collected), as they would be in a real cluster.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::Map;

use super::execution::{Exec, Ids, Knobs, RuntimeState, CODE_UNKNOWN};
use super::experiments::{secs, StoredExperiment};
use super::pipeline_store::KfpState;
use super::plan::Plan;
use super::runs::{NewRun, RunKnobs, RunsState};
use super::scenario::KfpScenario;
use crate::github::fake_sha;

/// Virtual milliseconds from a run's creation to its first task.
const START_MS: i64 = 4_000;

impl RunsState {
    /// The experiments and runs of a scenario (whose versions are in `pipelines`).
    pub fn from_scenario(scenario: &KfpScenario, pipelines: &KfpState) -> RunsState {
        let mut state = RunsState::new(RunKnobs {
            run_start_ms: scenario.run_start_ms,
            task_ms: scenario.task_ms,
            fail_tasks: scenario.fail_tasks.clone(),
            cached_tasks: scenario.cached_tasks.clone(),
            profile_namespace: scenario.profile_namespace.clone(),
        });
        let mut experiments: Vec<_> = scenario.experiments.iter().collect();
        experiments.sort_by_key(|e| e.created_at);
        for e in experiments {
            let seq = state.seq();
            state.experiments.push(StoredExperiment {
                id: e.id.clone(),
                display_name: e.name.clone(),
                description: e.description.clone().unwrap_or_default(),
                namespace: e
                    .namespace
                    .clone()
                    .unwrap_or_else(|| scenario.profile_namespace.clone()),
                created_at: e.created_at,
                archived: false,
                last_run_created_at: None,
                seq,
            });
        }
        let mut runs: Vec<_> = scenario.runs.iter().collect();
        runs.sort_by_key(|r| r.created_at);
        if let Some(first) = runs.first() {
            // Runs without an experiment went to `Default`, which existed before them.
            if state
                .experiment_named(
                    super::experiments::DEFAULT_EXPERIMENT,
                    &scenario.profile_namespace,
                )
                .is_none()
                && runs.iter().any(|r| r.experiment_id.is_none())
            {
                let mut default = state.default_experiment();
                default.created_at = secs(first.created_at);
                if let Some(e) = state.experiments.iter_mut().find(|e| e.id == default.id) {
                    e.created_at = default.created_at;
                }
            }
        }
        for r in runs {
            let Some(version) = pipelines.version(&r.pipeline_version_id) else {
                tracing::warn!(run = %r.id, "scenario run names an unknown pipeline version");
                continue;
            };
            let parameters: Map<String, serde_json::Value> = r.parameters.clone();
            let plan = match Plan::build(&version.pipeline_spec, &parameters) {
                Ok(plan) => plan,
                Err(err) => {
                    tracing::warn!(run = %r.id, %err, "scenario run cannot be planned");
                    continue;
                }
            };
            let new = NewRun {
                id: r.id.clone(),
                display_name: r.name.clone(),
                description: r.description.clone().unwrap_or_default(),
                experiment_id: r.experiment_id.clone().unwrap_or_default(),
                pipeline_id: version.pipeline_id.clone(),
                pipeline_version_id: version.id.clone(),
                pipeline_spec: None,
                parameters,
                pipeline_root: String::new(),
                service_account: String::new(),
                created_at: r.created_at,
                plan,
            };
            if let Err(e) = state.create_run(new) {
                tracing::warn!(run = %r.id, error = %e.message, "scenario run cannot be stored");
                continue;
            }
            let ids = state.ids.clone();
            if let Some(run) = state.run_mut(&r.id) {
                replay(run, r.finished_at, &r.fail_tasks, &ids);
            }
        }
        state
    }
}

/// Fails the named tasks; caches nothing.
struct Replay<'a>(&'a [String]);

impl Knobs for Replay<'_> {
    fn cached(&self, _task: &str) -> bool {
        false
    }

    fn fails(&self, task: &str) -> bool {
        self.0.iter().any(|t| t == task)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Running(usize),
    Finished(usize),
}

/// Executes a stored PENDING run on a virtual clock and fits it between its creation and
/// `finished`.
fn replay(run: &mut super::runs::StoredRun, finished: DateTime<Utc>, fail: &[String], ids: &Ids) {
    let origin = run.created_at;
    let at = |ms: i64| origin + Duration::milliseconds(ms);
    let knobs = Replay(fail);
    let mut tasks = Vec::new();
    let mut queue: BTreeMap<(i64, usize), Event> = BTreeMap::new();
    let mut order: usize = 0;
    let mut exec = Exec {
        plan: &run.plan,
        workflow: &run.workflow,
        tasks: &mut tasks,
        ids,
    };
    let mut now = START_MS;
    let schedule =
        |exec: &mut Exec<'_>, now: i64, queue: &mut BTreeMap<_, _>, order: &mut usize| {
            for node in exec.advance(at(now), &knobs) {
                let path = &exec.plan.nodes[node].path;
                let delay = 1_500 + jitter(&run.id, path, "start", 3_000);
                *order += 1;
                queue.insert((now + delay, *order), Event::Running(node));
            }
        };
    schedule(&mut exec, now, &mut queue, &mut order);
    while let Some(((time, _), event)) = queue.pop_first() {
        now = time;
        match event {
            Event::Running(node) => {
                exec.pod_running(node, at(now));
                let n = &exec.plan.nodes[node];
                let took = work_ms(&n.name) + jitter(&run.id, &n.path, "work", 60_000);
                order += 1;
                queue.insert((now + took, order), Event::Finished(node));
            }
            Event::Finished(node) => {
                let fails = exec.tasks.iter().any(|t| t.node == node && t.fails);
                let start = exec
                    .tasks
                    .iter()
                    .find(|t| t.node == node)
                    .and_then(|t| t.start_time)
                    .unwrap_or(at(now));
                exec.pod_finished(node, start, at(now), i32::from(fails));
            }
        }
        schedule(&mut exec, now, &mut queue, &mut order);
    }
    let outcome = exec.outcome();
    let end = now + 2_000;
    // Stretch the virtual times onto [created_at, finished].
    let span = (finished - origin).num_milliseconds().max(1) as f64;
    let scale = span / end as f64;
    let fit = |t: DateTime<Utc>| {
        let ms = (t - origin).num_milliseconds() as f64 * scale;
        origin + Duration::milliseconds(ms.round() as i64)
    };
    for task in &mut tasks {
        task.create_time = fit(task.create_time);
        task.start_time = task.start_time.map(fit);
        task.end_time = task.end_time.map(fit);
        for change in &mut task.state_history {
            change.time = fit(change.time);
        }
    }
    run.tasks = tasks;
    run.live = false;
    run.set_state(RuntimeState::Running, fit(at(START_MS)), None);
    let (state, error) = outcome.unwrap_or((RuntimeState::Succeeded, None));
    run.set_state(state, finished, error.map(|m| (CODE_UNKNOWN, m)));
}

/// Typical milliseconds of work of a task, by what its name says it does.
fn work_ms(name: &str) -> i64 {
    let kinds: [(&str, i64); 9] = [
        ("ingest", 210_000),
        ("validat", 90_000),
        ("feature", 270_000),
        ("tune", 420_000),
        ("trial", 420_000),
        ("train", 600_000),
        ("metric", 100_000),
        ("threshold", 30_000),
        ("export", 60_000),
    ];
    kinds
        .iter()
        .find(|(word, _)| name.contains(word))
        .map_or(120_000, |(_, ms)| *ms)
}

/// A stable pseudo-random number in `0..max` for a task.
fn jitter(run_id: &str, path: &str, what: &str, max: i64) -> i64 {
    let hex = fake_sha(&format!("{run_id}/{path}/{what}"));
    let n = i64::from_str_radix(&hex[..8], 16).unwrap_or(0);
    n % max.max(1)
}
