//! kfops-console's compile pods (a container with `KFOPS_PIPELINE_PATH` in its env, see
//! src/engine/compile.rs): the simulator does what the pod's scripts would do on a cluster.
//! The init container's checkout is not run (the simulated kubelet runs `containers` only):
//! the files are read from the simulated GitHub at `KFOPS_GIT_REVISION`, and an unknown
//! repository or revision fails the way `git fetch` does, and so does a private repository
//! without a `GIT_PASSWORD` (from `image_builder.git_secret`; the same rule as the Kaniko
//! context's init container, `kaniko_context.rs`). The compile container's work is
//! `compile_python.rs`'s model of `kfp dsl compile`; on success it prints the package as the
//! pod's script does (`python3 -m base64 -e` lines of 76 characters between the markers).

use std::time::Duration;

use base64::Engine as _;
use futures::stream::{self, BoxStream, StreamExt};
use k8s_openapi::api::core::v1::{Container, Pod};

use super::compile_python;
use super::kaniko_context::has_password;
use super::lifecycle::{PodProgram, ProgramEnv, Step};

/// The pod script's markers (src/engine/compile.rs; the simulator imports nothing of the
/// product, so they are repeated here: the e2e compile tests fail if they drift apart).
const PACKAGE_BEGIN: &str = "----- kfops pipeline package (base64) -----";
const PACKAGE_END: &str = "----- end of kfops pipeline package -----";
/// `$KFOPS_PACKAGE_PATH` of the pod script.
const PACKAGE_FILE: &str = "/tmp/kfops/pipeline.yaml";

/// The built-in program of compile pods.
#[derive(Debug, Clone, Copy, Default)]
pub struct CompileProgram;

fn env_of(c: &Container, name: &str) -> Option<String> {
    c.env
        .iter()
        .flatten()
        .find(|e| e.name == name)
        .and_then(|e| e.value.clone())
}

fn compile_container(pod: &Pod) -> Option<&Container> {
    pod.spec
        .iter()
        .flat_map(|s| s.containers.iter())
        .find(|c| env_of(c, "KFOPS_PIPELINE_PATH").is_some())
}

/// `(owner, repo)` of `https://HOST/OWNER/REPO.git`.
fn owner_repo(url: &str) -> Option<(String, String)> {
    let path = url.split("://").nth(1)?;
    let mut parts = path.split('/').skip(1);
    let owner = parts.next()?.to_string();
    let repo = parts.next()?.trim_end_matches(".git").to_string();
    Some((owner, repo))
}

impl PodProgram for CompileProgram {
    fn name(&self) -> &str {
        "compile"
    }

    fn accepts(&self, pod: &Pod) -> bool {
        compile_container(pod).is_some()
    }

    fn run(&self, pod: &Pod, env: &ProgramEnv) -> BoxStream<'static, Step> {
        let Some(container) = compile_container(pod) else {
            return stream::empty().boxed();
        };
        let checkout = pod
            .spec
            .iter()
            .flat_map(|s| s.init_containers.iter().flatten())
            .next();
        let git = |name: &str| checkout.and_then(|c| env_of(c, name)).unwrap_or_default();
        let (url, revision) = (git("KFOPS_GIT_REPO"), git("KFOPS_GIT_REVISION"));
        let path = env_of(container, "KFOPS_PIPELINE_PATH").unwrap_or_default();
        let function = env_of(container, "KFOPS_PIPELINE_FUNCTION");
        let repo = owner_repo(&url).and_then(|(owner, repo)| env.github.repo(&owner, &repo));
        let checkout_env = checkout.and_then(|c| c.env.clone()).unwrap_or_default();
        // git without a terminal and no credentials: `could not read Username`, exit 128, as
        // against github.com (and as sim/kube/kaniko_context.rs answers).
        let anonymous = repo.as_ref().is_some_and(|gh| gh.read(|s| s.repo.private))
            && !has_password(pod, &checkout_env, env);
        let files = repo.and_then(|gh| gh.read(|s| s.files_at(&revision)));
        let host = url.split("://").nth(1).and_then(|r| r.split('/').next());
        // `kfp dsl compile` echoes the package path on success; a `--py` that does not exist
        // is click's usage error, exit 2 (kubeflow/pipelines sdk/python/kfp/cli/compile_.py,
        // `click.Path(exists=True)`); any other failure is one line, exit 1 (cli/__main__.py).
        let (lines, code) = match files {
            Some(_) if anonymous => (
                vec![format!(
                    "fatal: could not read Username for 'https://{}': No such device or address",
                    host.unwrap_or_default()
                )],
                128,
            ),
            None => (
                vec![format!(
                    "fatal: could not fetch {revision} from {url} (no such repository or revision)"
                )],
                128,
            ),
            Some(files) => match files.get(&path) {
                None => (
                    vec![
                        "Usage: kfp dsl compile [OPTIONS]".into(),
                        "Try 'kfp dsl compile --help' for help.".into(),
                        String::new(),
                        format!("Error: Invalid value for '--py': Path '{path}' does not exist."),
                    ],
                    2,
                ),
                Some(source) => match compile_python::compile(&path, source, function.as_deref()) {
                    Ok(yaml) => (package_lines(&yaml), 0),
                    Err(line) => (vec![line], 1),
                },
            },
        };
        let name = container.name.clone();
        let pause = Step::Sleep(Duration::from_millis(env.scenario.kaniko_line_ms));
        let mut steps = vec![pause.clone()];
        steps.extend(lines.into_iter().map(|l| Step::line(&name, l)));
        steps.push(pause);
        steps.push(Step::Exit {
            container: name,
            code,
        });
        stream::iter(steps).boxed()
    }
}

/// What the pod's script prints after a successful compile: the path `kfp dsl compile`
/// echoes, then the package as `python3 -m base64 -e` writes it (76-character lines).
fn package_lines(yaml: &str) -> Vec<String> {
    let encoded = base64::engine::general_purpose::STANDARD.encode(yaml);
    let mut lines = vec![PACKAGE_FILE.to_string(), PACKAGE_BEGIN.to_string()];
    lines.extend(
        encoded
            .as_bytes()
            .chunks(76)
            .map(|c| String::from_utf8_lossy(c).into_owned()),
    );
    lines.push(PACKAGE_END.to_string());
    lines
}
