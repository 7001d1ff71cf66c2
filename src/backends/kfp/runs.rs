//! Experiments and runs through the v2beta1 API: find or create an experiment; create, read,
//! list (filtered, newest first, all pages) and terminate runs.

use http::Method;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{encode, no_hints, Body, Experiment, Kfp, Page, Run, RuntimeState, API, PAGE_SIZE};
use crate::backends::error::BackendError;

/// Most runs [`Kfp::list_runs`] returns when the query sets no limit.
pub const DEFAULT_RUN_LIMIT: usize = 200;

/// What [`Kfp::create_run`] creates: a run of a pipeline version.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CreateRun {
    pub display_name: String,
    /// `None`: KFP's default experiment.
    pub experiment_id: Option<String>,
    pub pipeline_id: String,
    pub pipeline_version_id: String,
    /// `runtime_config.parameters`.
    pub parameters: serde_json::Map<String, Value>,
}

/// How [`Kfp::list_runs`] matches run names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameMatch {
    Exact(String),
    Prefix(String),
    Contains(String),
}

/// Which runs [`Kfp::list_runs`] returns, newest first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunQuery {
    pub experiment_id: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<NameMatch>,
    pub state: Option<RuntimeState>,
    /// At most this many runs (0: [`DEFAULT_RUN_LIMIT`]).
    pub limit: usize,
}

impl RunQuery {
    /// The v2beta1 `Filter` JSON for the server's part of the query.
    fn filter(&self) -> Option<Value> {
        let mut predicates = Vec::new();
        match &self.name {
            Some(NameMatch::Exact(name)) => predicates.push(json!({
                "key": "display_name", "operation": "EQUALS", "string_value": name,
            })),
            Some(NameMatch::Prefix(text) | NameMatch::Contains(text)) => predicates.push(json!({
                "key": "display_name", "operation": "IS_SUBSTRING", "string_value": text,
            })),
            None => {}
        }
        if let Some(state) = &self.state {
            predicates.push(json!({
                "key": "state", "operation": "EQUALS", "string_value": state.as_str(),
            }));
        }
        (!predicates.is_empty()).then(|| json!({ "predicates": predicates }))
    }

    /// What the server cannot check (prefixes, exactness under a lax collation).
    fn keeps(&self, run: &Run) -> bool {
        match &self.name {
            Some(NameMatch::Exact(name)) => run.display_name == *name,
            Some(NameMatch::Prefix(prefix)) => run.display_name.starts_with(prefix.as_str()),
            Some(NameMatch::Contains(text)) => run.display_name.contains(text.as_str()),
            None => true,
        }
    }
}

#[derive(Debug, Deserialize)]
struct ListExperiments {
    #[serde(default)]
    experiments: Vec<Experiment>,
}

#[derive(Debug, Deserialize)]
struct ListRuns {
    #[serde(default)]
    runs: Vec<Run>,
    #[serde(default)]
    next_page_token: String,
}

impl Page for ListRuns {
    type Item = Run;
    fn into_parts(self) -> (Vec<Run>, String) {
        (self.runs, self.next_page_token)
    }
}

impl Kfp {
    /// The experiment named `name` (in `namespace`, for multi-user KFP), if KFP has one.
    pub async fn find_experiment(
        &self,
        name: &str,
        namespace: Option<&str>,
    ) -> Result<Option<Experiment>, BackendError> {
        let what = format!("find experiment `{name}`");
        let filter = json!({"predicates": [{
            "key": "display_name",
            "operation": "EQUALS",
            "string_value": name,
        }]});
        let mut path = format!(
            "{API}/experiments?filter={}&page_size={PAGE_SIZE}",
            encode(&filter.to_string())
        );
        if let Some(namespace) = namespace.filter(|n| !n.is_empty()) {
            path.push_str(&format!("&namespace={}", encode(namespace)));
        }
        let list: ListExperiments = self
            .json(&what, Method::GET, &path, Body::Empty, no_hints)
            .await?;
        Ok(list.experiments.into_iter().find(|e| {
            e.display_name == name
                && namespace.is_none_or(|ns| ns.is_empty() || e.namespace.as_deref() == Some(ns))
        }))
    }

