//! The log follower: streams one pod's log through [`Cluster::log_lines`], hands lines over in
//! batches, and resumes a broken stream from the last line's timestamp without losing or
//! repeating a line (see [`super::dedupe`]). It follows a restarted container from one
//! instance to the next (see [`super::restarts`]). It knows nothing about terminals: the
//! console forwards its [`LogEvent`]s as messages.

use std::time::Duration;

use futures::{Stream, StreamExt};
use tokio::time::Instant;

use super::builds::is_terminal_phase;
use super::dedupe::Dedupe;
use super::restarts::{awaits_restart, restart_count, switch, Instances, Opened};
use crate::backends::cluster::{Cluster, LogLine};
use crate::backends::BackendError;
use crate::domain::PodRef;

/// Where a log stream is in its life.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum StreamStatus {
    /// Asking for the log (also while the pod is still Pending).
    #[default]
    Connecting,
    Streaming,
    /// The stream broke before the pod finished; `attempt` counts consecutive failures.
    Reconnecting {
        attempt: u32,
        reason: String,
    },
    /// The container restarted (`count`: its restart count); the new instance's lines follow.
    Restarted {
        count: i32,
    },
    /// The whole log was received.
    Finished,
    /// Given up; the text says why.
    Failed(String),
}

impl StreamStatus {
    /// `connecting`, `streaming`, `reconnecting (2)`, `restarted (1)`, `finished`,
    /// `failed: reason`.
    pub fn label(&self) -> String {
        match self {
            StreamStatus::Connecting => "connecting".into(),
            StreamStatus::Streaming => "streaming".into(),
            StreamStatus::Reconnecting { attempt, .. } => format!("reconnecting ({attempt})"),
            StreamStatus::Restarted { count } => format!("restarted ({count})"),
            StreamStatus::Finished => "finished".into(),
            StreamStatus::Failed(reason) => format!("failed: {reason}"),
        }
    }

    /// Finished or failed: nothing more will come.
    pub fn is_done(&self) -> bool {
        matches!(self, StreamStatus::Finished | StreamStatus::Failed(_))
    }
}

/// What a follower reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogEvent {
    /// New lines of the pod's log, in order, never seen before.
    Lines {
        pod: PodRef,
        lines: Vec<LogLine>,
    },
    Status {
        pod: PodRef,
        status: StreamStatus,
    },
    /// The pod phase the follower saw when it checked the pod.
    Phase {
        pod: PodRef,
        phase: String,
    },
    /// Several events at once (the headless follower unpacks them).
    Batch(Vec<LogEvent>),
}

/// How a follower behaves; the defaults suit the console.
#[derive(Debug, Clone)]
pub struct FollowOptions {
    /// Keep the stream open until the container ends (`false`: fetch what is there once).
    pub follow: bool,
    /// A batch is sent when it has this many lines…
    pub batch_lines: usize,
    /// …or when its first line is this old.
    pub batch_interval: Duration,
    pub backoff_initial: Duration,
    pub backoff_max: Duration,
    /// Consecutive failed attempts (without a new line in between) before giving up.
    pub max_attempts: u32,
}

impl Default for FollowOptions {
    fn default() -> Self {
        FollowOptions {
            follow: true,
            batch_lines: 500,
            batch_interval: Duration::from_millis(50),
            backoff_initial: Duration::from_millis(250),
            backoff_max: Duration::from_secs(5),
            max_attempts: 30,
        }
    }
}

impl FollowOptions {
    /// The wait before asking again for the log of a pod that has not started (`n`-th time):
    /// the backoff, at most a second, so its first lines show soon after it starts.
    pub fn pending_wait(&self, n: u32) -> Duration {
        self.backoff(n).min(Duration::from_secs(1))
    }

    /// The wait before attempt `n` (1-based): doubling from the initial wait up to the maximum.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(16));
        self.backoff_initial
            .saturating_mul(factor)
            .min(self.backoff_max)
    }
}

