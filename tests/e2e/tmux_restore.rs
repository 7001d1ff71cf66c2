//! The terminal is given back whole when the console dies: after a panic (the panic hook) and
//! after an error returned through `?` (the guard's drop). `kfops demo` runs in tmux with a
//! test-only variable that makes it fail while it owns the terminal; then the pane must be on
//! the normal screen with a visible cursor, no mouse capture, cooked mode (a shell command typed
//! in it runs) and the report printed.

use std::thread::sleep;
use std::time::{Duration, Instant};

use kfops_console::tui::test_fault::{ERROR_AFTER_ENV, PANIC_AFTER_ENV, TASK_PANIC_AFTER_ENV};

use crate::tmux_demo::Tmux;

/// Runs `kfops demo` with `fault=ms`, then a plain shell; returns the pane after the exit.
fn die_in_tmux(name: &str, fault: &str) -> (Tmux, String) {
    let bin = env!("CARGO_BIN_EXE_kfops");
    // `sh` (no line editor of its own): if kfops left raw mode on, typed commands would not
    // echo nor run.
    // No backtrace (the caller's RUST_BACKTRACE would scroll the report's head away).
    let script = format!(
        "RUST_BACKTRACE=0 RUST_LIB_BACKTRACE=0 {fault}=2500 '{bin}' demo; echo KFOPS_EXIT=\\$?; exec sh"
    );
    let tmux = Tmux::start_named(name, &format!("sh -c \"{script}\""), 160, 45);
    // The console is up (alternate screen, raw mode) before the fault fires.
    tmux.wait_for("the console", |s| s.contains("Pull requests"));
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut alternate = tmux.display("#{alternate_on}");
    while alternate != "1" && Instant::now() < deadline {
        sleep(Duration::from_millis(50));
        alternate = tmux.display("#{alternate_on}");
    }
    assert_eq!(
        alternate, "1",
        "the console did not use the alternate screen"
    );
    let screen = tmux.wait_for("kfops to die", |s| s.contains("KFOPS_EXIT="));
    (tmux, screen)
}

/// The pane is a normal terminal again.
pub fn assert_restored(tmux: &Tmux, screen: &str) {
    assert_eq!(
        tmux.display("#{alternate_on}"),
        "0",
        "still on the alternate screen:\n{screen}"
    );
    assert_eq!(
        tmux.display("#{cursor_flag}"),
        "1",
        "cursor hidden:\n{screen}"
    );
    assert_eq!(
        tmux.display("#{mouse_any_flag}"),
        "0",
        "mouse still captured:\n{screen}"
    );
    assert!(
        !screen.contains("Pull requests"),
        "the console is still drawn:\n{screen}"
    );
    // Cooked mode: the shell sees a whole line and echoes it.
    tmux.send(&["echo raw-mode-$((40+2))-off", "Enter"]);
    let screen = tmux.wait_for("the shell to run a typed command", |s| {
        s.lines().any(|l| l.trim() == "raw-mode-42-off")
    });
    assert!(
        screen.contains("echo raw-mode-$((40+2))-off"),
        "typed text not echoed:\n{screen}"
    );
}

#[test]
fn after_a_panic_the_terminal_is_restored_and_the_report_printed() {
    let (tmux, screen) = die_in_tmux("panic", PANIC_AFTER_ENV);
    assert!(
        screen.lines().any(|l| l.trim() == "KFOPS_EXIT=101"),
        "{screen}"
    );
    // The report is whole: nothing printed after it went back over its lines.
    assert!(
        screen
            .lines()
            .any(|l| l.trim() == "The application panicked (crashed)."),
        "{screen}"
    );
    assert!(
        screen.contains("The application panicked"),
        "no panic report:\n{screen}"
    );
    assert!(
        screen.contains(PANIC_AFTER_ENV),
        "the report lacks the message:\n{screen}"
    );
    assert_restored(&tmux, &screen);
}

#[test]
fn a_panic_on_a_background_task_ends_the_console_with_the_terminal_restored() {
    let (tmux, screen) = die_in_tmux("task-panic", TASK_PANIC_AFTER_ENV);
    assert!(
        screen.lines().any(|l| l.trim() == "KFOPS_EXIT=101"),
        "{screen}"
    );
    assert!(
        screen.contains("The application panicked") && screen.contains(TASK_PANIC_AFTER_ENV),
        "no panic report:\n{screen}"
    );
    assert_restored(&tmux, &screen);
}

#[test]
fn after_an_error_exit_the_terminal_is_restored_and_the_error_printed() {
    let (tmux, screen) = die_in_tmux("error", ERROR_AFTER_ENV);
    assert!(
        screen.lines().any(|l| l.trim() == "KFOPS_EXIT=1"),
        "{screen}"
    );
    assert!(
        screen.contains("kfops:") && screen.contains(ERROR_AFTER_ENV),
        "no error report:\n{screen}"
    );
    assert_restored(&tmux, &screen);
}
