//! End to end, as root with `nobody` (uid 65534) as the other user: who may serve
//! and who may use the editor's local socket.
//!
//! - `symphony-editor --listen` refuses a socket directory owned by another user and
//!   one that others may write to (0777), leaving both as they were;
//! - the editor closes a connection from a client of another uid (SO_PEERCRED);
//! - `symphony --connect` refuses a socket owned by another user, and one served by
//!   a process of another uid even when the socket file is ours, sending nothing
//!   (an impostor run as `nobody` with `setpriv` records every byte it gets).
//!
//! The tests that need a second user skip (and say so) when not run as root.

use std::ffi::OsStr;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use symphony_tests::{Binaries, Sandbox, binaries};

const NOBODY: u32 = 65534;

fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// A process killed on drop.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `program args` as `nobody` (setpriv), or as we are.
fn command(as_nobody: bool, program: &Path) -> Command {
    if as_nobody {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(program);
        c
    } else {
        Command::new(program)
    }
}

/// A directory `nobody` can reach: a 0755 temp dir in /tmp.
fn reachable_dir() -> Result<tempfile::TempDir> {
    let d = tempfile::Builder::new()
        .prefix("symphony-sock-test")
        .tempdir_in("/tmp")?;
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755))?;
    Ok(d)
}

fn listen(bins: &Binaries, sandbox: &Sandbox, socket: &Path) -> Command {
    let mut cmd = Command::new(&bins.editor);
    cmd.arg("--listen").arg(socket).current_dir(sandbox.work());
    for (k, v) in sandbox.env(bins) {
        cmd.env(k, v);
    }
    cmd
}

fn wait_for(path: &Path) -> Result<()> {
    let deadline = Instant::now() + symphony_tests::WAIT;
    while std::fs::symlink_metadata(path).is_err() {
        if Instant::now() > deadline {
            bail!("{} never appeared", path.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

/// Runs `symphony-editor --listen` in `dir` and expects a refusal mentioning `why`.
fn expect_refused(dir: &Path, why: &str) -> Result<()> {
    let bins = binaries()?;
    let sandbox = Sandbox::new()?;
    let before = std::fs::metadata(dir)?;
    let socket = dir.join("editor.sock");
    let out = listen(&bins, &sandbox, &socket)
        .stdin(Stdio::null())
        .output()
        .context("running symphony-editor --listen")?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "it listened: {stderr}");
    assert!(stderr.contains(why), "stderr: {stderr}");
    let after = std::fs::metadata(dir)?;
    assert_eq!(after.uid(), before.uid(), "the owner was changed");
    assert_eq!(after.mode(), before.mode(), "the mode was changed");
    assert!(!socket.exists(), "a socket was made there");
    Ok(())
}

#[test]
fn listen_refuses_a_socket_directory_owned_by_another_user() -> Result<()> {
    if !is_root() {
        eprintln!("skipped: needs root to make a directory for another user");
        return Ok(());
    }
    let d = reachable_dir()?;
    let squatted = d.path().join("symphony-sock");
    std::fs::create_dir(&squatted)?;
    std::fs::set_permissions(&squatted, std::fs::Permissions::from_mode(0o755))?;
    std::os::unix::fs::chown(&squatted, Some(NOBODY), Some(NOBODY))?;
    expect_refused(&squatted, "belongs to uid 65534")
}

#[test]
fn listen_refuses_a_world_writable_socket_directory() -> Result<()> {
    let d = reachable_dir()?;
    let open = d.path().join("open");
    std::fs::create_dir(&open)?;
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777))?;
    expect_refused(&open, "writable by others")
}

/// A tiny client in Python: connects, sends two requests, prints what came back
/// before the server closed or 5 s passed.
const CLIENT: &str = r#"
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(b'{"method":"client_started","params":{}}\n{"id":0,"method":"new_view","params":{}}\n')
got = b""
try:
    while b"\n" not in got:
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
except Exception as e:
    pass
sys.stdout.write("GOT:" + got.decode("utf-8", "replace"))
"#;

fn run_client(as_nobody: bool, socket: &Path) -> Result<String> {
    let out = command(as_nobody, Path::new("/usr/bin/python3"))
        .args(["-c", CLIENT])
        .arg(socket)
        .output()
        .context("running the python client")?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

#[test]
fn the_editor_closes_a_connection_from_another_user() -> Result<()> {
    if !is_root() {
        eprintln!("skipped: needs root to run a client as another user");
        return Ok(());
    }
    let bins = binaries()?;
    let sandbox = Sandbox::new()?;
    let d = reachable_dir()?;
    let dir = d.path().join("sock");
    let socket = dir.join("editor.sock");
    let _server = Running(listen(&bins, &sandbox, &socket).spawn()?);
    wait_for(&socket)?;
    // Our own client is served.
    let mine = run_client(false, &socket)?;
    assert!(mine.starts_with("GOT:{"), "our client got: {mine}");
    // Open the way for `nobody` (as a careless admin might): only the uid check is left.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o711))?;
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o777))?;
    let theirs = run_client(true, &socket)?;
    assert!(
        theirs.starts_with("GOT:"),
        "the client did not run: {theirs}"
    );
    assert_eq!(theirs.trim(), "GOT:", "another user's client was answered");
    // And the editor still serves us.
    let again = run_client(false, &socket)?;
    assert!(again.starts_with("GOT:{"), "{again}");
    let log = std::fs::read_to_string(sandbox.state().join("symphony/symphony-editor.log"))?;
    assert!(
        log.contains("refused a client of another user (uid 65534)"),
        "{log}"
    );
    Ok(())
}

