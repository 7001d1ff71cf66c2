//! The `kfops` binary's command line: version, help, bad config (exit 2 before the terminal is
//! touched), and `kfops sim` serving the simulated APIs for other clients.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn kfops() -> Command {
    crate::support::kfops_command()
}

#[test]
fn version_and_help() {
    let out = kfops().arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("kfops {}", env!("CARGO_PKG_VERSION"))
    );
    let out = kfops().arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "demo",
        "sim",
        "--config",
        "--read-only",
        "KFOPS_CONFIG",
        "GITHUB_TOKEN",
        // clap's note under --project (the tests' kfops runs without the variable).
        "[env: KFOPS_PROJECT=]",
    ] {
        assert!(help.contains(needle), "--help lacks {needle}:\n{help}");
    }
    for sub in ["demo", "sim"] {
        let out = kfops().args([sub, "--help"]).output().unwrap();
        assert!(out.status.success());
        assert!(String::from_utf8_lossy(&out.stdout).contains("simulated environment"));
    }
}

#[test]
fn a_broken_config_exits_2_naming_file_line_and_key_without_touching_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kfops.toml");
    std::fs::write(
        &path,
        "[repository]\nowner = \"acme\"\nname = \"m\"\n\n[ui]\nthem = \"dark\"\n",
    )
    .unwrap();
    let out = kfops()
        .arg("--config")
        .arg(&path)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{}:6:1", path.display())),
        "{stderr}"
    );
    assert!(stderr.contains("`ui.them`"), "{stderr}");
    assert!(stderr.contains("hint:"), "{stderr}");
    // Nothing was drawn: no alternate-screen or raw-mode escape sequences on stdout.
    assert!(
        out.stdout.is_empty(),
        "stdout: {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn a_missing_config_exits_2_with_the_places_looked_at() {
    let dir = tempfile::tempdir().unwrap();
    let out = kfops()
        .current_dir(dir.path())
        .env_remove("KFOPS_CONFIG")
        .env("XDG_CONFIG_HOME", dir.path().join("xdg"))
        .env("HOME", dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("kfops.toml"), "{stderr}");
    assert!(stderr.contains("kfops demo"), "{stderr}");
}

#[test]
fn example_config_prints_the_documented_file() {
    let out = kfops().arg("example-config").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        include_str!("../../config.example.toml")
    );
}

/// Kills the child on drop so a failing assertion leaves no server behind.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn sim_serves_the_github_api_at_the_printed_url() {
    let mut child = Child(
        kfops()
            .args(["sim", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stdin(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let github_url = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find_map(|l| {
                l.split_once("GitHub API").and_then(|(_, rest)| {
                    rest.split_whitespace()
                        .find(|w| w.starts_with("http://"))
                        .map(str::to_string)
                })
            })
    })
    .await
    .unwrap()
    .expect("kfops sim prints the GitHub base URL");
    // With a token: the demo repository is private, hidden (404) from anonymous requests as
    // on GitHub.
    let pulls: serde_json::Value = reqwest::Client::new()
        .get(format!("{github_url}/repos/acme-ml/churn-model/pulls"))
        .bearer_auth("any-token")
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(pulls.as_array().is_some_and(|a| a.len() >= 4), "{pulls}");
}
