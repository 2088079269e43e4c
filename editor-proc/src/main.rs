//! `symphony-editor`: serves the xi front-end protocol over stdio or a local socket.

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use symphony_editor::core::{Core, Services};
use symphony_editor::server;

/// The Symphony text core: an xi-compatible editor process speaking JSON lines.
#[derive(Parser, Debug)]
#[command(name = "symphony-editor", version, about)]
struct Args {
    /// Serve on a local socket at PATH instead of stdio (default:
    /// $XDG_RUNTIME_DIR/symphony/editor.sock, else /tmp/symphony-$UID/editor.sock).
    /// The socket is 0600 in a directory that must be yours and closed to others;
    /// clients of another user are refused.
    #[arg(long, value_name = "PATH", num_args = 0..=1)]
    listen: Option<Option<PathBuf>>,
}

fn log_dir() -> Option<PathBuf> {
    let state = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))?;
    Some(state.join("symphony"))
}

/// The log file: private, rotated at 8 MB with 3 files kept, and the same message at
/// most 20 times a second (a client sending garbage cannot fill the disk).
fn init_logging() -> Option<symphony_logfile::WorkerGuard> {
    symphony_logfile::init(
        &log_dir()?,
        "symphony-editor.log",
        symphony_logfile::Options::default(),
    )
}

/// Where the shipped `.tmTheme` files are: `$SYMPHONY_THEMES_DIR`, next to the binary
/// (`../share/symphony/themes`), or the source tree's `themes/`.
fn themes_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("SYMPHONY_THEMES_DIR") {
        return Some(PathBuf::from(d));
    }
    let near_exe = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(|p| p.join("../share/symphony/themes")))
        .filter(|p| p.is_dir());
    near_exe.or_else(|| {
        let src = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../themes"));
        src.is_dir().then_some(src)
    })
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let _guard = init_logging();
    tracing::info!("symphony-editor {} starting", env!("CARGO_PKG_VERSION"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("tokio runtime")?;
    let themes = themes_dir();
    let mut core = None;
    rt.block_on(async {
        let (services, mut events) = Services::start(themes.as_deref());
        let core = core.insert(Core::with_services(services));
        if let Some(path) = symphony_editor::lsp::LspConfig::default_path() {
            core.load_user_config(&path);
        }
        match &args.listen {
            Some(path) => {
                let path = path
                    .clone()
                    .unwrap_or_else(server::socket::default_socket_path);
                server::serve_socket(core, &path, &mut events)
                    .await
                    .with_context(|| format!("listening on {}", path.display()))
            }
            None => server::serve_stdio(core, &mut events)
                .await
                .context("serving stdio"),
        }
    })?;
    tracing::info!("input closed, exiting");
    Ok(())
}