/// Follows a pod's log until the pod is finished (or the follower gives up), sending lines
/// in batches and status changes to `sink`.
pub async fn follow(cluster: Cluster, pod: PodRef, sink: impl FnMut(LogEvent) + Send) {
    follow_with(cluster, pod, FollowOptions::default(), sink).await;
}

/// Fetches a finished pod's log once (resuming if the connection breaks midway).
pub async fn fetch(cluster: Cluster, pod: PodRef, sink: impl FnMut(LogEvent) + Send) {
    let options = FollowOptions {
        follow: false,
        ..FollowOptions::default()
    };
    follow_with(cluster, pod, options, sink).await;
}

/// Sends a follower's events for one pod, and status changes only when the status changes.
pub(super) struct Reporter<F> {
    pub(super) pod: PodRef,
    status: StreamStatus,
    sink: F,
}

impl<F: FnMut(LogEvent) + Send> Reporter<F> {
    pub(super) fn set(&mut self, status: StreamStatus) {
        if status != self.status {
            self.status = status.clone();
            (self.sink)(LogEvent::Status {
                pod: self.pod.clone(),
                status,
            });
        }
    }

    /// Ends the follower with this status.
    fn finish(&mut self, status: StreamStatus) -> StreamStatus {
        self.set(status.clone());
        status
    }

    fn phase(&mut self, phase: &str) {
        (self.sink)(LogEvent::Phase {
            pod: self.pod.clone(),
            phase: phase.to_string(),
        });
    }

    fn lines(&mut self, lines: Vec<LogLine>) {
        if !lines.is_empty() {
            self.set(StreamStatus::Streaming);
            (self.sink)(LogEvent::Lines {
                pod: self.pod.clone(),
                lines,
            });
        }
    }
}

