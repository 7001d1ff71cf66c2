//! Fault injection end to end: one test per fault, the real clients against the simulator
//! with a fault rule in force, the end state checked in the simulator's request log and state.

mod admin;
mod deploy;
mod github;
mod watches;

use kfops_sim::faults::{Fault, FaultRule, SimService};
use kfops_sim::{RecordedRequest, Simulator};

/// A rule for `times` matching requests (`None`: all).
pub fn rule(
    service: SimService,
    method: Option<&str>,
    path: Option<&str>,
    times: Option<u32>,
    fault: Fault,
) -> FaultRule {
    FaultRule {
        service,
        method: method.map(str::to_owned),
        path: path.map(str::to_owned),
        query: None,
        times,
        fault,
    }
}

/// The recorded requests of one method whose path ends with `suffix`.
pub fn requests_to(sim: &Simulator, method: &str, suffix: &str) -> Vec<RecordedRequest> {
    sim.requests()
        .into_iter()
        .filter(|r| r.method.as_str() == method && r.path.ends_with(suffix))
        .collect()
}

/// Their statuses, in order.
pub fn statuses(requests: &[RecordedRequest]) -> Vec<u16> {
    requests.iter().map(|r| r.status.as_u16()).collect()
}
