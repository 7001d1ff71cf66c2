//! One Kaniko pod per image, from the repository's pod template: Kfops sets the Dockerfile, the
//! build context (the PR's head commit) and the destination `REGISTRY/NAME:VERSION_ID`. The
//! context is laid out as Kfops lays it out (`kaniko_context.rs`) or, with
//! `image_builder.context = "repository"`, is the whole repository (Kaniko's git context).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Pod;

use super::kaniko_context::{self as context, ContextSource, CONTEXT_DIR};
use crate::config::{BuildContext, ImageConfig};
use crate::domain::build_labels as labels;

/// What one image build needs.
#[derive(Debug, Clone)]
pub struct ImageBuild<'a> {
    pub image: &'a ImageConfig,
    pub registry: &'a str,
    pub insecure: bool,
    /// `git://github.com/OWNER/REPO.git`
    pub git_repo: &'a str,
    pub head_sha: &'a str,
    pub version_id: &'a str,
    pub pr: u64,
    pub namespace: &'a str,
    /// The context's layout (`image_builder.context`).
    pub context: BuildContext,
    /// The init container's image (`image_builder.git_image`).
    pub git_image: &'a str,
    /// The Secret with the git credentials (`image_builder.git_secret`).
    pub git_secret: Option<&'a str>,
}

impl ImageBuild<'_> {
    /// `REGISTRY/NAME:VERSION_ID`: the image tag is the pipeline version ID.
    pub fn destination(&self) -> String {
        format!(
            "{}/{}:{}",
            self.registry.trim_end_matches('/'),
            self.image.name,
            self.version_id
        )
    }

    /// The pod's name: `kfops-build-pr42-trainer-1a2b3c4d` (a DNS-1123 label, ≤ 63 chars).
    pub fn pod_name(&self) -> String {
        let image: String = self
            .image
            .name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        let version: String = self
            .version_id
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(8)
            .collect::<String>()
            .to_ascii_lowercase();
        let prefix = format!("kfops-build-pr{}-", self.pr);
        let room = 63usize.saturating_sub(prefix.len() + version.len() + 1);
        let image: String = image.chars().take(room).collect();
        format!("{prefix}{}-{version}", image.trim_matches('-'))
    }
}

/// The args Kfops owns; the template's own values for them are replaced.
const OWNED_ARGS: [&str; 4] = ["--dockerfile", "--context", "--destination", "--insecure"];

/// Parses the pod template (YAML).
pub fn parse_template(yaml: &[u8]) -> Result<Pod, String> {
    serde_norway::from_slice::<Pod>(yaml).map_err(|e| format!("not a valid Pod: {e}"))
}

/// The pod for one image, from the template: name, namespace, labels, and the Kaniko
/// container's args (the first container whose image mentions kaniko, else the first one).
pub fn pod_for(template: &Pod, build: &ImageBuild<'_>) -> Result<Pod, String> {
    let mut pod = template.clone();
    pod.metadata.name = Some(build.pod_name());
    pod.metadata.generate_name = None;
    pod.metadata.namespace = Some(build.namespace.to_string());
    pod.metadata.resource_version = None;
    pod.metadata.uid = None;
    pod.status = None;
    let labels_map = pod.metadata.labels.get_or_insert_with(BTreeMap::new);
    labels_map.insert(labels::MANAGED_BY.into(), labels::MANAGED_BY_VALUE.into());
    labels_map.insert(labels::COMPONENT.into(), labels::COMPONENT_BUILD.into());
    labels_map.insert(labels::PR.into(), build.pr.to_string());
    let repo = build
        .git_repo
        .trim_start_matches("git://")
        .trim_end_matches(".git");
    let repo = repo.split_once('/').map_or(repo, |(_host, path)| path);
    labels_map.insert(labels::REPOSITORY.into(), labels::repository_value(repo));
    labels_map.insert(labels::IMAGE.into(), label_value(&build.image.name));
    labels_map.insert(labels::VERSION_ID.into(), label_value(build.version_id));
    labels_map.insert(labels::BUILD_ID.into(), label_value(build.version_id));
    let annotations = pod.metadata.annotations.get_or_insert_with(BTreeMap::new);
    annotations.insert("kfops.io/destination".into(), build.destination());
    annotations.insert("kfops.io/head-sha".into(), build.head_sha.to_string());
    if !build.image.other_folders.is_empty() {
        annotations.insert(
            "kfops.io/other-folders".into(),
            build.image.other_folders.join(","),
        );
    }
    let spec = pod
        .spec
        .as_mut()
        .ok_or_else(|| "the template has no spec".to_string())?;
    spec.restart_policy = Some("Never".into());
    let index = spec
        .containers
        .iter()
        .position(|c| c.image.as_deref().is_some_and(|i| i.contains("kaniko")))
        .or(if spec.containers.is_empty() {
            None
        } else {
            Some(0)
        })
        .ok_or_else(|| "the template has no container".to_string())?;
    let mut args: Vec<String> = spec.containers[index]
        .args
        .take()
        .unwrap_or_default()
        .into_iter()
        .filter(|a| {
            !OWNED_ARGS
                .iter()
                .any(|o| a == o || a.starts_with(&format!("{o}=")))
        })
        .collect();
    let folder = build.image.dockerfile_folder.trim_end_matches('/');
    match build.context {
        BuildContext::Kfops => {
            // As Kfops' `KanikoManifestBuilder`: the Dockerfile at the context root.
            args.push("--dockerfile=Dockerfile".into());
            args.push(format!("--context=dir://{CONTEXT_DIR}"));
            let init = context::init_container(&ContextSource {
                git_repo: build.git_repo,
                head_sha: build.head_sha,
                dockerfile_folder: folder,
                other_folders: &build.image.other_folders,
                git_image: build.git_image,
                git_secret: build.git_secret,
            });
            context::attach(
                &mut spec.init_containers,
                &mut spec.volumes,
                &mut spec.containers[index],
                init,
            );
        }
        BuildContext::Repository => {
            args.push(format!("--dockerfile={folder}/Dockerfile"));
            args.push(format!("--context={}#{}", build.git_repo, build.head_sha));
            context::add_credentials(&mut spec.containers[index], build.git_secret);
        }
    }
    args.push(format!("--destination={}", build.destination()));
    if build.insecure {
        args.push("--insecure".into());
    }
    let container = &mut spec.containers[index];
    container.args = Some(args);
    Ok(pod)
}

