//! Runs the checks: the config first (a broken one stops everything), then GitHub, the
//! cluster and KFP concurrently, each check under [`CHECK_TIMEOUT`]; the lines come back in
//! the documented order whatever finished first.

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use super::{cluster, config_check, github, kfp, Check, Report};

/// How long one check may take (retries included) before it fails as unanswered.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(20);

/// Every check, for the config at `--config` (or the usual places) and its project named
/// `project` (else its first).
pub async fn run(config_flag: Option<&Path>, project: Option<&str>) -> Report {
    let (cfg, mut checks) = match config_check::check(config_flag, project) {
        Ok(found) => found,
        Err(failed) => {
            return Report {
                checks: vec![failed],
                config_unusable: true,
            }
        }
    };
    let (github, cluster, kfp) = tokio::join!(
        github::checks(&cfg),
        cluster::checks(&cfg),
        kfp::check(&cfg)
    );
    checks.extend(github);
    checks.extend(cluster.access);
    checks.push(kfp);
    checks.extend(cluster.namespaces);
    checks.push(cluster.crd);
    Report {
        checks,
        config_unusable: false,
    }
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