    /// Creates an experiment (409 when the namespace already has one of that name).
    pub async fn create_experiment(
        &self,
        name: &str,
        namespace: Option<&str>,
    ) -> Result<Experiment, BackendError> {
        let what = format!("create experiment `{name}`");
        let mut body = json!({ "display_name": name });
        if let Some(namespace) = namespace.filter(|n| !n.is_empty()) {
            body["namespace"] = json!(namespace);
        }
        fn hints(status: u16) -> Option<&'static str> {
            match status {
                409 => Some("KFP already has an experiment with this name; use it (find_experiment) or check [kfp] experiment_name"),
                400 | 403 => Some("check [kfp] experiment_name and [kfp] namespace (the Kubeflow profile)"),
                _ => None,
            }
        }
        self.object(
            &what,
            Method::POST,
            &format!("{API}/experiments"),
            Body::Json(body),
            hints,
        )
        .await
    }

    /// Starts a run of a pipeline version with `parameters`.
    pub async fn create_run(&self, req: &CreateRun) -> Result<Run, BackendError> {
        let what = format!(
            "create run `{}` of pipeline version {}",
            req.display_name, req.pipeline_version_id
        );
        let mut body = json!({
            "display_name": req.display_name,
            "pipeline_version_reference": {
                "pipeline_id": req.pipeline_id,
                "pipeline_version_id": req.pipeline_version_id,
            },
        });
        if let Some(experiment) = req.experiment_id.as_deref().filter(|e| !e.is_empty()) {
            body["experiment_id"] = json!(experiment);
        }
        if !req.parameters.is_empty() {
            body["runtime_config"] = json!({ "parameters": req.parameters });
        }
        fn hints(status: u16) -> Option<&'static str> {
            match status {
                400 => Some("check the pipeline version (KFOPS_VERSION_ID: build again if it was deleted) and [pipeline.run_arguments]"),
                404 => Some("the experiment does not exist any more; check [kfp] experiment_name"),
                _ => None,
            }
        }
        self.object(
            &what,
            Method::POST,
            &format!("{API}/runs"),
            Body::Json(body),
            hints,
        )
        .await
    }

    /// One run, with its task details.
    pub async fn get_run(&self, run_id: &str) -> Result<Run, BackendError> {
        let what = format!("get run {run_id}");
        fn hints(status: u16) -> Option<&'static str> {
            (status == 404)
                .then_some("KFP has no such run; it may have been deleted (check the KFOPS_RUN_ID)")
        }
        self.object(
            &what,
            Method::GET,
            &format!("{API}/runs/{}", encode(run_id)),
            Body::Empty,
            hints,
        )
        .await
    }

    /// The runs the query selects, newest first, following pages up to the query's limit.
    pub async fn list_runs(&self, q: &RunQuery) -> Result<Vec<Run>, BackendError> {
        let what = "list runs".to_owned();
        let limit = if q.limit == 0 {
            DEFAULT_RUN_LIMIT
        } else {
            q.limit
        };
        let mut base = format!(
            "{API}/runs?page_size={}&sort_by={}",
            limit.min(PAGE_SIZE),
            encode("created_at desc")
        );
        if let Some(experiment) = q.experiment_id.as_deref().filter(|e| !e.is_empty()) {
            base.push_str(&format!("&experiment_id={}", encode(experiment)));
        }
        if let Some(namespace) = q.namespace.as_deref().filter(|n| !n.is_empty()) {
            base.push_str(&format!("&namespace={}", encode(namespace)));
        }
        if let Some(filter) = q.filter() {
            base.push_str(&format!("&filter={}", encode(&filter.to_string())));
        }
        let mut runs = Vec::new();
        self.pages::<ListRuns>(&what, &base, "runs", |page| {
            runs.extend(page.into_iter().filter(|r| q.keeps(r)));
            runs.len() >= limit
        })
        .await?;
        // Newest first even from a server that ignores `sort_by` (stable).
        runs.sort_by_key(|r| std::cmp::Reverse(r.created_at));
        runs.truncate(limit);
        Ok(runs)
    }

    /// Asks KFP to stop a run (it goes CANCELING, then CANCELED).
    pub async fn terminate_run(&self, run_id: &str) -> Result<(), BackendError> {
        let what = format!("terminate run {run_id}");
        fn hints(status: u16) -> Option<&'static str> {
            match status {
                400 => {
                    Some("only pending or running runs can be terminated; refresh the run's state")
                }
                404 => Some("KFP has no such run; it may have been deleted"),
                _ => None,
            }
        }
        let _: Value = self
            .json(
                &what,
                Method::POST,
                &format!("{API}/runs/{}:terminate", encode(run_id)),
                Body::Empty,
                hints,
            )
            .await?;
        Ok(())
    }

    /// The KFP UI page of a run (`{ui_url}/#/runs/details/{run_id}`, the UI's
    /// `RoutePage.RUN_DETAILS`), or `None` without a UI address; see
    /// [`ui_url_for_version`](Self::ui_url_for_version).
    pub fn ui_url_for_run(&self, run_id: &str) -> Option<String> {
        self.ui_page(&format!("runs/details/{}", encode(run_id)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_queries_filter_on_the_server_and_check_prefixes_here() {
        let q = RunQuery {
            name: Some(NameMatch::Prefix("churn-model-pr41-".into())),
            state: Some(RuntimeState::Succeeded),
            ..RunQuery::default()
        };
        let filter = q.filter().unwrap_or_default();
        assert_eq!(filter["predicates"][0]["operation"], "IS_SUBSTRING");
        assert_eq!(filter["predicates"][1]["string_value"], "SUCCEEDED");
        let run = |name: &str| Run {
            display_name: name.into(),
            ..serde_json::from_value(json!({})).unwrap_or_else(|e| panic!("{e}"))
        };
        assert!(q.keeps(&run("churn-model-pr41-16ad806-1")));
        assert!(!q.keeps(&run("x-churn-model-pr41-")));
        assert_eq!(RunQuery::default().filter(), None);
    }
}
