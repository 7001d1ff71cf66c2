//! `/run`, with Kfops' rules: the pipeline version from the last `KFOPS_VERSION_ID` of the PR
//! (or an explicit one), the experiment created when missing, the run arguments from the config
//! plus `version_id`, a comment when the run starts, then watching it to the end: on success
//! Kfops' completion comment with `<!-- KFOPS_RUN_ID=… -->` and the deploy hints, on failure a
//! comment naming the failed task.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::comments;
use super::comments::VAR_STARTED_RUN_ID;
use super::events::{ActionError, ActionEvent, ActionKind, FailureComment};
use super::failure;
use super::step::Step;
use super::Backends;
use crate::backends::kfp::{CreateRun, NameMatch, Run, RunQuery, RuntimeState};
use crate::backends::BackendError;
use crate::chatops::{read_var, vars_in, VAR_RUN_ID, VAR_VERSION_ID};
use crate::config::Config;

/// How often a running run is polled.
pub const DEFAULT_POLL: Duration = Duration::from_secs(2);
/// Runs longer than this are no longer watched (the run goes on in KFP).
pub const WATCH_LIMIT: Duration = Duration::from_secs(24 * 60 * 60);

/// What a finished run action produced.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutput {
    pub run_id: String,
    pub version_id: String,
    pub state: RuntimeState,
}

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The version to run; `None` = the PR's last `KFOPS_VERSION_ID`.
    pub version_id: Option<String>,
    /// Watch the run to its end (the console and `--wait`); otherwise return once started.
    pub wait: bool,
    pub poll: Duration,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            version_id: None,
            wait: true,
            poll: DEFAULT_POLL,
        }
    }
}

/// Runs `/run` for a PR.
pub async fn run(
    b: &Backends,
    cfg: &Config,
    pr: u64,
    options: &RunOptions,
    emit: &(dyn Fn(ActionEvent) + Send + Sync),
) -> Result<RunOutput, ActionError> {
    let result = run_steps(b, cfg, pr, options, emit).await;
    failure::comment_on_failure(&b.github, pr, ActionKind::Run, &result).await;
    result
}

const STEP_WATCH: &str = "run the pipeline";

