//! Fault injection over the whole simulator: one axum middleware ([`inject`]) in front of
//! every service, driven by rules from the scenario's `[faults]` table, from
//! `POST /_sim/faults` at run time, or from tests through [`FaultsHandle`].
//!
//! A rule matches requests by service, method and path pattern and applies its [`Fault`] to
//! the next `times` of them (or to all). The recording middleware sits outside this one, so
//! faulted requests are in the request log with the status they got. See docs/SIMULATOR.md.

mod admin;
mod responses;
pub mod rule;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use serde::{Deserialize, Serialize};

pub use self::admin::router;
pub use self::rule::{Fault, FaultRule, SimService};
use crate::kserve::KserveHandle;

/// The scenario's `[faults]` table: the rules active when the simulator starts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultsScenario {
    #[serde(default)]
    pub rules: Vec<FaultRule>,
}

impl FaultsScenario {
    /// The first rule that cannot be used, as a message.
    pub fn problem(&self) -> Option<String> {
        self.rules
            .iter()
            .enumerate()
            .find_map(|(i, r)| r.problem().map(|p| format!("faults.rules[{i}]: {p}")))
    }
}

/// A rule in force, with what it has done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActiveRule {
    pub id: u64,
    #[serde(flatten)]
    pub rule: FaultRule,
    /// How many more matching requests get the fault (`None`: all).
    pub left: Option<u32>,
    /// How many requests got it so far.
    pub hits: u64,
}

/// The fault rules of a running simulator (shared with the middleware and the admin routes).
#[derive(Clone)]
pub struct FaultsHandle {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<Rules>,
    kserve: KserveHandle,
    /// The `kserve.never_ready` names of the scenario, kept under any `never_ready` rules.
    base_never_ready: Vec<String>,
}

#[derive(Default)]
struct Rules {
    rules: Vec<ActiveRule>,
    next_id: u64,
}

impl std::fmt::Debug for FaultsHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultsHandle")
            .field("rules", &self.rules().len())
            .finish_non_exhaustive()
    }
}

impl FaultsHandle {
    /// The handle with the scenario's rules in force.
    pub fn new(
        scenario: &FaultsScenario,
        kserve: KserveHandle,
        base_never_ready: Vec<String>,
    ) -> FaultsHandle {
        let handle = FaultsHandle {
            inner: Arc::new(Inner {
                state: Mutex::new(Rules::default()),
                kserve,
                base_never_ready,
            }),
        };
        for rule in &scenario.rules {
            // Checked when the scenario was read.
            let _ = handle.add(rule.clone());
        }
        handle
    }

    fn lock(&self) -> MutexGuard<'_, Rules> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Puts a rule in force (after the others: the first matching rule applies); returns its id.
    pub fn add(&self, rule: FaultRule) -> Result<u64, String> {
        if let Some(problem) = rule.problem() {
            return Err(problem);
        }
        let id = {
            let mut state = self.lock();
            state.next_id += 1;
            let id = state.next_id;
            state.rules.push(ActiveRule {
                id,
                left: rule.times,
                rule,
                hits: 0,
            });
            id
        };
        self.sync_never_ready();
        Ok(id)
    }

    /// Takes a rule out of force; `false` if there is none with this id.
    pub fn remove(&self, id: u64) -> bool {
        let removed = {
            let mut state = self.lock();
            let before = state.rules.len();
            state.rules.retain(|r| r.id != id);
            state.rules.len() != before
        };
        self.sync_never_ready();
        removed
    }

    /// Takes every rule out of force.
    pub fn clear(&self) {
        self.lock().rules.clear();
        self.sync_never_ready();
    }

    /// The rules in force, in order.
    pub fn rules(&self) -> Vec<ActiveRule> {
        self.lock().rules.clone()
    }

    /// How many requests the rule `id` faulted so far.
    pub fn hits(&self, id: u64) -> u64 {
        self.lock()
            .rules
            .iter()
            .find(|r| r.id == id)
            .map_or(0, |r| r.hits)
    }

    /// The fault for a request, using up one of its rule's `times`.
    fn take(&self, service: SimService, method: &Method, path: &str, query: &str) -> Option<Fault> {
        let mut state = self.lock();
        let rule = state
            .rules
            .iter_mut()
            .find(|r| r.left != Some(0) && r.rule.matches(service, method, path, query))?;
        if let Some(left) = &mut rule.left {
            *left -= 1;
        }
        rule.hits += 1;
        Some(rule.rule.fault.clone())
    }

    /// The `never_ready` rules act on the simulated KServe's knob, not on requests.
    fn sync_never_ready(&self) {
        let mut names = self.inner.base_never_ready.clone();
        for rule in self.rules() {
            if let Fault::NeverReady { names: more } = rule.rule.fault {
                names.extend(more);
            }
        }
        self.inner.kserve.set_never_ready(names);
    }
}

/// The middleware: applies the first rule in force that matches the request.
pub async fn inject(State(faults): State<FaultsHandle>, req: Request, next: Next) -> Response {
    let Some((service, local)) = SimService::of_path(req.uri().path()) else {
        return next.run(req).await;
    };
    let local = local.to_owned();
    let query = req.uri().query().unwrap_or_default().to_owned();
    let Some(fault) = faults.take(service, req.method(), &local, &query) else {
        return next.run(req).await;
    };
    tracing::debug!(service = service.as_str(), path = %local, ?fault, "injecting a fault");
    match fault {
        Fault::Status { status, message } => {
            responses::error(service, status, message.as_deref(), &local)
        }
        Fault::RateLimit {
            status,
            retry_after,
            remaining,
            limit,
            reset_in_seconds,
            resource,
            secondary,
        } => responses::rate_limited(
            service,
            &responses::RateLimit {
                status,
                retry_after: retry_after.as_deref(),
                remaining,
                limit,
                reset_in_seconds,
                resource: &resource,
                secondary,
            },
        ),
        Fault::Delay { ms } => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            next.run(req).await
        }
        Fault::WatchGone { initial: true } => {
            responses::gone(rule::resource_version(&query).unwrap_or("1"))
        }
        Fault::WatchGone { initial: false } => responses::gone_event(),
        Fault::Drop { after_bytes } => responses::cut(next.run(req).await, after_bytes),
        Fault::NeverReady { .. } => next.run(req).await,
    }
}
