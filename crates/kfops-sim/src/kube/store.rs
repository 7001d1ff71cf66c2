//! The API server's storage: namespaces, pods, container logs (the current instance's and,
//! for a restarted container, the previous one's), the resourceVersion counter and the window
//! of recent pod events a watch can resume from ([`EventWindow`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::{Namespace, NamespaceSpec, NamespaceStatus, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::events::{Event, EventType, EventWindow};
use super::status::KubeError;
use super::{k8s_time, uid};

/// A line a container printed, stamped with the time it was produced.
pub type LogLine = (DateTime<Utc>, String);

/// One change to a pod (for DELETED, the pod with `deletionTimestamp` set).
pub type PodEvent = Event<Pod>;

/// When a pod was created, started running, finished and was deleted (kept after deletion,
/// for checks such as "the two builds overlapped").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodTimeline {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub created: DateTime<Utc>,
    pub running: Option<DateTime<Utc>>,
    pub finished: Option<DateTime<Utc>>,
    pub deleted: Option<DateTime<Utc>>,
    /// The last phase the pod had.
    pub phase: String,
}

/// A pod and what its containers printed.
#[derive(Debug, Clone)]
struct PodEntry {
    pod: Pod,
    logs: BTreeMap<String, Vec<LogLine>>,
    /// The log of each restarted container's previous instance (the kubelet keeps one).
    previous: BTreeMap<String, Vec<LogLine>>,
}

/// Everything the simulated API server stores.
#[derive(Debug, Clone)]
pub struct KubeState {
    namespaces: BTreeMap<String, Namespace>,
    pods: BTreeMap<(String, String), PodEntry>,
    events: EventWindow<Pod>,
    timelines: Vec<PodTimeline>,
    /// Source of generated names, uids and pod IPs.
    serial: u64,
}

impl KubeState {
    /// Storage holding `namespaces` and no pods; `window` events are kept for watches.
    pub fn new(namespaces: &[String], window: usize) -> KubeState {
        let mut state = KubeState {
            namespaces: BTreeMap::new(),
            pods: BTreeMap::new(),
            events: EventWindow::new(window),
            timelines: Vec::new(),
            serial: 0,
        };
        let now = Utc::now();
        for name in namespaces {
            let rv = state.events.bump();
            let labels = BTreeMap::from([("kubernetes.io/metadata.name".to_owned(), name.clone())]);
            let ns = Namespace {
                metadata: ObjectMeta {
                    name: Some(name.clone()),
                    uid: Some(uid(&format!("namespace/{name}"))),
                    resource_version: Some(rv.to_string()),
                    creation_timestamp: Some(k8s_time(now)),
                    labels: Some(labels),
                    ..Default::default()
                },
                spec: Some(NamespaceSpec {
                    finalizers: Some(vec!["kubernetes".to_owned()]),
                }),
                status: Some(NamespaceStatus {
                    phase: Some("Active".to_owned()),
                    ..Default::default()
                }),
            };
            state.namespaces.insert(name.clone(), ns);
        }
        state.events.compact_all();
        state
    }

    /// A fresh number for generated names, uids and addresses.
    pub fn next_serial(&mut self) -> u64 {
        self.serial += 1;
        self.serial
    }

    /// The current resourceVersion (of the last change to anything).
    pub fn resource_version(&self) -> u64 {
        self.events.resource_version()
    }

    /// Namespaces, by name.
    pub fn namespaces(&self) -> impl Iterator<Item = &Namespace> {
        self.namespaces.values()
    }

    /// The namespace with this name.
    pub fn namespace(&self, name: &str) -> Option<&Namespace> {
        self.namespaces.get(name)
    }

