//! Recording one action: its steps as they happen, the line when it ends.

use std::path::PathBuf;
use std::sync::Mutex;

use chrono::Utc;

use super::{AuditEntry, AuditOutcome, AuditStep};
use crate::engine::{ActionError, ActionEvent};

/// Collects an action's steps; [`Recorder::finish`] writes its line. A recorder dropped
/// unfinished (the console quit while the action ran) writes the line as interrupted.
#[derive(Debug)]
pub struct Recorder {
    path: PathBuf,
    entry: Mutex<Option<AuditEntry>>,
}

impl Recorder {
    pub(super) fn new(path: PathBuf, entry: AuditEntry) -> Recorder {
        Recorder {
            path,
            entry: Mutex::new(Some(entry)),
        }
    }

    /// Notes a progress event: steps and created runs are kept (pod phases and run progress
    /// are too fine-grained for the audit trail).
    pub fn observe(&self, ev: &ActionEvent) {
        let text = match ev {
            ActionEvent::Step { step, .. } => step.to_string(),
            ActionEvent::RunStarted { run_id, .. } => format!("run {run_id} created"),
            _ => return,
        };
        if let Some(entry) = self.lock().as_mut() {
            entry.steps.push(AuditStep {
                time: Utc::now(),
                text,
            });
        }
    }

    /// Notes the pipeline version a headless `kfops run --version-id` was asked to run.
    pub fn note_version_id(&self, version_id: &str) {
        if let Some(entry) = self.lock().as_mut() {
            entry.args.version_id = Some(version_id.to_string());
        }
    }

    /// Writes the line with the action's outcome (off the async task: a blocking append).
    pub async fn finish(&self, outcome: &Result<String, ActionError>) -> Result<(), String> {
        let Some(mut entry) = self.lock().take() else {
            return Ok(());
        };
        entry.ended = Utc::now();
        match outcome {
            Ok(summary) => {
                entry.outcome = AuditOutcome::Ok;
                entry.message.clone_from(summary);
            }
            Err(e) => {
                entry.outcome = AuditOutcome::Error;
                entry.message = e.to_string();
            }
        }
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || super::file::append(&path, &entry))
            .await
            .map_err(|e| format!("audit entry not written: {e}"))?
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<AuditEntry>> {
        self.entry.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        if let Some(mut entry) = self.lock().take() {
            entry.ended = Utc::now();
            entry.outcome = AuditOutcome::Error;
            entry.message = "interrupted: kfops stopped while the action ran".into();
            // At shutdown: one small synchronous append; nothing else is waiting on it.
            if let Err(e) = super::file::append(&self.path, &entry) {
                tracing::warn!("{e}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{file, Source};
    use crate::chatops::ChatCommand;

    fn recorder(path: &std::path::Path) -> Recorder {
        Recorder::new(
            path.to_path_buf(),
            AuditEntry::started(Source::Console, "op".into(), 7, &ChatCommand::Run),
        )
    }

    #[tokio::test]
    async fn finished_and_interrupted_actions_each_write_one_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.jsonl");
        let r = recorder(&path);
        r.observe(&ActionEvent::Step {
            pr: 7,
            step: crate::engine::Step::StartRun {
                name: "churn-pr7".into(),
            },
        });
        r.observe(&ActionEvent::RunStarted {
            pr: 7,
            run_id: "r1".into(),
        });
        r.finish(&Err(ActionError::new("wait", "run failed")))
            .await
            .unwrap();
        drop(recorder(&path));
        let recent = file::read_recent(&path, 10).unwrap();
        assert_eq!(recent.entries.len(), 2);
        let interrupted = &recent.entries[0];
        assert!(interrupted.message.starts_with("interrupted"));
        let failed = &recent.entries[1];
        assert_eq!(failed.outcome, AuditOutcome::Error);
        assert_eq!(failed.message, "wait: run failed");
        let steps: Vec<&str> = failed.steps.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(steps, vec!["starting run churn-pr7", "run r1 created"]);
    }
}
