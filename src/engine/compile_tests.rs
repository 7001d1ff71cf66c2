use super::*;

fn pipeline() -> PipelineConfig {
    PipelineConfig {
        pipeline_path: "pipeline/pipeline.py".into(),
        pipeline_function_name: Some("iris_pipeline".into()),
        compile_image: "ghcr.io/acme/kfp-compiler:2.7.0".into(),
        ..PipelineConfig::default()
    }
}

#[test]
fn the_pod_checks_out_the_head_compiles_and_is_labelled_as_a_build_pod() {
    let p = pipeline();
    let job = CompileJob {
        pipeline: &p,
        git_url: "https://github.com/acme/model.git",
        head_sha: "abc1234def",
        pr: 42,
        build_id: "261208014512123-abc1234",
        repository: "acme/model",
        namespace: "kfops",
        git_secret: None,
    };
    let pod = pod_for(&job);
    assert_eq!(
        pod.metadata.name.as_deref(),
        Some("kfops-compile-pr42-261208014512123-abc1234")
    );
    let l = pod.metadata.labels.clone().unwrap_or_default();
    assert_eq!(l[labels::COMPONENT], labels::COMPONENT_BUILD);
    assert_eq!(l[labels::IMAGE], COMPILE_IMAGE);
    assert_eq!(l[labels::BUILD_ID], "261208014512123-abc1234");
    assert_eq!(l[labels::REPOSITORY], "acme.model");
    let spec = pod.spec.unwrap_or_default();
    let init = &spec.init_containers.unwrap_or_default()[0];
    let init_env = init.env.clone().unwrap_or_default();
    assert!(init_env
        .iter()
        .any(|e| e.name == "KFOPS_GIT_REVISION" && e.value.as_deref() == Some("abc1234def")));
    let c = &spec.containers[0];
    assert_eq!(c.image.as_deref(), Some("ghcr.io/acme/kfp-compiler:2.7.0"));
    let script = &c.command.clone().unwrap_or_default()[2];
    assert!(script.contains("kfp dsl compile"), "{script}");
    assert!(script.contains(PACKAGE_BEGIN) && script.contains(PACKAGE_END));
    let env = c.env.clone().unwrap_or_default();
    assert!(env.iter().any(
        |e| e.name == "KFOPS_PIPELINE_FUNCTION" && e.value.as_deref() == Some("iris_pipeline")
    ));
}

#[test]
fn the_package_is_read_between_the_markers() {
    let yaml = "pipelineInfo:\n  name: x\nroot: {}\n";
    let encoded = base64::engine::general_purpose::STANDARD.encode(yaml);
    let (a, b) = encoded.split_at(10);
    let lines: Vec<String> = ["compiling", PACKAGE_BEGIN, a, b, PACKAGE_END]
        .iter()
        .map(|s| (*s).to_string())
        .collect();
    assert_eq!(package_from_log(&lines).as_deref(), Ok(yaml.as_bytes()));
    assert!(package_from_log(&lines[..4]).unwrap_err().contains("cut"));
    assert!(package_from_log(&lines[..1])
        .unwrap_err()
        .contains("no package"));
}

#[test]
fn a_failure_keeps_the_last_lines_only() {
    let lines: Vec<String> = (0..100).map(|i| format!("line {i}")).collect();
    let tail = error_tail(&lines);
    assert_eq!(tail.lines().count(), ERROR_TAIL_LINES);
    assert!(tail.ends_with("line 99"));
    let long = error_tail(&["é".repeat(ERROR_LINE_CHARS + 5)]);
    assert_eq!(
        long.chars().count(),
        ERROR_LINE_CHARS + 1,
        "cut, with an ellipsis"
    );
    assert_eq!(
        crate::engine::kaniko_context::https_url("git://github.com/a/b.git"),
        "https://github.com/a/b.git"
    );
    assert_eq!(
        crate::engine::kaniko_context::https_url("https://ghe.example/a/b.git"),
        "https://ghe.example/a/b.git"
    );
}
