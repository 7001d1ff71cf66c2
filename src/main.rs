//! `kfops`: parses the command line, reports bad input with exit code 2 before the terminal is
//! touched, and hands over to [`kfops_console::launch`].

use std::process::ExitCode;

use kfops_console::cli::{BenchCommand, Cli, CliCommand};
use kfops_console::engine::ActionKind;
use kfops_console::launch::{self, UsageError};
use kfops_console::{config, logging, tui};

fn main() -> ExitCode {
    let cli = Cli::parse_args();
    // $KFOPS_PROJECT is a default for the commands that take a project; the others ignore it.
    if let (Some(_), Some(command)) = (cli.project_option(), &cli.command) {
        if !command.takes_project() {
            eprintln!(
                "kfops: --project applies to the console, demo, check and the headless commands \
                 (build, run, build-run, runs, deploy, logs), not to this command"
            );
            return ExitCode::from(2);
        }
    }
    if let Err(e) = tui::terminal::install_hooks() {
        eprintln!("kfops: {e}");
        return ExitCode::FAILURE;
    }
    if let Err(e) = logging::init(&log_target(&cli)) {
        eprintln!("kfops: --log-file: {e}");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kfops: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Some(CliCommand::ExampleConfig) => {
            print!("{}", config::example_text());
            Ok(())
        }
        Some(CliCommand::Check { json }) => {
            let config = cli.config.as_deref();
            let project = cli.project_choice();
            return ExitCode::from(runtime.block_on(kfops_console::doctor::command(
                config,
                project,
                cli.context.as_deref(),
                json,
            )));
        }
        Some(CliCommand::Bench { ref what }) => runtime.block_on(bench(what)),
        Some(CliCommand::Completions { shell }) => {
            print!("{}", kfops_console::cli_docs::completions(shell));
            Ok(())
        }
        Some(CliCommand::Man { ref dir }) => man(dir.as_deref()),
        Some(CliCommand::Keys { .. }) => {
            print!("{}", kfops_console::keys::doc::markdown_table());
            Ok(())
        }
        Some(CliCommand::Sim { listen, scenario }) => launch::scenario(scenario.as_deref())
            .and_then(|s| runtime.block_on(launch::sim(listen, s))),
        Some(CliCommand::Demo { ref scenario }) => launch::scenario(scenario.as_deref())
            .and_then(|s| runtime.block_on(launch::demo(s, cli.read_only, cli.project_option()))),
        Some(CliCommand::Build { pr, json }) => {
            let act = Act::action(ActionKind::Build, json);
            return headless(&cli, &runtime, act, "/build", pr, |cfg| {
                Box::pin(launch::headless_build(cfg, pr, json))
            });
        }
        Some(CliCommand::Run {
            pr,
            ref version_id,
            wait,
            json,
        }) => {
            let version_id = version_id.clone();
            let act = Act::action(ActionKind::Run, json);
            return headless(&cli, &runtime, act, "/run", pr, move |cfg| {
                Box::pin(launch::headless_run(
                    cfg,
                    pr,
                    version_id.clone(),
                    wait,
                    json,
                ))
            });
        }
        Some(CliCommand::BuildRun { pr, json }) => {
            let act = Act::action(ActionKind::BuildRun, json);
            return headless(&cli, &runtime, act, "/build_run", pr, |cfg| {
                Box::pin(launch::headless_build_run(cfg, pr, json))
            });
        }
        Some(CliCommand::Deploy {
            pr,
            staging,
            ref run_id,
            force,
            allow_run_of_pr,
            yes,
            json,
        }) => {
            let req = kfops_console::engine::deploy::DeployRequest {
                target: if staging {
                    kfops_console::chatops::DeployTarget::Staging
                } else {
                    kfops_console::chatops::DeployTarget::Production
                },
                run_id: run_id.clone(),
                force,
                allow_run_of_pr,
            };
            let act = Act::action(ActionKind::Deploy(req.target), json);
            let cfg = match load_config_for(&cli, act, pr) {
                Ok(cfg) => cfg,
                Err(code) => return code,
            };
            if cli.read_only || cfg.read_only {
                let repository = cfg.repository.full_name();
                act.refuse(
                    pr,
                    Some(&repository),
                    "read-only",
                    &format!(
                        "read-only: deploy of {repository}#{pr} not sent (--read-only or read_only = true)"
                    ),
                );
                return ExitCode::from(2);
            }
            if let Some(code) = preflight(
                &runtime,
                act,
                &cfg,
                &ActionKind::Deploy(req.target).to_string(),
                pr,
            ) {
                return code;
            }
            return match runtime.block_on(launch::headless_deploy(&cfg, pr, req, yes, json)) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE,
                Err((code, message)) => {
                    eprintln!("kfops: {message}");
                    ExitCode::from(code)
                }
            };
        }
        Some(CliCommand::Runs { pr, json }) => {
            return headless(&cli, &runtime, Act::READ, "runs", pr, |cfg| {
                Box::pin(launch::headless_runs(cfg, pr, json))
            })
        }
        Some(CliCommand::Logs {
            pr,
            follow,
            all,
            no_color,
            json,
        }) => {
            let cfg = match load_config(&cli) {
                Ok(cfg) => cfg,
                Err(code) => return code,
            };
            if let Some(code) = preflight(&runtime, Act::READ, &cfg, "logs", pr) {
                return code;
            }
            let req = kfops_console::headless::logs::LogsRequest {
                pr,
                follow,
                all_builds: all,
                color: kfops_console::headless::use_color(no_color),
                json,
            };
            return match runtime.block_on(launch::headless_logs(&cfg, req)) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE,
                Err(e) => {
                    eprintln!("kfops: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        None => {
            let (cfg, warning) = match locate_and_load(&cli) {
                Ok(loaded) => loaded,
                Err(message) => {
                    eprintln!("kfops: {message}");
                    return ExitCode::from(2);
                }
            };
            runtime.block_on(launch::real(
                cfg,
                cli.read_only,
                warning,
                cli.project_choice(),
            ))
        }
    };
    // The console and the demo have cancelled their effects; blocking work still running (a
    // name lookup, a file read) is not waited for past this.
    runtime.shutdown_timeout(kfops_console::effects::tasks::QUIT_WAIT);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(report) => {
            if let Some(usage) = report.downcast_ref::<UsageError>() {
                eprintln!("kfops: {usage}");
                return ExitCode::from(2);
            }
            eprintln!("kfops: {report:?}");
            ExitCode::FAILURE
        }
    }
}

