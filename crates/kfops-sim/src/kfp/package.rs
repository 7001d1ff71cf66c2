//! Reading an uploaded KFP package: the YAML IR (`PipelineSpec`) the KFP v2 SDK compiles,
//! optionally followed by a second YAML document with the platform spec
//! (`platforms: {kubernetes: ...}`), checked the way the API server's v2 template reader does.

use serde::Deserialize;
use serde_json::{json, Map, Value};

/// A package that passed the checks.
#[derive(Debug, Clone, PartialEq)]
pub struct Package {
    /// `pipelineInfo.name`.
    pub name: String,
    /// `pipelineInfo.description`, if any.
    pub description: Option<String>,
    /// The first document, as JSON.
    pub pipeline_spec: Value,
    /// The second document (with `platforms`), as JSON.
    pub platform_spec: Option<Value>,
}

impl Package {
    /// What a `PipelineVersion`'s `pipeline_spec` holds: the pipeline spec alone, or, when the
    /// package has a platform spec, `{"pipeline_spec": ..., "platform_spec": ...}` as KFP does.
    pub fn spec_json(&self) -> Value {
        match &self.platform_spec {
            None => self.pipeline_spec.clone(),
            Some(platform) => json!({
                "pipeline_spec": self.pipeline_spec,
                "platform_spec": platform,
            }),
        }
    }
}

/// Why a file is not a KFP package; the text reads like the API server's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PackageError(pub String);

fn invalid(message: impl std::fmt::Display) -> PackageError {
    PackageError(format!("Invalid input error: {message}"))
}

/// Parses and checks a package.
pub fn parse(bytes: &[u8]) -> Result<Package, PackageError> {
    if bytes.starts_with(&[0x1f, 0x8b]) || bytes.starts_with(b"PK\x03\x04") {
        return Err(invalid(
            "compressed packages (.tar.gz, .zip) are not supported by the simulated KFP; upload the compiled YAML",
        ));
    }
    let mut documents = Vec::new();
    for document in serde_norway::Deserializer::from_slice(bytes) {
        let value = Value::deserialize(document)
            .map_err(|e| invalid(format!("the file is not valid YAML: {e}")))?;
        // `---` with nothing after it yields an empty document; KFP skips those.
        if !value.is_null() {
            documents.push(value);
        }
    }
    let mut documents = documents.into_iter();
    let Some(spec) = documents.next() else {
        return Err(invalid("the file is empty"));
    };
    let platform_spec = documents.next();
    if documents.next().is_some() {
        return Err(invalid(
            "a pipeline package has at most two YAML documents: the pipeline spec and the platform spec",
        ));
    }
    let Some(object) = spec.as_object() else {
        return Err(invalid("the pipeline spec is not a YAML mapping"));
    };
    if object.get("kind").and_then(Value::as_str) == Some("Workflow") {
        return Err(invalid(
            "this is an Argo Workflow (KFP v1); compile the pipeline with the KFP v2 SDK",
        ));
    }
    let info = field(object, "pipelineInfo", "pipeline_info")
        .and_then(Value::as_object)
        .ok_or_else(|| invalid("invalid v2 pipeline spec: pipelineInfo is missing"))?;
    let name = info
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| invalid("invalid v2 pipeline spec: name is empty"))?;
    if !valid_name(name) {
        return Err(invalid(format!(
            "pipeline's name `{name}` must contain only lowercase alphanumeric characters or '-' and must start with alphanumeric characters"
        )));
    }
    if !field(object, "root", "root").is_some_and(Value::is_object) {
        return Err(invalid("invalid v2 pipeline spec: root component is empty"));
    }
    if let Some(platform) = &platform_spec {
        if !platform
            .as_object()
            .is_some_and(|p| p.get("platforms").is_some_and(Value::is_object))
        {
            return Err(invalid(
                "the second YAML document is not a platform spec (a mapping with `platforms`)",
            ));
        }
    }
    Ok(Package {
        name: name.to_owned(),
        description: info
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned),
        pipeline_spec: spec.clone(),
        platform_spec,
    })
}

/// A field under its JSON name or its proto name (protojson accepts both).
fn field<'a>(
    object: &'a Map<String, Value>,
    json_name: &str,
    proto_name: &str,
) -> Option<&'a Value> {
    object.get(json_name).or_else(|| object.get(proto_name))
}

/// The API server's pattern for `pipelineInfo.name`: `^[a-z0-9][a-z0-9-]{0,127}$`.
fn valid_name(name: &str) -> bool {
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    name.len() <= 128
        && name.chars().next().is_some_and(allowed)
        && name.chars().all(|c| allowed(c) || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str =
        "pipelineInfo:\n  name: small\nroot:\n  dag:\n    tasks: {}\nschemaVersion: 2.1.0\n";

    #[test]
    fn a_minimal_package_is_read() {
        let p = parse(SMALL.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.name, "small");
        assert_eq!(p.spec_json()["schemaVersion"], "2.1.0");
    }

    #[test]
    fn the_platform_document_is_kept_beside_the_spec() {
        let text = format!("{SMALL}---\nplatforms:\n  kubernetes:\n    deploymentSpec: {{}}\n");
        let p = parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        let spec = p.spec_json();
        assert_eq!(spec["pipeline_spec"]["pipelineInfo"]["name"], "small");
        assert!(spec["platform_spec"]["platforms"]["kubernetes"].is_object());
    }

    #[test]
    fn broken_packages_are_refused_with_a_reason() {
        for (text, reason) in [
            ("", "empty"),
            ("just: [unclosed", "not valid YAML"),
            ("- a\n- b\n", "not a YAML mapping"),
            ("root: {}\n", "pipelineInfo is missing"),
            ("pipelineInfo: {name: x}\n", "root component is empty"),
            ("pipelineInfo: {name: Bad_Name}\nroot: {}\n", "lowercase"),
            (
                "pipelineInfo: {name: x}\nroot: {}\n---\nfoo: 1\n",
                "platform spec",
            ),
        ] {
            let err = parse(text.as_bytes()).map(|_| ()).unwrap_err();
            assert!(err.0.contains(reason), "{text:?}: {err}");
        }
    }
}
