//! `/build`, with Kfops' rules: read the compiled pipeline package from the PR head, upload it
//! as the pipeline (first time) or a new version of it, build every configured image in the
//! cluster in parallel (one Kaniko pod each, tagged with the version ID), wait for all, and
//! post the Kfops build comment with `<!-- KFOPS_VERSION_ID=… -->`. Any failure stops the
//! action, names the failing image or step, and posts no success comment.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Utc;
use futures::future::try_join_all;
use futures::StreamExt;

use super::comments;
use super::compile;
use super::events::{ActionError, ActionEvent, ActionKind};
use super::failure;
use super::kaniko::{self, ImageBuild};
use super::kaniko_context;
use super::step::Step;
use super::Backends;
use crate::backends::cluster::PodEvent;
use crate::config::{version_template, Config, PipelineMode};
use crate::domain::{build_labels, PodRef};

/// How long the image builds may take before the action gives up.
pub const BUILD_TIMEOUT: Duration = Duration::from_secs(2 * 60 * 60);

/// What a successful build produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildOutput {
    pub pipeline_id: String,
    pub version_id: String,
    /// `(image name, destination)` of every image built.
    pub images: Vec<(String, String)>,
}

/// Runs `/build` for a PR. `build_only` adds Kfops' "Type /run" hint to the comment (false
/// when `/build_run` chains a run).
pub async fn build(
    b: &Backends,
    cfg: &Config,
    pr: u64,
    build_only: bool,
    emit: &(dyn Fn(ActionEvent) + Send + Sync),
) -> Result<BuildOutput, ActionError> {
    let result = run_steps(b, cfg, pr, build_only, emit).await;
    // Kfops reports failures on the PR too.
    failure::comment_on_failure(&b.github, pr, ActionKind::Build, &result).await;
    result
}

async fn run_steps(
    b: &Backends,
    cfg: &Config,
    pr: u64,
    build_only: bool,
    emit: &(dyn Fn(ActionEvent) + Send + Sync),
) -> Result<BuildOutput, ActionError> {
    let step = |step: Step| emit(ActionEvent::Step { pr, step });

    step(Step::ReadPr { pr });
    let pull = b
        .github
        .pull_request(pr)
        .await
        .map_err(ActionError::backend("read the PR"))?;
    let sha = pull.head_sha.clone();
    let sha7: String = sha.chars().take(7).collect();

    // Compile mode: the compile pod and the Kaniko pods share an ID made now (the version ID
    // does not exist yet), so the logs pane shows them as one build: `yymmddHHMMSSmmm-sha7`
    // (23 characters: whole in the pane's title; two builds in one second differ).
    let build_id = (cfg.pipeline.mode == PipelineMode::Compile)
        .then(|| format!("{}-{sha7}", Utc::now().format("%y%m%d%H%M%S%3f")));
    // Before anything is created: a pod (the compile pod or a Kaniko pod) that fetches the
    // repository with a missing Secret would wait in `CreateContainerConfigError`.
    let fetches = build_id.is_some() || !cfg.image_builder.images.is_empty();
    if let (true, Some(secret)) = (fetches, &cfg.image_builder.git_secret) {
        kaniko_context::check_secret(&b.cluster, secret).await?;
    }
    let package = match &build_id {
        None => {
            let package_path = &cfg.pipeline.package_path;
            step(Step::ReadPackage {
                path: package_path.clone(),
                sha7: sha7.clone(),
            });
            b.github
                .file_at(package_path, &sha)
                .await
                .map_err(ActionError::backend("read the pipeline package"))?
        }
        Some(build_id) => {
            let namespace = b.cluster.namespace().to_string();
            let git_url = kaniko_context::https_url(&kaniko::git_repo_url(
                &cfg.github.api_url,
                &cfg.repository.owner,
                &cfg.repository.name,
            ));
            let job = compile::CompileJob {
                pipeline: &cfg.pipeline,
                git_url: &git_url,
                head_sha: &sha,
                pr,
                build_id,
                repository: &cfg.repository.full_name(),
                namespace: &namespace,
                git_secret: cfg.image_builder.git_secret.as_deref(),
            };
            step(Step::Compile {
                pipeline_path: cfg.pipeline.pipeline_path.clone(),
                sha7: sha7.clone(),
                pod: job.pod_name(),
            });
            compile::compile(b, cfg, &job, emit).await?
        }
    };

    let template_path = &cfg.image_builder.pod_template_path;
    let template = if cfg.image_builder.images.is_empty() {
        None
    } else {
        step(Step::ReadPodTemplate {
            path: template_path.clone(),
            sha7: sha7.clone(),
        });
        let bytes = b
            .github
            .file_at(template_path, &sha)
            .await
            .map_err(ActionError::backend("read the Kaniko pod template"))?;
        Some(kaniko::parse_template(&bytes).map_err(|e| {
            ActionError::new(
                "read the Kaniko pod template",
                format!("{template_path}: {e}"),
            )
        })?)
    };

    let name = &cfg.pipeline.name;
    step(Step::UploadPipeline { name: name.clone() });
    let upload = "upload the pipeline";
    let (pipeline_id, version_id) = match b
        .kfp
        .find_pipeline(name)
        .await
        .map_err(ActionError::backend(upload))?
    {
        None => {
            let p = b
                .kfp
                .upload_pipeline(name, &cfg.pipeline.description, package)
                .await
                .map_err(ActionError::backend(upload))?;
            let versions = b
                .kfp
                .list_versions(&p.pipeline_id)
                .await
                .map_err(ActionError::backend(upload))?;
            let v = versions.into_iter().next().ok_or_else(|| {
                ActionError::new(upload, "KFP created the pipeline without a version")
            })?;
            (p.pipeline_id, v.pipeline_version_id)
        }
        Some(p) => {
            let step_name = "upload the pipeline version";
            let (version_name, description) =
                version_texts(cfg, pr, &sha).map_err(|e| ActionError::new(step_name, e))?;
            let v = b
                .kfp
                .upload_described_version(&p.pipeline_id, &version_name, &description, package)
                .await
                .map_err(ActionError::backend(step_name))?;
            (p.pipeline_id, v.pipeline_version_id)
        }
    };
    step(Step::VersionUploaded {
        version_id: version_id.clone(),
    });

    let images = match template {
        None => Vec::new(),
        Some(template) => {
            let build_id = build_id.as_deref().unwrap_or(&version_id);
            let ids = (version_id.as_str(), build_id);
            build_images(b, cfg, pr, &sha, ids, &template, emit).await?
        }
    };

    step(Step::PostBuildComment);
    let url = b.kfp.ui_url_for_version(&pipeline_id, &version_id);
    b.github
        .post_comment(
            pr,
            &comments::build_succeeded(url.as_deref(), &version_id, build_only),
        )
        .await
        .map_err(ActionError::backend("post the build comment"))?;
    Ok(BuildOutput {
        pipeline_id,
        version_id,
        images,
    })
}

