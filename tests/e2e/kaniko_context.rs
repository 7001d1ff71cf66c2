//! `/build` with a Kfops-layout repository (Dockerfiles in their folders, `other_folders`):
//! each Kaniko pod's context is what Kfops' tar would hold (the Dockerfile folder's files at the
//! root, each other folder under its last path segment, no `__pycache__`), assembled in the
//! cluster by an init container; a private repository needs the named Secret.

use k8s_openapi::api::core::v1::Pod;
use kfops_console::config::{BuildContext, Config, ImageConfig};
use kfops_console::domain::build_labels;
use kfops_console::engine::kaniko_context::{CONTEXT_CONTAINER, SECRET_STEP};
use kfops_sim::kube::SecretScenario;
use kfops_sim::{Scenario, Simulator};

use crate::build_flow::{assert_parallel, build, build_pods, fast_scenario, setup};
use crate::safety::mutating;

const TRAINER_DOCKERFILE: &str = "FROM python:3.11-slim\nWORKDIR /app\nCOPY requirements.txt .\n\
RUN pip install --no-cache-dir -r requirements.txt\nCOPY lib /app/lib\nCOPY train.py .\n";
const SERVER_DOCKERFILE: &str =
    "FROM kserve/sklearnserver:v0.20.0\nCOPY lib /srv/lib\nCOPY app.py /srv/app.py\n";

/// The demo world with a public repository laid out as Kfops' docs show it.
fn kfops_layout() -> Scenario {
    let mut s = fast_scenario();
    s.github.repository.private = false;
    s.kube.secrets.clear();
    for (path, content) in [
        ("containers/trainer/Dockerfile", TRAINER_DOCKERFILE),
        (
            "containers/trainer/requirements.txt",
            "scikit-learn==1.5.2\n",
        ),
        ("containers/trainer/train.py", "print('train')\n"),
        ("containers/server/Dockerfile", SERVER_DOCKERFILE),
        ("containers/server/app.py", "print('serve')\n"),
        ("containers/lib/features.py", "X = 1\n"),
        (
            "containers/lib/__pycache__/features.cpython-311.pyc",
            "junk",
        ),
        ("pipeline/pipeline.py", "# the pipeline\n"),
    ] {
        s.github.files.insert(path.to_owned(), content.to_owned());
    }
    s
}

/// The images of the layout above, as a Kfops `config.yaml` lists them; no git credentials.
fn kfops_images(cfg: &mut Config) {
    cfg.image_builder.git_secret = None;
    cfg.image_builder.images = vec![
        ImageConfig {
            name: "trainer".into(),
            dockerfile_folder: "containers/trainer".into(),
            other_folders: vec!["containers/lib".into()],
        },
        ImageConfig {
            name: "server".into(),
            dockerfile_folder: "containers/server/".into(),
            other_folders: vec!["containers/lib/".into()],
        },
    ];
}

fn log(sim: &Simulator, pod: &Pod, container: &str) -> Vec<String> {
    let name = pod.metadata.name.clone().unwrap_or_default();
    sim.kube().read(|s| {
        s.log("kfops", &name, container)
            .map(|lines| lines.iter().map(|(_, t)| t.clone()).collect())
            .unwrap_or_default()
    })
}

fn image_of(pod: &Pod) -> String {
    pod.metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(build_labels::IMAGE).cloned())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_kfops_layout_repository_builds_each_image_from_its_folder_with_other_folders() {
    let (sim, mut cfg, backends) = setup(kfops_layout()).await;
    kfops_images(&mut cfg);
    assert_eq!(
        cfg.image_builder.context,
        BuildContext::Kfops,
        "the default"
    );
    build(&backends, &cfg, 42, &|_| {}).await.unwrap();
    let head = sim.github().pull(42).unwrap().head_sha;

    let pods = build_pods(&sim, 42);
    assert_eq!(pods.len(), 2);
    for pod in &pods {
        let image = image_of(pod);
        let spec = pod.spec.clone().unwrap();
        let kaniko = &spec.containers[0];
        let args = kaniko.args.clone().unwrap();
        assert!(
            args.contains(&"--dockerfile=Dockerfile".to_owned()),
            "{args:?}"
        );
        assert!(
            args.contains(&"--context=dir:///workspace/context".to_owned()),
            "{args:?}"
        );
        // The init container fetches the PR head.
        let init = spec.init_containers.clone().unwrap();
        let env = init[0].env.clone().unwrap();
        let commit = env.iter().find(|e| e.name == "KFOPS_COMMIT").unwrap();
        assert_eq!(commit.value.as_deref(), Some(head.as_str()));
        assert_eq!(
            pod.status.as_ref().unwrap().phase.as_deref(),
            Some("Succeeded"),
            "{image}"
        );

        // The context is Kfops' tar: the folder's files at the root, lib/ copied in.
        let context: Vec<String> = log(&sim, pod, CONTEXT_CONTAINER)
            .into_iter()
            .skip_while(|l| l != "build context:")
            .skip(1)
            .map(|l| l.trim().to_owned())
            .collect();
        let expected: &[&str] = match image.as_str() {
            "trainer" => &[
                "Dockerfile",
                "lib/features.py",
                "requirements.txt",
                "train.py",
            ],
            "server" => &["Dockerfile", "app.py", "lib/features.py"],
            other => panic!("unexpected image {other}"),
        };
        assert_eq!(context, expected, "{image}");

        // Kaniko built that folder's Dockerfile from the context root.
        let kaniko_log = log(&sim, pod, &kaniko.name).join("\n");
        let copy = if image == "trainer" {
            "COPY lib /app/lib"
        } else {
            "COPY lib /srv/lib"
        };
        assert!(kaniko_log.contains(copy), "{image}: {kaniko_log}");
        assert!(kaniko_log.contains("Pushing image to"), "{kaniko_log}");
    }

    // In parallel: both created before either finished.
    assert_parallel(&sim, &pods);
    sim.shutdown().await;
}

