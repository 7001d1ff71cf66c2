//! `labelSelector` and `fieldSelector` of list and watch requests, with the API server's
//! syntax: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, `a>1`, `a<1` for
//! labels; `field=value`, `field==value`, `field!=value` for the fields a resource supports.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::api::core::v1::Pod;

use super::status::{KubeError, Params};

/// One requirement of a label selector.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Label {
    Exists(String),
    Absent(String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Gt(String, i64),
    Lt(String, i64),
}

impl Label {
    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        match self {
            Label::Exists(k) => labels.contains_key(k),
            Label::Absent(k) => !labels.contains_key(k),
            Label::In(k, vs) => labels.get(k).is_some_and(|v| vs.contains(v)),
            Label::NotIn(k, vs) => labels.get(k).is_none_or(|v| !vs.contains(v)),
            Label::Gt(k, n) => number(labels.get(k)).is_some_and(|v| v > *n),
            Label::Lt(k, n) => number(labels.get(k)).is_some_and(|v| v < *n),
        }
    }
}

fn number(value: Option<&String>) -> Option<i64> {
    value.and_then(|v| v.parse().ok())
}

/// One requirement of a field selector: `field` equals (or not) `value`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Field {
    name: String,
    value: String,
    equal: bool,
}

/// The label and field selectors of a request; empty selectors match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    labels: Vec<Label>,
    fields: Vec<Field>,
}

/// Fields pods can be selected by (the API server's pod field label conversion).
const POD_FIELDS: &[&str] = &[
    "metadata.name",
    "metadata.namespace",
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "spec.hostNetwork",
    "status.phase",
    "status.podIP",
    "status.nominatedNodeName",
];

/// Fields namespaces can be selected by.
const NAMESPACE_FIELDS: &[&str] = &["metadata.name", "status.phase"];

/// Fields every custom resource can be selected by.
const OBJECT_FIELDS: &[&str] = &["metadata.name", "metadata.namespace"];

impl Selector {
    /// The selectors of a pod list or watch.
    pub fn for_pods(params: &Params) -> Result<Selector, KubeError> {
        Selector::parse(params, POD_FIELDS)
    }

    /// The selectors of a namespace list.
    pub fn for_namespaces(params: &Params) -> Result<Selector, KubeError> {
        Selector::parse(params, NAMESPACE_FIELDS)
    }

    /// The selectors of a custom resource list or watch.
    pub fn for_objects(params: &Params) -> Result<Selector, KubeError> {
        Selector::parse(params, OBJECT_FIELDS)
    }

    fn parse(params: &Params, supported: &[&str]) -> Result<Selector, KubeError> {
        let labels = parse_labels(params.get("labelSelector").unwrap_or_default())
            .map_err(|e| KubeError::bad_request(format!("unable to parse requirement: {e}")))?;
        let fields = parse_fields(params.get("fieldSelector").unwrap_or_default())?;
        if let Some(bad) = fields
            .iter()
            .find(|f| !supported.contains(&f.name.as_str()))
        {
            return Err(KubeError::bad_request(format!(
                "field label not supported: {}",
                bad.name
            )));
        }
        Ok(Selector { labels, fields })
    }

    /// Whether a pod matches both selectors.
    pub fn matches_pod(&self, pod: &Pod) -> bool {
        let status = pod.status.as_ref();
        let spec = pod.spec.as_ref();
        let field = |name: &str| -> String {
            let text = match name {
                "metadata.name" => pod.metadata.name.clone(),
                "metadata.namespace" => pod.metadata.namespace.clone(),
                "spec.nodeName" => spec.and_then(|s| s.node_name.clone()),
                "spec.restartPolicy" => spec.and_then(|s| s.restart_policy.clone()),
                "spec.schedulerName" => spec.and_then(|s| s.scheduler_name.clone()),
                "spec.serviceAccountName" => spec.and_then(|s| s.service_account_name.clone()),
                "spec.hostNetwork" => Some(
                    spec.and_then(|s| s.host_network)
                        .unwrap_or(false)
                        .to_string(),
                ),
                "status.phase" => status.and_then(|s| s.phase.clone()),
                "status.podIP" => status.and_then(|s| s.pod_ip.clone()),
                "status.nominatedNodeName" => status.and_then(|s| s.nominated_node_name.clone()),
                _ => None,
            };
            text.unwrap_or_default()
        };
        self.matches(pod.metadata.labels.as_ref(), field)
    }

