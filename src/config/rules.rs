//! Shapes of values: URLs, Kubernetes names, image names, environment variable names.

/// `http://` or `https://` followed by a host, without whitespace.
pub(crate) fn is_http_url(value: &str) -> bool {
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    match rest {
        Some(rest) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            !host.is_empty() && !host.starts_with(':') && !value.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// A Kubernetes DNS-1123 label (namespaces).
pub(crate) fn is_dns1123_label(value: &str) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
}

/// A DNS-1123 subdomain (ServiceAccount, Secret names): at most 253 characters, dot-separated
/// parts of lower-case letters, digits and `-` that start and end alphanumeric. As
/// Kubernetes' `IsDNS1123Subdomain` (apimachinery `pkg/util/validation/validation.go`), a part
/// has no length limit of its own (unlike a label's 63).
pub(crate) fn is_dns1123_subdomain(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 253
        && value.split('.').all(|part| {
            let bytes = part.as_bytes();
            bytes
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
                && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
                && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
        })
}

/// A DNS-1035 label (KServe InferenceService names): a DNS-1123 label starting with a letter.
pub(crate) fn is_dns1035_label(value: &str) -> bool {
    is_dns1123_label(value) && value.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
}

/// An image name: a-z, 0-9, `.`, `_`, `-`, `/`; starts alphanumeric, no empty path part.
pub(crate) fn is_image_name(value: &str) -> bool {
    !value.is_empty()
        && value
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || "._-/".contains(ch))
        && value.starts_with(|ch: char| ch.is_ascii_alphanumeric())
        && !value.ends_with('/')
        && !value.contains("//")
}

/// An environment variable name: letters, digits, `_`, not starting with a digit.
pub(crate) fn is_env_name(value: &str) -> bool {
    !value.is_empty()
        && value
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
        && !value.starts_with(|ch: char| ch.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_value_predicates() {
        assert!(is_http_url("https://api.github.com"));
        assert!(is_http_url("http://127.0.0.1:8080/api"));
        assert!(!is_http_url("api.github.com"));
        assert!(!is_http_url("ftp://x"));
        assert!(!is_http_url("https://"));
        assert!(!is_http_url("https://a b"));
        assert!(is_dns1123_label("kubeflow-user-example-com"));
        assert!(is_dns1123_label("0abc"));
        assert!(!is_dns1123_label("Kubeflow"));
        assert!(!is_dns1123_label("-a"));
        assert!(!is_dns1123_label(&"a".repeat(64)));
        assert!(!is_dns1035_label("0abc"));
        assert!(is_dns1123_subdomain("default-editor"));
        assert!(is_dns1123_subdomain("pipeline.runner"));
        assert!(!is_dns1123_subdomain("Default"));
        assert!(!is_dns1123_subdomain("a..b"));
        // A part may be longer than a label's 63 characters (Kubernetes' IsDNS1123Subdomain).
        assert!(is_dns1123_subdomain(&"a".repeat(64)));
        assert!(!is_dns1123_subdomain(&"a".repeat(254)));
        assert!(!is_dns1123_subdomain(""));
        assert!(is_image_name("team/trainer-v2.1_x"));
        assert!(!is_image_name("Trainer"));
        assert!(!is_image_name("/trainer"));
        assert!(!is_image_name("a//b"));
        assert!(is_env_name("GH_TOKEN"));
        assert!(!is_env_name("1X"));
    }
}
