//! The session commands of `symphony`: the default (attach to this directory's
//! session, starting its server first when there is none), `attach`, `new`, `ls` and
//! `kill-session`, and how a server is started (detached: its own session, standard
//! streams on /dev/null, logs in the log file).

use std::ffi::OsString;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use symphony_protocol::local_socket::{connect_own, remove_if_stale};
use symphony_protocol::session::{
    ClientMessage, ExitReason, Frame, ServerMessage, SessionInfo, read_frame, write_message,
};

use super::client::{AttachOptions, Ended, connect, run};
use super::{name_for_dir, sessions_dir, socket_path};

/// How long a new server gets to open its socket (the machine may be busy).
const START_WAIT: Duration = Duration::from_secs(30);

/// What starting a server passes on from the command line (`--editor`, `--config`).
#[derive(Debug, Clone, Default)]
pub struct ServerArgs {
    /// Arguments added to `symphony server`.
    pub extra: Vec<OsString>,
}

fn absolute(files: &[PathBuf]) -> Vec<PathBuf> {
    let cwd = std::env::current_dir().unwrap_or_default();
    files
        .iter()
        .map(|f| {
            if f.is_absolute() {
                f.clone()
            } else {
                cwd.join(f)
            }
        })
        .collect()
}

/// Starts the server of session `name` in `dir`, detached, opening `files`.
pub fn start_server(
    name: &str,
    dir: &Path,
    files: &[PathBuf],
    args: &ServerArgs,
) -> anyhow::Result<std::process::Child> {
    let exe = std::env::current_exe().context("locating the symphony program")?;
    let mut cmd = Command::new(exe);
    // The options of `symphony` itself go before the subcommand.
    cmd.args(&args.extra)
        .arg("server")
        .arg("--session")
        .arg(name)
        .arg("--dir")
        .arg(dir)
        .arg("--")
        .args(absolute(files))
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: setsid is async-signal-safe and touches nothing of the parent.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd.spawn().context("starting the session server")?;
    tracing::info!(pid = child.id(), session = name, "session server started");
    Ok(child)
}

