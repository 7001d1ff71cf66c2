//! Helpers shared by the e2e test modules.
// Each test module uses a different part of the support code.
#![allow(dead_code)]

pub mod console;
pub mod deploy;
pub mod kfp_api;
pub mod openapi;
pub mod printer;
pub mod schema;
pub mod swagger;

/// The `kfops` binary as a child process, without a `$KFOPS_PROJECT` the test run itself may
/// have been given (it would pick the project of every command and `check`); a test of the
/// variable sets it again.
pub fn kfops_command() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_kfops"));
    command.env_remove(kfops_console::config::PROJECT_ENV_VAR);
    command
}

/// Sends `request`: its status and JSON body (`Null` when the body is not JSON).
pub async fn status_and_json(request: reqwest::RequestBuilder) -> (u16, serde_json::Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (
        status,
        response.json().await.unwrap_or(serde_json::Value::Null),
    )
}

/// Runs `command` with no stdin: its exit code (`-1` if killed), stdout and stderr as text.
pub async fn run_output(command: std::process::Command) -> (i32, String, String) {
    let out = tokio::process::Command::from(command)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
