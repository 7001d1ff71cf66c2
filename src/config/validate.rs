//! Semantic checks of a deserialized [`Config`], with positions taken from the parsed
//! document.

use std::collections::BTreeMap;
use std::path::Path;

use toml_edit::Table;

use super::error::{ConfigError, ConfigErrorKind};
use super::rules::{is_dns1035_label, is_dns1123_label, is_http_url};
use super::spans::{is_present, span_of, KeyPath};
use super::Config;

type Check = Result<(), ConfigError>;

#[path = "validate_build.rs"]
mod validate_build;
#[path = "validate_github.rs"]
mod validate_github;
#[path = "validate_kfp.rs"]
mod validate_kfp;
#[path = "validate_pipeline.rs"]
mod validate_pipeline;
#[path = "validate_ui.rs"]
mod validate_ui;

struct Checker<'a> {
    root: &'a Table,
    text: &'a str,
    path: &'a Path,
}

impl Checker<'_> {
    /// An error at the key `key` (or the deepest part of it written in the file).
    fn fail(&self, key: &KeyPath, message: impl Into<String>, hint: impl Into<String>) -> Check {
        let span = span_of(self.root, key);
        Err(ConfigError::at(
            ConfigErrorKind::InvalidValue,
            self.path,
            self.text,
            &span,
            key,
            message,
            hint,
        ))
    }

    fn present(&self, key: &KeyPath) -> bool {
        is_present(self.root, key)
    }

    fn non_empty(&self, key: &KeyPath, value: &str) -> Check {
        if value.trim().is_empty() {
            return self.fail(
                key,
                "must not be empty",
                format!("set `{key}` to a non-empty value (see config.example.toml)"),
            );
        }
        Ok(())
    }

    fn http_url(&self, key: &KeyPath, value: &str) -> Check {
        if !is_http_url(value) {
            return self.fail(
                key,
                format!("`{value}` is not an http(s) URL"),
                "write a URL such as `https://host.example.com` or `http://127.0.0.1:8080`",
            );
        }
        Ok(())
    }

    fn namespace(&self, key: &KeyPath, value: &str) -> Check {
        if !is_dns1123_label(value) {
            return self.fail(
                key,
                format!("`{value}` is not a valid Kubernetes namespace"),
                "a namespace is a DNS-1123 label: at most 63 characters of a-z, 0-9 and `-`, starting and ending with a letter or digit",
            );
        }
        Ok(())
    }

    fn repo_path(&self, key: &KeyPath, value: &str) -> Check {
        self.non_empty(key, value)?;
        if value.starts_with('/') || value.split(['/', '\\']).any(|part| part == "..") {
            return self.fail(
                key,
                format!("`{value}` is not a path inside the repository"),
                "write a path relative to the repository root, without `..`",
            );
        }
        Ok(())
    }

    /// A name that defaults to `repository.name` must not be written as "".
    fn derived_name(&self, key: &KeyPath, value: &str) -> Check {
        if self.present(key) && value.is_empty() {
            return self.fail(
                key,
                "must not be empty",
                format!("remove `{key}` to default to repository.name"),
            );
        }
        Ok(())
    }
}

/// `base` followed by the dotted `rest` (`projects[1]` + `repository.owner`).
fn at(base: &KeyPath, rest: &str) -> KeyPath {
    rest.split('.').fold(base.clone(), |p, k| p.key(k))
}

/// Checks everything serde cannot: returns the first problem found.
pub(crate) fn check(config: &Config, root: &Table, text: &str, path: &Path) -> Check {
    let c = Checker { root, text, path };
    layout(&c, config)?;
    validate_github::github(&c, config)?;
    cluster_and_kfp(&c, config)?;
    if config.projects.is_empty() {
        project(&c, config, &KeyPath::root())?;
    } else {
        projects(&c, config)?;
    }
    validate_ui::ui(&c, config)
}

