//! The event loop: terminal events, backend answers and timers become [`Msg`]s; the reducer
//! runs; effects are spawned as tasks; the screen is redrawn only when something changed.
//! The UI task never awaits network I/O.

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
use crate::backends::github::GitHub;

/// The services the console's effects use.
#[derive(Debug, Clone)]
pub struct Services {
    pub github: GitHub,
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

    spawn_all(init(&mut app), &services, &tx);
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
        spawn_all(update(&mut app, msg), &services, &tx);
        for _ in 0..BATCH {
            match rx.try_recv() {
                Ok(msg) => spawn_all(update(&mut app, msg), &services, &tx),
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

fn spawn_all(commands: Vec<Command>, services: &Services, tx: &mpsc::UnboundedSender<Msg>) {
    for command in commands {
        spawn(command, services.clone(), tx.clone());
    }
}

/// Carries out one effect on its own task; the answer comes back as a message.
pub fn spawn(command: Command, services: Services, tx: mpsc::UnboundedSender<Msg>) {
    tokio::spawn(async move {
        let msg = execute(command, &services).await;
        // The receiver is gone only when the console is quitting.
        let _ = tx.send(msg);
    });
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
    }
}
