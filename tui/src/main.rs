//! `symphony`: the terminal client binary. Parses the command line, loads the
//! config, starts logging and runs the client loop.

mod ext_cli;

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use symphony_tui::app::run::{Mode, RunOptions, run_in};
use symphony_tui::config::{Config, config_path, default_config_text};
use symphony_tui::session::EditorTarget;
use symphony_tui::session_server::cli::ServerArgs;

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
    /// Run in this terminal only, without a session server (no detach; also
    /// SYMPHONY_NO_SERVER=1).
    #[arg(long)]
    no_server: bool,
    /// The session to attach to or create (default: named for this directory).
    #[arg(short = 's', long = "session", value_name = "NAME")]
    session: Option<String>,
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
    /// List the sessions: name, clients attached, buffers, unsaved buffers, AI runs in
    /// progress, idle time, directory.
    Ls,
    /// Attach to a session (default: this directory's, else the most recent one).
    Attach {
        /// The session.
        #[arg(short = 't', value_name = "NAME")]
        target: Option<String>,
        /// Watch only: keys are not applied.
        #[arg(short = 'r')]
        read_only: bool,
    },
    /// Start a session named NAME in DIR (default: here) and attach to it.
    New {
        /// The session's name.
        #[arg(short = 's', value_name = "NAME")]
        name: String,
        /// Its working directory.
        dir: Option<PathBuf>,
    },
    /// End a session (refused while buffers are unsaved, unless -f: the editor's
    /// journal still keeps them).
    KillSession {
        /// The session.
        #[arg(short = 't', value_name = "NAME")]
        target: String,
        /// End it even with unsaved buffers.
        #[arg(short = 'f')]
        force: bool,
    },
    /// The session server (started by `symphony`; not for typing).
    #[command(hide = true)]
    Server {
        /// Its name.
        #[arg(long)]
        session: String,
        /// Its working directory.
        #[arg(long)]
        dir: PathBuf,
        /// Files to open.
        files: Vec<PathBuf>,
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
        Some(Command::Ls) => {
            let runtime = small_runtime()?;
            let sessions = runtime.block_on(symphony_tui::session_server::cli::list());
            print!(
                "{}",
                symphony_tui::session_server::cli::format_list(&sessions)
            );
            return Ok(std::process::ExitCode::SUCCESS);
        }
        Some(Command::KillSession { target, force }) => {
            check_name(target)?;
            let runtime = small_runtime()?;
            let (ok, text) =
                runtime.block_on(symphony_tui::session_server::cli::kill(target, *force))?;
            print!("{text}");
            return Ok(if ok {
                std::process::ExitCode::SUCCESS
            } else {
                std::process::ExitCode::FAILURE
            });
        }
        Some(Command::Server {
            session,
            dir,
            files,
        }) => return serve(&cli, session, dir, files),
        Some(Command::Attach { .. } | Command::New { .. }) | None => {}
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
    let no_server = cli.no_server
        || std::env::var_os(symphony_tui::session_server::NO_SERVER_ENV).is_some_and(|v| v == "1");
    let session_command = matches!(
        cli.command,
        Some(Command::Attach { .. } | Command::New { .. })
    );
    if session_command || (!no_server && cli.connect.is_none()) {
        return client(&cli);
    }
    let (config, config_error) = load_config(&cli);
    let target = target(&cli);
    tracing::info!(?target, files = cli.files.len(), "starting");
    run_loop(
        RunOptions {
            config,
            config_error,
            files: cli.files.clone(),
            target,
        },
        Mode::Local,
    )
}

/// A one-thread runtime for the small commands.
fn small_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn check_name(name: &str) -> anyhow::Result<()> {
    symphony_tui::session_server::check_name(name).map_err(anyhow::Error::msg)
}

/// `--editor` and `--config`, passed on to a session server started from here.
fn server_args(cli: &Cli) -> ServerArgs {
    let mut extra = Vec::new();
    if let Some(e) = &cli.editor {
        extra.push("--editor".into());
        extra.push(absolute(e).into());
    }
    if let Some(c) = &cli.config {
        extra.push("--config".into());
        extra.push(absolute(c).into());
    }
    ServerArgs { extra }
}

