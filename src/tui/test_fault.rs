//! Test-only faults of the running console, for the tmux tests that check the terminal is
//! restored after a panic or an error exit (tests/e2e/tmux_restore.rs). Harmless: nothing
//! happens unless one of the variables is set, and they are not documented for users.

use std::time::Duration;

/// Milliseconds after the console starts at which it panics (test-only).
pub const PANIC_AFTER_ENV: &str = "KFOPS_TEST_PANIC_AFTER_MS";
/// Milliseconds after the console starts at which a background task panics (test-only).
pub const TASK_PANIC_AFTER_ENV: &str = "KFOPS_TEST_TASK_PANIC_AFTER_MS";
/// Milliseconds after the console starts at which it returns an error (test-only).
pub const ERROR_AFTER_ENV: &str = "KFOPS_TEST_ERROR_AFTER_MS";

/// Never resolves, unless a test asked for a fault: then panics or returns an error after the
/// asked delay.
pub async fn from_env() -> color_eyre::Result<()> {
    let ms = |name: &str| std::env::var(name).ok()?.trim().parse::<u64>().ok();
    if let Some(after) = ms(PANIC_AFTER_ENV) {
        tokio::time::sleep(Duration::from_millis(after)).await;
        panic!("test panic asked for by {PANIC_AFTER_ENV}={after}");
    }
    if let Some(after) = ms(TASK_PANIC_AFTER_ENV) {
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(after)).await;
            panic!("test task panic asked for by {TASK_PANIC_AFTER_ENV}={after}");
        });
    }
    if let Some(after) = ms(ERROR_AFTER_ENV) {
        tokio::time::sleep(Duration::from_millis(after)).await;
        return Err(color_eyre::eyre::eyre!(
            "test error asked for by {ERROR_AFTER_ENV}={after}"
        ));
    }
    std::future::pending().await
}
