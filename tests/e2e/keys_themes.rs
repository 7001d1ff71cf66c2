//! Keys and themes on the whole screen: the help overlay shows remapped keys (`[ui.keys]`),
//! a remapped key does its action and the old one no longer does; every theme draws the
//! main screen, and `NO_COLOR` draws it without any colour.

use chrono::{TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kfops_console::domain::PullRequest;
use kfops_console::effects::Command;
use kfops_console::engine::ActionKind;
use kfops_console::keys::KeyMap;
use kfops_console::tui::app::{App, Overlay, RunningAction};
use kfops_console::tui::theme::Theme;
use kfops_console::tui::update::update;
use kfops_console::tui::{view, Msg};
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use ratatui::Terminal;

fn pr(number: u64, labels: &[&str]) -> PullRequest {
    PullRequest {
        project: 0,
        number,
        title: format!("Retrain the model ({number})"),
        author: "ana".into(),
        head_ref: format!("feature-{number}"),
        head_sha: "a".repeat(40),
        base_ref: "main".into(),
        behind_by: Some(number % 2),
        ahead_by: Some(1),
        mergeable: Some(number != 3),
        mergeable_state: Some("clean".into()),
        labels: labels.iter().map(|l| l.to_string()).collect(),
        updated_at: Utc.with_ymd_and_hms(2026, 11, 25, 11, 0, 0).unwrap(),
        last_version_id: Some("1a2b3c4d-version".into()),
        last_run_id: Some("9f8e7d6c-run".into()),
    }
}

/// The keys of `[ui.keys] build = "x"`, `quit = ["ctrl-q"]`, read from a config file.
fn remapped() -> KeyMap {
    keys_of("build = \"x\"\nquit = [\"ctrl-q\"]\n")
}

/// The key map of a config file whose `[ui.keys]` table is `table`.
fn keys_of(table: &str) -> KeyMap {
    let cfg = kfops_console::config::parse(
        &format!("[repository]\nowner = \"acme\"\nname = \"model\"\n[ui.keys]\n{table}"),
        std::path::Path::new("remapped.toml"),
    )
    .expect("config");
    KeyMap::with_overrides(&cfg.ui.keys).expect("no conflict")
}

/// The dialog keys moved: confirm = ctrl-o, cancel = ctrl-g, yes = o, no = x (n, the next
/// search match on the screen, stays free of it).
fn remapped_dialogs() -> KeyMap {
    keys_of("confirm = \"ctrl-o\"\ncancel = [\"ctrl-g\"]\nyes = \"o\"\nno = \"x\"\n")
}

/// A console with PRs (one running a build) at a fixed time.
fn console(keymap: KeyMap) -> App {
    let mut app = App::new("acme/model", "test", keymap);
    app.now = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
    app.prs.set_items(
        vec![
            pr(1, &["kfops-deployed-production"]),
            pr(2, &["kfops-deployed-staging"]),
            pr(3, &[]),
        ],
        app.now,
    );
    app
}

fn draw(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view::draw(f, app)).unwrap();
    terminal
}

fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

#[test]
fn help_overlay_shows_the_remapped_keys() {
    let mut app = console(remapped());
    app.overlay = Overlay::Help(0);
    let terminal = draw(&app, 120, 50);
    let screen = terminal.backend().to_string();
    assert!(screen.contains("x               /build"), "{screen}");
    assert!(screen.contains("ctrl-q          quit"), "{screen}");
    insta::assert_snapshot!("help_overlay_remapped_120x50", terminal.backend());
}

#[test]
fn help_overlay_shows_the_remapped_dialog_keys() {
    let mut app = console(remapped_dialogs());
    // Scrolled to the end: the dialog keys, the mouse and the footer.
    app.overlay = Overlay::Help(u16::MAX);
    let terminal = draw(&app, 120, 50);
    let screen = terminal.backend().to_string();
    assert!(screen.contains("Dialogs and prompts"), "{screen}");
    for line in [
        "ctrl-o          press the chosen button (No by default)",
        "ctrl-g          close the dialog",
        "o               answer yes",
        "x               answer no",
        "ctrl-g / ? closes this help",
        "open what is picked (as ctrl-o)",
    ] {
        assert!(screen.contains(line), "{line}\n{screen}");
    }
    insta::assert_snapshot!(
        "help_overlay_dialog_keys_remapped_120x50",
        terminal.backend()
    );
}

