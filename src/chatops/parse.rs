//! The chat command syntax: parsing, errors and the canonical form.

use std::fmt;

/// Every Kfops command, as typed in a PR comment.
pub const COMMANDS: [&str; 5] = ["/build", "/run", "/build_run", "/deploy", "/staging_deploy"];

/// The longest run id accepted, in bytes.
pub const MAX_RUN_ID_LEN: usize = 128;

const VALID_COMMANDS: &str = "/build, /run, /build_run, /deploy, /staging_deploy";
const FLAG_RUN_ID: &str = "--run-id";
const FLAG_FORCE: &str = "--force";
/// Longest token echoed back in an error message, in characters.
const MAX_SHOWN: usize = 40;

/// Where a deploy command sends the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeployTarget {
    /// `/deploy`: the production model; merges and closes the PR on success.
    Production,
    /// `/staging_deploy`: the staging model.
    Staging,
}

impl DeployTarget {
    /// The command deploying to this target, without the slash:
    /// `deploy` or `staging_deploy`.
    pub fn command_name(self) -> &'static str {
        match self {
            Self::Production => "deploy",
            Self::Staging => "staging_deploy",
        }
    }

    /// The flags this target's command accepts, for error messages.
    fn valid_flags(self) -> &'static str {
        match self {
            Self::Production => "--run-id=ID, --force",
            Self::Staging => "--run-id=ID",
        }
    }
}

/// A Kfops chat command.
///
/// Its [`Display`](fmt::Display) is the canonical chat syntax (`/deploy --run-id=abc --force`),
/// and [`parse`] reads it back: `parse(&c.to_string()) == Ok(c)` for every command
/// `parse` can produce (valid run id; `force` only on production).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ChatCommand {
    /// `/build`: compile the pipeline.
    Build,
    /// `/run`: run the last compiled pipeline.
    Run,
    /// `/build_run`: compile, then run.
    BuildRun,
    /// `/deploy` or `/staging_deploy`.
    Deploy {
        /// Production or staging.
        target: DeployTarget,
        /// The pipeline run to deploy; `None` means the PR's last completed run.
        run_id: Option<String>,
        /// `--force`: deploy to production even if Kfops would block it.
        /// Always `false` for staging.
        force: bool,
        /// Deploy a run built for this other PR: set only by an operator's explicit
        /// confirmation (the console's dialog, headless `--allow-run-of-pr`), never by the
        /// chat syntax (a comment typed on GitHub cannot deploy another PR's run), so it is
        /// not part of the canonical form either.
        allow_run_of_pr: Option<u64>,
    },
}

impl ChatCommand {
    /// Whether the command changes anything (pipelines, runs, models, the PR).
    /// Every Kfops command does, so this is always `true`; callers use it to
    /// decide on confirmation.
    pub fn is_mutating(&self) -> bool {
        true
    }

    /// The command's name without the slash, as Kfops spells it:
    /// `build`, `run`, `build_run`, `deploy` or `staging_deploy`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Build => "build",
            Self::Run => "run",
            Self::BuildRun => "build_run",
            Self::Deploy { target, .. } => target.command_name(),
        }
    }
}

impl fmt::Display for ChatCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}", self.name())?;
        if let Self::Deploy { run_id, force, .. } = self {
            if let Some(id) = run_id {
                write!(f, " {FLAG_RUN_ID}={id}")?;
            }
            if *force {
                write!(f, " {FLAG_FORCE}")?;
            }
        }
        Ok(())
    }
}

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

/// A command line [`parse`] rejects: what is wrong, what is valid and, where it
/// helps, the 1-based byte column in the line as given (before trimming).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{kind}", column_prefix(.column))]
pub struct ParseError {
    kind: ParseErrorKind,
    column: Option<usize>,
}

impl ParseError {
    fn at(offset: usize, kind: ParseErrorKind) -> Self {
        Self {
            kind,
            column: Some(offset + 1),
        }
    }

    /// What is wrong.
    pub fn kind(&self) -> &ParseErrorKind {
        &self.kind
    }

