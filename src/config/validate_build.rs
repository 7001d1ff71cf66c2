//! The `[image_builder]` checks: registry, build contexts, Kaniko's template and the git
//! access of the context's init container (a child module of `validate.rs`, sharing its
//! `Checker`).

use std::collections::BTreeMap;

use super::{at, Check, Checker, KeyPath};
use crate::config::rules::{is_dns1123_subdomain, is_image_name};
use crate::config::{BuildContext, Config, ImageBuilderConfig};

pub(super) fn image_builder(c: &Checker, config: &Config, base: &KeyPath) -> Check {
    let ib = &config.image_builder;
    let key = at(base, "image_builder.registry");
    match &ib.registry {
        Some(registry) => {
            c.non_empty(&key, registry)?;
            if registry.contains("://")
                || registry.contains(char::is_whitespace)
                || registry.ends_with('/')
            {
                return c.fail(&key, format!("`{registry}` is not a registry reference"), "write host[:port]/path without a scheme or trailing `/`, e.g. `registry.example.com/acme`");
            }
        }
        None if !ib.images.is_empty() => {
            return c.fail(
                &key,
                "a registry is required when images are configured",
                "add `registry = \"registry.example.com/acme\"` under [image_builder]",
            );
        }
        None => {}
    }
    c.repo_path(
        &at(base, "image_builder.pod_template_path"),
        &ib.pod_template_path,
    )?;
    let images = at(base, "image_builder.images");
    let mut seen = BTreeMap::new();
    for (i, image) in ib.images.iter().enumerate() {
        let at = images.index(i);
        let key = at.key("name");
        if !is_image_name(&image.name) {
            return c.fail(&key, format!("`{}` is not a valid image name", image.name), "image names use a-z, 0-9, `.`, `_`, `-` and `/`, start with a letter or digit and do not end with `/`");
        }
        if let Some(first) = seen.insert(image.name.as_str(), i) {
            return c.fail(
                &key,
                format!("duplicate image name `{}`", image.name),
                format!(
                    "image_builder.images[{first}] already uses this name; names must be unique"
                ),
            );
        }
        c.repo_path(&at.key("dockerfile_folder"), &image.dockerfile_folder)?;
        for (j, folder) in image.other_folders.iter().enumerate() {
            c.repo_path(&at.key("other_folders").index(j), folder)?;
        }
        if ib.context == BuildContext::Repository && !image.other_folders.is_empty() {
            return c.fail(
                &at.key("other_folders"),
                "other_folders does nothing with image_builder.context = \"repository\" (the whole repository is the context)",
                "remove other_folders, or use context = \"kfops\" (the Dockerfile folder as the context, these folders copied into it)",
            );
        }
    }
    git_access(c, ib, base)
}

/// `image_builder.git_image` and `git_secret`: a container image and a Secret name.
fn git_access(c: &Checker, ib: &ImageBuilderConfig, base: &KeyPath) -> Check {
    let key = at(base, "image_builder.git_image");
    c.non_empty(&key, &ib.git_image)?;
    if ib.git_image.contains(char::is_whitespace) {
        return c.fail(
            &key,
            format!("`{}` is not an image reference", ib.git_image),
            "an image with git and sh, e.g. `alpine/git:2.45.2`",
        );
    }
    let Some(secret) = &ib.git_secret else {
        return Ok(());
    };
    let key = at(base, "image_builder.git_secret");
    if !is_dns1123_subdomain(secret) {
        return c.fail(
            &key,
            format!("`{secret}` is not a Kubernetes Secret name"),
            "a Secret name is lower-case letters, digits, `-` and `.` (a DNS subdomain), e.g. `git-credentials`",
        );
    }
    Ok(())
}
