//! A PR's coordination.k8s.io/v1 Lease: one action per PR across every process (the service,
//! every console). Acquire = create; or take over a Lease whose holder stopped renewing
//! (`renewTime + leaseDurationSeconds < now`) by a PUT carrying the resourceVersion read, so
//! that of two takers the API server lets one win (409 Conflict for the other: optimistic
//! concurrency, <https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions>).
//! Fields as client-go's leader election uses them
//! (<https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/lease-v1/>).
//! Times come from the caller (`now`), so tests move the clock instead of sleeping.

use chrono::{DateTime, Duration, Utc};
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::api::{DeleteParams, PostParams};
use kube::Api;

use super::cluster::map_err;
use super::error::BackendError;

/// The annotation naming the action the holder runs.
pub const ACTION_ANNOTATION: &str = "kfops.io/action";

/// The Lease name of a PR: `kfops-{owner}-{repo}-pr-{n}`, lower-case, DNS-safe (RFC 1123
/// subdomain characters only), at most 63 characters (a long repository name is cut).
pub fn lease_name(owner: &str, repo: &str, pr: u64) -> String {
    let suffix = format!("-pr-{pr}");
    let mut base: String = format!("kfops-{owner}-{repo}")
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    base.truncate(63 - suffix.len());
    let base = base.trim_end_matches('-');
    format!("{base}{suffix}")
}

/// Who holds a PR, what it runs and since when: what a refusal says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub identity: String,
    pub action: String,
    pub since: Option<DateTime<Utc>>,
}

/// Why a PR could not be taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeaseError {
    #[error("PR held by {} ({}){}", .0.identity, .0.action, .0.since.map(|s| format!(" since {}", s.format("%Y-%m-%d %H:%M:%S UTC"))).unwrap_or_default())]
    Held(Holder),
    #[error(transparent)]
    Backend(#[from] BackendError),
}

/// A PR's Lease while this process holds it.
#[derive(Debug, Clone)]
pub struct PrLease {
    api: Api<Lease>,
    lease: Lease,
}

fn micro(t: DateTime<Utc>) -> MicroTime {
    let nanos = i32::try_from(t.timestamp_subsec_nanos()).unwrap_or(0);
    MicroTime(Timestamp::new(t.timestamp(), nanos).unwrap_or(Timestamp::UNIX_EPOCH))
}

fn chrono_of(t: &MicroTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(
        t.0.as_second(),
        u32::try_from(t.0.subsec_nanosecond()).ok()?,
    )
}

fn holder_of(lease: &Lease) -> Holder {
    let spec = lease.spec.clone().unwrap_or_default();
    let action = lease
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(ACTION_ANNOTATION).cloned())
        .unwrap_or_default();
    Holder {
        identity: spec.holder_identity.unwrap_or_default(),
        action,
        since: spec.acquire_time.as_ref().and_then(chrono_of),
    }
}

/// Whether nobody holds the Lease any more: no holder, or not renewed within its duration.
fn expired(lease: &Lease, now: DateTime<Utc>) -> bool {
    let Some(spec) = lease.spec.as_ref() else {
        return true;
    };
    if spec
        .holder_identity
        .as_deref()
        .unwrap_or_default()
        .is_empty()
    {
        return true;
    }
    let renewed = spec
        .renew_time
        .as_ref()
        .or(spec.acquire_time.as_ref())
        .and_then(chrono_of);
    let duration = Duration::seconds(i64::from(spec.lease_duration_seconds.unwrap_or(0)));
    renewed.is_none_or(|r| r + duration < now)
}

fn fresh(
    name: &str,
    holder: &str,
    action: &str,
    duration_seconds: i32,
    now: DateTime<Utc>,
) -> Lease {
    Lease {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            annotations: Some([(ACTION_ANNOTATION.to_owned(), action.to_owned())].into()),
            ..ObjectMeta::default()
        },
        spec: Some(LeaseSpec {
            holder_identity: Some(holder.to_owned()),
            lease_duration_seconds: Some(duration_seconds),
            acquire_time: Some(micro(now)),
            renew_time: Some(micro(now)),
            ..LeaseSpec::default()
        }),
    }
}

