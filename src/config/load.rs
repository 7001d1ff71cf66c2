//! Finding the config file ([`locate`]) and reading it ([`load`], [`parse`]).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use toml_edit::ImDocument;

use super::error::{from_serde, ConfigError, ConfigErrorKind};
use super::spans::{path_at, span_of, KeyPath, Seg};
use super::{validate, Config};

/// Environment variable naming the config file.
pub const CONFIG_ENV_VAR: &str = "KFOPS_CONFIG";
/// The config file looked up in the current directory.
pub const LOCAL_FILE_NAME: &str = "kfops.toml";
/// The config file under the user config directory (`$XDG_CONFIG_HOME`).
pub const XDG_FILE: &str = "kfops/config.toml";

const NOT_FOUND_HINT: &str = "copy config.example.toml to ./kfops.toml, or try `kfops demo`";

/// Finds the config file: `explicit` (`--config`), then `$KFOPS_CONFIG`, then
/// `./kfops.toml`, then `dirs::config_dir()/kfops/config.toml`.
///
/// A file named by `--config` or `$KFOPS_CONFIG` must exist (no silent fall-through).
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf, ConfigError> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    locate_with(
        explicit,
        std::env::var_os(CONFIG_ENV_VAR),
        &cwd,
        dirs::config_dir(),
    )
}

/// [`locate`] without touching the process environment: `env_value` is the value of
/// `$KFOPS_CONFIG` (empty = unset), `cwd` the current directory (relative paths are
/// resolved against it) and `config_dir` the user config directory (e.g. `~/.config`).
pub fn locate_with(
    explicit: Option<&Path>,
    env_value: Option<OsString>,
    cwd: &Path,
    config_dir: Option<PathBuf>,
) -> Result<PathBuf, ConfigError> {
    if let Some(path) = explicit {
        return must_exist(
            &cwd.join(path),
            "the file given by --config",
            "check the path given to --config",
        );
    }
    if let Some(value) = env_value.as_ref().filter(|v| !v.is_empty()) {
        return must_exist(
            &cwd.join(value),
            &format!("the file named by ${CONFIG_ENV_VAR}"),
            &format!("fix or unset {CONFIG_ENV_VAR}"),
        );
    }
    let local = cwd.join(LOCAL_FILE_NAME);
    if local.is_file() {
        return Ok(local);
    }
    let xdg = config_dir.map(|dir| dir.join(XDG_FILE));
    if let Some(xdg) = xdg.as_ref().filter(|p| p.is_file()) {
        return Ok(xdg.clone());
    }
    let mut looked = vec![
        "--config (not given)".to_owned(),
        format!("${CONFIG_ENV_VAR} (not set)"),
        local.display().to_string(),
    ];
    looked.push(match &xdg {
        Some(p) => p.display().to_string(),
        None => format!("<user config dir>/{XDG_FILE} (no config dir known)"),
    });
    Err(ConfigError::file(
        ConfigErrorKind::NotFound,
        &local,
        format!("no config file found; looked at: {}", looked.join(", ")),
        NOT_FOUND_HINT,
    ))
}

fn must_exist(path: &Path, what: &str, hint: &str) -> Result<PathBuf, ConfigError> {
    if path.is_file() {
        return Ok(path.to_owned());
    }
    let message = if path.is_dir() {
        format!("{what} is a directory, not a file")
    } else {
        format!("{what} does not exist")
    };
    Err(ConfigError::file(
        ConfigErrorKind::NotFound,
        path,
        message,
        format!("{hint}, or {NOT_FOUND_HINT}"),
    ))
}

/// Reads and parses the config file at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let bytes = std::fs::read(path).map_err(|e| {
        let hint = match e.kind() {
            std::io::ErrorKind::NotFound => format!("check the path, or {NOT_FOUND_HINT}"),
            std::io::ErrorKind::PermissionDenied => "check the file's permissions".to_owned(),
            std::io::ErrorKind::InvalidData => "the config file must be UTF-8 text".to_owned(),
            _ => "check that the file is a readable TOML file".to_owned(),
        };
        let kind = if e.kind() == std::io::ErrorKind::NotFound {
            ConfigErrorKind::NotFound
        } else {
            ConfigErrorKind::Io
        };
        ConfigError::file(
            kind,
            path,
            format!("cannot read the config file: {e}"),
            hint,
        )
    })?;
    let text = String::from_utf8(bytes).map_err(|e| not_utf8(&e, path))?;
    parse(&text, path)
}