/// The follower with explicit options; returns the final status (also sent to `sink`).
pub async fn follow_with(
    cluster: Cluster,
    pod: PodRef,
    options: FollowOptions,
    mut sink: impl FnMut(LogEvent) + Send,
) -> StreamStatus {
    // The pod's own namespace (build pods live in the workflow namespace, pipeline task
    // pods in the Kubeflow profile namespace).
    let cluster = cluster.in_namespace(&pod.namespace);
    sink(LogEvent::Status {
        pod: pod.clone(),
        status: StreamStatus::Connecting,
    });
    let mut out = Reporter {
        pod,
        status: StreamStatus::Connecting,
        sink,
    };
    let name = out.pod.name.clone();
    let container = out.pod.container.clone();
    let container = container.as_deref();
    let mut dedupe = Dedupe::default();
    // Consecutive failures without a new line, and waits for a pod that has not started.
    let mut attempt = 0u32;
    let mut waits = 0u32;
    // Which container instance (by restart count) the delivered lines come from.
    let mut instances = Instances::default();
    loop {
        if options.follow && instances.observed.is_none() {
            match cluster.get_pod(&name).await {
                Ok(p) => instances.observed = Some(restart_count(&p, container)),
                Err(e) if e.status == Some(404) => {
                    return out.finish(StreamStatus::Failed("the pod was deleted".into()));
                }
                Err(_) => {} // the log request tells what is wrong
            }
        }
        dedupe.reconnect();
        let opened = cluster
            .log_lines(&name, container, options.follow, dedupe.since())
            .await;
        let reason = match opened {
            Ok(stream) => {
                if options.follow {
                    // Which instance the stream belongs to: restarts show in the pod.
                    let seen = match cluster.get_pod(&name).await {
                        Ok(p) => instances.opened(restart_count(&p, container)),
                        Err(e) if e.status == Some(404) => {
                            return out.finish(StreamStatus::Failed("the pod was deleted".into()));
                        }
                        Err(e) => Opened::Unknown(e.to_string()),
                    };
                    match seen {
                        Opened::Same => {}
                        Opened::Ambiguous => continue,
                        Opened::Unknown(reason) => {
                            drop(stream);
                            attempt += 1;
                            if attempt > options.max_attempts {
                                return out.finish(StreamStatus::Failed(reason));
                            }
                            out.set(StreamStatus::Reconnecting { attempt, reason });
                            tokio::time::sleep(options.backoff(attempt)).await;
                            continue;
                        }
                        Opened::Restarted { from, to } => {
                            // The stream broke before the old instance's end: read its rest.
                            drop(stream);
                            let moved = (from, to, false);
                            let switched = switch(
                                &cluster,
                                &mut instances,
                                moved,
                                &mut dedupe,
                                &options,
                                &mut out,
                            )
                            .await;
                            if let Err(reason) = switched {
                                return out.finish(StreamStatus::Failed(reason));
                            }
                            attempt = 0;
                            continue;
                        }
                    }
                }
                // A resumed connection streams at once; a first one when its first line comes.
                if matches!(out.status, StreamStatus::Reconnecting { .. }) {
                    out.set(StreamStatus::Streaming);
                }
                let (ended, delivered) = pump(stream, &mut dedupe, &options, &mut out).await;
                if delivered > 0 {
                    attempt = 0;
                    waits = 0;
                }
                match ended {
                    Err(e) => e.to_string(),
                    Ok(()) if !options.follow => return out.finish(StreamStatus::Finished),
                    Ok(()) => match cluster.get_pod(&name).await {
                        Ok(p) => {
                            let count = restart_count(&p, container);
                            if let Some(from) = instances.ended(count) {
                                // The followed instance ended whole; the next one starts.
                                let moved = (from, count, true);
                                let switched = switch(
                                    &cluster,
                                    &mut instances,
                                    moved,
                                    &mut dedupe,
                                    &options,
                                    &mut out,
                                )
                                .await;
                                if let Err(reason) = switched {
                                    return out.finish(StreamStatus::Failed(reason));
                                }
                                attempt = 0;
                                continue;
                            }
                            let phase = phase_of(&p);
                            out.phase(&phase);
                            if is_terminal_phase(&phase) {
                                return out.finish(StreamStatus::Finished);
                            }
                            if (phase == "Pending" && delivered == 0)
                                || awaits_restart(&p, container)
                            {
                                // Not started yet (an unscheduled pod has an empty log), or
                                // crashed and about to be restarted.
                                if phase == "Pending" {
                                    out.set(StreamStatus::Connecting);
                                }
                                waits += 1;
                                tokio::time::sleep(options.pending_wait(waits)).await;
                                continue;
                            }
                            format!("the log stream ended while the pod is {phase}")
                        }
                        Err(e) if e.status == Some(404) => {
                            return out.finish(StreamStatus::Failed("the pod was deleted".into()));
                        }
                        Err(e) => e.to_string(),
                    },
                }
            }
            Err(e) if e.status == Some(400) => {
                // "container … is waiting to start": retry until it runs, unless it never will.
                match cluster.get_pod(&name).await {
                    Ok(p) => {
                        let phase = phase_of(&p);
                        out.phase(&phase);
                        if is_terminal_phase(&phase) {
                            return out.finish(StreamStatus::Failed(format!(
                                "the pod is {phase} and its log cannot be read: {}",
                                e.message
                            )));
                        }
                        out.set(StreamStatus::Connecting);
                        waits += 1;
                        tokio::time::sleep(options.pending_wait(waits)).await;
                        continue;
                    }
                    Err(e) => e.to_string(),
                }
            }
            Err(e) if e.status == Some(404) => {
                return out.finish(StreamStatus::Failed(e.to_string()));
            }
            Err(e) => e.to_string(),
        };
        attempt += 1;
        if attempt > options.max_attempts {
            return out.finish(StreamStatus::Failed(reason));
        }
        out.set(StreamStatus::Reconnecting { attempt, reason });
        tokio::time::sleep(options.backoff(attempt)).await;
    }
}

