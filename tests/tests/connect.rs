//! End to end: `symphony --connect SOCKET` to a `symphony-editor --listen
//! SOCKET` server; the server is killed and started again, the client
//! reconnects and keeps every keystroke.

use std::ffi::OsStr;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use symphony_tests::{Binaries, Sandbox, binaries};

/// A listening editor, killed on drop.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(bins: &Binaries, sandbox: &Sandbox, socket: &std::path::Path) -> Result<Server> {
    let mut cmd = Command::new(&bins.editor);
    cmd.arg("--listen").arg(socket).current_dir(sandbox.work());
    for (k, v) in sandbox.env(bins) {
        cmd.env(k, v);
    }
    let child = cmd.spawn().context("starting symphony-editor --listen")?;
    let deadline = Instant::now() + symphony_tests::WAIT;
    while !socket.exists() {
        if Instant::now() > deadline {
            bail!("{} never appeared", socket.display());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(Server(child))
}

#[test]
fn connect_to_a_socket_editor_and_reconnect_after_it_restarts() -> Result<()> {
    let bins = binaries()?;
    let sandbox = Sandbox::new()?;
    let file = sandbox.file("remote.txt", "far\n")?;
    let socket = sandbox.state().join("editor.sock");
    let mut server = serve(&bins, &sandbox, &socket)?;
    let term = sandbox.symphony(
        &bins,
        &[
            OsStr::new("--connect"),
            socket.as_os_str(),
            file.as_os_str(),
        ],
    )?;
    term.wait_text("far")?;
    term.keys(&["End"])?;
    term.type_text("abc")?;
    term.wait_text("farabc")?;

    // The server dies and comes back on the same socket.
    server.0.kill()?;
    server.0.wait()?;
    drop(server);
    std::fs::remove_file(&socket)?;
    term.type_text("def")?;
    let _server = serve(&bins, &sandbox, &socket)?;
    term.wait_text("farabcdef")?;
    term.save_and_quit(&file, "farabcdef\n")?;
    Ok(())
}