/// A file that is not UTF-8 text: the position of the first byte that is not.
fn not_utf8(e: &std::string::FromUtf8Error, path: &Path) -> ConfigError {
    let bytes = e.as_bytes();
    let valid = e.utf8_error().valid_up_to();
    let before = String::from_utf8_lossy(bytes.get(..valid).unwrap_or_default());
    let byte = bytes.get(valid).copied().unwrap_or_default();
    ConfigError::at(
        ConfigErrorKind::Syntax,
        path,
        &before,
        &(before.len()..before.len()),
        &KeyPath::root(),
        format!("the file is not UTF-8 text (byte 0x{byte:02X})"),
        "save the config file as UTF-8 (TOML files are UTF-8)",
    )
}

/// Parses config `text`; `path` is only used in error messages.
///
/// Checks the TOML syntax, the keys and types (unknown keys are errors), then the values
/// (see the module docs), and finally fills the names derived from `repository.name`.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let doc = ImDocument::parse(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let message = e.message().trim_end().replace('\n', ": ");
        ConfigError::at(
            ConfigErrorKind::Syntax,
            path,
            text,
            &span,
            &KeyPath::root(),
            format!("TOML syntax error: {message}"),
            "fix the TOML syntax at this position (see https://toml.io and config.example.toml)",
        )
    })?;
    let root = doc.as_table();
    let mut config: Config = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let at = path_at(root, &span);
        let is_table = is_table_at(root, &at);
        let (kind, key, message, hint) = from_serde(e.message(), at, is_table);
        // Missing keys point at their table (its header), anything else at the key.
        let span = if kind == ConfigErrorKind::MissingKey {
            span
        } else {
            span_of(root, &key)
        };
        ConfigError::at(kind, path, text, &span, &key, message, hint)
    })?;
    validate::check(&config, root, text, path)?;
    // With `[[projects]]`, the top-level per-project tables are the first project's (the
    // headless commands act on it); the shared `kfp.namespace` is kept.
    if let Some(first) = config.projects.first() {
        let first = config.with_project(first);
        config.repository = first.repository;
        config.pipeline = first.pipeline;
        config.deployment = first.deployment;
        config.image_builder = first.image_builder;
        config.kfp.experiment_name = first.kfp.experiment_name;
    }
    config.apply_derived_defaults();
    Ok(config)
}

