//! The effective key map: the defaults of [`ACTIONS`] with `[ui.keys]` applied, checked so
//! that no key means two things in one [`Context`] and no binding weakens a dialog.

use std::collections::BTreeMap;

use super::{Action, Context, Key, KeyCode, ACTIONS};

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
    /// Unknown action names, unparsable keys, a key bound to two actions that act in the same
    /// context, and the bindings [`KeyMap::check_dialog_rules`] refuses are errors.
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
        map.check_dialog_rules()?;
        map.check_conflicts()?;
        Ok(map)
    }

    /// What the dialogs need from the bindings, whatever the user asks for:
    /// - `confirm`, `cancel` and `yes` keep a key (every dialog stays answerable);
    /// - `confirm` and `cancel` act in text inputs too, so they may not be keys that type or
    ///   edit text there (typing `q` in the command line must type `q`);
    /// - nothing that says yes (`yes`, `confirm`) may be `ctrl-c` (the key pressed to get
    ///   out) or a key of `deploy` (pressing it twice would deploy to production unread);
    /// - `yes` may not be `enter`: confirmations default to No and enter presses the
    ///   highlighted button.
    pub(crate) fn check_dialog_rules(&self) -> Result<(), String> {
        for action in [Action::Confirm, Action::Cancel, Action::Yes] {
            if self.keys_for(action).is_empty() {
                return Err(format!(
                    "[ui.keys] {}: needs at least one key: dialogs and prompts must stay \
                     answerable from the keyboard",
                    action.name()
                ));
            }
        }
        for action in [Action::Confirm, Action::Cancel] {
            let name = action.name();
            if let Some(key) = self.keys_for(action).iter().find(|k| k.edits_text()) {
                return Err(format!(
                    "[ui.keys] {name}: `{key}` types or edits text in {}, where `{name}` acts \
                     too; bind `{name}` to keys that do not, such as esc, enter, an F key or a \
                     ctrl- or alt- key",
                    Context::TextInput.title()
                ));
            }
        }
        let ctrl_c = Key {
            code: KeyCode::Char('c'),
            ctrl: true,
            alt: false,
        };
        let deploy = self.keys_for(Action::Deploy);
        for action in [Action::Confirm, Action::Yes] {
            let keys = self.keys_for(action);
            if keys.contains(&ctrl_c) {
                return Err(format!(
                    "[ui.keys] {}: `ctrl-c` is the key pressed to get out: it must never \
                     answer yes",
                    action.name()
                ));
            }
            if let Some(key) = keys.iter().find(|k| deploy.contains(k)) {
                return Err(format!(
                    "[ui.keys]: `{key}` is bound to both `deploy` and `{}`: pressing it twice \
                     would deploy to production without reading the confirmation",
                    action.name()
                ));
            }
        }
        let enter = Key {
            code: KeyCode::Enter,
            ctrl: false,
            alt: false,
        };
        if self.keys_for(Action::Yes).contains(&enter) {
            return Err(
                "[ui.keys] yes: `enter` must not answer yes: confirmations default to \
                        No, and enter presses the highlighted button"
                    .into(),
            );
        }
        Ok(())
    }

    /// No key may have two actions in one context (the screen, a confirmation, a text
    /// input, an overlay, a picker); in text inputs, keys that type are not bindings.
    pub(crate) fn check_conflicts(&self) -> Result<(), String> {
        for context in Context::ALL {
            let mut seen: Vec<(Key, Action)> = Vec::new();
            for (action, keys) in self.bindings.iter().filter(|(a, _)| context.has(*a)) {
                for key in keys {
                    if context.is_text() && key.edits_text() {
                        continue;
                    }
                    match seen.iter().find(|(k, _)| k == key) {
                        Some((_, other)) if other != action => {
                            return Err(format!(
                                "[ui.keys]: `{key}` is bound to both `{}` and `{}`, which both \
                                 act in {}",
                                other.name(),
                                action.name(),
                                context.title()
                            ));
                        }
                        Some(_) => {}
                        None => seen.push((*key, *action)),
                    }
                }
            }
        }
        Ok(())
    }

    /// The action bound to `key` in `context`, if any. In a text input, keys that type or
    /// edit text have none: they type. (The console looks terminal events up through
    /// `tui::keys`, which turns them into a [`Key`] first.)
    pub fn action_of(&self, context: Context, key: Key) -> Option<Action> {
        if context.is_text() && key.edits_text() {
            return None;
        }
        self.bindings
            .iter()
            .find(|(a, keys)| context.has(*a) && keys.contains(&key))
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

    /// The first key of an action, for the short hints in dialogs (`y: yes · esc cancels`);
    /// empty when the action has none.
    pub fn hint(&self, action: Action) -> String {
        self.keys_for(action)
            .first()
            .map(Key::to_string)
            .unwrap_or_default()
    }

    /// A hint written with action names, `{yes}: yes · {cancel} cancels`, each `{name}`
    /// replaced by the action's first key ([`KeyMap::hint`]), so a dialog never names a key
    /// that is not the one in effect. Braces around anything else stay as they are.
    pub fn fill(&self, template: &str) -> String {
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let action = after
                .find('}')
                .and_then(|close| Some((Action::from_name(&after[..close])?, close)));
            match action {
                Some((action, close)) => {
                    out.push_str(&self.hint(action));
                    rest = &after[close + 1..];
                }
                None => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }
}