/// The per-project checks, at `base` (the root, or `projects[i]`).
fn project(c: &Checker, config: &Config, base: &KeyPath) -> Check {
    repository(c, config, base)?;
    c.derived_name(
        &at(base, "kfp.experiment_name"),
        &config.kfp.experiment_name,
    )?;
    pipeline(c, config, base)?;
    deployment(c, config, base)?;
    validate_build::image_builder(c, config, base)
}

/// Either `[repository]` (one project) or `[[projects]]`, not both; with `[[projects]]` the
/// per-project tables live in each entry.
fn layout(c: &Checker, config: &Config) -> Check {
    if config.projects.is_empty() {
        if !c.present(&KeyPath::dotted("repository")) {
            let key = KeyPath::dotted("repository");
            return Err(ConfigError::at(
                ConfigErrorKind::MissingKey,
                c.path,
                c.text,
                &(0..0),
                &key,
                "missing required table `[repository]`",
                "add a `[repository]` table with owner and name, or one `[[projects]]` entry per repository (see config.example.toml)",
            ));
        }
        return Ok(());
    }
    for table in [
        "repository",
        "pipeline",
        "deployment",
        "image_builder",
        "kfp.experiment_name",
    ] {
        let key = KeyPath::dotted(table);
        if c.present(&key) {
            return c.fail(
                &key,
                format!("`{table}` is per project when `[[projects]]` is used"),
                format!("move it into each `[[projects]]` entry (`[projects.{table}]`), or drop `[[projects]]` for a single repository"),
            );
        }
    }
    Ok(())
}

fn projects(c: &Checker, config: &Config) -> Check {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (i, p) in config.projects.iter().enumerate() {
        let base = KeyPath::dotted("projects").index(i);
        project(c, &config.project_unresolved(p), &base)?;
        if let Some(ns) = &p.kfp.namespace {
            c.namespace(&at(&base, "kfp.namespace"), ns)?;
        }
        let full = p.repository.full_name().to_ascii_lowercase();
        if let Some(first) = seen.insert(full, i) {
            return c.fail(
                &at(&base, "repository.name"),
                format!("duplicate project `{}`", p.repository.full_name()),
                format!(
                    "projects[{first}] already watches this repository; list each repository once"
                ),
            );
        }
    }
    // Two projects deploying the same InferenceService would replace each other's model.
    let mut services: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (i, p) in config.projects.iter().enumerate() {
        let resolved = config.with_project(p);
        let d = &resolved.deployment;
        for (env, ns) in [
            ("staging", &d.staging.namespace),
            ("production", &d.production.namespace),
        ] {
            let key = (ns.clone(), d.inference_service_name.clone());
            match services.insert(key, i) {
                Some(first) if first != i => {
                    let base = KeyPath::dotted("projects").index(i);
                    return c.fail(
                        &at(&base, "deployment.inference_service_name"),
                        format!(
                            "projects[{first}] already deploys the InferenceService `{}` in namespace `{ns}` ({env})",
                            d.inference_service_name
                        ),
                        "give each project its own deployment.inference_service_name or its own namespaces",
                    );
                }
                _ => {}
            }
        }
    }
    Ok(())
}

fn repository(c: &Checker, config: &Config, base: &KeyPath) -> Check {
    let owner = &config.repository.owner;
    let key = at(base, "repository.owner");
    c.non_empty(&key, owner)?;
    let valid_owner = owner.len() <= 39
        && !owner.starts_with('-')
        && !owner.ends_with('-')
        && owner
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-');
    if !valid_owner {
        return c.fail(
            &key,
            format!("`{owner}` is not a valid GitHub user or organisation"),
            "GitHub logins are at most 39 characters of letters, digits and `-`",
        );
    }
    let name = &config.repository.name;
    let key = at(base, "repository.name");
    c.non_empty(&key, name)?;
    let valid_name = name.len() <= 100
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || "._-".contains(ch));
    if !valid_name {
        return c.fail(
            &key,
            format!("`{name}` is not a valid GitHub repository name"),
            "repository names are letters, digits, `.`, `_` and `-`",
        );
    }
    Ok(())
}

