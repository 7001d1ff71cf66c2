//! `pipeline.version_name` and `pipeline.version_description`: templates with `{placeholder}`s
//! (see [`VERSION_PLACEHOLDERS`](super::VERSION_PLACEHOLDERS)), checked when the config is read
//! and filled in by `/build`.

use super::VERSION_PLACEHOLDERS;

/// The first problem of a template: an unknown placeholder or an unclosed `{`.
pub fn check(template: &str) -> Result<(), String> {
    render(template, |name| {
        VERSION_PLACEHOLDERS
            .contains(&name)
            .then(String::new)
            .ok_or_else(|| {
                format!(
                    "unknown placeholder `{{{name}}}` (known: {})",
                    VERSION_PLACEHOLDERS
                        .iter()
                        .map(|p| format!("{{{p}}}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    })
    .map(|_| ())
}

/// The template with each `{name}` replaced by `value(name)`; `{{` and `}}` are literal braces.
pub fn render(
    template: &str,
    value: impl Fn(&str) -> Result<String, String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("{{").or_else(|| tail.strip_prefix("}}")) {
            out.push_str(&tail[..1]);
            rest = after;
            continue;
        }
        if tail.starts_with('}') {
            return Err("a `}` without its `{` (write `}}` for a literal brace)".into());
        }
        let end = tail
            .find('}')
            .ok_or_else(|| "a `{` without its `}` (write `{{` for a literal brace)".to_string())?;
        out.push_str(&value(&tail[1..end])?);
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_and_unknown_ones_refused() {
        let filled = render("{pipeline}-pr{pr} {{x}}", |n| Ok(format!("<{n}>")));
        assert_eq!(filled.as_deref(), Ok("<pipeline>-pr<pr> {x}"));
        assert!(check(super::super::DEFAULT_VERSION_NAME).is_ok());
        assert!(check(super::super::KFOPS_VERSION_NAME).is_ok());
        assert!(check("v-{nope}").unwrap_err().contains("`{nope}`"));
        assert!(check("v-{pr").unwrap_err().contains("without its `}`"));
        assert!(check("v-}").unwrap_err().contains("without its `{`"));
    }
}
