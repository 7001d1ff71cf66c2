//! `kfops check`: a doctor that tries, in order, everything the console needs and says what
//! to fix. Each check group is its own file: `config_check.rs` (the file and its
//! permissions), `github.rs` (token, scopes, repository), `cluster.rs` (API server, RBAC by
//! SelfSubjectAccessReview, namespaces, the InferenceService CRD), `kfp.rs` (healthz, direct
//! or through the service proxy). `runner.rs` runs the independent groups concurrently, each
//! check under a timeout; `output.rs` prints text or JSON. The token is never printed: only
//! the login it belongs to and its scopes.

mod cluster;
mod config_check;
mod github;
mod kfp;
pub mod output;
pub mod runner;

use serde::Serialize;

pub use self::github::{parse_scopes, scope_verdict};
pub use self::runner::{run, CHECK_TIMEOUT};

/// How a check went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// It works.
    Pass,
    /// It may work, or could not be verified; does not fail the run.
    Warn,
    /// It does not work: exit code 1.
    Fail,
    /// Not tried because an earlier check it depends on failed.
    Skip,
}

impl Status {
    /// The word printed in front of the check.
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
            Status::Skip => "SKIP",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Stable identifier, e.g. `github.scopes`, `rbac.staging`, `namespace.production`.
    pub id: String,
    /// What was checked, for people.
    pub title: String,
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// The fix, for a check that did not pass.
    pub hint: Option<String>,
}

impl Check {
    fn new(id: impl Into<String>, title: impl Into<String>, status: Status) -> Check {
        Check {
            id: id.into(),
            title: title.into(),
            status,
            detail: String::new(),
            hint: None,
        }
    }

    /// A passed check.
    pub fn pass(
        id: impl Into<String>,
        title: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Check {
            detail: detail.into(),
            ..Check::new(id, title, Status::Pass)
        }
    }

    /// A failed check with its fix.
    pub fn fail(
        id: impl Into<String>,
        title: impl Into<String>,
        detail: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Check {
            detail: detail.into(),
            hint: Some(hint.into()),
            ..Check::new(id, title, Status::Fail)
        }
    }

    /// A warning with what to do about it.
    pub fn warn(
        id: impl Into<String>,
        title: impl Into<String>,
        detail: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Check {
            detail: detail.into(),
            hint: Some(hint.into()),
            ..Check::new(id, title, Status::Warn)
        }
    }

    /// A check not tried, and why.
    pub fn skip(id: impl Into<String>, title: impl Into<String>, why: impl Into<String>) -> Self {
        Check {
            detail: why.into(),
            ..Check::new(id, title, Status::Skip)
        }
    }

    /// A failed check from a backend error (its hint, else `fallback`).
    fn from_error(
        id: impl Into<String>,
        title: impl Into<String>,
        err: &crate::backends::BackendError,
        fallback: &str,
    ) -> Check {
        // The retry policy's note speaks of the console's refreshes; a check runs once.
        let hint = err.hint.as_deref().map_or_else(
            || fallback.to_owned(),
            |h| h.replace("; retried on the next refresh", ""),
        );
        Check::fail(id, title, format!("{}: {}", err.what, err.message), hint)
    }
}

/// Every check, in the order they are printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub checks: Vec<Check>,
    /// The config could not be used (exit code 2: bad input); nothing else was tried.
    pub config_unusable: bool,
}

impl Report {
    /// 0 when nothing failed, 1 when a check failed, 2 when the config is unusable.
    pub fn exit_code(&self) -> u8 {
        if self.config_unusable {
            2
        } else if self.checks.iter().any(|c| c.status == Status::Fail) {
            1
        } else {
            0
        }
    }
}

/// `kfops check [--json]`: runs every check on the project named by `--project` (else the
/// first), prints the report on stdout and returns the exit code (0 all passed, 1 a check
/// failed, 2 the config is unusable or `--project` names none of its projects).
pub async fn command(
    config_flag: Option<&std::path::Path>,
    project: Option<&str>,
    json: bool,
) -> u8 {
    let report = run(config_flag, project).await;
    let text = if json {
        let mut text = output::json(&report);
        text.push('\n');
        text
    } else {
        output::text(&report)
    };
    print!("{text}");
    report.exit_code()
}
