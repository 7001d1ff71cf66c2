//! Servers that answer garbage: every client (octocrab for GitHub, kube for pods,
//! InferenceServices and logs, reqwest for KFP), the log follower and the console itself must
//! turn invalid JSON, wrong shapes, cut bodies, HTML pages, huge bodies and broken log lines
//! into a clear error naming the service and the operation — never a panic or a hang.

mod clients;
mod console;
mod logs;
mod server;
