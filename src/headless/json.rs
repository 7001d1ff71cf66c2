//! `--json` for the headless action commands: one JSON object per line on stdout, one per
//! progress event, then a final `{"event": "result", "ok", "pr", "action", "repository", …}`
//! with the IDs the action produced, or `"error": {"step", "message"}` (no `repository` when
//! the config, or `--project`, was refused before one was chosen). No colour, no human text.

use std::io::Write;

use serde_json::{json, Map, Value};

use super::run_lines::{RunLines, RunTally};
use crate::engine::{ActionError, ActionEvent, ActionKind};

/// How an action command prints its progress.
#[derive(Debug)]
pub enum Progress {
    /// Human lines (a run's progress only when the line changes).
    Text(RunLines),
    /// JSON lines, remembering the IDs seen for the final object.
    Json(JsonProgress),
}

impl Progress {
    /// Human lines, or JSON lines whose final object names `repository` (`owner/name`).
    pub fn new(json: bool, repository: String) -> Progress {
        if json {
            Progress::Json(JsonProgress {
                repository: Some(repository),
                ..JsonProgress::default()
            })
        } else {
            Progress::Text(RunLines::default())
        }
    }

    pub fn is_json(&self) -> bool {
        matches!(self, Progress::Json(_))
    }

    /// Prints one event: as JSON, or with `text` (the command's human printer).
    pub fn event(
        &mut self,
        out: &mut (dyn Write + Send),
        ev: &ActionEvent,
        text: fn(&mut (dyn Write + Send), &ActionEvent),
    ) {
        match self {
            Progress::Text(runs) => {
                if runs.is_new(ev) {
                    text(out, ev)
                }
            }
            Progress::Json(p) => p.event(out, ev),
        }
    }
}

/// The IDs an action's events named so far (a failed build still has its version), and the
/// repository it acts in.
#[derive(Debug, Default)]
pub struct JsonProgress {
    pub version_id: Option<String>,
    pub run_id: Option<String>,
    /// `owner/name`, in the final object.
    pub repository: Option<String>,
    /// A run's progress is printed only when its line changes.
    pub runs: RunLines,
}

impl JsonProgress {
    /// Prints the event's line (nothing for `Done`: the final object says it).
    pub fn event(&mut self, out: &mut (dyn Write + Send), ev: &ActionEvent) {
        if !self.runs.is_new(ev) {
            return;
        }
        match ev {
            // The compile pod runs before the version exists (empty version ID).
            ActionEvent::BuildPod { version_id, .. } if !version_id.is_empty() => {
                self.version_id = Some(version_id.clone())
            }
            ActionEvent::RunStarted { run_id, .. } => self.run_id = Some(run_id.clone()),
            _ => {}
        }
        if let Some(v) = event_json(ev) {
            write_line(out, &v);
        }
    }

    /// Prints the final object: `fields` (the action's IDs) on success, the error otherwise;
    /// IDs seen in events fill in what `fields` lacks.
    pub fn finish(
        &self,
        out: &mut (dyn Write + Send),
        pr: u64,
        action: ActionKind,
        outcome: Result<Map<String, Value>, &ActionError>,
    ) {
        let mut obj = Map::new();
        obj.insert("event".into(), "result".into());
        obj.insert("ok".into(), outcome.is_ok().into());
        obj.insert("pr".into(), pr.into());
        obj.insert("action".into(), action.to_string().into());
        if let Some(repository) = &self.repository {
            obj.insert("repository".into(), repository.clone().into());
        }
        match outcome {
            Ok(fields) => obj.extend(fields),
            Err(e) => {
                let mut error = json!({ "step": e.step, "message": e.message });
                if let Some(details) = &e.details {
                    error["details"] = details.clone().into();
                }
                obj.insert("error".into(), error);
            }
        }
        for (key, seen) in [("version_id", &self.version_id), ("run_id", &self.run_id)] {
            if let Some(id) = seen {
                obj.entry(key).or_insert_with(|| id.clone().into());
            }
        }
        write_line(out, &Value::Object(obj));
    }
}

