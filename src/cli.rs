//! The command line (clap): the console by default, `demo`, `sim`, and headless commands.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::config::{ProjectChoice, PROJECT_ENV_VAR};

/// kfops-console: the operator's terminal console for the Kfops MLOps workflow.
///
/// Without a subcommand it opens the console on the real services named in the config file:
/// the open pull requests of the model repository, their build logs, pipeline run graphs and
/// deployment targets, with keys that issue the same /build, /run and /deploy actions as the
/// Kfops chat commands.
#[derive(Debug, Parser)]
#[command(name = "kfops", version, about, long_about, propagate_version = true)]
#[command(
    after_help = "Config lookup order: --config, $KFOPS_CONFIG, ./kfops.toml, \
$XDG_CONFIG_HOME/kfops/config.toml.\nGitHub token: $GITHUB_TOKEN or $GH_TOKEN (see [github] token_env).\n\
Audit log of actions: $XDG_STATE_HOME/kfops/audit.jsonl ([audit] path, $KFOPS_AUDIT_LOG).\n\
Several repositories ([[projects]]): --project OWNER/NAME or $KFOPS_PROJECT picks one (default: \
the first; `check` checks every one).\n\
Try it without a cluster: kfops demo"
)]
pub struct Cli {
    /// The config file (overrides $KFOPS_CONFIG and the default locations).
    #[arg(long, short = 'c', global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Send no mutating request at all: every action key only says what it would do.
    #[arg(long, global = true)]
    pub read_only: bool,

    /// Write diagnostic logs (tracing, filtered by RUST_LOG) to this file. Default: the console
    /// logs to $XDG_STATE_HOME/kfops/kfops.log, never to the terminal; other commands print
    /// warnings on stderr.
    #[arg(long, global = true, value_name = "FILE")]
    pub log_file: Option<PathBuf>,

    /// The project (`[[projects]]` entry) to act on, as the console's project switcher (`P`)
    /// names it: its repository OWNER/NAME, or NAME alone when no other project has that name
    /// (case-insensitive). Without it the headless commands act on the first project (with
    /// several, a note on stderr names it), `check` checks every project and the console shows
    /// every project. An unknown or ambiguous name exits 2 listing the config's projects. For
    /// the console, `demo`, `check` and the headless commands. $KFOPS_PROJECT gives it when the
    /// option is absent (like gh's GH_REPO; not for `demo`, and ignored by commands that act on
    /// no project); the option wins.
    #[arg(long, global = true, value_name = "OWNER/NAME", env = PROJECT_ENV_VAR)]
    pub project: Option<String>,

    /// The kubeconfig context to use (overrides `[cluster] context`; default: the
    /// kubeconfig's current-context). Like kubectl: $KUBECONFIG (several files separated by
    /// `:`, merged) else ~/.kube/config, with exec plugins; without a kubeconfig, the in-cluster
    /// service account. Ignored when `[cluster] server` is set.
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,

    /// Whether `project` came from $KFOPS_PROJECT rather than the command line (set by
    /// [`Cli::parse_args`]).
    #[arg(skip)]
    pub project_from_env: bool,

    #[command(subcommand)]
    pub command: Option<CliCommand>,
}

