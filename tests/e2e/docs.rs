//! Documents generated from, or checked against, the program: shell completions and man pages
//! (from the clap definition), docs/KEYBINDINGS.md (from the key table), docs/CONFIG.md
//! (every key of config.example.toml), and the README's screenshot (the demo drawn by the
//! console itself). `KFOPS_UPDATE_ASSETS=1` rewrites the generated files instead of failing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use kfops_console::cli_docs::visible_subcommands;
use kfops_sim::{Scenario, Simulator};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use ratatui::Terminal;

use crate::support::console::{driver_on, select_pr};

fn repo_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn updating() -> bool {
    std::env::var_os("KFOPS_UPDATE_ASSETS").is_some_and(|v| v == "1")
}

/// Fails when the committed `path` differs from `generated` (or rewrites it when updating).
fn check_generated(path: &str, generated: &str, regenerate: &str) {
    let file = repo_file(path);
    if updating() {
        std::fs::write(&file, generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&file).unwrap_or_default();
    if committed != generated {
        let first = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(committed.lines().count().min(generated.lines().count()));
        panic!(
            "{path} is out of date (first difference at line {}); regenerate it with:\n  {regenerate}",
            first + 1
        );
    }
}

#[test]
fn bash_completion_covers_every_subcommand_and_bash_can_source_it() {
    let out = crate::support::kfops_command()
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let script = String::from_utf8(out.stdout).unwrap();
    for sub in visible_subcommands() {
        assert!(script.contains(&sub), "no `{sub}` in the bash completion");
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kfops.bash");
    std::fs::write(&path, &script).unwrap();
    // Sourced in a fresh bash, it registers a completion function for `kfops`.
    let out = Command::new("bash")
        .arg("--noprofile")
        .arg("--norc")
        .arg("-c")
        .arg("source \"$1\" && complete -p kfops")
        .arg("bash")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("kfops"));
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let out = crate::support::kfops_command()
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success() && !out.stdout.is_empty(), "{shell}");
    }
}

