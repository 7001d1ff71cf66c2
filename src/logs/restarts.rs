//! Following a container across restarts. The follower attributes each log connection to one
//! instance of the container (its restart count): it looks at the pod after opening the
//! stream, and a stream opened while the count moved is not trusted. When the count goes up:
//!
//! - a stream that ended cleanly delivered its instance whole (the kubelet ends a followed
//!   log when the instance terminates), so the new instance is read from its start;
//! - a stream that broke before its instance ended is finished from the previous log
//!   (`previous=true`, resumed after the last line delivered, repeats skipped);
//! - when the count went up by more than one, the instances in between are gone (the kubelet
//!   keeps one previous log): the previous log is read whole, then the current one.
//!
//! A previous log is read only while the restart count stays what it was when the move
//! started (checked after each request), so it is always the instance before that count.
//! Each instance's lines keep their order; no line is lost or repeated, except what the
//! kubelet itself no longer has (a container restarting again while the follower catches up).

use k8s_openapi::api::core::v1::{ContainerStatus, Pod};

use super::builds::is_terminal_phase;
use super::dedupe::Dedupe;
use super::follow::{pump, FollowOptions, LogEvent, Reporter, StreamStatus};
use crate::backends::cluster::Cluster;

/// The instance whose lines the follower delivers, and what the pod last showed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Instances {
    /// The restart count the last look at the pod showed.
    pub(super) observed: Option<i32>,
    /// The restart count of the instance being delivered (`None`: none yet).
    instance: Option<i32>,
}

/// What a newly opened stream belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Opened {
    /// The instance being delivered (or the first one, now known).
    Same,
    /// A restart happened around the request: the stream may belong to either instance.
    Ambiguous,
    /// The pod could not be read; the reason.
    Unknown(String),
    /// The delivered instance was replaced before its stream ended.
    Restarted { from: i32, to: i32 },
}

/// What to read from the previous log before moving on to the current instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Previous {
    /// Nothing: the delivered instance's stream ended whole.
    Nothing,
    /// The rest of the delivered instance, resumed after its last delivered line.
    Rest,
    /// An instance never seen, whole.
    Whole,
}

impl Instances {
    /// A log stream was opened, then the pod showed `count` restarts.
    pub(super) fn opened(&mut self, count: i32) -> Opened {
        // Restart counts only grow: equal before and after the request means no restart.
        let sure = self.observed == Some(count);
        self.observed = Some(count);
        match self.instance {
            Some(from) if count > from => Opened::Restarted { from, to: count },
            Some(_) => Opened::Same,
            None if sure => {
                self.instance = Some(count);
                Opened::Same
            }
            None => Opened::Ambiguous,
        }
    }

    /// A stream ended cleanly, then the pod showed `count` restarts: the instance it
    /// delivered, if a newer one replaced it.
    pub(super) fn ended(&mut self, count: i32) -> Option<i32> {
        self.observed = Some(count);
        self.instance.filter(|&from| count > from)
    }

    /// The instance with restart count `count` is now the one delivered.
    pub(super) fn now_at(&mut self, count: i32) {
        self.instance = Some(count);
        self.observed = self.observed.max(Some(count));
    }
}

/// What to read of the previous log when moving from instance `from` to `to`; `whole`:
/// `from`'s stream ended cleanly.
pub(super) fn previous(from: i32, to: i32, whole: bool) -> Previous {
    match (to - from, whole) {
        (1, true) => Previous::Nothing,
        (1, false) => Previous::Rest,
        _ => Previous::Whole,
    }
}

/// Moves from instance `from` to `to`: reads what the previous log still holds of the
/// instances in between, then starts the new instance afresh (its log starts empty: nothing
/// of it was delivered) and reports the restart. The instance followed next may be newer
/// than `to` (the container may have restarted again meanwhile).
pub(super) async fn switch<F: FnMut(LogEvent) + Send>(
    cluster: &Cluster,
    instances: &mut Instances,
    (from, to, whole): (i32, i32, bool),
    dedupe: &mut Dedupe,
    options: &FollowOptions,
    out: &mut Reporter<F>,
) -> Result<(), String> {
    let mut to = to;
    let mut what = previous(from, to, whole);
    loop {
        let moved = match what {
            Previous::Nothing => None,
            Previous::Rest => read_previous(cluster, to, dedupe, options, out).await?,
            Previous::Whole => {
                read_previous(cluster, to, &mut Dedupe::default(), options, out).await?
            }
        };
        match moved {
            None => break,
            // Restarted again: the previous log is a newer instance, not seen yet.
            Some(count) => {
                to = count;
                what = Previous::Whole;
            }
        }
    }
    *dedupe = Dedupe::default();
    instances.now_at(to);
    out.set(StreamStatus::Restarted { count: to });
    Ok(())
}

