//! Runs the checks: the config first (a broken one stops everything), then GitHub, the
//! cluster and KFP concurrently, each check under [`CHECK_TIMEOUT`]; the lines come back in
//! the documented order whatever finished first: with `[[projects]]`, the shared lines, then
//! one group per project.

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use super::cluster::ClusterChecks;
use super::github::GithubChecks;
use super::{cluster, config_check, github, kfp, Check, Report};
use crate::config::ProjectChoice;

/// How long one check may take (retries included) before it fails as unanswered.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(20);

/// Every check, for the config at `--config` (or the usual places) and its project named by
/// `project` (else every project), with the kubeconfig context `context` (`--context`) if given.
pub async fn run(
    config_flag: Option<&Path>,
    project: Option<ProjectChoice<'_>>,
    context: Option<&str>,
) -> Report {
    let (cfg, targets, config_line) = match config_check::check(config_flag, project, context) {
        Ok(found) => found,
        Err(failed) => {
            return Report {
                checks: vec![*failed],
                config_unusable: true,
                projects: Vec::new(),
            }
        }
    };
    let (github, cluster, kfp) = tokio::join!(
        github::checks(&cfg, &targets),
        cluster::checks(&cfg, &targets),
        kfp::checks(&cfg, &targets)
    );
    let projects: Vec<String> = targets.iter().filter_map(|t| t.name.clone()).collect();
    let checks = if projects.is_empty() {
        single_repository_order(config_line, github, cluster, kfp)
    } else {
        project_order(config_line, github, cluster, kfp, &projects)
    };
    Report {
        checks,
        config_unusable: false,
        projects,
    }
}

/// The single-repository layout's order: config, token, repository, API server, RBAC, KFP,
/// namespaces, CRD.
fn single_repository_order(
    config_line: Check,
    github: GithubChecks,
    cluster: ClusterChecks,
    kfp: Vec<Check>,
) -> Vec<Check> {
    let mut checks = vec![config_line];
    checks.extend(github.token);
    checks.extend(github.repositories);
    checks.push(cluster.server);
    checks.extend(cluster.rbac);
    checks.extend(kfp);
    checks.extend(cluster.namespaces);
    checks.push(cluster.crd);
    checks
}

/// With `[[projects]]`: the shared lines first in the single-repository order (namespaces
/// several projects use among them), then each project's group: its repository, RBAC and
/// namespaces.
fn project_order(
    config_line: Check,
    github: GithubChecks,
    cluster: ClusterChecks,
    kfp: Vec<Check>,
    projects: &[String],
) -> Vec<Check> {
    let (shared_rbac, own_rbac): (Vec<Check>, Vec<Check>) =
        cluster.rbac.into_iter().partition(|c| c.project.is_none());
    let (shared_kfp, own_kfp): (Vec<Check>, Vec<Check>) =
        kfp.into_iter().partition(|c| c.project.is_none());
    let (shared_ns, own_ns): (Vec<Check>, Vec<Check>) = cluster
        .namespaces
        .into_iter()
        .partition(|c| c.project.is_none());
    let mut checks = vec![config_line];
    checks.extend(github.token);
    checks.push(cluster.server);
    checks.extend(shared_rbac);
    checks.extend(shared_kfp);
    checks.extend(shared_ns);
    checks.push(cluster.crd);
    for name in projects {
        let its = |c: &&Check| c.project.as_deref() == Some(name.as_str());
        checks.extend(github.repositories.iter().filter(its).cloned());
        checks.extend(own_rbac.iter().filter(its).cloned());
        checks.extend(own_kfp.iter().filter(its).cloned());
        checks.extend(own_ns.iter().filter(its).cloned());
    }
    checks
}

/// `work` under the check timeout; a timeout is the check's failed line.
pub async fn timed<T>(id: &str, title: &str, work: impl Future<Output = T>) -> Result<T, Check> {
    tokio::time::timeout(CHECK_TIMEOUT, work)
        .await
        .map_err(|_| {
            Check::fail(
                id,
                title,
                format!("no answer within {} s", CHECK_TIMEOUT.as_secs()),
                "check the address in the config and the network",
            )
        })
}
