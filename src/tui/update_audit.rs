//! The reducer part for the audit overlay: opening it (the file is read by an effect),
//! showing what was read, moving through the entries.

use crossterm::event::KeyEvent;

use super::app::{App, Overlay};
use super::dialogs::audit::{AuditLoad, AuditView};
use crate::audit::file::Recent;
use crate::effects::Command;
use crate::keys::{Action, Context};

/// `A`: opens the overlay and asks for the file's newest entries.
pub fn open(app: &mut App) -> Vec<Command> {
    app.overlay = Overlay::Audit(Box::new(AuditView::loading(app.audit_path.clone())));
    vec![Command::LoadAudit]
}

/// The entries read (dropped when the overlay was closed meanwhile).
pub fn on_loaded(app: &mut App, result: Result<Recent, String>) -> Vec<Command> {
    if let Overlay::Audit(view) = &mut app.overlay {
        match result {
            Ok(recent) => {
                view.entries = recent.entries;
                view.unreadable = recent.unreadable;
                view.selected = view.selected.min(view.entries.len().saturating_sub(1));
                view.load = AuditLoad::Loaded;
            }
            Err(e) => view.load = AuditLoad::Failed(e),
        }
    }
    Vec::new()
}

/// A key while the overlay is open.
pub fn on_key(app: &mut App, key: &KeyEvent) -> Vec<Command> {
    let action = app.keymap.action_in(Context::Audit, key);
    let page = isize::try_from(app.size.height.saturating_sub(4))
        .unwrap_or(10)
        .max(1);
    let Overlay::Audit(view) = &mut app.overlay else {
        return Vec::new();
    };
    match action {
        Some(Action::Cancel) if view.details => view.details = false,
        Some(Action::Cancel | Action::Audit) => app.overlay = Overlay::None,
        Some(Action::Confirm) => view.details = !view.details && view.selected_entry().is_some(),
        Some(Action::Quit) => return super::update_actions::request_quit(app),
        Some(Action::Refresh) => return open_again(app),
        Some(a) => {
            if let Some(step) = a.list_step(page) {
                view.move_by(step);
            }
        }
        None => {}
    }
    Vec::new()
}

/// Reads the file again, keeping the selection.
fn open_again(app: &mut App) -> Vec<Command> {
    if let Overlay::Audit(view) = &mut app.overlay {
        view.load = AuditLoad::Loading;
        view.details = false;
    }
    vec![Command::LoadAudit]
}