    /// The 1-based byte column of the problem in the line given to [`parse`].
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

/// Whether `id` is a run id [`parse`] accepts: 1 to [`MAX_RUN_ID_LEN`] bytes of
/// `[A-Za-z0-9._-]`.
pub fn is_valid_run_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_RUN_ID_LEN && id.bytes().all(is_run_id_byte)
}

fn is_run_id_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')
}

/// Parses one command line, e.g. `/deploy --run-id=abc --force`.
///
/// Leading and trailing whitespace is ignored and words may be separated by any
/// whitespace. Commands are case-sensitive, exactly as Kfops: `/build`, `/run`,
/// `/build_run`, `/deploy [--run-id=ID|--run-id ID] [--force]` and
/// `/staging_deploy [--run-id=ID|--run-id ID]`, flags in any order, each at most
/// once. In the `--run-id ID` form a following word starting with `--` is taken
/// as the next flag, not as the id.
pub fn parse(input: &str) -> Result<ChatCommand, ParseError> {
    let words = words(input);
    let Some(&(offset, first)) = words.first() else {
        return Err(ParseError {
            kind: ParseErrorKind::Empty,
            column: None,
        });
    };
    let rest = words.get(1..).unwrap_or_default();
    let simple = match first {
        "/build" => ChatCommand::Build,
        "/run" => ChatCommand::Run,
        "/build_run" => ChatCommand::BuildRun,
        "/deploy" => return parse_deploy(DeployTarget::Production, rest),
        "/staging_deploy" => return parse_deploy(DeployTarget::Staging, rest),
        _ if first.starts_with('/') => {
            let kind = ParseErrorKind::UnknownCommand {
                found: shown(first),
                suggestion: closest(first, &COMMANDS),
            };
            return Err(ParseError::at(offset, kind));
        }
        _ => {
            let kind = ParseErrorKind::MissingSlash {
                found: shown(first),
                suggestion: closest(&format!("/{first}"), &COMMANDS),
            };
            return Err(ParseError::at(offset, kind));
        }
    };
    match rest.first() {
        None => Ok(simple),
        Some(&(offset, word)) => Err(ParseError::at(
            offset,
            ParseErrorKind::TakesNoArguments {
                command: simple.name(),
                found: shown(word),
            },
        )),
    }
}

fn parse_deploy(target: DeployTarget, words: &[(usize, &str)]) -> Result<ChatCommand, ParseError> {
    let mut run_id = None;
    let mut force = false;
    let mut words = words.iter().copied().peekable();
    while let Some((offset, word)) = words.next() {
        let err = |kind| Err(ParseError::at(offset, kind));
        if word == FLAG_FORCE || word.starts_with("--force=") {
            if target == DeployTarget::Staging {
                return err(ParseErrorKind::ForceOnStaging);
            }
            if force {
                return err(ParseErrorKind::DuplicateFlag { flag: FLAG_FORCE });
            }
            if word != FLAG_FORCE {
                return err(ParseErrorKind::FlagTakesNoValue);
            }
            force = true;
        } else if word == FLAG_RUN_ID || word.starts_with("--run-id=") {
            if run_id.is_some() {
                return err(ParseErrorKind::DuplicateFlag { flag: FLAG_RUN_ID });
            }
            let value = match word.strip_prefix("--run-id=") {
                Some(value) => Some((offset + FLAG_RUN_ID.len() + 1, value)),
                None => words.next_if(|(_, next)| !next.starts_with("--")),
            };
            match value {
                Some((at, id)) if !id.is_empty() => {
                    validate_run_id(at, id)?;
                    run_id = Some(id.to_owned());
                }
                _ => return err(ParseErrorKind::MissingRunId),
            }
        } else if word.starts_with('-') {
            let name = word.split_once('=').map_or(word, |(name, _)| name);
            let valid: &[&'static str] = match target {
                DeployTarget::Production => &[FLAG_RUN_ID, FLAG_FORCE],
                DeployTarget::Staging => &[FLAG_RUN_ID],
            };
            return err(ParseErrorKind::UnknownFlag {
                target,
                found: shown(word),
                suggestion: closest(name, valid),
            });
        } else {
            return err(ParseErrorKind::UnexpectedArgument {
                target,
                found: shown(word),
            });
        }
    }
    Ok(ChatCommand::Deploy {
        target,
        run_id,
        force,
        allow_run_of_pr: None,
    })
}

