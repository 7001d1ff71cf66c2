//! Key maps for tests.

use std::collections::BTreeMap;

use super::KeyMap;

/// The dialog keys moved off their defaults: yes = o, no = x, confirm = ctrl-o,
/// cancel = ctrl-g (so y, n, enter and esc are not dialog keys any more).
pub const DIALOGS_MOVED: &[(&str, &[&str])] = &[
    ("yes", &["o"]),
    ("no", &["x"]),
    ("confirm", &["ctrl-o"]),
    ("cancel", &["ctrl-g"]),
];

/// `[ui.keys]` as the config gives it: action name → keys.
pub fn overrides(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
    pairs
        .iter()
        .map(|(name, keys)| {
            let keys = keys.iter().map(|k| k.to_string()).collect();
            (name.to_string(), keys)
        })
        .collect()
}

/// The key map of these overrides (which must be accepted).
pub fn keymap(pairs: &[(&str, &[&str])]) -> KeyMap {
    match KeyMap::with_overrides(&overrides(pairs)) {
        Ok(map) => map,
        Err(e) => panic!("{pairs:?} refused: {e}"),
    }
}
