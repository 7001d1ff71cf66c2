//! The InferenceServices the simulated API server stores (as JSON, like a CRD's objects),
//! each with its rollout and the sample requests its predictor answered; the
//! resourceVersion counter and the window of recent events a watch can resume from (the
//! Kubernetes simulator's [`EventWindow`]).

use std::collections::BTreeMap;

use serde_json::Value;

use super::rollout::Rollout;
use crate::kube::events::{Event, EventWindow};
use crate::kube::{EventType, KubeError};

/// One change to an InferenceService.
pub type IsvcEvent = Event<Value>;

/// An InferenceService and what the simulation keeps beside it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub object: Value,
    pub rollout: Rollout,
    /// Requests each revision's predictor answered.
    pub samples: BTreeMap<String, u64>,
    /// Requests routed by traffic split so far (picks the next revision).
    pub routed: u64,
}

/// Everything the KServe simulator stores.
#[derive(Debug, Clone)]
pub struct KserveState {
    entries: BTreeMap<(String, String), Entry>,
    events: EventWindow<Value>,
    serial: u64,
    /// Names (`ns/name`, `name` or a revision name) whose revisions never become Ready.
    pub never_ready: Vec<String>,
    /// Names whose predictor answers 500.
    pub fail_sample: Vec<String>,
}

fn key(namespace: &str, name: &str) -> (String, String) {
    (namespace.to_owned(), name.to_owned())
}

/// `metadata.namespace` and `metadata.name` of an object.
pub fn name_of(object: &Value) -> (String, String) {
    let meta = &object["metadata"];
    let text = |k: &str| meta[k].as_str().unwrap_or_default().to_owned();
    (text("namespace"), text("name"))
}

/// Whether a knob's list names this InferenceService (`ns/name` or `name`) or revision.
pub fn listed(list: &[String], namespace: &str, name: &str, revision: Option<&str>) -> bool {
    list.iter().any(|entry| {
        entry == name || *entry == format!("{namespace}/{name}") || Some(entry.as_str()) == revision
    })
}

impl KserveState {
    /// Empty storage keeping `window` events for watches.
    pub fn new(window: usize, never_ready: Vec<String>, fail_sample: Vec<String>) -> KserveState {
        KserveState {
            entries: BTreeMap::new(),
            events: EventWindow::new(window),
            serial: 0,
            never_ready,
            fail_sample,
        }
    }

    /// A fresh number for uids and generated names.
    pub fn next_serial(&mut self) -> u64 {
        self.serial += 1;
        self.serial
    }

    /// The resourceVersion of the last change.
    pub fn resource_version(&self) -> u64 {
        self.events.resource_version()
    }

    /// InferenceServices of one namespace (`None`: of all), by namespace and name.
    pub fn objects<'a>(&'a self, namespace: Option<&'a str>) -> impl Iterator<Item = &'a Value> {
        self.entries
            .iter()
            .filter(move |((ns, _), _)| namespace.is_none_or(|n| n == ns))
            .map(|(_, e)| &e.object)
    }

    /// One InferenceService and its bookkeeping.
    pub fn entry(&self, namespace: &str, name: &str) -> Option<&Entry> {
        self.entries.get(&key(namespace, name))
    }

    /// The same, to change the bookkeeping (not the object: that goes through [`Self::update`]).
    pub fn entry_mut(&mut self, namespace: &str, name: &str) -> Option<&mut Entry> {
        self.entries.get_mut(&key(namespace, name))
    }

    /// Stores a new object (metadata already set but its resourceVersion) and records ADDED.
    pub fn insert(&mut self, mut object: Value, rollout: Rollout) -> Result<Value, KubeError> {
        let (namespace, name) = name_of(&object);
        let k = key(&namespace, &name);
        if self.entries.contains_key(&k) {
            return Err(super::isvc::already_exists(&name));
        }
        let rv = self.events.bump();
        object["metadata"]["resourceVersion"] = Value::String(rv.to_string());
        let entry = Entry {
            object: object.clone(),
            rollout,
            samples: BTreeMap::new(),
            routed: 0,
        };
        self.entries.insert(k, entry);
        self.events
            .record(EventType::Added, rv, object.clone(), None);
        Ok(object)
    }

    /// Replaces an object and its rollout: a new resourceVersion and MODIFIED, unless nothing
    /// changed (the API server skips no-op updates). `None` if there is no such object.
    pub fn update(
        &mut self,
        namespace: &str,
        name: &str,
        mut object: Value,
        rollout: Rollout,
    ) -> Option<Value> {
        let entry = self.entries.get(&key(namespace, name))?;
        let previous = entry.object.clone();
        object["metadata"]["resourceVersion"] = previous["metadata"]["resourceVersion"].clone();
        if object == previous {
            if let Some(entry) = self.entries.get_mut(&key(namespace, name)) {
                entry.rollout = rollout;
            }
            return Some(previous);
        }
        let rv = self.events.bump();
        object["metadata"]["resourceVersion"] = Value::String(rv.to_string());
        if let Some(entry) = self.entries.get_mut(&key(namespace, name)) {
            entry.object = object.clone();
            entry.rollout = rollout;
        }
        self.events
            .record(EventType::Modified, rv, object.clone(), Some(previous));
        Some(object)
    }

    /// Deletes an object at once and records DELETED; returns it as it was deleted.
    pub fn delete(&mut self, namespace: &str, name: &str) -> Option<Value> {
        let entry = self.entries.remove(&key(namespace, name))?;
        let previous = entry.object;
        let mut object = previous.clone();
        let rv = self.events.bump();
        object["metadata"]["resourceVersion"] = Value::String(rv.to_string());
        self.events
            .record(EventType::Deleted, rv, object.clone(), Some(previous));
        Some(object)
    }

    /// Events after resourceVersion `after`, oldest first; 410 Expired when some of them
    /// have left the window.
    pub fn events_after(&self, after: u64) -> Result<Vec<IsvcEvent>, KubeError> {
        self.events.after(after)
    }
}
