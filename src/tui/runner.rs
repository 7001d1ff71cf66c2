//! The event loop: terminal events, the effects layer's answers and timers become [`Msg`]s;
//! the reducer runs; its commands go to the effects layer (`crate::effects`), which runs each
//! on a task; the screen is redrawn only when something changed. The UI task never awaits
//! network I/O.

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
use super::msg::Msg;
use super::terminal::TerminalGuard;
use super::update::{init, update};
use super::view::draw;
use crate::effects::Command;
use crate::effects::{Effects, Services, SharedSink};

/// At most this many queued messages are applied before a frame is drawn, so a flood of
/// answers never starves key handling or drawing.
pub const BATCH: usize = 256;

/// The console without a terminal: the state, the effects in flight and the channel their
/// answers come back on. The runner drives it from terminal events; tests drive it directly.
pub struct Driver {
    pub app: App,
    effects: Effects,
    tx: mpsc::UnboundedSender<Msg>,
    rx: mpsc::UnboundedReceiver<Msg>,
    /// The effects' answers, into the channel as messages.
    sink: SharedSink<Msg>,
    /// What the event loop did (see [`run_loop`]).
    pub stats: Arc<LoopStats>,
}

impl Driver {
    pub fn new(app: App, services: Services) -> Driver {
        let (tx, rx) = mpsc::unbounded_channel::<Msg>();
        let answers = tx.clone();
        let sink: SharedSink<Msg> = Arc::new(move |msg| {
            // The receiver is gone only when the console is quitting.
            let _ = answers.send(msg);
        });
        Driver {
            app,
            effects: Effects::new(services),
            tx,
            rx,
            sink,
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
        for command in commands {
            self.effects.start(command, &self.sink);
        }
    }

    /// How many effects are still running.
    pub fn effects_running(&self) -> usize {
        self.effects.running()
    }

    /// Quitting: cancels every effect in flight (followers, watch, actions, loads) instead of
    /// waiting for their answers; an interrupted action's audit line is written as it drops.
    pub async fn cancel_effects(&mut self) {
        self.effects.cancel_all().await;
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
    driver.app.pace.every = refresh;
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
