//! Positions in the file: dotted key paths, byte offset -> line/column, and the mapping
//! between key paths and spans of a parsed `toml_edit` document.

use std::fmt;
use std::ops::Range;

use toml_edit::{Array, ArrayOfTables, InlineTable, Item, Table, Value};

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

/// A dotted key path such as `image_builder.images[1].name`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct KeyPath(pub(crate) Vec<Seg>);

impl KeyPath {
    /// The path of the document root (empty).
    pub(crate) fn root() -> Self {
        KeyPath(Vec::new())
    }

    /// `a.b.c` split on dots (for paths written in code; keys must not contain dots).
    pub(crate) fn dotted(path: &str) -> Self {
        KeyPath(path.split('.').map(|k| Seg::Key(k.to_owned())).collect())
    }

    /// This path followed by `key`.
    pub(crate) fn key(&self, key: &str) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Key(key.to_owned()));
        p
    }

    /// This path followed by `[index]`.
    pub(crate) fn index(&self, index: usize) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Index(index));
        p
    }

    pub(crate) fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The last key, if the path ends with one.
    pub(crate) fn last_key(&self) -> Option<&str> {
        match self.0.last() {
            Some(Seg::Key(k)) => Some(k),
            _ => None,
        }
    }
}

fn is_bare(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    if is_bare(k) {
                        f.write_str(k)?;
                    } else {
                        write!(f, "{k:?}")?;
                    }
                }
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn contains(outer: &Option<Range<usize>>, inner: &Range<usize>) -> bool {
    match outer {
        Some(o) => o.start <= inner.start && inner.end <= o.end,
        None => false,
    }
}

/// The key path of the innermost key or value whose span contains `span`.
pub(crate) fn path_at(root: &Table, span: &Range<usize>) -> KeyPath {
    let mut path = KeyPath::root();
    if span.start < span.end {
        walk_table(root, span, &mut path);
    }
    path
}

fn walk_table(table: &Table, span: &Range<usize>, path: &mut KeyPath) -> bool {
    for (name, item) in table.iter() {
        let key_span = table.key(name).and_then(|k| k.span());
        if contains(&key_span, span) {
            path.0.push(Seg::Key(name.to_owned()));
            return true;
        }
        match item {
            Item::Table(sub) => {
                path.0.push(Seg::Key(name.to_owned()));
                if walk_table(sub, span, path) || contains(&sub.span(), span) {
                    return true;
                }
                path.0.pop();
            }
            Item::ArrayOfTables(tables) => {
                // An element's span covers its header and keys, not its sub-tables written
                // under their own headers (`[projects.pipeline]`): look inside first.
                for (i, sub) in tables.iter().enumerate() {
                    path.0.push(Seg::Key(name.to_owned()));
                    path.0.push(Seg::Index(i));
                    if walk_table(sub, span, path) || contains(&sub.span(), span) {
                        return true;
                    }
                    path.0.truncate(path.0.len() - 2);
                }
            }
            Item::Value(value) => {
                if contains(&value.span(), span) {
                    path.0.push(Seg::Key(name.to_owned()));
                    walk_value(value, span, path);
                    return true;
                }
            }
            Item::None => {}
        }
    }
    false
}

fn walk_value(value: &Value, span: &Range<usize>, path: &mut KeyPath) {
    match value {
        Value::Array(array) => {
            for (i, element) in array.iter().enumerate() {
                if contains(&element.span(), span) {
                    path.0.push(Seg::Index(i));
                    walk_value(element, span, path);
                    return;
                }
            }
        }
        Value::InlineTable(table) => {
            for (name, element) in table.iter() {
                let key_span = table.key(name).and_then(|k| k.span());
                if contains(&key_span, span) {
                    path.0.push(Seg::Key(name.to_owned()));
                    return;
                }
                if contains(&element.span(), span) {
                    path.0.push(Seg::Key(name.to_owned()));
                    walk_value(element, span, path);
                    return;
                }
            }
        }
        _ => {}
    }
}

