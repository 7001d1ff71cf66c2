//! The `[github]` checks: the token's environment names, the API URL (GitHub's web address
//! is refused with the API's), `[github.app]` (a child module of `validate.rs`, sharing its
//! `Checker`).

use super::{Check, Checker, KeyPath};
use crate::config::rules::is_env_name;
use crate::config::Config;

/// `[github]` and `[github.app]`.
pub(super) fn github(c: &Checker, config: &Config) -> Check {
    let gh = &config.github;
    c.http_url(&KeyPath::dotted("github.api_url"), &gh.api_url)?;
    for (i, name) in gh.token_env.iter().enumerate() {
        let key = KeyPath::dotted("github.token_env").index(i);
        if !is_env_name(name) {
            return c.fail(
                &key,
                format!("`{name}` is not an environment variable name"),
                "use names like GITHUB_TOKEN (letters, digits, `_`)",
            );
        }
    }
    if gh.token.as_ref().is_some_and(|t| t.is_empty()) {
        return c.fail(
            &KeyPath::dotted("github.token"),
            "must not be empty",
            "remove `github.token` and export GITHUB_TOKEN instead",
        );
    }
    if let Some(fix) = web_url_fix(&gh.api_url) {
        return c.fail(
            &KeyPath::dotted("github.api_url"),
            format!("`{}` is GitHub's web address, not its REST API", gh.api_url),
            fix,
        );
    }
    if let Some(app) = &gh.app {
        c.non_empty(&KeyPath::dotted("github.app.id"), &app.id)?;
        if gh.token.is_some() {
            return c.fail(
                &KeyPath::dotted("github.token"),
                "a token and `[github.app]` are both set",
                "remove one: with `[github.app]` the console authenticates as the App",
            );
        }
    }
    Ok(())
}

/// The fix for an `https://` API URL that is a GitHub web address: `https://github.com`
/// (the API is `https://api.github.com`) or a GitHub Enterprise Server host without the
/// `/api/v3` its REST API lives under.
fn web_url_fix(api_url: &str) -> Option<String> {
    let rest = api_url.strip_prefix("https://")?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    if !path.trim_matches('/').is_empty() || host.eq_ignore_ascii_case("api.github.com") {
        return None;
    }
    Some(if host.eq_ignore_ascii_case("github.com") {
        "use api_url = \"https://api.github.com\" (or leave it out)".to_owned()
    } else {
        format!("GitHub Enterprise Server serves its API under /api/v3: use api_url = \"https://{host}/api/v3\"")
    })
}

#[cfg(test)]
mod tests {
    use super::web_url_fix;

    #[test]
    fn web_addresses_are_refused_with_the_api_url() {
        assert!(web_url_fix("https://api.github.com").is_none());
        assert!(web_url_fix("https://ghe.example.com/api/v3").is_none());
        assert!(web_url_fix("http://127.0.0.1:8080/github").is_none());
        let dotcom = web_url_fix("https://github.com/").unwrap_or_default();
        assert!(dotcom.contains("https://api.github.com"), "{dotcom}");
        let ghes = web_url_fix("https://ghe.example.com").unwrap_or_default();
        assert!(ghes.contains("https://ghe.example.com/api/v3"), "{ghes}");
    }
}
