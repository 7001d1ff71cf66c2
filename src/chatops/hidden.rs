//! Kfops' hidden comment variables: `<!-- KFOPS_NAME=value -->`.

/// The variable a Kfops build comment carries: the compiled pipeline version.
pub const VAR_VERSION_ID: &str = "KFOPS_VERSION_ID";
/// The variable a Kfops "run completed" comment carries: the pipeline run id.
pub const VAR_RUN_ID: &str = "KFOPS_RUN_ID";

const OPEN: &str = "<!--";
const CLOSE: &str = "-->";
const NAME_PREFIX: &str = "KFOPS_";

/// Writes a hidden variable exactly as Kfops does: `<!-- NAME=value -->`.
///
/// `name` should satisfy [`is_var_name`] and `value` should be non-empty, have no
/// surrounding whitespace and not contain `-->`; otherwise [`read_var`] will not
/// give the same value back.
pub fn write_var(name: &str, value: &str) -> String {
    format!("{OPEN} {name}={value} {CLOSE}")
}

/// Whether `name` is a Kfops variable name: `KFOPS_` followed by one or more of
/// `A-Z`, `0-9` and `_`.
pub fn is_var_name(name: &str) -> bool {
    name.strip_prefix(NAME_PREFIX).is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    })
}

/// All hidden variables in one comment body, in order, as `(name, value)`.
///
/// HTML comments are read as HTML does (a comment runs from `<!--` to the first
/// `-->`; `<!-->` and `<!--->` are empty comments), each holding at most one
/// variable. Whitespace around the name, the `=` and the value is allowed
/// (`<!--KFOPS_RUN_ID=x-->`, `<!--  KFOPS_RUN_ID = x  -->`); values are trimmed.
/// Comments whose name is not a [variable name](is_var_name) or whose value is
/// empty are ignored, as is an unclosed `<!--`. Never panics.
pub fn vars_in(body: &str) -> Vec<(String, String)> {
    let mut vars = Vec::new();
    let mut rest = body;
    while let Some(open) = rest.find(OPEN) {
        let after = rest.get(open + OPEN.len()..).unwrap_or_default();
        // Abruptly closed empty comments: `<!-->` and `<!--->`.
        if let Some(tail) = after.strip_prefix('>').or_else(|| after.strip_prefix("->")) {
            rest = tail;
            continue;
        }
        let Some(close) = after.find(CLOSE) else {
            break;
        };
        if let Some(var) = after.get(..close).and_then(parse_var) {
            vars.push(var);
        }
        rest = after.get(close + CLOSE.len()..).unwrap_or_default();
    }
    vars
}

/// The text between `<!--` and `-->` as a variable, if it is one.
fn parse_var(content: &str) -> Option<(String, String)> {
    let (name, value) = content.split_once('=')?;
    let (name, value) = (name.trim(), value.trim());
    (is_var_name(name) && !value.is_empty()).then(|| (name.to_owned(), value.to_owned()))
}

