//! KFP's list filter: the v2beta1 `Filter` (JSON in the `filter` query parameter), and the
//! keys of a listed resource it and `sort_by` read ([`Listed`]; paging is in
//! [`super::paging`]).
//!
//! The filter is read like protojson reads it: field names in proto (`string_value`) or JSON
//! (`stringValue`) spelling, enum values by name (`EQUALS`) or number (`1`, as the Python SDK
//! sends them), int64 values as numbers or strings, timestamps as RFC 3339, unknown fields
//! refused.

use std::cmp::Ordering;

use chrono::DateTime;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::errors::RpcError;

/// The value of a resource's field, for filtering and sorting.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Key {
    Str(String),
    /// Integers; times are Unix seconds, as KFP stores them.
    Int(i64),
}

/// Whether a filter or sort key holds text or a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Str,
    Int,
}

/// The keys one kind of resource can be filtered and sorted by.
pub type Keys = &'static [(&'static str, Kind)];

/// Something a list endpoint returns.
pub trait Listed {
    /// The value of a key of [`Keys`]; `None` only for keys the resource lacks.
    fn key(&self, name: &str) -> Option<Key>;
    /// Creation order, the tie-breaker after the sort key.
    fn seq(&self) -> u64;
}

/// A predicate's operation (v2beta1 `Predicate.Operation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Equals,
    NotEquals,
    GreaterThan,
    GreaterThanEquals,
    LessThan,
    LessThanEquals,
    In,
    IsSubstring,
}

impl Op {
    /// By enum name or number, as protojson accepts.
    fn parse(value: &Value) -> Result<Option<Op>, RpcError> {
        let op = match value {
            Value::Null => return Ok(None),
            Value::String(name) => match name.as_str() {
                "OPERATION_UNSPECIFIED" => return Ok(None),
                "EQUALS" => Op::Equals,
                "NOT_EQUALS" => Op::NotEquals,
                "GREATER_THAN" => Op::GreaterThan,
                "GREATER_THAN_EQUALS" => Op::GreaterThanEquals,
                "LESS_THAN" => Op::LessThan,
                "LESS_THAN_EQUALS" => Op::LessThanEquals,
                "IN" => Op::In,
                "IS_SUBSTRING" => Op::IsSubstring,
                other => {
                    return Err(bad_filter(format!(
                        "invalid value for enum field operation: \"{other}\""
                    )))
                }
            },
            Value::Number(n) => match n.as_i64() {
                Some(0) => return Ok(None),
                Some(1) => Op::Equals,
                Some(2) => Op::NotEquals,
                Some(3) => Op::GreaterThan,
                Some(5) => Op::GreaterThanEquals,
                Some(6) => Op::LessThan,
                Some(7) => Op::LessThanEquals,
                Some(8) => Op::In,
                Some(9) => Op::IsSubstring,
                _ => {
                    return Err(bad_filter(format!(
                        "invalid value for enum field operation: {n}"
                    )))
                }
            },
            other => {
                return Err(bad_filter(format!(
                    "invalid value for enum field operation: {other}"
                )))
            }
        };
        Ok(Some(op))
    }
}

/// The value a predicate compares with (the `value` oneof).
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Int(i64),
    Str(String),
    /// `timestamp_value`, in Unix seconds.
    Time(i64),
    Ints(Vec<i64>),
    Strs(Vec<String>),
}

/// One condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Predicate {
    pub key: String,
    pub op: Op,
    pub operand: Operand,
}

/// All predicates AND-ed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Filter {
    pub predicates: Vec<Predicate>,
}

fn bad_filter(message: impl std::fmt::Display) -> RpcError {
    RpcError::invalid(format!(
        "Failed to parse valid filter from \"filter\": {message}"
    ))
}

impl Filter {
    /// Reads the JSON of the `filter` query parameter (empty: no filter).
    pub fn parse(text: &str) -> Result<Filter, RpcError> {
        if text.trim().is_empty() {
            return Ok(Filter::default());
        }
        let value: Value =
            serde_json::from_str(text).map_err(|e| bad_filter(format!("not JSON ({e})")))?;
        let object = value
            .as_object()
            .ok_or_else(|| bad_filter("expected a JSON object"))?;
        let mut filter = Filter::default();
        for (name, value) in object {
            if name != "predicates" {
                return Err(bad_filter(format!("unknown field \"{name}\"")));
            }
            match value {
                Value::Null => {}
                Value::Array(items) => {
                    for item in items {
                        filter.predicates.push(parse_predicate(item)?);
                    }
                }
                _ => return Err(bad_filter("predicates is not a list")),
            }
        }
        Ok(filter)
    }

