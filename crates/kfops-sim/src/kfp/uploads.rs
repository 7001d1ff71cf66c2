//! The multipart uploads of the KFP v2beta1 API: `pipelines/upload` (a pipeline and its
//! first version) and `pipelines/upload_version`, with the checks KFP makes of the package,
//! the names and the tags.

use std::collections::BTreeMap;

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Response};

use super::errors::{Code, UploadError};
use super::package;
use super::pipeline_store::NewVersion;
use super::pipelines::{ok, param, pipeline_json, query_of, version_json};
use super::KfpHandle;

/// Most tags a pipeline or version may have, and the longest key or value (KFP's limits).
const MAX_TAGS: usize = 20;
const MAX_TAG_LEN: usize = 63;

/// `POST /apis/v2beta1/pipelines/upload`: creates a pipeline and its first version.
pub async fn upload_pipeline(
    State(kfp): State<KfpHandle>,
    uri: Uri,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let query = query_of(&uri);
    let what = "Failed to create a pipeline";
    let (filename, bytes) = match read_upload(form, what).await {
        Ok(file) => file,
        Err(e) => return e.into_response(),
    };
    let new = match new_version(&query, filename, bytes, what) {
        Ok(new) => new,
        Err(e) => return e.into_response(),
    };
    let namespace = param(&query, &["namespace"]).to_owned();
    match kfp.update(|s| s.create_pipeline(&namespace, new)) {
        Ok((pipeline, _)) => ok(pipeline_json(&pipeline)),
        Err(message) => UploadError::conflict(format!(
            "Failed to create a pipeline and a pipeline version. The pipeline already exists.: {message}"
        ))
        .into_response(),
    }
}

/// `POST /apis/v2beta1/pipelines/upload_version?pipelineid=...`.
pub async fn upload_version(
    State(kfp): State<KfpHandle>,
    uri: Uri,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let query = query_of(&uri);
    let what = "Failed to create a pipeline version";
    let (filename, bytes) = match read_upload(form, what).await {
        Ok(file) => file,
        Err(e) => return e.into_response(),
    };
    let pipeline_id = param(&query, &["pipelineid"]).to_owned();
    if pipeline_id.is_empty() {
        return UploadError::bad_request(format!(
            "{what} due to error parsing pipeline id: the `pipelineid` query parameter is missing"
        ))
        .into_response();
    }
    let new = match new_version(&query, filename, bytes, what) {
        Ok(new) => new,
        Err(e) => return e.into_response(),
    };
    match kfp.update(|s| s.create_version(&pipeline_id, new)) {
        Ok(version) => ok(version_json(&version)),
        Err((Code::NotFound, message)) => {
            UploadError::not_found(format!("{what}: {message}")).into_response()
        }
        Err((_, message)) => UploadError::conflict(format!(
            "{what}. The pipeline version already exists.: {message}"
        ))
        .into_response(),
    }
}

/// The `uploadfile` part of the form: its file name and bytes.
async fn read_upload(
    form: Result<Multipart, MultipartRejection>,
    what: &str,
) -> Result<(String, Vec<u8>), UploadError> {
    let missing = |detail: String| {
        UploadError::bad_request(format!(
            "{what} due to error parsing pipeline spec filename: {detail}"
        ))
    };
    let mut form = form.map_err(|e| {
        missing(format!(
            "request Content-Type isn't multipart/form-data ({})",
            e.body_text()
        ))
    })?;
    loop {
        let field = form
            .next_field()
            .await
            .map_err(|e| missing(format!("the multipart body is malformed ({e})")))?;
        let Some(field) = field else {
            return Err(missing(
                "http: no such file (the form has no `uploadfile` field)".to_owned(),
            ));
        };
        if field.name() != Some("uploadfile") {
            continue;
        }
        let filename = field.file_name().unwrap_or("").to_owned();
        let bytes = field.bytes().await.map_err(|e| {
            UploadError::bad_request(format!(
                "{what} due to error reading pipeline spec file: {e}"
            ))
        })?;
        return Ok((filename, bytes.to_vec()));
    }
}

/// Checks the package and reads the names, description, source URL and tags of the query.
fn new_version(
    query: &[(String, String)],
    filename: String,
    bytes: Vec<u8>,
    what: &str,
) -> Result<NewVersion, UploadError> {
    let parsed = package::parse(&bytes).map_err(|e| {
        UploadError::bad_request(format!(
            "{what} due to error creating pipeline spec from the uploaded file: {e}"
        ))
    })?;
    let display_name = param(query, &["display_name", "displayName"]);
    let name = match param(query, &["name"]) {
        "" if !display_name.is_empty() => display_name.to_owned(),
        "" => filename,
        name => name.to_owned(),
    };
    if name.is_empty() {
        return Err(UploadError::bad_request(format!(
            "{what}: Invalid input error: the name is empty; pass `name` or a file name"
        )));
    }
    let tags = parse_tags(param(query, &["tags"]))
        .map_err(|e| UploadError::bad_request(format!("{what}: Invalid input error: {e}")))?;
    Ok(NewVersion {
        display_name: if display_name.is_empty() {
            name.clone()
        } else {
            display_name.to_owned()
        },
        name,
        description: param(query, &["description"]).to_owned(),
        code_source_url: param(query, &["code_source_url", "codeSourceUrl"]).to_owned(),
        tags,
        package: bytes,
        pipeline_spec: parsed.spec_json(),
    })
}

/// The `tags` query parameter: a JSON object of strings.
fn parse_tags(text: &str) -> Result<BTreeMap<String, String>, String> {
    if text.trim().is_empty() {
        return Ok(BTreeMap::new());
    }
    let tags: BTreeMap<String, String> = serde_json::from_str(text).map_err(|e| {
        format!("Failed to parse tags `{text}`: {e}; pass a JSON object of strings")
    })?;
    if tags.len() > MAX_TAGS {
        return Err(format!(
            "at most {MAX_TAGS} tags are allowed, got {}",
            tags.len()
        ));
    }
    if let Some((k, v)) = tags
        .iter()
        .find(|(k, v)| k.is_empty() || k.len() > MAX_TAG_LEN || v.len() > MAX_TAG_LEN)
    {
        return Err(format!(
            "tag `{k}`=`{v}`: keys must be non-empty and keys and values at most {MAX_TAG_LEN} characters"
        ));
    }
    Ok(tags)
}