async fn run_steps(
    b: &Backends,
    cfg: &Config,
    pr: u64,
    options: &RunOptions,
    emit: &(dyn Fn(ActionEvent) + Send + Sync),
) -> Result<RunOutput, ActionError> {
    let step = |step: Step| emit(ActionEvent::Step { pr, step });

    let version_id = match &options.version_id {
        Some(v) => v.clone(),
        None => {
            step(Step::ReadLastVersion { pr });
            let bodies = b
                .github
                .comment_bodies(pr)
                .await
                .map_err(ActionError::backend("read the PR comments"))?;
            read_var(bodies.iter().map(String::as_str), VAR_VERSION_ID).ok_or_else(|| {
                ActionError::new(
                    "find the pipeline version",
                    format!("#{pr} has no build yet (no KFOPS_VERSION_ID in its comments); build it first with /build"),
                )
            })?
        }
    };

    let name = &cfg.pipeline.name;
    let find = "find the pipeline version";
    let pipeline = b
        .kfp
        .find_pipeline(name)
        .await
        .map_err(ActionError::backend(find))?
        .ok_or_else(|| {
            ActionError::new(
                find,
                format!("KFP has no pipeline `{name}`; build it first with /build"),
            )
        })?;
    b.kfp
        .get_version(&pipeline.pipeline_id, &version_id)
        .await
        .map_err(ActionError::backend(find))?;

    let experiment_name = &cfg.kfp.experiment_name;
    let namespace = Some(cfg.kfp.namespace.as_str());
    step(Step::FindExperiment {
        name: experiment_name.clone(),
    });
    let exp_step = "create the experiment";
    let experiment = match b
        .kfp
        .find_experiment(experiment_name, namespace)
        .await
        .map_err(ActionError::backend(exp_step))?
    {
        Some(e) => e,
        None => {
            step(Step::CreateExperiment {
                name: experiment_name.clone(),
            });
            b.kfp
                .create_experiment(experiment_name, namespace)
                .await
                .map_err(ActionError::backend(exp_step))?
        }
    };

    let mut parameters = serde_json::Map::new();
    for (k, v) in &cfg.pipeline.run_arguments {
        parameters.insert(k.clone(), v.clone());
    }
    parameters.insert(
        "version_id".into(),
        serde_json::Value::String(version_id.clone()),
    );
    let display_name = run_display_name(name, pr, &version_id, Utc::now());
    step(Step::StartRun {
        name: display_name.clone(),
    });
    let run = b
        .kfp
        .create_run(&CreateRun {
            display_name: display_name.clone(),
            experiment_id: Some(experiment.experiment_id.clone()),
            pipeline_id: pipeline.pipeline_id.clone(),
            pipeline_version_id: version_id.clone(),
            parameters: parameters.clone(),
        })
        .await
        .map_err(ActionError::backend("start the run"))?;
    let run_id = run.run_id.clone();
    emit(ActionEvent::RunStarted {
        pr,
        run_id: run_id.clone(),
    });
    b.github
        .post_comment(
            pr,
            &comments::run_started(
                b.kfp.ui_url_for_run(&run_id).as_deref(),
                &parameters,
                &run_id,
            ),
        )
        .await
        .map_err(ActionError::backend("post the run-started comment"))?;
    if !options.wait {
        return Ok(RunOutput {
            run_id,
            version_id,
            state: run.state.clone(),
        });
    }

    step(Step::WatchRun {
        run_id: run_id.clone(),
    });
    let finished = tokio::time::timeout(WATCH_LIMIT, watch(b, pr, &run_id, options.poll, emit))
        .await
        .map_err(|_| {
            ActionError::new(
                STEP_WATCH,
                format!("stopped watching run {run_id} after 24 hours; it goes on in KFP"),
            )
            .with_comment(FailureComment::Silent)
        })??;
    let state = finished.state.clone();
    step(Step::RunEnded {
        run_id: run_id.clone(),
        state: state.clone(),
    });
    let url = b.kfp.ui_url_for_run(&run_id);
    if state == RuntimeState::Succeeded {
        let took = run_time(finished.created_at, finished.finished_at);
        b.github
            .post_comment(pr, &comments::run_completed(&took, &run_id))
            .await
            .map_err(ActionError::backend("post the completion comment"))?;
        Ok(RunOutput {
            run_id,
            version_id,
            state,
        })
    } else {
        let why = failure_of(&finished);
        let body = comments::run_failed(url.as_deref(), &run_id, &state.to_string(), &why);
        Err(
            ActionError::new(STEP_WATCH, format!("run {run_id} ended {state}: {why}"))
                .with_comment(FailureComment::own(body)),
        )
    }
}

/// Polls the run until it ends, emitting every change.
async fn watch(
    b: &Backends,
    pr: u64,
    run_id: &str,
    poll: Duration,
    emit: &(dyn Fn(ActionEvent) + Send + Sync),
) -> Result<Run, ActionError> {
    let mut last: Option<Run> = None;
    let mut failures = 0u32;
    loop {
        match b.kfp.get_run(run_id).await {
            Ok(run) => {
                failures = 0;
                if last.as_ref() != Some(&run) {
                    emit(ActionEvent::RunProgress {
                        pr,
                        run: Box::new(run.clone()),
                    });
                }
                if run.state.is_final() {
                    return Ok(run);
                }
                last = Some(run);
            }
            Err(e) => {
                // Transient API errors do not end the watch; a long outage does.
                failures += 1;
                emit(ActionEvent::Step {
                    pr,
                    step: Step::RunPollRetry {
                        run_id: run_id.to_string(),
                        error: e.to_string(),
                    },
                });
                if failures >= 30 {
                    return Err(ActionError::new(
                        STEP_WATCH,
                        format!("lost track of run {run_id}: {e}"),
                    )
                    .with_comment(FailureComment::Silent));
                }
            }
        }
        tokio::time::sleep(poll).await;
    }
}

