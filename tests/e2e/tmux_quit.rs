//! Quitting is instant: `q` cancels what is in flight instead of waiting for it. `kfops demo`
//! runs in tmux with a simulator fault holding one answer of a `/build` back (4 s, a `delay`
//! rule); the build is interrupted while that request is unanswered. No clock is read: the
//! proof is causal. Had kfops waited for the answer (the demo's simulator used to be shut
//! down gracefully, letting open requests finish for up to 5 s), the build would have gone on
//! to its next step, which the audit line would show.

use crate::tmux_demo::Tmux;
use crate::tmux_restore::assert_restored;

/// The file whose read is held back: the build's second step.
const HELD: &str = "pipeline.yaml";

#[test]
fn quitting_during_a_build_exits_with_its_request_unanswered_and_audits_it_interrupted() {
    let bin = env!("CARGO_BIN_EXE_kfops");
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("scenario.toml");
    let demo = include_str!("../../assets/demo/scenario.toml");
    let rule = format!(
        "\n[[faults.rules]]\nservice = \"github\"\nmethod = \"GET\"\npath = \"/repos/*/*/contents/{HELD}\"\nfault = {{ kind = \"delay\", ms = 4000 }}\n"
    );
    std::fs::write(&scenario, format!("{demo}{rule}")).unwrap();
    let state = dir.path().join("state");
    let script = format!(
        "XDG_STATE_HOME='{}' '{bin}' demo --scenario '{}'; echo KFOPS_EXIT=\\$?; exec sh",
        state.display(),
        scenario.display()
    );
    let tmux = Tmux::start_named("quit", &format!("sh -c \"{script}\""), 200, 50);
    tmux.wait_for("the PRs", |s| s.contains("#45") && s.contains("#42"));

    // `/build` on the selected PR, until it waits for the held answer.
    tmux.send(&["b"]);
    tmux.wait_for("the build to read the package", |s| {
        s.contains(&format!("reading {HELD}"))
    });
    tmux.send(&["q"]);
    tmux.wait_for("the quit confirmation", |s| {
        s.contains("Quit while actions run?")
    });
    tmux.send(&["y"]);
    let screen = tmux.wait_for("kfops to exit", |s| s.contains("KFOPS_EXIT="));
    assert!(screen.contains("KFOPS_EXIT=0"), "{screen}");
    assert_restored(&tmux, &screen);

    // The build stopped at the unanswered request: no later step, audited as interrupted.
    let audit = std::fs::read_to_string(state.join("kfops").join("demo-audit.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(audit.lines().last().unwrap()).unwrap();
    assert_eq!(last["action"], "/build", "{last}");
    assert_eq!(last["outcome"], "error", "{last}");
    assert!(
        last["message"].as_str().unwrap().starts_with("interrupted"),
        "{last}"
    );
    let steps: Vec<&str> = last["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["text"].as_str())
        .collect();
    assert!(
        steps
            .last()
            .is_some_and(|s| s.starts_with(&format!("reading {HELD}"))),
        "the build went on after the held request: {steps:?}"
    );
}