    /// Refuses keys the resource lacks and operands that do not suit the key or operation.
    pub fn check(&self, keys: Keys) -> Result<(), RpcError> {
        for p in &self.predicates {
            let Some((_, kind)) = keys.iter().find(|(k, _)| *k == p.key) else {
                return Err(RpcError::invalid(format!(
                    "Invalid filter: unknown key \"{}\"; known keys are {}",
                    p.key,
                    key_list(keys)
                )));
            };
            let scalar = !matches!(p.operand, Operand::Ints(_) | Operand::Strs(_));
            let problem = match (p.op, &p.operand, kind) {
                (Op::In, _, _) if scalar => {
                    Some("IN needs int_values, long_values or string_values")
                }
                (op, _, _) if op != Op::In && !scalar => {
                    Some("only IN takes int_values, long_values or string_values")
                }
                (Op::IsSubstring, Operand::Str(_), Kind::Str) => None,
                (Op::IsSubstring, _, _) => Some("IS_SUBSTRING needs a string_value and a text key"),
                (_, Operand::Int(_) | Operand::Time(_) | Operand::Ints(_), Kind::Str) => {
                    Some("this key holds text; give a string_value")
                }
                (_, Operand::Str(s), Kind::Int) if number_of(s).is_none() => {
                    Some("this key holds a number or time; give an int, long or timestamp value")
                }
                _ => None,
            };
            if let Some(problem) = problem {
                return Err(RpcError::invalid(format!(
                    "Invalid filter on \"{}\": {problem}",
                    p.key
                )));
            }
        }
        Ok(())
    }

    /// Whether a resource passes every predicate.
    pub fn matches(&self, item: &impl Listed) -> bool {
        self.predicates.iter().all(|p| {
            let Some(value) = item.key(&p.key) else {
                return false;
            };
            p.holds(&value)
        })
    }
}

impl Predicate {
    fn holds(&self, value: &Key) -> bool {
        match (&self.operand, value) {
            (Operand::Strs(list), Key::Str(s)) => list.iter().any(|v| v == s),
            (Operand::Ints(list), Key::Int(n)) => list.contains(n),
            (Operand::Strs(list), Key::Int(n)) => list.iter().any(|v| number_of(v) == Some(*n)),
            (Operand::Ints(list), Key::Str(s)) => list.iter().any(|v| v.to_string() == *s),
            (Operand::Str(v), Key::Str(s)) if self.op == Op::IsSubstring => s.contains(v.as_str()),
            (operand, value) => match compare(value, operand) {
                Some(ordering) => match self.op {
                    Op::Equals => ordering == Ordering::Equal,
                    Op::NotEquals => ordering != Ordering::Equal,
                    Op::GreaterThan => ordering == Ordering::Greater,
                    Op::GreaterThanEquals => ordering != Ordering::Less,
                    Op::LessThan => ordering == Ordering::Less,
                    Op::LessThanEquals => ordering != Ordering::Greater,
                    Op::In | Op::IsSubstring => false,
                },
                None => false,
            },
        }
    }
}

/// `value` compared with a scalar operand.
fn compare(value: &Key, operand: &Operand) -> Option<Ordering> {
    match (value, operand) {
        (Key::Str(s), Operand::Str(v)) => Some(s.as_str().cmp(v.as_str())),
        (Key::Int(n), Operand::Int(v) | Operand::Time(v)) => Some(n.cmp(v)),
        (Key::Int(n), Operand::Str(v)) => number_of(v).map(|v| n.cmp(&v)),
        (Key::Str(s), Operand::Int(v) | Operand::Time(v)) => Some(s.as_str().cmp(&v.to_string())),
        _ => None,
    }
}

/// A string operand for a numeric key: an integer or an RFC 3339 time.
fn number_of(text: &str) -> Option<i64> {
    text.trim().parse::<i64>().ok().or_else(|| {
        DateTime::parse_from_rfc3339(text.trim())
            .ok()
            .map(|t| t.timestamp())
    })
}

