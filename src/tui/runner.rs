//! The event loop: terminal events, backend answers and timers become [`Msg`]s; the reducer
//! runs; effects are spawned as tasks; the screen is redrawn only when something changed.
//! The UI task never awaits network I/O.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use crossterm::event::{Event, EventStream};
use futures::{Stream, StreamExt};
use ratatui::backend::Backend;
use ratatui::Terminal;
use tokio::sync::mpsc;

use super::app::App;
use super::msg::{Command, LoadedRun, Msg};
use super::tasks::Tasks;
use super::terminal::TerminalGuard;
use super::update::{init, update};
use super::view::draw;
use crate::audit::{AuditLog, Source};
use crate::backends::cluster::Cluster;
use crate::backends::error::Service;
use crate::backends::github::GitHub;
use crate::backends::BackendError;
use crate::backends::{knative, kserve};
use crate::chatops::DeployTarget;
use crate::config::Config;
use crate::domain::{build_labels, PodRef};
use crate::engine::{self, ActionError, ActionEvent, ActionKind, Backends, InFlight};
use crate::logs::builds::builds_from_pods;
use crate::logs::follow::{self, StreamStatus};
use crate::logs::{BuildInfo, LogEvent};
use crate::tui::update_targets::{TargetChange, TargetEvent};

/// The services the console's effects use.
#[derive(Debug, Clone)]
pub struct Services {
    pub github: GitHub,
    /// The Kubernetes cluster of `[cluster]` (`None` when it could not be reached: the
    /// status bar says why, and log commands answer with that error).
    pub cluster: Option<Cluster>,
    /// What Kfops actions need (`None` when a backend could not be set up: actions then
    /// end at once with that reason).
    pub engine: Option<Engine>,
    /// Where actions are recorded (`None`: no place known; the status bar says so).
    pub audit: Option<AuditLog>,
    /// The other projects, in config order (`github` and `engine` above are the first
    /// project's); empty with a single repository.
    pub extra: Vec<ProjectServices>,
}

/// One more project's clients: its repository and its action engine (with its settings).
#[derive(Debug, Clone)]
pub struct ProjectServices {
    pub github: GitHub,
    pub engine: Option<Engine>,
}

impl Services {
    /// The GitHub client of `project` (0: the first).
    pub fn github_of(&self, project: usize) -> Option<&GitHub> {
        match project {
            0 => Some(&self.github),
            n => self.extra.get(n - 1).map(|p| &p.github),
        }
    }

    /// The action engine of `project` (0: the first): its config is that project's.
    pub fn engine_of(&self, project: usize) -> Option<&Engine> {
        match project {
            0 => self.engine.as_ref(),
            n => self.extra.get(n - 1).and_then(|p| p.engine.as_ref()),
        }
    }

    /// Every project's engine, to adjust them together (tests shorten the run polling).
    pub fn engines_mut(&mut self) -> impl Iterator<Item = &mut Engine> {
        self.engine
            .iter_mut()
            .chain(self.extra.iter_mut().filter_map(|p| p.engine.as_mut()))
    }
}

/// The action engine's inputs: every backend, the config, and the PRs with an action running.
#[derive(Debug, Clone)]
pub struct Engine {
    pub backends: Backends,
    pub config: Arc<Config>,
    pub in_flight: InFlight,
    /// How often a running pipeline run is polled.
    pub run_poll: Duration,
}

/// At most this many queued messages are applied before a frame is drawn, so a flood of
/// answers never starves key handling or drawing.
pub const BATCH: usize = 256;

/// The console without a terminal: the state, the effects in flight and the channel their
/// answers come back on. The runner drives it from terminal events; tests drive it directly.
pub struct Driver {
    pub app: App,
    services: Services,
    tx: mpsc::UnboundedSender<Msg>,
    rx: mpsc::UnboundedReceiver<Msg>,
    tasks: Tasks,
    /// What the event loop did (see [`run_loop`]).
    pub stats: Arc<LoopStats>,
}

impl Driver {
    pub fn new(app: App, services: Services) -> Driver {
        let (tx, rx) = mpsc::unbounded_channel::<Msg>();
        Driver {
            app,
            services,
            tx,
            rx,
            tasks: Tasks::default(),
            stats: Arc::default(),
        }
    }