fn validate_run_id(offset: usize, id: &str) -> Result<(), ParseError> {
    if let Some((i, found)) = id
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii() && is_run_id_byte(c as u8)))
    {
        return Err(ParseError::at(
            offset + i,
            ParseErrorKind::InvalidRunIdChar { found },
        ));
    }
    if id.len() > MAX_RUN_ID_LEN {
        return Err(ParseError::at(
            offset,
            ParseErrorKind::RunIdTooLong { len: id.len() },
        ));
    }
    Ok(())
}

/// Parses a PR comment the way Kfops reads it: the comment is a command if its
/// first non-empty line starts with `/` (after leading whitespace).
///
/// Returns `None` for ordinary comments (including every comment Kfops itself
/// writes), otherwise the result of [`parse`] on that line; error columns are
/// relative to that line. Later lines are free text and ignored.
pub fn parse_comment(body: &str) -> Option<Result<ChatCommand, ParseError>> {
    let line = body.lines().find(|line| !line.trim().is_empty())?;
    line.trim_start().starts_with('/').then(|| parse(line))
}

/// The whitespace-separated words of `input` with their byte offsets.
fn words(input: &str) -> Vec<(usize, &str)> {
    let mut words = Vec::new();
    let mut start = None;
    for (i, c) in input.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                words.extend(input.get(s..i).map(|w| (s, w)));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        words.extend(input.get(s..).map(|w| (s, w)));
    }
    words
}

/// `word` for an error message, shortened to [`MAX_SHOWN`] characters.
fn shown(word: &str) -> String {
    match word.char_indices().nth(MAX_SHOWN) {
        Some((cut, _)) => format!("{}…", word.get(..cut).unwrap_or_default()),
        None => word.to_owned(),
    }
}

