//! The report as text (one line per check, the fix under a check that did not pass, a
//! summary) or as JSON (`{"ok", "exit_code", "checks": [{"id", "title", "status", "detail",
//! "hint"}]}`).

use std::fmt::Write as _;

use serde_json::json;

use super::{Report, Status};

/// The text report.
pub fn text(report: &Report) -> String {
    let width = report
        .checks
        .iter()
        .map(|c| c.title.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for check in &report.checks {
        let _ = writeln!(
            out,
            "{}  {:<width$}  {}",
            check.status.label(),
            check.title,
            check.detail
        );
        if check.status != Status::Pass {
            if let Some(hint) = &check.hint {
                let _ = writeln!(out, "      fix: {hint}");
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

/// The JSON report.
pub fn json(report: &Report) -> String {
    let value = json!({
        "ok": report.exit_code() == 0,
        "exit_code": report.exit_code(),
        "checks": report.checks,
    });
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
