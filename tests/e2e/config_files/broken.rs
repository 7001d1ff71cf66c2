//! Broken config files under tests/fixtures/config/broken: each with the error kind,
//! position, key and message it must produce.

use std::fs;
use std::path::Path;

use kfops_console::config::{self, ConfigErrorKind};

use super::fixtures;

/// File -> (kind, line, column (None: not checked), key, message substring).
type Expected = (
    &'static str,
    ConfigErrorKind,
    u32,
    Option<u32>,
    Option<&'static str>,
    &'static str,
);

const BROKEN: &[Expected] = {
    use ConfigErrorKind::*;
    &[
        ("syntax_error", Syntax, 3, None, None, "TOML syntax error"),
        ("duplicate_key", Syntax, 3, Some(1), None, "duplicate key `owner`"),
        ("unknown_top_level_table", UnknownKey, 5, Some(2), Some("kubeflow"), "unknown table `[kubeflow]`"),
        ("unknown_top_level_key", UnknownKey, 1, Some(1), Some("readonly"), "unknown key `readonly`"),
        ("unknown_key_repository", UnknownKey, 2, Some(1), Some("repository.ownr"), "unknown key `ownr`"),
        ("unknown_key_github", UnknownKey, 6, Some(1), Some("github.api"), "unknown key `api`"),
        ("unknown_key_cluster", UnknownKey, 6, Some(1), Some("cluster.kube_context"), "unknown key `kube_context`"),
        ("unknown_key_kfp", UnknownKey, 6, Some(1), Some("kfp.experiment"), "unknown key `experiment`"),
        ("unknown_key_pipeline", UnknownKey, 6, Some(1), Some("pipeline.packge_path"), "unknown key `packge_path`"),
        ("unknown_key_deployment", UnknownKey, 6, Some(1), Some("deployment.timeout_seconds"), "unknown key"),
        ("unknown_key_deployment_production", UnknownKey, 6, Some(1), Some("deployment.production.ns"), "unknown key `ns`"),
        ("unknown_key_deployment_staging", UnknownKey, 6, Some(1), Some("deployment.staging.namespaces"), "unknown key `namespaces`"),
        ("unknown_key_image_builder", UnknownKey, 6, Some(1), Some("image_builder.registery"), "unknown key `registery`"),
        ("unknown_key_image", UnknownKey, 14, Some(1), Some("image_builder.images[1].dockerfile"), "unknown key `dockerfile`"),
        ("unknown_key_ui", UnknownKey, 6, Some(1), Some("ui.colours"), "unknown key `colours`"),
        ("unknown_table_in_ui", UnknownKey, 5, Some(5), Some("ui.colors"), "unknown table `[ui.colors]`"),
        ("wrong_type_read_only", WrongType, 1, Some(1), Some("read_only"), "expected a boolean, found string \"yes\""),
        ("wrong_type_scrollback", WrongType, 6, Some(1), Some("ui.scrollback"), "expected a non-negative integer"),
        ("wrong_type_token_env", WrongType, 6, Some(1), Some("github.token_env"), "expected a string or an array of strings"),
        ("wrong_type_images", WrongType, 7, Some(1), Some("image_builder.images"), "expected an array"),
        ("wrong_type_repository", WrongType, 1, Some(1), Some("repository"), "expected a table"),
        ("wrong_type_other_folder", WrongType, 11, Some(25), Some("image_builder.images[0].other_folders[1]"), "expected a string"),
        ("negative_timeout", InvalidValue, 6, Some(1), Some("deployment.ready_timeout_seconds"), "invalid value: expected a non-negative integer"),
        ("zero_timeout", InvalidValue, 6, Some(1), Some("deployment.ready_timeout_seconds"), "must be at least 1"),
        ("missing_repository", MissingKey, 1, Some(1), Some("repository"), "missing required table `[repository]`"),
        ("empty_file", MissingKey, 1, Some(1), Some("repository"), "missing required table `[repository]`"),
        ("missing_owner", MissingKey, 3, Some(1), Some("repository.owner"), "missing required key `owner` in `repository`"),
        ("missing_name_inline", MissingKey, 1, Some(14), Some("repository.name"), "missing required key `name`"),
        ("missing_image_name", MissingKey, 8, Some(1), Some("image_builder.images[0].name"), "missing required key `name`"),
        ("empty_name", InvalidValue, 3, Some(1), Some("repository.name"), "must not be empty"),
        ("empty_owner", InvalidValue, 2, Some(1), Some("repository.owner"), "must not be empty"),
        ("bad_owner", InvalidValue, 2, Some(1), Some("repository.owner"), "not a valid GitHub user"),
        ("duplicate_image_name", InvalidValue, 13, Some(1), Some("image_builder.images[1].name"), "duplicate image name `trainer`"),
        ("duplicate_image_name_inline", InvalidValue, 9, Some(5), Some("image_builder.images[1].name"), "duplicate image name `a`"),
        ("bad_image_name", InvalidValue, 9, Some(1), Some("image_builder.images[0].name"), "`Trainer!` is not a valid image name"),
        ("images_without_registry", InvalidValue, 5, Some(2), Some("image_builder.registry"), "registry is required"),
        ("images_without_registry_implicit", InvalidValue, 5, Some(3), Some("image_builder.registry"), "registry is required"),
        ("registry_with_scheme", InvalidValue, 6, Some(1), Some("image_builder.registry"), "not a registry reference"),
        ("scrollback_too_small", InvalidValue, 6, Some(1), Some("ui.scrollback"), "999 is too small (minimum 1000)"),
        ("refresh_too_fast", InvalidValue, 6, Some(1), Some("ui.refresh_seconds"), "1 is too short (minimum 2)"),
        ("bad_theme", InvalidValue, 6, Some(1), Some("ui.theme"), "unknown theme `dark`"),
        ("bad_api_url", InvalidValue, 6, Some(1), Some("github.api_url"), "`api.github.com` is not an http(s) URL"),
        ("bad_kfp_endpoint", InvalidValue, 6, Some(1), Some("kfp.endpoint"), "is not an http(s) URL"),
        ("bad_cluster_server", InvalidValue, 6, Some(1), Some("cluster.server"), "is not an http(s) URL"),
        ("bad_namespace", InvalidValue, 6, Some(1), Some("kfp.namespace"), "`Kubeflow_User` is not a valid Kubernetes namespace"),
        ("bad_staging_namespace", InvalidValue, 6, Some(1), Some("deployment.staging.namespace"), "not a valid Kubernetes namespace"),
        ("keys_wrong_type", WrongType, 6, Some(1), Some("ui.keys.quit"), "expected a key name or an array of key names"),
        ("keys_list_wrong_type", WrongType, 6, Some(1), Some("ui.keys.quit"), "expected a key name or an array of key names"),
        ("run_arguments_datetime", InvalidValue, 7, Some(1), Some("pipeline.run_arguments.started"), "datetimes are not supported"),
        ("run_arguments_nested_datetime", InvalidValue, 6, Some(28), Some("pipeline.run_arguments.schedule.at"), "datetimes are not supported"),
        ("run_arguments_nan", InvalidValue, 6, Some(1), Some("pipeline.run_arguments.threshold"), "nan and inf"),
        ("absolute_package_path", InvalidValue, 6, Some(1), Some("pipeline.package_path"), "not a path inside the repository"),
        ("empty_pipeline_name", InvalidValue, 6, Some(1), Some("pipeline.name"), "must not be empty"),
        ("bad_derived_service_name", InvalidValue, 3, Some(1), Some("repository.name"), "`Churn_Model` (the default, from repository.name) is not a valid InferenceService name"),
        ("empty_token", InvalidValue, 6, Some(1), Some("github.token"), "must not be empty"),
        ("bad_token_env_name", InvalidValue, 6, Some(14), Some("github.token_env[0]"), "`GITHUB TOKEN` is not an environment variable name"),
    ]
};

