//! Shell completions and man pages, generated from the clap definition in [`crate::cli`] so
//! they cover every subcommand and option without being maintained by hand.

use std::io;
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

/// The completion script for `shell`, for `kfops`.
pub fn completions(shell: Shell) -> String {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "kfops", &mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// The roff man page of `kfops` (NAME, SYNOPSIS, DESCRIPTION, OPTIONS, SUBCOMMANDS, …).
pub fn man_page() -> io::Result<String> {
    let cmd = Cli::command();
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut buf)?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// Writes `kfops.1` and one `kfops-<subcommand>.1` per subcommand into `dir` (created when
/// missing); returns the files written.
pub fn write_man_pages(dir: &Path) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut cmd = Cli::command();
    // Gives each subcommand its display name `kfops-<name>` (the page's title, as
    // `man kfops-build` expects) and its usage line `kfops build …`.
    cmd.build();
    let mut written = Vec::new();
    let path = dir.join("kfops.1");
    std::fs::write(&path, man_page()?)?;
    written.push(path);
    // `help` is clap's own (added by `build`); the pages are `kfops.1` and the commands'.
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        let name = format!("kfops-{}", sub.get_name());
        let mut buf = Vec::new();
        clap_mangen::Man::new(sub.clone()).render(&mut buf)?;
        let path = dir.join(format!("{name}.1"));
        std::fs::write(&path, buf)?;
        written.push(path);
    }
    Ok(written)
}

/// The names of the commands a user sees (not hidden): what the completions and the man
/// pages must cover.
pub fn visible_subcommands() -> Vec<String> {
    Cli::command()
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .map(|s| s.get_name().to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bash_completion_names_every_subcommand() {
        let script = completions(Shell::Bash);
        for sub in visible_subcommands() {
            assert!(script.contains(&sub), "bash completion lacks `{sub}`");
        }
    }

    #[test]
    fn every_shell_has_a_script() {
        for shell in [
            Shell::Bash,
            Shell::Zsh,
            Shell::Fish,
            Shell::Elvish,
            Shell::PowerShell,
        ] {
            assert!(completions(shell).contains("kfops"), "{shell}");
        }
    }

    #[test]
    fn man_page_has_name_synopsis_and_every_subcommand() {
        let page = man_page().unwrap();
        assert!(page.contains(".SH NAME"), "{page}");
        assert!(page.contains(".SH SYNOPSIS"), "{page}");
        for sub in visible_subcommands() {
            // roff escapes `-` as `\-`.
            assert!(
                page.contains(&sub.replace('-', "\\-")),
                "man page lacks `{sub}`"
            );
        }
    }

    #[test]
    fn man_dir_has_one_page_per_subcommand() {
        let dir = tempfile::tempdir().unwrap();
        let written = write_man_pages(dir.path()).unwrap();
        assert_eq!(written.len(), visible_subcommands().len() + 1);
        let build = std::fs::read_to_string(dir.path().join("kfops-build.1")).unwrap();
        assert!(build.contains("kfops\\-build"), "{build}");
        assert!(build.contains("\\-\\-pr"), "{build}");
    }
}