    /// The first effects (loading the PRs).
    pub fn start(&mut self) {
        let commands = init(&mut self.app);
        self.spawn_all(commands);
    }

    /// Applies one message and starts the effects it asks for.
    pub fn handle(&mut self, msg: Msg) {
        let commands = update(&mut self.app, msg);
        self.spawn_all(commands);
    }

    /// Applies the answers already queued, at most [`BATCH`] of them.
    pub fn drain(&mut self) {
        for _ in 0..BATCH {
            match self.rx.try_recv() {
                Ok(msg) => {
                    LoopStats::bump(&self.stats.answers);
                    self.handle(msg);
                }
                Err(_) => break,
            }
        }
    }

    /// A sender for answers, as effects have (tests inject messages with it).
    pub fn sender(&self) -> mpsc::UnboundedSender<Msg> {
        self.tx.clone()
    }

    /// Waits for the next answer of an effect.
    pub async fn recv(&mut self) -> Option<Msg> {
        self.rx.recv().await
    }

    /// Handles answers until `done(&app)` holds; `false` if `limit` passed first (a bound for
    /// tests against a hung effect, not a speed check).
    pub async fn run_until(&mut self, limit: Duration, done: impl Fn(&App) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        while !done(&self.app) {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(msg)) => {
                    self.app.now = self.app.now.max(Utc::now());
                    self.handle(msg);
                }
                Ok(None) | Err(_) => return false,
            }
        }
        true
    }

    fn spawn_all(&mut self, commands: Vec<Command>) {
        spawn_all(commands, &self.services, &self.tx, &mut self.tasks);
    }

    /// How many effects are still running.
    pub fn effects_running(&self) -> usize {
        self.tasks.running()
    }

    /// Quitting: cancels every effect in flight (followers, watch, actions, loads) instead of
    /// waiting for their answers; an interrupted action's audit line is written as it drops.
    pub async fn cancel_effects(&mut self) {
        self.tasks.cancel_all().await;
    }
}

/// How often spinners and elapsed times move while something animated is on screen
/// (`App::animating`); there is no tick at all otherwise.
pub const TICK: Duration = Duration::from_millis(125);

/// Frames are drawn at most this often: a flood of answers is shown at about 60 frames a
/// second, not once per message. Input is handled as it comes, between frames.
pub const FRAME: Duration = Duration::from_millis(16);

/// What the event loop did, readable while it runs: for tests of responsiveness and of "no
/// redraw without a change".
#[derive(Debug, Default)]
pub struct LoopStats {
    /// Terminal events (keys, mouse, resizes) handled.
    pub input: AtomicU64,
    /// Answers of effects handled (log batches, PR loads…).
    pub answers: AtomicU64,
    /// Frames drawn.
    pub frames: AtomicU64,
    /// Animation ticks sent (only while something animated is on screen).
    pub ticks: AtomicU64,
    /// For each input event after the first, the answers handled since the one before it
    /// (kept only when `record_gaps` is set).
    pub gaps: Mutex<Vec<u64>>,
    pub record_gaps: AtomicBool,
}

impl LoopStats {
    pub fn input(&self) -> u64 {
        self.input.load(Ordering::Relaxed)
    }

    pub fn answers(&self) -> u64 {
        self.answers.load(Ordering::Relaxed)
    }

    pub fn frames(&self) -> u64 {
        self.frames.load(Ordering::Relaxed)
    }

    pub fn ticks(&self) -> u64 {
        self.ticks.load(Ordering::Relaxed)
    }

    pub fn gaps(&self) -> Vec<u64> {
        self.gaps.lock().map(|g| g.clone()).unwrap_or_default()
    }

    fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts an input event; `since` is the answers handled since the previous one.
    fn input_after(&self, since: Option<u64>) {
        Self::bump(&self.input);
        if let (Some(gap), true) = (since, self.record_gaps.load(Ordering::Relaxed)) {
            if let Ok(mut gaps) = self.gaps.lock() {
                gaps.push(gap);
            }
        }
    }
}