#[test]
fn broken_files_report_position_key_and_message() {
    let mut failures = Vec::new();
    for &(name, kind, line, column, key, message) in BROKEN {
        let path = fixtures().join(format!("{name}.toml"));
        let e = match config::load(&path) {
            Ok(_) => {
                failures.push(format!("{name}: parsed without error"));
                continue;
            }
            Err(e) => e,
        };
        let got = (e.kind, e.line, column.and(e.column), e.key.as_deref());
        let want = (kind, Some(line), column, key);
        if got != want || !e.message.contains(message) || e.path != path || e.hint.is_empty() {
            failures.push(format!(
                "{name}: want {want:?} + {message:?}\n  got {got:?}\n  {e}"
            ));
            continue;
        }
        // The display format: position, then the key if known, then the hint.
        let head = match key {
            Some(key) => format!(
                "{}:{line}:{}: key `{key}`: ",
                path.display(),
                e.column.unwrap()
            ),
            None => format!("{}:{line}:{}: ", path.display(), e.column.unwrap()),
        };
        let shown = e.to_string();
        if !shown.starts_with(&head) || !shown.contains("\n  hint: ") {
            failures.push(format!(
                "{name}: display {shown:?} does not start with {head:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} broken files:\n{}",
        failures.len(),
        BROKEN.len(),
        failures.join("\n")
    );
}

#[test]
fn every_broken_fixture_is_in_the_table() {
    let mut on_disk: Vec<String> = fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = BROKEN.iter().map(|(n, ..)| format!("{n}.toml")).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
    assert!(listed.len() >= 20);
}

#[test]
fn error_display_is_exact() {
    let e = config::parse(
        "[repository]\nownr = \"acme\"\nname = \"m\"\n",
        Path::new("kfops.toml"),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "kfops.toml:2:1: key `repository.ownr`: unknown key `ownr`\n  hint: did you mean `owner`? expected one of: owner, name"
    );
    let e = config::load(Path::new("/nonexistent/kfops.toml")).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("/nonexistent/kfops.toml: cannot read the config file: "),
        "{e}"
    );
    assert_eq!(e.kind, ConfigErrorKind::NotFound);
}
