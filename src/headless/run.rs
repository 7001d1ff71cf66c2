//! `kfops run --pr N [--version-id ID] [--wait]`, `kfops build-run --pr N` and
//! `kfops runs --pr N [--json]`.

use std::io::Write;

use chrono::Local;
use serde::Serialize;

use super::action::Action;
use super::build::print_event;
use super::json::{self, Progress};
use super::run_lines::RunTally;
use crate::audit::AuditLog;
use crate::backends::kfp::Run;
use crate::backends::BackendError;
use crate::chatops::ChatCommand;
use crate::config::Config;
use crate::effects::Engine;
use crate::engine::run::{failure_of, RunOptions};
use crate::engine::{self, ActionEvent, ActionKind, Backends};

fn print_run_event(out: &mut (dyn Write + Send), ev: &ActionEvent) {
    match ev {
        ActionEvent::RunProgress { run, .. } => {
            let now = Local::now().format("%H:%M:%S");
            let RunTally {
                state,
                tasks,
                ended,
            } = RunTally::of(run);
            let state = state.to_string();
            let _ = writeln!(out, "  {now}  run {state:<10} {ended}/{tasks} tasks ended");
        }
        other => print_event(out, other),
    }
}

/// `kfops run`: returns whether the run (or its start, without `--wait`) succeeded.
pub async fn run(
    b: &Backends,
    cfg: &Config,
    pr: u64,
    options: RunOptions,
    audit: Option<&AuditLog>,
    json: bool,
    out: &mut (dyn Write + Send),
) -> bool {
    let action = Action {
        title: format!("kfops run: PR #{pr} of {}", cfg.repository.full_name()),
        cfg,
        pr,
        cmd: ChatCommand::Run,
        audit,
        json,
    };
    let wait = options.wait;
    let (progress, result) = action
        .drive(
            out,
            print_run_event,
            |r| {
                if let Some(v) = &options.version_id {
                    r.note_version_id(v);
                }
            },
            async |emit| engine::run::run(b, cfg, pr, &options, emit).await,
            |o| format!("run {} {}", o.run_id, o.state),
        )
        .await;
    if let Progress::Json(p) = &progress {
        let outcome = result.as_ref().map(|o| {
            json::fields([
                ("run_id", o.run_id.clone().into()),
                ("version_id", o.version_id.clone().into()),
                ("state", o.state.to_string().into()),
                ("waited", wait.into()),
            ])
        });
        p.finish(out, pr, ActionKind::Run, outcome);
        return result.is_ok();
    }
    match result {
        Ok(o) if wait => {
            let _ = writeln!(
                out,
                "✓ /run on #{pr} succeeded: run {} ({})",
                o.run_id, o.state
            );
            true
        }
        Ok(o) => {
            let _ = writeln!(
                out,
                "✓ /run on #{pr} started: run {} (not waiting; see `kfops runs --pr {pr}`)",
                o.run_id
            );
            true
        }
        Err(e) => {
            let _ = writeln!(
                out,
                "✗ /run on #{pr} failed at step \"{}\": {}",
                e.step, e.message
            );
            false
        }
    }
}

/// `kfops build-run`: build, then run the new version.
pub async fn build_run(
    b: &Backends,
    cfg: &Config,
    pr: u64,
    audit: Option<&AuditLog>,
    json: bool,
    out: &mut (dyn Write + Send),
) -> bool {
    let action = Action {
        title: format!(
            "kfops build-run: PR #{pr} of {}",
            cfg.repository.full_name()
        ),
        cfg,
        pr,
        cmd: ChatCommand::BuildRun,
        audit,
        json,
    };
    // The console's action path: the effects layer's engine of this project.
    let engine = Engine::new(b.clone(), std::sync::Arc::new(cfg.clone()));
    let (progress, result) = action
        .drive(
            out,
            print_run_event,
            |_| {},
            async |emit| engine.perform(pr, &ChatCommand::BuildRun, emit).await,
            Clone::clone,
        )
        .await;
    if let Progress::Json(p) = &progress {
        // The version and run IDs come from the events (`p` remembers them).
        let outcome = result
            .as_ref()
            .map(|summary| json::fields([("summary", summary.clone().into())]));
        p.finish(out, pr, ActionKind::BuildRun, outcome);
        return result.is_ok();
    }
    match result {
        Ok(summary) => {
            let _ = writeln!(out, "✓ /build_run on #{pr} succeeded: {summary}");
            true
        }
        Err(e) => {
            let _ = writeln!(
                out,
                "✗ /build_run on #{pr} failed at step \"{}\": {}",
                e.step, e.message
            );
            super::build::print_details(out, &e);
            false
        }
    }
}

/// One row of `kfops runs`.
#[derive(Debug, Clone, Serialize)]
pub struct RunRow {
    pub run_id: String,
    pub display_name: String,
    pub state: String,
    pub created_at: Option<chrono::DateTime<chrono::Utc>>,
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    pub duration_seconds: Option<i64>,
    /// Why it failed, when it did.
    pub error: Option<String>,
}

impl RunRow {
    pub fn of(run: &Run) -> RunRow {
        let state = run.state.to_string();
        RunRow {
            run_id: run.run_id.clone(),
            display_name: run.display_name.clone(),
            error: (state == "FAILED").then(|| failure_of(run)),
            state,
            created_at: run.created_at,
            finished_at: run.finished_at,
            duration_seconds: match (run.created_at, run.finished_at) {
                (Some(s), Some(e)) => Some((e - s).num_seconds()),
                _ => None,
            },
        }
    }
}

/// `kfops runs`: a table (or JSON with `--json`) of the PR's runs.
pub async fn list(
    b: &Backends,
    cfg: &Config,
    pr: u64,
    json: bool,
    out: &mut (dyn Write + Send),
) -> Result<(), BackendError> {
    let rows: Vec<RunRow> = engine::run::pr_runs(b, cfg, pr)
        .await?
        .iter()
        .map(RunRow::of)
        .collect();
    if json {
        let text = serde_json::to_string_pretty(&rows).unwrap_or_else(|_| "[]".into());
        let _ = writeln!(out, "{text}");
        return Ok(());
    }
    let _ = writeln!(
        out,
        "{:<10} {:<20} {:>9}  {:<36}  NAME",
        "STATE", "STARTED", "DURATION", "RUN ID"
    );
    for r in rows {
        let started = r
            .created_at
            .map(|t| t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default();
        let duration = r
            .duration_seconds
            .map(|s| format!("{}m{:02}s", s / 60, s % 60))
            .unwrap_or_else(|| "-".into());
        let _ = writeln!(
            out,
            "{:<10} {:<20} {:>9}  {:<36}  {}",
            r.state, started, duration, r.run_id, r.display_name
        );
    }
    Ok(())
}