fn phase_of(pod: &k8s_openapi::api::core::v1::Pod) -> String {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.clone())
        .unwrap_or_else(|| "Unknown".to_string())
}

/// Reads one connection's lines, drops the ones already delivered, and sends the rest in
/// batches. Returns how the stream ended and how many new lines it delivered.
pub(super) async fn pump<S, F>(
    stream: S,
    dedupe: &mut Dedupe,
    options: &FollowOptions,
    out: &mut Reporter<F>,
) -> (Result<(), BackendError>, usize)
where
    S: Stream<Item = Result<LogLine, BackendError>> + Send,
    F: FnMut(LogEvent) + Send,
{
    let mut stream = std::pin::pin!(stream);
    let mut batch: Vec<LogLine> = Vec::new();
    let mut deadline: Option<Instant> = None;
    let mut delivered = 0;
    let ended = loop {
        let next = match deadline {
            // `Stream::next` is cancel-safe: a line half read stays in the stream's buffer.
            Some(at) => match tokio::time::timeout_at(at, stream.next()).await {
                Ok(next) => next,
                Err(_) => {
                    delivered += batch.len();
                    out.lines(std::mem::take(&mut batch));
                    deadline = None;
                    continue;
                }
            },
            None => stream.next().await,
        };
        match next {
            Some(Ok(line)) => {
                if dedupe.accept(&line) {
                    batch.push(line);
                    if batch.len() >= options.batch_lines {
                        delivered += batch.len();
                        out.lines(std::mem::take(&mut batch));
                        deadline = None;
                    } else if deadline.is_none() {
                        deadline = Some(Instant::now() + options.batch_interval);
                    }
                }
            }
            Some(Err(e)) => break Err(e),
            None => break Ok(()),
        }
    };
    delivered += batch.len();
    out.lines(batch);
    (ended, delivered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn at(ms: i64, text: &str) -> LogLine {
        LogLine {
            time: Some(
                Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap()
                    + chrono::Duration::milliseconds(ms),
            ),
            text: text.to_string(),
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        let o = FollowOptions::default();
        let waits: Vec<u128> = (1..=7).map(|n| o.backoff(n).as_millis()).collect();
        assert_eq!(waits, [250, 500, 1000, 2000, 4000, 5000, 5000]);
    }

    #[tokio::test]
    async fn lines_are_sent_in_batches_by_count_and_by_age() {
        let pod = PodRef {
            namespace: "kfops".into(),
            name: "p".into(),
            container: None,
        };
        // 1,200 lines at once, then a pause, then 3 more.
        let burst = futures::stream::iter((0..1_200).map(|i| Ok(at(i, &format!("l{i}")))));
        let later = futures::stream::once(async {
            tokio::time::sleep(Duration::from_millis(200)).await;
            Ok(at(5_000, "late"))
        });
        let tail = futures::stream::iter((1..=2).map(|i| Ok(at(5_000 + i, "tail"))));
        let stream = burst.chain(later).chain(tail);
        let mut events = Vec::new();
        let mut out = Reporter {
            pod,
            status: StreamStatus::Connecting,
            sink: |e| events.push(e),
        };
        let mut d = Dedupe::default();
        let (ended, delivered) = pump(stream, &mut d, &FollowOptions::default(), &mut out).await;
        assert!(ended.is_ok());
        assert_eq!(delivered, 1_203);
        let sizes: Vec<usize> = events
            .iter()
            .filter_map(|e| match e {
                LogEvent::Lines { lines, .. } => Some(lines.len()),
                _ => None,
            })
            .collect();
        // 500 + 500, then the 200 left are flushed after 50 ms (before "late" arrives).
        assert_eq!(sizes, [500, 500, 200, 3]);
        // Streaming is announced once, before the first lines.
        assert!(matches!(
            events[0],
            LogEvent::Status {
                status: StreamStatus::Streaming,
                ..
            }
        ));
        assert_eq!(events.len(), 5);
    }
}