#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// Open the console on the embedded simulated environment (no cluster, no token needed).
    ///
    /// Starts the simulated GitHub, Kubernetes and KFP APIs on a loopback port inside this
    /// process and points the console at them, with the demo model repository
    /// `acme-ml/churn-model` and its open pull requests.
    Demo {
        /// A scenario file instead of the embedded demo scenario.
        #[arg(long, value_name = "FILE")]
        scenario: Option<PathBuf>,
    },
    /// Serve the simulated environment alone, so other clients (kubectl, curl, the KFP SDK,
    /// another kfops) can use it. Prints the base URLs and runs until Ctrl-C.
    Sim {
        /// Address to listen on (use port 0 for any free port).
        #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
        listen: SocketAddr,
        /// A scenario file instead of the embedded demo scenario.
        #[arg(long, value_name = "FILE")]
        scenario: Option<PathBuf>,
    },
    /// Run /build on a PR without the console: compile-and-upload the pipeline, build the
    /// images in the cluster, comment on the PR. Prints progress; exit 0 on success, 1 on failure.
    Build {
        /// The pull request number.
        #[arg(long, value_name = "N", value_parser = pr_number)]
        pr: u64,
        /// JSON lines on stdout: one object per progress event, then a final
        /// {"ok", "pr", "action", "repository", …, "error": {"step", "message"}}; warnings on
        /// stderr.
        #[arg(long)]
        json: bool,
    },
    /// Run /run on a PR: start a KFP run of the PR's last built version (or --version-id),
    /// creating the experiment when missing, and comment on the PR. With --wait, follow it to
    /// the end (completion comment with the run ID); exit 0 on success, 1 on failure.
    Run {
        /// The pull request number.
        #[arg(long, value_name = "N", value_parser = pr_number)]
        pr: u64,
        /// The pipeline version to run instead of the PR's last KFOPS_VERSION_ID.
        #[arg(long, value_name = "ID")]
        version_id: Option<String>,
        /// Wait for the run to end and post the completion comment.
        #[arg(long)]
        wait: bool,
        /// JSON lines on stdout: one object per progress event, then a final
        /// {"ok", "pr", "action", "repository", …, "error": {"step", "message"}}; warnings on
        /// stderr.
        #[arg(long)]
        json: bool,
    },
    /// Run /build_run on a PR: build, then run the new version and wait for it.
    BuildRun {
        /// The pull request number.
        #[arg(long, value_name = "N", value_parser = pr_number)]
        pr: u64,
        /// JSON lines on stdout: one object per progress event, then a final
        /// {"ok", "pr", "action", "repository", …, "error": {"step", "message"}}; warnings on
        /// stderr.
        #[arg(long)]
        json: bool,
    },
    /// List a PR's pipeline runs (state, start, duration, run ID), newest first.
    Runs {
        /// The pull request number.
        #[arg(long, value_name = "N", value_parser = pr_number)]
        pr: u64,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Deploy a PR's model like /deploy (production) or /staging_deploy (--staging): the run
    /// from --run-id or the PR's last KFOPS_RUN_ID. Production refuses a PR behind its base
    /// without --force, asks on a terminal unless --yes, then merges and closes the PR.
    Deploy {
        /// The pull request number.
        #[arg(long, value_name = "N", value_parser = pr_number)]
        pr: u64,
        /// Deploy to staging instead of production.
        #[arg(long)]
        staging: bool,
        /// The run whose model to deploy (default: the PR's last completed run).
        #[arg(long, value_name = "ID")]
        run_id: Option<String>,
        /// Deploy to production even when the PR is behind its base branch.
        #[arg(long)]
        force: bool,
        /// Deploy a run built for this other PR (the run must say it was built for PR N);
        /// without it such a run is refused. --force does not imply it.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        allow_run_of_pr: Option<u64>,
        /// Do not ask (needed for production when not on a terminal).
        #[arg(long, short = 'y')]
        yes: bool,
        /// JSON lines on stdout: one object per progress event, then a final
        /// {"ok", "pr", "action", "repository", …, "error": {"step", "message"}}; warnings on
        /// stderr.
        #[arg(long)]
        json: bool,
    },
    /// Print the build logs of a PR's pods (the newest build), like stern: one coloured prefix
    /// per image. Colour only on a terminal.
    Logs {
        /// The pull request number.
        #[arg(long, value_name = "N", value_parser = pr_number)]
        pr: u64,
        /// Keep streaming until the pods finish.
        #[arg(long, short = 'f')]
        follow: bool,
        /// Every build of the PR, oldest first, not only the newest.
        #[arg(long)]
        all: bool,
        /// No colours, even on a terminal.
        #[arg(long)]
        no_color: bool,
        /// JSON lines on stdout: {"pod", "image", "time", "text"} per log line and
        /// {"pod", "image", "status"} when a stream reconnects, restarts or fails.
        #[arg(long)]
        json: bool,
    },
    /// Check the setup and say what to fix: the config file, the GitHub token (user, scopes,
    /// push access), the cluster (reachable, RBAC per namespace), the KFP API, the namespaces
    /// and the InferenceService CRD. Exit 0 when all pass, 1 when one fails, 2 when the config
    /// is unusable.
    Check {
        /// JSON instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// Print the documented example config file (every key, with comments).
    ExampleConfig,
    /// Print the shell completion script for kfops, e.g.
    /// `kfops completions bash > ~/.local/share/bash-completion/completions/kfops`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `kfops man | man -l -`; with --dir, write kfops.1 and
    /// one kfops-<command>.1 per command into that directory.
    Man {
        /// Write one page per command into this directory instead of printing.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// The key bindings as a Markdown table (docs/KEYBINDINGS.md is generated from it).
    #[command(hide = true)]
    Keys {
        /// Markdown (the only format so far).
        #[arg(long)]
        markdown: bool,
    },
    /// Load harnesses (numbers for docs/PERFORMANCE.md).
    Bench {
        #[command(subcommand)]
        what: BenchCommand,
    },
}

/// A PR number: GitHub numbers issues and PRs from 1, so 0 is refused by the parser.
fn pr_number(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(0) => Err("PR numbers start at 1".to_owned()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

impl Cli {
    /// Parses the process's arguments (and $KFOPS_PROJECT) like [`Parser::parse`], noting
    /// where `--project` came from; exits on bad input as clap does.
    pub fn parse_args() -> Cli {
        Cli::try_parse_args_from(std::env::args_os()).unwrap_or_else(|e| e.exit())
    }

    /// [`Cli::parse_args`] on `args`, the error returned.
    pub fn try_parse_args_from<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let mut command = Cli::command();
        let matches = command.try_get_matches_from_mut(args)?;
        let mut cli = Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut command))?;
        cli.project_from_env = matches.value_source("project") == Some(ValueSource::EnvVariable);
        // An empty variable counts as unset (as an empty $KFOPS_CONFIG does).
        if cli.project_from_env && cli.project.as_deref().is_some_and(|p| p.trim().is_empty()) {
            cli.project = None;
            cli.project_from_env = false;
        }
        Ok(cli)
    }

    /// The project named by `--project`, else by $KFOPS_PROJECT.
    pub fn project_choice(&self) -> Option<ProjectChoice<'_>> {
        self.project.as_deref().map(|name| ProjectChoice {
            name,
            from_env: self.project_from_env,
        })
    }

    /// The project named on the command line only (`kfops demo`: the variable names a project
    /// of the user's config, not of the demo's).
    pub fn project_option(&self) -> Option<ProjectChoice<'_>> {
        self.project_choice().filter(|p| !p.from_env)
    }
}

