//! What the headless output says about a run being watched (`kfops run --wait`,
//! `kfops build-run`, text or `--json`): its state and how many of its tasks ended. The engine
//! reports every change of the run (a task starting, a new timestamp: the console's graph
//! shows them); a line is printed only when what it says changed, so the same state and
//! count are never printed twice in a row (they were on every poll that changed something
//! the line does not show).

use crate::backends::kfp::{Run, RuntimeState};
use crate::engine::ActionEvent;

/// A run as one progress line says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunTally {
    pub state: RuntimeState,
    pub tasks: usize,
    /// Tasks in a final state.
    pub ended: usize,
}

impl RunTally {
    pub fn of(run: &Run) -> RunTally {
        let tasks = run.tasks();
        RunTally {
            state: run.state.clone(),
            tasks: tasks.len(),
            ended: tasks.iter().filter(|t| t.state.is_final()).count(),
        }
    }
}

/// The last run line printed, to leave out one that would say the same.
#[derive(Debug, Default)]
pub struct RunLines {
    last: Option<RunTally>,
}

impl RunLines {
    /// Whether `ev` gets a line: every event but a run progress the last line already said.
    pub fn is_new(&mut self, ev: &ActionEvent) -> bool {
        let ActionEvent::RunProgress { run, .. } = ev else {
            return true;
        };
        let tally = RunTally::of(run);
        if self.last.as_ref() == Some(&tally) {
            return false;
        }
        self.last = Some(tally);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress(state: &str, tasks: &[&str]) -> ActionEvent {
        let tasks: Vec<_> = tasks
            .iter()
            .map(|s| serde_json::json!({ "task_id": "t", "state": s }))
            .collect();
        let run = serde_json::json!({
            "run_id": "r-1",
            "state": state,
            "run_details": { "task_details": tasks },
        });
        ActionEvent::RunProgress {
            pr: 41,
            run: Box::new(serde_json::from_value(run).unwrap()),
        }
    }

    #[test]
    fn a_change_the_line_does_not_show_prints_nothing() {
        let mut lines = RunLines::default();
        let said: Vec<bool> = [
            progress("PENDING", &[]),
            progress("RUNNING", &["PENDING"]),
            progress("RUNNING", &["RUNNING"]),
            progress("RUNNING", &["SUCCEEDED", "PENDING"]),
            progress("RUNNING", &["SUCCEEDED", "RUNNING"]),
            progress("SUCCEEDED", &["SUCCEEDED", "SUCCEEDED"]),
        ]
        .iter()
        .map(|ev| lines.is_new(ev))
        .collect();
        assert_eq!(said, [true, true, false, true, false, true]);
        let step = ActionEvent::RunStarted {
            pr: 41,
            run_id: "r-1".into(),
        };
        assert!(
            lines.is_new(&step) && lines.is_new(&step),
            "other events all print"
        );
    }

    /// What `kfops run --wait` and `--json` print: one line per event, but a poll that changed
    /// nothing the line says prints nothing (it printed the same line again).
    #[test]
    fn text_and_json_print_each_run_line_once() {
        fn one_line(out: &mut (dyn std::io::Write + Send), _: &ActionEvent) {
            let _ = writeln!(out, "event");
        }
        for json in [false, true] {
            let mut printed = crate::headless::json::Progress::new(json, "acme/churn".into());
            let mut out = Vec::new();
            for ev in [
                progress("RUNNING", &["PENDING"]),
                progress("RUNNING", &["RUNNING"]),
                progress("RUNNING", &["RUNNING"]),
                progress("SUCCEEDED", &["SUCCEEDED"]),
            ] {
                printed.event(&mut out, &ev, one_line);
            }
            let text = String::from_utf8(out).unwrap_or_default();
            assert_eq!(text.lines().count(), 2, "json: {json}\n{text}");
        }
    }
}
