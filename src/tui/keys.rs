//! Keys as data: every key the console reacts to is bound to a named [`Action`]; the help
//! overlay and the user's `[ui.keys]` overrides use the same table.
//!
//! Keys are looked up in a [`Context`]: the main screen, or the dialog, prompt, picker or
//! overlay that is open. A key has at most one action in each context, so dialog actions
//! (`confirm`, `cancel`, `yes`, `no`) may share keys with pane actions (`n` is `no` in a
//! confirmation and `logs_search_next` on the screen); [`KeyMap::with_overrides`] refuses a
//! key that would mean two things in one context, and the bindings that would weaken the
//! confirmations or swallow typed text.

mod context;
mod key;
mod map;

pub use context::Context;
pub use key::Key;
pub use map::KeyMap;

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
    Confirm,
    Cancel,
    Yes,
    No,
}

/// Where an action is listed in the help overlay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    General,
    Navigation,
    Actions,
    Logs,
    Graph,
    Dialogs,
}

impl Group {
    /// Every group, in the order the help overlay and docs/KEYBINDINGS.md show them.
    pub const ALL: [Group; 6] = [
        Group::General,
        Group::Navigation,
        Group::Actions,
        Group::Logs,
        Group::Graph,
        Group::Dialogs,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Group::General => "General",
            Group::Navigation => "Navigation",
            Group::Actions => "Kfops actions (on the selected PR)",
            Group::Logs => "Build logs",
            Group::Graph => "Run graph",
            Group::Dialogs => {
                "Dialogs and prompts (only while a dialog, prompt, picker or overlay is open)"
            }
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
        "focus the next pane; a dialog's other button",
        &["tab"],
    ),
    (
        Action::FocusPrev,
        "focus_prev",
        Group::Navigation,
        "focus the previous pane; a dialog's other button",
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
        "move left (run graph; a dialog's buttons)",
        &["h", "left"],
    ),
    (
        Action::Right,
        "right",
        Group::Navigation,
        "move right (run graph; a dialog's buttons)",
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
    (
        Action::Confirm,
        "confirm",
        Group::Dialogs,
        "press the chosen button (No by default), apply a prompt, open a picker row",
        &["enter"],
    ),
    (
        Action::Cancel,
        "cancel",
        Group::Dialogs,
        "close the dialog, prompt, picker or overlay; nothing is sent",
        &["esc"],
    ),
    (
        Action::Yes,
        "yes",
        Group::Dialogs,
        "answer yes to a confirmation (deploy to production, quit while actions run)",
        &["y", "Y"],
    ),
    (
        Action::No,
        "no",
        Group::Dialogs,
        "answer no to a confirmation (so does any key it does not use)",
        &["n", "N"],
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

    /// How far a list moves for a navigation action (`up`, `down`, `page_up`, `page_down`,
    /// `top`, `bottom`) with pages of `page` rows: the ends are `isize::MIN` / `isize::MAX`,
    /// for lists that clamp. `None` for other actions.
    pub fn list_step(self, page: isize) -> Option<isize> {
        match self {
            Action::Up => Some(-1),
            Action::Down => Some(1),
            Action::PageUp => Some(-page),
            Action::PageDown => Some(page),
            Action::Top => Some(isize::MIN),
            Action::Bottom => Some(isize::MAX),
            _ => None,
        }
    }

    /// The help group the action is listed in.
    pub fn group(self) -> Group {
        ACTIONS
            .iter()
            .find(|(a, ..)| *a == self)
            .map_or(Group::General, |(_, _, g, ..)| *g)
    }
}

/// Key maps for tests.
#[cfg(test)]
pub(crate) mod testing;
