//! The PR comments Kfops posts, in Kfops' own words and format, so chat users and console
//! users see one history.

use crate::chatops::{write_var, VAR_VERSION_ID};

/// After a successful build (`/build`), with the hidden version ID.
pub fn build_succeeded(url: &str, version_id: &str, build_only: bool) -> String {
    let mut body = format!(
        "\nPipeline compiled successfully. <a href=\"{url}\" target=\"_blank\">Details</a><br/>\n{}\n",
        write_var(VAR_VERSION_ID, version_id)
    );
    if build_only {
        body.push_str("<br/>Type: <code>&#47;run</code> to run the compiled pipeline.");
    }
    body
}

/// When an action fails: which step, and why (Kfops posts its errors as comments too).
pub fn failed(action: &str, step: &str, message: &str) -> String {
    format!("\n{action} failed at step <b>{step}</b>: {message}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chatops::read_var;

    #[test]
    fn build_comment_matches_kfops_and_carries_the_version() {
        let body = build_succeeded("http://kfp/#/x", "v-123", true);
        assert!(body.starts_with("\nPipeline compiled successfully. <a href=\"http://kfp/#/x\""));
        assert!(body.contains("<!-- KFOPS_VERSION_ID=v-123 -->\n"));
        assert!(body.ends_with("to run the compiled pipeline."));
        assert_eq!(
            read_var([body.as_str()], VAR_VERSION_ID).as_deref(),
            Some("v-123")
        );
    }
}
