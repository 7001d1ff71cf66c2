//! Layers point one way: a scan of `src/` (code, not comments) for what each lower layer
//! imports. A lower layer may import only the modules [`LOWER`] allows it (all of them listed
//! before it, so the table itself has no cycle) and no terminal crate. The effects layer is
//! the top of the table (it serves every front end, so none of them may be below it); the
//! front ends and the wiring (`tui`, `headless`, `launch`, …) are never in it. A new downward edge is one entry in the table; an upward one is a design change.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The lower layers, bottom first, each with the crate modules it may import (besides its
/// own). Every allowed module is a lower layer listed before it.
const LOWER: &[(&str, &[&str])] = &[
    ("text", &[]),
    ("domain", &[]),
    ("state_dir", &[]),
    ("keys", &[]),
    ("chatops", &["domain"]),
    ("config", &["chatops", "domain", "keys", "text"]),
    ("graph", &["domain", "text"]),
    ("backends", &["chatops", "config", "domain", "text"]),
    ("logs", &["backends", "config", "domain", "text"]),
    (
        "engine",
        &["backends", "chatops", "config", "domain", "logs", "text"],
    ),
    (
        "audit",
        &["chatops", "config", "domain", "engine", "state_dir", "text"],
    ),
    (
        "effects",
        &[
            "audit",
            "backends",
            "chatops",
            "config",
            "domain",
            "engine",
            "logs",
            "state_dir",
            "text",
        ],
    ),
];

/// Crates that draw on or read from a terminal: the console's (`tui`) alone.
const TERMINAL_CRATES: &[&str] = &["ratatui", "crossterm", "tui_textarea"];

/// Edges between upper modules that must not exist (importer, imported): `launch` wires the
/// headless commands, never the other way round.
const FORBIDDEN_UPPER: &[(&str, &str)] = &[("headless", "launch")];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The `.rs` files under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The crate's top-level modules: `src/NAME.rs` and `src/NAME/`.
fn top_level_modules() -> BTreeSet<String> {
    std::fs::read_dir(src())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            let name = p.file_stem()?.to_str()?.to_string();
            (p.is_dir() || p.extension().is_some_and(|e| e == "rs")).then_some(name)
        })
        .filter(|name| name != "main" && name != "lib")
        .collect()
}

/// The module path of a file below `src/`, from its path (`config/validate.rs` →
/// `[config, validate]`, `config/mod.rs` → `[config]`).
fn module_path(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The code of a source file without its comments (line comments, doc comments and block
/// comments), so a path named in a comment is not an import.
fn code_of(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut depth = 0usize;
    for line in source.lines() {
        let mut rest = line;
        loop {
            if depth > 0 {
                match (rest.find("/*"), rest.find("*/")) {
                    (Some(open), Some(close)) if open < close => {
                        depth += 1;
                        rest = &rest[open + 2..];
                    }
                    (_, Some(close)) => {
                        depth -= 1;
                        rest = &rest[close + 2..];
                    }
                    _ => break,
                }
            } else {
                let line_comment = rest.find("//");
                let block = rest.find("/*");
                match (line_comment, block) {
                    (Some(l), b) if b.is_none_or(|b| l < b) => {
                        out.push_str(&rest[..l]);
                        break;
                    }
                    (_, Some(b)) => {
                        out.push_str(&rest[..b]);
                        depth += 1;
                        rest = &rest[b + 2..];
                    }
                    _ => {
                        out.push_str(rest);
                        break;
                    }
                }
            }
        }
        out.push('\n');
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The identifier starting `text` (after spaces).
fn ident(text: &str) -> &str {
    let text = text.trim_start();
    let end = text.find(|c: char| !is_ident(c)).unwrap_or(text.len());
    &text[..end]
}

/// The first names of a `{a, b::c, self}` group starting `text` (just after the `{`).
fn group_heads(text: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0usize;
    let mut at_item = true;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => at_item = true,
            c if at_item && depth == 0 && !c.is_whitespace() => {
                at_item = false;
                heads.push(ident(&text[i..]).to_string());
            }
            _ => {}
        }
    }
    heads
}

/// The crate modules a file's code names (`crate::X`, `super::…::X` reaching the crate
/// root), with the line of each.
fn crate_imports(code: &str, module: &[String]) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let mut search = 0;
        while let Some(found) = line[search..].find(['c', 's']) {
            let at = search + found;
            search = at + 1;
            if line[..at].chars().next_back().is_some_and(is_ident) {
                continue;
            }
            let rest = &line[at..];
            // `crate::` is the root; each `super::` climbs one module from this file's.
            let tail = if let Some(t) = rest.strip_prefix("crate::") {
                t
            } else if rest.starts_with("super::") {
                let mut depth = module.len();
                let mut t = rest;
                while let Some(after) = t.strip_prefix("super::") {
                    depth = depth.saturating_sub(1);
                    t = after;
                }
                if depth > 0 {
                    continue;
                }
                t
            } else {
                continue;
            };
            let tail = tail.trim_start();
            let heads = match tail.strip_prefix('{') {
                // `crate::{a, b}` may span lines: read on from here.
                Some(_) => {
                    let offset: usize = code.lines().take(n).map(|l| l.len() + 1).sum();
                    let from = offset + at + (rest.len() - tail.len()) + 1;
                    group_heads(&code[from..])
                }
                None => vec![ident(tail).to_string()],
            };
            for head in heads {
                out.push((n + 1, head));
            }
        }
    }
    out
}

