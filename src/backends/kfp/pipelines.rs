//! KFP pipelines and their versions: find a pipeline by name, upload a package as a new
//! pipeline or a new version, list and read versions, the UI page of a version.

use chrono::{DateTime, Utc};
use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::super::error::BackendError;
use super::transport::{no_hints, Body, KfpObject, Page};
use super::{encode, Kfp, API, PAGE_SIZE};

/// A KFP pipeline (`v2beta1Pipeline`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pipeline {
    /// Always set by the server.
    #[serde(default)]
    pub pipeline_id: String,
    /// Set by KFP 2.4 and later; older servers only have `display_name`.
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<std::collections::BTreeMap<String, String>>,
    /// A `googleRpcStatus` when the server could not read part of the pipeline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Value>,
}

/// `v2beta1Url`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackageUrl {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline_url: Option<String>,
}

/// A version of a KFP pipeline (`v2beta1PipelineVersion`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineVersion {
    #[serde(default)]
    pub pipeline_id: String,
    /// Always set by the server.
    #[serde(default)]
    pub pipeline_version_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_url: Option<PackageUrl>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_source_url: Option<String>,
    /// The compiled pipeline (or `{pipeline_spec, platform_spec}`), as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline_spec: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<std::collections::BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct ListPipelines {
    #[serde(default)]
    pipelines: Vec<Pipeline>,
}

#[derive(Debug, Deserialize)]
struct ListVersions {
    #[serde(default)]
    pipeline_versions: Vec<PipelineVersion>,
    #[serde(default)]
    next_page_token: String,
}

impl Page for ListVersions {
    type Item = PipelineVersion;
    fn into_parts(self) -> (Vec<PipelineVersion>, String) {
        (self.pipeline_versions, self.next_page_token)
    }
}

impl KfpObject for Pipeline {
    fn id(&self) -> (&'static str, &str) {
        ("pipeline_id", &self.pipeline_id)
    }
}

impl KfpObject for PipelineVersion {
    fn id(&self) -> (&'static str, &str) {
        ("pipeline_version_id", &self.pipeline_version_id)
    }
}

/// Hint for a package KFP refused.
const PACKAGE_HINT: &str =
    "check that [pipeline] package_path is a pipeline compiled with the KFP v2 SDK (kfp.compiler)";

impl Kfp {
    /// The pipeline named `name`, if KFP has one.
    pub async fn find_pipeline(&self, name: &str) -> Result<Option<Pipeline>, BackendError> {
        let what = format!("find pipeline `{name}`");
        let filter = json!({"predicates": [{
            "key": "name",
            "operation": "EQUALS",
            "string_value": name,
        }]});
        let path = format!(
            "{API}/pipelines?filter={}&page_size={PAGE_SIZE}",
            encode(&filter.to_string())
        );
        let list: ListPipelines = self
            .json(&what, Method::GET, &path, Body::Empty, no_hints)
            .await?;
        // Exact match only (a server's collation may compare case-insensitively); servers
        // before KFP 2.4 fill only `display_name`.
        let mut pipelines = list.pipelines;
        let exact = pipelines.iter().position(|p| p.name == name).or_else(|| {
            pipelines
                .iter()
                .position(|p| p.name.is_empty() && p.display_name.as_deref() == Some(name))
        });
        Ok(exact.map(|i| pipelines.swap_remove(i)))
    }

