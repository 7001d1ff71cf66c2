//! The reducer's part for searching, filtering and saving the build logs: the `/` prompt,
//! `n`/`N` across the shown streams in merged order (wrapping like less and vim), the filter,
//! and the save prompt whose Enter hands the text to write to the runner. Pure.

use std::path::{Path, PathBuf};

use crossterm::event::KeyEvent;

use super::app::{App, Level, Overlay, PaneId};
use super::dialogs::prompt::{regex_error, Prompt, PromptFor, SaveWhat};
use super::layout::Areas;
use super::panes::logs::{stream_text, view_text, LogLayout};
use crate::effects::Command;
use crate::keys::{Action, Context};
use crate::logs::merge::{self, MergedPos};
use crate::logs::search::{Direction, Search};

/// `/`, `n`, `N`, the filter and the save keys (from any pane: they act on the logs pane).
pub fn on_action(app: &mut App, action: Action) -> Vec<Command> {
    match action {
        Action::LogsSearch => {
            app.focus = PaneId::Logs;
            let previous = app.logs.search.as_ref().map(|s| s.search.pattern());
            app.overlay = Overlay::Prompt(Box::new(Prompt::search(previous, &app.keymap)));
        }
        Action::LogsSearchNext => jump(app, Direction::Forward),
        Action::LogsSearchPrev => jump(app, Direction::Backward),
        Action::LogsFilter => toggle_filter(app),
        Action::LogsSaveView => open_save(app, SaveWhat::View),
        Action::LogsSaveStream => {
            let pod = app
                .logs
                .selected_index()
                .map(|i| app.logs.streams[i].pod.clone());
            match pod {
                Some(pod) => open_save(app, SaveWhat::Stream(pod)),
                None => nothing_to_save(app),
            }
        }
        _ => {}
    }
    Vec::new()
}

/// Keys while the prompt is open: `confirm` applies, `cancel` (or quit's ctrl-c) cancels,
/// the rest edits.
pub fn on_prompt_key(app: &mut App, key: KeyEvent) -> Vec<Command> {
    let Overlay::Prompt(prompt) = &mut app.overlay else {
        return Vec::new();
    };
    match app.keymap.action_in(Context::TextInput, &key) {
        Some(Action::Cancel | Action::Quit) => {
            app.overlay = Overlay::None;
            Vec::new()
        }
        Some(Action::Confirm) => {
            let text = prompt.text();
            match prompt.purpose.clone() {
                PromptFor::Search => {
                    apply_search(app, &text);
                    Vec::new()
                }
                PromptFor::SavePath(what) => save(app, &text, &what),
            }
        }
        _ => {
            prompt.edit(key);
            Vec::new()
        }
    }
}

fn set_prompt_error(app: &mut App, error: String) {
    if let Overlay::Prompt(prompt) = &mut app.overlay {
        prompt.error = Some(error);
    }
}

/// Enter in the search prompt: an empty line clears the search; an invalid regex keeps the
/// prompt open with regex's message; a valid one goes to its first match from the top of
/// the view (wrapping).
fn apply_search(app: &mut App, pattern: &str) {
    if pattern.is_empty() {
        app.overlay = Overlay::None;
        if app.logs.search.is_some() {
            app.logs.set_search(None);
            app.say(Level::Info, "search cleared");
        }
        return;
    }
    match Search::new(pattern) {
        Err(e) => set_prompt_error(app, regex_error(&e)),
        Ok(search) => {
            app.overlay = Overlay::None;
            app.logs.set_search(Some(search));
            jump(app, Direction::Forward);
        }
    }
}

/// Where a search without a current match starts: the first line of the view.
fn view_anchor(app: &App) -> Option<MergedPos> {
    let pane = &app.logs;
    let vp = pane.viewport(Areas::of_app(app).logs);
    match pane.layout {
        LogLayout::Merged => pane.merged_top(vp),
        LogLayout::Grid => {
            let i = pane.selected_index()?;
            let id = pane.streams[i].id;
            let index = pane.top_of(i, vp);
            merge::pos_of(&pane.store, id, index)
        }
    }
}

