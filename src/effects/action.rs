//! The one wrapper around a Kfops action for every front end: its audit record begun,
//! each progress event noted in the record and handed on to where the front end wants it
//! (the console's channel, a headless printer), and the outcome's summary written to the audit
//! log before the caller sees the outcome.

use crate::audit::{AuditLog, Recorder, Source};
use crate::chatops::ChatCommand;
use crate::engine::{ActionError, ActionEvent};

/// Where an action's progress goes.
pub type Emit<'a> = &'a (dyn Fn(ActionEvent) + Send + Sync);

/// An action about to run, with what its audit record says about it.
pub struct Audited<'a> {
    /// `None`: no audit log known (the front end says so elsewhere).
    pub audit: Option<&'a AuditLog>,
    pub source: Source,
    /// The repository acted on (`owner/name`).
    pub repository: Option<String>,
    pub pr: u64,
    pub cmd: &'a ChatCommand,
}

impl Audited<'_> {
    /// Begins the action's audit record (none without an audit log).
    pub async fn begin(&self) -> Record {
        let recorder = match self.audit {
            Some(audit) => Some(
                audit
                    .begin_in(self.source, self.repository.clone(), self.pr, self.cmd)
                    .await,
            ),
            None => None,
        };
        Record { recorder }
    }

    /// As [`Audited::begin`], the record naming `user` (a PR commenter) as who asked.
    pub fn begin_as(&self, user: String) -> Record {
        let recorder = self.audit.map(|audit| {
            audit.begin_by(
                self.source,
                user,
                self.repository.clone(),
                self.pr,
                self.cmd,
            )
        });
        Record { recorder }
    }
}

/// An action's audit record while it runs: the front end runs the engine with
/// [`Record::emitter`] and ends with [`Record::finish`]. Dropped unfinished (the task was
/// cancelled at quit), the line is written as interrupted.
pub struct Record {
    recorder: Option<Recorder>,
}

impl Record {
    /// The recorder, to note what the engine's events do not say (a run's version ID).
    pub fn recorder(&self) -> Option<&Recorder> {
        self.recorder.as_ref()
    }

    /// What the engine emits to: each event noted in the record, then handed to `emit`
    /// (the console's channel, a headless printer).
    pub fn emitter<'a>(&'a self, emit: Emit<'a>) -> impl Fn(ActionEvent) + Send + Sync + 'a {
        move |ev: ActionEvent| {
            if let Some(r) = &self.recorder {
                r.observe(&ev);
            }
            emit(ev);
        }
    }

    /// Writes `summary` of the outcome to the audit log; why it could not be written, if so
    /// (the action itself is done: the front end reports it as a warning).
    pub async fn finish<T>(
        &self,
        result: &Result<T, ActionError>,
        summary: impl FnOnce(&T) -> String,
    ) -> Option<String> {
        let r = self.recorder.as_ref()?;
        let outcome = result.as_ref().map(summary).map_err(Clone::clone);
        r.finish(&outcome).await.err()
    }
}
