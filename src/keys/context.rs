//! Where a key is pressed. Each context reacts to its own set of actions; a key may have one
//! action in each context, so two actions may share a key when no context has both.

use super::Action;

/// A place keys are read in: the main screen, or what is open over it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// The main screen: the focused pane's keys and the console's own (`q`, `?`, `:`…).
    Screen,
    /// The production deploy confirmation and the quit confirmation (default No).
    Confirmation,
    /// A line of text being typed: the command line, the search and save prompts, the word
    /// typed to force a deploy. Keys that type or edit text always do (see
    /// [`super::Key::edits_text`]).
    TextInput,
    /// The `?` help overlay.
    Help,
    /// The audit overlay.
    Audit,
    /// The run picker of the graph pane.
    RunPicker,
    /// The build picker of the logs pane: its own keys first, then the screen's (the logs
    /// pane's keys keep working while it is open).
    BuildPicker,
}

impl Context {
    /// Every context, the screen first (conflicts are reported in this order).
    pub const ALL: [Context; 7] = [
        Context::Screen,
        Context::Confirmation,
        Context::TextInput,
        Context::Help,
        Context::Audit,
        Context::RunPicker,
        Context::BuildPicker,
    ];

    /// Where it is, in words (errors and docs/KEYBINDINGS.md).
    pub fn title(self) -> &'static str {
        match self {
            Context::Screen => "the main screen",
            Context::Confirmation => "the deploy and quit confirmations",
            Context::TextInput => "text inputs (command line, search, save path, force word)",
            Context::Help => "the help overlay",
            Context::Audit => "the audit overlay",
            Context::RunPicker => "the run picker",
            Context::BuildPicker => "the build picker",
        }
    }

    /// Whether keys that type or edit text do so here (before any binding).
    pub fn is_text(self) -> bool {
        self == Context::TextInput
    }

    /// Whether `action` acts in this context.
    ///
    /// `quit` acts everywhere (it is the way out): in overlays and pickers it quits (asking
    /// first while actions run); in a confirmation or a text input it cancels that instead,
    /// so its keys never answer yes and never lose typed text (only its keys that do not type
    /// act in text inputs: `ctrl-c` cancels, `q` types).
    pub fn has(self, action: Action) -> bool {
        use Action::*;
        match self {
            Context::Screen => action.group() != super::Group::Dialogs,
            Context::Confirmation => matches!(
                action,
                Confirm | Cancel | Yes | No | Left | Right | FocusNext | FocusPrev | Quit
            ),
            Context::TextInput => matches!(action, Confirm | Cancel | Quit),
            Context::Help => matches!(action, Cancel | Help | Quit | Up | Down | Top),
            Context::Audit => {
                matches!(action, Confirm | Cancel | Audit | Quit | Refresh)
                    || action.list_step(1).is_some()
            }
            Context::RunPicker => {
                matches!(
                    action,
                    Confirm | Cancel | GraphRuns | Quit | Deploy | StagingDeploy
                ) || action.list_step(1).is_some()
            }
            Context::BuildPicker => {
                matches!(action, Confirm | Cancel)
                    || (Context::Screen.has(action) && !graph_only(action))
            }
        }
    }

    /// The actions of this context, in table order.
    pub fn actions(self) -> impl Iterator<Item = Action> {
        super::ACTIONS
            .iter()
            .map(|(a, ..)| *a)
            .filter(move |a| self.has(*a))
    }
}

/// Screen actions that do nothing outside the graph pane.
fn graph_only(action: Action) -> bool {
    use Action::*;
    matches!(
        action,
        Left | Right
            | GraphOpen
            | GraphToggleGroup
            | GraphPanLeft
            | GraphPanRight
            | GraphPanUp
            | GraphPanDown
            | GraphAscii
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{Group, ACTIONS};

    #[test]
    fn dialog_actions_act_only_in_dialogs_and_every_action_somewhere() {
        for (action, _, group, ..) in ACTIONS {
            let on_screen = Context::Screen.has(*action);
            assert_eq!(on_screen, *group != Group::Dialogs, "{action:?}");
            assert!(
                Context::ALL.iter().any(|c| c.has(*action)),
                "{action:?} acts nowhere"
            );
        }
        for c in Context::ALL {
            assert!(c.has(Action::Quit), "quit is the way out of {c:?}");
        }
    }

    #[test]
    fn the_build_picker_keeps_the_logs_keys_but_not_the_graph_ones() {
        assert!(Context::BuildPicker.has(Action::LogsFollow));
        assert!(Context::BuildPicker.has(Action::Confirm));
        assert!(!Context::BuildPicker.has(Action::GraphOpen));
        assert!(!Context::BuildPicker.has(Action::Yes));
    }
}
