//! `kfops build --pr N`: runs /build and prints its progress.

use std::io::Write;

use chrono::Local;

use super::action::Action;
use super::json::{self, Progress};
use crate::audit::AuditLog;
use crate::chatops::ChatCommand;
use crate::config::Config;
use crate::engine::{build, ActionError, ActionEvent, ActionKind, Backends};

/// Runs the build and prints progress to `out` (JSON lines with `json`); returns whether it
/// succeeded.
pub async fn run(
    backends: &Backends,
    cfg: &Config,
    pr: u64,
    audit: Option<&AuditLog>,
    json: bool,
    out: &mut (dyn Write + Send),
) -> bool {
    let action = Action {
        title: format!("kfops build: PR #{pr} of {}", cfg.repository.full_name()),
        cfg,
        pr,
        cmd: ChatCommand::Build,
        audit,
        json,
    };
    let (progress, result) = action
        .drive(
            out,
            print_event,
            |_| {},
            async |emit| build::build(backends, cfg, pr, true, emit).await,
            |o| format!("pipeline version {}", o.version_id),
        )
        .await;
    if let Progress::Json(p) = &progress {
        let outcome = result.as_ref().map(|o| {
            let images: serde_json::Map<_, _> = o
                .images
                .iter()
                .map(|(image, dest)| (image.clone(), dest.clone().into()))
                .collect();
            json::fields([
                ("pipeline_id", o.pipeline_id.clone().into()),
                ("version_id", o.version_id.clone().into()),
                ("images", images.into()),
            ])
        });
        p.finish(out, pr, ActionKind::Build, outcome);
        return result.is_ok();
    }
    match result {
        Ok(output) => {
            let _ = writeln!(
                out,
                "✓ /build on #{pr} succeeded: pipeline version {}",
                output.version_id
            );
            for (image, destination) in &output.images {
                let _ = writeln!(out, "  {image}: {destination}");
            }
            true
        }
        Err(err) => {
            let _ = writeln!(
                out,
                "✗ /build on #{pr} failed at step \"{}\": {}",
                err.step, err.message
            );
            print_details(out, &err);
            false
        }
    }
}

/// An error's details (a compiler's last lines), indented under the failure line.
pub fn print_details(out: &mut (dyn Write + Send), err: &ActionError) {
    for line in err.details.iter().flat_map(|d| d.lines()) {
        let _ = writeln!(out, "    | {line}");
    }
}

/// One progress line.
pub fn print_event(out: &mut (dyn Write + Send), ev: &ActionEvent) {
    let now = Local::now().format("%H:%M:%S");
    let _ = match ev {
        ActionEvent::Step { step, .. } => writeln!(out, "  {now}  {step}"),
        ActionEvent::BuildPod {
            image, pod, phase, ..
        } => {
            writeln!(out, "  {now}  {image:<12} {phase:<10} {}", pod.name)
        }
        ActionEvent::RunStarted { run_id, .. } => writeln!(out, "  {now}  run {run_id} created"),
        ActionEvent::RunProgress { .. } | ActionEvent::Done { .. } => Ok(()),
    };
    let _ = out.flush();
}
