//! Keys as data: every key the console reacts to is bound to a named [`Action`]; the help
//! overlay and the user's `[ui.keys]` overrides use the same table.

use std::collections::BTreeMap;
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Everything a key can do. The names (`snake_case`) are what `[ui.keys]` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Quit,
    Help,
    Audit,
    SwitchProject,
    CommandLine,
    FocusNext,
    FocusPrev,
    FocusPrs,
    FocusLogs,
    FocusGraph,
    FocusTargets,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Refresh,
    Build,
    Run,
    BuildRun,
    Deploy,
    StagingDeploy,
    LogsFollow,
    LogsLayout,
    LogsTimestamps,
    LogsWrap,
    LogsNextStream,
    LogsPrevStream,
    LogsBuilds,
    LogsSearch,
    LogsSearchNext,
    LogsSearchPrev,
    LogsFilter,
    LogsSaveView,
    LogsSaveStream,
    Left,
    Right,
    Zoom,
    GraphOpen,
    GraphToggleGroup,
    GraphRuns,
    GraphPanLeft,
    GraphPanRight,
    GraphPanUp,
    GraphPanDown,
    GraphAscii,
}

/// Where an action is listed in the help overlay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    General,
    Navigation,
    Actions,
    Logs,
    Graph,
}

impl Group {
    pub fn title(self) -> &'static str {
        match self {
            Group::General => "General",
            Group::Navigation => "Navigation",
            Group::Actions => "Kfops actions (on the selected PR)",
            Group::Logs => "Build logs",
            Group::Graph => "Run graph",
        }
    }
}

