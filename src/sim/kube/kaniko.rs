//! Kaniko build pods (an image containing `kaniko`): the executor's flags are parsed, the
//! Dockerfile is read from the simulated GitHub at the git context's ref, and the container
//! prints what Kaniko v1.23 prints for it, one line every `kaniko_line_ms`: base image
//! resolution, each instruction with its snapshot lines (and its command's output for `RUN`),
//! then the push of every destination. Images named in `fail_images` fail after a `RUN`.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::stream::{self, BoxStream, StreamExt};
use k8s_openapi::api::core::v1::Pod;
use tokio::time::Instant;

use super::lifecycle::{PodProgram, ProgramEnv, Step};
use super::run_output::{run_output, RunOutput};
use crate::sim::github::fake_sha;

/// The Dockerfile built when the context has none at the given path.
const GENERIC_DOCKERFILE: &str = "FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\n\
RUN pip install --no-cache-dir -r requirements.txt\nENTRYPOINT [\"python\", \"main.py\"]\n";

/// Kaniko's last words when a build step fails.
pub const BUILD_ERROR: &str = "error building image: error building stage: failed to execute \
command: waiting for process to exit: exit status 1";

/// Executor flags that take a value (`--flag value` as well as `--flag=value`).
const VALUE_FLAGS: &[&str] = &[
    "dockerfile",
    "f",
    "context",
    "c",
    "destination",
    "d",
    "cache-repo",
    "context-sub-path",
    "build-arg",
    "target",
    "verbosity",
    "snapshot-mode",
    "cache-ttl",
    "cache-dir",
    "digest-file",
    "image-name-with-digest-file",
    "registry-mirror",
    "custom-platform",
    "label",
    "log-format",
    "tar-path",
    "ignore-path",
    "kaniko-dir",
    "git",
];

/// What a Kaniko executor was asked to do.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KanikoBuild {
    pub dockerfile: String,
    pub context: String,
    pub destinations: Vec<String>,
    pub insecure: bool,
    pub cache: bool,
    pub no_push: bool,
}

impl KanikoBuild {
    /// Parses executor arguments (the container's command and args).
    pub fn from_args(args: &[String]) -> KanikoBuild {
        let mut build = KanikoBuild {
            dockerfile: "Dockerfile".to_owned(),
            ..Default::default()
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let Some(flag) = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-')) else {
                continue;
            };
            let (name, value) = match flag.split_once('=') {
                Some((n, v)) => (n, Some(v.to_owned())),
                None if VALUE_FLAGS.contains(&flag) => (flag, it.next().cloned()),
                None => (flag, None),
            };
            let on = || value.as_deref().is_none_or(|v| v != "false");
            match name {
                "dockerfile" | "f" => build.dockerfile = value.clone().unwrap_or_default(),
                "context" | "c" => build.context = value.clone().unwrap_or_default(),
                "destination" | "d" => build.destinations.extend(value.clone()),
                "insecure" => build.insecure = on(),
                "cache" => build.cache = on(),
                "no-push" => build.no_push = on(),
                _ => {}
            }
        }
        build
    }

    /// `(owner, repo, ref)` of a `git://HOST/OWNER/REPO.git#REF[#COMMIT]` context.
    pub fn git_source(&self) -> Option<(String, String, String)> {
        let rest = self.context.strip_prefix("git://")?;
        let (path, fragment) = rest.split_once('#').unwrap_or((rest, "refs/heads/main"));
        let mut parts = path.trim_end_matches('/').split('/').skip(1);
        let owner = parts.next()?.to_owned();
        let repo = parts.next()?.trim_end_matches(".git").to_owned();
        // `#REF#COMMIT`: the commit wins.
        let git_ref = fragment.rsplit('#').next().unwrap_or(fragment).to_owned();
        Some((owner, repo, git_ref))
    }

    /// Image names of the destinations: last path segment, without tag or digest.
    pub fn image_names(&self) -> Vec<String> {
        self.destinations.iter().map(|d| image_name(d)).collect()
    }
}

/// `registry:5000/ml/trainer:v1` -> `trainer`.
fn image_name(reference: &str) -> String {
    let no_digest = reference.split('@').next().unwrap_or(reference);
    let last = no_digest.rsplit('/').next().unwrap_or(no_digest);
    last.split(':').next().unwrap_or(last).to_owned()
}

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