/// A node of the document while following a key path.
enum Node<'a> {
    Table(&'a Table),
    Inline(&'a InlineTable),
    Tables(&'a ArrayOfTables),
    Array(&'a Array),
    Leaf,
}

impl<'a> Node<'a> {
    fn of_item(item: &'a Item) -> Self {
        match item {
            Item::Table(t) => Node::Table(t),
            Item::ArrayOfTables(a) => Node::Tables(a),
            Item::Value(v) => Node::of_value(v),
            Item::None => Node::Leaf,
        }
    }

    fn of_value(value: &'a Value) -> Self {
        match value {
            Value::InlineTable(t) => Node::Inline(t),
            Value::Array(a) => Node::Array(a),
            _ => Node::Leaf,
        }
    }
}

/// The span of the key at `path` (for an index, the element), or of the deepest part
/// of the path that exists; `0..0` when not even the first key exists.
pub(crate) fn span_of(root: &Table, path: &KeyPath) -> Range<usize> {
    let mut node = Node::Table(root);
    let mut found = 0..0;
    for seg in &path.0 {
        let (span, next) = match (seg, &node) {
            (Seg::Key(k), Node::Table(t)) => match t.get_key_value(k) {
                Some((key, item)) => (key.span(), Node::of_item(item)),
                None => break,
            },
            (Seg::Key(k), Node::Inline(t)) => match t.get_key_value(k) {
                Some((key, item)) => (key.span(), Node::of_item(item)),
                None => break,
            },
            (Seg::Index(i), Node::Tables(a)) => match a.get(*i) {
                Some(t) => (t.span(), Node::Table(t)),
                None => break,
            },
            (Seg::Index(i), Node::Array(a)) => match a.get(*i) {
                Some(v) => (v.span(), Node::of_value(v)),
                None => break,
            },
            _ => break,
        };
        if let Some(span) = span {
            found = span;
        }
        node = next;
    }
    found
}

/// Whether the exact key `path` is written in the document.
pub(crate) fn is_present(root: &Table, path: &KeyPath) -> bool {
    let mut node = Node::Table(root);
    for seg in &path.0 {
        node = match (seg, &node) {
            (Seg::Key(k), Node::Table(t)) => match t.get(k) {
                Some(item) => Node::of_item(item),
                None => return false,
            },
            (Seg::Key(k), Node::Inline(t)) => match t.get(k) {
                Some(v) => Node::of_value(v),
                None => return false,
            },
            (Seg::Index(i), Node::Tables(a)) => match a.get(*i) {
                Some(t) => Node::Table(t),
                None => return false,
            },
            (Seg::Index(i), Node::Array(a)) => match a.get(*i) {
                Some(v) => Node::of_value(v),
                None => return false,
            },
            _ => return false,
        };
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use toml_edit::ImDocument;

    const TEXT: &str = "a = 1\n[repository]\nowner = 'x'\nname = 'y'\n\
        [[img]]\nname = 'p'\n[[img]]\nname = 'q'\nlist = [1, {z = 2}]\n[x.y]\nz = 1\n";

    fn span_text(span: Range<usize>) -> &'static str {
        &TEXT[span]
    }

    #[test]
    fn config_key_path_display() {
        let p = KeyPath::dotted("image_builder.images").index(1).key("name");
        assert_eq!(p.to_string(), "image_builder.images[1].name");
        assert_eq!(
            KeyPath::dotted("ui.keys").key("a.b").to_string(),
            "ui.keys.\"a.b\""
        );
        assert_eq!(KeyPath::root().to_string(), "");
    }

    #[test]
    fn config_line_col_is_one_based_in_chars() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("é\nx", 1), (1, 1));
        assert_eq!(line_col("é\nx", 2), (1, 2));
        assert_eq!(line_col("ab", 99), (1, 3));
    }

    #[test]
    fn config_span_to_path_and_back() {
        let doc = ImDocument::parse(TEXT).unwrap();
        let root = doc.as_table();
        for path in [
            KeyPath::dotted("repository.owner"),
            KeyPath::dotted("img").index(1).key("name"),
            KeyPath::dotted("img")
                .index(1)
                .key("list")
                .index(1)
                .key("z"),
            KeyPath::dotted("x.y.z"),
            KeyPath::dotted("a"),
        ] {
            let span = span_of(root, &path);
            assert_eq!(
                path_at(root, &span),
                path,
                "{path} at {:?}",
                span_text(span.clone())
            );
            assert!(is_present(root, &path), "{path}");
        }
        assert_eq!(
            span_text(span_of(root, &KeyPath::dotted("repository.missing"))),
            "repository"
        );
        assert!(!is_present(root, &KeyPath::dotted("repository.missing")));
        assert_eq!(span_of(root, &KeyPath::dotted("nothing.here")), 0..0);
        assert_eq!(path_at(root, &(0..0)), KeyPath::root());
    }
}
