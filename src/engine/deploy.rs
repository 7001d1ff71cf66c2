//! `/deploy` and `/staging_deploy`, with Kfops' rules: the run ID from `--run-id` or the PR's
//! last `KFOPS_RUN_ID`; production refuses a PR that is behind its base unless forced; the
//! InferenceService comes from the repository's template with
//! `storageUri: s3://trained-models/<run_id>/`; the first deploy creates it, later ones replace
//! it with the new revision at 0% traffic, send the sample input to that revision (when one is
//! configured, [`sample_test`]) and only on HTTP 200 move all traffic to it; then wait for
//! Ready. Production then merges the PR (with the head SHA, so a moved head is refused) and
//! closes it. Only then the success comment and the `Deployed-to-*` label moved to this PR.
//! Any failure: a comment naming the step, no label moved, no merge.

use std::time::Duration;

use kube::api::DynamicObject;
use serde_json::{json, Value};

use super::events::{ActionError, ActionEvent, ActionKind};
use super::sample_test::{self, SampleTest};
use super::step::Step;
use super::{deploy_checks, revision, Backends};
use crate::backends::kserve::{self, ServiceState};
use crate::chatops::{read_var, DeployTarget, VAR_RUN_ID};
use crate::config::Config;
use crate::domain::{LABEL_PRODUCTION, LABEL_STAGING};

/// What to deploy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployRequest {
    pub target: DeployTarget,
    /// `None`: the PR's last `KFOPS_RUN_ID`.
    pub run_id: Option<String>,
    /// Deploy to production even when the PR is behind its base.
    pub force: bool,
    /// Deploy a run built for this other PR (the operator confirmed it explicitly); `force`
    /// never implies it.
    pub allow_run_of_pr: Option<u64>,
}

/// What a successful deploy did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployOutput {
    pub run_id: String,
    pub namespace: String,
    pub name: String,
    pub url: Option<String>,
    /// Production: the merge commit.
    pub merge_sha: Option<String>,
}

/// How often readiness is polled.
const POLL: Duration = Duration::from_millis(250);

/// The label a target's PR carries.
pub fn label_of(target: DeployTarget) -> &'static str {
    match target {
        DeployTarget::Production => LABEL_PRODUCTION,
        DeployTarget::Staging => LABEL_STAGING,
    }
}

/// The namespace of a target.
pub fn namespace_of(cfg: &Config, target: DeployTarget) -> &str {
    match target {
        DeployTarget::Production => &cfg.deployment.production.namespace,
        DeployTarget::Staging => &cfg.deployment.staging.namespace,
    }
}

/// Runs the deploy.
pub async fn deploy(
    b: &Backends,
    cfg: &Config,
    pr: u64,
    req: &DeployRequest,
    emit: &(dyn Fn(ActionEvent) + Send + Sync),
) -> Result<DeployOutput, ActionError> {
    let result = run_steps(b, cfg, pr, req, emit).await;
    // A refusal changed nothing: it posts no comment either.
    let action = ActionKind::Deploy(req.target);
    super::failure::comment_on_failure(&b.github, pr, action, &result).await;
    result
}

