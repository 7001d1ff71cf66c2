//! Check 1: the config file is found and parses, and a file holding the token is private.

use std::path::Path;

use super::Check;
use crate::config::{self, Config};

const ID: &str = "config";
const TITLE: &str = "config file";

/// The config of the project to check (`--project`, else the first) and its check line(s),
/// or the failed check (with `file:line:col: key`, or the config's projects for an unknown
/// `--project`).
pub fn check(flag: Option<&Path>, project: Option<&str>) -> Result<(Config, Vec<Check>), Check> {
    let path = config::locate(flag).map_err(|e| failed(&e))?;
    let cfg = config::load(&path).map_err(|e| failed(&e))?;
    let cfg = cfg.select_project(project).map_err(|e| {
        Check::fail(
            ID,
            TITLE,
            format!("--project: {e}"),
            "pass --project one of the config's projects",
        )
    })?;
    let line = match config::token_file_warning(&path, &cfg) {
        Some(warning) => {
            // The helper words it "…; fix: chmod 600 PATH".
            let (what, fix) = warning
                .split_once("; fix: ")
                .unwrap_or((warning.as_str(), "chmod 600 the file"));
            Check::warn(ID, TITLE, what, fix)
        }
        None => Check::pass(ID, TITLE, path.display().to_string()),
    };
    Ok((cfg, vec![line]))
}

fn failed(e: &config::ConfigError) -> Check {
    let text = e.to_string();
    let first = text.lines().next().unwrap_or_default();
    Check::fail(ID, TITLE, first, e.hint.clone())
}
