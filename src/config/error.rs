//! [`ConfigError`]: every way the config file can be wrong, with file, line, column,
//! dotted key and a hint.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use super::spans::{line_col, KeyPath};

/// What went wrong, for callers that react differently (e.g. offer `kfops demo` when
/// no file was found).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigErrorKind {
    /// No config file at any looked-up place, or an explicitly named file is missing.
    NotFound,
    /// The file exists but could not be read.
    Io,
    /// The file is not valid TOML.
    Syntax,
    /// A key or table the config does not know.
    UnknownKey,
    /// A required key or table is absent.
    MissingKey,
    /// A value has the wrong TOML type.
    WrongType,
    /// A value has the right type but is not acceptable.
    InvalidValue,
}

/// An error in the config file (or in finding it).
///
/// `Display` prints exactly one of:
/// - `{path}:{line}:{column}: key `{key}`: {message}\n  hint: {hint}`
/// - `{path}:{line}:{column}: {message}\n  hint: {hint}` (syntax errors)
/// - `{path}: {message}\n  hint: {hint}` (file not found or unreadable)
#[derive(Debug, thiserror::Error)]
pub struct ConfigError {
    /// What went wrong.
    pub kind: ConfigErrorKind,
    /// The config file (for "nothing found": `./kfops.toml`).
    pub path: PathBuf,
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// 1-based column (in characters), when known.
    pub column: Option<u32>,
    /// Dotted key, e.g. `image_builder.images[1].name`, when known.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        match (self.line, self.column, &self.key) {
            (Some(line), Some(column), Some(key)) => {
                write!(f, "{path}:{line}:{column}: key `{key}`: {}", self.message)?
            }
            (Some(line), Some(column), None) => {
                write!(f, "{path}:{line}:{column}: {}", self.message)?
            }
            _ => write!(f, "{path}: {}", self.message)?,
        }
        write!(f, "\n  hint: {}", self.hint)
    }
}

impl ConfigError {
    /// An error about the file as a whole (no position).
    pub(crate) fn file(
        kind: ConfigErrorKind,
        path: &Path,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        ConfigError {
            kind,
            path: path.to_owned(),
            line: None,
            column: None,
            key: None,
            message: message.into(),
            hint: hint.into(),
        }
    }

    /// An error at byte offset `span.start` of `text`, about `key` (unless it is the root).
    pub(crate) fn at(
        kind: ConfigErrorKind,
        path: &Path,
        text: &str,
        span: &Range<usize>,
        key: &KeyPath,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        let (line, column) = line_col(text, span.start);
        let mut e = ConfigError::file(kind, path, message, hint);
        e.line = Some(u32::try_from(line).unwrap_or(u32::MAX));
        e.column = Some(u32::try_from(column).unwrap_or(u32::MAX));
        e.key = (!key.is_root()).then(|| key.to_string());
        e
    }
}

