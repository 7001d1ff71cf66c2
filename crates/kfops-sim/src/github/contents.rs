//! `GET /repos/{owner}/{repo}/contents/{path}?ref=REF`: files of the default branch, with a
//! PR head's overrides on top when `ref` names that head.
//!
//! Sizes as GitHub serves them (REST docs, "Get repository content":
//! https://docs.github.com/rest/repos/contents#get-repository-content, and the changelog
//! https://github.blog/changelog/2022-05-03-increased-file-size-limit-when-retrieving-file-contents-via-rest-api):
//! a file of 1 MB or less comes inline as base64; between 1 and 100 MB the object has
//! `content: ""` and `encoding: "none"`, and only the raw media type
//! (`application/vnd.github.raw+json`, `application/vnd.github.v3.raw`) gives the bytes. Files
//! above 100 MB are not simulated.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use base64::Engine;
use serde_json::{json, Value};

use super::http::{encode_path, json_response, ApiError, Req, DOCS};
use super::render::{Render, WEB};
use super::state::fake_sha;
use super::GithubHandle;

const DOC: &str = "https://docs.github.com/rest/repos/contents#get-repository-content";

/// Above this size a file's object carries no content (GitHub's "1 MB").
pub const INLINE_LIMIT: usize = 1024 * 1024;

/// `repos/get-content` for the repository root.
pub async fn get_root(
    gh: State<GithubHandle>,
    Path((owner, repo)): Path<(String, String)>,
    headers: HeaderMap,
    req: Req,
) -> Result<Response, ApiError> {
    get(gh, Path((owner, repo, String::new())), headers, req).await
}

/// Whether the client asked for the raw media type (files and symlinks only; a directory is
/// answered as JSON whatever it asked).
fn wants_raw(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.split(';').next().unwrap_or("").trim())
        .any(|t| {
            matches!(
                t,
                "application/vnd.github.raw"
                    | "application/vnd.github.raw+json"
                    | "application/vnd.github.v3.raw"
                    | "application/vnd.github.v3.raw+json"
            )
        })
}

/// A file's bytes as the raw media type answers them.
fn raw_response(text: &str) -> Response {
    let mut response = Response::new(axum::body::Body::from(text.as_bytes().to_vec()));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.github.raw"),
    );
    response
}

/// `repos/get-content`: a file object, or an array of entries for a directory.
pub async fn get(
    State(gh): State<GithubHandle>,
    Path((owner, repo, path)): Path<(String, String, String)>,
    headers: HeaderMap,
    req: Req,
) -> Result<Response, ApiError> {
    let raw = wants_raw(&headers);
    gh.read(|s| {
        if !s.is_repo(&owner, &repo) {
            return Err(ApiError::not_found(DOCS));
        }
        let git_ref = req
            .param("ref")
            .unwrap_or(s.repo.default_branch.as_str())
            .to_owned();
        let tip = s.resolve_ref(&git_ref).ok_or_else(|| {
            ApiError::message(
                StatusCode::NOT_FOUND,
                &format!("No commit found for the ref {git_ref}"),
                DOC,
            )
        })?;
        let mut files: BTreeMap<&str, &str> = s
            .files
            .iter()
            .map(|(p, t)| (p.as_str(), t.as_str()))
            .collect();
        if let Some(pull) = tip.pull.and_then(|n| s.pulls.get(&n)) {
            files.extend(pull.files.iter().map(|(p, t)| (p.as_str(), t.as_str())));
        }
        let path = path.trim_matches('/');
        let render = Render::new(s, req.api());
        if let Some(text) = files.get(path) {
            if raw {
                return Ok(raw_response(text));
            }
            let mut entry = entry(&render, &git_ref, "file", path, text);
            if let Value::Object(map) = &mut entry {
                let (encoding, content) = if text.len() > INLINE_LIMIT {
                    ("none", String::new())
                } else {
                    ("base64", wrapped_base64(text.as_bytes()))
                };
                map.insert("encoding".into(), json!(encoding));
                map.insert("content".into(), json!(content));
            }
            return Ok(json_response(StatusCode::OK, &entry));
        }
        // A directory: its direct children, directories included, sorted by name.
        let prefix = if path.is_empty() {
            String::new()
        } else {
            format!("{path}/")
        };
        let mut children: BTreeMap<String, Value> = BTreeMap::new();
        for (file, text) in &files {
            let Some(rest) = file.strip_prefix(prefix.as_str()) else {
                continue;
            };
            let value = match rest.split_once('/') {
                Some((dir, _)) => {
                    let dir_path = format!("{prefix}{dir}");
                    entry(&render, &git_ref, "dir", &dir_path, "")
                }
                None => entry(&render, &git_ref, "file", file, text),
            };
            let name = rest.split('/').next().unwrap_or(rest).to_owned();
            children.entry(name).or_insert(value);
        }
        if children.is_empty() {
            return Err(ApiError::not_found(DOC));
        }
        let listing = Value::Array(children.into_values().collect());
        Ok(json_response(StatusCode::OK, &listing))
    })
}

/// A contents entry without the file's content.
fn entry(render: &Render<'_>, git_ref: &str, kind: &str, path: &str, text: &str) -> Value {
    let api = render.repo_api();
    let sha = fake_sha(&format!("{kind}:{path}:{text}"));
    let name = path.rsplit('/').next().unwrap_or(path);
    let (owner, repo) = (&render.state.repo.owner, &render.state.repo.name);
    let url = render.contents_url(path, git_ref);
    let git_url = format!(
        "{api}/git/{}/{sha}",
        if kind == "dir" { "trees" } else { "blobs" }
    );
    let html_url = format!(
        "{WEB}/{owner}/{repo}/{}/{git_ref}/{}",
        if kind == "dir" { "tree" } else { "blob" },
        encode_path(path)
    );
    let download_url = (kind == "file").then(|| {
        format!(
            "https://raw.githubusercontent.com/{owner}/{repo}/{git_ref}/{}",
            encode_path(path)
        )
    });
    json!({
        "type": kind,
        "size": text.len(),
        "name": name,
        "path": path,
        "sha": sha,
        "url": url,
        "git_url": git_url,
        "html_url": html_url,
        "download_url": download_url,
        "_links": { "self": url, "git": git_url, "html": html_url },
    })
}

/// Base64 with a newline after every 60 characters, as GitHub sends file content.
pub fn wrapped_base64(bytes: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 60 + 1);
    for chunk in encoded.as_bytes().chunks(60) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out
}
