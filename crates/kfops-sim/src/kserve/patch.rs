//! The patch formats the API server accepts for custom resources: JSON merge patch
//! (RFC 7386, `application/merge-patch+json`) and JSON patch (RFC 6902,
//! `application/json-patch+json`).

use serde_json::Value;

/// Applies an RFC 7386 merge patch: objects merge key by key, `null` removes a key, anything
/// else replaces.
pub fn merge(target: &mut Value, patch: &Value) {
    let Value::Object(changes) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(fields) = target {
        for (key, change) in changes {
            if change.is_null() {
                fields.remove(key);
            } else {
                merge(fields.entry(key.clone()).or_insert(Value::Null), change);
            }
        }
    }
}

/// The reference tokens of a JSON pointer (`/a/b~1c` is `a`, `b/c`).
fn tokens(pointer: &str) -> Result<Vec<String>, String> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let rest = pointer
        .strip_prefix('/')
        .ok_or_else(|| format!("JSON pointer {pointer:?} does not start with '/'"))?;
    Ok(rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect())
}

fn index(token: &str, len: usize, append: bool) -> Result<usize, String> {
    if append && token == "-" {
        return Ok(len);
    }
    let i: usize = token
        .parse()
        .map_err(|_| format!("invalid array index {token:?}"))?;
    let limit = if append { len } else { len.saturating_sub(1) };
    if i > limit || (!append && len == 0) {
        return Err(format!("array index {i} out of bounds"));
    }
    Ok(i)
}

/// The parent of the location a pointer names, and the last token.
fn parent<'a>(doc: &'a mut Value, pointer: &str) -> Result<(&'a mut Value, String), String> {
    let mut path = tokens(pointer)?;
    let last = path
        .pop()
        .ok_or_else(|| "the whole document cannot be the target".to_owned())?;
    let mut at = doc;
    for token in &path {
        at = match at {
            Value::Object(fields) => fields
                .get_mut(token)
                .ok_or_else(|| format!("missing value at {pointer:?}"))?,
            Value::Array(items) => {
                let i = index(token, items.len(), false)?;
                &mut items[i]
            }
            _ => return Err(format!("missing value at {pointer:?}")),
        };
    }
    Ok((at, last))
}

fn get(doc: &Value, pointer: &str) -> Result<Value, String> {
    doc.pointer(pointer)
        .cloned()
        .ok_or_else(|| format!("missing value at {pointer:?}"))
}

fn add(doc: &mut Value, pointer: &str, value: Value) -> Result<(), String> {
    if pointer.is_empty() {
        *doc = value;
        return Ok(());
    }
    let (parent, last) = parent(doc, pointer)?;
    match parent {
        Value::Object(fields) => {
            fields.insert(last, value);
        }
        Value::Array(items) => {
            let i = index(&last, items.len(), true)?;
            items.insert(i, value);
        }
        _ => return Err(format!("cannot add at {pointer:?}")),
    }
    Ok(())
}

fn remove(doc: &mut Value, pointer: &str) -> Result<Value, String> {
    let (parent, last) = parent(doc, pointer)?;
    match parent {
        Value::Object(fields) => fields
            .remove(&last)
            .ok_or_else(|| format!("missing value at {pointer:?}")),
        Value::Array(items) => {
            let i = index(&last, items.len(), false)?;
            Ok(items.remove(i))
        }
        _ => Err(format!("missing value at {pointer:?}")),
    }
}

/// Applies an RFC 6902 JSON patch (an array of operations), all or nothing.
pub fn json_patch(doc: &Value, patch: &Value) -> Result<Value, String> {
    let ops = patch
        .as_array()
        .ok_or_else(|| "a JSON patch is an array of operations".to_owned())?;
    let mut out = doc.clone();
    for op in ops {
        let path = op["path"]
            .as_str()
            .ok_or_else(|| "operation without a \"path\"".to_owned())?;
        let value = || {
            op.get("value")
                .cloned()
                .ok_or_else(|| format!("operation on {path:?} without a \"value\""))
        };
        let from = || {
            op["from"]
                .as_str()
                .ok_or_else(|| format!("operation on {path:?} without a \"from\""))
        };
        match op["op"].as_str().unwrap_or_default() {
            "add" => add(&mut out, path, value()?)?,
            "remove" => {
                remove(&mut out, path)?;
            }
            "replace" => {
                remove(&mut out, path)?;
                add(&mut out, path, value()?)?;
            }
            "move" => {
                let moved = remove(&mut out, from()?)?;
                add(&mut out, path, moved)?;
            }
            "copy" => {
                let copied = get(&out, from()?)?;
                add(&mut out, path, copied)?;
            }
            "test" => {
                if get(&out, path)? != value()? {
                    return Err(format!("testing value at {path:?} failed"));
                }
            }
            other => return Err(format!("unexpected kind of operation: {other:?}")),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patches_follow_rfc_7386() {
        let mut doc = json!({"a": "b", "c": {"d": "e", "f": "g"}, "l": [1, 2]});
        merge(
            &mut doc,
            &json!({"a": "z", "c": {"f": null, "n": 1}, "l": [3]}),
        );
        assert_eq!(doc, json!({"a": "z", "c": {"d": "e", "n": 1}, "l": [3]}));
    }

    #[test]
    fn json_patches_follow_rfc_6902() {
        let doc = json!({"spec": {"items": ["a", "c"], "x/y": 1}});
        let patched = json_patch(
            &doc,
            &json!([
                {"op": "test", "path": "/spec/x~1y", "value": 1},
                {"op": "add", "path": "/spec/items/1", "value": "b"},
                {"op": "add", "path": "/spec/items/-", "value": "d"},
                {"op": "replace", "path": "/spec/x~1y", "value": 2},
                {"op": "copy", "from": "/spec/items/0", "path": "/spec/first"},
                {"op": "move", "from": "/spec/first", "path": "/first"},
                {"op": "remove", "path": "/spec/items/3"},
            ]),
        )
        .unwrap();
        assert_eq!(
            patched,
            json!({"spec": {"items": ["a", "b", "c"], "x/y": 2}, "first": "a"})
        );
        let failed = json_patch(
            &doc,
            &json!([{"op": "test", "path": "/spec/x~1y", "value": 5}]),
        );
        assert!(failed.is_err());
        assert!(json_patch(&doc, &json!([{"op": "remove", "path": "/nope"}])).is_err());
    }
}
