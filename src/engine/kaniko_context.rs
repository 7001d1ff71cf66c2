//! The build context of a Kaniko pod, as the original Kfops lays it out.
//!
//! Kfops (`package/kfops/s3.py` `tgz_upload_folders` and `image_builder.py` in
//! github.com/bartgras/kfops) tars the image's Dockerfile folder at the archive root
//! (`arcname=''`), adds each of `other_folders_path` under its last path segment
//! (`arcname=os.path.basename(folder)`), leaves out `__pycache__`, and runs Kaniko with
//! `--dockerfile=Dockerfile --context=tar:///context/<file>` after an init container fetched
//! the tar from MinIO. Here the same folder is assembled in the cluster without MinIO: an init
//! container (`image_builder.git_image`) fetches the PR's head commit into an `emptyDir` and
//! copies the folders, then Kaniko builds `--context=dir:///workspace/context` (Kaniko's local
//! directory context, README "kaniko Build Contexts").
//!
//! Private repositories: `GIT_USERNAME` / `GIT_PASSWORD` come from the Secret named by
//! `image_builder.git_secret` (keys `username` and `password`, the layout of a
//! `kubernetes.io/basic-auth` Secret, kubernetes.io/docs/concepts/configuration/secret) through
//! `secretKeyRef`, so the token is never in the pod spec, its args or a log. They are the
//! variables Kaniko's own git context reads (`pkg/buildcontext/git.go` in
//! GoogleContainerTools/kaniko), so the `repository` layout gets them too.

use super::events::ActionError;
use crate::backends::cluster::Cluster;
use k8s_openapi::api::core::v1::{
    Container, EmptyDirVolumeSource, EnvVar, EnvVarSource, SecretKeySelector, Volume, VolumeMount,
};

/// The init container that assembles the context, and its volume.
pub const CONTEXT_CONTAINER: &str = "kfops-context";
/// Where the volume is mounted in both containers.
pub const WORKSPACE: &str = "/workspace";
/// The assembled context (the Dockerfile folder's files at its root).
pub const CONTEXT_DIR: &str = "/workspace/context";
/// The Secret's keys (a `kubernetes.io/basic-auth` Secret has these).
pub const SECRET_KEYS: [&str; 2] = ["username", "password"];

/// The lines of a fetching init container's script that hand git the password of
/// `image_builder.git_secret` (`GIT_USERNAME` / `GIT_PASSWORD` from [`credential_env`])
/// through a credential helper, only when there is one: the token is never in the script or
/// the spec. Shared by the context's init container and the compile pod's checkout.
macro_rules! git_credentials {
    () => {
        r#"if [ -n "${GIT_PASSWORD:-}" ]; then
  git config --global credential.helper '!f() { echo "username=${GIT_USERNAME:-git}"; echo "password=${GIT_PASSWORD}"; }; f'
fi
"#
    };
}
pub(crate) use git_credentials;

/// The init container's program. Its inputs are environment variables, never interpolated
/// into the script, so paths need no quoting and the token stays out of the spec: git reads
/// it through a credential helper when it asks for a password. It ends by listing the
/// context's files, so the log shows what Kaniko was given.
pub const ASSEMBLE_SCRIPT: &str = concat!(
    "set -eu\n",
    git_credentials!(),
    r#"git init -q /workspace/repo
cd /workspace/repo
git remote add origin "$KFOPS_GIT_URL"
echo "fetching $KFOPS_GIT_URL at $KFOPS_COMMIT"
git fetch -q --depth=1 origin "$KFOPS_COMMIT"
git checkout -q FETCH_HEAD
mkdir -p /workspace/context
cp -a "$KFOPS_DOCKERFILE_FOLDER/." /workspace/context/
printf '%s\n' "$KFOPS_OTHER_FOLDERS" | while IFS= read -r folder; do
  [ -n "$folder" ] || continue
  folder="${folder%/}"
  cp -a "$folder" "/workspace/context/$(basename "$folder")"
done
find /workspace/context -name __pycache__ -prune -exec rm -rf {} +
echo "build context:"
cd /workspace/context && find . -type f | sed 's#^\./#  #' | sort
"#
);

/// Where the context of one image comes from.
#[derive(Debug, Clone)]
pub struct ContextSource<'a> {
    /// `git://HOST/OWNER/REPO.git`
    pub git_repo: &'a str,
    pub head_sha: &'a str,
    pub dockerfile_folder: &'a str,
    pub other_folders: &'a [String],
    pub git_image: &'a str,
    pub git_secret: Option<&'a str>,
}

/// `git://HOST/OWNER/REPO.git` → `https://HOST/OWNER/REPO.git` (what Kaniko's git context
/// fetches too: `GIT_PULL_METHOD` defaults to https).
/// Any other URL is kept as it is. The compile pod's checkout clones the same URL.
pub fn https_url(git_repo: &str) -> String {
    match git_repo.strip_prefix("git://") {
        Some(rest) => format!("https://{rest}"),
        None => git_repo.to_string(),
    }
}

/// `GIT_USERNAME` / `GIT_PASSWORD` from the Secret's keys (none without a Secret).
pub fn credential_env(secret: Option<&str>) -> Vec<EnvVar> {
    let Some(secret) = secret else {
        return Vec::new();
    };
    [
        ("GIT_USERNAME", SECRET_KEYS[0]),
        ("GIT_PASSWORD", SECRET_KEYS[1]),
    ]
    .into_iter()
    .map(|(name, key)| EnvVar {
        name: name.to_owned(),
        value: None,
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: secret.to_owned(),
                key: key.to_owned(),
                optional: None,
            }),
            ..Default::default()
        }),
    })
    .collect()
}