/// The value of the hidden variable `name` that counts for a PR: its last
/// occurrence across `bodies` (the PR's comments, oldest first), or `None`.
///
/// Each body is read on its own with [`vars_in`], so an unclosed `<!--` in one
/// comment never hides variables in the next.
pub fn read_var<'a>(bodies: impl IntoIterator<Item = &'a str>, name: &str) -> Option<String> {
    bodies
        .into_iter()
        .flat_map(vars_in)
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v)
        .last()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(body: &str) -> Vec<(String, String)> {
        vars_in(body)
    }

    fn pair(name: &str, value: &str) -> (String, String) {
        (name.to_owned(), value.to_owned())
    }

    #[test]
    fn writes_the_kfops_format() {
        assert_eq!(write_var(VAR_RUN_ID, "abc"), "<!-- KFOPS_RUN_ID=abc -->");
        assert_eq!(
            write_var(VAR_VERSION_ID, "v-1"),
            "<!-- KFOPS_VERSION_ID=v-1 -->"
        );
    }

    #[test]
    fn tolerates_whitespace_inside_the_comment() {
        for body in [
            "<!--KFOPS_RUN_ID=x-->",
            "<!--  KFOPS_RUN_ID = x  -->",
            "<!-- KFOPS_RUN_ID=x -->",
            "<!--\n\tKFOPS_RUN_ID=\tx\n-->",
            "text before <!-- KFOPS_RUN_ID=x --> text after",
        ] {
            assert_eq!(pairs(body), vec![pair(VAR_RUN_ID, "x")], "{body:?}");
        }
    }

    #[test]
    fn lists_all_vars_in_order() {
        let body = "<!-- KFOPS_A=1 -->\n<!-- KFOPS_B=2 -->x<!--KFOPS_A=3-->";
        assert_eq!(
            pairs(body),
            vec![
                pair("KFOPS_A", "1"),
                pair("KFOPS_B", "2"),
                pair("KFOPS_A", "3")
            ]
        );
    }

    #[test]
    fn value_keeps_inner_equals_and_spaces() {
        assert_eq!(
            pairs("<!-- KFOPS_X=a=b c -->"),
            vec![pair("KFOPS_X", "a=b c")]
        );
    }

    #[test]
    fn ignores_non_vars() {
        for body in [
            "",
            "<!-- KFOPS_RUN_ID= -->",
            "<!-- KFOPS_RUN_ID=   -->",
            "<!-- kfops_run_id=x -->",
            "<!-- KFOPS_=x -->",
            "<!-- KFOPS_run=x -->",
            "<!-- OTHER_RUN_ID=x -->",
            "<!-- KFOPS_RUN_ID x -->",
            "<!-- just a comment -->",
            "KFOPS_RUN_ID=x",
            "<!-- KFOPS_RUN_ID=x",
            "<!-- <!-- KFOPS_RUN_ID=x -->",
        ] {
            assert_eq!(pairs(body), vec![], "{body:?}");
        }
    }

    #[test]
    fn abruptly_closed_comments_are_empty() {
        assert_eq!(
            pairs("<!--> <!--->  <!-- KFOPS_X=1 -->"),
            vec![pair("KFOPS_X", "1")]
        );
    }

    #[test]
    fn never_panics_on_fragments() {
        for body in [
            "<",
            "<!",
            "<!-",
            "<!--",
            "<!--é",
            "é<!--é-->é",
            "-->",
            "<!--=-->",
            "<!---->",
        ] {
            let _ = vars_in(body);
        }
    }

    #[test]
    fn last_occurrence_across_comments_wins() {
        let bodies = [
            "<!-- KFOPS_RUN_ID=first -->",
            "no vars here",
            "<!-- KFOPS_VERSION_ID=v1 --><!-- KFOPS_RUN_ID=second -->",
            "<!-- KFOPS_RUN_ID= -->",
        ];
        assert_eq!(read_var(bodies, VAR_RUN_ID).as_deref(), Some("second"));
        assert_eq!(read_var(bodies, VAR_VERSION_ID).as_deref(), Some("v1"));
        assert_eq!(read_var(bodies, "KFOPS_OTHER"), None);
        assert_eq!(read_var([], VAR_RUN_ID), None);
    }

    #[test]
    fn unclosed_comment_does_not_leak_into_next_body() {
        let bodies = ["<!-- unclosed", "<!-- KFOPS_RUN_ID=r -->"];
        assert_eq!(read_var(bodies, VAR_RUN_ID).as_deref(), Some("r"));
    }

    #[test]
    fn var_names() {
        assert!(is_var_name("KFOPS_RUN_ID"));
        assert!(is_var_name("KFOPS_1"));
        assert!(!is_var_name("KFOPS_"));
        assert!(!is_var_name("KFOPS_a"));
        assert!(!is_var_name("XKFOPS_A"));
        assert!(!is_var_name("KFOPS_A B"));
    }
}
