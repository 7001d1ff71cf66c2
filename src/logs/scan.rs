//! Finding the matching lines of a segment of stored text (lines back to back, each followed
//! by `\n`): the scan under [`super::search`].
//!
//! Most patterns cannot match a `\n` (no class or literal in them takes one: checked on the
//! parsed pattern). Their matches lie inside one line, so the scan only asks for the
//! earliest end of a match from a line's start (a forward pass, no search back for where
//! the match starts) and then goes on from the next line. It adapts to how often lines
//! match: while matches are rare, the regex's literal prefilter skips the text between them;
//! once several lines in a row match, the prefilter only adds a call per line, so the scan
//! switches to the DFA alone until a line does not match. (Over a million lines where nine in
//! ten match, this and the forward-only scan take the search from 73 to 22 ms; see
//! docs/PERFORMANCE.md.)
//!
//! Patterns that can match a `\n` (`\s`, `[^a]`) are searched with leftmost-first matches,
//! and a match running over a line's end is checked again against its line alone.

use regex::{Regex, RegexBuilder};
use regex_automata::meta;
use regex_automata::util::syntax;
use regex_automata::Input;

use super::ansi;
use super::store::Segment;

/// After this many lines in a row that match, the scan drops the prefilter.
const DENSE_RUN: u32 = 8;

/// A compiled search pattern and what is known of it.
#[derive(Debug, Clone)]
pub(super) struct Matcher {
    /// For highlights, and for the patterns that can match a `\n`.
    pub(super) regex: Regex,
    /// The pattern cannot match a `\n`: the one-line scan, with and without prefilter.
    lines: Option<LineRegexes>,
}

#[derive(Debug, Clone)]
struct LineRegexes {
    prefiltered: meta::Regex,
    plain: meta::Regex,
}

/// The scratch space of one thread scanning with a [`Matcher`].
pub(super) struct Scanner<'m> {
    matcher: &'m Matcher,
    caches: Option<(meta::Cache, meta::Cache)>,
}

/// Smart case: a pattern without a capital letter matches case-insensitively.
fn case_insensitive(pattern: &str) -> bool {
    !pattern.chars().any(char::is_uppercase)
}

/// Compiles a search pattern: smart case, `^`/`$` per line. The error is regex's own message
/// (it points at the offending part of the pattern).
pub fn compile(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .case_insensitive(case_insensitive(pattern))
        .multi_line(true)
        .build()
        .map_err(|e| e.to_string())
}

/// Whether no match of `pattern` (compiled as [`compile`] does) can contain a `\n`: no literal
/// and no class in it takes one. `false` when unsure (the pattern does not parse).
fn never_matches_newline(pattern: &str) -> bool {
    use regex_syntax::hir::{Class, Hir, HirKind};
    fn takes_newline(hir: &Hir) -> bool {
        match hir.kind() {
            HirKind::Empty | HirKind::Look(_) => false,
            HirKind::Literal(lit) => lit.0.contains(&b'\n'),
            HirKind::Class(Class::Unicode(class)) => class
                .ranges()
                .iter()
                .any(|r| r.start() <= '\n' && '\n' <= r.end()),
            HirKind::Class(Class::Bytes(class)) => class
                .ranges()
                .iter()
                .any(|r| r.start() <= b'\n' && b'\n' <= r.end()),
            HirKind::Repetition(rep) => takes_newline(&rep.sub),
            HirKind::Capture(cap) => takes_newline(&cap.sub),
            HirKind::Concat(subs) | HirKind::Alternation(subs) => subs.iter().any(takes_newline),
        }
    }
    regex_syntax::ParserBuilder::new()
        .case_insensitive(case_insensitive(pattern))
        .multi_line(true)
        .build()
        .parse(pattern)
        .is_ok_and(|hir| !takes_newline(&hir))
}

/// The pattern compiled for the one-line scan (`None` when it can match a `\n`, or in the
/// unlikely case the builder refuses what `regex` accepted: the general scan serves then).
fn line_regexes(pattern: &str) -> Option<LineRegexes> {
    if !never_matches_newline(pattern) {
        return None;
    }
    let build = |prefilter: bool| {
        meta::Regex::builder()
            .syntax(
                syntax::Config::new()
                    .case_insensitive(case_insensitive(pattern))
                    .multi_line(true),
            )
            .configure(meta::Config::new().auto_prefilter(prefilter))
            .build(pattern)
            .ok()
    };
    Some(LineRegexes {
        prefiltered: build(true)?,
        plain: build(false)?,
    })
}

impl Matcher {
    pub(super) fn new(pattern: &str) -> Result<Matcher, String> {
        Ok(Matcher {
            regex: compile(pattern)?,
            lines: line_regexes(pattern),
        })
    }

    /// Whether the one-line scan serves this pattern.
    #[cfg(test)]
    pub(super) fn scans_by_line(&self) -> bool {
        self.lines.is_some()
    }

    /// Scratch space for one thread.
    pub(super) fn scanner(&self) -> Scanner<'_> {
        Scanner {
            matcher: self,
            caches: self
                .lines
                .as_ref()
                .map(|l| (l.prefiltered.create_cache(), l.plain.create_cache())),
        }
    }
}

