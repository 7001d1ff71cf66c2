//! Headless commands (`kfops build --pr N`, `kfops logs --pr N`): the same engine as the
//! console, progress printed as lines, exit code 0 on success and 1 on failure. Usable in a
//! pipe: colour only on a terminal (and never with `--no-color` or `NO_COLOR`).

pub mod action;
pub mod build;
pub mod deploy;
pub mod json;
pub mod logs;
pub mod preflight;
pub mod run;
pub mod run_lines;

use std::io::IsTerminal;

/// Whether to colour output on stdout.
pub fn use_color(no_color_flag: bool) -> bool {
    !no_color_flag && !crate::color::no_color() && std::io::stdout().is_terminal()
}

/// ANSI colours for per-pod prefixes (stern-like), cycling.
pub const PREFIX_COLORS: [&str; 6] = [
    "\x1b[36m", "\x1b[33m", "\x1b[35m", "\x1b[32m", "\x1b[34m", "\x1b[91m",
];
pub const RESET: &str = "\x1b[0m";
