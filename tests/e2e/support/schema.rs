//! The schema walker behind the OpenAPI 3.0 (`openapi.rs`) and Swagger 2.0 (`swagger.rs`)
//! response validators: `$ref`s (local ones), `type` (integer apart from number), `nullable`,
//! `required`, `properties`, `additionalProperties`, `items`, `enum`, `allOf`/`anyOf`/`oneOf`,
//! and the formats `date-time`, `uri` (loosely), `int32`, `int64` as a decimal string and
//! `byte` as base64. A keyword a description does not use costs nothing, so one walker serves
//! both; the [`Dialect`] says where the named schemas live and how strict objects are.
//! Failures are JSON pointers into the instance: `/0/head/repo/owner/login: expected string,
//! got null`.

use base64::Engine as _;
use serde_json::{Map, Value};

/// Which kind of description a [`Document`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// OpenAPI 3.0: named schemas under `#/components/schemas`; an object may carry properties
    /// its schema does not list unless `additionalProperties` is `false`.
    OpenApi3,
    /// Swagger 2.0 as protoc-gen-openapiv2 writes it: named schemas under `#/definitions`; an
    /// object whose schema lists `properties` and no `additionalProperties` may not carry
    /// others, because the API server's protojson marshaler never writes a field the message
    /// lacks.
    Swagger2,
}

impl Dialect {
    /// The JSON pointer of the object holding the named schemas.
    fn schemas(self) -> &'static str {
        match self {
            Dialect::OpenApi3 => "/components/schemas",
            Dialect::Swagger2 => "/definitions",
        }
    }
}

/// A JSON API description read from a file.
pub struct Document {
    doc: Value,
    path: String,
    dialect: Dialect,
}

impl Document {
    /// Reads a JSON description.
    pub fn load(path: &str, dialect: Dialect) -> Document {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read {dialect:?} description {path}: {e}"));
        let doc = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"));
        Document {
            doc,
            path: path.to_owned(),
            dialect,
        }
    }

    /// The whole document.
    pub fn root(&self) -> &Value {
        &self.doc
    }

    /// The named schema (`#/components/schemas/{name}` or `#/definitions/{name}`).
    pub fn schema(&self, name: &str) -> &Value {
        let schemas = self.dialect.schemas();
        self.doc
            .pointer(&format!("{schemas}/{}", escape(name)))
            .unwrap_or_else(|| panic!("no schema {name} under #{schemas} in {}", self.path))
    }

    /// The operation object of `method` on the path template (e.g. `/repos/{owner}/{repo}/pulls`).
    pub fn operation(&self, method: &str, template: &str) -> &Value {
        self.doc
            .pointer(&format!(
                "/paths/{}/{}",
                escape(template),
                method.to_ascii_lowercase()
            ))
            .unwrap_or_else(|| panic!("{} has no {method} {template}", self.path))
    }

    /// Every way `instance` fails `schema`, as `pointer: message` lines.
    pub fn validate(&self, schema: &Value, instance: &Value) -> Vec<String> {
        self.validate_at(schema, instance, "")
    }

    /// Follows `$ref`s (local ones only, which is all the descriptions have).
    pub fn resolve<'a>(&'a self, mut value: &'a Value) -> &'a Value {
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
                .unwrap_or_else(|| panic!("$ref {target} does not resolve in {}", self.path));
        }
        panic!("$ref chain too deep");
    }

    fn validate_at(&self, schema: &Value, inst: &Value, at: &str) -> Vec<String> {
        let mut errors = Vec::new();
        self.walk(schema, inst, at, &mut errors);
        errors
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
        if let Some(format) = schema.get("format").and_then(Value::as_str) {
            check_format(format, inst, at, errors);
        }
        self.walk_compositions(schema, inst, at, errors);
        if let Some(object) = inst.as_object() {
            self.walk_object(schema, object, at, errors);
        }
        if let (Some(items), Some(array)) = (schema.get("items"), inst.as_array()) {
            for (i, item) in array.iter().enumerate() {
                self.walk(items, item, &format!("{at}/{i}"), errors);
            }
        }
    }

    /// `allOf`, `anyOf` and `oneOf`.
    fn walk_compositions(&self, schema: &Value, inst: &Value, at: &str, errors: &mut Vec<String>) {
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
    }

    /// `required`, `properties` and `additionalProperties` (see [`Dialect`] for unlisted ones).
    fn walk_object(
        &self,
        schema: &Value,
        object: &Map<String, Value>,
        at: &str,
        errors: &mut Vec<String>,
    ) {
        let properties = schema.get("properties").and_then(Value::as_object);
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for key in required.iter().filter_map(Value::as_str) {
                if !object.contains_key(key) {
                    errors.push(format!("{at}/{}: required property missing", escape(key)));
                }
            }
        }
        let strict = self.dialect == Dialect::Swagger2;
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
                (None, Some(extra)) if extra.is_object() => self.walk(extra, value, &here, errors),
                (None, None) if strict && properties.is_some() => errors.push(format!(
                    "{here}: property not in the description (allowed: {})",
                    properties
                        .map(|p| p.keys().cloned().collect::<Vec<_>>().join(", "))
                        .unwrap_or_default()
                )),
                _ => {}
            }
        }
    }
}

fn check_format(format: &str, inst: &Value, at: &str, errors: &mut Vec<String>) {
    match (format, inst) {
        ("date-time", Value::String(text))
            if chrono::DateTime::parse_from_rfc3339(text).is_err() =>
        {
            errors.push(format!("{at}: `{text}` is not an RFC 3339 date-time"));
        }
        ("uri", Value::String(text)) if !looks_like_uri(text) => {
            errors.push(format!("{at}: `{text}` is not a URI"));
        }
        ("int64" | "uint64", Value::String(text)) if text.parse::<i128>().is_err() => {
            errors.push(format!("{at}: `{text}` is not a decimal int64"));
        }
        ("int32", Value::Number(n)) if n.as_i64().and_then(|n| i32::try_from(n).ok()).is_none() => {
            errors.push(format!("{at}: {n} is not an int32"));
        }
        ("byte", Value::String(text))
            if base64::engine::general_purpose::STANDARD
                .decode(text)
                .is_err() =>
        {
            errors.push(format!("{at}: `{text}` is not base64"));
        }
        _ => {}
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
        // Unknown type names (the descriptions have none that matter) do not fail.
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
pub fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}
