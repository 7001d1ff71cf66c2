//! A config file holding the GitHub token must be private, and so must a GitHub App's private
//! key file: when other users can read it (mode & 0o044), the console warns in its status bar,
//! headless commands on stderr and `kfops check` on its config line.

use std::path::Path;

use super::Config;

/// The warning for `path` when it holds the token (`github.token`) and is readable by group
/// or others; `None` otherwise (or when its mode cannot be read).
/// Else the same warning about `[github.app] private_key_file`.
pub fn token_file_warning(path: &Path, cfg: &Config) -> Option<String> {
    let holds_token = cfg.github.token.as_ref().is_some_and(|t| !t.is_empty());
    if !holds_token || !readable_by_others(path) {
        let key = cfg.github.app.as_ref()?.private_key_path();
        return readable_by_others(&key).then(|| {
            format!(
                "{} holds the GitHub App's private key and other users can read it; fix: chmod 600 {}",
                key.display(),
                key.display()
            )
        });
    }
    Some(format!(
        "{} holds the GitHub token and other users can read it; fix: chmod 600 {}",
        path.display(),
        path.display()
    ))
}

#[cfg(unix)]
fn readable_by_others(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o044 != 0)
}

#[cfg(not(unix))]
fn readable_by_others(_path: &Path) -> bool {
    false
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::config::Secret;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_readable_file_with_a_token_is_named_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kfops.toml");
        std::fs::write(&path, "x").unwrap();
        let mut cfg = Config::for_repository("a", "b");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(
            token_file_warning(&path, &cfg),
            None,
            "no token in the file"
        );
        cfg.github.token = Some(Secret::new("ghp_x"));
        let w = token_file_warning(&path, &cfg).unwrap();
        assert!(w.contains(&format!("chmod 600 {}", path.display())), "{w}");
        assert!(!w.contains("ghp_x"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        assert!(token_file_warning(&path, &cfg).is_some(), "group-readable");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(token_file_warning(&path, &cfg), None);
    }

    #[test]
    fn a_readable_app_private_key_is_named_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let (config, key) = (dir.path().join("kfops.toml"), dir.path().join("app.pem"));
        std::fs::write(&config, "x").unwrap();
        std::fs::write(&key, "k").unwrap();
        let mut cfg = Config::for_repository("a", "b");
        cfg.github.app = Some(crate::config::GithubAppConfig {
            id: "1".into(),
            private_key_file: key.clone(),
            installation_id: None,
        });
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let w = token_file_warning(&config, &cfg).unwrap();
        assert!(w.contains("GitHub App's private key"), "{w}");
        assert!(w.ends_with(&format!("chmod 600 {}", key.display())), "{w}");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(token_file_warning(&config, &cfg), None);
    }
}