/// A label value: at most 63 characters of `[A-Za-z0-9._-]`.
fn label_value(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(63)
        .collect()
}

/// The Kaniko git context of the repository: `git://HOST/OWNER/REPO.git`, HOST from the GitHub
/// API URL (`api.github.com` → `github.com`; GitHub Enterprise `https://ghe/api/v3` → `ghe`).
pub fn git_repo_url(api_url: &str, owner: &str, repo: &str) -> String {
    let host = api_url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("github.com");
    let host = match host {
        "api.github.com" => "github.com",
        h if h.starts_with("127.") || h.starts_with("localhost") => "github.com",
        h => h,
    };
    format!("git://{host}/{owner}/{repo}.git")
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  generateName: kfops-kaniko-\n  labels:\n    team: ml\nspec:\n  containers:\n  - name: kaniko\n    image: gcr.io/kaniko-project/executor:v1.23.2\n    args:\n    - --dockerfile=x/Dockerfile\n    - --context=git://example/x.git\n    - --destination=old:latest\n    - --cache=true\n";

    #[test]
    fn pod_gets_kfops_args_labels_and_name() {
        let template = parse_template(TEMPLATE.as_bytes()).unwrap();
        let image = ImageConfig {
            name: "trainer".into(),
            dockerfile_folder: "images/trainer/".into(),
            other_folders: vec!["src".into()],
        };
        let build = ImageBuild {
            image: &image,
            registry: "registry.example/ml/",
            insecure: true,
            git_repo: "git://github.com/acme/model.git",
            head_sha: "abc123",
            version_id: "0f3c9a2e-1111-2222-3333-444455556666",
            pr: 42,
            namespace: "kfops",
            context: BuildContext::Repository,
            git_image: "alpine/git:2.45.2",
            git_secret: None,
        };
        let pod = pod_for(&template, &build).unwrap();
        assert_eq!(
            pod.metadata.name.as_deref(),
            Some("kfops-build-pr42-trainer-0f3c9a2e")
        );
        assert_eq!(pod.metadata.generate_name, None);
        let labels = pod.metadata.labels.unwrap();
        assert_eq!(labels["team"], "ml");
        assert_eq!(labels[labels::PR], "42");
        let args = pod.spec.unwrap().containers[0].args.clone().unwrap();
        assert_eq!(
            args,
            vec![
                "--cache=true",
                "--dockerfile=images/trainer/Dockerfile",
                "--context=git://github.com/acme/model.git#abc123",
                "--destination=registry.example/ml/trainer:0f3c9a2e-1111-2222-3333-444455556666",
                "--insecure",
            ]
        );
    }

    #[test]
    fn the_kfops_context_is_the_dockerfile_folder_assembled_by_an_init_container() {
        let template = parse_template(TEMPLATE.as_bytes()).unwrap();
        let image = ImageConfig {
            name: "trainer".into(),
            dockerfile_folder: "containers/trainer".into(),
            other_folders: vec!["containers/lib".into()],
        };
        let build = ImageBuild {
            image: &image,
            registry: "registry.example/ml",
            insecure: false,
            git_repo: "git://github.com/acme/model.git",
            head_sha: "abc123",
            version_id: "v1",
            pr: 7,
            namespace: "kfops",
            context: BuildContext::Kfops,
            git_image: "alpine/git:2.45.2",
            git_secret: Some("git-creds"),
        };
        let spec = pod_for(&template, &build).unwrap().spec.unwrap();
        let args = spec.containers[0].args.clone().unwrap();
        assert_eq!(
            args,
            vec![
                "--cache=true",
                "--dockerfile=Dockerfile",
                "--context=dir:///workspace/context",
                "--destination=registry.example/ml/trainer:v1",
            ]
        );
        let init = spec.init_containers.unwrap();
        assert_eq!(init.len(), 1);
        assert_eq!(init[0].name, context::CONTEXT_CONTAINER);
        let mounts = spec.containers[0].volume_mounts.clone().unwrap();
        assert_eq!(mounts[0].mount_path, context::WORKSPACE);
        assert!(spec.volumes.unwrap()[0].empty_dir.is_some());
    }

    #[test]
    fn git_context_host() {
        assert_eq!(
            git_repo_url("https://api.github.com", "a", "b"),
            "git://github.com/a/b.git"
        );
        assert_eq!(
            git_repo_url("https://ghe.corp/api/v3", "a", "b"),
            "git://ghe.corp/a/b.git"
        );
        assert_eq!(
            git_repo_url("http://127.0.0.1:1234/github", "a", "b"),
            "git://github.com/a/b.git"
        );
    }
}
