//! The pipelines the simulated KFP holds: pipelines and their versions, in creation order,
//! with the keys list filters and `sort_by` read, and the changes uploads make.
//!
//! Times are whole seconds (KFP stores seconds).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::errors::Code;
use super::filter::{Key, Keys, Kind, Listed};
use super::package;
use super::scenario::KfpScenario;
use crate::scenario::GithubScenario;

/// A pipeline the simulated KFP holds.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPipeline {
    pub id: String,
    pub name: String,
    pub display_name: String,
    pub description: String,
    /// Empty: shared (no namespace).
    pub namespace: String,
    /// Whole seconds.
    pub created_at: DateTime<Utc>,
    pub tags: BTreeMap<String, String>,
    /// Creation order.
    pub seq: u64,
}

/// A pipeline version the simulated KFP holds.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredVersion {
    pub id: String,
    pub pipeline_id: String,
    pub name: String,
    pub display_name: String,
    pub description: String,
    /// Whole seconds.
    pub created_at: DateTime<Utc>,
    pub code_source_url: String,
    pub tags: BTreeMap<String, String>,
    /// The uploaded file, byte for byte.
    pub package: Vec<u8>,
    /// `pipeline_spec` as the API returns it (see [`package::Package::spec_json`]).
    pub pipeline_spec: Value,
    /// Creation order.
    pub seq: u64,
}

/// Everything the simulated KFP holds.
#[derive(Debug, Clone)]
pub struct KfpState {
    /// Namespace of the `ml-pipeline` service for the Kubernetes service proxy.
    pub proxy_namespace: String,
    /// When set, direct requests must carry `Authorization: Bearer` with it.
    pub token: Option<String>,
    /// Multi-user mode, when the scenario turns it on.
    pub multi_user: Option<super::multi_user::MultiUser>,
    /// In creation order.
    pub pipelines: Vec<StoredPipeline>,
    /// In creation order.
    pub versions: Vec<StoredVersion>,
    next_seq: u64,
}

/// Keys of pipelines for filters and `sort_by` (v2beta1 names and the v1 `id`).
pub(super) const PIPELINE_KEYS: Keys = &[
    ("pipeline_id", Kind::Str),
    ("id", Kind::Str),
    ("name", Kind::Str),
    ("display_name", Kind::Str),
    ("description", Kind::Str),
    ("namespace", Kind::Str),
    ("created_at", Kind::Int),
];

/// Keys of pipeline versions.
pub(super) const VERSION_KEYS: Keys = &[
    ("pipeline_version_id", Kind::Str),
    ("id", Kind::Str),
    ("pipeline_id", Kind::Str),
    ("name", Kind::Str),
    ("display_name", Kind::Str),
    ("description", Kind::Str),
    ("created_at", Kind::Int),
];

impl Listed for StoredPipeline {
    fn key(&self, name: &str) -> Option<Key> {
        let text = |s: &str| Some(Key::Str(s.to_owned()));
        match name {
            "pipeline_id" | "id" => text(&self.id),
            "name" => text(&self.name),
            "display_name" => text(&self.display_name),
            "description" => text(&self.description),
            "namespace" => text(&self.namespace),
            "created_at" => Some(Key::Int(self.created_at.timestamp())),
            _ => None,
        }
    }

    fn seq(&self) -> u64 {
        self.seq
    }
}

impl Listed for StoredVersion {
    fn key(&self, name: &str) -> Option<Key> {
        let text = |s: &str| Some(Key::Str(s.to_owned()));
        match name {
            "pipeline_version_id" | "id" => text(&self.id),
            "pipeline_id" => text(&self.pipeline_id),
            "name" => text(&self.name),
            "display_name" => text(&self.display_name),
            "description" => text(&self.description),
            "created_at" => Some(Key::Int(self.created_at.timestamp())),
            _ => None,
        }
    }

    fn seq(&self) -> u64 {
        self.seq
    }
}

/// What an upload asks to create.
#[derive(Debug, Clone, Default)]
pub struct NewVersion {
    pub name: String,
    pub display_name: String,
    pub description: String,
    pub code_source_url: String,
    pub tags: BTreeMap<String, String>,
    pub package: Vec<u8>,
    pub pipeline_spec: Value,
}

