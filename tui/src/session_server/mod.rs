//! Sessions that outlive the terminal (tmux's design, adapted): a session server
//! (`symphony server`, detached) runs the client loop with everything it owns (the
//! editor process, the Conductor, language servers, extensions, runs); thin clients
//! attach over a local socket, forward their terminal's events and write the bytes
//! the server draws for them. Detaching (prefix `d`, SIGHUP, a closed terminal) ends
//! the client only.
//!
//! - [`screens`]: one screen per attached client (its own size and bytes).
//! - [`listen`]: the socket, the handshake, each client's messages.
//! - [`control`]: what the loop does with attaches, detaches, `ls` and `kill-session`.
//! - [`client`]: the thin client.
//! - [`cli`]: `symphony` (attach or start), `ls`, `attach`, `new`, `kill-session`.

pub mod cli;
pub mod client;
pub mod control;
pub mod listen;
pub mod screens;

use std::io;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crossterm::event::Event;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::terminal::TerminalInput;
use listen::ServerInput;
use screens::ClientId;

/// Set to `1` (or pass `--no-server`) to run in-process, as before sessions.
pub const NO_SERVER_ENV: &str = "SYMPHONY_NO_SERVER";

/// `$XDG_RUNTIME_DIR/symphony/sessions` (or `/tmp/symphony-$UID/sessions`).
pub fn sessions_dir() -> PathBuf {
    symphony_protocol::local_socket::runtime_dir().join("sessions")
}

/// The socket of session `name`.
pub fn socket_path(name: &str) -> PathBuf {
    sessions_dir().join(format!("{name}.sock"))
}

/// The session name of `dir`: its base name and a short hash of its whole path
/// (two `src` folders get two sessions).
pub fn name_for_dir(dir: &Path) -> String {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    // FNV-1a: stable across builds (std's hasher is not promised to be).
    let mut h: u32 = 0x811c_9dc5;
    for b in dir.as_os_str().as_encoded_bytes() {
        h ^= u32::from(*b);
        h = h.wrapping_mul(0x0100_0193);
    }
    let base: String = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "root".into())
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    format!("{base}-{:04x}", h & 0xffff)
}

/// Why a session name given with `-s`/`-t` is not usable, if it is not.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a session name: use letters, digits, '-', '_' and '.' \
             (at most 64, not starting with '.')"
        ))
    }
}

/// What the session server knows of itself for `symphony ls`.
#[derive(Debug)]
pub struct SessionMeta {
    /// Its name.
    pub name: String,
    /// When a client last typed (or attached).
    pub last_input: Instant,
}

/// Where the loop's input comes from.
#[derive(Debug)]
pub enum Inputs {
    /// In-process: the terminal.
    Terminal(TerminalInput),
    /// A session server: its clients.
    Server {
        /// What clients ask.
        rx: UnboundedReceiver<ServerInput>,
        /// About the session.
        meta: SessionMeta,
    },
}

/// The next input of the loop.
#[derive(Debug)]
pub enum Next {
    /// A terminal event, of a client (`Some`) or of the terminal (`None`).
    Event(Option<ClientId>, Event),
    /// Something else a client asked.
    Control(ServerInput),
    /// The terminal failed.
    Failed(io::Error),
    /// The terminal is gone.
    End,
}

impl Inputs {
    /// The next input.
    pub async fn next(&mut self) -> Next {
        match self {
            Inputs::Terminal(t) => match t.next().await {
                Some(Ok(ev)) => Next::Event(None, ev),
                Some(Err(e)) => Next::Failed(e),
                None => Next::End,
            },
            Inputs::Server { rx, meta } => match rx.recv().await {
                Some(ServerInput::Event { id, event }) => {
                    meta.last_input = Instant::now();
                    Next::Event(Some(id), event)
                }
                Some(other) => Next::Control(other),
                None => std::future::pending().await,
            },
        }
    }

    /// Whether this is a session server (SIGHUP does not end it).
    pub fn is_server(&self) -> bool {
        matches!(self, Inputs::Server { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_names_its_session_by_base_name_and_path_hash() {
        let a = name_for_dir(Path::new("/nonexistent/one/src"));
        let b = name_for_dir(Path::new("/nonexistent/two/src"));
        assert!(a.starts_with("src-") && b.starts_with("src-"), "{a} {b}");
        assert_ne!(a, b);
        assert_eq!(a, name_for_dir(Path::new("/nonexistent/one/src")));
        assert!(check_name(&a).is_ok());
        assert!(name_for_dir(Path::new("/nonexistent/a b/x.y")).starts_with("x_y-"));
    }

    #[test]
    fn session_names_that_could_escape_the_directory_are_refused() {
        for bad in ["", "../x", ".hidden", "a/b", "sp ace"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_name("work-1.2_x").is_ok());
    }
}
