//! One action per PR at a time: a registry of PRs with an action running, with a guard that
//! frees the PR when the action ends (also on error or panic).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::ActionKind;

/// The PRs with an action in flight.
#[derive(Debug, Clone, Default)]
pub struct InFlight {
    inner: Arc<Mutex<HashMap<u64, ActionKind>>>,
}

/// Holds a PR's slot; dropping it frees the PR.
#[derive(Debug)]
pub struct ActionGuard {
    registry: InFlight,
    pr: u64,
}

impl InFlight {
    /// Claims the PR for `action`, or says which action already holds it.
    pub fn try_begin(&self, pr: u64, action: ActionKind) -> Result<ActionGuard, ActionKind> {
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(running) = map.get(&pr) {
            return Err(*running);
        }
        map.insert(pr, action);
        Ok(ActionGuard {
            registry: self.clone(),
            pr,
        })
    }

    /// The action running for a PR, if any.
    pub fn running(&self, pr: u64) -> Option<ActionKind> {
        let map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&pr).copied()
    }
}

impl Drop for ActionGuard {
    fn drop(&mut self) {
        let mut map = self
            .registry
            .inner
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        map.remove(&self.pr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_action_on_a_pr_is_refused_until_the_first_ends() {
        let reg = InFlight::default();
        let guard = reg.try_begin(7, ActionKind::Build).unwrap();
        assert_eq!(
            reg.try_begin(7, ActionKind::Build).unwrap_err(),
            ActionKind::Build
        );
        assert!(
            reg.try_begin(8, ActionKind::Build).is_ok(),
            "other PRs are free"
        );
        drop(guard);
        assert!(reg.try_begin(7, ActionKind::Run).is_ok());
    }
}
