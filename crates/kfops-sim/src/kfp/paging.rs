//! KFP's list options but the filter: `sort_by`, `page_size` and the opaque `page_token`,
//! and [`page`], which filters, sorts and pages a list.
//!
//! Pages are cut after the last item of the previous page (its sort value and a creation
//! sequence number as tie-breaker), so inserts and deletes between pages neither repeat nor
//! skip items; the token carries the sort order and filter of the first request, which is
//! what KFP does too.

use std::cmp::Ordering;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::errors::RpcError;
use super::filter::{key_list, Filter, Key, Keys, Listed};

/// Page size when the request has none (KFP's `defaultPageSize`).
pub const DEFAULT_PAGE_SIZE: usize = 20;
/// Larger page sizes are cut to this (KFP's `maxPageSize`).
pub const MAX_PAGE_SIZE: usize = 200;

/// `sort_by`: `"name"`, `"name asc"` or `"created_at desc"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sort {
    pub key: String,
    pub desc: bool,
}

impl Sort {
    /// Reads `sort_by`; empty means KFP's default, oldest first.
    pub fn parse(text: &str, keys: Keys) -> Result<Sort, RpcError> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let (key, desc) = match words.as_slice() {
            [] => ("created_at", false),
            [key] => (*key, false),
            [key, dir] if dir.eq_ignore_ascii_case("asc") => (*key, false),
            [key, dir] if dir.eq_ignore_ascii_case("desc") => (*key, true),
            _ => {
                return Err(RpcError::invalid(format!(
                    "Invalid sorting field: \"{text}\"; write a key, optionally followed by asc or desc"
                )))
            }
        };
        if !keys.iter().any(|(k, _)| *k == key) {
            return Err(RpcError::invalid(format!(
                "Invalid sorting field: \"{key}\"; known keys are {}",
                key_list(keys)
            )));
        }
        Ok(Sort {
            key: key.to_owned(),
            desc,
        })
    }

    fn order(&self, a: &(Option<Key>, u64), b: &(Option<Key>, u64)) -> Ordering {
        let ordering = a.cmp(b);
        if self.desc {
            ordering.reverse()
        } else {
            ordering
        }
    }
}

/// The list options of a request, from its query.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub page_token: String,
    pub page_size: String,
    pub sort_by: String,
    pub filter: String,
}

impl ListQuery {
    /// Reads the options from query pairs (proto or JSON names, as grpc-gateway accepts).
    pub fn from_pairs(query: &[(String, String)]) -> ListQuery {
        let get = |proto: &str, json: &str| {
            query
                .iter()
                .find(|(k, _)| k == proto || k == json)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        ListQuery {
            page_token: get("page_token", "pageToken"),
            page_size: get("page_size", "pageSize"),
            sort_by: get("sort_by", "sortBy"),
            filter: get("filter", "filter"),
        }
    }
}

/// What the page token remembers.
#[derive(Debug, Serialize, Deserialize)]
struct Token {
    sort: Sort,
    filter: String,
    last: Option<Key>,
    seq: u64,
}

/// One page of a list.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Items matching the filter, on all pages.
    pub total_size: usize,
    pub next_page_token: Option<String>,
}

/// Filters, sorts and pages `all` as the request asks.
pub fn page<T: Listed + Clone>(
    all: &[T],
    query: &ListQuery,
    keys: Keys,
) -> Result<Page<T>, RpcError> {
    let size = match query.page_size.trim() {
        "" => DEFAULT_PAGE_SIZE,
        text => match text.parse::<i64>() {
            Ok(0) => DEFAULT_PAGE_SIZE,
            Ok(n) if n < 0 => {
                return Err(RpcError::invalid(format!(
                    "The page size should be greater than 0. Got {n}"
                )))
            }
            Ok(n) => usize::try_from(n)
                .unwrap_or(MAX_PAGE_SIZE)
                .min(MAX_PAGE_SIZE),
            Err(_) => {
                return Err(RpcError::invalid(format!(
                    "page_size `{text}` is not an integer"
                )))
            }
        },
    };
    let (sort, filter_text, after) = if query.page_token.is_empty() {
        (
            Sort::parse(&query.sort_by, keys)?,
            query.filter.clone(),
            None,
        )
    } else {
        let token = decode_token(&query.page_token)?;
        (token.sort, token.filter, Some((token.last, token.seq)))
    };
    let filter = Filter::parse(&filter_text)?;
    filter.check(keys)?;
    let mut matching: Vec<(Option<Key>, u64, &T)> = all
        .iter()
        .filter(|item| filter.matches(*item))
        .map(|item| (item.key(&sort.key), item.seq(), item))
        .collect();
    matching.sort_by(|a, b| sort.order(&(a.0.clone(), a.1), &(b.0.clone(), b.1)));
    let total_size = matching.len();
    let rest: Vec<&(Option<Key>, u64, &T)> = matching
        .iter()
        .filter(|(key, seq, _)| match &after {
            None => true,
            Some(cursor) => sort.order(&(key.clone(), *seq), cursor) == Ordering::Greater,
        })
        .collect();
    let items: Vec<T> = rest
        .iter()
        .take(size)
        .map(|(_, _, t)| (*t).clone())
        .collect();
    let next_page_token = if rest.len() > size {
        rest.get(size - 1).map(|(key, seq, _)| {
            encode_token(&Token {
                sort: sort.clone(),
                filter: filter_text.clone(),
                last: key.clone(),
                seq: *seq,
            })
        })
    } else {
        None
    };
    Ok(Page {
        items,
        total_size,
        next_page_token,
    })
}

