//! Carrying out effects for any front end (the console, the headless commands, a chat-ops
//! service): a front end asks with a [`Command`] and gets [`Answer`]s back through a sink it
//! supplies; nothing here knows a terminal. [`services`] holds one value per project,
//! [`interpret::carry_out`] is the one interpreter of a command, [`running::Effects`] runs
//! commands on tasks and stops them, [`action::Audited`] wraps every Kfops action with its
//! audit record. That it imports no front end nor terminal crate is checked by
//! tests/e2e/layers.rs (`LOWER`).

pub mod action;
pub mod command;
pub mod files;
pub mod interpret;
pub mod logs;
pub mod running;
pub mod runs;
pub mod services;
pub mod targets;
pub mod tasks;

pub use command::{Answer, Command, LoadedRun};
pub use running::{Effects, SharedSink};
pub use services::{Engine, ProjectServices, Services};
