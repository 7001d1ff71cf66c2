//! The one integration-test binary: flows against the simulator on loopback, driven through the real clients.
#![allow(clippy::unwrap_used)]

mod audit_log;
mod build_flow;
mod build_keys;
mod chatops_props;
mod cli;
mod config_files;
mod console_loop;
mod console_prs;
mod crate_hygiene;
mod deploy_flow;
mod deploy_keys;
mod graph_keys;
mod graph_layout;
mod headless;
mod kubectl;
mod log_cuts;
mod log_follow;
mod log_restarts;
mod logs_pane;
mod logs_search;
mod run_flow;
mod safety;
mod secret_leak;
mod sim_github_spec;
mod sim_kfp;
mod sim_kfp_runs;
mod sim_kserve;
mod sim_kube;
mod support;
mod targets_pane;
mod tmux_demo;
