//! Headless commands (`kfops build --pr N`, `kfops logs --pr N`): the same engine as the
//! console, progress printed as lines, exit code 0 on success and 1 on failure. Usable in a
//! pipe: colour only on a terminal (and never with `--no-color` or `NO_COLOR`).

pub mod build;
pub mod deploy;
pub mod json;
pub mod logs;
pub mod run;

use std::io::IsTerminal;

use crate::audit::{AuditLog, Recorder, Source};
use crate::chatops::ChatCommand;
use crate::config::Config;
use crate::engine::{ActionError, ActionEvent};

/// Whether to colour output on stdout.
pub fn use_color(no_color_flag: bool) -> bool {
    !no_color_flag && !crate::launch::no_color() && std::io::stdout().is_terminal()
}

/// Starts recording a headless action in the audit log (when there is one), naming the
/// repository of `cfg` (the project acted on).
pub async fn audit_begin(
    audit: Option<&AuditLog>,
    cfg: &Config,
    pr: u64,
    cmd: &ChatCommand,
) -> Option<Recorder> {
    match audit {
        Some(a) => {
            let repository = Some(cfg.repository.full_name());
            Some(a.begin_in(Source::Headless, repository, pr, cmd).await)
        }
        None => None,
    }
}

/// Notes a progress event in the audit record.
pub fn audit_observe(recorder: Option<&Recorder>, ev: &ActionEvent) {
    if let Some(r) = recorder {
        r.observe(ev);
    }
}

/// Writes the audit line; a failure is a warning on stderr (the action itself is done).
pub async fn audit_finish(recorder: Option<&Recorder>, outcome: &Result<String, ActionError>) {
    if let Some(r) = recorder {
        if let Err(e) = r.finish(outcome).await {
            eprintln!("kfops: warning: {e}");
        }
    }
}

/// ANSI colours for per-pod prefixes (stern-like), cycling.
pub const PREFIX_COLORS: [&str; 6] = [
    "\x1b[36m", "\x1b[33m", "\x1b[35m", "\x1b[32m", "\x1b[34m", "\x1b[91m",
];
pub const RESET: &str = "\x1b[0m";