/// Creates every Kaniko pod at once and waits until all have ended.
async fn build_images(
    b: &Backends,
    cfg: &Config,
    pr: u64,
    sha: &str,
    (version_id, build_id): (&str, &str),
    template: &k8s_openapi::api::core::v1::Pod,
    emit: &(dyn Fn(ActionEvent) + Send + Sync),
) -> Result<Vec<(String, String)>, ActionError> {
    let step_name = "build the images";
    let registry = cfg.image_builder.registry.as_deref().unwrap_or_default();
    let git_repo = kaniko::git_repo_url(
        &cfg.github.api_url,
        &cfg.repository.owner,
        &cfg.repository.name,
    );
    let namespace = b.cluster.namespace().to_string();
    let mut pods = Vec::new();
    for image in &cfg.image_builder.images {
        let build = ImageBuild {
            image,
            registry,
            insecure: cfg.image_builder.insecure,
            git_repo: &git_repo,
            head_sha: sha,
            version_id,
            pr,
            namespace: &namespace,
            context: cfg.image_builder.context,
            git_image: &cfg.image_builder.git_image,
            git_secret: cfg.image_builder.git_secret.as_deref(),
        };
        let mut pod = kaniko::pod_for(template, &build)
            .map_err(|e| ActionError::new(step_name, format!("{}: {e}", image.name)))?;
        // The compile pod's build ID (the version ID unless compiled): one build in the pane.
        if let Some(l) = pod.metadata.labels.as_mut() {
            l.insert(build_labels::BUILD_ID.into(), build_id.to_string());
        }
        pods.push((image.name.clone(), build.destination(), pod));
    }
    emit(ActionEvent::Step {
        pr,
        step: Step::StartImageBuilds {
            pods: pods.len(),
            namespace: namespace.clone(),
        },
    });
    // The watch starts before the pods exist so no phase change is missed.
    let selector = format!(
        "{}={},{}={}",
        build_labels::PR,
        pr,
        build_labels::BUILD_ID,
        pods.first()
            .and_then(|(_, _, p)| p.metadata.labels.as_ref())
            .and_then(|l| l.get(build_labels::BUILD_ID).cloned())
            .unwrap_or_default()
    );
    let mut watch = Box::pin(b.cluster.watch_pods(&selector));
    try_join_all(pods.iter().map(|(image, _, pod)| async move {
        b.cluster
            .create_pod(pod)
            .await
            .map_err(|e| ActionError::new(step_name, format!("{image}: {e}")))
    }))
    .await?;

    let by_pod: BTreeMap<String, String> = pods
        .iter()
        .map(|(image, _, pod)| (pod.metadata.name.clone().unwrap_or_default(), image.clone()))
        .collect();
    let mut phases: BTreeMap<String, String> = BTreeMap::new();
    for pod_name in by_pod.keys() {
        report(
            emit,
            pr,
            &by_pod,
            &namespace,
            (version_id, build_id),
            pod_name,
            "Pending",
            &mut phases,
        );
    }
    let wait = async {
        while let Some(ev) = watch.next().await {
            let pod = match ev {
                Ok(PodEvent::Applied(p)) => p,
                Ok(_) => continue,
                Err(e) => {
                    emit(ActionEvent::Step {
                        pr,
                        step: Step::PodWatchRetry {
                            error: e.to_string(),
                        },
                    });
                    continue;
                }
            };
            let name = pod.metadata.name.clone().unwrap_or_default();
            let phase = pod
                .status
                .as_ref()
                .and_then(|s| s.phase.clone())
                .unwrap_or_default();
            if by_pod.contains_key(&name) && !phase.is_empty() {
                report(
                    emit,
                    pr,
                    &by_pod,
                    &namespace,
                    (version_id, build_id),
                    &name,
                    &phase,
                    &mut phases,
                );
            }
            let ended = phases.values().filter(|p| is_terminal(p)).count();
            if ended == by_pod.len() {
                break;
            }
        }
        phases.clone()
    };
    let phases = tokio::time::timeout(BUILD_TIMEOUT, wait)
        .await
        .map_err(|_| {
            ActionError::new(
                step_name,
                format!(
                    "the image builds did not finish within {} minutes",
                    BUILD_TIMEOUT.as_secs() / 60
                ),
            )
        })?;
    let failed: Vec<String> = phases
        .iter()
        .filter(|(_, phase)| phase.as_str() != "Succeeded")
        .map(|(pod, phase)| {
            let image = by_pod.get(pod).cloned().unwrap_or_default();
            format!("{image} (pod {pod}: {phase})")
        })
        .collect();
    if !failed.is_empty() {
        return Err(ActionError::new(
            step_name,
            format!("image build failed: {}", failed.join(", ")),
        ));
    }
    Ok(pods
        .into_iter()
        .map(|(image, dest, _)| (image, dest))
        .collect())
}

