//! The one integration-test binary: flows against the simulator on loopback, driven through the real clients.
#![allow(clippy::unwrap_used)]

mod chatops_props;
mod build_flow;
mod cli;
mod config_files;
mod headless;
mod console_prs;
mod crate_hygiene;
mod kubectl;
mod log_follow;
mod logs_pane;
mod sim_github_spec;
mod sim_kfp;
mod sim_kube;
mod support;
mod tmux_demo;