fn encode_token(token: &Token) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(token).unwrap_or_default())
}

fn decode_token(text: &str) -> Result<Token, RpcError> {
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| {
            RpcError::invalid(format!(
                "Failed to parse the page token `{text}`; pass the next_page_token of the previous page"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kfp::filter::Kind;

    #[derive(Debug, Clone)]
    struct Item(&'static str, i64, u64);

    impl Listed for Item {
        fn key(&self, name: &str) -> Option<Key> {
            match name {
                "name" => Some(Key::Str(self.0.to_owned())),
                "created_at" => Some(Key::Int(self.1)),
                _ => None,
            }
        }
        fn seq(&self) -> u64 {
            self.2
        }
    }

    const KEYS: Keys = &[("name", Kind::Str), ("created_at", Kind::Int)];

    fn items() -> Vec<Item> {
        vec![
            Item("b", 10, 1),
            Item("a", 20, 2),
            Item("c", 20, 3),
            Item("ab", 30, 4),
        ]
    }

    fn names(query: ListQuery) -> Result<Vec<&'static str>, RpcError> {
        page(&items(), &query, KEYS).map(|p| p.items.iter().map(|i| i.0).collect())
    }

    fn filtered(filter: &str) -> Vec<&'static str> {
        names(ListQuery {
            filter: filter.to_owned(),
            ..ListQuery::default()
        })
        .unwrap_or_else(|e| panic!("{filter}: {}", e.message))
    }

    #[test]
    fn both_spellings_and_enum_numbers_are_read() {
        for f in [
            r#"{"predicates":[{"key":"name","operation":"EQUALS","string_value":"a"}]}"#,
            r#"{"predicates":[{"key":"name","operation":1,"stringValue":"a"}]}"#,
        ] {
            assert_eq!(filtered(f), ["a"]);
        }
        assert_eq!(
            filtered(
                r#"{"predicates":[{"key":"name","operation":"IS_SUBSTRING","string_value":"a"}]}"#
            ),
            ["a", "ab"]
        );
        assert_eq!(
            filtered(
                r#"{"predicates":[{"key":"name","operation":"IN","stringValues":{"values":["c","b"]}}]}"#
            ),
            ["b", "c"]
        );
        assert_eq!(
            filtered(
                r#"{"predicates":[{"key":"created_at","operation":"GREATER_THAN_EQUALS","long_value":"20"}]}"#
            ),
            ["a", "c", "ab"]
        );
        assert_eq!(
            filtered(
                r#"{"predicates":[{"key":"created_at","operation":"LESS_THAN","timestamp_value":"1970-01-01T00:00:20Z"}]}"#
            ),
            ["b"]
        );
    }

    #[test]
    fn unknown_fields_keys_and_mismatched_values_are_refused() {
        for f in [
            r#"{"predicates":[{"key":"name","operation":"EQUALS","string_value":"a","extra":1}]}"#,
            r#"{"predicates":[{"key":"owner","operation":"EQUALS","string_value":"a"}]}"#,
            r#"{"predicates":[{"key":"name","operation":"IN","string_value":"a"}]}"#,
            r#"{"predicates":[{"key":"name","string_value":"a"}]}"#,
            r#"{"predicates":[{"key":"name","operation":"EQUALS","string_value":"a","int_value":1}]}"#,
            r#"{"predicates":[{"key":"created_at","operation":"EQUALS","string_value":"yesterday"}]}"#,
            r#"{"filters":[]}"#,
            "not json",
        ] {
            let query = ListQuery {
                filter: f.to_owned(),
                ..ListQuery::default()
            };
            let err = names(query).unwrap_err();
            assert_eq!(err.code, super::super::errors::Code::InvalidArgument, "{f}");
        }
    }

    #[test]
    fn pages_follow_the_sort_order_with_ties_in_creation_order() {
        let mut query = ListQuery {
            page_size: "1".into(),
            sort_by: "created_at desc".into(),
            ..ListQuery::default()
        };
        let mut seen = Vec::new();
        loop {
            let p = page(&items(), &query, KEYS).unwrap_or_else(|e| panic!("{}", e.message));
            assert_eq!(p.total_size, 4);
            seen.extend(p.items.iter().map(|i| i.0));
            match p.next_page_token {
                Some(token) => query.page_token = token,
                None => break,
            }
        }
        assert_eq!(seen, ["ab", "c", "a", "b"]);
    }
}
