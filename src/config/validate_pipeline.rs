//! The `[pipeline]` checks of compile mode and of the version templates (a child module of
//! `validate.rs`, sharing its `Checker`).

use super::{at, Check, Checker, KeyPath};
use crate::config::{version_template, PipelineConfig, PipelineMode};

/// The keys only compile mode reads.
const COMPILE_KEYS: [&str; 5] = [
    "pipeline_path",
    "pipeline_function_name",
    "compile_image",
    "compile_command",
    "checkout_image",
];

/// `mode = "compile"` needs the Python file and the compile image; in package mode the
/// compile keys would do nothing, so they are refused (a Kfops config copied without `mode`).
pub(super) fn compile_mode(c: &Checker, p: &PipelineConfig, base: &KeyPath) -> Check {
    let mode = at(base, "pipeline.mode");
    if p.mode == PipelineMode::Package {
        for key in COMPILE_KEYS {
            let key = at(base, &format!("pipeline.{key}"));
            if c.present(&key) {
                return c.fail(
                    &key,
                    "is used only when the pipeline is compiled in the cluster",
                    "add `mode = \"compile\"` to [pipeline] to compile the PR's Python pipeline as Kfops does, or remove this key to upload the committed `package_path`",
                );
            }
        }
        return Ok(());
    }
    for (key, value, hint) in [
        (
            "pipeline_path",
            &p.pipeline_path,
            "set `pipeline_path` to the Python file defining the pipeline, relative to the repository root (Kfops' key), e.g. `pipeline_path = \"pipeline/pipeline.py\"`",
        ),
        (
            "compile_image",
            &p.compile_image,
            "set `compile_image` to an image with Python and the KFP v2 SDK (`pip install kfp`) and the pipeline's imports, e.g. `compile_image = \"ghcr.io/acme/kfp-compiler:2.7.0\"`",
        ),
    ] {
        if value.trim().is_empty() {
            let written = at(base, &format!("pipeline.{key}"));
            let message = format!("`mode = \"compile\"` needs `pipeline.{key}`");
            let at_key = if c.present(&written) { written } else { mode };
            return c.fail(&at_key, message, hint);
        }
    }
    let path = at(base, "pipeline.pipeline_path");
    c.repo_path(&path, &p.pipeline_path)?;
    if !p.pipeline_path.ends_with(".py") {
        return c.fail(
            &path,
            format!("`{}` is not a Python file", p.pipeline_path),
            "the KFP compiler reads the pipeline from a `.py` file",
        );
    }
    for key in ["compile_image", "checkout_image"] {
        let value = if key == "compile_image" {
            &p.compile_image
        } else {
            &p.checkout_image
        };
        if value.trim().is_empty() || value.contains(char::is_whitespace) {
            return c.fail(
                &at(base, &format!("pipeline.{key}")),
                format!("`{value}` is not an image reference"),
                "write an image such as `registry.example.com/team/image:tag`",
            );
        }
    }
    c.non_empty(&at(base, "pipeline.compile_command"), &p.compile_command)?;
    if let Some(function) = &p.pipeline_function_name {
        if !is_python_identifier(function) {
            return c.fail(
                &at(base, "pipeline.pipeline_function_name"),
                format!("`{function}` is not a Python function name"),
                "write the name of the function decorated with @dsl.pipeline, or remove the key when the file defines one pipeline",
            );
        }
    }
    Ok(())
}

/// `version_name` (not empty) and `version_description`: known placeholders only.
pub(super) fn versions(c: &Checker, p: &PipelineConfig, base: &KeyPath) -> Check {
    let name = at(base, "pipeline.version_name");
    c.non_empty(&name, &p.version_name)?;
    for (key, template) in [
        (name, &p.version_name),
        (
            at(base, "pipeline.version_description"),
            &p.version_description,
        ),
    ] {
        if let Err(e) = version_template::check(template) {
            return c.fail(
                &key,
                e,
                "use {pipeline}, {pr}, {sha}, {sha7}, {timestamp} or {kfops_time} (Kfops' form: `version_name = \"Version {kfops_time}\"`)",
            );
        }
    }
    Ok(())
}

fn is_python_identifier(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|ch| ch.is_ascii_alphabetic() || ch == '_')
        && name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
}