fn is_terminal(phase: &str) -> bool {
    matches!(phase, "Succeeded" | "Failed")
}

/// Emits a phase change (only when it changed).
#[allow(clippy::too_many_arguments)]
fn report(
    emit: &(dyn Fn(ActionEvent) + Send + Sync),
    pr: u64,
    by_pod: &BTreeMap<String, String>,
    namespace: &str,
    (version_id, build_id): (&str, &str),
    pod: &str,
    phase: &str,
    phases: &mut BTreeMap<String, String>,
) {
    if phases.get(pod).map(String::as_str) == Some(phase) {
        return;
    }
    phases.insert(pod.to_string(), phase.to_string());
    emit(ActionEvent::BuildPod {
        pr,
        image: by_pod.get(pod).cloned().unwrap_or_default(),
        pod: PodRef {
            namespace: namespace.to_string(),
            name: pod.to_string(),
            container: None,
        },
        version_id: version_id.to_string(),
        build_id: build_id.to_string(),
        phase: phase.to_string(),
    });
}

/// The new version's name and description from `pipeline.version_name` and
/// `pipeline.version_description`. `{kfops_time}` is Kfops' `'%d %h %H:%M:%s, %Y'` (its `%s`
/// is glibc's seconds since the epoch; bartgras/kfops, package/kfops/pipeline_manager.py).
fn version_texts(cfg: &Config, pr: u64, sha: &str) -> Result<(String, String), String> {
    let now = Utc::now();
    let value = |name: &str| -> Result<String, String> {
        Ok(match name {
            "pipeline" => cfg.pipeline.name.clone(),
            "pr" => pr.to_string(),
            "sha" => sha.to_string(),
            "sha7" => sha.chars().take(7).collect(),
            "timestamp" => now.format("%Y%m%d%H%M%S%3f").to_string(),
            "kfops_time" => now.format("%d %h %H:%M:%s, %Y").to_string(),
            other => return Err(format!("unknown placeholder `{{{other}}}`")),
        })
    };
    let name = version_template::render(&cfg.pipeline.version_name, value)?;
    let description = version_template::render(&cfg.pipeline.version_description, value)?;
    Ok((name, description))
}
