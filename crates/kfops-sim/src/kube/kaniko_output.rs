//! What the Kaniko executor prints for a build, in order: the git context's clone, base
//! image resolution, each Dockerfile instruction with its snapshot lines (and its command's
//! output for `RUN`), then the push of every destination, or the build error.

use std::collections::BTreeMap;

use super::kaniko::KanikoBuild;
use super::run_output::{run_output, RunOutput};
use crate::github::fake_sha;

/// The Dockerfile built when the context has none at the given path.
const GENERIC_DOCKERFILE: &str = "FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\n\
RUN pip install --no-cache-dir -r requirements.txt\nENTRYPOINT [\"python\", \"main.py\"]\n";

/// Kaniko's last words when a build step fails.
pub const BUILD_ERROR: &str = "error building image: error building stage: failed to execute \
command: waiting for process to exit: exit status 1";

/// `registry:5000/ml/trainer:v1` -> `registry:5000/ml/trainer`.
fn repository(reference: &str) -> String {
    let no_digest = reference.split('@').next().unwrap_or(reference);
    match no_digest.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => repo.to_owned(),
        _ => no_digest.to_owned(),
    }
}

/// The registry a base image is pulled from.
fn registry_of(image: &str) -> String {
    match image.split_once('/') {
        Some((host, _)) if host.contains('.') || host.contains(':') || host == "localhost" => {
            host.to_owned()
        }
        _ => "index.docker.io".to_owned(),
    }
}

/// One thing the executor prints (or does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Out {
    /// A logrus INFO line; the `[0042]` counter is filled in when it is printed.
    Info(String),
    /// A line of a command's own output.
    Raw(String),
    Exit(i32),
}

/// A Dockerfile instruction: keyword (upper case) and its arguments as written.
fn instructions(dockerfile: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut pending = String::new();
    for raw in dockerfile.lines() {
        let line = raw.trim();
        if pending.is_empty() && (line.is_empty() || line.starts_with('#')) {
            continue;
        }
        if let Some(head) = line.strip_suffix('\\') {
            pending.push_str(head.trim_end());
            pending.push(' ');
            continue;
        }
        pending.push_str(line);
        let text = std::mem::take(&mut pending);
        let (keyword, args) = text.split_once(char::is_whitespace).unwrap_or((&text, ""));
        out.push((keyword.to_uppercase(), args.trim().to_owned()));
    }
    out
}

/// Everything the executor prints for this build, in order, ending with its exit.
pub(super) fn script(
    build: &KanikoBuild,
    files: &BTreeMap<String, String>,
    scale: f64,
    fails: bool,
) -> Vec<Out> {
    let mut out = Vec::new();
    let info = |out: &mut Vec<Out>, text: String| out.push(Out::Info(text));
    let path = build.dockerfile.trim_start_matches("./");
    let path = path.strip_prefix("/kaniko/buildcontext/").unwrap_or(path);
    let dockerfile = files
        .get(path)
        .cloned()
        .unwrap_or_else(|| GENERIC_DOCKERFILE.to_owned());
    if build.git_source().is_some() {
        let objects = files.len() * 3 + 7;
        out.push(Out::Raw(format!("Enumerating objects: {objects}, done.")));
        out.push(Out::Raw(format!(
            "Counting objects: 100% ({objects}/{objects}), done."
        )));
        out.push(Out::Raw(format!(
            "Compressing objects: 100% ({0}/{0}), done.",
            objects * 2 / 3
        )));
        out.push(Out::Raw(format!(
            "Total {objects} (delta {}), reused {objects} (delta {}), pack-reused 0",
            objects / 5,
            objects / 5
        )));
    }
    let steps = instructions(&dockerfile);
    let stages: Vec<(usize, String, Option<String>)> = steps
        .iter()
        .enumerate()
        .filter(|(_, (k, _))| k == "FROM")
        .map(|(i, (_, args))| {
            let mut words = args.split_whitespace();
            let image = words.next().unwrap_or("scratch").to_owned();
            let alias = match (words.next(), words.next()) {
                (Some(kw), Some(name)) if kw.eq_ignore_ascii_case("as") => Some(name.to_owned()),
                _ => None,
            };
            (i, image, alias)
        })
        .collect();
    for (_, image, alias) in &stages {
        let alias = alias.clone().unwrap_or_else(|| "base".to_owned());
        info(&mut out, format!("Resolved base name {image} to {alias}"));
    }
    for (_, image, _) in &stages {
        info(&mut out, format!("Retrieving image manifest {image}"));
        info(
            &mut out,
            format!(
                "Retrieving image {image} from registry {}",
                registry_of(image)
            ),
        );
    }
    info(&mut out, "Built cross stage deps: map[]".to_owned());
    let digest = digest_of(&format!(
        "{}|{}|{dockerfile}",
        build.context,
        build.destinations.join(",")
    ));
    let mut failed = false;
    for (stage, (start, image, _)) in stages.iter().enumerate() {
        let end = stages.get(stage + 1).map_or(steps.len(), |s| s.0);
        let body = &steps[start + 1..end];
        info(&mut out, format!("Retrieving image manifest {image}"));
        info(&mut out, "Returning cached image manifest".to_owned());
        info(&mut out, "Executing 0 build triggers".to_owned());
        info(
            &mut out,
            format!("Building stage '{image}' [idx: '{stage}', base-idx: '-1']"),
        );
        let first_run = body.iter().find(|(k, _)| k == "RUN");
        if build.cache {
            let cache_repo = format!(
                "{}/cache",
                repository(build.destinations.first().map_or("", String::as_str))
            );
            for (_, args) in body.iter().filter(|(k, _)| k == "RUN") {
                info(
                    &mut out,
                    format!(
                        "Checking for cached layer {cache_repo}:{}...",
                        &digest_of(args)[..64]
                    ),
                );
                info(
                    &mut out,
                    format!("No cached layer found for cmd RUN {args}"),
                );
            }
        }
        match first_run {
            Some((_, args)) => info(
                &mut out,
                format!("Unpacking rootfs as cmd RUN {args} requires it."),
            ),
            None => info(
                &mut out,
                "Skipping unpacking as no commands require it.".to_owned(),
            ),
        }
        for (keyword, args) in body {
            info(&mut out, format!("{keyword} {args}"));
            match keyword.as_str() {
                "WORKDIR" => {
                    info(&mut out, "Cmd: workdir".to_owned());
                    info(&mut out, format!("Changed working directory to {args}"));
                    info(
                        &mut out,
                        format!("Creating directory {args} with uid -1 and gid -1"),
                    );
                    info(&mut out, "Taking snapshot of files...".to_owned());
                }
                "COPY" | "ADD" => info(&mut out, "Taking snapshot of files...".to_owned()),
                "RUN" => {
                    info(&mut out, "Initializing snapshotter ...".to_owned());
                    info(&mut out, "Taking snapshot of full filesystem...".to_owned());
                    let (cmd, shown) = exec_form(args);
                    info(&mut out, format!("Cmd: {cmd}"));
                    info(&mut out, format!("Args: [{}]", shown.join(" ")));
                    info(&mut out, format!("Running: [{cmd} {}]", shown.join(" ")));
                    let RunOutput { lines, failure } = run_output(args, files, scale);
                    if fails {
                        let half = lines.len() / 2;
                        out.extend(lines.into_iter().take(half).map(Out::Raw));
                        out.extend(failure.into_iter().map(Out::Raw));
                        failed = true;
                        break;
                    }
                    out.extend(lines.into_iter().map(Out::Raw));
                    info(&mut out, "Taking snapshot of full filesystem...".to_owned());
                    if build.cache {
                        let cache_repo = format!(
                            "{}/cache",
                            repository(build.destinations.first().map_or("", String::as_str))
                        );
                        info(
                            &mut out,
                            format!(
                                "Pushing layer {cache_repo}:{} to cache now",
                                &digest_of(args)[..64]
                            ),
                        );
                    }
                }
                _ => {}
            }
        }
        if failed {
            break;
        }
    }
    if fails {
        out.push(Out::Raw(BUILD_ERROR.to_owned()));
        out.push(Out::Exit(1));
        return out;
    }
    if build.no_push {
        info(
            &mut out,
            "Skipping push to container registry due to --no-push flag".to_owned(),
        );
    }
    for dest in build.destinations.iter().filter(|_| !build.no_push) {
        info(&mut out, format!("Pushing image to {dest}"));
        info(
            &mut out,
            format!("Pushed {}@sha256:{digest}", repository(dest)),
        );
    }
    out.push(Out::Exit(0));
    out
}