/// `n` / `N`: the next / previous match in merged order across the shown streams, from the
/// current match (or from the top of the view, that line included), wrapping at the ends.
fn jump(app: &mut App, dir: Direction) {
    let Some(s) = &app.logs.search else {
        let key = app.keymap.describe(Action::LogsSearch);
        app.say(Level::Info, format!("no search yet: press {key} to search"));
        return;
    };
    let pattern = s.search.pattern().to_string();
    let current = s.current;
    let pane = &app.logs;
    let ids = pane.shown_ids();
    let (from, inclusive) = match current {
        Some(c) => (Some(c), false),
        None => (view_anchor(app), true),
    };
    let search = &s.search;
    let here = from.filter(|p| inclusive && search.is_hit(p.stream, p.index));
    let mut next = here.or_else(|| search.next_merged(&pane.store, &ids, from, dir));
    let mut wrapped = false;
    if next.is_none() && from.is_some() {
        next = search.next_merged(&pane.store, &ids, None, dir);
        wrapped = next.is_some();
    }
    let Some(next) = next else {
        app.say(Level::Warn, format!("no match for /{pattern}/"));
        return;
    };
    let area = Areas::of_app(app).logs;
    app.focus = PaneId::Logs;
    if let Some(s) = &mut app.logs.search {
        s.current = Some(next);
    }
    app.logs.reveal(next, area);
    if wrapped {
        app.say(
            Level::Warn,
            match dir {
                Direction::Forward => "search hit BOTTOM, continuing at TOP",
                Direction::Backward => "search hit TOP, continuing at BOTTOM",
            },
        );
    }
}

/// The filter: only matching lines shown / all. A paused view keeps the current match on
/// screen; a following one keeps following.
fn toggle_filter(app: &mut App) {
    let area = Areas::of_app(app).logs;
    let Some(s) = &mut app.logs.search else {
        let key = app.keymap.describe(Action::LogsSearch);
        app.say(
            Level::Info,
            format!("nothing to filter by: search first ({key})"),
        );
        return;
    };
    s.filter = !s.filter;
    let current = s.current;
    app.focus = PaneId::Logs;
    if let Some(c) = current.filter(|_| !app.logs.is_following()) {
        app.logs.reveal(c, area);
    }
}

fn nothing_to_save(app: &mut App) {
    app.say(Level::Info, "nothing to save: no build logs shown");
}

/// Keeps letters, digits, `.`, `_` and `-` of a name for a file name.
fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// `kfops-<pod>-<yyyymmdd-hhmmss>.log` (or `kfops-build-<id>-…` for the view), in the current
/// directory.
fn default_path(app: &App, what: &SaveWhat) -> String {
    let name = match what {
        SaveWhat::View => format!("build-{}", app.logs.shown_group().unwrap_or("logs")),
        SaveWhat::Stream(pod) => pod.name.clone(),
    };
    let at = app.now.with_timezone(&app.logs.tz).format("%Y%m%d-%H%M%S");
    format!("kfops-{}-{at}.log", file_safe(&name))
}

fn open_save(app: &mut App, what: SaveWhat) {
    if !app.logs.has_streams() {
        return nothing_to_save(app);
    }
    let path = default_path(app, &what);
    app.focus = PaneId::Logs;
    app.overlay = Overlay::Prompt(Box::new(Prompt::save(what, &path)));
}

/// Enter in the save prompt: the text is built now (what is shown at this moment) and
/// written by the runner.
fn save(app: &mut App, path: &str, what: &SaveWhat) -> Vec<Command> {
    let path = path.trim();
    if path.is_empty() {
        set_prompt_error(app, "type a file name".into());
        return Vec::new();
    }
    let built = match what {
        SaveWhat::View => Some(view_text(&app.logs)),
        SaveWhat::Stream(pod) => app
            .logs
            .streams
            .iter()
            .position(|s| &s.pod == pod)
            .map(|i| stream_text(&app.logs, i)),
    };
    app.overlay = Overlay::None;
    let Some((text, lines)) = built else {
        app.say(
            Level::Error,
            "not saved: the stream was closed meanwhile; select another stream",
        );
        return Vec::new();
    };
    app.say(Level::Info, format!("saving {lines} lines to {path}…"));
    vec![Command::SaveLog {
        path: PathBuf::from(path),
        text,
        lines,
    }]
}

/// The answer to [`Command::SaveLog`].
pub fn on_saved(
    app: &mut App,
    asked: &Path,
    lines: usize,
    result: Result<PathBuf, String>,
) -> Vec<Command> {
    match result {
        Ok(path) if path == asked => app.say(
            Level::Info,
            format!("saved {lines} lines to {}", path.display()),
        ),
        Ok(path) => app.say(
            Level::Info,
            format!(
                "saved {lines} lines to {} ({} exists; not overwritten)",
                path.display(),
                asked.display()
            ),
        ),
        Err(e) => app.say(
            Level::Error,
            format!(
                "not saved to {}: {e}; check that the directory exists and is writable, then save again",
                asked.display()
            ),
        ),
    }
    Vec::new()
}

#[cfg(test)]
#[path = "update_search_tests.rs"]
mod tests;
