//! [`Secret`]: a token that never shows up in logs, `{:?}` or `{}`.

use std::fmt;

use serde::{Deserialize, Deserializer};

/// A secret value (e.g. a GitHub token).
///
/// `Debug` and `Display` print `***`; the value is only reachable through
/// [`Secret::expose`]. It deliberately does not implement `Serialize`, so it cannot be
/// written back to a file by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret value itself. Call this only where the value is sent (e.g. an
    /// `Authorization` header), never to log or display it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_secret_is_masked() {
        let s = Secret::new("ghp_verysecret");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(s.expose(), "ghp_verysecret");
        assert!(!s.is_empty());
    }
}
