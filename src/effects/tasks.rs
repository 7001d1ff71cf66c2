//! The effects in flight: log followers (one per pod), the deployment targets' watch, and every
//! other task (actions, loads). Quitting cancels them all instead of waiting for their
//! requests to be answered.

use std::collections::HashMap;
use std::time::Duration;

use tokio::task::{AbortHandle, JoinHandle};

use crate::domain::PodRef;

/// How long quitting waits for the cancelled tasks to be dropped (an action's audit recorder
/// writes its "interrupted" line when dropped), and for blocking work when the runtime shuts
/// down. Dropping a task takes microseconds; this bounds a task stuck in a blocking call.
pub const QUIT_WAIT: Duration = Duration::from_millis(100);

/// Every task the console started and has not seen end.
#[derive(Debug, Default)]
pub struct Tasks {
    followers: HashMap<PodRef, AbortHandle>,
    watch: Option<AbortHandle>,
    others: Vec<JoinHandle<()>>,
}

impl Tasks {
    /// Stops `pod`'s follower, if any.
    pub fn stop(&mut self, pod: &PodRef) {
        if let Some(handle) = self.followers.remove(pod) {
            handle.abort();
        }
    }

    /// A follower for `pod` (replacing the one running, if any).
    pub fn follow(&mut self, pod: PodRef, handle: AbortHandle) {
        self.stop(&pod);
        self.followers.retain(|_, h| !h.is_finished());
        self.followers.insert(pod, handle);
    }

    /// The targets' watch (replacing the one running, if any).
    pub fn watch(&mut self, handle: AbortHandle) {
        if let Some(old) = self.watch.replace(handle) {
            old.abort();
        }
    }

    /// Any other task (an action, a load), kept until it ends.
    pub fn track(&mut self, handle: JoinHandle<()>) {
        self.others.retain(|h| !h.is_finished());
        self.others.push(handle);
    }

    /// How many tasks are still running.
    pub fn running(&self) -> usize {
        let followers = self.followers.values().filter(|h| !h.is_finished()).count();
        let watch = self.watch.iter().filter(|h| !h.is_finished()).count();
        followers + watch + self.others.iter().filter(|h| !h.is_finished()).count()
    }

    /// Cancels every task at once (their requests are dropped unanswered) and waits, at most
    /// [`QUIT_WAIT`], until the actions and loads are dropped, so an interrupted action's audit
    /// line is written before the process exits.
    pub async fn cancel_all(&mut self) {
        for (_, handle) in self.followers.drain() {
            handle.abort();
        }
        if let Some(watch) = self.watch.take() {
            watch.abort();
        }
        let others: Vec<JoinHandle<()>> = self.others.drain(..).collect();
        for handle in &others {
            handle.abort();
        }
        let _ = tokio::time::timeout(QUIT_WAIT, futures::future::join_all(others)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn cancelling_drops_every_task_without_waiting_for_it() {
        struct Dropped(std::sync::mpsc::Sender<()>);
        impl Drop for Dropped {
            fn drop(&mut self) {
                let _ = self.0.send(());
            }
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let mut tasks = Tasks::default();
        for _ in 0..3 {
            let guard = Dropped(tx.clone());
            tasks.track(tokio::spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            }));
        }
        let pod = PodRef {
            namespace: "ns".into(),
            name: "p".into(),
            container: None,
        };
        tasks.follow(
            pod,
            tokio::spawn(std::future::pending::<()>()).abort_handle(),
        );
        tasks.watch(tokio::spawn(std::future::pending::<()>()).abort_handle());
        assert_eq!(tasks.running(), 5);
        tasks.cancel_all().await;
        // Each pending task was dropped (its guard ran), none was awaited to an end.
        assert_eq!(rx.try_iter().count(), 3);
        assert_eq!(tasks.running(), 0);
    }
}
