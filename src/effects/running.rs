//! The effects of one front end in flight: each command carried out on its own task
//! (through [`carry_out`], the one interpreter), followers replaced per pod, one targets'
//! watch, and everything cancelled at once on quit.

use std::sync::Arc;

use super::command::{Answer, Command};
use super::interpret::carry_out;
use super::services::Services;
use super::tasks::Tasks;

/// Where a task's answers go (the console: its channel).
pub type SharedSink<M> = Arc<dyn Fn(M) + Send + Sync>;

/// The services and the tasks running on them.
pub struct Effects {
    services: Services,
    tasks: Tasks,
}

impl Effects {
    pub fn new(services: Services) -> Effects {
        Effects {
            services,
            tasks: Tasks::default(),
        }
    }

    pub fn services(&self) -> &Services {
        &self.services
    }

    /// Starts `command` on its own task, its answers handed to `sink`. A follower replaces
    /// the one of the same pod, a watch the running watch; `StopLogs` stops a follower.
    pub fn start<M: Answer>(&mut self, command: Command, sink: &SharedSink<M>) {
        match &command {
            Command::StopLogs { pod } => self.tasks.stop(pod),
            Command::FollowLogs { pod } | Command::FetchLogs { pod } => {
                let pod = pod.clone();
                let handle = self.spawn(command, sink);
                self.tasks.follow(pod, handle.abort_handle());
            }
            Command::WatchTargets { .. } => {
                let handle = self.spawn(command, sink);
                self.tasks.watch(handle.abort_handle());
            }
            _ => {
                let handle = self.spawn(command, sink);
                self.tasks.track(handle);
            }
        }
    }

    fn spawn<M: Answer>(
        &self,
        command: Command,
        sink: &SharedSink<M>,
    ) -> tokio::task::JoinHandle<()> {
        let services = self.services.clone();
        let sink = sink.clone();
        tokio::spawn(async move { carry_out(command, &services, &*sink).await })
    }

    /// How many effects are still running.
    pub fn running(&self) -> usize {
        self.tasks.running()
    }

    /// Cancels every effect in flight (followers, watch, actions, loads) instead of waiting
    /// for their answers; an interrupted action's audit line is written as it drops.
    pub async fn cancel_all(&mut self) {
        self.tasks.cancel_all().await;
    }
}
