//! `kfops demo` driven as a person would, in a real terminal (tmux): it starts, the PR titles
//! appear, `?` shows the help, `q` quits and the terminal is restored.

use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

use kfops_sim::Scenario;

/// A tmux server of our own (its own socket), killed on drop.
pub struct Tmux {
    socket: String,
    session: String,
}

impl Tmux {
    pub fn start(command: &str, width: u16, height: u16) -> Tmux {
        Tmux::start_named("e2e", command, width, height)
    }

    /// A server whose socket is named after `name` too, so tests in parallel do not share one.
    pub fn start_named(name: &str, command: &str, width: u16, height: u16) -> Tmux {
        let id = format!("kfops-{name}-{}", std::process::id());
        let tmux = Tmux {
            socket: id.clone(),
            session: id,
        };
        let status = Command::new("tmux")
            .args(["-L", &tmux.socket, "-f", "/dev/null", "new-session", "-d"])
            .args([
                "-s",
                &tmux.session,
                "-x",
                &width.to_string(),
                "-y",
                &height.to_string(),
            ])
            .arg(command)
            .env("TERM", "xterm-256color")
            // The server (and so the pane's kfops) inherits this environment.
            .env_remove(kfops_console::config::PROJECT_ENV_VAR)
            .status()
            .expect("tmux is required for this test (apt-get install -y tmux; .ci/run does it)");
        assert!(status.success(), "tmux new-session failed");
        tmux
    }

    pub fn send(&self, keys: &[&str]) {
        let status = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", &self.session])
            .args(keys)
            .status()
            .unwrap();
        assert!(status.success());
    }

    pub fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args([
                "-L",
                &self.socket,
                "capture-pane",
                "-p",
                "-t",
                &self.session,
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen satisfies `ok` (a bound for a hung program, not a speed check).
    pub fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{screen}"
            );
            sleep(Duration::from_millis(100));
        }
    }
}

impl Tmux {
    /// A pane format variable (`#{alternate_on}`, `#{cursor_flag}`…).
    pub fn display(&self, format: &str) -> String {
        let out = Command::new("tmux")
            .args([
                "-L",
                &self.socket,
                "display-message",
                "-p",
                "-t",
                &self.session,
            ])
            .arg(format)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

#[test]
fn demo_starts_shows_prs_and_help_then_quits_restoring_the_terminal() {
    let bin = env!("CARGO_BIN_EXE_kfops");
    // Debug tracing while the UI runs goes to the state directory's kfops.log, never the screen.
    let state = tempfile::tempdir().unwrap();
    let state_dir = state.path().display();
    // After kfops exits, print its exit code and the tty mode, then linger so we can read them.
    let script = format!("XDG_STATE_HOME='{state_dir}' RUST_LOG=debug '{bin}' demo; echo KFOPS_EXIT=\\$?; stty -a | tr ' ' '\\n' | grep -x -e icanon -e -icanon -e echo -e -echo; sleep 120");
    let tmux = Tmux::start(&format!("sh -c \"{script}\""), 200, 50);

    let scenario = Scenario::demo();
    let titles: Vec<String> = scenario
        .github
        .pulls
        .iter()
        .filter(|p| p.state.as_str() == "open")
        .map(|p| p.title.chars().take(30).collect())
        .collect();
    assert!(titles.len() >= 4);
    let screen = tmux.wait_for("the PR titles", |s| {
        titles.iter().all(|t| s.contains(t.as_str()))
    });
    assert!(screen.contains("Pull requests"), "{screen}");
    assert!(
        !screen.contains("DEBUG"),
        "tracing on the console's screen:\n{screen}"
    );
    assert!(
        screen.contains("Build logs")
            && screen.contains("Run graph")
            && screen.contains("Deployment targets")
    );

    tmux.send(&["?"]);
    // Waits for the whole overlay: a capture can catch a frame half written.
    tmux.wait_for("the help overlay listing the actions", |s| {
        s.contains("Help: keys") && s.contains("/staging_deploy")
    });
    tmux.send(&["Escape"]);
    tmux.wait_for("the help to close", |s| !s.contains("Help: keys"));

    tmux.send(&["q"]);
    let screen = tmux.wait_for("kfops to exit and stty to report", |s| {
        s.contains("KFOPS_EXIT=") && s.lines().any(|l| matches!(l.trim(), "echo" | "-echo"))
    });
    assert!(screen.contains("KFOPS_EXIT=0"), "{screen}");
    // Cooked mode again: canonical input and echo are back on.
    let modes: Vec<&str> = screen.lines().map(str::trim).collect();
    assert!(
        modes.contains(&"icanon") && modes.contains(&"echo"),
        "terminal not restored:\n{screen}"
    );
    assert!(
        !modes.contains(&"-icanon") && !modes.contains(&"-echo"),
        "terminal not restored:\n{screen}"
    );
    // The alternate screen is gone: the PR table is no longer on screen.
    assert!(
        !screen.contains("Pull requests"),
        "alternate screen not left:\n{screen}"
    );
    assert!(
        !screen.contains("DEBUG") && !screen.contains(" INFO "),
        "tracing reached the terminal:\n{screen}"
    );
    let log = state.path().join("kfops").join("kfops.log");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("DEBUG"), "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&log).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
