//! Broken config files under tests/fixtures/config/broken: each with the error kind,
//! position, key and message it must produce.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

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
        ("ghes_web_url", InvalidValue, 6, Some(1), Some("github.api_url"), "is GitHub's web address, not its REST API"),
        ("github_app_with_token", InvalidValue, 6, Some(1), Some("github.token"), "a token and `[github.app]` are both set"),
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
        ("other_folders_with_repository_context", InvalidValue, 12, Some(1), Some("image_builder.images[0].other_folders"), "other_folders does nothing with image_builder.context = \"repository\""),
        ("bad_git_secret", InvalidValue, 7, Some(1), Some("image_builder.git_secret"), "`Git_Credentials` is not a Kubernetes Secret name"),
        ("registry_with_scheme", InvalidValue, 6, Some(1), Some("image_builder.registry"), "not a registry reference"),
        ("scrollback_too_small", InvalidValue, 6, Some(1), Some("ui.scrollback"), "999 is too small (minimum 1000)"),
        ("refresh_too_fast", InvalidValue, 6, Some(1), Some("ui.refresh_seconds"), "1 is too short (minimum 2)"),
        ("bad_theme", InvalidValue, 6, Some(1), Some("ui.theme"), "unknown theme `dark`"),
        ("bad_api_url", InvalidValue, 6, Some(1), Some("github.api_url"), "`api.github.com` is not an http(s) URL"),
        ("bad_kfp_endpoint", InvalidValue, 6, Some(1), Some("kfp.endpoint"), "is not an http(s) URL"),
        ("bad_ingress_url", InvalidValue, 7, Some(1), Some("deployment.ingress_url"), "is not an http(s) URL"),
        ("bad_kfp_service_account", InvalidValue, 7, Some(1), Some("kfp.service_account"), "`default-editor` is not `namespace/name` of a ServiceAccount"),
        ("kfp_port_forward_and_endpoint", InvalidValue, 7, Some(1), Some("kfp.port_forward"), "`port_forward` and `endpoint` both say where KFP is"),
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
        ("invalid_utf8", Syntax, 6, Some(11), None, "the file is not UTF-8 text (byte 0xE9)"),
        ("nul_byte", Syntax, 3, Some(15), None, "TOML syntax error"),
        ("only_comments", MissingKey, 1, Some(1), Some("repository"), "missing required table `[repository]`"),
        ("bom_then_unknown_key", UnknownKey, 6, Some(1), Some("ui.them"), "unknown key `them`"),
        ("crlf_bad_endpoint", InvalidValue, 6, Some(1), Some("kfp.endpoint"), "`ftp://kfp` is not an http(s) URL"),
        ("wrong_type_in_array_of_tables", WrongType, 13, Some(1), Some("image_builder.images[1].name"), "expected a string, found integer `5`"),
        ("wrong_type_array_item", WrongType, 7, Some(52), Some("image_builder.images[1]"), "expected a table, found string \"b\""),
        ("negative_refresh", InvalidValue, 6, Some(1), Some("ui.refresh_seconds"), "expected a non-negative integer, found integer `-30`"),
        ("negative_scrollback", InvalidValue, 6, Some(1), Some("ui.scrollback"), "found integer `-1000000`"),
        ("keys_conflict", InvalidValue, 7, Some(1), Some("ui.keys.quit"), "`x` is bound to both `quit` and `help`"),
        ("keys_conflict_with_default", InvalidValue, 6, Some(1), Some("ui.keys.quit"), "`j` is bound to both `quit` and `down`"),
        ("keys_unknown_action", InvalidValue, 6, Some(1), Some("ui.keys.explode"), "unknown action `explode`; known actions: quit, help"),
        ("keys_conflict_dialog", InvalidValue, 7, Some(1), Some("ui.keys.no"), "`y` is bound to both `yes` and `no`, which both act in the deploy and quit confirmations"),
        ("keys_cancel_types_text", InvalidValue, 6, Some(1), Some("ui.keys.cancel"), "`q` types or edits text in text inputs (command line, search, save path, force word), where `cancel` acts too"),
        ("duplicate_project", InvalidValue, 7, Some(1), Some("projects[1].repository.name"), "duplicate project `acme/churn`"),
        ("bad_project_owner", InvalidValue, 6, Some(1), Some("projects[1].repository.owner"), "`acme corp` is not a valid GitHub user"),
        ("projects_with_top_level_pipeline", InvalidValue, 1, Some(2), Some("pipeline"), "`pipeline` is per project"),
        ("unknown_key_in_project", UnknownKey, 6, Some(1), Some("projects[1].deployment.timeout"), "unknown key `timeout`"),
        ("keys_bad_key", InvalidValue, 6, Some(1), Some("ui.keys.quit"), "unknown key `hyper-meta-q`"),
        ("compile_without_pipeline_path", InvalidValue, 6, Some(1), Some("pipeline.mode"), "`mode = \"compile\"` needs `pipeline.pipeline_path`"),
        ("compile_without_image", InvalidValue, 6, Some(1), Some("pipeline.mode"), "`mode = \"compile\"` needs `pipeline.compile_image`"),
        ("compile_not_python", InvalidValue, 8, Some(1), Some("pipeline.pipeline_path"), "`pipeline/pipeline.yaml` is not a Python file"),
        ("compile_bad_function_name", InvalidValue, 9, Some(1), Some("pipeline.pipeline_function_name"), "`my-pipeline` is not a Python function name"),
        ("pipeline_path_without_compile_mode", InvalidValue, 6, Some(1), Some("pipeline.pipeline_path"), "is used only when the pipeline is compiled in the cluster"),
        ("unknown_pipeline_mode", InvalidValue, 6, Some(1), Some("pipeline.mode"), "unknown value `python`"),
        ("unknown_version_placeholder", InvalidValue, 6, Some(1), Some("pipeline.version_name"), "unknown placeholder `{date}`"),
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

