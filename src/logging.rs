//! Diagnostic logs (tracing). While the console UI runs nothing may reach the terminal, so
//! the console logs to a file: `--log-file`, else `$XDG_STATE_HOME/kfops/kfops.log`. Headless
//! commands log warnings to stderr unless `--log-file` is given.
//!
//! Secrets never reach a log: the token is a [`crate::config::Secret`] (`***` in `Debug`),
//! and it is only put in `Authorization` headers, which the HTTP clients mark as sensitive.

use std::fs::File;
use std::path::{Path, PathBuf};

use tracing_subscriber::EnvFilter;

/// Where the diagnostic logs go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogTarget {
    /// Append to this file (`RUST_LOG` filters; default `kfops_console=info`).
    File(PathBuf),
    /// Warnings and errors on stderr (headless commands without `--log-file`).
    StderrWarnings,
    /// Nothing (the console when no log file can be opened: never the terminal).
    Nowhere,
}

/// `$XDG_STATE_HOME/kfops/kfops.log` (`~/.local/state/kfops/kfops.log`).
pub fn default_log_file() -> Option<PathBuf> {
    crate::state_dir::kfops_state_dir().map(|d| d.join("kfops.log"))
}

/// The filter of a log file: `RUST_LOG`, else `kfops_console=info`.
pub fn file_filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("kfops_console=info"))
}

/// Opens a log file for appending, creating it (and its directory) private to the user.
pub fn open_log_file(path: &Path) -> std::io::Result<File> {
    crate::state_dir::create_private_dir_of(path)?;
    crate::state_dir::open_private_append(path)
}

/// The subscriber writing to a log file (also used by tests, scoped with
/// `tracing::subscriber::set_default`).
pub fn file_subscriber(
    file: File,
    filter: EnvFilter,
) -> impl tracing::Subscriber + Send + Sync + 'static {
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .finish()
}

/// Installs the process-wide subscriber for `target`.
pub fn init(target: &LogTarget) -> std::io::Result<()> {
    match target {
        LogTarget::File(path) => {
            let file = open_log_file(path)?;
            // Only fails when a subscriber is already set: keep that one.
            let _ = tracing::subscriber::set_global_default(file_subscriber(file, file_filter()));
        }
        LogTarget::StderrWarnings => {
            let subscriber = tracing_subscriber::fmt()
                .with_env_filter(EnvFilter::new("warn"))
                .with_writer(std::io::stderr)
                .with_ansi(false)
                .finish();
            let _ = tracing::subscriber::set_global_default(subscriber);
        }
        LogTarget::Nowhere => {}
    }
    Ok(())
}
