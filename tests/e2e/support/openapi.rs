//! A small OpenAPI 3.0 response validator for the simulator's tests.
//!
//! There is no well-kept Rust validator for OpenAPI 3.0 schemas, so this covers what GitHub's
//! description uses (the walker, shared with the Swagger 2.0 one, is in `schema.rs`): `$ref`,
//! `type` (integer apart from number), `nullable`, `required`, `properties`,
//! `additionalProperties`, `items`, `enum`, `allOf`/`anyOf`/`oneOf`, and the formats
//! `date-time` and `uri` (loosely). Failures are reported as JSON pointers into the instance:
//! `/0/head/repo/owner/login: expected string, got null`.

use serde_json::Value;

use super::schema::{Dialect, Document};

/// An OpenAPI document.
pub struct Spec {
    doc: Document,
}

/// GitHub's trimmed description in shared/specs.
pub const GITHUB_SPEC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/specs/github/api.github.com.trimmed.json"
);

impl Spec {
    /// Reads a JSON OpenAPI document.
    pub fn load(path: &str) -> Spec {
        Spec {
            doc: Document::load(path, Dialect::OpenApi3),
        }
    }

    /// GitHub's description.
    pub fn github() -> Spec {
        Spec::load(GITHUB_SPEC)
    }

    /// `#/components/schemas/{name}`.
    pub fn schema(&self, name: &str) -> &Value {
        self.doc.schema(name)
    }

    /// The operation object of `method` on the path template (e.g. `/repos/{owner}/{repo}/pulls`).
    pub fn operation(&self, method: &str, template: &str) -> &Value {
        self.doc.operation(method, template)
    }

    /// Status codes the description declares for an operation.
    pub fn declared_statuses(&self, method: &str, template: &str) -> Vec<u16> {
        self.operation(method, template)["responses"]
            .as_object()
            .map(|r| r.keys().filter_map(|k| k.parse().ok()).collect())
            .unwrap_or_default()
    }

    /// The `application/json` schema of a declared response, if it has one.
    pub fn response_schema(&self, method: &str, template: &str, status: u16) -> Option<&Value> {
        let response = self.operation(method, template)["responses"].get(status.to_string())?;
        let response = self.doc.resolve(response);
        response.pointer("/content/application~1json/schema")
    }

    /// Asserts that `status` is declared for the operation and `body` matches its schema.
    pub fn check(
        &self,
        method: &str,
        template: &str,
        status: u16,
        body: &Value,
    ) -> Result<(), String> {
        let declared = self.declared_statuses(method, template);
        if !declared.contains(&status) {
            return Err(format!(
                "{method} {template} answered {status}, the description declares only {declared:?}"
            ));
        }
        let Some(schema) = self.response_schema(method, template, status) else {
            return Ok(());
        };
        let errors = self.validate(schema, body);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{method} {template} {status}: body does not match the description:\n  {}",
                errors.join("\n  ")
            ))
        }
    }

    /// Every way `instance` fails `schema`, as `pointer: message` lines.
    pub fn validate(&self, schema: &Value, instance: &Value) -> Vec<String> {
        self.doc.validate(schema, instance)
    }
}