impl CliCommand {
    /// Whether `--project` means something to this command (the console, without a
    /// subcommand, takes it too).
    pub fn takes_project(&self) -> bool {
        match self {
            CliCommand::Demo { .. }
            | CliCommand::Build { .. }
            | CliCommand::Run { .. }
            | CliCommand::BuildRun { .. }
            | CliCommand::Runs { .. }
            | CliCommand::Deploy { .. }
            | CliCommand::Logs { .. }
            | CliCommand::Check { .. } => true,
            CliCommand::Sim { .. }
            | CliCommand::ExampleConfig
            | CliCommand::Completions { .. }
            | CliCommand::Man { .. }
            | CliCommand::Keys { .. }
            | CliCommand::Bench { .. } => false,
        }
    }
}

/// What `kfops bench` measures.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Flood pods in a simulator process, then read their logs with the console's ingestion
    /// path and with `kubectl logs -f` processes; print lines/s, CPU seconds and peak memory
    /// of each side and their ratios.
    Logs {
        /// Pods flooding at once.
        #[arg(long, default_value_t = 8)]
        streams: usize,
        /// Lines per pod.
        #[arg(long, default_value_t = 125_000)]
        lines: u64,
        /// Bytes per line.
        #[arg(long, default_value_t = 100)]
        line_bytes: usize,
        /// The kubectl to compare with.
        #[arg(long, default_value = "kubectl", value_name = "PATH")]
        kubectl: PathBuf,
        /// Measure the console side only.
        #[arg(long)]
        no_kubectl: bool,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn project_is_global_before_or_after_the_subcommand() {
        for args in [
            ["kfops", "--project", "acme/fraud", "build", "--pr", "7"],
            ["kfops", "build", "--pr", "7", "--project", "acme/fraud"],
        ] {
            let cli = Cli::try_parse_args_from(args).unwrap();
            assert_eq!(cli.project.as_deref(), Some("acme/fraud"), "{args:?}");
            let choice = cli.project_option().unwrap();
            assert_eq!(choice.source(), "--project");
            assert!(!cli.project_from_env);
            assert!(cli.command.is_some_and(|c| c.takes_project()));
        }
        let cli = Cli::try_parse_from(["kfops", "sim", "--project", "x"]).unwrap();
        assert!(cli.command.is_some_and(|c| !c.takes_project()));
    }

    #[test]
    fn a_project_from_the_variable_is_not_the_demos_nor_a_reason_to_refuse() {
        let mut cli =
            Cli::try_parse_args_from(["kfops", "--project", "acme/fraud", "demo"]).unwrap();
        // As `parse_args` marks a value clap took from $KFOPS_PROJECT.
        cli.project_from_env = true;
        let choice = cli.project_choice().unwrap();
        assert_eq!(
            (choice.name, choice.source()),
            ("acme/fraud", "$KFOPS_PROJECT")
        );
        assert_eq!(
            cli.project_option(),
            None,
            "demo and the refusals see the option only"
        );
    }

    #[test]
    fn pr_zero_is_refused_by_the_parser() {
        for command in ["build", "run", "build-run", "runs", "deploy", "logs"] {
            let err = Cli::try_parse_args_from(["kfops", command, "--pr", "0"]).unwrap_err();
            assert_eq!(
                err.kind(),
                clap::error::ErrorKind::ValueValidation,
                "{command}"
            );
            assert!(err.to_string().contains("PR numbers start at 1"), "{err}");
            assert!(Cli::try_parse_args_from(["kfops", command, "--pr", "1"]).is_ok());
        }
    }

    #[test]
    fn sim_parses_listen_address() {
        let cli = Cli::try_parse_from(["kfops", "sim", "--listen", "127.0.0.1:0"]).unwrap();
        assert!(matches!(cli.command, Some(CliCommand::Sim { listen, .. }) if listen.port() == 0));
    }
}
