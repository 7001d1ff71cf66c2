//! The audit file: where it is, appending a line, reading the newest entries back.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::AuditEntry;

/// `$XDG_STATE_HOME/kfops/audit.jsonl` (`~/.local/state/kfops/audit.jsonl`).
pub fn default_path() -> Option<PathBuf> {
    crate::state_dir::kfops_state_dir().map(|d| d.join("audit.jsonl"))
}

/// Appends one entry as one line. The line is written with a single `write` on a file opened
/// with `O_APPEND`, so lines of concurrent writers (the console and a headless command) never
/// interleave. A new file (and its directory) is created readable by its owner only.
pub fn append(path: &Path, entry: &AuditEntry) -> Result<(), String> {
    let mut line = entry
        .to_line()
        .map_err(|e| format!("audit entry not written: {e}"))?;
    line.push('\n');
    let what =
        |e: std::io::Error| format!("cannot append to the audit log {}: {e}", path.display());
    crate::state_dir::create_private_dir_of(path).map_err(what)?;
    let mut file = crate::state_dir::open_private_append(path).map_err(what)?;
    let written = file.write(line.as_bytes()).map_err(what)?;
    if written != line.len() {
        return Err(format!(
            "the audit log {} took {written} of {} bytes of a line (disk full?)",
            path.display(),
            line.len()
        ));
    }
    Ok(())
}

/// What [`read_recent`] found: the newest entries first, and how many lines it skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recent {
    pub entries: Vec<AuditEntry>,
    /// Lines that are not audit entries (a torn or hand-edited line).
    pub unreadable: usize,
}

/// The newest `limit` entries, newest first. A missing file has no entries.
pub fn read_recent(path: &Path, limit: usize) -> Result<Recent, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Recent::default()),
        Err(e) => return Err(format!("cannot read the audit log {}: {e}", path.display())),
    };
    let mut recent = Recent::default();
    for line in text.lines().rev().filter(|l| !l.trim().is_empty()) {
        if recent.entries.len() >= limit {
            break;
        }
        match serde_json::from_str::<AuditEntry>(line) {
            Ok(e) => recent.entries.push(e),
            Err(_) => recent.unreadable += 1,
        }
    }
    Ok(recent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Source;
    use crate::chatops::ChatCommand;

    #[test]
    fn lines_are_appended_to_a_private_file_and_read_back_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/audit.jsonl");
        for pr in [1, 2, 3] {
            let e = AuditEntry::started(Source::Headless, "bob".into(), pr, &ChatCommand::Build);
            append(&path, &e).unwrap();
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{not json\n")
            .unwrap();
        let recent = read_recent(&path, 2).unwrap();
        assert_eq!(recent.unreadable, 1);
        let prs: Vec<u64> = recent.entries.iter().map(|e| e.pr).collect();
        assert_eq!(prs, vec![3, 2]);
        assert_eq!(
            read_recent(&dir.path().join("none"), 5).unwrap(),
            Recent::default()
        );
    }
}
