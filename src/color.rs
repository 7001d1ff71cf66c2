//! Whether colour is wanted at all, for every front end (the console's theme, headless
//! output): below both `launch` and `headless`, so neither imports the other for it.

/// `NO_COLOR` set to anything non-empty turns colours off (https://no-color.org).
pub fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}
