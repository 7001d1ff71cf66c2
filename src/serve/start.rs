//! A taken command started exactly as the console starts one: `Engine::perform` inside the
//! effects layer's `Audited` (audit source `chat`, the commenter as user), on its own task so
//! the webhook is answered at once. The engine writes the PR's comments as for the console.
//! Where the commenter's permission check and the reactions (issue #17 points 3, 4) go: before
//! and after `perform` here.

use std::sync::Arc;

use super::router::{Start, Taken};
use crate::audit::{AuditLog, Source};
use crate::effects::action::Audited;
use crate::effects::Engine;
use crate::engine::ActionEvent;

/// A [`Start`] running each taken command with `engine` on a tokio task, recorded in `audit`.
pub fn on_engine(engine: Engine, audit: Option<Arc<AuditLog>>) -> Start {
    Arc::new(move |taken: Taken| {
        let engine = engine.clone();
        let audit = audit.clone();
        tokio::spawn(async move { run(&engine, audit.as_deref(), taken).await });
    })
}

/// Runs one taken command to its end; the outcome's summary (or the error's text).
pub async fn run(engine: &Engine, audit: Option<&AuditLog>, taken: Taken) -> String {
    let audited = Audited {
        audit,
        source: Source::Chat,
        repository: Some(engine.config.repository.full_name()),
        pr: taken.pr,
        cmd: &taken.cmd,
    };
    let record = audited.begin_as(taken.user.clone());
    let quiet = |_: ActionEvent| {};
    let emit = record.emitter(&quiet);
    let result = engine.perform(taken.pr, &taken.cmd, &emit).await;
    if let Some(e) = record.finish(&result, Clone::clone).await {
        eprintln!("kfops serve: warning: {e}");
    }
    match result {
        Ok(summary) => summary,
        Err(e) => e.to_string(),
    }
}
