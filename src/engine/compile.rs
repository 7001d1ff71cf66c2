//! Compile mode of `/build` (`pipeline.mode = "compile"`), as Kfops does it: Kfops'
//! `PipelineBuilder._compile_pipeline` (bartgras/kfops, package/kfops/pipeline_manager.py)
//! compiles `pipeline_path` (and `pipeline_function_name`) with the KFP SDK before uploading.
//! Here a pod in the workflow namespace does it: an init container checks out the PR head,
//! the compile container runs `pipeline.compile_command` in the checkout and prints the
//! package, base64, between two marker lines; the console reads it from the pod's log.
//!
//! Why the log: it needs only the `pods/log` permission the console already has for the
//! logs pane (no KFP credentials or ConfigMap/Secret writes inside the cluster), and the
//! compiler's own messages are beside it when it fails.

use std::collections::BTreeMap;

use base64::Engine as _;
use futures::StreamExt;
use k8s_openapi::api::core::v1::{
    Container, EmptyDirVolumeSource, EnvVar, Pod, PodSpec, Volume, VolumeMount,
};
use kube::api::ObjectMeta;

use super::build::BUILD_TIMEOUT;
use super::events::{ActionError, ActionEvent};
use super::Backends;
use crate::backends::cluster::PodEvent;
use crate::config::{Config, PipelineConfig};
use crate::domain::{build_labels as labels, PodRef};

/// The `kfops.io/image` label of the compile pod: its title in the logs pane.
pub const COMPILE_IMAGE: &str = "pipeline-compile";
/// The line before the base64 package in the compile container's log.
pub const PACKAGE_BEGIN: &str = "----- kfops pipeline package (base64) -----";
/// The line after it.
pub const PACKAGE_END: &str = "----- end of kfops pipeline package -----";
/// Where the compile command writes the package (`$KFOPS_PACKAGE_PATH`).
pub const PACKAGE_FILE: &str = "/tmp/kfops/pipeline.yaml";
/// The checkout's mount point and the compile container's working directory.
pub const WORKSPACE: &str = "/workspace";
/// The compile container's name (the log the package is read from).
pub const COMPILE_CONTAINER: &str = "compile";
/// The init container's name.
pub const CHECKOUT_CONTAINER: &str = "checkout";
/// How many of the compiler's last lines a failure shows in the PR comment.
pub const ERROR_TAIL_LINES: usize = 25;
/// How much of each of those lines it shows.
pub const ERROR_LINE_CHARS: usize = 400;
/// The step name of a failure.
pub const STEP: &str = "compile the pipeline";

/// What one compile pod needs.
#[derive(Debug, Clone)]
pub struct CompileJob<'a> {
    pub pipeline: &'a PipelineConfig,
    /// `https://HOST/OWNER/REPO.git`
    pub git_url: &'a str,
    pub head_sha: &'a str,
    pub pr: u64,
    /// Shared with the build's Kaniko pods (`kfops.io/build-id`).
    pub build_id: &'a str,
    /// `owner/name`.
    pub repository: &'a str,
    pub namespace: &'a str,
    /// `image_builder.git_secret`: the checkout's credentials for a private repository.
    pub git_secret: Option<&'a str>,
}

impl CompileJob<'_> {
    /// `kfops-compile-pr42-261208014512123-abc1234` (a DNS-1123 label, ≤ 63 chars).
    pub fn pod_name(&self) -> String {
        let name = format!("kfops-compile-pr{}-{}", self.pr, self.build_id);
        let name: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .take(63)
            .collect();
        name.trim_end_matches('-').to_string()
    }
}

/// The script of the compile container: the configured command, then the package printed.
fn script(command: &str) -> String {
    format!(
        "set -e\nmkdir -p \"$(dirname \"$KFOPS_PACKAGE_PATH\")\"\n{command}\n\
         if [ ! -s \"$KFOPS_PACKAGE_PATH\" ]; then echo \"kfops: the compile command wrote no package at $KFOPS_PACKAGE_PATH\" >&2; exit 1; fi\n\
         echo '{PACKAGE_BEGIN}'\npython3 -m base64 -e \"$KFOPS_PACKAGE_PATH\"\necho '{PACKAGE_END}'\n"
    )
}