/// One progress event as a JSON object; `None` for `Done`.
pub fn event_json(ev: &ActionEvent) -> Option<Value> {
    Some(match ev {
        ActionEvent::Step { pr, step } => {
            json!({ "event": "step", "pr": pr, "text": step.to_string() })
        }
        ActionEvent::BuildPod {
            pr,
            image,
            pod,
            version_id,
            build_id,
            phase,
        } => json!({
            "event": "build_pod",
            "pr": pr,
            "image": image,
            "pod": pod.name,
            "namespace": pod.namespace,
            "version_id": version_id,
            "build_id": build_id,
            "phase": phase,
        }),
        ActionEvent::RunStarted { pr, run_id } => {
            json!({ "event": "run_started", "pr": pr, "run_id": run_id })
        }
        ActionEvent::RunProgress { pr, run } => {
            let tally = RunTally::of(run);
            json!({
                "event": "run_progress",
                "pr": pr,
                "run_id": run.run_id,
                "state": tally.state.to_string(),
                "tasks": tally.tasks,
                "tasks_ended": tally.ended,
            })
        }
        ActionEvent::Done { .. } => return None,
    })
}

/// A failure before the action started (config, connecting, asking): the final object alone,
/// naming `repository` when one was chosen.
pub fn failure(
    out: &mut (dyn Write + Send),
    pr: u64,
    action: ActionKind,
    repository: Option<&str>,
    step: &str,
    message: &str,
) {
    let progress = JsonProgress {
        repository: repository.map(str::to_owned),
        ..JsonProgress::default()
    };
    progress.finish(out, pr, action, Err(&ActionError::new(step, message)));
}

/// Writes one compact JSON object and a newline, flushed (a reader may act on each line).
pub fn write_line(out: &mut (dyn Write + Send), value: &Value) {
    let _ = writeln!(out, "{value}");
    let _ = out.flush();
}

/// `fields` from `(key, value)` pairs.
pub fn fields<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_names_step_and_message_and_keeps_the_ids_seen() {
        let mut p = JsonProgress::default();
        let mut out = Vec::new();
        p.event(
            &mut out,
            &ActionEvent::RunStarted {
                pr: 3,
                run_id: "r-1".into(),
            },
        );
        p.finish(
            &mut out,
            3,
            ActionKind::Run,
            Err(&ActionError::new("wait", "run FAILED")),
        );
        let lines: Vec<Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["event"], "run_started");
        let last = &lines[1];
        assert_eq!(last["ok"], false);
        assert_eq!(last["action"], "/run");
        assert_eq!(last["run_id"], "r-1");
        assert_eq!(last["error"]["step"], "wait");
        assert_eq!(last["error"]["message"], "run FAILED");
        // Made by hand, without a repository: none named.
        assert!(last.get("repository").is_none(), "{last}");
    }

    #[test]
    fn the_final_object_names_the_repository_once_one_is_chosen() {
        let parse = |out: Vec<u8>| -> Value { serde_json::from_slice(&out).unwrap() };
        let Progress::Json(p) = Progress::new(true, "acme/fraud".into()) else {
            panic!("JSON progress");
        };
        let mut out = Vec::new();
        p.finish(&mut out, 7, ActionKind::Build, Ok(Map::new()));
        let done = parse(out);
        assert_eq!(done["repository"], "acme/fraud");
        assert_eq!(done["ok"], true);
        let mut out = Vec::new();
        failure(
            &mut out,
            7,
            ActionKind::Build,
            Some("acme/fraud"),
            "read-only",
            "no",
        );
        assert_eq!(parse(out)["repository"], "acme/fraud");
        // A refusal before a project was chosen (a bad config or --project) names none.
        let mut out = Vec::new();
        failure(
            &mut out,
            7,
            ActionKind::Build,
            None,
            "config",
            "no project `x`",
        );
        let refused = parse(out);
        assert!(refused.get("repository").is_none(), "{refused}");
        assert_eq!(refused["error"]["step"], "config");
    }
}
