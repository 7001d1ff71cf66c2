//! Fuzzing, bounded in time: arbitrary and mutated input thrown at every parser of outside
//! text — the chat parser, the hidden-variable reader, the config loader, kubelet log lines and
//! the ANSI display. Never a panic, and the invariants the console relies on hold.
//!
//! Each target runs `KFOPS_FUZZ_CASES` cases (default [`DEFAULT_CASES`], a few seconds for
//! all of them); `.ci/run` runs them again with many more cases under a `timeout`.
//! Reproduce a failure with the seed proptest prints (`PROPTEST_...` / regressions file).

use std::path::Path;

use kfops_console::backends::cluster::LogLine;
use kfops_console::chatops::{is_var_name, parse, parse_comment, read_var, vars_in, write_var};
use kfops_console::config;
use kfops_console::logs::ansi::{cut_marker, display_text, search_text};
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;

/// Cases per target when `KFOPS_FUZZ_CASES` is not set.
const DEFAULT_CASES: u32 = 1000;

fn cases() -> ProptestConfig {
    let cases = std::env::var("KFOPS_FUZZ_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_CASES);
    ProptestConfig {
        cases,
        // No regression files next to the sources: failures print their seed.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Text made of pieces that matter to the parsers, mixed with arbitrary characters.
fn pieces(alphabet: &'static [&'static str], len: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            4 => proptest::sample::select(alphabet).prop_map(str::to_owned),
            1 => any::<char>().prop_map(String::from),
        ],
        0..len,
    )
    .prop_map(|v| v.concat())
}

const CHAT: &[&str] = &[
    "/build",
    "/run",
    "/build_run",
    "/deploy",
    "/staging_deploy",
    "--run-id",
    "--run-id=",
    "--force",
    "=",
    " ",
    "  ",
    "\t",
    "\n",
    "\r\n",
    "abc-123",
    "run.1_x",
    "-",
    "--",
    "é",
    "\u{200b}",
    "\u{a0}",
    "/",
    "//",
    "\u{feff}",
    "'",
    "\"",
    "`",
];

const HIDDEN: &[&str] = &[
    "<!--",
    "-->",
    "<!-->",
    "<!--->",
    "KFOPS_",
    "KFOPS_RUN_ID",
    "KFOPS_VERSION_ID",
    "=",
    " ",
    "\n",
    "é",
    "-",
    "<",
    ">",
    "x",
    "42",
    "\u{0}",
    "\u{1b}[31m",
];

const LOG: &[&str] = &[
    "2026-11-25T10:00:00Z",
    "2026-11-25T10:00:00.123456789Z",
    "2026-11-25T10:00:00+02:00",
    "2026-13-45T99:99:99Z",
    "2026-11-25",
    "T",
    "Z",
    " ",
    "\r",
    "\t",
    "text",
    "é",
    "\u{1b}",
    "\u{1b}[",
    "\u{1b}]0;title\u{7}",
    "\u{1b}P",
    "\u{9b}",
    "\u{85}",
    "m",
    ";",
    "31",
    "0",
    "K",
    "2J",
    "\u{8}",
    "\u{7f}",
    "\u{0}",
    "世界",
    "e\u{301}",
    "👍🏽",
    "\u{200d}",
    "\u{feff}",
];