/// Attaches to `name`, waiting up to `wait` for its socket (a server starting).
async fn attach_waiting(
    name: &str,
    opts: &AttachOptions,
    wait: Duration,
    mut server: Option<std::process::Child>,
) -> anyhow::Result<Ended> {
    let socket = socket_path(name);
    let deadline = Instant::now() + wait;
    let attached = loop {
        match connect(&socket, opts).await {
            Ok(a) => break a,
            Err(e) => {
                let retry = e.downcast_ref::<std::io::Error>().is_some_and(|io| {
                    matches!(
                        io.kind(),
                        std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
                    )
                });
                if !retry || Instant::now() > deadline {
                    return Err(e.context(format!("attaching to session {name}")));
                }
                // A server that could not start says why in the log.
                if let Some(Ok(Some(status))) = server.as_mut().map(|c| c.try_wait()) {
                    anyhow::bail!(
                        "the session server of {name} exited at once ({status}); \
                         its log: $XDG_STATE_HOME/symphony/symphony.log"
                    );
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    let session = attached.session.clone();
    let ended = run(attached, opts.mouse).await?;
    match &ended {
        Ended::Server(ExitReason::Detached) | Ended::TerminalGone => {
            eprintln!(
                "[detached from session {session}; `symphony attach -t {session}` brings it back]"
            );
        }
        Ended::Server(ExitReason::SessionEnded) => {}
        Ended::ServerLost => eprintln!(
            "symphony: the session server of {session} stopped; run symphony again \
             (the editor's journal keeps unsaved text)"
        ),
    }
    Ok(ended)
}

/// `symphony [FILES]`: attaches to the session of the current directory (or
/// `name`), starting its server first when nobody answers on its socket.
pub async fn attach_or_start(
    name: Option<String>,
    files: &[PathBuf],
    mouse: bool,
    args: &ServerArgs,
) -> anyhow::Result<()> {
    let dir = std::env::current_dir().context("the current directory")?;
    let name = name.unwrap_or_else(|| name_for_dir(&dir));
    let socket = socket_path(&name);
    remove_if_stale(&socket);
    let mut opts = AttachOptions {
        files: absolute(files),
        read_only: false,
        mouse,
    };
    let mut server = None;
    if !socket.exists() {
        server = Some(start_server(&name, &dir, files, args)?);
        // The server opens them itself (in its first window).
        opts.files.clear();
    }
    attach_waiting(&name, &opts, START_WAIT, server)
        .await
        .map(drop)
}

/// `symphony attach [-t NAME] [-r]`.
pub async fn attach(name: Option<String>, read_only: bool, mouse: bool) -> anyhow::Result<()> {
    let name = match name {
        Some(n) => n,
        None => {
            let here = name_for_dir(&std::env::current_dir().unwrap_or_default());
            if socket_path(&here).exists() {
                here
            } else {
                // tmux's rule: the most recently used session.
                let mut all = list().await;
                all.sort_by_key(|i| i.idle_secs);
                all.first()
                    .map(|i| i.name.clone())
                    .context("no session to attach to (`symphony ls` lists them)")?
            }
        }
    };
    let opts = AttachOptions {
        files: Vec::new(),
        read_only,
        mouse,
    };
    attach_waiting(&name, &opts, Duration::ZERO, None)
        .await
        .map(drop)
}

/// `symphony new -s NAME [DIR]`: starts the server (refused when it exists) and
/// attaches.
pub async fn new(
    name: &str,
    dir: Option<PathBuf>,
    mouse: bool,
    args: &ServerArgs,
) -> anyhow::Result<()> {
    let socket = socket_path(name);
    remove_if_stale(&socket);
    if socket.exists() {
        anyhow::bail!("session {name} exists (`symphony attach -t {name}`)");
    }
    let dir = match dir {
        Some(d) => d
            .canonicalize()
            .with_context(|| format!("{}", d.display()))?,
        None => std::env::current_dir().context("the current directory")?,
    };
    let server = start_server(name, &dir, &[], args)?;
    let opts = AttachOptions {
        files: Vec::new(),
        read_only: false,
        mouse,
    };
    attach_waiting(name, &opts, START_WAIT, Some(server))
        .await
        .map(drop)
}

/// Asks one session's socket a question.
async fn ask(socket: &Path, msg: &ClientMessage) -> anyhow::Result<ServerMessage> {
    let mut stream = connect_own(socket, "session server").await?;
    write_message(&mut stream, msg).await?;
    let answer = tokio::time::timeout(
        Duration::from_secs(10),
        read_frame::<ServerMessage>(&mut stream),
    )
    .await
    .context("the session did not answer")??;
    match answer {
        Some(Frame::Message(m)) => Ok(m),
        _ => anyhow::bail!("the session closed the connection"),
    }
}

/// Every live session (stale sockets are removed on the way).
pub async fn list() -> Vec<SessionInfo> {
    let Ok(dir) = std::fs::read_dir(sessions_dir()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in dir.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "sock") || remove_if_stale(&path) {
            continue;
        }
        match ask(&path, &ClientMessage::Query).await {
            Ok(ServerMessage::Info(info)) => out.push(info),
            Ok(other) => tracing::warn!(path = %path.display(), "ls: answered {other:?}"),
            Err(e) => tracing::warn!(path = %path.display(), "ls: {e:#}"),
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// "3s", "4m", "2h", "5d".
fn idle(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// `symphony ls`: one line a session.
pub fn format_list(sessions: &[SessionInfo]) -> String {
    if sessions.is_empty() {
        return "no sessions\n".into();
    }
    let mut out = String::from("NAME\tCLIENTS\tBUFFERS\tUNSAVED\tRUNS\tIDLE\tDIR\n");
    for s in sessions {
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            s.name,
            s.clients,
            s.buffers,
            s.unsaved,
            s.runs,
            idle(s.idle_secs),
            s.dir.display()
        ));
    }
    out
}

/// `symphony kill-session -t NAME [-f]`: the exit code and what to print.
pub async fn kill(name: &str, force: bool) -> anyhow::Result<(bool, String)> {
    let socket = socket_path(name);
    if remove_if_stale(&socket) || !socket.exists() {
        anyhow::bail!("no session {name} (`symphony ls` lists them)");
    }
    match ask(&socket, &ClientMessage::Kill { force }).await? {
        ServerMessage::Killed => Ok((true, format!("session {name} ended\n"))),
        ServerMessage::Unsaved { buffers } => Ok((
            false,
            format!(
                "session {name} has unsaved buffers: {}; save them, or `symphony \
                 kill-session -t {name} -f` (the editor's journal keeps them)\n",
                buffers.join(", ")
            ),
        )),
        other => anyhow::bail!("session {name} answered {other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ls_shows_each_session_on_a_line() {
        let s = SessionInfo {
            name: "w-1a2b".into(),
            dir: "/w".into(),
            pid: 1,
            clients: 1,
            buffers: 3,
            unsaved: 1,
            runs: 2,
            idle_secs: 125,
        };
        assert_eq!(
            format_list(&[s]),
            "NAME\tCLIENTS\tBUFFERS\tUNSAVED\tRUNS\tIDLE\tDIR\nw-1a2b\t1\t3\t1\t2\t2m\t/w\n"
        );
        assert_eq!(format_list(&[]), "no sessions\n");
    }
}