/// A headless command: loads the config (exit 2 when bad), refuses mutating commands in
/// read-only mode (exit 2), runs, and maps the outcome to 0 (success) / 1 (failure).
fn headless<F>(
    cli: &Cli,
    runtime: &tokio::runtime::Runtime,
    act: Act,
    what: &str,
    pr: u64,
    work: F,
) -> ExitCode
where
    F: for<'a> FnOnce(
        &'a config::Config,
    ) -> std::pin::Pin<
        Box<
            dyn std::future::Future<Output = Result<bool, kfops_console::backends::BackendError>>
                + 'a,
        >,
    >,
{
    let cfg = match load_config_for(cli, act, pr) {
        Ok(cfg) => cfg,
        Err(code) => return code,
    };
    if act.mutating && (cli.read_only || cfg.read_only) {
        let repository = cfg.repository.full_name();
        act.refuse(
            pr,
            Some(&repository),
            "read-only",
            &format!(
                "read-only: {what} on {repository}#{pr} not sent (--read-only or read_only = true)"
            ),
        );
        return ExitCode::from(2);
    }
    if let Some(code) = preflight(runtime, act, &cfg, what, pr) {
        return code;
    }
    match runtime.block_on(work(&cfg)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("kfops: {e}");
            ExitCode::FAILURE
        }
    }
}

/// What a headless command is, for its refusals: whether it changes anything, and (with
/// `--json`) the action whose final JSON object a refusal still prints on stdout.
#[derive(Debug, Clone, Copy)]
struct Act {
    mutating: bool,
    json: Option<ActionKind>,
}

impl Act {
    const READ: Act = Act {
        mutating: false,
        json: None,
    };

    fn action(kind: ActionKind, json: bool) -> Act {
        Act {
            mutating: true,
            json: json.then_some(kind),
        }
    }

    /// Says why the command stops before it starts: on stderr, and with `--json` as the final
    /// object on stdout (`step`: `config`, `read-only`, `token`, `pr`, `connect`), naming
    /// `repository` once one is chosen.
    fn refuse(self, pr: u64, repository: Option<&str>, step: &str, message: &str) {
        eprintln!("kfops: {message}");
        if let Some(kind) = self.json {
            let mut out = std::io::stdout();
            kfops_console::headless::json::failure(&mut out, pr, kind, repository, step, message);
        }
    }
}