/// Name, group, description and default keys of each action.
pub const ACTIONS: &[(Action, &str, Group, &str, &[&str])] = &[
    (
        Action::Quit,
        "quit",
        Group::General,
        "quit (asks first while actions run)",
        &["q", "ctrl-c"],
    ),
    (
        Action::Help,
        "help",
        Group::General,
        "show / hide this help",
        &["?"],
    ),
    (
        Action::CommandLine,
        "command_line",
        Group::General,
        "open the command line (chat syntax, see below)",
        &[":"],
    ),
    (
        Action::Refresh,
        "refresh",
        Group::General,
        "refresh now",
        &["ctrl-r", "F5"],
    ),
    (
        Action::FocusNext,
        "focus_next",
        Group::Navigation,
        "focus the next pane",
        &["tab"],
    ),
    (
        Action::FocusPrev,
        "focus_prev",
        Group::Navigation,
        "focus the previous pane",
        &["backtab"],
    ),
    (
        Action::FocusPrs,
        "focus_prs",
        Group::Navigation,
        "focus pull requests",
        &["1"],
    ),
    (
        Action::FocusLogs,
        "focus_logs",
        Group::Navigation,
        "focus build logs",
        &["2"],
    ),
    (
        Action::FocusGraph,
        "focus_graph",
        Group::Navigation,
        "focus run graph",
        &["3"],
    ),
    (
        Action::FocusTargets,
        "focus_targets",
        Group::Navigation,
        "focus deployment targets",
        &["4"],
    ),
    (Action::Up, "up", Group::Navigation, "move up", &["k", "up"]),
    (
        Action::Down,
        "down",
        Group::Navigation,
        "move down",
        &["j", "down"],
    ),
    (
        Action::PageUp,
        "page_up",
        Group::Navigation,
        "page up",
        &["pageup", "ctrl-u"],
    ),
    (
        Action::PageDown,
        "page_down",
        Group::Navigation,
        "page down",
        &["pagedown", "ctrl-d"],
    ),
    (
        Action::Top,
        "top",
        Group::Navigation,
        "go to the first row",
        &["g", "home"],
    ),
    (
        Action::Bottom,
        "bottom",
        Group::Navigation,
        "go to the last row",
        &["G", "end"],
    ),
    (
        Action::Audit,
        "audit",
        Group::General,
        "the audit log: actions started here and by headless commands",
        &["A"],
    ),
    (
        Action::SwitchProject,
        "switch_project",
        Group::General,
        "show the next project's PRs (all projects, then each one)",
        &["P"],
    ),
    (
        Action::Build,
        "build",
        Group::Actions,
        "/build: compile the pipeline, build the images",
        &["b"],
    ),
    (
        Action::Run,
        "run",
        Group::Actions,
        "/run: start a pipeline run of the last build",
        &["r"],
    ),
    (
        Action::BuildRun,
        "build_run",
        Group::Actions,
        "/build_run: build, then run",
        &["B"],
    ),
    (
        Action::Deploy,
        "deploy",
        Group::Actions,
        "/deploy: deploy to production (asks first)",
        &["d"],
    ),
    (
        Action::StagingDeploy,
        "staging_deploy",
        Group::Actions,
        "/staging_deploy: deploy to staging",
        &["s"],
    ),
    (
        Action::Zoom,
        "zoom",
        Group::Navigation,
        "show the focused pane full screen / back",
        &["z"],
    ),
    (
        Action::Left,
        "left",
        Group::Navigation,
        "move left (run graph)",
        &["h", "left"],
    ),
    (
        Action::Right,
        "right",
        Group::Navigation,
        "move right (run graph)",
        &["l", "right"],
    ),
    (
        Action::GraphOpen,
        "graph_open",
        Group::Graph,
        "details of the selected task and its pod's logs in the logs pane",
        &["enter"],
    ),
    (
        Action::GraphToggleGroup,
        "graph_toggle_group",
        Group::Graph,
        "collapse / expand the selected sub-DAG or loop",
        &["space"],
    ),
    (
        Action::GraphRuns,
        "graph_runs",
        Group::Graph,
        "pick a run of the selected PR (state, start, duration, run ID)",
        &["p"],
    ),
    (
        Action::GraphPanLeft,
        "graph_pan_left",
        Group::Graph,
        "pan left",
        &["H"],
    ),
    (
        Action::GraphPanRight,
        "graph_pan_right",
        Group::Graph,
        "pan right",
        &["L"],
    ),
    (
        Action::GraphPanUp,
        "graph_pan_up",
        Group::Graph,
        "pan up",
        &["K"],
    ),
    (
        Action::GraphPanDown,
        "graph_pan_down",
        Group::Graph,
        "pan down",
        &["J"],
    ),
    (
        Action::GraphAscii,
        "graph_ascii",
        Group::Graph,
        "box drawing / ASCII",
        &["a"],
    ),
    (
        Action::LogsFollow,
        "logs_follow",
        Group::Logs,
        "follow the end / pause (scrolling up pauses, end follows)",
        &["f"],
    ),
    (
        Action::LogsLayout,
        "logs_layout",
        Group::Logs,
        "grid of streams / one merged stream",
        &["m"],
    ),
    (
        Action::LogsTimestamps,
        "logs_timestamps",
        Group::Logs,
        "show / hide timestamps",
        &["t"],
    ),
    (
        Action::LogsWrap,
        "logs_wrap",
        Group::Logs,
        "wrap / cut long lines",
        &["w"],
    ),
    (
        Action::LogsNextStream,
        "logs_next_stream",
        Group::Logs,
        "select the next stream (grid)",
        &["]"],
    ),
    (
        Action::LogsPrevStream,
        "logs_prev_stream",
        Group::Logs,
        "select the previous stream (grid)",
        &["["],
    ),
    (
        Action::LogsBuilds,
        "logs_builds",
        Group::Logs,
        "pick a build of the selected PR (earlier builds too)",
        &["o"],
    ),
    (
        Action::LogsSearch,
        "logs_search",
        Group::Logs,
        "search (regex, smart case; empty clears); matches highlighted",
        &["/"],
    ),
    (
        Action::LogsSearchNext,
        "logs_search_next",
        Group::Logs,
        "next match across the shown streams (wraps)",
        &["n"],
    ),
    (
        Action::LogsSearchPrev,
        "logs_search_prev",
        Group::Logs,
        "previous match across the shown streams (wraps)",
        &["N"],
    ),
    (
        Action::LogsFilter,
        "logs_filter",
        Group::Logs,
        "show only the matching lines / all lines",
        &["&"],
    ),
    (
        Action::LogsSaveView,
        "logs_save_view",
        Group::Logs,
        "save what is shown (shown streams merged, filter applied) to a file",
        &["S"],
    ),
    (
        Action::LogsSaveStream,
        "logs_save_stream",
        Group::Logs,
        "save the selected stream (raw, as received) to a file",
        &["ctrl-s"],
    ),
];

