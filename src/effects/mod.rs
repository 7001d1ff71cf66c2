//! Carrying out effects for any front end (the console, the headless commands, a chat-ops
//! service): a front end asks with a [`Command`] and gets [`Answer`]s back through a sink it
//! supplies; nothing here knows a terminal. [`services`] holds one value per project,
//! [`interpret::carry_out`] is the one interpreter of a command, [`running::Effects`] runs
//! commands on tasks and stops them, [`action::Audited`] wraps every Kfops action with its
//! audit record.

pub mod action;
pub mod command;
pub mod files;
pub mod interpret;
pub mod logs;
pub mod running;
pub mod runs;
pub mod services;
pub mod targets;
pub mod tasks;

pub use command::{Answer, Command, LoadedRun};
pub use running::{Effects, SharedSink};
pub use services::{Engine, ProjectServices, Services};

#[cfg(test)]
mod tests {
    /// The Rust sources of `src/{dir}`, each with its path.
    fn sources(dir: &str) -> Vec<(std::path::PathBuf, String)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src")
            .join(dir);
        let mut files = Vec::new();
        let mut dirs = vec![root];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    files.push((path, text));
                }
            }
        }
        assert!(!files.is_empty(), "no sources under src/{dir}");
        files
    }

    #[test]
    fn effects_know_no_front_end_and_no_terminal() {
        // Spelled in pieces so this test does not find itself.
        let front_ends = ["tui", "headless", "launch"].map(|m| format!("crate::{m}"));
        let terminal = [concat!("rata", "tui"), concat!("cross", "term")].map(String::from);
        for (path, text) in sources("effects") {
            for banned in front_ends.iter().chain(&terminal) {
                assert!(!text.contains(banned), "{} uses {banned}", path.display());
            }
        }
    }

    #[test]
    fn headless_commands_do_not_import_the_launcher() {
        // `launch` calls the headless commands; the other way round would be a cycle.
        let launch = format!("crate::{}", "launch");
        for (path, text) in sources("headless") {
            assert!(!text.contains(&launch), "{} uses {launch}", path.display());
        }
    }
}