/// Builds the error for a serde error `message` located at `key` (found from the error's
/// span); `key_is_table` says whether an unknown key is a table.
pub(crate) fn from_serde(
    message: &str,
    key: KeyPath,
    key_is_table: bool,
) -> (ConfigErrorKind, KeyPath, String, String) {
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (name, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let key = if key.last_key() == Some(name) {
            key
        } else {
            key.key(name)
        };
        let choices = backticked(expected);
        let mut hint = String::new();
        if let Some(best) = closest(name, &choices) {
            hint.push_str(&format!("did you mean `{best}`? "));
        }
        if choices.is_empty() {
            hint.push_str("this table takes no keys");
        } else {
            hint.push_str(&format!("expected one of: {}", choices.join(", ")));
        }
        let message = if key_is_table {
            format!("unknown table `[{key}]`")
        } else {
            format!("unknown key `{name}`")
        };
        return (ConfigErrorKind::UnknownKey, key, message, hint);
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or(rest);
        let (message, hint) = if key.is_root() {
            (
                format!("missing required table `[{name}]`"),
                format!("add a `[{name}]` table with its required keys (see config.example.toml)"),
            )
        } else {
            (
                format!("missing required key `{name}` in `{key}`"),
                format!("add `{name} = ...` to `{key}` (see config.example.toml)"),
            )
        };
        return (ConfigErrorKind::MissingKey, key.key(name), message, hint);
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        let (value, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let hint = format!("expected one of: {}", backticked(expected).join(", "));
        return (
            ConfigErrorKind::InvalidValue,
            key,
            format!("unknown value `{value}`"),
            hint,
        );
    }
    for (prefix, kind, what) in [
        ("invalid type: ", ConfigErrorKind::WrongType, "wrong type"),
        (
            "invalid value: ",
            ConfigErrorKind::InvalidValue,
            "invalid value",
        ),
    ] {
        if let Some(rest) = message.strip_prefix(prefix) {
            if let Some((found, expected)) = rest.rsplit_once(", expected ") {
                let expected = describe_expected(expected);
                let message = format!(
                    "{what}: expected {expected}, found {}",
                    describe_found(found)
                );
                let hint = format!("`{key}` must be {expected} (see config.example.toml)");
                return (kind, key, message, hint);
            }
        }
    }
    if let Some(expected) = message.strip_prefix("expected ") {
        // Our own `expecting` texts (untagged enums).
        let message = format!("wrong type: expected {expected}");
        let hint = format!("`{key}` must be {expected} (see config.example.toml)");
        return (ConfigErrorKind::WrongType, key, message, hint);
    }
    let hint = "see config.example.toml for the expected form".to_owned();
    (
        ConfigErrorKind::InvalidValue,
        key,
        message.replace('\n', ": "),
        hint,
    )
}

/// The `backticked` words of serde's "expected ..." lists.
fn backticked(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// Serde's Rust-flavoured "expected" text in TOML words.
fn describe_expected(expected: &str) -> String {
    match expected {
        "u8" | "u16" | "u32" | "u64" | "usize" => "a non-negative integer".to_owned(),
        "i8" | "i16" | "i32" | "i64" | "isize" => "an integer".to_owned(),
        "f32" | "f64" => "a number".to_owned(),
        "a sequence" => "an array".to_owned(),
        "a map" => "a table".to_owned(),
        "any valid JSON value" => "a TOML value".to_owned(),
        other if other.starts_with("struct ") => "a table".to_owned(),
        other if other.starts_with("enum ") => "a string".to_owned(),
        other => other.to_owned(),
    }
}

/// Serde's "found" text in TOML words.
fn describe_found(found: &str) -> String {
    match found {
        "sequence" => "an array".to_owned(),
        "map" => "a table".to_owned(),
        other => other.replace("floating point", "float"),
    }
}

/// The choice closest to `name` (edit distance <= 2), for "did you mean".
fn closest<'a>(name: &str, choices: &'a [String]) -> Option<&'a str> {
    choices
        .iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.as_str())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_error_display_formats() {
        let path = Path::new("k.toml");
        let text = "a = 1\nb = 2\n";
        let keyed = ConfigError::at(
            ConfigErrorKind::InvalidValue,
            path,
            text,
            &(6..7),
            &KeyPath::dotted("b"),
            "bad",
            "fix it",
        );
        assert_eq!(
            keyed.to_string(),
            "k.toml:2:1: key `b`: bad\n  hint: fix it"
        );
        let syntax = ConfigError::at(
            ConfigErrorKind::Syntax,
            path,
            text,
            &(2..3),
            &KeyPath::root(),
            "oops",
            "h",
        );
        assert_eq!(syntax.to_string(), "k.toml:1:3: oops\n  hint: h");
        let file = ConfigError::file(ConfigErrorKind::Io, path, "gone", "h");
        assert_eq!(file.to_string(), "k.toml: gone\n  hint: h");
    }

    #[test]
    fn config_serde_messages_are_translated() {
        let (kind, key, msg, hint) = from_serde(
            "unknown field `ownr`, expected `owner` or `name`",
            KeyPath::dotted("repository.ownr"),
            false,
        );
        assert_eq!(kind, ConfigErrorKind::UnknownKey);
        assert_eq!(key.to_string(), "repository.ownr");
        assert_eq!(msg, "unknown key `ownr`");
        assert_eq!(hint, "did you mean `owner`? expected one of: owner, name");

        let (kind, key, msg, _) = from_serde(
            "missing field `owner`",
            KeyPath::dotted("repository"),
            false,
        );
        assert_eq!(kind, ConfigErrorKind::MissingKey);
        assert_eq!(key.to_string(), "repository.owner");
        assert_eq!(msg, "missing required key `owner` in `repository`");

        let (_, _, msg, _) = from_serde("missing field `repository`", KeyPath::root(), false);
        assert_eq!(msg, "missing required table `[repository]`");

        let (kind, _, msg, hint) = from_serde(
            "invalid type: string \"x\", expected u64",
            KeyPath::dotted("ui.refresh_seconds"),
            false,
        );
        assert_eq!(kind, ConfigErrorKind::WrongType);
        assert_eq!(
            msg,
            "wrong type: expected a non-negative integer, found string \"x\""
        );
        assert!(hint.starts_with("`ui.refresh_seconds` must be a non-negative integer"));

        let (kind, _, msg, hint) = from_serde(
            "unknown variant `dark`, expected `default` or `light`",
            KeyPath::dotted("ui.theme"),
            false,
        );
        assert_eq!(kind, ConfigErrorKind::InvalidValue);
        assert_eq!(msg, "unknown value `dark`");
        assert_eq!(hint, "expected one of: default, light");
    }

    #[test]
    fn config_edit_distance() {
        assert_eq!(edit_distance("ownr", "owner"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
