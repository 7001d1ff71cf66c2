//! kfops' state directory (`$XDG_STATE_HOME/kfops`, `~/.local/state/kfops`): the audit log
//! and the console's diagnostic log live there. Files in it are private to their owner.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

/// `$XDG_STATE_HOME/kfops`, else `~/.local/state/kfops`; `None` without a home directory.
pub fn kfops_state_dir() -> Option<PathBuf> {
    dirs::state_dir()
        .or_else(|| dirs::home_dir().map(|h| h.join(".local").join("state")))
        .map(|d| d.join("kfops"))
}

/// Creates the directory `path` is in when missing (mode 0700 on Unix).
pub fn create_private_dir_of(path: &Path) -> std::io::Result<()> {
    let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) else {
        return Ok(());
    };
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Opens `path` for appending (`O_APPEND`), creating it with mode 0600 on Unix.
pub fn open_private_append(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}
