//! What every headless action (`build`, `run`, `build-run`, `deploy`) does around the engine:
//! the header line, the audit record, each progress event printed as it arrives (and noted in
//! the record), and the outcome's summary written to the audit log. The caller prints the
//! final line (or JSON object) its own way.

use std::io::Write;

use super::json::Progress;
use crate::audit::{AuditLog, Recorder, Source};
use crate::chatops::ChatCommand;
use crate::config::Config;
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
        let recorder = self.begin_audit().await;
        if let Some(r) = &recorder {
            note(r);
        }
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<ActionEvent>();
        let rec = recorder.as_ref();
        let emit = move |ev: ActionEvent| {
            if let Some(r) = rec {
                r.observe(&ev);
            }
            let _ = tx.send(ev);
        };
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
        if let Some(r) = &recorder {
            let outcome = result.as_ref().map(summary).map_err(Clone::clone);
            // The action itself is done: a failure to write the record is a warning.
            if let Err(e) = r.finish(&outcome).await {
                eprintln!("kfops: warning: {e}");
            }
        }
        (progress, result)
    }

    /// Starts recording the action in the audit log (when there is one), naming the
    /// repository acted on.
    async fn begin_audit(&self) -> Option<Recorder> {
        let audit = self.audit?;
        let repository = Some(self.cfg.repository.full_name());
        Some(
            audit
                .begin_in(Source::Headless, repository, self.pr, &self.cmd)
                .await,
        )
    }
}
