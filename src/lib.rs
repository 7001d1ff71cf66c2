//! kfops-console: the operator's terminal console for the Kfops MLOps workflow.
#![cfg_attr(test, allow(clippy::unwrap_used))]
//!
//! Layers (see docs/ARCHITECTURE.md):
//! - [`config`]: the one TOML file.
//! - [`chatops`]: the chat command syntax and Kfops' hidden comment variables.
//! - [`domain`]: the Kfops domain types shared by every layer.
//! - [`backends`]: real clients (octocrab, kube, reqwest) behind small traits.
//! - [`graph`]: a KFP run's task DAG: model and layout in cells (drawn by `tui::graph_draw`).
//! - [`keys`]: keys as data: actions, contexts, the key map and its rules (`[ui.keys]`).
//! - [`effects`]: carrying out commands for any front end (services per project, actions
//!   with their audit record, followers, the targets' watch, files).
//! - The simulated environment (GitHub, Kubernetes, KFP, KServe on loopback) is the
//!   `kfops-sim` crate (crates/kfops-sim).
//! - [`tui`]: the console: pure state + update, pure views, the terminal runner.
//! - [`audit`]: the audit log of actions (JSON lines in the state directory).
//! - [`bench`]: load harnesses (`kfops bench`).
//! - [`doctor`]: `kfops check`, what works and what to fix.

pub mod audit;
pub mod backends;
pub mod bench;
pub mod chatops;
pub mod cli;
pub mod cli_docs;
pub mod color;
pub mod config;
pub mod doctor;
pub mod domain;
pub mod effects;
pub mod engine;
pub mod graph;
pub mod headless;
pub mod keys;
pub mod launch;
pub mod logging;
pub mod logs;
pub mod serve;
pub mod state_dir;
pub mod text;
pub mod tui;
