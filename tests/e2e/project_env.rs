//! `$KFOPS_PROJECT`, the environment's `--project` (as gh's `GH_REPO`): the binary against the
//! simulator serving two repositories picks the named project for the headless commands (the
//! request log shows only its repository's paths), `--project` wins over it, an unknown name
//! is refused naming the variable, an empty one counts as unset, and commands that act on no
//! project ignore it.

use std::path::Path;
use std::process::Output;

use kfops_console::config::PROJECT_ENV_VAR;
use kfops_sim::Simulator;

use crate::headless_projects::{
    exits_2_saying, final_object, kfops_with_env, only_in, setup, text, A, B, BOTH,
};

/// `kfops runs` against the simulator with a config and an audit file.
struct Runs<'a> {
    sim: &'a Simulator,
    config: &'a Path,
    audit: &'a Path,
}

impl Runs<'_> {
    /// `kfops runs ARGS --json` with the variables `env`: it succeeds and reads only the
    /// repository under `prefix` (the request log is cleared).
    async fn only_in(&self, args: &[&str], env: &[(&str, &str)], prefix: &str) -> Output {
        let mut argv = vec!["runs", "--json"];
        argv.extend(args);
        let out = kfops_with_env(&argv, self.config, self.audit, env).await;
        assert_eq!(
            out.status.code(),
            Some(0),
            "{argv:?} {env:?}: {}",
            text(&out)
        );
        only_in(self.sim, prefix, &format!("{argv:?} with {env:?}"));
        out
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kfops_project_picks_the_project_and_the_option_wins() {
    let (sim, _dir, config, audit) = setup().await;
    let fraud = [(PROJECT_ENV_VAR, "fraud-model")];

    // build on PR #7: the second repository's PR, and no note about the first project.
    let out = kfops_with_env(&["build", "--pr", "7"], &config, &audit, &fraud).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("PR #7 of acme-ml/fraud-model"), "{stdout}");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("acting on"),
        "{}",
        text(&out)
    );
    let requests = only_in(&sim, B, "build with KFOPS_PROJECT");
    assert!(
        requests.contains(&format!("POST {B}issues/7/comments")),
        "{requests:?}"
    );

    // runs: read-only, the same repository; --project wins over the variable.
    let runs = Runs {
        sim: &sim,
        config: &config,
        audit: &audit,
    };
    runs.only_in(&["--pr", "7"], &fraud, B).await;
    runs.only_in(&["--pr", "41", "--project", "churn-model"], &fraud, A)
        .await;

    // An empty variable counts as unset: the first project, with the note.
    let out = runs
        .only_in(&["--pr", "41"], &[(PROJECT_ENV_VAR, "")], A)
        .await;
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(
            "acting on acme-ml/churn-model, the first of the config's 2 projects (choose one \
             with --project or $KFOPS_PROJECT)"
        ),
        "{}",
        text(&out)
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_kfops_project_is_refused_naming_the_variable_and_others_ignore_it() {
    let (sim, _dir, config, audit) = setup().await;
    let unknown = [(PROJECT_ENV_VAR, "acme-ml/frod-model")];

    let out = kfops_with_env(&["runs", "--pr", "7"], &config, &audit, &unknown).await;
    exits_2_saying(
        &out,
        "$KFOPS_PROJECT: no project `acme-ml/frod-model` in the config",
    );
    exits_2_saying(&out, BOTH);

    let out = kfops_with_env(&["build", "--pr", "7", "--json"], &config, &audit, &unknown).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let refused = final_object(&out);
    assert_eq!(refused["error"]["step"], "config", "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("$KFOPS_PROJECT: no project"),
        "{refused}"
    );

    // kfops check: its config line says where the name came from.
    let out = kfops_with_env(&["check"], &config, &audit, &unknown).await;
    exits_2_saying(&out, "$KFOPS_PROJECT: no project `acme-ml/frod-model`");
    exits_2_saying(
        &out,
        "fix: set $KFOPS_PROJECT to one of the config's projects, or unset it",
    );

    // The option still wins: a good --project over a bad variable.
    let runs = Runs {
        sim: &sim,
        config: &config,
        audit: &audit,
    };
    runs.only_in(
        &["--pr", "41", "--project", "acme-ml/churn-model"],
        &unknown,
        A,
    )
    .await;

    // Commands that act on no project ignore the variable (the option is refused there).
    for args in [&["example-config"][..], &["completions", "bash"][..]] {
        let out = kfops_with_env(args, &config, &audit, &unknown).await;
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
        assert!(!out.stdout.is_empty(), "{args:?}");
    }
    assert!(sim.requests().is_empty(), "nothing sent");
    assert!(!audit.exists(), "nothing started, nothing audited");
    sim.shutdown().await;
}