fn plain(name: &str, value: String) -> EnvVar {
    EnvVar {
        name: name.to_owned(),
        value: Some(value),
        value_from: None,
    }
}

fn mount() -> VolumeMount {
    VolumeMount {
        name: CONTEXT_CONTAINER.to_owned(),
        mount_path: WORKSPACE.to_owned(),
        ..Default::default()
    }
}

/// The init container assembling the context.
pub fn init_container(src: &ContextSource<'_>) -> Container {
    let mut env = vec![
        plain("KFOPS_GIT_URL", https_url(src.git_repo)),
        plain("KFOPS_COMMIT", src.head_sha.to_owned()),
        plain(
            "KFOPS_DOCKERFILE_FOLDER",
            src.dockerfile_folder.trim_end_matches('/').to_owned(),
        ),
        plain("KFOPS_OTHER_FOLDERS", src.other_folders.join("\n")),
    ];
    env.extend(credential_env(src.git_secret));
    Container {
        name: CONTEXT_CONTAINER.to_owned(),
        image: Some(src.git_image.to_owned()),
        command: Some(vec!["sh".to_owned(), "-c".to_owned()]),
        args: Some(vec![ASSEMBLE_SCRIPT.to_owned()]),
        env: Some(env),
        volume_mounts: Some(vec![mount()]),
        ..Default::default()
    }
}

/// Adds the init container and its `emptyDir` to the pod and mounts it in `kaniko`
/// (replacing a template's own container, volume or mount of the same name).
pub fn attach(
    init: &mut Option<Vec<Container>>,
    volumes: &mut Option<Vec<Volume>>,
    kaniko: &mut Container,
    container: Container,
) {
    let init = init.get_or_insert_with(Vec::new);
    init.retain(|c| c.name != CONTEXT_CONTAINER);
    init.push(container);
    let volumes = volumes.get_or_insert_with(Vec::new);
    volumes.retain(|v| v.name != CONTEXT_CONTAINER);
    volumes.push(Volume {
        name: CONTEXT_CONTAINER.to_owned(),
        empty_dir: Some(EmptyDirVolumeSource::default()),
        ..Default::default()
    });
    let mounts = kaniko.volume_mounts.get_or_insert_with(Vec::new);
    mounts.retain(|m| m.name != CONTEXT_CONTAINER && m.mount_path != WORKSPACE);
    mounts.push(mount());
}

/// Adds the credential variables to a container (Kaniko's git context reads them).
pub fn add_credentials(container: &mut Container, secret: Option<&str>) {
    let extra = credential_env(secret);
    if extra.is_empty() {
        return;
    }
    let env = container.env.get_or_insert_with(Vec::new);
    env.retain(|e| !extra.iter().any(|x| x.name == e.name));
    env.extend(extra);
}

/// The step a missing or incomplete Secret fails.
pub const SECRET_STEP: &str = "check the git credentials";

/// Checks, before anything is created, that the Secret exists in the build namespace with
/// both keys: a missing one would leave every pod waiting in `CreateContainerConfigError`.
pub async fn check_secret(cluster: &Cluster, secret: &str) -> Result<(), ActionError> {
    let namespace = cluster.namespace();
    let keys = cluster
        .secret_keys(secret)
        .await
        .map_err(ActionError::backend(SECRET_STEP))?
        .ok_or_else(|| {
            ActionError::new(
                SECRET_STEP,
                format!(
                    "secret {secret} (image_builder.git_secret) does not exist in namespace \
                     {namespace}: create it with keys `username` and `password` (a token that \
                     can read the repository), e.g. `kubectl -n {namespace} create secret \
                     generic {secret} --from-literal=username=... --from-literal=password=...`"
                ),
            )
        })?;
    let missing: Vec<&str> = SECRET_KEYS
        .into_iter()
        .filter(|k| !keys.iter().any(|have| have == k))
        .collect();
    if !missing.is_empty() {
        return Err(ActionError::new(
            SECRET_STEP,
            format!(
                "secret {secret} in namespace {namespace} has no key {}: it needs `username` and \
                 `password`",
                missing.join(", ")
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_init_container_gets_paths_as_variables_and_the_token_by_reference() {
        let others = vec!["containers/lib/".to_owned(), "shared".to_owned()];
        let c = init_container(&ContextSource {
            git_repo: "git://github.com/acme/model.git",
            head_sha: "abc123",
            dockerfile_folder: "containers/trainer/",
            other_folders: &others,
            git_image: "alpine/git:2.45.2",
            git_secret: Some("git-creds"),
        });
        let env = c.env.unwrap();
        let value = |n: &str| {
            env.iter()
                .find(|e| e.name == n)
                .and_then(|e| e.value.clone())
        };
        assert_eq!(
            value("KFOPS_GIT_URL").as_deref(),
            Some("https://github.com/acme/model.git")
        );
        assert_eq!(
            value("KFOPS_DOCKERFILE_FOLDER").as_deref(),
            Some("containers/trainer")
        );
        assert_eq!(
            value("KFOPS_OTHER_FOLDERS").as_deref(),
            Some("containers/lib/\nshared")
        );
        let password = env.iter().find(|e| e.name == "GIT_PASSWORD").unwrap();
        assert_eq!(password.value, None);
        let key = password
            .value_from
            .as_ref()
            .and_then(|v| v.secret_key_ref.as_ref())
            .unwrap();
        assert_eq!(
            (key.name.as_str(), key.key.as_str()),
            ("git-creds", "password")
        );
        // The script reads variables only: no path or secret is written into it.
        assert!(!c.args.unwrap()[0].contains("containers/"));
    }
}