/// The runs of a PR, newest first: those its comments name (started or completed) and those
/// whose name carries the PR (`…-prN-…`).
pub async fn pr_runs(b: &Backends, cfg: &Config, pr: u64) -> Result<Vec<Run>, BackendError> {
    let bodies = b.github.comment_bodies(pr).await?;
    let mut ids: Vec<String> = Vec::new();
    for body in &bodies {
        for (name, value) in vars_in(body) {
            if (name == VAR_RUN_ID || name == VAR_STARTED_RUN_ID) && !ids.contains(&value) {
                ids.push(value);
            }
        }
    }
    let mut runs = b
        .kfp
        .list_runs(&RunQuery {
            name: Some(NameMatch::Contains(format!(
                "{}-pr{pr}-",
                cfg.pipeline.name
            ))),
            // Multi-user KFP refuses a run list without the profile namespace.
            namespace: Some(cfg.kfp.namespace.clone()),
            ..RunQuery::default()
        })
        .await?;
    for id in ids {
        if runs.iter().any(|r| r.run_id == id) {
            continue;
        }
        match b.kfp.get_run(&id).await {
            Ok(run) => runs.push(run),
            Err(e) if e.status == Some(404) => {} // a run deleted from KFP
            Err(e) => return Err(e),
        }
    }
    runs.sort_by_key(|r| std::cmp::Reverse(r.created_at));
    Ok(runs)
}

/// `churn-model-pr42-0f3c9a2e-20261125T101500`: a run name that says which PR and version.
pub fn run_display_name(pipeline: &str, pr: u64, version_id: &str, at: DateTime<Utc>) -> String {
    let short: String = version_id.chars().take(8).collect();
    format!("{pipeline}-pr{pr}-{short}-{}", at.format("%Y%m%dT%H%M%S"))
}

/// The failed tasks of a run and their errors, or the run's own error.
pub fn failure_of(run: &Run) -> String {
    let failed: Vec<String> = run
        .tasks()
        .iter()
        .filter(|t| t.state == RuntimeState::Failed)
        // Only leaf tasks: a failed sub-DAG failed because of its child.
        .filter(|t| !t.child_tasks.iter().any(|c| c.task_id.is_some()))
        .map(|t| {
            let name = if t.display_name.is_empty() {
                &t.task_id
            } else {
                &t.display_name
            };
            match t.error.as_ref().map(|e| e.message.as_str()) {
                Some(m) if !m.is_empty() => format!("task {name} failed: {m}"),
                _ => format!("task {name} failed"),
            }
        })
        .collect();
    if failed.is_empty() {
        run.error
            .as_ref()
            .map(|e| e.message.clone())
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| "no task reported an error".into())
    } else {
        failed.join("; ")
    }
}

/// `0:05:23`, like Python's `timedelta` that Kfops prints.
pub fn run_time(start: Option<DateTime<Utc>>, end: Option<DateTime<Utc>>) -> String {
    let secs = match (start, end) {
        (Some(s), Some(e)) => (e - s).num_seconds().max(0),
        _ => 0,
    };
    format!("{}:{:02}:{:02}", secs / 3600, (secs / 60) % 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn names_and_times() {
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 10, 15, 0).unwrap();
        assert_eq!(
            run_display_name("churn", 42, "0f3c9a2e-1111", at),
            "churn-pr42-0f3c9a2e-20261125T101500"
        );
        assert_eq!(
            run_time(Some(at), Some(at + chrono::Duration::seconds(3723))),
            "1:02:03"
        );
        assert_eq!(run_time(None, Some(at)), "0:00:00");
    }
}
