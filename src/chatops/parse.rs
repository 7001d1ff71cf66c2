//! The chat command syntax: reading a command line (words, flags, run ids, suggestions for
//! typos) into a [`ChatCommand`] or a [`ParseError`] with its column.

pub use super::command::{ChatCommand, DeployTarget};
pub use super::parse_error::{ParseError, ParseErrorKind};

/// Every Kfops command, as typed in a PR comment.
pub const COMMANDS: [&str; 5] = ["/build", "/run", "/build_run", "/deploy", "/staging_deploy"];

/// The longest run id accepted, in bytes.
pub const MAX_RUN_ID_LEN: usize = 128;

pub(super) const VALID_COMMANDS: &str = "/build, /run, /build_run, /deploy, /staging_deploy";
pub(super) const FLAG_RUN_ID: &str = "--run-id";
pub(super) const FLAG_FORCE: &str = "--force";
/// Longest token echoed back in an error message, in characters.
const MAX_SHOWN: usize = 40;

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
#[path = "parse_tests.rs"]
mod tests;