/// Reads the previous instance's log to its end, resuming when the connection breaks, as
/// long as the container's restart count stays `expected` (so the previous log is the
/// instance before it). `Some(count)`: it restarted again, nothing more was read.
async fn read_previous<F: FnMut(LogEvent) + Send>(
    cluster: &Cluster,
    expected: i32,
    dedupe: &mut Dedupe,
    options: &FollowOptions,
    out: &mut Reporter<F>,
) -> Result<Option<i32>, String> {
    let name = out.pod.name.clone();
    let container = out.pod.container.clone();
    let mut attempt = 0u32;
    loop {
        dedupe.reconnect();
        let opened = cluster
            .previous_log_lines(&name, container.as_deref(), dedupe.since())
            .await;
        let reason = match opened {
            Ok(stream) => match cluster.get_pod(&name).await {
                Ok(p) if restart_count(&p, container.as_deref()) != expected => {
                    return Ok(Some(restart_count(&p, container.as_deref())));
                }
                Ok(_) => match pump(stream, dedupe, options, out).await {
                    (Ok(()), _) => return Ok(None),
                    (Err(e), delivered) => {
                        if delivered > 0 {
                            attempt = 0;
                        }
                        e.to_string()
                    }
                },
                // The pod is gone: the follower finds out on its next request.
                Err(e) if e.status == Some(404) => return Ok(None),
                Err(e) => e.to_string(),
            },
            // Gone (the pod, or the instance after another restart): nothing more to read.
            Err(e) if matches!(e.status, Some(400 | 404)) => return Ok(None),
            Err(e) => e.to_string(),
        };
        attempt += 1;
        if attempt > options.max_attempts {
            return Err(reason);
        }
        out.set(StreamStatus::Reconnecting { attempt, reason });
        tokio::time::sleep(options.backoff(attempt)).await;
    }
}

fn status<'a>(pod: &'a Pod, container: Option<&str>) -> Option<&'a ContainerStatus> {
    let statuses = pod.status.as_ref()?.container_statuses.as_ref()?;
    match container {
        Some(name) => statuses.iter().find(|c| c.name == name),
        None => statuses.first(),
    }
}

/// The container's restart count (0 before it has a status); `None`: the pod's only one.
pub(super) fn restart_count(pod: &Pod, container: Option<&str>) -> i32 {
    status(pod, container).map_or(0, |c| c.restart_count)
}

/// The container terminated while the pod goes on: it is about to be restarted (or another
/// container still runs).
pub(super) fn awaits_restart(pod: &Pod, container: Option<&str>) -> bool {
    let phase = pod
        .status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or_default();
    let terminated = status(pod, container)
        .and_then(|c| c.state.as_ref())
        .is_some_and(|s| s.terminated.is_some());
    terminated && !is_terminal_phase(phase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_opened_across_a_restart_is_not_trusted() {
        let mut i = Instances::default();
        // Nothing observed before the first stream: ask again.
        assert_eq!(i.opened(0), Opened::Ambiguous);
        assert_eq!(i.opened(0), Opened::Same);
        assert_eq!(i.opened(0), Opened::Same);
        assert_eq!(i.opened(1), Opened::Restarted { from: 0, to: 1 });
        assert_eq!(previous(0, 1, false), Previous::Rest);
        i.now_at(1);
        assert_eq!(i.opened(1), Opened::Same);
    }

    #[test]
    fn a_clean_end_before_a_restart_needs_no_previous_log() {
        let mut i = Instances {
            observed: Some(0),
            instance: None,
        };
        assert_eq!(i.opened(0), Opened::Same);
        assert_eq!(i.ended(0), None);
        assert_eq!(i.ended(1), Some(0));
        assert_eq!(previous(0, 1, true), Previous::Nothing);
        i.now_at(1);
        // Two restarts at once: the instance between is read whole from the previous log.
        assert_eq!(i.ended(3), Some(1));
        assert_eq!(previous(1, 3, true), Previous::Whole);
        assert_eq!(previous(1, 3, false), Previous::Whole);
    }
}