impl Action {
    /// The name used in `[ui.keys]`.
    pub fn name(self) -> &'static str {
        ACTIONS
            .iter()
            .find(|(a, ..)| *a == self)
            .map(|(_, n, ..)| *n)
            .unwrap_or("?")
    }

    pub fn from_name(name: &str) -> Option<Action> {
        ACTIONS
            .iter()
            .find(|(_, n, ..)| *n == name)
            .map(|(a, ..)| *a)
    }
}

/// A key with its modifiers, as written in the config (`q`, `G`, `ctrl-c`, `tab`, `F5`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

impl Key {
    /// Parses `q`, `G`, `?`, `ctrl-c`, `alt-x`, `tab`, `backtab`, `enter`, `esc`, `up`, `pageup`,
    /// `home`, `F5`, `space`.
    pub fn parse(text: &str) -> Result<Key, String> {
        let mut ctrl = false;
        let mut alt = false;
        let mut rest = text;
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.len() > 1 && lower.starts_with("ctrl-") {
                ctrl = true;
                rest = &rest[5..];
            } else if rest.len() > 1 && lower.starts_with("alt-") {
                alt = true;
                rest = &rest[4..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => match rest.to_ascii_lowercase().as_str() {
                "tab" => KeyCode::Tab,
                "backtab" | "shift-tab" => KeyCode::BackTab,
                "enter" => KeyCode::Enter,
                "esc" => KeyCode::Esc,
                "space" => KeyCode::Char(' '),
                "backspace" => KeyCode::Backspace,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "pageup" | "pgup" => KeyCode::PageUp,
                "pagedown" | "pgdn" => KeyCode::PageDown,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "delete" | "del" => KeyCode::Delete,
                f if f.starts_with('f') => f[1..]
                    .parse::<u8>()
                    .ok()
                    .filter(|n| (1..=12).contains(n))
                    .map(KeyCode::F)
                    .ok_or_else(|| format!("unknown key `{text}`"))?,
                _ => return Err(format!("unknown key `{text}`")),
            },
        };
        if ctrl && !matches!(code, KeyCode::Char(_)) {
            return Err(format!("`{text}`: ctrl- only combines with a character"));
        }
        let code = match code {
            KeyCode::Char(c) if ctrl => KeyCode::Char(c.to_ascii_lowercase()),
            other => other,
        };
        Ok(Key { code, ctrl, alt })
    }

    /// A key press event for this key (the mouse presses keys of actions this way, so it goes
    /// through the same handling, overlays and pickers included, as the keyboard).
    pub fn to_event(self) -> KeyEvent {
        let mut modifiers = KeyModifiers::NONE;
        if self.ctrl {
            modifiers |= KeyModifiers::CONTROL;
        }
        if self.alt {
            modifiers |= KeyModifiers::ALT;
        }
        if matches!(self.code, KeyCode::Char(c) if c.is_uppercase()) {
            modifiers |= KeyModifiers::SHIFT;
        }
        KeyEvent::new(self.code, modifiers)
    }

    /// The key a terminal event stands for (shift is folded into the character).
    pub fn from_event(ev: &KeyEvent) -> Key {
        let code = match ev.code {
            KeyCode::Char(c) if ev.modifiers.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            other => other,
        };
        Key {
            code,
            ctrl: ev.modifiers.contains(KeyModifiers::CONTROL),
            alt: ev.modifiers.contains(KeyModifiers::ALT),
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::Delete => f.write_str("del"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// The effective bindings: defaults with the user's overrides applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMap {
    bindings: Vec<(Action, Vec<Key>)>,
}

impl Default for KeyMap {
    fn default() -> Self {
        let bindings = ACTIONS
            .iter()
            .map(|(action, _, _, _, keys)| {
                let keys = keys.iter().filter_map(|k| Key::parse(k).ok()).collect();
                (*action, keys)
            })
            .collect();
        KeyMap { bindings }
    }
}

impl KeyMap {
    /// Defaults with `[ui.keys]` applied: each named action gets exactly the listed keys.
    /// Unknown action names, unparsable keys and one key bound to two actions are errors.
    pub fn with_overrides(overrides: &BTreeMap<String, Vec<String>>) -> Result<KeyMap, String> {
        let mut map = KeyMap::default();
        for (name, keys) in overrides {
            let action = Action::from_name(name).ok_or_else(|| {
                let names: Vec<&str> = ACTIONS.iter().map(|(_, n, ..)| *n).collect();
                format!(
                    "[ui.keys]: unknown action `{name}`; known actions: {}",
                    names.join(", ")
                )
            })?;
            let parsed = keys
                .iter()
                .map(|k| Key::parse(k).map_err(|e| format!("[ui.keys] {name}: {e}")))
                .collect::<Result<Vec<_>, _>>()?;
            if let Some(slot) = map.bindings.iter_mut().find(|(a, _)| *a == action) {
                slot.1 = parsed;
            }
        }
        map.check_conflicts()?;
        Ok(map)
    }

    fn check_conflicts(&self) -> Result<(), String> {
        let mut seen: Vec<(Key, Action)> = Vec::new();
        for (action, keys) in &self.bindings {
            for key in keys {
                if let Some((_, other)) = seen.iter().find(|(k, _)| k == key) {
                    return Err(format!(
                        "[ui.keys]: `{key}` is bound to both `{}` and `{}`",
                        other.name(),
                        action.name()
                    ));
                }
                seen.push((*key, *action));
            }
        }
        Ok(())
    }

    /// The action bound to a key press, if any.
    pub fn action_for(&self, ev: &KeyEvent) -> Option<Action> {
        let key = Key::from_event(ev);
        self.bindings
            .iter()
            .find(|(_, keys)| keys.contains(&key))
            .map(|(a, _)| *a)
    }

    /// The keys bound to an action.
    pub fn keys_for(&self, action: Action) -> &[Key] {
        self.bindings
            .iter()
            .find(|(a, _)| *a == action)
            .map(|(_, k)| k.as_slice())
            .unwrap_or(&[])
    }

    /// `q/ctrl-c`: the keys of an action joined for display.
    pub fn describe(&self, action: Action) -> String {
        let keys: Vec<String> = self.keys_for(action).iter().map(Key::to_string).collect();
        keys.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEventKind;

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent {
            code,
            modifiers,
            kind: KeyEventKind::Press,
            state: crossterm::event::KeyEventState::NONE,
        }
    }

    #[test]
    fn defaults_have_no_conflicts_and_every_action_a_key() {
        let map = KeyMap::default();
        map.check_conflicts().unwrap();
        for (action, ..) in ACTIONS {
            assert!(!map.keys_for(*action).is_empty(), "{action:?} has no key");
        }
    }

    #[test]
    fn shifted_letters_and_ctrl_resolve() {
        let map = KeyMap::default();
        assert_eq!(
            map.action_for(&press(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
        assert_eq!(
            map.action_for(&press(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(
            map.action_for(&press(KeyCode::Char('c'), KeyModifiers::NONE)),
            None
        );
    }

    #[test]
    fn overrides_replace_keys_and_report_conflicts_and_unknown_names() {
        let mut o = BTreeMap::new();
        o.insert("quit".to_string(), vec!["x".to_string()]);
        let map = KeyMap::with_overrides(&o).unwrap();
        assert_eq!(
            map.action_for(&press(KeyCode::Char('x'), KeyModifiers::NONE)),
            Some(Action::Quit)
        );
        assert_eq!(
            map.action_for(&press(KeyCode::Char('q'), KeyModifiers::NONE)),
            None
        );
        o.insert("build".to_string(), vec!["x".to_string()]);
        let err = KeyMap::with_overrides(&o).unwrap_err();
        assert!(err.contains("`x` is bound to both"), "{err}");
        let mut o = BTreeMap::new();
        o.insert("launch".to_string(), vec!["x".to_string()]);
        assert!(KeyMap::with_overrides(&o)
            .unwrap_err()
            .contains("unknown action `launch`"));
    }

    #[test]
    fn key_parsing() {
        assert_eq!(Key::parse("ctrl-C").unwrap().to_string(), "ctrl-c");
        assert_eq!(Key::parse("F5").unwrap().code, KeyCode::F(5));
        assert!(Key::parse("ctrl-tab").is_err());
        assert!(Key::parse("hyper-x").is_err());
    }
}