fn cluster_and_kfp(c: &Checker, config: &Config) -> Check {
    let cl = &config.cluster;
    if let Some(context) = &cl.context {
        c.non_empty(&KeyPath::dotted("cluster.context"), context)?;
    }
    c.namespace(&KeyPath::dotted("cluster.namespace"), &cl.namespace)?;
    if let Some(server) = &cl.server {
        c.http_url(&KeyPath::dotted("cluster.server"), server)?;
    }
    validate_kfp::kfp(c, &config.kfp)
}

fn pipeline(c: &Checker, config: &Config, base: &KeyPath) -> Check {
    let p = &config.pipeline;
    c.derived_name(&at(base, "pipeline.name"), &p.name)?;
    c.repo_path(&at(base, "pipeline.package_path"), &p.package_path)?;
    validate_pipeline::compile_mode(c, p, base)?;
    validate_pipeline::versions(c, p, base)?;
    run_arguments(c, &at(base, "pipeline.run_arguments"), &p.run_arguments)
}

/// TOML values that have no JSON form come out of serde_json as a private datetime
/// object or as `null` (nan/inf): reject both.
fn run_arguments(c: &Checker, key: &KeyPath, args: &BTreeMap<String, serde_json::Value>) -> Check {
    for (name, value) in args {
        json_value(c, &key.key(name), value)?;
    }
    Ok(())
}

fn json_value(c: &Checker, key: &KeyPath, value: &serde_json::Value) -> Check {
    use serde_json::Value;
    match value {
        Value::Null => c.fail(
            key,
            "nan and inf have no JSON form",
            "use a finite number, or a string",
        ),
        Value::Object(map) if map.contains_key("$__toml_private_datetime") => c.fail(
            key,
            "datetimes are not supported in run arguments",
            "quote it: write the date as a string, e.g. \"2024-01-31T00:00:00Z\"",
        ),
        Value::Object(map) => map
            .iter()
            .try_for_each(|(k, v)| json_value(c, &key.key(k), v)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| json_value(c, &key.index(i), v)),
        _ => Ok(()),
    }
}

fn deployment(c: &Checker, config: &Config, base: &KeyPath) -> Check {
    let d = &config.deployment;
    let key = at(base, "deployment.inference_service_name");
    c.derived_name(&key, &d.inference_service_name)?;
    let (name, key, derived) = if d.inference_service_name.is_empty() {
        (
            &config.repository.name,
            at(base, "repository.name"),
            " (the default, from repository.name)",
        )
    } else {
        (&d.inference_service_name, key, "")
    };
    if !is_dns1035_label(name) {
        return c.fail(
            &key,
            format!("`{name}`{derived} is not a valid InferenceService name"),
            "set deployment.inference_service_name to a DNS-1035 label: a-z, 0-9 and `-`, starting with a letter, at most 63 characters",
        );
    }
    c.repo_path(&at(base, "deployment.template_path"), &d.template_path)?;
    // Optional, as in Kfops: absent or empty, deploys skip the sample test.
    if !d.sample_input_path.is_empty() {
        c.repo_path(
            &at(base, "deployment.sample_input_path"),
            &d.sample_input_path,
        )?;
    }
    if let Some(ingress) = &d.ingress_url {
        c.http_url(&at(base, "deployment.ingress_url"), ingress)?;
    }
    if d.ready_timeout_seconds == 0 {
        return c.fail(
            &at(base, "deployment.ready_timeout_seconds"),
            "must be at least 1",
            "a typical value is 300 (five minutes)",
        );
    }
    c.namespace(
        &at(base, "deployment.production.namespace"),
        &d.production.namespace,
    )?;
    c.namespace(
        &at(base, "deployment.staging.namespace"),
        &d.staging.namespace,
    )
}
