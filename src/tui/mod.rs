//! The console, in the Elm shape: [`app::App`] is the whole state, [`msg::Msg`] everything that
//! can happen, [`update::update`] the pure reducer returning [`crate::effects::Command`]s (effects), and
//! [`view::draw`] the pure drawing. [`runner`] owns the terminal and the event loop; the
//! commands are carried out by the effects layer (`crate::effects`).

pub mod app;
pub mod dialogs;
pub mod format;
pub mod graph_draw;
pub mod keys;
pub mod layout;
pub mod msg;
pub mod panes;
pub mod project;
pub mod refresh_pace;
pub mod runner;
pub mod status_bar;
pub mod terminal;
pub mod test_fault;
#[cfg(test)]
pub(crate) mod test_support;
pub mod theme;
pub mod update;
pub mod update_actions;
pub mod update_audit;
pub mod update_graph;
pub mod update_logs;
pub mod update_mouse;
pub mod update_search;
pub mod update_targets;
pub mod view;

pub use app::App;
pub use msg::Msg;