/// The terminal crates a file's code names (`use ratatui…`, `crossterm::…`).
fn terminal_uses(code: &str) -> Vec<(usize, &'static str)> {
    let mut out = Vec::new();
    for (n, line) in code.lines().enumerate() {
        for krate in TERMINAL_CRATES {
            let named = line.match_indices(krate).any(|(i, _)| {
                let before = line[..i].chars().next_back();
                let after = &line[i + krate.len()..];
                !before.is_some_and(|c| is_ident(c) || c == ':')
                    && (after.starts_with("::") || after.starts_with(';'))
            });
            if named {
                out.push((n + 1, *krate));
            }
        }
    }
    out
}

/// Every import of a crate module by another top-level module: (importer, imported) →
/// the places (`file:line`).
fn edges() -> BTreeMap<(String, String), Vec<String>> {
    let root = src();
    let modules = top_level_modules();
    let mut edges: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for file in rust_files(&root) {
        let relative = file.strip_prefix(&root).unwrap();
        let module = module_path(relative);
        let Some(top) = module.first().filter(|t| modules.contains(*t)) else {
            continue;
        };
        let code = code_of(&std::fs::read_to_string(&file).unwrap());
        for (line, head) in crate_imports(&code, &module) {
            if head != *top && modules.contains(&head) {
                let place = format!("src/{}:{line}", relative.display());
                edges.entry((top.clone(), head)).or_default().push(place);
            }
        }
    }
    edges
}

/// What is wrong with the lower layers' imports, one line per edge.
fn lower_layer_violations() -> Vec<String> {
    let allowed: BTreeMap<&str, &[&str]> = LOWER.iter().copied().collect();
    let mut bad = Vec::new();
    for ((from, to), places) in edges() {
        if let Some(ok) = allowed.get(from.as_str()) {
            if !ok.contains(&to.as_str()) {
                bad.push(format!("{from} imports {to} at {}", places.join(", ")));
            }
        }
    }
    let root = src();
    for file in rust_files(&root) {
        let relative = file.strip_prefix(&root).unwrap();
        let module = module_path(relative);
        if !module
            .first()
            .is_some_and(|t| allowed.contains_key(t.as_str()))
        {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(&file).unwrap());
        for (line, krate) in terminal_uses(&code) {
            bad.push(format!(
                "{} uses the terminal crate {krate} at src/{}:{line}",
                module[0],
                relative.display()
            ));
        }
    }
    bad
}

#[test]
fn the_layer_table_points_down_and_names_only_lower_layers() {
    let modules = top_level_modules();
    for (i, (layer, allowed)) in LOWER.iter().enumerate() {
        assert!(modules.contains(*layer), "{layer} is not a module of src/");
        let below: Vec<&str> = LOWER[..i].iter().map(|(name, _)| *name).collect();
        for to in *allowed {
            assert!(
                below.contains(to),
                "{layer} may import {to}, which is not a lower layer listed before it"
            );
        }
    }
    for upper in ["tui", "headless", "launch"] {
        assert!(
            LOWER.iter().all(|(name, _)| *name != upper),
            "{upper} is not a lower layer"
        );
    }
}

#[test]
fn lower_layers_import_only_the_layers_below_them_and_no_terminal_crate() {
    let bad = lower_layer_violations();
    assert!(
        bad.is_empty(),
        "imports against the layering (tests/e2e/layers.rs, LOWER):\n{}",
        bad.join("\n")
    );
}

#[test]
fn headless_does_not_import_launch() {
    let edges = edges();
    let bad: Vec<String> = FORBIDDEN_UPPER
        .iter()
        .filter_map(|(from, to)| {
            let places = edges.get(&(from.to_string(), to.to_string()))?;
            Some(format!("{from} imports {to} at {}", places.join(", ")))
        })
        .collect();
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn the_scan_sees_imports_in_every_form_and_skips_comments() {
    let module = |p: &str| module_path(Path::new(p));
    let heads = |src: &str, path: &str| -> Vec<String> {
        crate_imports(&code_of(src), &module(path))
            .into_iter()
            .map(|(_, h)| h)
            .collect()
    };
    assert_eq!(
        heads("use crate::tui::keys::KeyMap;", "config/validate.rs"),
        ["tui"]
    );
    assert_eq!(
        heads(
            "use crate::{\n    config::Config,\n    tui::{app, msg},\n};",
            "graph/mod.rs"
        ),
        ["config", "tui"]
    );
    assert_eq!(
        heads("    let x = crate::launch::run();", "engine/build.rs"),
        ["launch"]
    );
    assert_eq!(
        heads("use super::super::super::tui;", "graph/a/b.rs"),
        ["tui"]
    );
    assert!(heads("use super::super::error;", "backends/kfp/identity.rs").is_empty());
    assert!(heads("// use crate::tui::App;\n/* crate::tui */", "graph/mod.rs").is_empty());
    assert!(heads(
        "let s = \"supercrate::x\"; my_crate::tui();",
        "graph/mod.rs"
    )
    .is_empty());
    let uses = |src: &str| terminal_uses(&code_of(src));
    assert_eq!(uses("use ratatui::layout::Rect;")[0].1, "ratatui");
    assert_eq!(
        uses("fn f(k: crossterm::event::KeyEvent) {}")[0].1,
        "crossterm"
    );
    assert!(uses("// ratatui::Rect\nlet tui_textareas = 1;").is_empty());
}
