//! What is wrong with a chat command line, with the valid forms and a suggestion.

use super::command::DeployTarget;
use super::parse::{MAX_RUN_ID_LEN, VALID_COMMANDS};

/// What is wrong with a command line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// Nothing but whitespace.
    #[error("empty command; valid commands: {}", VALID_COMMANDS)]
    Empty,
    /// The first word does not start with `/`.
    #[error("`{found}` is not a command: commands start with /{}; valid commands: {}", did_you_mean(.suggestion), VALID_COMMANDS)]
    MissingSlash {
        /// The first word (shortened if long).
        found: String,
        /// The command it most likely meant.
        suggestion: Option<&'static str>,
    },
    /// The first word is not a Kfops command (commands are case-sensitive).
    #[error("unknown command `{found}`{}; valid commands: {}", did_you_mean(.suggestion), VALID_COMMANDS)]
    UnknownCommand {
        /// The first word (shortened if long).
        found: String,
        /// The command within edit distance 2, if any.
        suggestion: Option<&'static str>,
    },
    /// A flag or argument after a command that takes none.
    #[error("/{command} takes no flags or arguments, found `{found}`")]
    TakesNoArguments {
        /// The command, without slash.
        command: &'static str,
        /// The extra word (shortened if long).
        found: String,
    },
    /// A word after a deploy command that is not a flag.
    #[error("unexpected argument `{found}` for /{}; valid flags: {}", .target.command_name(), .target.valid_flags())]
    UnexpectedArgument {
        /// The deploy command's target.
        target: DeployTarget,
        /// The word (shortened if long).
        found: String,
    },
    /// A flag the deploy command does not know.
    #[error("unknown flag `{found}` for /{}{}; valid flags: {}", .target.command_name(), did_you_mean(.suggestion), .target.valid_flags())]
    UnknownFlag {
        /// The deploy command's target.
        target: DeployTarget,
        /// The flag (shortened if long).
        found: String,
        /// The valid flag within edit distance 2, if any.
        suggestion: Option<&'static str>,
    },
    /// `--force` on `/staging_deploy`.
    #[error("--force applies only to /deploy; staging deploys are never blocked")]
    ForceOnStaging,
    /// `--force=...`.
    #[error("--force takes no value; write just --force")]
    FlagTakesNoValue,
    /// The same flag twice.
    #[error("duplicate flag `{flag}`; give it at most once")]
    DuplicateFlag {
        /// The repeated flag.
        flag: &'static str,
    },
    /// `--run-id` without a value.
    #[error("--run-id needs a value: --run-id=ID or --run-id ID")]
    MissingRunId,
    /// A run id character outside `[A-Za-z0-9._-]`.
    #[error("run id contains {found:?}; allowed characters: A-Z a-z 0-9 . _ -")]
    InvalidRunIdChar {
        /// The first offending character.
        found: char,
    },
    /// A run id longer than [`MAX_RUN_ID_LEN`].
    #[error("run id is {len} characters long; at most {} allowed", MAX_RUN_ID_LEN)]
    RunIdTooLong {
        /// The run id's length.
        len: usize,
    },
}

/// A command line [`parse`](super::parse()) rejects: what is wrong, what is valid and, where it
/// helps, the 1-based byte column in the line as given (before trimming).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{kind}", column_prefix(.column))]
pub struct ParseError {
    pub(super) kind: ParseErrorKind,
    pub(super) column: Option<usize>,
}

impl ParseError {
    pub(super) fn at(offset: usize, kind: ParseErrorKind) -> Self {
        Self {
            kind,
            column: Some(offset + 1),
        }
    }

    /// What is wrong.
    pub fn kind(&self) -> &ParseErrorKind {
        &self.kind
    }

    /// The 1-based byte column of the problem in the line given to [`parse`](super::parse()).
    pub fn column(&self) -> Option<usize> {
        self.column
    }
}

fn column_prefix(column: &Option<usize>) -> String {
    column.map(|c| format!("column {c}: ")).unwrap_or_default()
}

fn did_you_mean(suggestion: &Option<&'static str>) -> String {
    suggestion
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default()
}
