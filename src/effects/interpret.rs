//! The one interpreter of [`Command`]: carries out an effect, handing its answers to a sink
//! (one answer, or a stream of them for followers, the targets' watch and actions). The
//! console's tasks and the tests run this same path.

use chrono::Utc;

use super::action::Audited;
use super::command::{Answer, Command};
use super::services::{no_kfp, Services};
use super::{files, logs, runs, targets};
use crate::audit::Source;
use crate::backends::github::GitHub;
use crate::chatops::{ChatCommand, DeployTarget};
use crate::engine::{self, ActionError, ActionEvent, ActionKind};

/// Where answers go: the front end's channel, or a collector in a test.
pub type AnswerSink<'a, M> = &'a (dyn Fn(M) + Send + Sync);

/// Carries out `command` on `services`, handing every answer to `sink`. Followers and the
/// watch run until the pod ends or the task is aborted; `StopLogs` is the caller's (it owns
/// the tasks) and answers nothing.
pub async fn carry_out<M: Answer>(command: Command, services: &Services, sink: AnswerSink<'_, M>) {
    match command {
        Command::LoadPrs { generation } => sink(load_prs(services, generation).await),
        Command::FollowLogs { pod } => {
            logs::stream(services.cluster.clone(), pod, true, |ev| sink(M::log(ev))).await
        }
        Command::FetchLogs { pod } => {
            logs::stream(services.cluster.clone(), pod, false, |ev| sink(M::log(ev))).await
        }
        Command::StopLogs { .. } => {}
        Command::ListBuilds { project, pr } => {
            // With several projects, only this project's repository's pods.
            let repository = services
                .github_of(project)
                .filter(|_| services.projects.len() > 1)
                .map(GitHub::repo_slug);
            let result = logs::list_builds(services.cluster.as_ref(), pr, repository.as_deref());
            sink(M::builds_listed(project, pr, result.await))
        }
        Command::LoadRun {
            project,
            run_id,
            spec,
            after,
        } => {
            if let Some(delay) = after {
                tokio::time::sleep(delay).await;
            }
            let result = match services.engine_of(project) {
                Some(e) => runs::load_run(e, &run_id, spec).await,
                None => Err(no_kfp("load the run")),
            };
            sink(M::run_loaded(run_id, result))
        }
        Command::ListRuns { project, pr } => {
            let result = match services.engine_of(project) {
                Some(e) => engine::run::pr_runs(&e.backends, &e.config, pr).await,
                None => Err(no_kfp("list runs")),
            };
            sink(M::runs_listed(project, pr, result))
        }
        Command::StartAction { project, pr, cmd } => {
            start_action(services, project, pr, &cmd, sink).await
        }
        Command::WatchTargets {
            service_name,
            staging_namespace,
            production_namespace,
        } => {
            let namespaces = [
                (DeployTarget::Staging, staging_namespace),
                (DeployTarget::Production, production_namespace),
            ];
            let cluster = services.cluster.as_ref();
            targets::watch_targets(&service_name, namespaces, cluster, &|ev| {
                sink(M::target(ev))
            })
            .await
        }
        Command::LoadAudit => sink(M::audit_loaded(
            files::load_audit(services.audit.as_ref()).await,
        )),
        Command::SaveLog { path, text, lines } => {
            let result = files::save_new(&path, &text).await;
            sink(M::log_saved(path, lines, result))
        }
    }
}

/// The open PRs: one project's (`PrsLoaded`), or every project's loaded concurrently, each
/// answer kept apart (`ProjectsLoaded`).
async fn load_prs<M: Answer>(services: &Services, generation: u64) -> M {
    if let [only] = services.projects.as_slice() {
        let result = only.github.open_pull_requests().await;
        return M::prs_loaded(generation, Utc::now(), result, only.github.rate_budget());
    }
    let loads = services
        .projects
        .iter()
        .enumerate()
        .map(|(i, p)| async move { (i, p.github.open_pull_requests().await) });
    let results = futures::future::join_all(loads).await;
    // Projects may share a token (one budget) or not: the refresh is paced by the lowest.
    let budget = services
        .projects
        .iter()
        .filter_map(|p| p.github.rate_budget())
        .min_by_key(|b| b.remaining);
    M::projects_loaded(generation, Utc::now(), results, budget)
}

/// Performs a Kfops action in `project`'s repository, with its settings, recorded in the
/// audit log: its events as they come, then `Done` (written to the audit log first), then
/// the audit log's failure, if any.
async fn start_action<M: Answer>(
    services: &Services,
    project: usize,
    pr: u64,
    cmd: &ChatCommand,
    sink: AnswerSink<'_, M>,
) {
    let audited = Audited {
        audit: services.audit.as_ref(),
        source: Source::Console,
        repository: services.github_of(project).map(GitHub::repo_slug),
        pr,
        cmd,
    };
    let emit = |event: ActionEvent| sink(M::action(project, event));
    let record = audited.begin().await;
    let observed = record.emitter(&emit);
    let outcome = match services.engine_of(project) {
        Some(e) => e.perform(pr, cmd, &observed).await,
        None => Err(ActionError::new(
            "start",
            "the cluster or KFP backend is not set up; see the status bar at start and check [cluster] / [kfp]",
        )),
    };
    let audit_error = record.finish(&outcome, Clone::clone).await;
    emit(ActionEvent::Done {
        pr,
        action: ActionKind::of(cmd),
        outcome,
    });
    if let Some(e) = audit_error {
        sink(M::audit_failed(e));
    }
}