proptest! {
    #![proptest_config(cases())]

    /// The chat parser: an error points inside the line (a byte column at a character
    /// boundary); a command shows as text that parses back to it.
    #[test]
    fn fuzz_chat_parser(line in pieces(CHAT, 16), bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        for input in [line.clone(), String::from_utf8_lossy(&bytes).into_owned()] {
            match parse(&input) {
                Ok(cmd) => prop_assert_eq!(parse(&cmd.to_string()), Ok(cmd)),
                Err(e) => {
                    if let Some(column) = e.column() {
                        prop_assert!(column >= 1 && column <= input.len() + 1, "{} in {:?}", column, input);
                        prop_assert!(input.is_char_boundary(column - 1), "{} in {:?}", column, input);
                    }
                    prop_assert!(!e.to_string().is_empty());
                }
            }
            let _ = parse_comment(&input);
            let _ = parse_comment(&format!("{input}\n{line}\n/build"));
        }
    }

    /// The hidden-variable reader: every variable found has a valid name and a trimmed,
    /// non-empty value, and a variable written after any text is read back.
    #[test]
    fn fuzz_hidden_variables(body in pieces(HIDDEN, 24), value in "[A-Za-z0-9._:/-]{1,40}") {
        for (name, v) in vars_in(&body) {
            prop_assert!(is_var_name(&name), "{:?}", name);
            prop_assert!(!v.is_empty() && v.trim() == v, "{:?}", v);
        }
        // Text that closes any comment it opened, then the variable: the variable counts.
        let written = format!("{body} -->\n{}", write_var("KFOPS_RUN_ID", &value));
        prop_assert_eq!(read_var([written.as_str()], "KFOPS_RUN_ID"), Some(value.clone()));
        // A later body wins over an earlier one, whatever the earlier one holds.
        let earlier = write_var("KFOPS_RUN_ID", "earlier");
        prop_assert_eq!(read_var([earlier.as_str(), body.as_str(), written.as_str()], "KFOPS_RUN_ID"), Some(value));
    }

    /// Kubelet log lines: a line splits into a time only when it starts with an RFC 3339 stamp
    /// and a space; the text is otherwise the line itself; a stamped line reads back.
    #[test]
    fn fuzz_log_line_parse(raw in pieces(LOG, 12), text in pieces(LOG, 8), secs in 0i64..4_102_444_800, nanos in 0u32..1_000_000_000) {
        let line = LogLine::parse(&raw);
        let unstamped = raw.strip_suffix('\r').unwrap_or(&raw);
        match line.time {
            Some(_) => {
                let (stamp, rest) = unstamped.split_once(' ').unwrap();
                prop_assert!(chrono::DateTime::parse_from_rfc3339(stamp).is_ok());
                prop_assert_eq!(line.text.as_str(), rest);
            }
            None => prop_assert_eq!(line.text.as_str(), unstamped),
        }
        let time = chrono::DateTime::from_timestamp(secs, nanos).unwrap();
        let stamped = format!("{} {text}", time.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true));
        let line = LogLine::parse(&stamped);
        prop_assert_eq!(line.time, Some(time));
        prop_assert_eq!(line.text.as_str(), text.strip_suffix('\r').unwrap_or(&text));
    }

    /// The ANSI display: no control character is ever shown, a line is cut at the cap with the
    /// marker, and the searched text is the shown text uncut.
    #[test]
    fn fuzz_ansi_display(raw in pieces(LOG, 40), max in 0usize..120) {
        let shown = display_text(&raw, max);
        prop_assert!(!shown.chars().any(char::is_control), "{:?} -> {:?}", raw, shown);
        let whole = display_text(&raw, usize::MAX);
        let n = whole.chars().count();
        if n <= max {
            prop_assert_eq!(&shown, &whole);
        } else {
            let head: String = whole.chars().take(max).collect();
            prop_assert_eq!(&shown, &format!("{head}{}", cut_marker(n - max)));
            prop_assert!(shown.chars().count() <= max + cut_marker(n - max).chars().count());
        }
        let searched = search_text(&raw);
        prop_assert!(!searched.chars().any(char::is_control), "{:?}", searched);
        prop_assert_eq!(searched.as_ref(), whole.as_str());
    }

    /// The config loader on arbitrary bytes from a file: never a panic, and an error with a
    /// position is within the file.
    #[test]
    fn fuzz_config_load_from_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300), valid_prefix in any::<bool>()) {
        let mut content = if valid_prefix {
            b"[repository]\nowner = \"acme\"\nname = \"m\"\n".to_vec()
        } else {
            Vec::new()
        };
        content.extend_from_slice(&bytes);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kfops.toml");
        std::fs::write(&path, &content).unwrap();
        if let Err(e) = config::load(&path) {
            check_position(&e, &String::from_utf8_lossy(&content), &path)?;
        }
    }

    /// The config parser on mutations of the valid example and demo files: bytes replaced,
    /// inserted or deleted, lines duplicated, swapped or cut. Never a panic; errors carry a
    /// line within the file, a column and a hint.
    #[test]
    fn fuzz_config_mutated(
        demo in any::<bool>(),
        edits in proptest::collection::vec((0usize..10_000, 0u8..6, any::<char>(), 0usize..10_000), 1..6),
    ) {
        let base = if demo { kfops_console::launch::DEMO_CONFIG } else { config::example_text() };
        let mut text = base.to_owned();
        for (at, op, c, other) in edits {
            text = mutate(&text, at, op, c, other);
        }
        if let Err(e) = config::parse(&text, Path::new("mutated.toml")) {
            check_position(&e, &text, Path::new("mutated.toml"))?;
        }
    }
}

/// One edit of `text`, at a character boundary.
fn mutate(text: &str, at: usize, op: u8, c: char, other: usize) -> String {
    let bounds: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect();
    let pos = bounds[at % bounds.len()];
    let mut lines: Vec<&str> = text.split('\n').collect();
    let (line, line2) = (at % lines.len(), other % lines.len());
    match op {
        0 => format!("{}{c}{}", &text[..pos], &text[pos..]),
        1 => {
            let end = text[pos..]
                .chars()
                .next()
                .map_or(pos, |ch| pos + ch.len_utf8());
            format!("{}{}", &text[..pos], &text[end..])
        }
        2 => {
            let end = text[pos..]
                .chars()
                .next()
                .map_or(pos, |ch| pos + ch.len_utf8());
            format!("{}{c}{}", &text[..pos], &text[end..])
        }
        3 => {
            let copy = lines[line];
            lines.insert(line2, copy);
            lines.join("\n")
        }
        4 => {
            lines.swap(line, line2);
            lines.join("\n")
        }
        _ => text[..pos].to_owned(),
    }
}

fn check_position(e: &config::ConfigError, text: &str, path: &Path) -> Result<(), TestCaseError> {
    prop_assert_eq!(&e.path, path);
    prop_assert_eq!(e.line.is_some(), e.column.is_some(), "{}", e);
    if let Some(line) = e.line {
        let lines = text.split('\n').count();
        prop_assert!(
            line >= 1 && line as usize <= lines,
            "line {} of {} in {:?}: {}",
            line,
            lines,
            text,
            e
        );
    }
    prop_assert!(!e.hint.is_empty());
    prop_assert!(e.to_string().starts_with(&path.display().to_string()));
    Ok(())
}
