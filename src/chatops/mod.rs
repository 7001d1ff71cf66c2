//! The Kfops chat command syntax and Kfops' hidden comment variables.
//!
//! Kfops is driven by pull request comments whose first line is a command:
//! `/build`, `/run`, `/build_run`, `/deploy [--run-id=ID] [--force]` (production)
//! and `/staging_deploy [--run-id=ID]`. [`parse`] reads one command line,
//! [`parse_comment`] decides whether a whole comment is a command, and the
//! [`Display`](std::fmt::Display) of [`ChatCommand`] writes the canonical form back.
//!
//! Kfops keeps its state in its own comments as hidden HTML comments such as
//! `<!-- KFOPS_RUN_ID=... -->`. [`write_var`] writes one, [`vars_in`] lists the
//! ones in a comment and [`read_var`] finds the value that counts for a PR: the
//! last occurrence across its comments, in order.

mod command;
mod hidden;
mod parse;
mod parse_error;

pub use hidden::{is_var_name, read_var, vars_in, write_var, VAR_RUN_ID, VAR_VERSION_ID};
pub use parse::{
    is_valid_run_id, parse, parse_comment, ChatCommand, DeployTarget, ParseError, ParseErrorKind,
    COMMANDS, MAX_RUN_ID_LEN,
};