impl KfpState {
    /// The state a scenario describes (packages resolved against the GitHub files).
    pub fn from_scenario(scenario: &KfpScenario, github: &GithubScenario) -> KfpState {
        let mut state = KfpState {
            proxy_namespace: scenario.proxy_namespace.clone(),
            token: scenario.token.clone(),
            multi_user: scenario.multi_user.clone(),
            pipelines: Vec::new(),
            versions: Vec::new(),
            next_seq: 1,
        };
        let mut pipelines: Vec<_> = scenario.pipelines.iter().collect();
        pipelines.sort_by_key(|p| p.created_at);
        for p in pipelines {
            let seq = state.seq();
            state.pipelines.push(StoredPipeline {
                id: p.id.clone(),
                name: p.name.clone(),
                display_name: p.display_name.clone().unwrap_or_else(|| p.name.clone()),
                description: p.description.clone().unwrap_or_default(),
                namespace: p.namespace.clone().unwrap_or_default(),
                created_at: p.created_at,
                tags: BTreeMap::new(),
                seq,
            });
        }
        let mut versions: Vec<_> = scenario
            .pipelines
            .iter()
            .flat_map(|p| p.versions.iter().map(move |v| (p, v)))
            .collect();
        versions.sort_by_key(|(_, v)| v.created_at);
        for (p, v) in versions {
            let text = v.package_text(github).unwrap_or_default();
            let pipeline_spec = match package::parse(text.as_bytes()) {
                Ok(parsed) => parsed.spec_json(),
                Err(err) => {
                    tracing::warn!(version = %v.id, %err, "scenario KFP package is not valid");
                    Value::Null
                }
            };
            let seq = state.seq();
            state.versions.push(StoredVersion {
                id: v.id.clone(),
                pipeline_id: p.id.clone(),
                name: v.name.clone(),
                display_name: v.display_name.clone().unwrap_or_else(|| v.name.clone()),
                description: v.description.clone().unwrap_or_default(),
                created_at: v.created_at,
                code_source_url: v.code_source_url.clone().unwrap_or_default(),
                tags: BTreeMap::new(),
                package: text.as_bytes().to_vec(),
                pipeline_spec,
                seq,
            });
        }
        state
    }

    fn seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// The pipeline with this id.
    pub fn pipeline(&self, id: &str) -> Option<&StoredPipeline> {
        self.pipelines.iter().find(|p| p.id == id)
    }

    /// The pipeline with this name in a namespace (`""`: shared).
    pub fn pipeline_named(&self, name: &str, namespace: &str) -> Option<&StoredPipeline> {
        self.pipelines
            .iter()
            .find(|p| p.name == name && p.namespace == namespace)
    }

    /// The version with this id.
    pub fn version(&self, id: &str) -> Option<&StoredVersion> {
        self.versions.iter().find(|v| v.id == id)
    }

    /// The versions of a pipeline, oldest first.
    pub fn versions_of<'a>(
        &'a self,
        pipeline_id: &'a str,
    ) -> impl Iterator<Item = &'a StoredVersion> {
        self.versions
            .iter()
            .filter(move |v| v.pipeline_id == pipeline_id)
    }

    /// Creates a pipeline and its first version (named like the pipeline), as an upload does.
    pub fn create_pipeline(
        &mut self,
        namespace: &str,
        version: NewVersion,
    ) -> Result<(StoredPipeline, StoredVersion), String> {
        if self.pipeline_named(&version.name, namespace).is_some() {
            return Err(format!(
                "Already exist error: Failed to create a new pipeline. The name {} already exists. Please specify a new name",
                version.name
            ));
        }
        let now = now_secs();
        let pipeline = StoredPipeline {
            id: new_id(),
            name: version.name.clone(),
            display_name: version.display_name.clone(),
            description: version.description.clone(),
            namespace: namespace.to_owned(),
            created_at: now,
            tags: version.tags.clone(),
            seq: self.seq(),
        };
        self.pipelines.push(pipeline.clone());
        let version = self.push_version(&pipeline.id, version, now);
        Ok((pipeline, version))
    }

    /// Adds a version to a pipeline. `Err((NotFound | AlreadyExists, message))`.
    pub fn create_version(
        &mut self,
        pipeline_id: &str,
        version: NewVersion,
    ) -> Result<StoredVersion, (Code, String)> {
        if self.pipeline(pipeline_id).is_none() {
            return Err((
                Code::NotFound,
                format!("ResourceNotFoundError: Pipeline {pipeline_id} not found"),
            ));
        }
        if self
            .versions_of(pipeline_id)
            .any(|v| v.name == version.name)
        {
            return Err((
                Code::AlreadyExists,
                format!(
                    "Already exist error: Failed to create a new pipeline version. The name {} already exists in pipeline {pipeline_id}. Please specify a new name",
                    version.name
                ),
            ));
        }
        Ok(self.push_version(pipeline_id, version, now_secs()))
    }

    fn push_version(
        &mut self,
        pipeline_id: &str,
        v: NewVersion,
        now: DateTime<Utc>,
    ) -> StoredVersion {
        let stored = StoredVersion {
            id: new_id(),
            pipeline_id: pipeline_id.to_owned(),
            name: v.name,
            display_name: v.display_name,
            description: v.description,
            created_at: now,
            code_source_url: v.code_source_url,
            tags: v.tags,
            package: v.package,
            pipeline_spec: v.pipeline_spec,
            seq: self.seq(),
        };
        self.versions.push(stored.clone());
        stored
    }
}

/// A new UUIDv4 id.
fn new_id() -> String {
    uuid::Uuid::new_v4().hyphenated().to_string()
}

/// Now, in whole seconds (KFP stores `created_at` in seconds).
fn now_secs() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now)
}