/// Whether a container runs the Kaniko executor.
fn is_kaniko(image: &str) -> bool {
    image.contains("kaniko-project/executor") || image.contains("kaniko")
}

/// The built-in program of Kaniko pods.
#[derive(Debug, Clone, Copy, Default)]
pub struct KanikoProgram;

impl PodProgram for KanikoProgram {
    fn name(&self) -> &str {
        "kaniko"
    }

    fn accepts(&self, pod: &Pod) -> bool {
        pod.spec
            .iter()
            .flat_map(|s| s.containers.iter())
            .any(|c| c.image.as_deref().is_some_and(is_kaniko))
    }

    fn run(&self, pod: &Pod, env: &ProgramEnv) -> BoxStream<'static, Step> {
        let Some(container) = pod
            .spec
            .iter()
            .flat_map(|s| s.containers.iter())
            .find(|c| c.image.as_deref().is_some_and(is_kaniko))
        else {
            return stream::empty().boxed();
        };
        let args: Vec<String> = container
            .command
            .iter()
            .flatten()
            .chain(container.args.iter().flatten())
            .cloned()
            .collect();
        let build = KanikoBuild::from_args(&args);
        let files = context_files(&build, env);
        let fails = build
            .image_names()
            .iter()
            .any(|n| env.scenario.fail_images.contains(n));
        let script = script(&build, &files, env.scenario.log_lines_scale, fails);
        let name = container.name.clone();
        let pause = Duration::from_millis(env.scenario.kaniko_line_ms);
        let started = Instant::now();
        stream::iter(script)
            .flat_map(move |out| {
                let name = name.clone();
                // The text is made when the step is reached, so the counter is the real one.
                let line = stream::once(async move {
                    match out {
                        Out::Info(msg) => Step::line(&name, info(started, &msg)),
                        Out::Raw(text) => Step::line(&name, text),
                        Out::Exit(code) => Step::Exit {
                            container: name,
                            code,
                        },
                    }
                });
                stream::iter([Step::Sleep(pause)]).chain(line)
            })
            .boxed()
    }
}

/// One thing the executor prints (or does).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Out {
    /// A logrus INFO line; the `[0042]` counter is filled in when it is printed.
    Info(String),
    /// A line of a command's own output.
    Raw(String),
    Exit(i32),
}

/// `INFO[0042] message` with logrus' padding (message to 44 columns, then a space).
fn info(started: Instant, message: &str) -> String {
    let secs = started.elapsed().as_secs();
    format!("INFO[{secs:04}] {message:<44} ")
}

/// The files of the build context (empty for contexts the simulator cannot read).
fn context_files(build: &KanikoBuild, env: &ProgramEnv) -> BTreeMap<String, String> {
    let Some((owner, repo, git_ref)) = build.git_source() else {
        return BTreeMap::new();
    };
    env.github
        .read(|s| {
            s.is_repo(&owner, &repo)
                .then(|| s.files_at(&git_ref))
                .flatten()
        })
        .unwrap_or_default()
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
fn script(
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
    fn executor_flags_parse_in_both_forms() {
        let build = KanikoBuild::from_args(&args(&[
            "--dockerfile=images/trainer/Dockerfile",
            "--context",
            "git://github.com/acme-ml/churn-model.git#refs/heads/main",
            "-d",
            "registry:5000/ml/trainer:v1",
            "--destination=registry:5000/ml/trainer:latest",
            "--cache=true",
            "--insecure",
        ]));
        assert_eq!(build.dockerfile, "images/trainer/Dockerfile");
        assert_eq!(build.destinations.len(), 2);
        assert!(build.cache && build.insecure && !build.no_push);
        assert_eq!(build.image_names(), ["trainer", "trainer"]);
        let (owner, repo, git_ref) = build.git_source().unwrap();
        assert_eq!(
            (owner.as_str(), repo.as_str(), git_ref.as_str()),
            ("acme-ml", "churn-model", "refs/heads/main")
        );
        assert_eq!(
            repository("registry:5000/ml/trainer:v1"),
            "registry:5000/ml/trainer"
        );
        assert_eq!(
            repository("registry:5000/ml/trainer"),
            "registry:5000/ml/trainer"
        );
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