    /// Whether a namespace matches both selectors.
    pub fn matches_namespace(&self, ns: &Namespace) -> bool {
        let field = |name: &str| -> String {
            match name {
                "metadata.name" => ns.metadata.name.clone(),
                "status.phase" => ns.status.as_ref().and_then(|s| s.phase.clone()),
                _ => None,
            }
            .unwrap_or_default()
        };
        self.matches(ns.metadata.labels.as_ref(), field)
    }

    /// Whether a custom resource (as JSON) matches both selectors.
    pub fn matches_object(&self, object: &serde_json::Value) -> bool {
        let metadata = &object["metadata"];
        let labels: Option<BTreeMap<String, String>> =
            serde_json::from_value(metadata["labels"].clone()).ok();
        let field = |name: &str| -> String {
            let key = name.strip_prefix("metadata.").unwrap_or(name);
            metadata[key].as_str().unwrap_or_default().to_owned()
        };
        self.matches(labels.as_ref(), field)
    }

    fn matches(
        &self,
        labels: Option<&BTreeMap<String, String>>,
        field: impl Fn(&str) -> String,
    ) -> bool {
        let empty = BTreeMap::new();
        let labels = labels.unwrap_or(&empty);
        self.labels.iter().all(|r| r.matches(labels))
            && self
                .fields
                .iter()
                .all(|f| (field(&f.name) == f.value) == f.equal)
    }
}

/// Tokens of a label selector.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Op(&'static str),
    Open,
    Close,
    Comma,
}

fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' | ',' => {
                chars.next();
                out.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    _ => Token::Comma,
                });
            }
            '=' | '!' | '<' | '>' => {
                chars.next();
                let doubled = chars.peek() == Some(&'=');
                let op = match (c, doubled) {
                    ('=', true) => "==",
                    ('!', true) => "!=",
                    ('=', false) => "=",
                    ('!', false) => "!",
                    ('<', _) => "<",
                    _ => ">",
                };
                if doubled && matches!(c, '=' | '!') {
                    chars.next();
                }
                out.push(Token::Op(op));
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || "(),=!<>".contains(c) {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                out.push(Token::Word(word));
            }
        }
    }
    out
}

fn parse_labels(text: &str) -> Result<Vec<Label>, String> {
    let toks = tokens(text);
    let mut out = Vec::new();
    let mut i = 0;
    let word = |i: usize| match toks.get(i) {
        Some(Token::Word(w)) => Ok(w.clone()),
        other => Err(format!("found '{}', expected: identifier", show(other))),
    };
    while i < toks.len() {
        let requirement = if toks[i] == Token::Op("!") {
            i += 1;
            let key = word(i)?;
            i += 1;
            Label::Absent(key)
        } else {
            let key = word(i)?;
            i += 1;
            match toks.get(i) {
                None | Some(Token::Comma) => Label::Exists(key),
                Some(Token::Op(op)) => {
                    let op = *op;
                    i += 1;
                    let value = match toks.get(i) {
                        Some(Token::Word(w)) => {
                            i += 1;
                            w.clone()
                        }
                        // `a=` selects an empty value.
                        None | Some(Token::Comma) if op != "<" && op != ">" => String::new(),
                        other => return Err(format!("found '{}', expected: value", show(other))),
                    };
                    match op {
                        "=" | "==" => Label::In(key, vec![value]),
                        "!=" => Label::NotIn(key, vec![value]),
                        "<" | ">" => {
                            let n: i64 = value.parse().map_err(|_| {
                                format!("for 'Gt', 'Lt' operators, the value must be an integer, got {value:?}")
                            })?;
                            if op == "<" {
                                Label::Lt(key, n)
                            } else {
                                Label::Gt(key, n)
                            }
                        }
                        _ => return Err(format!("found '{op}', expected: operator")),
                    }
                }
                Some(Token::Word(w)) if w == "in" || w == "notin" => {
                    let negate = w == "notin";
                    i += 1;
                    if toks.get(i) != Some(&Token::Open) {
                        return Err(format!("found '{}', expected: '('", show(toks.get(i))));
                    }
                    i += 1;
                    let mut values = Vec::new();
                    loop {
                        match toks.get(i) {
                            Some(Token::Word(v)) => values.push(v.clone()),
                            Some(Token::Close) => break,
                            Some(Token::Comma) => {}
                            other => return Err(format!("found '{}', expected: ')'", show(other))),
                        }
                        i += 1;
                    }
                    i += 1;
                    if negate {
                        Label::NotIn(key, values)
                    } else {
                        Label::In(key, values)
                    }
                }
                other => {
                    return Err(format!(
                        "found '{}', expected: in, notin, =, ==, !=, gt, lt",
                        show(other)
                    ))
                }
            }
        };
        out.push(requirement);
        match toks.get(i) {
            None => {}
            Some(Token::Comma) => i += 1,
            other => {
                return Err(format!(
                    "found '{}', expected: ',' or 'end of string'",
                    show(other)
                ))
            }
        }
    }
    Ok(out)
}

