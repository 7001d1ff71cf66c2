//! Keys as data: every key the console reacts to is bound to a named [`Action`]; the help
//! overlay and the user's `[ui.keys]` overrides use the same table.
//!
//! Keys are looked up in a [`Context`]: the main screen, or the dialog, prompt, picker or
//! overlay that is open. A key has at most one action in each context, so dialog actions
//! (`confirm`, `cancel`, `yes`, `no`) may share keys with pane actions (`n` is `no` in a
//! confirmation and `logs_search_next` on the screen); [`KeyMap::with_overrides`] refuses a
//! key that would mean two things in one context, and the bindings that would weaken the
//! confirmations or swallow typed text.

mod actions;
mod context;
pub mod doc;
mod key;
mod map;

pub use actions::ACTIONS;
pub use context::Context;
pub use key::{Key, KeyCode};
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