/// Whether the item at `path` is a (standard) table, for "unknown table" messages.
fn is_table_at(root: &toml_edit::Table, path: &KeyPath) -> bool {
    let mut table = root;
    let Some((last, parents)) = path.0.split_last() else {
        return false;
    };
    for seg in parents {
        match seg {
            Seg::Key(k) => match table.get(k).and_then(|i| i.as_table()) {
                Some(t) => table = t,
                None => return false,
            },
            Seg::Index(_) => return false,
        }
    }
    match last {
        Seg::Key(k) => table
            .get(k)
            .is_some_and(|i| i.is_table() || i.is_array_of_tables()),
        Seg::Index(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> ConfigError {
        parse(text, Path::new("t.toml")).unwrap_err()
    }

    #[test]
    fn config_parse_minimal() {
        let c = parse(
            "[repository]\nowner = 'acme'\nname = 'm'\n",
            Path::new("t.toml"),
        )
        .unwrap();
        assert_eq!(c, Config::for_repository("acme", "m"));
    }

    #[test]
    fn config_unknown_key_points_at_key() {
        let e = err("[repository]\nownr = 'acme'\nname = 'm'\n");
        assert_eq!((e.line, e.column), (Some(2), Some(1)));
        assert_eq!(e.key.as_deref(), Some("repository.ownr"));
        assert_eq!(e.kind, ConfigErrorKind::UnknownKey);
    }

    #[test]
    fn config_unknown_table_is_named_as_table() {
        let e = err("[repository]\nowner = 'acme'\nname = 'm'\n[extra]\nx = 1\n");
        assert_eq!(e.message, "unknown table `[extra]`");
        assert_eq!(e.line, Some(4));
    }

    #[test]
    fn config_missing_key_points_at_table_header() {
        let e = err("read_only = true\n\n[repository]\nname = 'm'\n");
        assert_eq!((e.line, e.column), (Some(3), Some(1)));
        assert_eq!(e.key.as_deref(), Some("repository.owner"));
    }

    #[test]
    fn config_syntax_error_has_position_and_no_key() {
        let e = err("[repository\nowner = 'a'\n");
        assert_eq!(e.kind, ConfigErrorKind::Syntax);
        assert_eq!(e.line, Some(1));
        assert!(e.key.is_none());
    }

    const TWO: &str = "[kfp]\nnamespace = 'shared'\n\n[[projects]]\nrepository = { owner = 'acme', name = 'churn' }\n\n[[projects]]\n[projects.repository]\nowner = 'acme'\nname = 'fraud'\n[projects.kfp]\nnamespace = 'team-b'\n[projects.deployment.staging]\nnamespace = 'staging-b'\n[projects.image_builder]\nregistry = 'r.example/b'\n[[projects.image_builder.images]]\nname = 'scorer'\ndockerfile_folder = 'img'\n";

    #[test]
    fn config_two_projects_each_with_their_settings() {
        let c = parse(TWO, Path::new("t.toml")).unwrap();
        let projects = c.project_configs();
        assert_eq!(projects.len(), 2);
        let (a, b) = (&projects[0], &projects[1]);
        assert_eq!(a.repository.full_name(), "acme/churn");
        assert_eq!(a.kfp.namespace, "shared");
        assert_eq!(a.deployment.inference_service_name, "churn");
        assert_eq!(b.repository.full_name(), "acme/fraud");
        assert_eq!(b.kfp.namespace, "team-b");
        assert_eq!(b.kfp.experiment_name, "fraud");
        assert_eq!(b.pipeline.name, "fraud");
        assert_eq!(b.deployment.staging.namespace, "staging-b");
        assert_eq!(b.image_builder.images[0].name, "scorer");
        assert!(b.projects.is_empty());
        // The top level is the first project's, for the headless commands.
        assert_eq!(c.repository.full_name(), "acme/churn");
        // The single-project layout is one project: itself.
        let one = parse(
            "[repository]\nowner = 'acme'\nname = 'm'\n",
            Path::new("t.toml"),
        )
        .unwrap();
        assert_eq!(one.project_configs(), vec![one.clone()]);
    }

    #[test]
    fn config_project_errors_name_the_entry() {
        let e = err("[[projects]]\nrepository = { owner = 'acme', name = 'a' }\n[[projects]]\n[projects.repository]\nowner = '-bad'\nname = 'b'\n");
        assert_eq!(e.key.as_deref(), Some("projects[1].repository.owner"));
        assert_eq!(e.line, Some(5));
        let e = err("[[projects]]\nrepository = { owner = 'acme', name = 'a' }\n[[projects]]\nrepository = { owner = 'ACME', name = 'a' }\n");
        assert_eq!(e.key.as_deref(), Some("projects[1].repository.name"));
        assert!(e.message.contains("duplicate project `ACME/a`"), "{e}");
        assert_eq!(e.line, Some(4));
        let e = err("[repository]\nowner = 'acme'\nname = 'a'\n[[projects]]\nrepository = { owner = 'acme', name = 'b' }\n");
        assert_eq!(e.key.as_deref(), Some("repository"));
        let e = err("[[projects]]\nrepository = { owner = 'acme', name = 'a' }\n[projects.pipeline]\npackge_path = 'x'\n");
        assert_eq!(e.key.as_deref(), Some("projects[0].pipeline.packge_path"));
        assert_eq!(e.kind, ConfigErrorKind::UnknownKey);
        // Same service name (both `m`) in the same namespaces: one would replace the other.
        let e = err("[[projects]]\nrepository = { owner = 'a', name = 'm' }\n[[projects]]\nrepository = { owner = 'b', name = 'm' }\n");
        assert_eq!(
            e.key.as_deref(),
            Some("projects[1].deployment.inference_service_name")
        );
        assert!(e.message.contains("projects[0] already deploys"), "{e}");
        let e = err("[[projects]]\n[projects.pipeline]\nname = 'x'\n");
        assert_eq!(e.kind, ConfigErrorKind::MissingKey);
        assert_eq!(e.key.as_deref(), Some("projects[0].repository"));
    }

    #[test]
    fn config_locate_with_nothing_lists_places() {
        let dir = std::env::temp_dir().join("kfops-config-locate-unit-does-not-exist");
        let e = locate_with(None, None, &dir, None).unwrap_err();
        assert_eq!(e.kind, ConfigErrorKind::NotFound);
        assert!(e.message.contains("kfops.toml"), "{e}");
        assert!(e.hint.contains("kfops demo"));
    }
}