/// The candidate closest to `word` if within edit distance 2 (first one on ties).
fn closest(word: &str, candidates: &[&'static str]) -> Option<&'static str> {
    let len = word.chars().count();
    candidates
        .iter()
        .filter(|c| c.len().abs_diff(len) <= 2)
        .map(|&c| (edit_distance(word, c), c))
        .filter(|&(d, _)| d <= 2)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// Optimal string alignment distance: Levenshtein plus adjacent transpositions,
/// so `/deplyo` is one edit from `/deploy`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // rows[i][j] = distance between a[..i] and b[..j]
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = d;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deploy(run_id: Option<&str>, force: bool) -> ChatCommand {
        ChatCommand::Deploy {
            target: DeployTarget::Production,
            run_id: run_id.map(str::to_owned),
            force,
            allow_run_of_pr: None,
        }
    }

    fn staging(run_id: Option<&str>) -> ChatCommand {
        ChatCommand::Deploy {
            target: DeployTarget::Staging,
            run_id: run_id.map(str::to_owned),
            force: false,
            allow_run_of_pr: None,
        }
    }

    fn err(input: &str) -> ParseError {
        parse(input).expect_err(input)
    }

    #[test]
    fn parses_every_command() {
        assert_eq!(parse("/build"), Ok(ChatCommand::Build));
        assert_eq!(parse("/run"), Ok(ChatCommand::Run));
        assert_eq!(parse("/build_run"), Ok(ChatCommand::BuildRun));
        assert_eq!(parse("/deploy"), Ok(deploy(None, false)));
        assert_eq!(parse("/staging_deploy"), Ok(staging(None)));
    }

    #[test]
    fn parses_flags_in_both_forms_and_any_order() {
        let want = deploy(Some("abc"), true);
        for input in [
            "/deploy --run-id=abc --force",
            "/deploy --force --run-id=abc",
            "/deploy --run-id abc --force",
            "/deploy --force --run-id abc",
            "  \t/deploy\t --run-id   abc  --force \n",
        ] {
            assert_eq!(parse(input), Ok(want.clone()), "{input:?}");
        }
        assert_eq!(parse("/deploy --force"), Ok(deploy(None, true)));
        assert_eq!(
            parse("/staging_deploy --run-id=run-1.2_x"),
            Ok(staging(Some("run-1.2_x")))
        );
        // A single dash is a valid id character, even in front.
        assert_eq!(parse("/deploy --run-id -x"), Ok(deploy(Some("-x"), false)));
    }

    #[test]
    fn displays_canonically() {
        assert_eq!(
            deploy(Some("abc"), true).to_string(),
            "/deploy --run-id=abc --force"
        );
        assert_eq!(deploy(None, true).to_string(), "/deploy --force");
        assert_eq!(staging(Some("r")).to_string(), "/staging_deploy --run-id=r");
        assert_eq!(ChatCommand::BuildRun.to_string(), "/build_run");
    }

    #[test]
    fn names_and_mutation() {
        assert_eq!(ChatCommand::BuildRun.name(), "build_run");
        assert_eq!(staging(None).name(), "staging_deploy");
        assert!(ChatCommand::Build.is_mutating());
        assert!(deploy(None, false).is_mutating());
    }

    #[test]
    fn empty_input() {
        for input in ["", "   ", "\n\t"] {
            let e = err(input);
            assert_eq!(e.kind(), &ParseErrorKind::Empty);
            assert_eq!(e.column(), None);
            assert!(e.to_string().contains("/staging_deploy"), "{e}");
        }
    }

    #[test]
    fn missing_slash() {
        let e = err("  deploy --force");
        assert_eq!(e.column(), Some(3));
        assert_eq!(
            e.to_string(),
            "column 3: `deploy` is not a command: commands start with / (did you mean `/deploy`?); \
             valid commands: /build, /run, /build_run, /deploy, /staging_deploy"
        );
        assert!(err("hello").to_string().contains("commands start with /"));
    }

    #[test]
    fn unknown_command_suggests_the_closest() {
        let e = err("/deplyo");
        assert_eq!(
            e.to_string(),
            "column 1: unknown command `/deplyo` (did you mean `/deploy`?); \
             valid commands: /build, /run, /build_run, /deploy, /staging_deploy"
        );
        let suggestion = |input: &str| match err(input).kind() {
            ParseErrorKind::UnknownCommand { suggestion, .. } => *suggestion,
            other => panic!("{other:?}"),
        };
        assert_eq!(suggestion("/Deploy"), Some("/deploy"));
        assert_eq!(suggestion("/buidl"), Some("/build"));
        assert_eq!(suggestion("/buildrun"), Some("/build_run"));
        assert_eq!(suggestion("/staging-deploy"), Some("/staging_deploy"));
        assert_eq!(suggestion("/rnu"), Some("/run"));
        assert_eq!(suggestion("/merge"), None);
        assert_eq!(suggestion("/"), None);
        assert_eq!(suggestion("/build/run"), Some("/build_run"));
        assert_eq!(suggestion("/status"), None);
    }

    #[test]
    fn flags_on_commands_that_take_none() {
        let e = err("/build --force");
        assert_eq!(e.column(), Some(8));
        assert_eq!(
            e.to_string(),
            "column 8: /build takes no flags or arguments, found `--force`"
        );
        assert!(matches!(
            err("/run now").kind(),
            ParseErrorKind::TakesNoArguments { command: "run", .. }
        ));
    }

    #[test]
    fn force_on_staging() {
        let e = err("/staging_deploy --force");
        assert_eq!(e.column(), Some(17));
        assert_eq!(
            e.to_string(),
            "column 17: --force applies only to /deploy; staging deploys are never blocked"
        );
        assert_eq!(
            err("/staging_deploy --force=yes").kind(),
            &ParseErrorKind::ForceOnStaging
        );
    }

    #[test]
    fn unknown_flags_and_arguments() {
        let e = err("/deploy --forse");
        assert_eq!(e.column(), Some(9));
        assert_eq!(
            e.to_string(),
            "column 9: unknown flag `--forse` for /deploy (did you mean `--force`?); \
             valid flags: --run-id=ID, --force"
        );
        assert_eq!(
            err("/staging_deploy --run_id=x").to_string(),
            "column 17: unknown flag `--run_id=x` for /staging_deploy (did you mean `--run-id`?); \
             valid flags: --run-id=ID"
        );
        assert_eq!(
            err("/deploy -f").to_string(),
            "column 9: unknown flag `-f` for /deploy; valid flags: --run-id=ID, --force"
        );
        assert_eq!(
            err("/deploy abc").to_string(),
            "column 9: unexpected argument `abc` for /deploy; valid flags: --run-id=ID, --force"
        );
        assert_eq!(
            err("/deploy --force=1").kind(),
            &ParseErrorKind::FlagTakesNoValue
        );
    }

    #[test]
    fn duplicate_flags() {
        let e = err("/deploy --force --force");
        assert_eq!(e.column(), Some(17));
        assert_eq!(
            e.to_string(),
            "column 17: duplicate flag `--force`; give it at most once"
        );
        assert_eq!(
            err("/deploy --run-id=a --run-id b").kind(),
            &ParseErrorKind::DuplicateFlag { flag: "--run-id" }
        );
    }

    #[test]
    fn missing_run_id() {
        for input in [
            "/deploy --run-id",
            "/deploy --run-id=",
            "/deploy --run-id --force",
            "/staging_deploy --run-id --run-id=x",
        ] {
            let e = err(input);
            assert_eq!(e.kind(), &ParseErrorKind::MissingRunId, "{input:?}");
            assert!(e.to_string().contains("--run-id=ID or --run-id ID"), "{e}");
        }
        assert_eq!(err("/deploy --run-id").column(), Some(9));
    }

    #[test]
    fn invalid_run_ids() {
        let e = err("/deploy --run-id=ab/c");
        assert_eq!(e.column(), Some(20));
        assert_eq!(
            e.to_string(),
            "column 20: run id contains '/'; allowed characters: A-Z a-z 0-9 . _ -"
        );
        assert_eq!(err("/deploy --run-id é").column(), Some(18));
        assert_eq!(
            err("/deploy --run-id=é").kind(),
            &ParseErrorKind::InvalidRunIdChar { found: 'é' }
        );

        let longest = "a".repeat(MAX_RUN_ID_LEN);
        assert_eq!(
            parse(&format!("/deploy --run-id={longest}")),
            Ok(deploy(Some(&longest), false))
        );
        let e = err(&format!("/deploy --run-id={longest}b"));
        assert_eq!(e.kind(), &ParseErrorKind::RunIdTooLong { len: 129 });
        assert_eq!(e.column(), Some(18));
        assert!(e.to_string().contains("at most 128"), "{e}");
    }

    #[test]
    fn long_words_are_shortened_in_messages() {
        let e = err(&format!("/{}", "x".repeat(1000)));
        assert!(e.to_string().len() < 200, "{e}");
        assert!(e.to_string().contains('…'));
    }

    #[test]
    fn run_id_validation() {
        assert!(is_valid_run_id("3f1c-9a.b_C"));
        assert!(!is_valid_run_id(""));
        assert!(!is_valid_run_id("a b"));
        assert!(!is_valid_run_id(&"a".repeat(MAX_RUN_ID_LEN + 1)));
    }

    #[test]
    fn comments() {
        assert_eq!(parse_comment("/build"), Some(Ok(ChatCommand::Build)));
        assert_eq!(
            parse_comment("\n  \r\n  /deploy --force\r\nplease ship it"),
            Some(Ok(deploy(None, true)))
        );
        assert_eq!(parse_comment("LGTM\n/deploy"), None);
        assert_eq!(parse_comment(""), None);
        assert_eq!(parse_comment("  \n\n"), None);
        assert_eq!(
            parse_comment("Type: <code>&#47;run</code> to run the compiled pipeline."),
            None
        );
        let e = parse_comment("\n  /build now\n").and_then(Result::err);
        assert_eq!(e.and_then(|e| e.column()), Some(10));
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(edit_distance("/deplyo", "/deploy"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
