//! `kfops deploy --pr N [--staging] [--run-id ID] [--force] [--yes]`: the same deploy as the
//! console. Production asks on a terminal (default No) unless `--yes`, and refuses without a
//! terminal and without `--yes`; a PR behind its base is refused without `--force`. A run the
//! engine refuses before changing anything (not in KFP, not SUCCEEDED, built for another PR
//! without `--allow-run-of-pr N`) exits 2.

use std::io::{BufRead, IsTerminal, Write};

use super::action::Action;
use super::json::{self, Progress};
use crate::audit::AuditLog;
use crate::chatops::{ChatCommand, DeployTarget};
use crate::config::Config;
use crate::engine::deploy::{deploy, namespace_of, DeployRequest};
use crate::engine::{ActionKind, Backends};

/// Whether the operator agreed to a production deploy (asked on the terminal).
pub fn ask(
    pr: u64,
    req: &DeployRequest,
    cfg: &Config,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> bool {
    let run = req
        .run_id
        .clone()
        .unwrap_or_else(|| "the PR's last run".into());
    let _ = write!(
        out,
        "Deploy {}#{pr} ({run}) to PRODUCTION (namespace {})?\nThis merges the PR into its base branch and closes it. [y/N] ",
        cfg.repository.full_name(),
        namespace_of(cfg, DeployTarget::Production)
    );
    let _ = out.flush();
    let mut answer = String::new();
    if input.read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes")
}

/// Runs the deploy, printing progress (JSON lines with `json`); `Ok(true)` on success,
/// `Ok(false)` on failure, `Err` with the exit code for refusals before anything was sent (in
/// JSON mode also said by a final object at step "confirm").
#[allow(clippy::too_many_arguments)]
pub async fn run(
    b: &Backends,
    cfg: &Config,
    pr: u64,
    req: DeployRequest,
    yes: bool,
    audit: Option<&AuditLog>,
    json: bool,
    out: &mut (dyn Write + Send),
) -> Result<bool, (u8, String)> {
    let action = ActionKind::Deploy(req.target);
    let refused = confirm(pr, &req, cfg, yes);
    if let Err((_, message)) = &refused {
        if json {
            let repository = cfg.repository.full_name();
            json::failure(out, pr, action, Some(&repository), "confirm", message);
        }
    }
    refused?;
    run_confirmed(b, cfg, pr, req, audit, json, out).await
}

/// Asks for a production deploy unless `yes`: `Err` with the exit code when refused.
fn confirm(pr: u64, req: &DeployRequest, cfg: &Config, yes: bool) -> Result<(), (u8, String)> {
    if req.target == DeployTarget::Production && !yes {
        if !std::io::stdin().is_terminal() {
            return Err((
                2,
                "a production deploy asks first: pass --yes when not on a terminal".into(),
            ));
        }
        let stdin = std::io::stdin();
        let mut lock = stdin.lock();
        let mut stderr = std::io::stderr();
        if !ask(pr, req, cfg, &mut lock, &mut stderr) {
            return Err((1, format!("/deploy on #{pr} cancelled; nothing was sent")));
        }
    }
    Ok(())
}

async fn run_confirmed(
    b: &Backends,
    cfg: &Config,
    pr: u64,
    req: DeployRequest,
    audit: Option<&AuditLog>,
    json: bool,
    out: &mut (dyn Write + Send),
) -> Result<bool, (u8, String)> {
    let name = match req.target {
        DeployTarget::Production => "/deploy",
        DeployTarget::Staging => "/staging_deploy",
    };
    let action = Action {
        title: format!(
            "kfops deploy: {name} of PR #{pr} of {}",
            cfg.repository.full_name()
        ),
        cfg,
        pr,
        cmd: ChatCommand::Deploy {
            target: req.target,
            run_id: req.run_id.clone(),
            force: req.force,
            allow_run_of_pr: req.allow_run_of_pr,
        },
        audit,
        json,
    };
    let (progress, result) = action
        .drive(
            out,
            super::build::print_event,
            |_| {},
            async |emit| deploy(b, cfg, pr, &req, emit).await,
            |o| format!("run {} serves in {}/{}", o.run_id, o.namespace, o.name),
        )
        .await;
    if let Progress::Json(p) = &progress {
        let outcome = result.as_ref().map(|o| {
            json::fields([
                ("run_id", o.run_id.clone().into()),
                ("namespace", o.namespace.clone().into()),
                ("inference_service", o.name.clone().into()),
                ("url", o.url.clone().into()),
                ("merge_sha", o.merge_sha.clone().into()),
            ])
        });
        p.finish(out, pr, ActionKind::Deploy(req.target), outcome);
        return match result {
            // Refused before anything changed: bad input, exit 2.
            Err(e) if e.refusal.is_some() => Err((2, e.message)),
            other => Ok(other.is_ok()),
        };
    }
    match result {
        Ok(o) => {
            let merged = o
                .merge_sha
                .map(|s| format!("; merged as {s}"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "✓ {name} on #{pr} succeeded: run {} serves in {}/{}{merged}",
                o.run_id, o.namespace, o.name
            );
            Ok(true)
        }
        // Refused before anything changed: bad input, exit 2 (main prints the message).
        Err(e) if e.refusal.is_some() => {
            Err((2, format!("{name} on #{pr} refused: {}", e.message)))
        }
        Err(e) => {
            let _ = writeln!(
                out,
                "✗ {name} on #{pr} failed at step \"{}\": {}",
                e.step, e.message
            );
            Ok(false)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asking_defaults_to_no() {
        let cfg = Config::for_repository("o", "r");
        let req = DeployRequest {
            target: DeployTarget::Production,
            run_id: None,
            force: false,
            allow_run_of_pr: None,
        };
        let mut out = Vec::new();
        assert!(!ask(1, &req, &cfg, &mut "\n".as_bytes(), &mut out));
        assert!(!ask(1, &req, &cfg, &mut "nope\n".as_bytes(), &mut out));
        assert!(ask(1, &req, &cfg, &mut "y\n".as_bytes(), &mut out));
        let asked = String::from_utf8_lossy(&out);
        assert!(asked.contains("[y/N]"));
        // The repository too: PR numbers repeat across projects.
        assert!(asked.starts_with("Deploy o/r#1 "), "{asked}");
    }
}
