//! What every headless action (`build`, `run`, `build-run`, `deploy`) does around the engine:
//! the header line and each progress event printed as it arrives; the audit record (each
//! event noted, the outcome's summary written) is the effects layer's wrapper
//! (`effects::action::Audited`), the one the console uses too. The caller prints the
//! final line (or JSON object) its own way.

use std::io::Write;

use super::json::Progress;
use crate::audit::{AuditLog, Recorder, Source};
use crate::chatops::ChatCommand;
use crate::config::Config;
use crate::effects::action::Audited;
use crate::engine::{ActionError, ActionEvent};

/// Where the engine sends its progress.
pub type Sink<'a> = &'a (dyn Fn(ActionEvent) + Send + Sync);

/// How an event is printed as a human line.
pub type Printer = fn(&mut (dyn Write + Send), &ActionEvent);

/// One headless action on a PR of the config's project.
pub struct Action<'a> {
    /// The header line of the human output (`kfops build: PR #41 of acme/churn`).
    pub title: String,
    pub cfg: &'a Config,
    pub pr: u64,
    pub cmd: ChatCommand,
    pub audit: Option<&'a AuditLog>,
    pub json: bool,
}

impl Action<'_> {
    /// Prints the title (human output only), starts the audit record (`note` sees it first),
    /// runs `work` with a sink that prints each event with `print` and notes it in the
    /// record, and writes `summary` of the outcome to the audit log. Returns the progress
    /// (which writes the final JSON object) and the outcome.
    pub async fn drive<T>(
        &self,
        out: &mut (dyn Write + Send),
        print: Printer,
        note: impl FnOnce(&Recorder),
        work: impl AsyncFnOnce(Sink<'_>) -> Result<T, ActionError>,
        summary: impl FnOnce(&T) -> String,
    ) -> (Progress, Result<T, ActionError>) {
        let mut progress = Progress::new(self.json, self.cfg.repository.full_name());
        if !self.json {
            let _ = writeln!(out, "{}", self.title);
        }
        let audited = Audited {
            audit: self.audit,
            source: Source::Headless,
            repository: Some(self.cfg.repository.full_name()),
            pr: self.pr,
            cmd: &self.cmd,
        };
        let record = audited.begin().await;
        if let Some(r) = record.recorder() {
            note(r);
        }
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<ActionEvent>();
        let send = move |ev: ActionEvent| {
            let _ = tx.send(ev);
        };
        let emit = record.emitter(&send);
        let work = work(&emit);
        tokio::pin!(work);
        let result = loop {
            tokio::select! {
                Some(ev) = rx.recv() => progress.event(out, &ev, print),
                result = &mut work => break result,
            }
        };
        while let Ok(ev) = rx.try_recv() {
            progress.event(out, &ev, print);
        }
        // The action itself is done: a failure to write the record is a warning.
        if let Some(e) = record.finish(&result, summary).await {
            eprintln!("kfops: warning: {e}");
        }
        (progress, result)
    }
}