/// An impostor as `nobody`: listens on `socket` and appends every byte it receives
/// to `record`.
const IMPOSTOR: &str = r#"
import os, socket, sys
path, record = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
os.chmod(path, 0o777)
s.listen(8)
open(record, "ab").close()
while True:
    c, _ = s.accept()
    c.settimeout(2)
    try:
        while True:
            b = c.recv(4096)
            if not b:
                break
            with open(record, "ab") as f:
                f.write(b)
    except Exception:
        pass
    c.close()
"#;

fn impostor(dir: &Path) -> Result<(Running, PathBuf, PathBuf)> {
    std::fs::create_dir(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))?;
    std::os::unix::fs::chown(dir, Some(NOBODY), Some(NOBODY))?;
    let socket = dir.join("editor.sock");
    let record = dir.join("received");
    let child = command(true, Path::new("/usr/bin/python3"))
        .args(["-c", IMPOSTOR])
        .arg(&socket)
        .arg(&record)
        .spawn()?;
    let running = Running(child);
    wait_for(&record)?;
    Ok((running, socket, record))
}

fn connect_and_expect_refusal(socket: &Path, record: &Path, why: &str) -> Result<()> {
    let bins = binaries()?;
    let sandbox = Sandbox::new()?;
    let file = sandbox.file("private.txt", "private text\n")?;
    let term = sandbox.symphony(
        &bins,
        &[
            OsStr::new("--connect"),
            socket.as_os_str(),
            file.as_os_str(),
        ],
    )?;
    term.wait_text("failed")?;
    let log = std::fs::read_to_string(sandbox.state().join("symphony/symphony.log"))?;
    assert!(
        log.contains(why) && log.contains("refusing to connect"),
        "{log}"
    );
    // A refusal is final: no restart loop knocks on the impostor's door again.
    assert_eq!(
        log.matches("cannot start the editor").count(),
        1,
        "retried a refused connection: {log}"
    );
    term.type_text("typed secret")?;
    std::thread::sleep(Duration::from_millis(300));
    let got = std::fs::read(record)?;
    assert!(
        got.is_empty(),
        "the impostor received: {}",
        String::from_utf8_lossy(&got)
    );
    Ok(())
}

#[test]
fn connect_refuses_a_socket_of_another_user_and_sends_it_nothing() -> Result<()> {
    if !is_root() {
        eprintln!("skipped: needs root to run an impostor as another user");
        return Ok(());
    }
    let d = reachable_dir()?;
    let (_imp, socket, record) = impostor(&d.path().join("symphony-sock"))?;
    connect_and_expect_refusal(&socket, &record, "the socket belongs to uid 65534")
}

#[test]
fn connect_refuses_a_socket_of_ours_served_by_another_user() -> Result<()> {
    if !is_root() {
        eprintln!("skipped: needs root to run an impostor as another user");
        return Ok(());
    }
    let d = reachable_dir()?;
    let (_imp, socket, record) = impostor(&d.path().join("symphony-sock"))?;
    // The file looks like ours; only the peer's credentials tell the truth.
    std::os::unix::fs::chown(&socket, Some(0), Some(0))?;
    connect_and_expect_refusal(&socket, &record, "the editor there runs as uid 65534")
}