/// The init container's script: a shallow fetch of the one commit (GitHub serves any commit
/// of the repository, PR heads too, by SHA); for a private repository git reads the password
/// of `image_builder.git_secret` through a credential helper, as the Kaniko context's init
/// container does ([`super::kaniko_context::ASSEMBLE_SCRIPT`]), so it is never in the spec.
const CHECKOUT_SCRIPT: &str = concat!(
    "set -e\n",
    super::kaniko_context::git_credentials!(),
    "git init -q \"$KFOPS_WORKSPACE\"\ncd \"$KFOPS_WORKSPACE\"\ngit fetch -q --depth 1 \"$KFOPS_GIT_REPO\" \"$KFOPS_GIT_REVISION\"\ngit checkout -q FETCH_HEAD\necho \"checked out $KFOPS_GIT_REVISION\"\n"
);

fn env(pairs: &[(&str, &str)]) -> Vec<EnvVar> {
    pairs
        .iter()
        .map(|(name, value)| EnvVar {
            name: (*name).to_string(),
            value: Some((*value).to_string()),
            ..EnvVar::default()
        })
        .collect()
}

/// The compile pod.
pub fn pod_for(job: &CompileJob<'_>) -> Pod {
    let p = job.pipeline;
    let mount = vec![VolumeMount {
        name: "workspace".into(),
        mount_path: WORKSPACE.into(),
        ..VolumeMount::default()
    }];
    let mut compile_env = vec![
        ("KFOPS_PIPELINE_PATH", p.pipeline_path.as_str()),
        ("KFOPS_PACKAGE_PATH", PACKAGE_FILE),
    ];
    if let Some(function) = &p.pipeline_function_name {
        compile_env.push(("KFOPS_PIPELINE_FUNCTION", function.as_str()));
    }
    let mut checkout = Container {
        name: CHECKOUT_CONTAINER.into(),
        image: Some(p.checkout_image.clone()),
        command: Some(vec!["sh".into(), "-c".into(), CHECKOUT_SCRIPT.into()]),
        env: Some(env(&[
            ("KFOPS_GIT_REPO", job.git_url),
            ("KFOPS_GIT_REVISION", job.head_sha),
            ("KFOPS_WORKSPACE", WORKSPACE),
        ])),
        volume_mounts: Some(mount.clone()),
        ..Container::default()
    };
    super::kaniko_context::add_credentials(&mut checkout, job.git_secret);
    let labels_map: BTreeMap<String, String> = [
        (labels::MANAGED_BY, labels::MANAGED_BY_VALUE.to_string()),
        (labels::COMPONENT, labels::COMPONENT_BUILD.to_string()),
        (labels::PR, job.pr.to_string()),
        (labels::REPOSITORY, labels::repository_value(job.repository)),
        (labels::IMAGE, COMPILE_IMAGE.to_string()),
        (labels::BUILD_ID, job.build_id.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    Pod {
        metadata: ObjectMeta {
            name: Some(job.pod_name()),
            namespace: Some(job.namespace.to_string()),
            labels: Some(labels_map),
            annotations: Some(BTreeMap::from([(
                "kfops.io/head-sha".to_string(),
                job.head_sha.to_string(),
            )])),
            ..ObjectMeta::default()
        },
        spec: Some(PodSpec {
            restart_policy: Some("Never".into()),
            volumes: Some(vec![Volume {
                name: "workspace".into(),
                empty_dir: Some(EmptyDirVolumeSource::default()),
                ..Volume::default()
            }]),
            init_containers: Some(vec![checkout]),
            containers: vec![Container {
                name: COMPILE_CONTAINER.into(),
                image: Some(p.compile_image.clone()),
                command: Some(vec!["sh".into(), "-c".into(), script(&p.compile_command)]),
                working_dir: Some(WORKSPACE.into()),
                env: Some(env(&compile_env)),
                volume_mounts: Some(mount),
                ..Container::default()
            }],
            ..PodSpec::default()
        }),
        status: None,
    }
}

/// The package printed between the markers (the last such block), decoded.
pub fn package_from_log(lines: &[String]) -> Result<Vec<u8>, String> {
    let begin = lines
        .iter()
        .rposition(|l| l.trim_end() == PACKAGE_BEGIN)
        .ok_or("the compile pod printed no package (no begin marker in its log)")?;
    let end = lines[begin..]
        .iter()
        .position(|l| l.trim_end() == PACKAGE_END)
        .ok_or("the compile pod's package is cut (no end marker in its log)")?;
    let text: String = lines[begin + 1..begin + end]
        .iter()
        .map(|l| l.trim())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(text.as_bytes())
        .map_err(|e| format!("the compile pod's package is not valid base64: {e}"))
}

/// The last lines of a log (at most [`ERROR_TAIL_LINES`], each cut at [`ERROR_LINE_CHARS`]),
/// for a PR comment.
pub fn error_tail(lines: &[String]) -> String {
    let start = lines.len().saturating_sub(ERROR_TAIL_LINES);
    lines[start..]
        .iter()
        .map(|l| match l.char_indices().nth(ERROR_LINE_CHARS) {
            Some((cut, _)) => format!("{}…", &l[..cut]),
            None => l.clone(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs the compile pod of a build and returns the package it produced. Emits
/// [`ActionEvent::BuildPod`] for it (image [`COMPILE_IMAGE`]), so it streams in the logs pane
/// beside the build's Kaniko pods.
pub async fn compile(
    b: &Backends,
    cfg: &Config,
    job: &CompileJob<'_>,
    emit: &(dyn Fn(ActionEvent) + Send + Sync),
) -> Result<Vec<u8>, ActionError> {
    let pod = pod_for(job);
    let name = job.pod_name();
    let event = |phase: &str| ActionEvent::BuildPod {
        pr: job.pr,
        image: COMPILE_IMAGE.to_string(),
        pod: PodRef {
            namespace: job.namespace.to_string(),
            name: name.clone(),
            container: None,
        },
        version_id: String::new(),
        build_id: job.build_id.to_string(),
        phase: phase.to_string(),
    };
    // The watch starts before the pod exists so no phase change is missed.
    let selector = format!(
        "{}={},{}={}",
        labels::PR,
        job.pr,
        labels::BUILD_ID,
        job.build_id
    );
    let mut watch = Box::pin(b.cluster.watch_pods(&selector));
    b.cluster
        .create_pod(&pod)
        .await
        .map_err(|e| ActionError::new(STEP, format!("create the compile pod: {e}")))?;
    emit(event("Pending"));
    let wait = async {
        let mut last = "Pending".to_string();
        while let Some(ev) = watch.next().await {
            let Ok(PodEvent::Applied(p)) = ev else {
                continue;
            };
            let phase = p.status.and_then(|s| s.phase).unwrap_or_default();
            if p.metadata.name.as_deref() != Some(name.as_str()) || phase.is_empty() {
                continue;
            }
            if phase != last {
                emit(event(&phase));
                last = phase;
            }
            if matches!(last.as_str(), "Succeeded" | "Failed") {
                break;
            }
        }
        last
    };
    let phase = tokio::time::timeout(BUILD_TIMEOUT, wait)
        .await
        .map_err(|_| {
            ActionError::new(
                STEP,
                format!(
                    "the compile pod {name} did not finish within {} minutes",
                    BUILD_TIMEOUT.as_secs() / 60
                ),
            )
        })?;
    let log = read_log(b, &name, COMPILE_CONTAINER).await;
    if phase == "Succeeded" {
        let lines = log.map_err(|e| ActionError::new(STEP, e))?;
        return package_from_log(&lines).map_err(|e| ActionError::new(STEP, e));
    }
    // A failed checkout leaves the compile container unstarted: its log is the checkout's.
    let lines = match log {
        Ok(lines) if !lines.is_empty() => lines,
        _ => read_log(b, &name, CHECKOUT_CONTAINER)
            .await
            .unwrap_or_default(),
    };
    let path = &cfg.pipeline.pipeline_path;
    let last = lines
        .iter()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_string())
        .unwrap_or_else(|| format!("pod phase {phase}, no log"));
    Err(
        ActionError::new(STEP, format!("{path} did not compile (pod {name}): {last}"))
            .with_details(error_tail(&lines)),
    )
}

/// The whole log of a container of an ended pod, as lines.
async fn read_log(b: &Backends, pod: &str, container: &str) -> Result<Vec<String>, String> {
    let stream = b
        .cluster
        .log_lines(pod, Some(container), false, None)
        .await
        .map_err(|e| format!("read the compile pod's log: {e}"))?;
    let lines: Vec<_> = stream.collect().await;
    lines
        .into_iter()
        .map(|l| {
            l.map(|l| l.text)
                .map_err(|e| format!("read the compile pod's log: {e}"))
        })
        .collect()
}

#[cfg(test)]
#[path = "compile_tests.rs"]
mod tests;