async fn run_steps(
    b: &Backends,
    cfg: &Config,
    pr: u64,
    req: &DeployRequest,
    emit: &(dyn Fn(ActionEvent) + Send + Sync),
) -> Result<DeployOutput, ActionError> {
    let step = |step: Step| emit(ActionEvent::Step { pr, step });
    let namespace = namespace_of(cfg, req.target).to_string();
    let name = cfg.deployment.inference_service_name.clone();

    step(Step::ReadComments { pr });
    let bodies = b
        .github
        .comment_bodies(pr)
        .await
        .map_err(ActionError::backend("find the run"))?;
    let run_id = match &req.run_id {
        Some(r) => r.clone(),
        None => read_var(bodies.iter().map(String::as_str), VAR_RUN_ID).ok_or_else(|| {
            ActionError::new(
                "find the run",
                format!("#{pr} has no completed run (no KFOPS_RUN_ID in its comments); run it first with /run"),
            )
        })?,
    };
    step(Step::CheckRun {
        run_id: run_id.clone(),
    });
    deploy_checks::check_run(b, cfg, pr, &run_id, &bodies, req.allow_run_of_pr).await?;
    let head_sha = deploy_checks::check_pull(b, pr, req.target, req.force, &step).await?;

    let template_path = &cfg.deployment.template_path;
    step(Step::ReadServiceTemplate {
        path: template_path.clone(),
    });
    let template = b
        .github
        .file_at(template_path, &head_sha)
        .await
        .map_err(ActionError::backend("read the InferenceService template"))?;
    let mut desired =
        inference_service(&template, &name, &namespace, &run_id, pr).map_err(|e| {
            ActionError::new(
                "read the InferenceService template",
                format!("{template_path}: {e}"),
            )
        })?;

    let timeout = Duration::from_secs(cfg.deployment.ready_timeout_seconds.max(1));
    let cluster = &b.cluster;
    sample_test::prepare(cfg, &mut desired);
    let mut sample = None;
    let existing = kserve::get(cluster, &namespace, &name)
        .await
        .map_err(ActionError::backend("read the InferenceService"))?;
    let already_serving = existing.as_ref().is_some_and(|current| {
        revision::unchanged(current, &desired)
            && revision::serving_fully(&ServiceState::of(current)).is_some()
    });
    let url = match existing {
        None => {
            step(Step::CreateService {
                namespace: namespace.clone(),
                name: name.clone(),
            });
            kserve::create(cluster, &namespace, &desired)
                .await
                .map_err(ActionError::backend("create the InferenceService"))?;
            let ready = wait_ready(b, &namespace, &name, timeout, None, &step).await?;
            ServiceState::of(&ready).url
        }
        Some(current) if already_serving => {
            // Re-deploying what serves (a retry after a failed merge): KServe makes no new
            // revision for an unchanged predictor, and a 0% canary over the rolled-out revision
            // would roll back to the previous one. Nothing to roll out; it must stay Ready.
            let state = ServiceState::of(&current);
            step(Step::AlreadyServing {
                run_id: run_id.clone(),
                namespace: namespace.clone(),
                name: name.clone(),
                revision: state.latest_ready.unwrap_or_default(),
            });
            let ready = wait_ready(b, &namespace, &name, timeout, None, &step).await?;
            ServiceState::of(&ready).url
        }
        Some(current) => {
            // An unchanged predictor gets no new revision (its latest one is tested instead).
            let previous = if revision::unchanged(&current, &desired) {
                None
            } else {
                ServiceState::of(&current).latest_ready
            };
            step(Step::ReplaceService {
                namespace: namespace.clone(),
                name: name.clone(),
            });
            desired.metadata.resource_version = current.metadata.resource_version.clone();
            desired.data["spec"]["predictor"]["canaryTrafficPercent"] = json!(0);
            kserve::replace(cluster, &namespace, &desired)
                .await
                .map_err(ActionError::backend("replace the InferenceService"))?;
            let ready =
                wait_ready(b, &namespace, &name, timeout, previous.as_deref(), &step).await?;
            let tested = sample_test::run(b, cfg, &head_sha, &ready, &step).await?;
            step(Step::MoveTraffic {
                sample: tested.clone(),
            });
            sample = Some(tested);
            kserve::merge_patch(
                cluster,
                &namespace,
                &name,
                &json!({"spec": {"predictor": {"canaryTrafficPercent": 100}}}),
            )
            .await
            .map_err(ActionError::backend("move the traffic"))?;
            let ready = wait_ready(b, &namespace, &name, timeout, None, &step).await?;
            ServiceState::of(&ready).url
        }
    };

    let merge_sha = if req.target == DeployTarget::Production {
        step(Step::Merge { pr });
        let sha = b
            .github
            .merge(pr, &head_sha, &format!("Deploy #{pr} to production (run {run_id})"))
            .await
            .map_err(|e| {
                ActionError::new(
                    "merge the PR",
                    format!("{e}; the model of run {run_id} now serves in {namespace}/{name}, but #{pr} was not merged and no label moved"),
                )
            })?;
        b.github
            .close(pr)
            .await
            .map_err(ActionError::backend("close the PR"))?;
        Some(sha)
    } else {
        None
    };
    step(Step::CommentAndLabel);
    let label = label_of(req.target);
    b.github
        .post_comment(
            pr,
            &deployed_comment(
                req.target,
                &run_id,
                &namespace,
                &name,
                url.as_deref(),
                &sample
                    .map(|t: SampleTest| t.comment(&cfg.deployment.sample_input_path))
                    .unwrap_or_default(),
            ),
        )
        .await
        .map_err(ActionError::backend("post the deploy comment"))?;
    b.github
        .ensure_label(label, label_color(req.target), "Deployed by Kfops")
        .await
        .map_err(ActionError::backend("move the label"))?;
    for other in b
        .github
        .numbers_with_label(label)
        .await
        .map_err(ActionError::backend("move the label"))?
    {
        if other != pr {
            b.github
                .remove_label(other, label)
                .await
                .map_err(ActionError::backend("move the label"))?;
        }
    }
    b.github
        .add_label(pr, label)
        .await
        .map_err(ActionError::backend("move the label"))?;

    Ok(DeployOutput {
        run_id,
        namespace,
        name,
        url,
        merge_sha,
    })
}

fn label_color(target: DeployTarget) -> &'static str {
    match target {
        DeployTarget::Production => "0e8a16",
        DeployTarget::Staging => "fbca04",
    }
}

fn deployed_comment(
    target: DeployTarget,
    run_id: &str,
    namespace: &str,
    name: &str,
    url: Option<&str>,
    sample_note: &str,
) -> String {
    let place = match target {
        DeployTarget::Production => "production",
        DeployTarget::Staging => "staging",
    };
    let url = url
        .map(|u| format!(" It serves at {u}."))
        .unwrap_or_default();
    format!("\nModel of run {run_id} deployed to {place} as InferenceService <code>{namespace}/{name}</code>.{url}{sample_note}\n")
}

