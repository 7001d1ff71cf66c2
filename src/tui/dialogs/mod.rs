//! Overlays drawn above the panes: help, the `:` command line, confirmations, the audit log.

pub mod audit;
pub mod command_line;
pub mod deploy_confirm;
pub mod help;
pub mod prompt;
pub mod quit_confirm;