#[test]
fn dialog_hints_name_the_remapped_keys_not_the_defaults() {
    let mut app = console(remapped_dialogs());
    app.actions.insert(
        (0, 3),
        RunningAction {
            kind: ActionKind::Build,
            started: app.now,
            step: "starting".into(),
            step_no: 0,
        },
    );
    // The keys that open each dialog (on #1, behind its base, then #2), and what it says.
    let dialogs: [(&[Msg], &str); 7] = [
        (
            &[key(':')],
            "(ctrl-o runs on the selected PR, ctrl-g cancels)",
        ),
        (
            &[key('d')],
            "Type force and ctrl-o to deploy anyway; ctrl-g or anything else",
        ),
        (
            &[key('j'), key('d')],
            "o: yes · h/l: choose · ctrl-o: press the chosen button · ctrl-g: cancel",
        ),
        (
            &[key('/')],
            "(ctrl-o applies, empty clears, ctrl-g cancels)",
        ),
        (&[key('o')], "ctrl-o open · ctrl-g close"),
        (&[key('A')], "j/k move · ctrl-o: steps · ctrl-g closes"),
        (&[key('q')], "o: quit · any other key: keep running"),
    ];
    for (open, hint) in dialogs {
        for msg in open {
            update(&mut app, msg.clone());
        }
        let text = draw(&app, 200, 40).backend().to_string();
        assert!(text.contains(hint), "{hint}\n{text}");
        for default in ["y: yes", "enter", "esc", "y: quit"] {
            assert!(!text.contains(default), "{default}\n{text}");
        }
        update(&mut app, ctrl('g'));
        assert!(
            matches!(app.overlay, Overlay::None) && app.logs.picker.is_none(),
            "{hint}: still open"
        );
    }
}

#[test]
fn a_remapped_key_does_its_action_and_the_old_key_no_longer_does() {
    let mut app = console(remapped());
    assert!(
        update(&mut app, key('b')).is_empty(),
        "b is no longer /build"
    );
    assert!(app.actions.is_empty());
    let cmds = update(&mut app, key('x'));
    assert!(
        matches!(&cmds[..], [Command::StartAction { pr: 1, .. }]),
        "{cmds:?}"
    );
    // The status bar names the quit key in effect.
    let hints = kfops_console::tui::status_bar::hints(&app);
    assert!(hints.contains("ctrl-q quit"), "{hints}");
    // q no longer quits; ctrl-q does (asking first: an action runs).
    app.actions.clear();
    update(&mut app, key('q'));
    assert!(!app.should_quit);
    update(&mut app, ctrl('q'));
    assert!(app.should_quit);
}

fn busy(theme: Theme) -> App {
    let mut app = console(KeyMap::default());
    app.theme = theme;
    app.actions.insert(
        (0, 2),
        RunningAction {
            kind: ActionKind::Build,
            started: app.now - chrono::Duration::seconds(72),
            step: "uploading pipeline demo to KFP".into(),
            step_no: 4,
        },
    );
    app
}

#[test]
fn every_theme_draws_the_main_screen() {
    for name in ["dark", "light", "colorblind", "mono"] {
        let theme = if name == "mono" {
            Theme::mono()
        } else {
            Theme::named(name, false)
        };
        for (w, h) in [(180, 40), (80, 24), (20, 6)] {
            let mut app = busy(theme.clone());
            let screen = draw(&app, w, h).backend().to_string();
            assert!(w < 80 || screen.contains("acme/model"), "{name} {w}x{h}");
            app.overlay = Overlay::Help(0);
            draw(&app, w, h);
        }
    }
}

#[test]
fn no_color_draws_no_colour_cell() {
    let app = busy(Theme::named("dark", true));
    let terminal = draw(&app, 180, 40);
    let buf = terminal.backend().buffer();
    for cell in &buf.content {
        assert_eq!(cell.fg, Color::Reset, "{cell:?}");
        assert_eq!(cell.bg, Color::Reset, "{cell:?}");
    }
    // The colourful default theme does use colour (the check above can fail).
    let app = busy(Theme::named("dark", false));
    let terminal = draw(&app, 180, 40);
    assert!(terminal
        .backend()
        .buffer()
        .content
        .iter()
        .any(|c| c.fg != Color::Reset));
}
