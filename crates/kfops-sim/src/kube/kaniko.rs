//! Kaniko build pods (an image containing `kaniko`): the executor's flags are parsed, the
//! Dockerfile is read from the simulated GitHub at the git context's ref, and the container
//! prints what Kaniko v1.23 prints for it (see `kaniko_output`), one line every
//! `kaniko_line_ms`. Images named in `fail_images` fail after a `RUN`.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::stream::{self, BoxStream, StreamExt};
use k8s_openapi::api::core::v1::Pod;
use tokio::time::Instant;

use super::kaniko_output::{script, Out};
use super::lifecycle::{PodProgram, ProgramEnv, Step};

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
        let name = container.name.clone();
        let pause = Duration::from_millis(env.scenario.kaniko_line_ms);
        // A Kfops-layout context is assembled by an init container first (its lines, its
        // files); a failed fetch ends the pod before Kaniko builds anything.
        let assembled = super::kaniko_context::assemble(pod, env);
        let mut init = Vec::new();
        if let Some(a) = &assembled {
            for line in &a.lines {
                init.push(Step::Sleep(pause));
                init.push(Step::line(&a.container, line.clone()));
            }
            if a.code != 0 {
                init.push(Step::Exit {
                    container: name,
                    code: a.code,
                });
                return stream::iter(init).boxed();
            }
        }
        let files = match assembled {
            Some(a) => a.files,
            None => context_files(&build, env),
        };
        let fails = build
            .image_names()
            .iter()
            .any(|n| env.scenario.fail_images.contains(n));
        let script = script(&build, &files, env.scenario.log_lines_scale, fails);
        let started = Instant::now();
        stream::iter(init)
            .chain(stream::iter(script).flat_map(move |out| {
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
            }))
            .boxed()
    }
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
        .repo(&owner, &repo)
        .and_then(|gh| gh.read(|s| s.files_at(&git_ref)))
        .unwrap_or_default()
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
    }
}
