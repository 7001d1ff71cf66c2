//! A small OpenAPI 3.0 response validator for the simulator's tests.
//!
//! There is no well-kept Rust validator for OpenAPI 3.0 schemas, so this covers what GitHub's
//! description uses: `$ref`, `type` (integer apart from number), `nullable`, `required`,
//! `properties`, `additionalProperties`, `items`, `enum`, `allOf`/`anyOf`/`oneOf`, and the
//! formats `date-time` and `uri` (loosely). Failures are reported as JSON pointers into the
//! instance: `/0/head/repo/owner/login: expected string, got null`.

use serde_json::Value;

/// An OpenAPI document.
pub struct Spec {
    doc: Value,
}

/// GitHub's trimmed description in shared/specs.
pub const GITHUB_SPEC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/specs/github/api.github.com.trimmed.json"
);

impl Spec {
    /// Reads a JSON OpenAPI document.
    pub fn load(path: &str) -> Spec {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read OpenAPI description {path}: {e}"));
        let doc = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"));
        Spec { doc }
    }

    /// GitHub's description.
    pub fn github() -> Spec {
        Spec::load(GITHUB_SPEC)
    }

    /// `#/components/schemas/{name}`.
    pub fn schema(&self, name: &str) -> &Value {
        self.doc
            .pointer(&format!("/components/schemas/{}", escape(name)))
            .unwrap_or_else(|| panic!("no schema {name} in the description"))
    }

    /// The operation object of `method` on the path template (e.g. `/repos/{owner}/{repo}/pulls`).
    pub fn operation(&self, method: &str, template: &str) -> &Value {
        self.doc
            .pointer(&format!(
                "/paths/{}/{}",
                escape(template),
                method.to_ascii_lowercase()
            ))
            .unwrap_or_else(|| panic!("the description has no {method} {template}"))
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
        let response = self.resolve(response);
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
        let mut errors = Vec::new();
        self.walk(schema, instance, "", &mut errors);
        errors
    }

    /// Follows `$ref`s (local ones only, which is all GitHub's description has).
    fn resolve<'a>(&'a self, mut value: &'a Value) -> &'a Value {
        for _ in 0..32 {
            let Some(target) = value.get("$ref").and_then(Value::as_str) else {
                return value;
            };
            let pointer = target
                .strip_prefix('#')
                .unwrap_or_else(|| panic!("non-local $ref {target}"));
            value = self
                .doc
                .pointer(pointer)
                .unwrap_or_else(|| panic!("$ref {target} does not resolve"));
        }
        panic!("$ref chain too deep");
    }

    fn walk(&self, schema: &Value, inst: &Value, at: &str, errors: &mut Vec<String>) {
        let schema = self.resolve(schema);
        let nullable = schema.get("nullable") == Some(&Value::Bool(true));
        if inst.is_null() && nullable {
            return;
        }
        if let Some(expected) = schema.get("type").and_then(Value::as_str) {
            if !type_matches(expected, inst) {
                errors.push(format!("{at}: expected {expected}, got {}", kind(inst)));
                return;
            }
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
            if !allowed.contains(inst) {
                errors.push(format!(
                    "{at}: {inst} is not one of {}",
                    Value::from(allowed.clone())
                ));
            }
        }
        if let (Some(format), Some(text)) =
            (schema.get("format").and_then(Value::as_str), inst.as_str())
        {
            match format {
                "date-time" if chrono::DateTime::parse_from_rfc3339(text).is_err() => {
                    errors.push(format!("{at}: `{text}` is not an RFC 3339 date-time"));
                }
                "uri" if !looks_like_uri(text) => {
                    errors.push(format!("{at}: `{text}` is not a URI"));
                }
                _ => {}
            }
        }
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            for sub in all {
                self.walk(sub, inst, at, errors);
            }
        }
        if let Some(any) = schema.get("anyOf").and_then(Value::as_array) {
            let failures: Vec<Vec<String>> = any
                .iter()
                .map(|sub| self.validate_at(sub, inst, at))
                .collect();
            if failures.iter().all(|f| !f.is_empty()) {
                errors.push(format!(
                    "{at}: matches none of anyOf; closest: {}",
                    closest(&failures)
                ));
            }
        }
        if let Some(one) = schema.get("oneOf").and_then(Value::as_array) {
            let failures: Vec<Vec<String>> = one
                .iter()
                .map(|sub| self.validate_at(sub, inst, at))
                .collect();
            let matching = failures.iter().filter(|f| f.is_empty()).count();
            if matching == 0 {
                errors.push(format!(
                    "{at}: matches none of oneOf; closest: {}",
                    closest(&failures)
                ));
            } else if matching > 1 {
                errors.push(format!(
                    "{at}: matches {matching} schemas of oneOf, expected exactly 1"
                ));
            }
        }
        if let Some(object) = inst.as_object() {
            let properties = schema.get("properties").and_then(Value::as_object);
            if let Some(required) = schema.get("required").and_then(Value::as_array) {
                for key in required.iter().filter_map(Value::as_str) {
                    if !object.contains_key(key) {
                        errors.push(format!("{at}/{}: required property missing", escape(key)));
                    }
                }
            }
            for (key, value) in object {
                let here = format!("{at}/{}", escape(key));
                match (
                    properties.and_then(|p| p.get(key)),
                    schema.get("additionalProperties"),
                ) {
                    (Some(sub), _) => self.walk(sub, value, &here, errors),
                    (None, Some(Value::Bool(false))) => {
                        errors.push(format!("{here}: property not allowed"));
                    }
                    (None, Some(extra)) if extra.is_object() => {
                        self.walk(extra, value, &here, errors)
                    }
                    _ => {}
                }
            }
        }
        if let (Some(items), Some(array)) = (schema.get("items"), inst.as_array()) {
            for (i, item) in array.iter().enumerate() {
                self.walk(items, item, &format!("{at}/{i}"), errors);
            }
        }
    }

    fn validate_at(&self, schema: &Value, inst: &Value, at: &str) -> Vec<String> {
        let mut errors = Vec::new();
        self.walk(schema, inst, at, &mut errors);
        errors
    }
}

fn type_matches(expected: &str, inst: &Value) -> bool {
    match expected {
        "object" => inst.is_object(),
        "array" => inst.is_array(),
        "string" => inst.is_string(),
        "boolean" => inst.is_boolean(),
        "integer" => inst.is_i64() || inst.is_u64(),
        "number" => inst.is_number(),
        "null" => inst.is_null(),
        // Unknown type names (the description has none that matter) do not fail.
        _ => true,
    }
}

fn kind(inst: &Value) -> &'static str {
    match inst {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// `scheme:rest` with no whitespace: enough to catch a missing or empty URL.
fn looks_like_uri(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    let scheme_ok = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    scheme_ok && !rest.is_empty() && !text.chars().any(char::is_whitespace)
}

fn closest(failures: &[Vec<String>]) -> String {
    failures
        .iter()
        .min_by_key(|f| f.len())
        .map(|f| f.join("; "))
        .unwrap_or_default()
}

/// JSON-pointer escaping of one reference token.
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}