fn private(mut s: Scenario) -> Scenario {
    s.github.repository.private = true;
    s
}

fn git_secret(namespace: &str) -> SecretScenario {
    SecretScenario {
        namespace: namespace.into(),
        name: "git-credentials".into(),
        data: [
            ("username".to_owned(), "kfops-bot".to_owned()),
            ("password".to_owned(), "ghp_simulated_git_token".to_owned()),
        ]
        .into(),
    }
}

#[tokio::test]
async fn a_private_repository_without_the_named_secret_fails_before_anything_is_created() {
    let (sim, mut cfg, backends) = setup(private(kfops_layout())).await;
    kfops_images(&mut cfg);
    cfg.image_builder.git_secret = Some("git-credentials".into());
    let before = mutating(&sim);
    let err = build(&backends, &cfg, 42, &|_| {}).await.unwrap_err();
    assert_eq!(err.step, SECRET_STEP);
    assert!(
        err.message.contains("secret git-credentials") && err.message.contains("namespace kfops"),
        "{}",
        err.message
    );
    assert!(build_pods(&sim, 42).is_empty(), "no pod was created");
    // Nothing was uploaded or created: the only write is the failure comment on the PR.
    let writes: Vec<String> = mutating(&sim).split_off(before.len());
    assert_eq!(writes.len(), 1, "{writes:?}");
    assert!(
        writes[0].starts_with("POST") && writes[0].ends_with("/issues/42/comments"),
        "{writes:?}"
    );
    let comment = sim.github().comments(42).last().unwrap().body.clone();
    assert!(comment.contains("git-credentials"), "{comment}");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_private_repository_builds_with_the_secret_and_its_pods_fail_to_fetch_without_one() {
    let mut scenario = private(kfops_layout());
    scenario.kube.secrets.push(git_secret("kfops"));
    let (sim, mut cfg, backends) = setup(scenario).await;
    kfops_images(&mut cfg);

    // Without credentials git cannot read the repository: the pods fail, no image is pushed.
    let err = build(&backends, &cfg, 42, &|_| {}).await.unwrap_err();
    assert!(
        err.message.contains("image build failed"),
        "{}",
        err.message
    );
    for pod in build_pods(&sim, 42) {
        let fetch = log(&sim, &pod, CONTEXT_CONTAINER).join("\n");
        assert!(fetch.contains("could not read Username"), "{fetch}");
        let kaniko = pod.spec.as_ref().unwrap().containers[0].name.clone();
        assert!(log(&sim, &pod, &kaniko).is_empty(), "Kaniko never built");
    }

    // With the Secret named, the token reaches git by reference only.
    cfg.image_builder.git_secret = Some("git-credentials".into());
    build(&backends, &cfg, 41, &|_| {}).await.unwrap();
    let pods = build_pods(&sim, 41);
    assert_eq!(pods.len(), 2);
    for pod in &pods {
        assert_eq!(
            pod.status.as_ref().unwrap().phase.as_deref(),
            Some("Succeeded")
        );
        let spec = serde_json::to_string(pod).unwrap();
        assert!(
            !spec.contains("ghp_simulated_git_token"),
            "the token is in the pod"
        );
        assert!(spec.contains("\"secretKeyRef\""), "{spec}");
    }
    sim.shutdown().await;
}