fn is_conflict(err: &kube::Error) -> bool {
    matches!(err, kube::Error::Api(s) if s.code == 409)
}

impl PrLease {
    /// Takes the PR's Lease `name` for `holder` running `action`, or says who holds it.
    pub async fn acquire(
        api: Api<Lease>,
        name: &str,
        holder: &str,
        action: &str,
        duration_seconds: i32,
        now: DateTime<Utc>,
    ) -> Result<PrLease, LeaseError> {
        let what = format!("take lease {name}");
        let wanted = fresh(name, holder, action, duration_seconds, now);
        match api.create(&PostParams::default(), &wanted).await {
            Ok(lease) => return Ok(PrLease { api, lease }),
            Err(e) if is_conflict(&e) => {}
            Err(e) => return Err(map_err(&what, e).into()),
        }
        let current = api.get(name).await.map_err(|e| map_err(&what, e))?;
        if !expired(&current, now) {
            return Err(LeaseError::Held(holder_of(&current)));
        }
        let mut takeover = wanted;
        takeover.metadata.resource_version = current.metadata.resource_version.clone();
        match api.replace(name, &PostParams::default(), &takeover).await {
            Ok(lease) => Ok(PrLease { api, lease }),
            // Someone else took it over between our read and our write.
            Err(e) if is_conflict(&e) => {
                let winner = api.get(name).await.map_err(|e| map_err(&what, e))?;
                Err(LeaseError::Held(holder_of(&winner)))
            }
            Err(e) => Err(map_err(&what, e).into()),
        }
    }

    /// The Lease as last written by this holder.
    pub fn lease(&self) -> &Lease {
        &self.lease
    }

    /// Moves `renewTime` to `now` (a 409 means the Lease was taken over: it is lost).
    pub async fn renew(&mut self, now: DateTime<Utc>) -> Result<(), LeaseError> {
        let name = self.lease.metadata.name.clone().unwrap_or_default();
        let mut renewed = self.lease.clone();
        if let Some(spec) = renewed.spec.as_mut() {
            spec.renew_time = Some(micro(now));
        }
        match self
            .api
            .replace(&name, &PostParams::default(), &renewed)
            .await
        {
            Ok(lease) => {
                self.lease = lease;
                Ok(())
            }
            Err(e) if is_conflict(&e) => {
                let current = self
                    .api
                    .get(&name)
                    .await
                    .map_err(|e| map_err(&format!("renew lease {name}"), e))?;
                Err(LeaseError::Held(holder_of(&current)))
            }
            Err(e) => Err(map_err(&format!("renew lease {name}"), e).into()),
        }
    }

    /// Frees the PR: deletes the Lease if it is still ours (a precondition on the
    /// resourceVersion, so a Lease taken over meanwhile is left alone).
    pub async fn release(self) -> Result<(), BackendError> {
        let name = self.lease.metadata.name.clone().unwrap_or_default();
        let params = DeleteParams {
            preconditions: Some(kube::api::Preconditions {
                resource_version: self.lease.metadata.resource_version.clone(),
                uid: None,
            }),
            ..DeleteParams::default()
        };
        match self.api.delete(&name, &params).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => Ok(()),
            Err(e) => Err(map_err(&format!("release lease {name}"), e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_dns_safe_and_short() {
        assert_eq!(
            lease_name("Acme-ML", "churn_model", 42),
            "kfops-acme-ml-churn-model-pr-42"
        );
        let long = lease_name("o", &"r".repeat(100), 7);
        assert!(long.len() <= 63 && long.ends_with("-pr-7"), "{long}");
    }

    #[test]
    fn a_lease_not_renewed_within_its_duration_is_expired() {
        let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let lease = fresh("x", "ana@host", "build", 30, t0);
        assert!(!expired(&lease, t0 + Duration::seconds(30)));
        assert!(expired(&lease, t0 + Duration::seconds(31)));
    }
}