/// How Kaniko runs a `RUN`: shell form through `/bin/sh -c`, exec form (`["a", "b"]`) as is.
fn exec_form(args: &str) -> (String, Vec<String>) {
    if let Ok(words) = serde_json::from_str::<Vec<String>>(args) {
        if let Some((first, rest)) = words.split_first() {
            return (first.clone(), rest.to_vec());
        }
    }
    ("/bin/sh".to_owned(), vec!["-c".to_owned(), args.to_owned()])
}

/// A stable 64-hex-digit digest derived from `seed`.
fn digest_of(seed: &str) -> String {
    let mut hex = fake_sha(&format!("{seed}#1"));
    hex.push_str(&fake_sha(&format!("{seed}#2")));
    hex.truncate(64);
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn repositories_drop_the_tag_but_keep_a_registry_port() {
        assert_eq!(
            repository("registry:5000/ml/trainer:v1"),
            "registry:5000/ml/trainer"
        );
        assert_eq!(
            repository("registry:5000/ml/trainer"),
            "registry:5000/ml/trainer"
        );
        assert_eq!(registry_of("python:3.11-slim"), "index.docker.io");
        assert_eq!(registry_of("gcr.io/x/y:1"), "gcr.io");
    }

    #[test]
    fn every_instruction_is_printed_and_the_push_ends_the_build() {
        let build = KanikoBuild::from_args(&args(&["--destination=r.example/ml/server:v2"]));
        let files = BTreeMap::from([(
            "Dockerfile".to_owned(),
            "FROM python:3.11-slim\nRUN apt-get update && \\\n    apt-get install -y curl\nENV A=1\n".to_owned(),
        )]);
        let out = script(&build, &files, 1.0, false);
        let infos: Vec<&str> = out
            .iter()
            .filter_map(|o| match o {
                Out::Info(m) => Some(m.as_str()),
                _ => None,
            })
            .collect();
        assert!(
            infos.contains(&"RUN apt-get update && apt-get install -y curl"),
            "{infos:?}"
        );
        assert!(infos.contains(&"ENV A=1"));
        assert!(infos
            .last()
            .unwrap()
            .starts_with("Pushed r.example/ml/server@sha256:"));
        assert_eq!(out.last(), Some(&Out::Exit(0)));
        let failing = script(&build, &files, 1.0, true);
        assert_eq!(failing.last(), Some(&Out::Exit(1)));
        assert!(failing.contains(&Out::Raw(BUILD_ERROR.to_owned())));
    }
}