#[test]
fn the_man_page_has_name_synopsis_and_every_subcommand() {
    let out = crate::support::kfops_command().arg("man").output().unwrap();
    assert!(out.status.success());
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.contains(".SH NAME") && page.contains(".SH SYNOPSIS"));
    assert!(page.contains("$KFOPS_PROJECT"), "--project's variable");
    for sub in visible_subcommands() {
        // roff escapes `-` as `\-`.
        assert!(
            page.contains(&sub.replace('-', "\\-")),
            "no `{sub}` in the man page"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let out = crate::support::kfops_command()
        .args(["man", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    for sub in visible_subcommands() {
        let page = dir.path().join(format!("kfops-{sub}.1"));
        assert!(page.exists(), "{}", page.display());
    }
}

#[test]
fn keybindings_doc_is_generated_from_the_key_table() {
    check_generated(
        "docs/KEYBINDINGS.md",
        &kfops_console::keys::doc::markdown_table(),
        "cargo run -- keys --markdown > docs/KEYBINDINGS.md",
    );
}

/// Every key path of a TOML table: `["github", "api_url"]`, `["image_builder", "images", "name"]`.
fn key_paths(table: &toml_edit::Table, prefix: &[String], out: &mut Vec<Vec<String>>) {
    for (key, item) in table.iter() {
        let mut path = prefix.to_vec();
        path.push(key.to_owned());
        match item {
            toml_edit::Item::Table(t) => key_paths(t, &path, out),
            toml_edit::Item::ArrayOfTables(a) => {
                for t in a.iter() {
                    key_paths(t, &path, out);
                }
            }
            _ => out.push(path),
        }
    }
}

/// Keys shown commented out (`# token = "ghp_..."`), with the table they are under.
fn commented_key_paths(text: &str) -> Vec<Vec<String>> {
    // Table headers, also commented-out ones (`# [projects.kfp]`): the keys under them are theirs.
    let header = regex::Regex::new(r"^(?:#\s*)?\[\[?([a-z_.]+)\]\]?").unwrap();
    let commented = regex::Regex::new(r"^#\s*([a-z_]+)\s*=").unwrap();
    let mut table: Vec<String> = vec![];
    let mut out = vec![];
    for line in text.lines() {
        if let Some(c) = header.captures(line) {
            table = c[1].split('.').map(str::to_owned).collect();
        } else if let Some(c) = commented.captures(line) {
            let mut path = table.clone();
            path.push(c[1].to_owned());
            out.push(path);
        }
    }
    out
}

/// The section of docs/CONFIG.md about `table` (`## `[github]``, `## Top level`).
fn section<'a>(doc: &'a str, table: &[String]) -> Option<&'a str> {
    let heading = if table.is_empty() {
        "\n## Top level".to_owned()
    } else {
        let dotted = table.join(".");
        let plain = format!("\n## `[{dotted}]`");
        if doc.contains(&plain) {
            plain
        } else {
            format!("\n## `[[{dotted}]]`")
        }
    };
    let start = doc.find(&heading)? + heading.len();
    let end = doc[start..].find("\n## ").map_or(doc.len(), |e| start + e);
    Some(&doc[start..end])
}

#[test]
fn config_doc_names_every_key_of_the_example_config() {
    let example = std::fs::read_to_string(repo_file("config.example.toml")).unwrap();
    let doc = std::fs::read_to_string(repo_file("docs/CONFIG.md")).unwrap();
    let parsed: toml_edit::ImDocument<String> = example.parse().unwrap();
    let mut paths = vec![];
    key_paths(parsed.as_table(), &[], &mut paths);
    assert!(paths.len() > 30, "{paths:?}");
    paths.extend(commented_key_paths(&example));
    let mut missing = vec![];
    for path in &paths {
        let (key, table) = path.split_last().unwrap();
        let documented = section(&doc, table).is_some_and(|s| s.contains(&format!("`{key}`")));
        if !documented {
            missing.push(path.join("."));
        }
    }
    assert!(
        missing.is_empty(),
        "docs/CONFIG.md does not document these keys of config.example.toml (add a row to \
         their table's section): {missing:?}"
    );
}

/// Plain text of a screen: one line per row, trailing spaces kept out.
fn screen_text(buf: &Buffer) -> String {
    let area = buf.area;
    let mut text = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let cell = &buf[(x, y)];
            line.push_str(cell.symbol());
            skip = unicode_width::UnicodeWidthStr::width(cell.symbol()).saturating_sub(1);
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

/// The SVG colour of a terminal colour (xterm's palette).
fn css(color: Color, default: &str) -> String {
    let named = match color {
        Color::Reset => default,
        Color::Black => "#000000",
        Color::Red => "#cd3131",
        Color::Green => "#0dbc79",
        Color::Yellow => "#e5e510",
        Color::Blue => "#2472c8",
        Color::Magenta => "#bc3fbc",
        Color::Cyan => "#11a8cd",
        Color::Gray => "#e5e5e5",
        Color::DarkGray => "#767676",
        Color::LightRed => "#f14c4c",
        Color::LightGreen => "#23d18b",
        Color::LightYellow => "#f5f543",
        Color::LightBlue => "#3b8eea",
        Color::LightMagenta => "#d670d6",
        Color::LightCyan => "#29b8db",
        Color::White => "#ffffff",
        Color::Rgb(r, g, b) => return format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(_) => default,
    };
    named.to_owned()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The screen as SVG: one <text> per row, one <tspan> per run of cells of one colour, cell
/// backgrounds as rectangles.
fn screen_svg(buf: &Buffer) -> String {
    const CW: u32 = 8; // cell width and height in px
    const CH: u32 = 17;
    let area = buf.area;
    let (w, h) = (u32::from(area.width) * CW, u32::from(area.height) * CH);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">\n\
<rect width=\"100%\" height=\"100%\" fill=\"#1e1e1e\"/>\n\
<g font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"13px\" xml:space=\"preserve\">\n"
    );
    for y in 0..area.height {
        for x in 0..area.width {
            let cell = &buf[(x, y)];
            if cell.bg != Color::Reset {
                svg.push_str(&format!(
                    "<rect x=\"{}\" y=\"{}\" width=\"{CW}\" height=\"{CH}\" fill=\"{}\"/>\n",
                    u32::from(x) * CW,
                    u32::from(y) * CH,
                    css(cell.bg, "#1e1e1e")
                ));
            }
        }
        svg.push_str(&format!("<text y=\"{}\">", u32::from(y) * CH + CH - 4));
        let mut x = 0;
        while x < area.width {
            let fg = buf[(x, y)].fg;
            let start = x;
            let mut run = String::new();
            while x < area.width && buf[(x, y)].fg == fg {
                run.push_str(buf[(x, y)].symbol());
                x += 1;
            }
            if !run.trim().is_empty() {
                svg.push_str(&format!(
                    "<tspan x=\"{}\" fill=\"{}\">{}</tspan>",
                    u32::from(start) * CW,
                    css(fg, "#d4d4d4"),
                    xml_escape(&run)
                ));
            }
        }
        svg.push_str("</text>\n");
    }
    svg.push_str("</g>\n</svg>\n");
    svg
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readme_screenshot_is_the_demo_as_the_console_draws_it() {
    const W: u16 = 120;
    const H: u16 = 36;
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), Scenario::demo())
        .await
        .unwrap();
    let mut driver = driver_on(&sim, W, H).await;
    select_pr(&mut driver, 41);
    // The overview: the PR list focused, #41 selected, the deployment targets loaded.
    driver.run_until(Duration::from_secs(3), |_| false).await;
    // A fixed clock: ages on screen do not change from one day to the next.
    driver.app.now = "2026-11-25T12:00:00Z".parse().unwrap();
    let mut terminal = Terminal::new(TestBackend::new(W, H)).unwrap();
    terminal
        .draw(|f| kfops_console::tui::view::draw(f, &driver.app))
        .unwrap();
    let buf = terminal.backend().buffer().clone();
    sim.shutdown().await;
    let regenerate = "KFOPS_UPDATE_ASSETS=1 cargo test --test e2e readme_screenshot";
    check_generated("assets/screenshot.txt", &screen_text(&buf), regenerate);
    check_generated("assets/screenshot.svg", &screen_svg(&buf), regenerate);
}
