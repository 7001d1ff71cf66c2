//! The `[ui]` checks: scrollback, theme, refresh interval and the `[ui.keys]` overrides
//! (through the terminal-free key map of `crate::keys`, each error at its entry's line). A
//! child module of `validate.rs`, sharing its `Checker`.

use std::collections::BTreeMap;

use super::{Check, Checker, KeyPath};
use crate::config::{Config, MIN_REFRESH_SECONDS, MIN_SCROLLBACK, THEMES};

pub(super) fn ui(c: &Checker, config: &Config) -> Check {
    let ui = &config.ui;
    if ui.scrollback < MIN_SCROLLBACK {
        return c.fail(
            &KeyPath::dotted("ui.scrollback"),
            format!("{} is too small (minimum {MIN_SCROLLBACK})", ui.scrollback),
            "the default is 1000000 lines",
        );
    }
    if !THEMES.contains(&ui.theme.as_str()) {
        return c.fail(
            &KeyPath::dotted("ui.theme"),
            format!("unknown theme `{}`", ui.theme),
            format!("expected one of: {}", THEMES.join(", ")),
        );
    }
    if ui.refresh_seconds < MIN_REFRESH_SECONDS {
        return c.fail(
            &KeyPath::dotted("ui.refresh_seconds"),
            format!(
                "{} is too short (minimum {MIN_REFRESH_SECONDS})",
                ui.refresh_seconds
            ),
            "polling GitHub faster wastes the API rate limit; the default is 30",
        );
    }
    keys(c, &ui.keys)
}

/// `[ui.keys]`: known action names, keys that parse, no key bound to two actions that act in
/// the same place (an override may clash with another override or with a default), and the
/// dialog rules of `KeyMap::with_overrides`. The error points at the entry, in file order,
/// from which on the overrides never become valid again.
fn keys(c: &Checker, keys: &BTreeMap<String, Vec<String>>) -> Check {
    use crate::keys::KeyMap;
    let Err(message) = KeyMap::with_overrides(keys) else {
        return Ok(());
    };
    let table = c
        .root
        .get("ui")
        .and_then(|ui| ui.get("keys"))
        .and_then(|k| k.as_table_like());
    let in_file: Vec<&str> = table
        .map(|t| t.iter().map(|(k, _)| k).collect())
        .unwrap_or_default();
    let prefix_ok = |n: usize| {
        let first: BTreeMap<String, Vec<String>> = in_file[..n]
            .iter()
            .filter_map(|name| keys.get_key_value(*name))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        KeyMap::with_overrides(&first).is_ok()
    };
    let culprit = (0..in_file.len()).rev().find(|&n| prefix_ok(n));
    let name = culprit.and_then(|n| in_file.get(n)).copied();
    let key = match name {
        Some(name) => KeyPath::dotted("ui.keys").key(name),
        None => KeyPath::dotted("ui.keys"),
    };
    // The key is shown before the message: drop the message's own `[ui.keys] name:` prefix.
    let message = message
        .strip_prefix("[ui.keys]: ")
        .or_else(|| message.strip_prefix("[ui.keys] "))
        .unwrap_or(&message);
    let message = name
        .and_then(|n| message.strip_prefix(n))
        .and_then(|m| m.strip_prefix(": "))
        .unwrap_or(message)
        .to_owned();
    c.fail(
        &key,
        message,
        "a key may have one action in each place (the screen, a dialog, a text input, a picker); docs/KEYBINDINGS.md lists the actions, their keys and where they act; `?` in the console shows the keys in effect",
    )
}