impl Scanner<'_> {
    /// Appends the absolute indices of the segment's lines that match.
    pub(super) fn find_lines(&mut self, segment: Segment<'_>, out: &mut Vec<u64>) {
        if !segment.plain {
            // Lay out what a terminal shows of each line the same way, and search that.
            let mut text = String::with_capacity(segment.text.len());
            let mut ends = Vec::with_capacity(segment.len());
            for i in 0..segment.len() {
                ansi::push_search_text(&segment.text[segment.line_range(i)], &mut text);
                ends.push(u32::try_from(text.len()).unwrap_or(u32::MAX));
                text.push('\n');
            }
            if text.len() <= u32::MAX as usize {
                let shown = Segment::plain_text(segment.first, &text, &ends);
                self.find_lines(shown, out);
            }
            return;
        }
        match (&self.matcher.lines, &mut self.caches) {
            (Some(regexes), Some(caches)) => by_line(regexes, caches, segment, out),
            _ => across_lines(&self.matcher.regex, segment, out),
        }
    }
}

/// The one-line scan: the earliest end of a match from each line start on says which line
/// matches (a `\n` belongs to the line it ends; an empty match at a line's start is that
/// line's).
fn by_line(
    regexes: &LineRegexes,
    (pre_cache, plain_cache): &mut (meta::Cache, meta::Cache),
    segment: Segment<'_>,
    out: &mut Vec<u64>,
) {
    let text = segment.text;
    let mut input = Input::new(text).earliest(true);
    let (mut at, mut next_line, mut run) = (0, 0, 0u32);
    while at < text.len() {
        input.set_start(at);
        let found = if run >= DENSE_RUN {
            regexes.plain.search_half_with(plain_cache, &input)
        } else {
            regexes.prefiltered.search_half_with(pre_cache, &input)
        };
        let Some(end) = found else {
            break;
        };
        let line = segment.line_at_from(end.offset(), next_line);
        // An empty match after the last line's `\n` (`^$`, `a*`) is no line's.
        if line >= segment.len() {
            break;
        }
        run = if line == next_line { run + 1 } else { 0 };
        out.push(segment.first + line as u64);
        next_line = line + 1;
        at = segment.line_range(line).end + 1;
    }
}

/// The scan for patterns that can match a `\n`: leftmost-first matches, each checked against
/// its line alone when it runs over the line's end.
fn across_lines(regex: &Regex, segment: Segment<'_>, out: &mut Vec<u64>) {
    let text = segment.text;
    let (mut at, mut next_line) = (0, 0);
    while at < text.len() {
        let Some(m) = regex.find_at(text, at) else {
            break;
        };
        let line = segment.line_at_from(m.start(), next_line);
        // An empty match after the last line's `\n` is no line's.
        if line >= segment.len() {
            break;
        }
        let range = segment.line_range(line);
        if m.end() <= range.end || regex.is_match(&text[range.clone()]) {
            out.push(segment.first + line as u64);
        }
        next_line = line + 1;
        at = range.end + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The lines of `text` (each followed by `\n`) that the scan finds.
    fn scanned(pattern: &str, lines: &[String]) -> Vec<u64> {
        let mut text = String::new();
        let mut ends = Vec::new();
        for line in lines {
            text.push_str(line);
            ends.push(u32::try_from(text.len()).unwrap());
            text.push('\n');
        }
        let matcher = Matcher::new(pattern).unwrap();
        let mut hits = Vec::new();
        matcher
            .scanner()
            .find_lines(Segment::plain_text(100, &text, &ends), &mut hits);
        hits
    }

    proptest! {
        /// Long runs of matching lines (the scan drops the prefilter) broken by lines that do
        /// not match (it takes it back): the hits are the lines the regex matches alone.
        #[test]
        fn the_scan_finds_the_lines_that_match_alone(
            lines in proptest::collection::vec("[ab x]{0,5}|xxxxx", 0..400),
            pattern in proptest::sample::select(&[
                "a", "ab", "^a", "b$", "^$", "a*", r"\bx", "[ab]x", "A", r"\s", "[^a]", "a|x",
            ][..]),
        ) {
            let regex = compile(pattern).unwrap();
            let want: Vec<u64> = (0..lines.len())
                .filter(|&i| regex.is_match(&lines[i]))
                .map(|i| 100 + i as u64)
                .collect();
            prop_assert_eq!(scanned(pattern, &lines), want);
        }
    }

    #[test]
    fn a_dense_run_then_a_gap_then_a_dense_run() {
        let mut lines: Vec<String> = (0..50).map(|i| format!("hit {i}")).collect();
        lines.extend((0..30).map(|i| format!("miss {i}")));
        lines.extend((0..20).map(|i| format!("hit again {i}")));
        let want: Vec<u64> = (0..50).chain(80..100).map(|i| 100 + i).collect();
        assert_eq!(scanned("hit", &lines), want);
    }

    #[test]
    fn knows_which_patterns_stay_inside_a_line() {
        let inside = [
            "a",
            "^a$",
            r"loss=0\.00[0-9]+",
            ".*b",
            r"\bERROR\b",
            "a*",
            "[ab]-",
            "x|y",
            r"(?-u)\w+",
        ];
        for pattern in inside {
            assert!(never_matches_newline(pattern), "{pattern}");
            assert!(Matcher::new(pattern).unwrap().scans_by_line(), "{pattern}");
        }
        let across = [
            r"\s", r"a\s+b", "[^a]", r"\W", r"\D", "(?s).", r"a\nb", r"(?-u)\s", r"\x0a",
        ];
        for pattern in across {
            assert!(!never_matches_newline(pattern), "{pattern}");
            assert!(!Matcher::new(pattern).unwrap().scans_by_line(), "{pattern}");
        }
        // Unsure: does not parse.
        assert!(!never_matches_newline("("));
    }
}
