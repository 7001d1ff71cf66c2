//! The audit log: one JSON line per Kfops action the console or a headless command starts —
//! when, who, which PR, the action and its arguments, each step with its time, and the outcome.
//!
//! - [`entry`]: the line's shape ([`AuditEntry`]), serde both ways (the console reads it back).
//! - [`file`]: where the file is, appending one line with one `write` on an `O_APPEND` file
//!   created with mode 0600, and reading the newest entries back.
//! - [`recorder`]: [`Recorder`] collects an action's steps from its `ActionEvent`s and writes
//!   the line when it ends (or, when the process stops first, as interrupted).
//! - [`user`]: who the operator is (GitHub `GET /user`, else the kube context's user, else
//!   `$USER`), asked once and cached.
//!
//! The GitHub token is only ever sent in `GET /user`'s `Authorization` header: an entry holds
//! the login, never a credential.

pub mod entry;
pub mod file;
pub mod recorder;
pub mod user;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use entry::{AuditArgs, AuditEntry, AuditOutcome, AuditStep, Source};
pub use recorder::Recorder;

use crate::chatops::ChatCommand;
use crate::config::Config;

/// The environment variable that overrides `[audit] path` (tests use it).
pub const AUDIT_ENV_VAR: &str = "KFOPS_AUDIT_LOG";

/// Where actions are recorded, and who records them (resolved once, on the first action).
#[derive(Debug, Clone)]
pub struct AuditLog {
    path: PathBuf,
    who: Arc<user::Who>,
}

impl AuditLog {
    /// The audit log of a config: `$KFOPS_AUDIT_LOG`, else `[audit] path`, else
    /// `$XDG_STATE_HOME/kfops/audit.jsonl`; `None` when no place is known (no home directory).
    pub fn from_config(cfg: &Config) -> Option<AuditLog> {
        let from_env = std::env::var_os(AUDIT_ENV_VAR)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        let path = from_env
            .or_else(|| cfg.audit.path.clone())
            .or_else(file::default_path)?;
        Some(AuditLog::at(path, cfg))
    }

    /// An audit log at `path`, naming the operator from `cfg`'s GitHub token or cluster.
    pub fn at(path: PathBuf, cfg: &Config) -> AuditLog {
        AuditLog {
            path,
            who: Arc::new(user::Who::from_config(cfg)),
        }
    }

    /// The audit file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Starts recording an action on PR `pr` of `repository` (`owner/name`): resolves the
    /// operator (once per log), then collects steps.
    pub async fn begin_in(
        &self,
        source: Source,
        repository: Option<String>,
        pr: u64,
        cmd: &ChatCommand,
    ) -> Recorder {
        let user = self.who.name().await;
        self.begin_by(source, user, repository, pr, cmd)
    }

    /// As [`AuditLog::begin_in`], for an action `user` asked for (a PR commenter) rather than
    /// this process' operator.
    pub fn begin_by(
        &self,
        source: Source,
        user: String,
        repository: Option<String>,
        pr: u64,
        cmd: &ChatCommand,
    ) -> Recorder {
        let mut entry = AuditEntry::started(source, user, pr, cmd);
        entry.repository = repository;
        Recorder::new(self.path.clone(), entry)
    }
}