/// Runs the console until the user quits.
pub async fn run(app: App, services: Services, refresh: Duration) -> color_eyre::Result<()> {
    let mut guard = TerminalGuard::enter()?;
    let mut driver = Driver::new(app, services);
    let size = guard.terminal.size()?;
    driver.app.size = ratatui::layout::Rect::new(0, 0, size.width, size.height);
    let looped = run_loop(
        &mut guard.terminal,
        &mut driver,
        EventStream::new(),
        refresh,
    );
    let result = tokio::select! {
        result = looped => result,
        // Test-only: a panic or an error while the terminal is in raw mode.
        fault = super::test_fault::from_env() => fault,
    };
    // The terminal first, then the effects in flight are cancelled, not awaited: quitting
    // never waits for an answer (docs/PERFORMANCE.md, "Quitting").
    drop(guard);
    driver.cancel_effects().await;
    result
}

/// The event loop, on any terminal backend and input stream (tests use ratatui's
/// `TestBackend` and a channel). Input comes first: between two input events at most one
/// batch of [`BATCH`] answers is applied. A frame is drawn only when the state is dirty,
/// at most once per [`FRAME`].
pub async fn run_loop<B, S>(
    terminal: &mut Terminal<B>,
    driver: &mut Driver,
    mut input: S,
    refresh: Duration,
) -> color_eyre::Result<()>
where
    B: Backend,
    S: Stream<Item = std::io::Result<Event>> + Unpin,
{
    driver.app.now = Utc::now();
    let mut timer = tokio::time::interval_at(tokio::time::Instant::now() + refresh, refresh);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut animation = tokio::time::interval(TICK);
    animation.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    driver.start();
    let mut next_frame = tokio::time::Instant::now();
    let mut since_input: Option<u64> = None;
    while !driver.app.should_quit {
        let now = tokio::time::Instant::now();
        if driver.app.dirty && now >= next_frame {
            terminal.draw(|f| draw(f, &driver.app))?;
            driver.app.dirty = false;
            LoopStats::bump(&driver.stats.frames);
            next_frame = now + FRAME;
        }
        let dirty = driver.app.dirty;
        let frame_due = async move {
            if dirty {
                tokio::time::sleep_until(next_frame).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        let answers_before = driver.stats.answers();
        let animating = driver.app.animating();
        let msg = tokio::select! {
            biased;
            ev = input.next() => match ev {
                Some(Ok(ev)) => match to_msg(ev) {
                    Some(m) => {
                        driver.stats.input_after(since_input);
                        since_input = Some(0);
                        m
                    }
                    None => continue,
                },
                Some(Err(e)) => return Err(e.into()),
                None => break,
            },
            () = frame_due => continue,
            Some(msg) = driver.rx.recv() => {
                LoopStats::bump(&driver.stats.answers);
                msg
            }
            _ = timer.tick() => Msg::RefreshDue { now: Utc::now() },
            // Disabled (not polled) while nothing is animated: an idle console never wakes.
            _ = animation.tick(), if animating => {
                LoopStats::bump(&driver.stats.ticks);
                Msg::Tick { now: Utc::now() }
            }
        };
        driver.app.now = driver.app.now.max(Utc::now());
        driver.handle(msg);
        driver.drain();
        if let Some(n) = since_input.as_mut() {
            *n += driver.stats.answers() - answers_before;
        }
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
    tasks: &mut Tasks,
) {
    for command in commands {
        match &command {
            Command::StopLogs { pod } => tasks.stop(pod),
            Command::FollowLogs { pod } | Command::FetchLogs { pod } => {
                let pod = pod.clone();
                let handle = spawn(command, services.clone(), tx.clone());
                tasks.follow(pod, handle.abort_handle());
            }
            Command::WatchTargets { .. } => {
                let handle = spawn(command, services.clone(), tx.clone());
                tasks.watch(handle.abort_handle());
            }
            _ => tasks.track(spawn(command, services.clone(), tx.clone())),
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
            Command::FollowLogs { pod } => {
                stream_logs(pod, true, &services, |ev| {
                    // The receiver is gone only when the console is quitting.
                    let _ = tx.send(Msg::Log(ev));
                })
                .await
            }
            Command::FetchLogs { pod } => {
                stream_logs(pod, false, &services, |ev| {
                    let _ = tx.send(Msg::Log(ev));
                })
                .await
            }
            Command::StartAction { project, pr, cmd } => {
                let emit = |event: ActionEvent| {
                    let _ = tx.send(Msg::Action { project, event });
                };
                let (done, audit_error) = perform(project, pr, &cmd, &services, &emit).await;
                let _ = tx.send(Msg::Action {
                    project,
                    event: done,
                });
                if let Some(e) = audit_error {
                    let _ = tx.send(Msg::AuditFailed(e));
                }
            }
            Command::WatchTargets {
                service_name,
                staging_namespace,
                production_namespace,
            } => {
                let namespaces = [
                    (DeployTarget::Staging, staging_namespace),
                    (DeployTarget::Production, production_namespace),
                ];
                watch_targets(&service_name, namespaces, false, &services, &|ev| {
                    let _ = tx.send(Msg::Target(ev));
                })
                .await
            }
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

/// Performs a Kfops action, recording it in the audit log, and returns its `Done` event
/// (written to the audit log first) and why the audit line could not be written, if so.
async fn perform(
    project: usize,
    pr: u64,
    cmd: &crate::chatops::ChatCommand,
    services: &Services,
    emit: &(dyn Fn(ActionEvent) + Send + Sync),
) -> (ActionEvent, Option<String>) {
    let recorder = match &services.audit {
        Some(audit) => {
            let repository = services.github_of(project).map(GitHub::repo_slug);
            Some(audit.begin_in(Source::Console, repository, pr, cmd).await)
        }
        None => None,
    };
    let observed = |ev: ActionEvent| {
        if let Some(r) = &recorder {
            r.observe(&ev);
        }
        emit(ev);
    };
    let done = perform_action(project, pr, cmd, services, &observed).await;
    let audit_error = match (recorder, &done) {
        (Some(r), ActionEvent::Done { outcome, .. }) => r.finish(outcome).await.err(),
        _ => None,
    };
    (done, audit_error)
}

/// Performs a Kfops action in `project`'s repository, with its settings, and returns its
/// `Done` event.
async fn perform_action(
    project: usize,
    pr: u64,
    cmd: &crate::chatops::ChatCommand,
    services: &Services,
    emit: &(dyn Fn(ActionEvent) + Send + Sync),
) -> ActionEvent {
    let action = ActionKind::of(cmd);
    let outcome = match services.engine_of(project) {
        Some(e) => engine::perform(&e.backends, &e.config, &e.in_flight, pr, cmd, e.run_poll, emit).await,
        None => Err(ActionError::new(
            "start",
            "the cluster or KFP backend is not set up; see the status bar at start and check [cluster] / [kfp]",
        )),
    };
    ActionEvent::Done {
        pr,
        action,
        outcome,
    }
}

/// A run, with its pipeline version's spec when asked for.
async fn load_run(
    services: &Services,
    run_id: &str,
    spec: bool,
) -> Result<LoadedRun, BackendError> {
    let engine = services
        .engine
        .as_ref()
        .ok_or_else(|| no_kfp("load the run"))?;
    let kfp = &engine.backends.kfp;
    let run = kfp.get_run(run_id).await?;
    let spec = if !spec {
        None
    } else if let Some(inline) = &run.pipeline_spec {
        Some((
            run.version_id().unwrap_or_default().to_string(),
            inline.clone(),
        ))
    } else {
        let reference = run.pipeline_version_reference.clone().ok_or_else(|| {
            BackendError::new(
                Service::Kfp,
                "load the run",
                "the run has neither a pipeline version nor a spec",
            )
        })?;
        let version_id = run.version_id().unwrap_or_default().to_string();
        let version = kfp.get_version(&reference.pipeline_id, &version_id).await?;
        version.pipeline_spec.map(|s| (version_id, s))
    };
    Ok(LoadedRun {
        run: Box::new(run),
        spec,
    })
}

fn no_kfp(what: &str) -> BackendError {
    BackendError::new(Service::Kfp, what, "not connected to KFP").with_hint(
        "check [kfp] and [cluster] in the config; the reason is in the status bar at start",
    )
}

fn no_cluster(what: &str) -> BackendError {
    BackendError::new(Service::Kubernetes, what, "not connected to a cluster")
        .with_hint("check [cluster] in the config; the reason is in the status bar at start")
}

/// An error as the targets pane shows it: the pane already says what and where.
fn pane_text(e: &BackendError) -> String {
    match &e.hint {
        Some(hint) => format!("{} ({hint})", e.message),
        None => e.message.clone(),
    }
}

/// Longest wait before a failed targets watch starts over.
const WATCH_BACKOFF_MAX: Duration = Duration::from_secs(30);

/// Watches the InferenceService `name` in each target's namespace (concurrently, on this
/// task), handing every change and error to `sink`. With `once`, each stops after its first
/// list (or error); else they run until the task is aborted.
async fn watch_targets(
    name: &str,
    namespaces: [(DeployTarget, String); 2],
    once: bool,
    services: &Services,
    sink: &(dyn Fn(TargetEvent) + Send + Sync),
) {
    let Some(cluster) = services.cluster.clone() else {
        let reason = pane_text(&no_cluster("watch InferenceServices"));
        for (target, _) in namespaces {
            sink(TargetEvent::Change {
                target,
                at: Utc::now(),
                change: TargetChange::Unavailable(reason.clone()),
            });
        }
        return;
    };
    let [(a, a_ns), (b, b_ns)] = namespaces;
    futures::join!(
        watch_target(&cluster, a, &a_ns, name, once, sink),
        watch_target(&cluster, b, &b_ns, name, once, sink),
    );
}

/// One target's watch. After an error the watch starts over from a fresh list (after a
/// backoff) rather than letting kube's watcher resume silently: the relist (`Init` …
/// `InitDone`) tells the pane the stream is healthy again, and catches up on anything missed.
async fn watch_target(
    cluster: &Cluster,
    target: DeployTarget,
    namespace: &str,
    name: &str,
    once: bool,
    sink: &(dyn Fn(TargetEvent) + Send + Sync),
) {
    let emit = |change| {
        sink(TargetEvent::Change {
            target,
            at: Utc::now(),
            change,
        })
    };
    let mut delay = Duration::from_secs(1);
    // The models of the predictor revisions (what really serves), read once each.
    let mut models = std::collections::BTreeMap::new();
    loop {
        let mut stream = std::pin::pin!(kserve::watch(cluster, namespace));
        while let Some(event) = stream.next().await {
            match event {
                Ok(event) => {
                    delay = Duration::from_secs(1);
                    let done = matches!(event, kube::runtime::watcher::Event::InitDone);
                    if let Some(mut change) = TargetChange::of_watch(event, name) {
                        if let TargetChange::InitApply(state) | TargetChange::Apply(state) =
                            &mut change
                        {
                            knative::fill_models(cluster, state, &mut models).await;
                        }
                        emit(change);
                    }
                    if once && done {
                        return;
                    }
                }
                Err(e) => {
                    emit(TargetChange::Error(pane_text(&e)));
                    break;
                }
            }
        }
        if once {
            return;
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(WATCH_BACKOFF_MAX);
    }
}

/// A PR's builds: its build pods grouped by build, newest first. With several projects, not
/// the pods labelled with another repository (PR numbers repeat across repositories).
async fn list_builds(
    services: &Services,
    project: usize,
    pr: u64,
) -> Result<Vec<BuildInfo>, BackendError> {
    let cluster = services
        .cluster
        .as_ref()
        .ok_or_else(|| no_cluster("list builds"))?;
    let mut pods = cluster
        .list_pods(&build_labels::selector_for_pr(pr))
        .await?;
    if let Some(github) = services
        .github_of(project)
        .filter(|_| !services.extra.is_empty())
    {
        crate::logs::builds::retain_repository(&mut pods, &github.repo_slug());
    }
    Ok(builds_from_pods(&pods, cluster.namespace()))
}

/// Performs one effect and returns its answer (used by the runner and by tests).
pub async fn execute(command: Command, services: &Services) -> Msg {
    match command {
        Command::LoadPrs { generation } if services.extra.is_empty() => {
            let result = services.github.open_pull_requests().await;
            Msg::PrsLoaded {
                generation,
                at: Utc::now(),
                result,
            }
        }
        // Several projects: loaded concurrently, each answer kept apart.
        Command::LoadPrs { generation } => {
            let clients =
                std::iter::once(&services.github).chain(services.extra.iter().map(|p| &p.github));
            let loads = clients.enumerate().map(|(project, github)| async move {
                (project, github.open_pull_requests().await)
            });
            let results = futures::future::join_all(loads).await;
            Msg::ProjectsLoaded {
                generation,
                at: Utc::now(),
                results,
            }
        }
        Command::ListBuilds { project, pr } => Msg::BuildsListed {
            project,
            pr,
            result: list_builds(services, project, pr).await,
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
        Command::LoadRun {
            run_id,
            spec,
            after,
        } => {
            if let Some(delay) = after {
                tokio::time::sleep(delay).await;
            }
            Msg::RunLoaded {
                result: load_run(services, &run_id, spec).await,
                run_id,
            }
        }
        Command::ListRuns { project, pr } => Msg::RunsListed {
            project,
            pr,
            result: match services.engine_of(project) {
                Some(e) => engine::run::pr_runs(&e.backends, &e.config, pr).await,
                None => Err(no_kfp("list runs")),
            },
        },
        // The whole action, answered with its final event only.
        Command::StartAction { project, pr, cmd } => Msg::Action {
            project,
            event: perform(project, pr, &cmd, services, &|_| {}).await.0,
        },
        Command::LoadAudit => Msg::AuditLoaded(load_audit(services).await),
        // One answer: both targets listed once (or their errors), as a batch.
        Command::WatchTargets {
            service_name,
            staging_namespace,
            production_namespace,
        } => {
            let events = std::sync::Mutex::new(Vec::new());
            let namespaces = [
                (DeployTarget::Staging, staging_namespace),
                (DeployTarget::Production, production_namespace),
            ];
            watch_targets(&service_name, namespaces, true, services, &|ev| {
                if let Ok(mut events) = events.lock() {
                    events.push(ev);
                }
            })
            .await;
            Msg::Target(TargetEvent::Batch(events.into_inner().unwrap_or_default()))
        }
        // Nothing to answer: followers are stopped by the runner loop.
        Command::StopLogs { .. } => Msg::Log(LogEvent::Batch(Vec::new())),
        Command::SaveLog { path, text, lines } => Msg::LogSaved {
            result: save_new(&path, &text).await,
            asked: path,
            lines,
        },
    }
}

/// How many audit entries the overlay shows at most.
const AUDIT_SHOWN: usize = 1000;

/// The audit log's newest entries, read on a blocking thread.
async fn load_audit(services: &Services) -> Result<crate::audit::file::Recent, String> {
    let path = services
        .audit
        .as_ref()
        .map(|a| a.path().to_path_buf())
        .ok_or_else(|| {
            "no audit log: no home directory to keep it in; set [audit] path in the config"
                .to_string()
        })?;
    tokio::task::spawn_blocking(move || crate::audit::file::read_recent(&path, AUDIT_SHOWN))
        .await
        .map_err(|e| format!("reading the audit log: {e}"))?
}

/// `NAME.log` → `NAME-n.log` (`NAME` → `NAME-n`).
fn numbered(path: &Path, n: u32) -> PathBuf {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
    let name = match (stem, path.extension()) {
        (Some(stem), Some(ext)) => format!("{stem}-{n}.{}", ext.to_string_lossy()),
        (Some(stem), None) => format!("{stem}-{n}"),
        (None, _) => format!("kfops-{n}.log"),
    };
    path.with_file_name(name)
}

/// Writes `text` to a new file: `path`, or the first free `NAME-n.log` when it exists (an
/// existing file is never overwritten). Returns the path written.
async fn save_new(path: &Path, text: &str) -> Result<PathBuf, String> {
    use tokio::io::AsyncWriteExt;
    for n in 0..1000 {
        let candidate = if n == 0 {
            path.to_path_buf()
        } else {
            numbered(path, n)
        };
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
            .await;
        match file {
            Ok(mut f) => {
                f.write_all(text.as_bytes())
                    .await
                    .map_err(|e| e.to_string())?;
                f.flush().await.map_err(|e| e.to_string())?;
                return Ok(candidate);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    Err("it exists, and so do 999 numbered names after it".into())
}
