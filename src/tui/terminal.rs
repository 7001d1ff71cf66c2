//! Terminal set-up and restore, in one place. The terminal is restored when the guard drops
//! (normal exit and `?` errors) and by the panic hook (panics), before the report is printed.

use std::io::{self, Stdout};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

pub type Tui = Terminal<CrosstermBackend<Stdout>>;

static PANIC_HOOK: Once = Once::new();

/// Whether the console has the terminal (raw mode, maybe the alternate screen). [`restore`]
/// acts only once per [`TerminalGuard::enter`]: leaving the alternate screen a second time
/// would move the cursor back to where it was when the console started, and the next output
/// (e.g. the guard's drop after the panic hook printed the report) would overwrite the report.
static ENTERED: AtomicBool = AtomicBool::new(false);

/// The console reads keys from stdin and draws on stdout: both must be terminals. `Err` is the
/// one line to say otherwise (which one is not, and what to use in a script instead).
pub fn require_terminal() -> Result<(), String> {
    use std::io::IsTerminal;
    let missing = match (io::stdin().is_terminal(), io::stdout().is_terminal()) {
        (true, true) => return Ok(()),
        (false, true) => "stdin is not a terminal",
        (true, false) => "stdout is not a terminal",
        (false, false) => "stdin and stdout are not terminals",
    };
    Err(format!(
        "the console needs a terminal ({missing}); without one, use the headless commands \
         (kfops build, run, build-run, runs, deploy, logs --pr N)"
    ))
}

/// Installs color-eyre's report hooks, with a panic hook that restores the terminal first.
pub fn install_hooks() -> color_eyre::Result<()> {
    let (panic_hook, eyre_hook) = color_eyre::config::HookBuilder::default()
        .display_env_section(false)
        .into_hooks();
    eyre_hook.install()?;
    let panic_hook = panic_hook.into_panic_hook();
    PANIC_HOOK.call_once(|| {
        std::panic::set_hook(Box::new(move |info| {
            let had_terminal = ENTERED.load(Ordering::SeqCst);
            restore();
            panic_hook(info);
            if had_terminal {
                // A panic on any task while the console runs (not only the UI task) ends
                // it: the terminal was just given back, the UI cannot go on drawing.
                std::process::exit(101);
            }
        }));
    });
    Ok(())
}

/// Owns the terminal while the console runs; restores it on drop.
pub struct TerminalGuard {
    pub terminal: Tui,
}

impl TerminalGuard {
    /// Raw mode, alternate screen, mouse capture.
    pub fn enter() -> io::Result<TerminalGuard> {
        enable_raw_mode()?;
        ENTERED.store(true, Ordering::SeqCst);
        let mut stdout = io::stdout();
        if let Err(e) = execute!(stdout, EnterAlternateScreen, EnableMouseCapture) {
            restore();
            return Err(e);
        }
        let terminal = match Terminal::new(CrosstermBackend::new(stdout)) {
            Ok(t) => t,
            Err(e) => {
                restore();
                return Err(e);
            }
        };
        Ok(TerminalGuard { terminal })
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Leaves raw mode, the alternate screen and mouse capture. Safe to call more than once: only
/// the first call after [`TerminalGuard::enter`] does anything.
pub fn restore() {
    if !ENTERED.swap(false, Ordering::SeqCst) {
        return;
    }
    let _ = execute!(io::stdout(), DisableMouseCapture, LeaveAlternateScreen);
    let _ = disable_raw_mode();
    let _ = execute!(io::stdout(), crossterm::cursor::Show);
}