    /// Pods of one namespace (`None`: of all), in storage order (namespace, then name).
    pub fn pods<'a>(&'a self, namespace: Option<&'a str>) -> impl Iterator<Item = &'a Pod> + 'a {
        self.pods
            .iter()
            .filter(move |((ns, _), _)| namespace.is_none_or(|n| n == ns))
            .map(|(_, e)| &e.pod)
    }

    /// One pod.
    pub fn pod(&self, namespace: &str, name: &str) -> Option<&Pod> {
        self.pods
            .get(&(namespace.to_owned(), name.to_owned()))
            .map(|e| &e.pod)
    }

    /// Stores a new pod (already validated and defaulted by admission): sets its
    /// resourceVersion and records ADDED. 409 if the name is taken.
    pub fn insert_pod(&mut self, mut pod: Pod, now: DateTime<Utc>) -> Result<Pod, KubeError> {
        let namespace = pod.metadata.namespace.clone().unwrap_or_default();
        let name = pod.metadata.name.clone().unwrap_or_default();
        let key = (namespace.clone(), name.clone());
        if self.pods.contains_key(&key) {
            return Err(KubeError::already_exists("pods", &name));
        }
        let rv = self.events.bump();
        pod.metadata.resource_version = Some(rv.to_string());
        let logs = pod
            .spec
            .iter()
            .flat_map(|s| {
                s.containers
                    .iter()
                    .chain(s.init_containers.iter().flatten())
            })
            .map(|c| (c.name.clone(), Vec::new()))
            .collect();
        self.timelines.push(PodTimeline {
            namespace,
            name,
            uid: pod.metadata.uid.clone().unwrap_or_default(),
            created: now,
            running: None,
            finished: None,
            deleted: None,
            phase: phase_of(&pod),
        });
        self.pods.insert(
            key,
            PodEntry {
                pod: pod.clone(),
                logs,
                previous: BTreeMap::new(),
            },
        );
        self.events.record(EventType::Added, rv, pod.clone(), None);
        Ok(pod)
    }

    /// Changes a pod (the pod with this uid: a re-created namesake is left alone), bumps
    /// its resourceVersion and records MODIFIED. `None` if there is no such pod.
    pub fn update_pod(
        &mut self,
        namespace: &str,
        name: &str,
        uid: &str,
        now: DateTime<Utc>,
        change: impl FnOnce(&mut Pod),
    ) -> Option<Pod> {
        let key = (namespace.to_owned(), name.to_owned());
        let entry = self.pods.get(&key)?;
        if entry.pod.metadata.uid.as_deref() != Some(uid) {
            return None;
        }
        let previous = entry.pod.clone();
        let mut pod = previous.clone();
        change(&mut pod);
        let rv = self.events.bump();
        pod.metadata.resource_version = Some(rv.to_string());
        if let Some(entry) = self.pods.get_mut(&key) {
            entry.pod = pod.clone();
        }
        let phase = phase_of(&pod);
        if let Some(t) = self.timeline_mut(uid) {
            if phase == "Running" && t.running.is_none() {
                t.running = Some(now);
            }
            if matches!(phase.as_str(), "Succeeded" | "Failed") && t.finished.is_none() {
                t.finished = Some(now);
            }
            t.phase = phase;
        }
        self.events
            .record(EventType::Modified, rv, pod.clone(), Some(previous));
        Some(pod)
    }

    /// Deletes a pod at once (no grace period) and records DELETED; returns the pod as it was
    /// deleted. 404 if there is no such pod.
    pub fn delete_pod(
        &mut self,
        namespace: &str,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<Pod, KubeError> {
        let key = (namespace.to_owned(), name.to_owned());
        let entry = self
            .pods
            .remove(&key)
            .ok_or_else(|| KubeError::not_found("pods", name))?;
        let previous = entry.pod;
        let mut pod = previous.clone();
        let rv = self.events.bump();
        pod.metadata.resource_version = Some(rv.to_string());
        pod.metadata.deletion_timestamp = Some(k8s_time(now));
        pod.metadata.deletion_grace_period_seconds = Some(0);
        if let Some(t) = pod.metadata.uid.clone().and_then(|u| self.timeline_mut(&u)) {
            t.deleted = Some(now);
        }
        self.events
            .record(EventType::Deleted, rv, pod.clone(), Some(previous));
        Ok(pod)
    }

    fn timeline_mut(&mut self, uid: &str) -> Option<&mut PodTimeline> {
        self.timelines.iter_mut().rev().find(|t| t.uid == uid)
    }

    /// Pod events after resourceVersion `after`, oldest first; 410 Expired when some of them
    /// have already left the window.
    pub fn events_after(&self, after: u64) -> Result<Vec<PodEvent>, KubeError> {
        self.events.after(after)
    }

    /// The retained window of pod events, oldest first.
    pub fn events(&self) -> impl Iterator<Item = &PodEvent> {
        self.events.iter()
    }

    /// Every pod ever created, in creation order.
    pub fn timelines(&self) -> &[PodTimeline] {
        &self.timelines
    }

    /// Appends a line to a container's log; `false` if the pod or container is gone.
    pub fn append_log(
        &mut self,
        namespace: &str,
        name: &str,
        container: &str,
        line: LogLine,
    ) -> bool {
        let key = (namespace.to_owned(), name.to_owned());
        match self
            .pods
            .get_mut(&key)
            .and_then(|e| e.logs.get_mut(container))
        {
            Some(lines) => {
                lines.push(line);
                true
            }
            None => false,
        }
    }

    /// A container restarts: its log becomes the previous instance's (replacing an older
    /// one) and the new instance's starts empty. `false` if the pod or container is gone.
    pub fn restart_log(&mut self, namespace: &str, name: &str, container: &str) -> bool {
        let key = (namespace.to_owned(), name.to_owned());
        let Some(entry) = self.pods.get_mut(&key) else {
            return false;
        };
        let Some(lines) = entry.logs.get_mut(container) else {
            return false;
        };
        let old = std::mem::take(lines);
        entry.previous.insert(container.to_owned(), old);
        true
    }

    /// The previous instance's log of a restarted container.
    pub fn previous_log(&self, namespace: &str, name: &str, container: &str) -> Option<&[LogLine]> {
        self.pods
            .get(&(namespace.to_owned(), name.to_owned()))
            .and_then(|e| e.previous.get(container))
            .map(Vec::as_slice)
    }

    /// A container's log lines so far.
    pub fn log(&self, namespace: &str, name: &str, container: &str) -> Option<&[LogLine]> {
        self.pods
            .get(&(namespace.to_owned(), name.to_owned()))
            .and_then(|e| e.logs.get(container))
            .map(Vec::as_slice)
    }
}

/// `status.phase` of a pod (empty when unset).
pub fn phase_of(pod: &Pod) -> String {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.clone())
        .unwrap_or_default()
}
