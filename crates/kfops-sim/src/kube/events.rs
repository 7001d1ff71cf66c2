//! The resourceVersion counter of a simulated store and the window of its recent changes a
//! watch can resume from, for any resource (pods here, InferenceServices in the KServe
//! simulator): every change gets the next resourceVersion; a watch from a resourceVersion
//! whose changes have left the window gets 410 Expired, as from the real API server.

use std::collections::VecDeque;

use super::status::KubeError;

/// The kind of a change to an object, as a watch reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    /// The watch event `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One change to a stored object (a `Pod`, an InferenceService's JSON); every change has its
/// own resourceVersion.
#[derive(Debug, Clone, PartialEq)]
pub struct Event<T> {
    pub event: EventType,
    pub resource_version: u64,
    /// The object after the change (as it was deleted, for DELETED).
    pub object: T,
    /// The object before the change; `None` for ADDED.
    pub previous: Option<T>,
}

/// The resourceVersion counter and the last `window` changes.
#[derive(Debug, Clone)]
pub struct EventWindow<T> {
    rv: u64,
    events: VecDeque<Event<T>>,
    window: usize,
    /// Changes up to this resourceVersion have left the window.
    compacted: u64,
}

impl<T: Clone> EventWindow<T> {
    /// No change yet; `window` changes are kept (at least one).
    pub fn new(window: usize) -> Self {
        EventWindow {
            rv: 0,
            events: VecDeque::new(),
            window: window.max(1),
            compacted: 0,
        }
    }

    /// The next resourceVersion (for a change, or an object stored without an event).
    pub fn bump(&mut self) -> u64 {
        self.rv += 1;
        self.rv
    }

    /// The resourceVersion of the last change.
    pub fn resource_version(&self) -> u64 {
        self.rv
    }

    /// No watch can resume from before the current resourceVersion (the objects a store
    /// starts with have no events).
    pub fn compact_all(&mut self) {
        self.compacted = self.rv;
    }

    /// Keeps a change (`resource_version` from [`Self::bump`]); the oldest leaves the window.
    pub fn record(
        &mut self,
        event: EventType,
        resource_version: u64,
        object: T,
        previous: Option<T>,
    ) {
        self.events.push_back(Event {
            event,
            resource_version,
            object,
            previous,
        });
        while self.events.len() > self.window {
            if let Some(old) = self.events.pop_front() {
                self.compacted = old.resource_version;
            }
        }
    }

    /// Changes after resourceVersion `after`, oldest first; 410 Expired when some of them
    /// have already left the window.
    pub fn after(&self, after: u64) -> Result<Vec<Event<T>>, KubeError> {
        if after < self.compacted {
            return Err(KubeError::expired(format!(
                "too old resource version: {after} ({})",
                self.compacted + 1
            )));
        }
        Ok(self
            .events
            .iter()
            .filter(|e| e.resource_version > after)
            .cloned()
            .collect())
    }

    /// The retained changes, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Event<T>> {
        self.events.iter()
    }
}