/// Fields of a predicate, in both spellings.
const PREDICATE_FIELDS: &[(&str, &str)] = &[
    ("key", "key"),
    ("operation", "operation"),
    ("int_value", "intValue"),
    ("long_value", "longValue"),
    ("string_value", "stringValue"),
    ("timestamp_value", "timestampValue"),
    ("int_values", "intValues"),
    ("long_values", "longValues"),
    ("string_values", "stringValues"),
];

fn parse_predicate(value: &Value) -> Result<Predicate, RpcError> {
    let object = value
        .as_object()
        .ok_or_else(|| bad_filter("a predicate is not a JSON object"))?;
    let mut key = None;
    let mut op = None;
    let mut operand: Option<Operand> = None;
    for (name, value) in object {
        let Some((proto, _)) = PREDICATE_FIELDS
            .iter()
            .find(|(proto, json)| name == proto || name == json)
        else {
            return Err(bad_filter(format!(
                "unknown field \"{name}\" in a predicate"
            )));
        };
        if value.is_null() {
            continue;
        }
        let parsed = match *proto {
            "key" => {
                key = Some(
                    value
                        .as_str()
                        .ok_or_else(|| bad_filter("key is not a string"))?
                        .to_owned(),
                );
                continue;
            }
            "operation" => {
                op = Op::parse(value)?;
                continue;
            }
            "int_value" | "long_value" => Operand::Int(int_of(value, proto)?),
            "string_value" => Operand::Str(
                value
                    .as_str()
                    .ok_or_else(|| bad_filter("string_value is not a string"))?
                    .to_owned(),
            ),
            "timestamp_value" => {
                let text = value
                    .as_str()
                    .ok_or_else(|| bad_filter("timestamp_value is not an RFC 3339 string"))?;
                let time = DateTime::parse_from_rfc3339(text).map_err(|e| {
                    bad_filter(format!("timestamp_value `{text}` is not RFC 3339 ({e})"))
                })?;
                Operand::Time(time.timestamp())
            }
            "int_values" | "long_values" => Operand::Ints(
                values_of(value, proto)?
                    .iter()
                    .map(|v| int_of(v, proto))
                    .collect::<Result<_, _>>()?,
            ),
            _ => Operand::Strs(
                values_of(value, proto)?
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .map(str::to_owned)
                            .ok_or_else(|| bad_filter("string_values holds a non-string"))
                    })
                    .collect::<Result<_, _>>()?,
            ),
        };
        if operand.replace(parsed).is_some() {
            return Err(bad_filter(
                "a predicate sets more than one of the value fields (they are a oneof)",
            ));
        }
    }
    let key = key
        .filter(|k| !k.is_empty())
        .ok_or_else(|| bad_filter("a predicate has no key"))?;
    let op = op.ok_or_else(|| {
        RpcError::invalid(format!(
            "Invalid filter on \"{key}\": operation is missing or OPERATION_UNSPECIFIED"
        ))
    })?;
    let operand = operand.ok_or_else(|| {
        RpcError::invalid(format!(
            "Invalid filter on \"{key}\": the predicate has no value"
        ))
    })?;
    Ok(Predicate { key, op, operand })
}

/// An int32/int64 field: a JSON number or a decimal string.
fn int_of(value: &Value, field: &str) -> Result<i64, RpcError> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
    .ok_or_else(|| bad_filter(format!("{field} holds {value}, not an integer")))
}

/// The `values` list of `int_values`/`long_values`/`string_values`.
fn values_of<'a>(value: &'a Value, field: &str) -> Result<&'a [Value], RpcError> {
    let object: &Map<String, Value> = value.as_object().ok_or_else(|| {
        bad_filter(format!(
            "{field} is not an object like {{\"values\": [...]}}"
        ))
    })?;
    if let Some(extra) = object.keys().find(|k| *k != "values") {
        return Err(bad_filter(format!("unknown field \"{extra}\" in {field}")));
    }
    match object.get("values") {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(bad_filter(format!("{field}.values is not a list"))),
    }
}

/// The keys, quoted, for error messages.
pub(super) fn key_list(keys: Keys) -> String {
    keys.iter()
        .map(|(k, _)| format!("\"{k}\""))
        .collect::<Vec<_>>()
        .join(", ")
}
