//! The one integration-test binary: flows against the simulator on loopback, driven through the real clients.
#![allow(clippy::unwrap_used)]

mod chatops_props;
mod cli;
mod config_files;
mod console_prs;
mod crate_hygiene;
mod sim_github_spec;
mod support;
mod tmux_demo;
