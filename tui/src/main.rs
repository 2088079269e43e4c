//! `symphony`: the terminal client binary. Parses the command line, loads the
//! config, starts logging and runs the client loop.

mod ext_cli;

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use symphony_tui::app::run::{RunOptions, run};
use symphony_tui::config::{Config, config_path, default_config_text};
use symphony_tui::session::EditorTarget;

/// Symphony: a terminal code editor (run it over SSH).
#[derive(Debug, Parser)]
#[command(
    name = "symphony",
    version,
    about = "Symphony: a terminal code editor (run it over SSH). Ctrl-P lists every command.",
    after_help = "Config: $XDG_CONFIG_HOME/symphony/config.toml (see --print-default-config).\n\
                  Logs: $XDG_STATE_HOME/symphony/symphony.log (RUST_LOG honoured).\n\
                  Extensions: searched in extensions/ next to this program, \
                  $XDG_DATA_HOME/symphony/extensions/ and ./.symphony/extensions/ (the \
                  latter only run once the workspace is trusted: `symphony trust`); \
                  enabled/disabled and grants saved in $XDG_CONFIG_HOME/symphony/extensions.toml."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Files to open (the first in window 1, one window each).
    files: Vec<PathBuf>,
    /// Connect to a running symphony-editor on this local socket instead of starting one
    /// (`symphony-editor --listen` serves on $XDG_RUNTIME_DIR/symphony/editor.sock by
    /// default). A socket that belongs to, or is served by, another user is refused.
    #[arg(long, value_name = "SOCKET")]
    connect: Option<PathBuf>,
    /// The symphony-editor program to start (default: next to this program, else on PATH).
    #[arg(long, value_name = "PATH")]
    editor: Option<PathBuf>,
    /// Print a complete commented default config.toml and exit.
    #[arg(long)]
    print_default_config: bool,
    /// Use this config file instead of $XDG_CONFIG_HOME/symphony/config.toml.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

/// Commands other than opening files.
#[derive(Debug, Subcommand)]
enum Command {
    /// Manage extensions: list, info ID, enable ID, disable ID, install PATH (settings in
    /// $XDG_CONFIG_HOME/symphony/extensions.toml).
    #[command(subcommand)]
    Ext(ext_cli::ExtCommand),
    /// Trust a workspace (default: the current folder) so its own extensions
    /// (.symphony/extensions) may run; --revoke takes the trust back.
    Trust {
        /// The workspace folder.
        dir: Option<PathBuf>,
        /// Revoke the trust instead: its extensions stay inert.
        #[arg(long)]
        revoke: bool,
    },
    /// Search every file under DIR (default: here) for PATTERN, as the project search
    /// picker does (regex, smart case, .gitignore honoured); prints path:line:column:text.
    Search {
        /// The regular expression (searched as text when it is not a valid one).
        pattern: String,
        /// The folder to search.
        dir: Option<PathBuf>,
    },
}

/// `symphony-editor` next to the current executable, else the bare name (PATH).
fn default_editor() -> PathBuf {
    let name = "symphony-editor";
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join(name)))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from(name))
}

/// Why the editor cannot start here, when standard input or output is not a
/// terminal (a pipe, a file, `/dev/null`, a job without a tty).
fn not_a_terminal() -> Option<&'static str> {
    use std::io::IsTerminal as _;
    if !std::io::stdin().is_terminal() {
        Some("standard input")
    } else if !std::io::stdout().is_terminal() {
        Some("standard output")
    } else {
        None
    }
}

fn main() -> std::process::ExitCode {
    match run_cli() {
        Ok(code) => code,
        Err(e) => {
            // One readable line, no backtrace; the details are in the log.
            eprintln!("symphony: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run_cli() -> anyhow::Result<std::process::ExitCode> {
    let cli = Cli::parse();
    match &cli.command {
        Some(Command::Ext(cmd)) => return Ok(std::process::ExitCode::from(ext_cli::run(cmd))),
        Some(Command::Trust { dir, revoke }) => {
            return Ok(std::process::ExitCode::from(ext_cli::trust(
                dir.clone(),
                *revoke,
            )));
        }
        Some(Command::Search { pattern, dir }) => {
            let dir = dir.clone().unwrap_or_else(|| PathBuf::from("."));
            return Ok(std::process::ExitCode::from(
                symphony_tui::search::print_search(pattern, &dir),
            ));
        }
        None => {}
    }
    if cli.print_default_config {
        print!("{}", default_config_text());
        return Ok(std::process::ExitCode::SUCCESS);
    }
    if let Some(stream) = not_a_terminal() {
        eprintln!(
            "symphony: {stream} is not a terminal; run symphony in a terminal \
             (`symphony --help` lists the commands that work without one)"
        );
        return Ok(std::process::ExitCode::FAILURE);
    }
    let _log = symphony_tui::logging::init();
    let (config, config_error) = match cli.config.clone().or_else(config_path) {
        Some(path) => Config::load(&path),
        None => (Config::default(), None),
    };
    if let Some(e) = &config_error {
        tracing::warn!("{e}");
    }
    // Every configured key is known (redacted, kept from children) before anything starts.
    for var in config
        .conductor
        .instruments
        .iter()
        .filter_map(|i| i.api_key_env.as_deref())
    {
        symphony_conductor::instruments::secret::register_var(var);
    }
    let target = match cli.connect {
        Some(socket) => EditorTarget::Connect { socket },
        None => EditorTarget::Spawn {
            program: cli.editor.unwrap_or_else(default_editor),
        },
    };
    tracing::info!(?target, files = cli.files.len(), "starting");
    // One thread: a keystroke's way to the editor and back crosses no
    // thread boundary inside the client (measured: lower and steadier
    // keystroke latency than a 2-worker pool on a busy machine).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let result = runtime.block_on(run(RunOptions {
        config,
        config_error,
        files: cli.files,
        target,
    }));
    // The session's tasks may hold blocking reads: do not wait for them.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    if let Err(e) = &result {
        tracing::error!("{e:#}");
    }
    result.map(|()| std::process::ExitCode::SUCCESS)
}