/// The InferenceService from the template: name, namespace, the model's storage URI and the
/// annotations that say which run and PR it serves.
pub fn inference_service(
    template: &[u8],
    name: &str,
    namespace: &str,
    run_id: &str,
    pr: u64,
) -> Result<DynamicObject, String> {
    let mut value: Value =
        serde_norway::from_slice(template).map_err(|e| format!("not valid YAML: {e}"))?;
    if value["kind"] != "InferenceService" {
        return Err("kind is not InferenceService".into());
    }
    let uri = format!("s3://trained-models/{run_id}/");
    let predictor = value
        .get_mut("spec")
        .and_then(|s| s.get_mut("predictor"))
        .and_then(Value::as_object_mut)
        .ok_or("no spec.predictor")?;
    let mut set = false;
    if let Some(model) = predictor.get_mut("model").and_then(Value::as_object_mut) {
        model.insert("storageUri".into(), json!(uri));
        set = true;
    } else {
        for framework in predictor.values_mut() {
            if let Some(f) = framework
                .as_object_mut()
                .filter(|f| f.contains_key("storageUri"))
            {
                f.insert("storageUri".into(), json!(uri));
                set = true;
            }
        }
    }
    if !set {
        predictor.insert("model".into(), json!({"storageUri": uri}));
    }
    predictor.remove("canaryTrafficPercent");
    let mut obj: DynamicObject =
        serde_json::from_value(value).map_err(|e| format!("not an object: {e}"))?;
    obj.metadata.name = Some(name.to_string());
    obj.metadata.namespace = Some(namespace.to_string());
    let annotations = obj
        .metadata
        .annotations
        .get_or_insert_with(Default::default);
    annotations.insert("kfops.io/run-id".into(), run_id.to_string());
    annotations.insert("kfops.io/pr".into(), pr.to_string());
    Ok(obj)
}

/// Waits until the service is Ready with a ready revision different from `previous` (when
/// given) and its traffic settled; fails after `timeout` naming what is not ready.
async fn wait_ready(
    b: &Backends,
    namespace: &str,
    name: &str,
    timeout: Duration,
    previous: Option<&str>,
    step: &(dyn Fn(Step) + Sync),
) -> Result<DynamicObject, ActionError> {
    let what = "wait for the InferenceService to be ready";
    step(Step::WaitReady {
        namespace: namespace.to_string(),
        name: name.to_string(),
        seconds: timeout.as_secs(),
    });
    let deadline = tokio::time::Instant::now() + timeout;
    let mut last_state = ServiceState::default();
    loop {
        if let Some(obj) = kserve::get(&b.cluster, namespace, name)
            .await
            .map_err(ActionError::backend(what))?
        {
            let s = ServiceState::of(&obj);
            let new_revision = previous.is_none()
                || (s.latest_ready.is_some() && s.latest_ready.as_deref() != previous);
            let settled =
                s.observed_generation >= s.generation && s.latest_ready == s.latest_created;
            if s.ready == Some(true) && new_revision && settled {
                return Ok(obj);
            }
            last_state = s;
        }
        if tokio::time::Instant::now() >= deadline {
            let why = last_state
                .reason
                .unwrap_or_else(|| "no Ready condition".into());
            return Err(ActionError::new(
                what,
                format!("{namespace}/{name} did not become ready within {}s ({why}); traffic stays on the previous revision", timeout.as_secs()),
            ));
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: x\nspec:\n  predictor:\n    canaryTrafficPercent: 5\n    model:\n      modelFormat:\n        name: sklearn\n      storageUri: gs://old\n";

    #[test]
    fn the_service_points_at_the_run_model() {
        let obj = inference_service(TEMPLATE.as_bytes(), "churn", "staging", "r-1", 44).unwrap();
        assert_eq!(obj.metadata.name.as_deref(), Some("churn"));
        assert_eq!(obj.metadata.namespace.as_deref(), Some("staging"));
        assert_eq!(
            obj.data["spec"]["predictor"]["model"]["storageUri"],
            "s3://trained-models/r-1/"
        );
        assert!(obj.data["spec"]["predictor"]
            .get("canaryTrafficPercent")
            .is_none());
        assert_eq!(obj.metadata.annotations.unwrap()["kfops.io/run-id"], "r-1");
        let old_form = "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nspec:\n  predictor:\n    sklearn:\n      storageUri: gs://x\n";
        let obj = inference_service(old_form.as_bytes(), "c", "p", "r-2", 1).unwrap();
        assert_eq!(
            obj.data["spec"]["predictor"]["sklearn"]["storageUri"],
            "s3://trained-models/r-2/"
        );
        assert!(inference_service(b"kind: Pod\n", "c", "p", "r", 1).is_err());
    }
}
