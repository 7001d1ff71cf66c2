//! Files effects read and write: the audit log's newest entries, and saved text written to a
//! new file only (never over an existing one).

use std::path::{Path, PathBuf};

use crate::audit::AuditLog;

/// How many audit entries the overlay shows at most.
const AUDIT_SHOWN: usize = 1000;

/// The audit log's newest entries, read on a blocking thread.
pub async fn load_audit(audit: Option<&AuditLog>) -> Result<crate::audit::file::Recent, String> {
    let path = audit.map(|a| a.path().to_path_buf()).ok_or_else(|| {
        "no audit log: no home directory to keep it in; set [audit] path in the config".to_string()
    })?;
    tokio::task::spawn_blocking(move || crate::audit::file::read_recent(&path, AUDIT_SHOWN))
        .await
        .map_err(|e| format!("reading the audit log: {e}"))?
}

/// `NAME.log` → `NAME-n.log` (`NAME` → `NAME-n`).
fn numbered(path: &Path, n: u32) -> PathBuf {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
    let name = match (stem, path.extension()) {
        (Some(stem), Some(ext)) => format!("{stem}-{n}.{}", ext.to_string_lossy()),
        (Some(stem), None) => format!("{stem}-{n}"),
        (None, _) => format!("kfops-{n}.log"),
    };
    path.with_file_name(name)
}

/// Writes `text` to a new file: `path`, or the first free `NAME-n.log` when it exists (an
/// existing file is never overwritten). Returns the path written.
pub async fn save_new(path: &Path, text: &str) -> Result<PathBuf, String> {
    use tokio::io::AsyncWriteExt;
    for n in 0..1000 {
        let candidate = if n == 0 {
            path.to_path_buf()
        } else {
            numbered(path, n)
        };
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
            .await;
        match file {
            Ok(mut f) => {
                f.write_all(text.as_bytes())
                    .await
                    .map_err(|e| e.to_string())?;
                f.flush().await.map_err(|e| e.to_string())?;
                return Ok(candidate);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    Err("it exists, and so do 999 numbered names after it".into())
}
