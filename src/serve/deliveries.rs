//! Each `X-GitHub-Delivery` handled once: GitHub redelivers with the same GUID
//! (<https://docs.github.com/en/webhooks/webhook-events-and-payloads#delivery-headers>).
//! For now a bounded in-memory set of the latest IDs (per process, forgotten at restart and
//! once `capacity` newer deliveries came).

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

/// The delivery IDs already taken, oldest first out.
pub struct Deliveries {
    capacity: usize,
    seen: Mutex<(HashSet<String>, VecDeque<String>)>,
}

impl Deliveries {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            seen: Mutex::new((HashSet::new(), VecDeque::new())),
        }
    }

    /// `true` the first time `id` is offered (the delivery is to be handled), `false` after.
    pub fn first_time(&self, id: &str) -> bool {
        let mut guard = match self.seen.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let (set, order) = &mut *guard;
        if !set.insert(id.to_string()) {
            return false;
        }
        order.push_back(id.to_string());
        while order.len() > self.capacity {
            if let Some(old) = order.pop_front() {
                set.remove(&old);
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivery_is_taken_once_and_the_oldest_are_forgotten_past_capacity() {
        let d = Deliveries::new(2);
        assert!(d.first_time("a"));
        assert!(!d.first_time("a"));
        assert!(d.first_time("b"));
        assert!(d.first_time("c"));
        assert!(!d.first_time("c"));
        assert!(d.first_time("a"), "forgotten past capacity");
    }
}
