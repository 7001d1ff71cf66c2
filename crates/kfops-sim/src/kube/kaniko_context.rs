//! The init container kfops adds to a Kaniko pod to assemble a Kfops-layout build context
//! (`engine/kaniko_context.rs`): read from its environment as the real container's script
//! reads it, fetched from the simulated GitHub at the commit, laid out as Kfops' tar is
//! (`tgz_upload_folders` in bartgras/kfops `package/kfops/s3.py`: the Dockerfile folder at
//! the root, each other folder under its last path segment, `__pycache__` left out).
//!
//! A private repository needs credentials: without a `GIT_PASSWORD` (plain or from an
//! existing Secret key) git, run without a terminal, stops with `could not read Username`
//! and exit code 128, as it does against github.com.
//!
//! Simplification: the simulated kubelet has no init-container phase, so the init
//! container's lines are stored under its name (`KubeState::log`) while the pod runs, and a
//! failed fetch fails the Kaniko container (the real pod ends `Init:Error`, Kaniko never
//! starting; the pod phase, Failed, is the same).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, EnvVar, Pod};

use super::lifecycle::ProgramEnv;
use super::secrets;

/// What the init container did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assembled {
    /// The init container's name (its log).
    pub container: String,
    /// Its log lines.
    pub lines: Vec<String>,
    /// The context's files (path → content); empty when the fetch failed.
    pub files: BTreeMap<String, String>,
    /// Its exit code.
    pub code: i32,
}

fn var<'a>(env: &'a [EnvVar], name: &str) -> Option<&'a EnvVar> {
    env.iter().find(|e| e.name == name)
}

fn plain(env: &[EnvVar], name: &str) -> String {
    var(env, name)
        .and_then(|e| e.value.clone())
        .unwrap_or_default()
}

/// The init container assembling a context (the one given `KFOPS_GIT_URL`).
fn context_container(pod: &Pod) -> Option<&Container> {
    pod.spec
        .iter()
        .flat_map(|s| s.init_containers.iter().flatten())
        .find(|c| c.env.iter().flatten().any(|e| e.name == "KFOPS_GIT_URL"))
}

/// Whether `GIT_PASSWORD` resolves to a value: set plainly, or a key of an existing Secret.
/// Whether git in a container with `env` has a password: plain, or an existing Secret key.
pub(super) fn has_password(pod: &Pod, env: &[EnvVar], program: &ProgramEnv) -> bool {
    let Some(password) = var(env, "GIT_PASSWORD") else {
        return false;
    };
    if password.value.as_deref().is_some_and(|v| !v.is_empty()) {
        return true;
    }
    let namespace = pod.metadata.namespace.clone().unwrap_or_default();
    password
        .value_from
        .as_ref()
        .and_then(|v| v.secret_key_ref.as_ref())
        .and_then(|r| {
            secrets::find(&program.scenario.secrets, &namespace, &r.name)
                .and_then(|s| s.data.get(&r.key))
        })
        .is_some_and(|v| !v.is_empty())
}

/// Kfops' layout of the repository's `files`: `folder`'s files at the root, each of `others`
/// under its last path segment, `__pycache__` dropped.
pub fn layout(
    files: &BTreeMap<String, String>,
    folder: &str,
    others: &[&str],
) -> BTreeMap<String, String> {
    let under = |prefix: &str, path: &str| -> Option<String> {
        let prefix = prefix.trim_end_matches('/');
        if prefix.is_empty() || prefix == "." {
            return Some(path.to_owned());
        }
        path.strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix('/'))
            .map(str::to_owned)
    };
    let mut out = BTreeMap::new();
    for (path, content) in files {
        if let Some(rest) = under(folder, path) {
            out.insert(rest, content.clone());
        }
    }
    for other in others {
        let other = other.trim_end_matches('/');
        let base = other.rsplit('/').next().unwrap_or(other);
        for (path, content) in files {
            if let Some(rest) = under(other, path) {
                out.insert(format!("{base}/{rest}"), content.clone());
            }
        }
    }
    out.retain(|path, _| !path.contains("__pycache__"));
    out
}

/// Runs the pod's context init container, if it has one.
pub fn assemble(pod: &Pod, program: &ProgramEnv) -> Option<Assembled> {
    let container = context_container(pod)?;
    let env = container.env.clone().unwrap_or_default();
    let url = plain(&env, "KFOPS_GIT_URL");
    let commit = plain(&env, "KFOPS_COMMIT");
    let mut lines = vec![format!("fetching {url} at {commit}")];
    let fail = |mut lines: Vec<String>, message: String| Assembled {
        container: container.name.clone(),
        lines: {
            lines.push(message);
            lines
        },
        files: BTreeMap::new(),
        code: 128,
    };
    let path = url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split_once('/'))
        .map(|(_, path)| path.trim_end_matches(".git").to_owned())
        .unwrap_or_default();
    let host = url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default();
    let (owner, repo) = path.split_once('/').unwrap_or((&path, ""));
    let Some(gh) = program.github.repo(owner, repo) else {
        return Some(fail(lines, format!("fatal: repository '{url}/' not found")));
    };
    if gh.read(|s| s.repo.private) && !has_password(pod, &env, program) {
        return Some(fail(
            lines,
            format!(
                "fatal: could not read Username for 'https://{host}': No such device or address"
            ),
        ));
    }
    let Some(files) = gh.read(|s| s.files_at(&commit)) else {
        return Some(fail(
            lines,
            format!("fatal: remote error: upload-pack: not our ref {commit}"),
        ));
    };
    let folder = plain(&env, "KFOPS_DOCKERFILE_FOLDER");
    let others_var = plain(&env, "KFOPS_OTHER_FOLDERS");
    let others: Vec<&str> = others_var.lines().filter(|l| !l.is_empty()).collect();
    let files = layout(&files, &folder, &others);
    lines.push("build context:".to_owned());
    lines.extend(files.keys().map(|p| format!("  {p}")));
    Some(Assembled {
        container: container.name.clone(),
        lines,
        files,
        code: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dockerfile_folder_is_the_root_and_other_folders_keep_their_last_segment() {
        let files: BTreeMap<String, String> = [
            "containers/trainer/Dockerfile",
            "containers/trainer/requirements.txt",
            "containers/trainer/__pycache__/x.pyc",
            "containers/lib/util.py",
            "containers/server/Dockerfile",
            "pipeline.py",
        ]
        .iter()
        .map(|p| ((*p).to_owned(), String::new()))
        .collect();
        let out = layout(&files, "containers/trainer/", &["containers/lib/"]);
        let paths: Vec<&str> = out.keys().map(String::as_str).collect();
        assert_eq!(paths, ["Dockerfile", "lib/util.py", "requirements.txt"]);
    }
}