fn absolute(p: &std::path::Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    }
}

/// The thin client: `symphony [FILES]`, `attach`, `new`.
fn client(cli: &Cli) -> anyhow::Result<std::process::ExitCode> {
    use symphony_tui::session_server::cli as sessions;
    // Only the mouse setting matters here; the server reads the whole config.
    let (config, _) = load_config(cli);
    let mouse = config.mouse;
    let runtime = small_runtime()?;
    let args = server_args(cli);
    let done = match &cli.command {
        Some(Command::Attach { target, read_only }) => {
            if let Some(t) = target {
                check_name(t)?;
            }
            runtime.block_on(sessions::attach(target.clone(), *read_only, mouse))
        }
        Some(Command::New { name, dir }) => {
            check_name(name)?;
            runtime.block_on(sessions::new(name, dir.clone(), mouse, &args))
        }
        _ => {
            if let Some(s) = &cli.session {
                check_name(s)?;
            }
            runtime.block_on(sessions::attach_or_start(
                cli.session.clone(),
                &cli.files,
                mouse,
                &args,
            ))
        }
    };
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    done.map(|()| std::process::ExitCode::SUCCESS)
}

/// `symphony server`: the session server, detached from any terminal.
fn serve(
    cli: &Cli,
    session: &str,
    dir: &std::path::Path,
    files: &[PathBuf],
) -> anyhow::Result<std::process::ExitCode> {
    check_name(session)?;
    std::env::set_current_dir(dir).with_context(|| format!("{}", dir.display()))?;
    let _log = symphony_tui::logging::init();
    let socket = symphony_tui::session_server::socket_path(session);
    symphony_protocol::local_socket::remove_if_stale(&socket);
    if socket.exists() {
        anyhow::bail!("session {session} is running already");
    }
    let (config, config_error) = load_config(cli);
    let target = target(cli);
    tracing::info!(?target, session, dir = %dir.display(), "session server starting");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let listener = {
        let _enter = runtime.enter();
        symphony_protocol::local_socket::bind(&socket)
            .with_context(|| format!("listening on {}", socket.display()))?
    };
    let result = runtime.block_on(run_in(
        RunOptions {
            config,
            config_error,
            files: files.to_vec(),
            target,
        },
        Mode::Server {
            listener,
            name: session.to_owned(),
        },
    ));
    let _ = std::fs::remove_file(&socket);
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    if let Err(e) = &result {
        tracing::error!("{e:#}");
    }
    tracing::info!(session, "session server done");
    result.map(|()| std::process::ExitCode::SUCCESS)
}

fn load_config(cli: &Cli) -> (Config, Option<symphony_tui::config::ConfigError>) {
    let (config, config_error) = match cli.config.clone().or_else(config_path) {
        Some(path) => Config::load(&path),
        None => (Config::default(), None),
    };
    if let Some(e) = &config_error {
        tracing::warn!("{e}");
    }
    register_keys(&config);
    (config, config_error)
}

fn register_keys(config: &Config) {
    // Every configured key is known (redacted, kept from children) before anything starts.
    for var in config
        .conductor
        .instruments
        .iter()
        .filter_map(|i| i.api_key_env.as_deref())
    {
        symphony_conductor::backends::secret::register_var(var);
    }
}

fn target(cli: &Cli) -> EditorTarget {
    match &cli.connect {
        Some(socket) => EditorTarget::Connect {
            socket: socket.clone(),
        },
        None => EditorTarget::Spawn {
            program: cli.editor.clone().unwrap_or_else(default_editor),
        },
    }
}

fn run_loop(opts: RunOptions, mode: Mode) -> anyhow::Result<std::process::ExitCode> {
    // One thread: a keystroke's way to the editor and back crosses no
    // thread boundary inside the client (measured: lower and steadier
    // keystroke latency than a 2-worker pool on a busy machine).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let result = runtime.block_on(run_in(opts, mode));
    // The session's tasks may hold blocking reads: do not wait for them.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    if let Err(e) = &result {
        tracing::error!("{e:#}");
    }
    result.map(|()| std::process::ExitCode::SUCCESS)
}
