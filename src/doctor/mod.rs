//! `kfops check`: a doctor that tries, in order, everything the console needs and says what
//! to fix. Each check group is its own file: `config_check.rs` (the file and its
//! permissions; the projects to check), `github.rs` (token, scopes, repositories),
//! `cluster.rs` (API server, RBAC by SelfSubjectAccessReview, namespaces, the InferenceService
//! CRD) over `places.rs` (which namespaces, and which permissions there), `kfp.rs` (healthz,
//! direct or through the service proxy). `runner.rs` runs the independent groups
//! concurrently, each check under a timeout; `output.rs` prints text or JSON. The token is
//! never printed: only the login it belongs to and its scopes.
//!
//! With several `[[projects]]` every project is checked (or the one `--project` names): the
//! shared pieces once (config, token, API server, KFP, CRD), and per project its repository,
//! its namespaces and RBAC in them; a namespace several projects use is checked once, naming
//! them all.

mod cluster;
mod config_check;
mod github;
mod github_app;
mod kfp;
pub mod output;
mod places;
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
    /// The project (`owner/name`) this line is about, when it is one project's and the config
    /// lists `[[projects]]`; absent for the shared pieces and the single-repository layout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// The projects a line checked once for several of them is about (a namespace they
    /// share); empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub projects: Vec<String>,
}

impl Check {
    fn new(id: impl Into<String>, title: impl Into<String>, status: Status) -> Check {
        Check {
            id: id.into(),
            title: title.into(),
            status,
            detail: String::new(),
            hint: None,
            project: None,
            projects: Vec::new(),
        }
    }

    /// This line as the line of the projects named `names` (none: a shared piece, or the
    /// single-repository layout): `project` for one, `projects` for several.
    fn about(mut self, mut names: Vec<String>) -> Check {
        if names.len() == 1 {
            self.project = names.pop();
            self.projects = Vec::new();
        } else {
            self.project = None;
            self.projects = names;
        }
        self
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
        Check::hinted(Status::Fail, id, title, detail, hint)
    }

    /// A warning with what to do about it.
    pub fn warn(
        id: impl Into<String>,
        title: impl Into<String>,
        detail: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Check::hinted(Status::Warn, id, title, detail, hint)
    }

    fn hinted(
        status: Status,
        id: impl Into<String>,
        title: impl Into<String>,
        detail: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Check {
            detail: detail.into(),
            hint: Some(hint.into()),
            ..Check::new(id, title, status)
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
    /// The projects checked (`owner/name`, config order) when the config lists
    /// `[[projects]]`; empty for the single-repository layout.
    pub projects: Vec<String>,
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

/// `kfops check [--json]`: runs every check on the project named by `--project` (else on
/// every project), prints the report on stdout and returns the exit code (0 all passed, 1 a
/// check failed, 2 the config is unusable or `--project` names none of its projects).
pub async fn command(
    config_flag: Option<&std::path::Path>,
    project: Option<crate::config::ProjectChoice<'_>>,
    context: Option<&str>,
    json: bool,
) -> u8 {
    let report = run(config_flag, project, context).await;
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