fn kfops() -> Command {
    crate::support::kfops_command()
}

/// Every broken file through the real binary: exit code 2, `file:line:col: key `k`: message`
/// and a hint on stderr, nothing on stdout (the terminal is never touched).
#[test]
fn every_broken_file_exits_2_through_the_binary_naming_file_line_and_key() {
    let mut failures = Vec::new();
    for &(name, _, line, column, key, message) in BROKEN {
        let path = fixtures().join(format!("{name}.toml"));
        let out = kfops()
            .arg("--config")
            .arg(&path)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut head = format!("kfops: {}:{line}:", path.display());
        if let Some(column) = column {
            head.push_str(&format!("{column}:"));
        }
        let ok = out.status.code() == Some(2)
            && out.stdout.is_empty()
            && stderr.starts_with(&head)
            && key.is_none_or(|k| stderr.contains(&format!(": key `{k}`: ")))
            && stderr.contains(message)
            && stderr.contains("\n  hint: ");
        if !ok {
            failures.push(format!(
                "{name}: exit {:?}, want {head:?} key {key:?} {message:?}, stderr:\n{stderr}",
                out.status.code()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(BROKEN.len() >= 20);
}

#[test]
fn a_directory_given_as_the_config_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let e = config::load(dir.path()).unwrap_err();
    assert_eq!(e.kind, ConfigErrorKind::Io, "{e}");
    assert!(
        e.message.starts_with("cannot read the config file: "),
        "{e}"
    );
    for via_env in [false, true] {
        let mut cmd = kfops();
        if via_env {
            cmd.env("KFOPS_CONFIG", dir.path());
        } else {
            cmd.arg("--config")
                .arg(dir.path())
                .env_remove("KFOPS_CONFIG");
        }
        let out = cmd.stdin(Stdio::null()).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.starts_with(&format!("kfops: {}: ", dir.path().display()))
                && stderr.contains("is a directory, not a file")
                && stderr.contains("hint: "),
            "{stderr}"
        );
    }
}

#[test]
fn an_unreadable_config_file_exits_2_with_a_permissions_hint() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kfops.toml");
    fs::write(&path, "[repository]\nowner = \"a\"\nname = \"b\"\n").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o000)).unwrap();
    if fs::File::open(&path).is_ok() {
        // root reads anything: the permission error cannot happen here.
        eprintln!("skipped: running as a user that ignores file permissions");
        return;
    }
    let e = config::load(&path).unwrap_err();
    assert_eq!(e.kind, ConfigErrorKind::Io);
    assert_eq!(e.hint, "check the file's permissions");
    let out = kfops()
        .arg("--config")
        .arg(&path)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot read the config file"), "{stderr}");
}
