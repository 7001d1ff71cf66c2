//! The report as text (one line per check, the fix under a check that did not pass, a
//! summary) or as JSON (`{"ok", "exit_code", "projects"?, "checks": [{"id", "title", "status",
//! "detail", "hint", "project"?, "projects"?}]}`). With `[[projects]]` the text comes in
//! groups (the shared lines, then each project's) apart by a blank line, each group aligned
//! on its own, and a line of one project (or of a few of several) starts with its name.

use std::fmt::Write as _;

use serde_json::json;

use super::{Check, Report, Status};

/// The text report.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    for (i, group) in groups(&report.checks).into_iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let who: Vec<Option<String>> = group.iter().map(|c| who(c, &report.projects)).collect();
        let who_width = who.iter().flatten().map(|w| w.chars().count()).max();
        let labels: Vec<String> = group
            .iter()
            .zip(&who)
            .map(|(check, who)| match (who, who_width) {
                (Some(who), Some(width)) => format!("{who:<width$}  {}", check.title),
                _ => check.title.clone(),
            })
            .collect();
        let width = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
        for (check, label) in group.iter().zip(&labels) {
            let _ = writeln!(
                out,
                "{}  {:<width$}  {}",
                check.status.label(),
                label,
                check.detail
            );
            if check.status != Status::Pass {
                if let Some(hint) = &check.hint {
                    let _ = writeln!(out, "      fix: {hint}");
                }
            }
        }
    }
    let count = |s: Status| report.checks.iter().filter(|c| c.status == s).count();
    let _ = writeln!(
        out,
        "\n{} passed, {} warnings, {} failed, {} skipped",
        count(Status::Pass),
        count(Status::Warn),
        count(Status::Fail),
        count(Status::Skip)
    );
    out
}

/// Runs of consecutive lines of the same project (the shared lines have none).
fn groups(checks: &[Check]) -> Vec<&[Check]> {
    let mut out = Vec::new();
    let mut rest = checks;
    while let Some(first) = rest.first() {
        let len = rest
            .iter()
            .position(|c| c.project != first.project)
            .unwrap_or(rest.len());
        let (group, tail) = rest.split_at(len);
        out.push(group);
        rest = tail;
    }
    out
}

/// Whom a line names: its project, or the projects sharing it when they are not all the
/// checked ones; `None` for a shared line.
fn who(check: &Check, checked: &[String]) -> Option<String> {
    match (&check.project, check.projects.as_slice()) {
        (Some(project), _) => Some(project.clone()),
        (None, []) => None,
        (None, several) if several == checked => None,
        (None, several) => Some(several.join(", ")),
    }
}

/// The JSON report.
pub fn json(report: &Report) -> String {
    let mut value = json!({
        "ok": report.exit_code() == 0,
        "exit_code": report.exit_code(),
        "checks": report.checks,
    });
    if !report.projects.is_empty() {
        value["projects"] = json!(report.projects);
    }
    serde_json::to_string_pretty(&value).unwrap_or_else(|_| "{}".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Check;

    #[test]
    fn text_puts_the_fix_under_a_failed_check_only() {
        let report = Report {
            checks: vec![
                Check::pass("a", "first", "fine"),
                Check::fail("b", "second one", "broken", "do this"),
            ],
            config_unusable: false,
            projects: Vec::new(),
        };
        let text = text(&report);
        assert!(text.contains("PASS  first       fine\n"), "{text}");
        assert!(
            text.contains("FAIL  second one  broken\n      fix: do this\n"),
            "{text}"
        );
        assert!(text.contains("1 passed, 0 warnings, 1 failed"), "{text}");
        let json: serde_json::Value = serde_json::from_str(&super::json(&report)).unwrap();
        assert_eq!(json["exit_code"], 1);
        assert_eq!(json["checks"][1]["status"], "fail");
    }
}

#[cfg(test)]
mod project_tests {
    use super::*;

    fn of(check: Check, names: &[&str]) -> Check {
        check.about(names.iter().map(|n| (*n).to_owned()).collect())
    }

    #[test]
    fn project_lines_come_in_groups_naming_their_project() {
        let both = ["acme/a", "acme/b"];
        let report = Report {
            checks: vec![
                Check::pass("config", "config file", "kfops.toml"),
                of(
                    Check::pass("namespace.kfops", "namespace kfops", "exists"),
                    &both,
                ),
                of(
                    Check::pass("github.repository", "GitHub repository", "ok"),
                    &["acme/a"],
                ),
                of(
                    Check::pass("namespace.a", "namespace a", "exists"),
                    &["acme/a"],
                ),
                of(
                    Check::fail(
                        "namespace.b-staging",
                        "namespace b-staging",
                        "missing",
                        "create it",
                    ),
                    &["acme/b"],
                ),
            ],
            config_unusable: false,
            projects: both.map(str::to_owned).to_vec(),
        };
        let text = text(&report);
        assert_eq!(
            text,
            "PASS  config file      kfops.toml\n\
             PASS  namespace kfops  exists\n\
             \n\
             PASS  acme/a  GitHub repository  ok\n\
             PASS  acme/a  namespace a        exists\n\
             \n\
             FAIL  acme/b  namespace b-staging  missing\n      fix: create it\n\
             \n\
             4 passed, 0 warnings, 1 failed, 0 skipped\n"
        );
        let json: serde_json::Value = serde_json::from_str(&super::json(&report)).unwrap();
        assert_eq!(json["projects"], serde_json::json!(both));
        assert!(json["checks"][0].get("project").is_none());
        assert_eq!(json["checks"][1]["projects"], serde_json::json!(both));
        assert!(json["checks"][1].get("project").is_none());
        assert_eq!(json["checks"][4]["project"], "acme/b");
        assert!(json["checks"][4].get("projects").is_none());
    }

    #[test]
    fn a_line_a_few_of_several_projects_share_names_them() {
        let report = Report {
            checks: vec![of(
                Check::pass("namespace.x", "namespace x", "exists"),
                &["a/a", "a/b"],
            )],
            config_unusable: false,
            projects: ["a/a", "a/b", "a/c"].map(str::to_owned).to_vec(),
        };
        assert!(text(&report).starts_with("PASS  a/a, a/b  namespace x  exists\n"));
    }
}