    /// Uploads a package as a new pipeline; KFP also creates its first version, named like
    /// the pipeline.
    pub async fn upload_pipeline(
        &self,
        name: &str,
        description: &str,
        package: Vec<u8>,
    ) -> Result<Pipeline, BackendError> {
        let what = format!("upload pipeline `{name}`");
        let mut path = format!(
            "{API}/pipelines/upload?name={}&display_name={}",
            encode(name),
            encode(name)
        );
        if !description.is_empty() {
            path.push_str(&format!("&description={}", encode(description)));
        }
        fn hints(status: u16) -> Option<&'static str> {
            match status {
                409 => Some("KFP already has a pipeline with this name; check [pipeline] name"),
                400 => Some(PACKAGE_HINT),
                _ => None,
            }
        }
        self.object(&what, Method::POST, &path, Body::Package(package), hints)
            .await
    }

    /// Uploads a package as a new version of a pipeline.
    pub async fn upload_pipeline_version(
        &self,
        pipeline_id: &str,
        version_name: &str,
        package: Vec<u8>,
    ) -> Result<PipelineVersion, BackendError> {
        self.upload_described_version(pipeline_id, version_name, "", package)
            .await
    }

    /// Uploads a package as a new version of a pipeline, with a description (none when
    /// empty): the upload handler's `description` query parameter (kubeflow/pipelines,
    /// backend/src/apiserver/server/pipeline_upload_server.go, `DescriptionQueryStringKey`).
    pub async fn upload_described_version(
        &self,
        pipeline_id: &str,
        version_name: &str,
        description: &str,
        package: Vec<u8>,
    ) -> Result<PipelineVersion, BackendError> {
        let what = format!("upload version `{version_name}` of pipeline {pipeline_id}");
        let mut path = format!(
            "{API}/pipelines/upload_version?pipelineid={}&name={}&display_name={}",
            encode(pipeline_id),
            encode(version_name),
            encode(version_name)
        );
        if !description.is_empty() {
            path.push_str(&format!("&description={}", encode(description)));
        }
        fn hints(status: u16) -> Option<&'static str> {
            match status {
                409 => Some("the pipeline already has a version with this name; build again to get a new name"),
                404 => Some("the pipeline no longer exists in KFP; build again to re-create it"),
                400 => Some(PACKAGE_HINT),
                _ => None,
            }
        }
        self.object(&what, Method::POST, &path, Body::Package(package), hints)
            .await
    }

    /// Every version of a pipeline (all pages), newest first.
    pub async fn list_versions(
        &self,
        pipeline_id: &str,
    ) -> Result<Vec<PipelineVersion>, BackendError> {
        let what = format!("list versions of pipeline {pipeline_id}");
        let base = format!(
            "{API}/pipelines/{}/versions?page_size={PAGE_SIZE}&sort_by={}",
            encode(pipeline_id),
            encode("created_at desc")
        );
        let mut versions = Vec::new();
        self.pages::<ListVersions>(&what, &base, "versions", |page| {
            versions.extend(page);
            false
        })
        .await?;
        // Newest first even from a server that ignores `sort_by` (stable: ties keep the
        // server's order).
        versions.sort_by_key(|v| std::cmp::Reverse(v.created_at));
        Ok(versions)
    }

    /// One version of a pipeline.
    pub async fn get_version(
        &self,
        pipeline_id: &str,
        version_id: &str,
    ) -> Result<PipelineVersion, BackendError> {
        let what = format!("get version {version_id} of pipeline {pipeline_id}");
        let path = format!(
            "{API}/pipelines/{}/versions/{}",
            encode(pipeline_id),
            encode(version_id)
        );
        fn hints(status: u16) -> Option<&'static str> {
            (status == 404).then_some(
                "KFP has no such pipeline version; it may have been deleted (check the KFOPS_VERSION_ID)",
            )
        }
        self.object(&what, Method::GET, &path, Body::Empty, hints)
            .await
    }

    /// The KFP UI page of a pipeline version (`{ui_url}/#/pipelines/details/{pid}/version/{vid}`,
    /// the UI's `RoutePage.PIPELINE_DETAILS`: kubeflow/pipelines
    /// `frontend/src/components/Router.tsx`, a hash route), or `None` without
    /// [`with_ui_url`](Self::with_ui_url): neither the API endpoint nor a Kubernetes
    /// service-proxy path is a page a PR reader's browser can open (the proxy path is relative
    /// to the API server and needs its credentials; `ml-pipeline:8888` serves no UI).
    pub fn ui_url_for_version(&self, pipeline_id: &str, version_id: &str) -> Option<String> {
        self.ui_page(&format!(
            "pipelines/details/{}/version/{}",
            encode(pipeline_id),
            encode(version_id)
        ))
    }
}
