//! The event loop: terminal events, backend answers and timers become [`Msg`]s; the reducer
//! runs; effects are spawned as tasks; the screen is redrawn only when something changed.
//! The UI task never awaits network I/O.

use std::collections::HashMap;
use std::time::Duration;

use chrono::Utc;
use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use tokio::sync::mpsc;

use super::app::App;
use super::msg::{Command, Msg};
use super::terminal::TerminalGuard;
use super::update::{init, update};
use super::view::draw;
use crate::backends::cluster::Cluster;
use crate::backends::error::Service;
use crate::backends::github::GitHub;
use crate::backends::BackendError;
use crate::domain::{build_labels, PodRef};
use crate::logs::builds::builds_from_pods;
use crate::logs::follow::{self, StreamStatus};
use crate::logs::{BuildInfo, LogEvent};

/// The services the console's effects use.
#[derive(Debug, Clone)]
pub struct Services {
    pub github: GitHub,
    /// The Kubernetes cluster of `[cluster]` (`None` when it could not be reached: the
    /// status bar says why, and log commands answer with that error).
    pub cluster: Option<Cluster>,
}

/// The log followers running, by pod: a stream opened again restarts its follower, a
/// stream closed stops it.
#[derive(Debug, Default)]
struct Followers(HashMap<PodRef, tokio::task::AbortHandle>);

impl Followers {
    fn stop(&mut self, pod: &PodRef) {
        if let Some(handle) = self.0.remove(pod) {
            handle.abort();
        }
    }

    fn start(&mut self, pod: PodRef, handle: tokio::task::AbortHandle) {
        self.stop(&pod);
        self.0.retain(|_, h| !h.is_finished());
        self.0.insert(pod, handle);
    }
}

/// At most this many queued messages are applied before a frame is drawn, so a flood of
/// answers never starves key handling or drawing.
const BATCH: usize = 256;

/// Runs the console until the user quits.
pub async fn run(mut app: App, services: Services, refresh: Duration) -> color_eyre::Result<()> {
    let mut guard = TerminalGuard::enter()?;
    let size = guard.terminal.size()?;
    app.size = ratatui::layout::Rect::new(0, 0, size.width, size.height);
    app.now = Utc::now();

    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let mut events = EventStream::new();
    let mut timer = tokio::time::interval_at(tokio::time::Instant::now() + refresh, refresh);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);

    let mut followers = Followers::default();
    spawn_all(init(&mut app), &services, &tx, &mut followers);
    let mut dirty = true;
    while !app.should_quit {
        if dirty {
            guard.terminal.draw(|f| draw(f, &app))?;
            dirty = false;
        }
        let msg = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(ev)) => match to_msg(ev) {
                    Some(m) => m,
                    None => continue,
                },
                Some(Err(e)) => return Err(e.into()),
                None => break,
            },
            Some(msg) = rx.recv() => msg,
            _ = timer.tick() => Msg::RefreshDue { now: Utc::now() },
        };
        spawn_all(update(&mut app, msg), &services, &tx, &mut followers);
        for _ in 0..BATCH {
            match rx.try_recv() {
                Ok(msg) => spawn_all(update(&mut app, msg), &services, &tx, &mut followers),
                Err(_) => break,
            }
        }
        dirty = true;
    }
    Ok(())
}

fn to_msg(ev: Event) -> Option<Msg> {
    match ev {
        Event::Key(k) => Some(Msg::Key(k)),
        Event::Mouse(m) => Some(Msg::Mouse(m)),
        Event::Resize(width, height) => Some(Msg::Resize { width, height }),
        _ => None,
    }
}

fn spawn_all(
    commands: Vec<Command>,
    services: &Services,
    tx: &mpsc::UnboundedSender<Msg>,
    followers: &mut Followers,
) {
    for command in commands {
        match &command {
            Command::StopLogs { pod } => followers.stop(pod),
            Command::FollowLogs { pod } | Command::FetchLogs { pod } => {
                let pod = pod.clone();
                let handle = spawn(command, services.clone(), tx.clone());
                followers.start(pod, handle.abort_handle());
            }
            _ => {
                spawn(command, services.clone(), tx.clone());
            }
        }
    }
}

/// Carries out one effect on its own task; the answers come back as messages (one, or a
/// stream of [`Msg::Log`]s for the log commands).
pub fn spawn(
    command: Command,
    services: Services,
    tx: mpsc::UnboundedSender<Msg>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        match command {
            Command::FollowLogs { pod } => stream_logs(pod, true, &services, |ev| {
                // The receiver is gone only when the console is quitting.
                let _ = tx.send(Msg::Log(ev));
            })
            .await,
            Command::FetchLogs { pod } => stream_logs(pod, false, &services, |ev| {
                let _ = tx.send(Msg::Log(ev));
            })
            .await,
            other => {
                let msg = execute(other, &services).await;
                let _ = tx.send(msg);
            }
        }
    })
}

/// Runs a log follower (or a one-time fetch) for `pod`, handing its events to `sink`.
async fn stream_logs(
    pod: PodRef,
    keep_following: bool,
    services: &Services,
    mut sink: impl FnMut(LogEvent) + Send,
) {
    let Some(cluster) = services.cluster.clone() else {
        sink(LogEvent::Status {
            pod,
            status: StreamStatus::Failed(no_cluster("read logs").to_string()),
        });
        return;
    };
    if keep_following {
        follow::follow(cluster, pod, sink).await;
    } else {
        follow::fetch(cluster, pod, sink).await;
    }
}

fn no_cluster(what: &str) -> BackendError {
    BackendError::new(Service::Kubernetes, what, "not connected to a cluster")
        .with_hint("check [cluster] in the config; the reason is in the status bar at start")
}

/// A PR's builds: its build pods grouped by build, newest first.
async fn list_builds(services: &Services, pr: u64) -> Result<Vec<BuildInfo>, BackendError> {
    let cluster = services
        .cluster
        .as_ref()
        .ok_or_else(|| no_cluster("list builds"))?;
    let pods = cluster
        .list_pods(&build_labels::selector_for_pr(pr))
        .await?;
    Ok(builds_from_pods(&pods, cluster.namespace()))
}

/// Performs one effect and returns its answer (used by the runner and by tests).
pub async fn execute(command: Command, services: &Services) -> Msg {
    match command {
        Command::LoadPrs { generation } => {
            let result = services.github.open_pull_requests().await;
            Msg::PrsLoaded {
                generation,
                at: Utc::now(),
                result,
            }
        }
        Command::ListBuilds { pr } => Msg::BuildsListed {
            pr,
            result: list_builds(services, pr).await,
        },
        // One answer only: the stream is run to its end and answered as one batch
        // (`spawn` streams the events as they come instead).
        Command::FollowLogs { pod } => {
            let mut events = Vec::new();
            stream_logs(pod, true, services, |ev| events.push(ev)).await;
            Msg::Log(LogEvent::Batch(events))
        }
        Command::FetchLogs { pod } => {
            let mut events = Vec::new();
            stream_logs(pod, false, services, |ev| events.push(ev)).await;
            Msg::Log(LogEvent::Batch(events))
        }
        // Nothing to answer: followers are stopped by the runner loop.
        Command::StopLogs { .. } => Msg::Log(LogEvent::Batch(Vec::new())),
    }
}
