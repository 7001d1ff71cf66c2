//! The PR comments Kfops posts, in Kfops' own words and format, so chat users and console
//! users see one history.

use crate::chatops::{write_var, VAR_RUN_ID, VAR_VERSION_ID};

/// A hidden variable of kfops-console (not read by Kfops): the run a `/run` started, so the
/// console can show a run that has not completed yet.
pub const VAR_STARTED_RUN_ID: &str = "KFOPS_STARTED_RUN_ID";

/// A "Details" link to a KFP UI page (Kfops' form), or, without the UI's address, what the
/// page is about as plain text: a link is written only to an absolute page a reader can open.
fn details(url: Option<&str>, what: &str, id: &str) -> String {
    match url {
        Some(url) => link(url),
        None => format!("{what} <code>{id}</code>"),
    }
}

/// Kfops' "Details" link.
fn link(url: &str) -> String {
    format!("<a href=\"{url}\" target=\"_blank\">Details</a>")
}

/// After a successful build (`/build`), with the hidden version ID. `url`: the version's KFP
/// UI page (`None` without `[kfp] ui_url`: the version ID is written instead).
pub fn build_succeeded(url: Option<&str>, version_id: &str, build_only: bool) -> String {
    let mut body = format!(
        "\nPipeline compiled successfully. {}<br/>\n{}\n",
        details(url, "Pipeline version", version_id),
        write_var(VAR_VERSION_ID, version_id)
    );
    if build_only {
        body.push_str("<br/>Type: <code>&#47;run</code> to run the compiled pipeline.");
    }
    body
}

/// When a run starts, with its parameters as a table (Kfops' format). `url`: the run's KFP UI
/// page, if known.
pub fn run_started(
    url: Option<&str>,
    parameters: &serde_json::Map<String, serde_json::Value>,
    run_id: &str,
) -> String {
    let params = if parameters.is_empty() {
        String::new()
    } else {
        let rows: String = parameters
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                format!("<tr><td>{k}</td><td>{v}</td></tr>")
            })
            .collect();
        format!("\n<table><tr><td>Parameter name</td><td>Parameter value</td></tr>{rows}</table>\n")
    };
    format!(
        "\nPipeline run started. {}{params}\nWait for completion message.\n{}\n",
        details(url, "Run", run_id),
        write_var(VAR_STARTED_RUN_ID, run_id)
    )
}

/// When a run succeeded: Kfops' completion comment with the deploy hints and the run ID.
pub fn run_completed(run_time: &str, run_id: &str) -> String {
    format!(
        "\nPipeline run successfully completed after {run_time}.\n\n\
* Type: <code>&#47;deploy</code> to deploy to production model from last pipeline run (in this PR).\n\
* Type: <code>&#47;deploy --run-id={run_id}</code> to deploy to production this particular pipeline run.\n\
* Type: <code>&#47;staging_deploy</code> to deploy to staging model from last pipeline run (in this PR).\n\
* Type: <code>&#47;staging_deploy --run-id={run_id}</code> to deploy to staging this particular pipeline run.\n\n\
<b>Note:</b> Sucessful deployment to production will automatically merge your code with base branch and close the Pull request.\n\
{}\n",
        write_var(VAR_RUN_ID, run_id)
    )
}

/// When a run ended without success: its state and which task failed (and a link to the
/// run's KFP UI page, if known).
pub fn run_failed(url: Option<&str>, run_id: &str, state: &str, why: &str) -> String {
    let details = url.map(|u| format!(" {}", link(u))).unwrap_or_default();
    format!("\nPipeline run {run_id} ended <b>{state}</b>: {why}.{details}\n")
}

/// When an action fails: which step, and why (Kfops posts its errors as comments too).
pub fn failed(action: &str, step: &str, message: &str) -> String {
    format!("\n{action} failed at step <b>{step}</b>: {message}\n")
}

/// [`failed`] followed by `details` (a compiler's last lines) in a fenced code block; a
/// fence inside the details is broken so it cannot close the block.
pub fn failed_with_details(action: &str, step: &str, message: &str, details: &str) -> String {
    let details = details.replace("```", "`\u{200b}``");
    format!(
        "{}\n```text\n{}\n```\n",
        failed(action, step, message),
        details.trim_end()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chatops::read_var;

    #[test]
    fn run_comments_match_kfops() {
        let done = run_completed("0:05:23", "r-1");
        assert!(done.starts_with("\nPipeline run successfully completed after 0:05:23.\n\n* Type: <code>&#47;deploy</code>"));
        assert!(done.contains("<code>&#47;staging_deploy --run-id=r-1</code>"));
        assert!(done.ends_with("<!-- KFOPS_RUN_ID=r-1 -->\n"));
        assert_eq!(
            read_var([done.as_str()], VAR_RUN_ID).as_deref(),
            Some("r-1")
        );
        let mut p = serde_json::Map::new();
        p.insert("version_id".into(), serde_json::json!("v1"));
        let started = run_started(Some("https://kfp.example/#/runs/details/r-1"), &p, "r-1");
        assert!(started.contains("<tr><td>version_id</td><td>v1</td></tr>"));
        assert!(started.contains("Wait for completion message."));
        assert_eq!(
            read_var([started.as_str()], VAR_RUN_ID),
            None,
            "a started run is not a completed one"
        );
    }

    #[test]
    fn build_comment_matches_kfops_and_carries_the_version() {
        let body = build_succeeded(Some("http://kfp/#/x"), "v-123", true);
        assert!(body.starts_with("\nPipeline compiled successfully. <a href=\"http://kfp/#/x\""));
        assert!(body.contains("<!-- KFOPS_VERSION_ID=v-123 -->\n"));
        assert!(body.ends_with("to run the compiled pipeline."));
        assert_eq!(
            read_var([body.as_str()], VAR_VERSION_ID).as_deref(),
            Some("v-123")
        );
    }

    #[test]
    fn without_a_ui_address_the_ids_are_written_as_text_not_as_links() {
        let build = build_succeeded(None, "v-123", false);
        assert_eq!(
            build,
            "\nPipeline compiled successfully. Pipeline version <code>v-123</code><br/>\n<!-- KFOPS_VERSION_ID=v-123 -->\n"
        );
        let started = run_started(None, &serde_json::Map::new(), "r-1");
        assert!(started.starts_with("\nPipeline run started. Run <code>r-1</code>\nWait"));
        let failed = run_failed(None, "r-1", "FAILED", "task train failed");
        assert_eq!(
            failed,
            "\nPipeline run r-1 ended <b>FAILED</b>: task train failed.\n"
        );
        for body in [build, started, failed] {
            assert!(!body.contains("href"), "{body}");
        }
        let linked = run_failed(Some("https://k/#/runs/details/r-1"), "r-1", "FAILED", "x");
        assert!(linked.ends_with(
            ": x. <a href=\"https://k/#/runs/details/r-1\" target=\"_blank\">Details</a>\n"
        ));
    }
}