/// The checks of a headless command before anything is sent (`headless::preflight`): a
/// GitHub token for an action (`what` on `pr`), then the PR in the repository. `Some` is the
/// exit code of a refusal, already said.
fn preflight(
    runtime: &tokio::runtime::Runtime,
    act: Act,
    cfg: &config::Config,
    what: &str,
    pr: u64,
) -> Option<ExitCode> {
    use kfops_console::headless::preflight;
    let refusal = act
        .mutating
        .then(|| preflight::token_refusal(cfg, what, pr))
        .flatten()
        .or_else(|| runtime.block_on(preflight::pr_found(cfg, pr)).err())?;
    let repository = cfg.repository.full_name();
    act.refuse(pr, Some(&repository), refusal.step, &refusal.message);
    Some(ExitCode::from(refusal.exit_code))
}

/// The config of the project a headless command acts on (`--project`, else the first): a
/// token file others can read is warned about on stderr.
fn load_config(cli: &Cli) -> Result<config::Config, ExitCode> {
    load_config_for(cli, Act::READ, 0)
}

/// [`load_config`] for command `act` on PR `pr` (a bad config or an unknown `--project` is
/// refused as `act` says, step `config`).
fn load_config_for(cli: &Cli, act: Act, pr: u64) -> Result<config::Config, ExitCode> {
    let refused = |message: &str| {
        act.refuse(pr, None, "config", message);
        ExitCode::from(2)
    };
    let (cfg, warning) = locate_and_load(cli).map_err(|message| refused(&message))?;
    if let Some(w) = warning {
        eprintln!("kfops: warning: {w}");
    }
    let project = cli.project_choice();
    let chosen = cfg.select_project(project.map(|p| p.name)).map_err(|e| {
        let source = project.map_or("--project", |p| p.source());
        refused(&format!("{source}: {e}"))
    })?;
    if cli.project.is_none() && cfg.projects.len() > 1 {
        eprintln!(
            "kfops: acting on {}, the first of the config's {} projects (choose one with --project \
             or $KFOPS_PROJECT)",
            chosen.repository.full_name(),
            cfg.projects.len()
        );
    }
    Ok(chosen)
}

/// The config from `--config` / `$KFOPS_CONFIG` / the default places, with the warning about
/// its permissions if any; an error is returned as its message (exit code 2 for the caller).
fn locate_and_load(cli: &Cli) -> Result<(config::Config, Option<String>), String> {
    config::locate(cli.config.as_deref())
        .and_then(|p| {
            let mut cfg = config::load(&p)?;
            cfg.override_context(cli.context.as_deref());
            let warning = config::token_file_warning(&p, &cfg);
            Ok((cfg, warning))
        })
        .map_err(|e| e.to_string())
}

/// Tracing never goes to the terminal the console draws on: `--log-file`, else the console
/// logs to `$XDG_STATE_HOME/kfops/kfops.log` and the other commands warn on stderr.
fn log_target(cli: &Cli) -> logging::LogTarget {
    if let Some(path) = &cli.log_file {
        return logging::LogTarget::File(path.clone());
    }
    match cli.command {
        None | Some(CliCommand::Demo { .. }) => match logging::default_log_file() {
            Some(path) if logging::open_log_file(&path).is_ok() => logging::LogTarget::File(path),
            _ => logging::LogTarget::Nowhere,
        },
        Some(_) => logging::LogTarget::StderrWarnings,
    }
}

/// `kfops bench …`: runs a load harness and prints its report.
async fn bench(what: &BenchCommand) -> color_eyre::Result<()> {
    match what {
        BenchCommand::Logs {
            streams,
            lines,
            line_bytes,
            kubectl,
            no_kubectl,
            json,
        } => {
            let bench = kfops_console::bench::logs::LogsBench {
                streams: *streams,
                lines: *lines,
                line_bytes: *line_bytes,
                kubectl: (!no_kubectl).then(|| kubectl.clone()),
            };
            let report = kfops_console::bench::logs::run(&bench).await?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", kfops_console::bench::logs::format(&report));
            }
            Ok(())
        }
    }
}

/// `kfops man [--dir DIR]`: the page on stdout, or one page per command written into DIR.
fn man(dir: Option<&std::path::Path>) -> color_eyre::Result<()> {
    match dir {
        None => print!("{}", kfops_console::cli_docs::man_page()?),
        Some(dir) => {
            for path in kfops_console::cli_docs::write_man_pages(dir)? {
                eprintln!("wrote {}", path.display());
            }
        }
    }
    Ok(())
}
