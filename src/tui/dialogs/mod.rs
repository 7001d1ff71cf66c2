//! Overlays drawn above the panes: help, the `:` command line (later: confirmations).

pub mod command_line;
pub mod deploy_confirm;
pub mod help;
pub mod prompt;