fn show(token: Option<&Token>) -> String {
    match token {
        None => String::new(),
        Some(Token::Word(w)) => w.clone(),
        Some(Token::Op(op)) => (*op).to_owned(),
        Some(Token::Open) => "(".to_owned(),
        Some(Token::Close) => ")".to_owned(),
        Some(Token::Comma) => ",".to_owned(),
    }
}

fn parse_fields(text: &str) -> Result<Vec<Field>, KubeError> {
    let mut out = Vec::new();
    for part in split_unescaped(text, ',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (name, value, equal) = if let Some((n, v)) = part.split_once("!=") {
            (n, v, false)
        } else if let Some((n, v)) = part.split_once("==") {
            (n, v, true)
        } else if let Some((n, v)) = part.split_once('=') {
            (n, v, true)
        } else {
            return Err(KubeError::bad_request(format!(
                "invalid selector: '{text}'; can't understand '{part}'"
            )));
        };
        out.push(Field {
            name: name.trim().to_owned(),
            value: value.trim().replace("\\,", ",").replace("\\=", "="),
            equal,
        });
    }
    Ok(out)
}

/// Splits on `sep` unless it is escaped with a backslash.
fn split_unescaped(text: &str, sep: char) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut escaped = false;
    for c in text.chars() {
        if c == sep && !escaped {
            parts.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
        escaped = c == '\\' && !escaped;
    }
    parts.push(current);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn check(selector: &str, set: &[(&str, &str)]) -> bool {
        let reqs = parse_labels(selector).unwrap();
        let set = labels(set);
        reqs.iter().all(|r| r.matches(&set))
    }

    #[test]
    fn label_selectors_follow_the_api_server_syntax() {
        let set = [("app", "kaniko"), ("tier", "build"), ("n", "3")];
        assert!(check("app=kaniko", &set));
        assert!(check("app==kaniko,tier=build", &set));
        assert!(!check("app!=kaniko", &set));
        assert!(check("app in (kaniko, kfp)", &set));
        assert!(!check("app notin (kaniko)", &set));
        assert!(check("missing notin (x)", &set));
        assert!(check("tier", &set));
        assert!(check("!missing", &set));
        assert!(!check("!tier", &set));
        assert!(check("n>2,n<4", &set));
        assert!(parse_labels("app in kaniko").is_err());
        assert!(parse_labels("=x").is_err());
    }

    #[test]
    fn field_selectors_split_on_unescaped_commas() {
        let fields = parse_fields("metadata.name=a\\,b,status.phase!=Failed").unwrap();
        assert_eq!(fields.len(), 2);
        assert_eq!(fields[0].value, "a,b");
        assert!(!fields[1].equal);
    }
}
