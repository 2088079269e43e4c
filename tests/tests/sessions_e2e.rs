//! End to end, sessions that outlive the terminal, with the real binaries in tmux
//! (the session server is the real `symphony server`, started by the first client):
//! type, detach (prefix d), `symphony ls` shows the session, attach, the text and the
//! layout are back; SIGHUP of a client detaches it; two clients see each other's
//! edits; SIGKILL of the server and the next `symphony` recovers the unsaved text
//! (the editor's journal); a client run as `nobody` is refused.
//!
//! Every test has its own `XDG_RUNTIME_DIR` (so its own sessions directory) and ends
//! its session with `kill-session -f`.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use symphony_tests::{Binaries, Sandbox, Terminal, WAIT, binaries, kill9};

/// A sandbox whose clients run the session server (not in-process).
struct Sessions {
    sandbox: Sandbox,
    bins: Binaries,
    run: PathBuf,
}

impl Sessions {
    fn new() -> Result<Sessions> {
        let sandbox = Sandbox::new()?;
        let run = sandbox.work().with_file_name("run");
        std::fs::create_dir_all(&run)?;
        Ok(Sessions {
            sandbox,
            bins: binaries()?,
            run,
        })
    }

    fn env(&self) -> Vec<(String, OsString)> {
        let mut env: Vec<(String, OsString)> = self
            .sandbox
            .env(&self.bins)
            .into_iter()
            .filter(|(k, _)| k != "SYMPHONY_NO_SERVER")
            .collect();
        env.push(("XDG_RUNTIME_DIR".into(), self.run.clone().into()));
        env
    }

    /// `symphony args` in a `cols` x `rows` tmux pane.
    fn client(&self, args: &[&str], cols: u16, rows: u16) -> Result<Terminal> {
        let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
        Terminal::start(
            &self.bins.symphony,
            &args,
            &self.env(),
            &self.sandbox.work(),
            cols,
            rows,
        )
    }

    /// `symphony args` without a terminal (ls, kill-session): its stdout.
    fn command(&self, args: &[&str]) -> Result<(bool, String)> {
        let mut cmd = Command::new(&self.bins.symphony);
        cmd.args(args).current_dir(self.sandbox.work());
        for (k, v) in self.env() {
            cmd.env(k, v);
        }
        let out = cmd.output().context("running symphony")?;
        Ok((
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        ))
    }

    /// The session's line of `symphony ls`, once there is one.
    fn ls_line(&self) -> Result<String> {
        let deadline = Instant::now() + WAIT;
        loop {
            let (_, out) = self.command(&["ls"])?;
            if let Some(line) = out.lines().find(|l| l.starts_with("work-")) {
                return Ok(line.to_owned());
            }
            if Instant::now() > deadline {
                bail!("no session in `symphony ls`: {out}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The session's name (named for the work directory).
    fn name(&self) -> Result<String> {
        Ok(self
            .ls_line()?
            .split('\t')
            .next()
            .unwrap_or_default()
            .to_owned())
    }

    /// The session server's pid.
    fn server_pid(&self) -> Result<u32> {
        let name = self.name()?;
        for entry in std::fs::read_dir("/proc")?.flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(cmd) = std::fs::read(entry.path().join("cmdline")) else {
                continue;
            };
            let args: Vec<&[u8]> = cmd.split(|b| *b == 0).collect();
            if args.contains(&&b"server"[..]) && args.contains(&name.as_bytes()) {
                return Ok(pid);
            }
        }
        bail!("no server process for {name}")
    }
}

impl Drop for Sessions {
    fn drop(&mut self) {
        if let Ok((_, out)) = self.command(&["ls"]) {
            for name in out.lines().skip(1).filter_map(|l| l.split('\t').next()) {
                let _ = self.command(&["kill-session", "-t", name, "-f"]);
            }
        }
    }
}

/// Two panes side by side: the text on both sides of a vertical border.
fn two_panes(screen: &str) -> bool {
    screen
        .lines()
        .any(|l| l.contains('│') && l.matches("first line typed").count() == 2)
}

/// Waits until `term`'s program has exited (the client detached or ended).
fn wait_gone(term: &Terminal) -> Result<()> {
    term.wait_exit()
}

#[test]
fn typed_text_and_the_layout_come_back_after_detaching_and_attaching() -> Result<()> {
    let s = Sessions::new()?;
    s.sandbox.file("notes.txt", "first line\n")?;
    let term = s.client(&["notes.txt"], 100, 30)?;
    term.wait_text("first line")?;
    term.keys(&["End"])?;
    term.type_text(" typed")?;
    term.wait_text("first line typed")?;
    // A second pane beside the first.
    term.keys(&["C-b", "%"])?;
    term.wait_for("two panes", two_panes)?;
    term.keys(&["C-b", "d"])?;
    wait_gone(&term)?;
    let line = s.ls_line()?;
    let cols: Vec<&str> = line.split('\t').collect();
    // NAME CLIENTS BUFFERS UNSAVED RUNS IDLE DIR
    assert_eq!(cols.get(1), Some(&"0"), "no client after detaching: {line}");
    assert_eq!(cols.get(3), Some(&"1"), "one unsaved buffer: {line}");
    assert!(line.ends_with("/work"), "{line}");

    // Another terminal, another size: the same session.
    let back = s.client(&["attach"], 90, 25)?;
    let screen = back.wait_text("first line typed")?;
    assert!(two_panes(&screen), "both panes are back: {screen}");
    let (_, ls) = s.command(&["ls"])?;
    assert!(ls.contains(&format!("{}\t1\t", s.name()?)), "{ls}");
    Ok(())
}

#[test]
fn a_client_that_gets_sighup_detaches_and_the_session_keeps_its_text() -> Result<()> {
    let s = Sessions::new()?;
    s.sandbox.file("a.txt", "alpha\n")?;
    let term = s.client(&["a.txt"], 100, 30)?;
    term.wait_text("alpha")?;
    term.keys(&["End"])?;
    term.type_text("XY")?;
    term.wait_text("alphaXY")?;
    let status = Command::new("kill")
        .args(["-HUP", &term.pid()?.to_string()])
        .status()?;
    assert!(status.success());
    wait_gone(&term)?;
    assert!(s.ls_line()?.contains("\t0\t"), "detached");
    let back = s.client(&[], 100, 30)?;
    back.wait_text("alphaXY")?;
    Ok(())
}

#[test]
fn two_clients_of_one_session_see_each_others_edits() -> Result<()> {
    let s = Sessions::new()?;
    s.sandbox.file("shared.txt", "common\n")?;
    let one = s.client(&["shared.txt"], 100, 30)?;
    one.wait_text("common")?;
    let two = s.client(&[], 80, 24)?;
    two.wait_text("common")?;
    one.keys(&["End"])?;
    one.type_text("ONE")?;
    two.wait_text("commonONE")?;
    two.type_text("TWO")?;
    one.wait_text("commonONETWO")?;
    two.wait_text("commonONETWO")?;
    assert!(s.ls_line()?.contains("\t2\t"), "two clients");
    Ok(())
}

#[test]
fn after_the_server_is_killed_the_next_symphony_recovers_the_unsaved_text() -> Result<()> {
    let s = Sessions::new()?;
    let file = s.sandbox.file("keep.txt", "keep\n")?;
    let term = s.client(&["keep.txt"], 100, 30)?;
    term.wait_text("keep")?;
    term.keys(&["End"])?;
    term.type_text("123")?;
    term.wait_text("keep123")?;
    wait_journaled(&s.sandbox, "\"3\"")?;
    let server = s.server_pid()?;
    let editor = term.wait_editor(None).ok();
    kill9(server)?;
    if let Some(e) = editor {
        kill9(e).ok();
    }
    wait_gone(&term)?;
    assert_eq!(std::fs::read_to_string(&file)?, "keep\n", "never saved");
    // The stale socket is cleaned up and a new server recovers the journal.
    let again = s.client(&["keep.txt"], 100, 30)?;
    again.wait_text("Crash recovery")?;
    again.keys(&["Down", "Enter"])?;
    again.wait_text("keep123")?;
    Ok(())
}

/// The editor's crash journals (see journal_e2e.rs).
fn wait_journaled(sandbox: &Sandbox, text: &str) -> Result<()> {
    let dir = sandbox.state().join("symphony/journal");
    let deadline = Instant::now() + WAIT;
    loop {
        let found = std::fs::read_dir(&dir).is_ok_and(|d| {
            d.flatten()
                .any(|e| std::fs::read_to_string(e.path()).is_ok_and(|t| t.contains(text)))
        });
        if found {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("no journal in {} holds {text:?}", dir.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// A client as `nobody` that sends a hello and prints what it gets.
const NOBODY_CLIENT: &str = r#"
import socket, sys, json, struct
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
hello = json.dumps({"type": "hello", "version": 1, "size": {"cols": 80, "rows": 24},
                    "term": "xterm", "files": [], "read_only": False}).encode()
try:
    s.sendall(struct.pack(">I", len(hello) + 1) + b"\0" + hello)
except BrokenPipeError:
    pass  # the server closed us before reading a byte: refused, as it should
s.settimeout(5)
got = b""
try:
    while True:
        b = s.recv(4096)
        if not b:
            break
        got += b
except Exception as e:
    pass
print("GOT:" + repr(got))
"#;

#[test]
fn a_client_of_another_user_is_refused() -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if !is_root() {
        eprintln!("skipped: needs root to run a client as another user");
        return Ok(());
    }
    let s = Sessions::new()?;
    s.sandbox.file("secret.txt", "private text\n")?;
    let term = s.client(&["secret.txt"], 100, 30)?;
    term.wait_text("private text")?;
    let name = s.name()?;
    let socket = s.run.join(format!("symphony/sessions/{name}.sock"));
    // Open every directory on the way (as a careless admin might): only the uid
    // check is left.
    let mut dir: &Path = &socket;
    while let Some(parent) = dir.parent() {
        if parent == Path::new("/tmp") || parent == Path::new("/") {
            break;
        }
        std::fs::set_permissions(parent, std::fs::Permissions::from_mode(0o711))?;
        dir = parent;
    }
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o777))?;
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .args(["/usr/bin/python3", "-c", NOBODY_CLIENT])
        .arg(&socket)
        .output()?;
    let got = String::from_utf8_lossy(&out.stdout);
    assert!(
        got.starts_with("GOT:"),
        "the client did not run: {got} {out:?}"
    );
    assert_eq!(got.trim(), "GOT:b''", "another user's client was answered");
    // The session still serves us.
    term.keys(&["End"])?;
    term.type_text("!")?;
    term.wait_text("private text!")?;
    Ok(())
}

/// The file the refactor runs on, and what the stand-in model answers.
const CODE: &str = "fn main() {\n    println!(\"{}\", add(1, 2));\n}\n\nfn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n";
const ANSWER: &str = "Here it is:\n\n```rust\n/// Adds two numbers.\nfn add(a: i32, b: i32) -> i32 {\n    a.checked_add(b).expect(\"overflow\")\n}\n```\n";

/// A scripted OpenAI-compatible server on 127.0.0.1 (it stands in for a model): it
/// streams [`ANSWER`] slowly, a few characters every 150 ms, and says on `started`
/// when the first piece is out. Returns the base URL.
fn slow_model(started: std::sync::mpsc::Sender<()>) -> Result<String> {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let base = format!("http://{}", listener.local_addr()?);
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let started = started.clone();
            let _ = (|| -> std::io::Result<()> {
                let mut reader = BufReader::new(stream.try_clone()?);
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line)? == 0 {
                        return Ok(());
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                    if line == "\r\n" {
                        break;
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body)?;
                stream.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\
                      transfer-encoding: chunked\r\nconnection: close\r\n\r\n",
                )?;
                let chunk = |s: &mut std::net::TcpStream, data: String| -> std::io::Result<()> {
                    let event = format!("data: {data}\n\n");
                    write!(s, "{:x}\r\n{event}\r\n", event.len())?;
                    s.flush()
                };
                let chars: Vec<char> = ANSWER.chars().collect();
                for (i, piece) in chars.chunks(8).enumerate() {
                    let text: String = piece.iter().collect();
                    let delta = serde_json::json!({"id": "c1", "object": "chat.completion.chunk",
                        "model": "stand-in", "choices": [{"index": 0, "delta": {"content": text},
                        "finish_reason": null}]});
                    chunk(&mut stream, delta.to_string())?;
                    if i == 0 {
                        let _ = started.send(());
                    }
                    std::thread::sleep(Duration::from_millis(150));
                }
                let end = serde_json::json!({"id": "c1", "object": "chat.completion.chunk",
                    "model": "stand-in", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 40, "completion_tokens": 30}});
                chunk(&mut stream, end.to_string())?;
                chunk(&mut stream, "[DONE]".into())?;
                stream.write_all(b"0\r\n\r\n")?;
                stream.flush()
            })();
        }
    });
    Ok(base)
}

#[test]
fn a_model_answer_streaming_while_the_client_gets_sighup_is_complete_after_attaching() -> Result<()>
{
    let s = Sessions::new()?;
    let (started_tx, started) = std::sync::mpsc::channel();
    let base = slow_model(started_tx)?;
    let config = s.sandbox.work().with_file_name("config").join("symphony");
    std::fs::create_dir_all(&config)?;
    std::fs::write(
        config.join("config.toml"),
        format!(
            "[[instruments]]\nname = \"standin\"\nkind = \"openai\"\nbase_url = \"{base}\"\n\
             model = \"stand-in\"\nmax_retries = 0\n"
        ),
    )?;
    s.sandbox.file("ops.rs", CODE)?;
    let term = s.client(&["ops.rs"], 100, 30)?;
    term.wait_text("fn add")?;
    // Select `add` and ask for a refactor (as conductor_e2e.rs does).
    term.keys(&["C-Home"])?;
    for _ in 0..4 {
        term.keys(&["Down"])?;
    }
    for _ in 0..3 {
        term.keys(&["S-Down"])?;
    }
    term.keys(&["C-b", "R"])?;
    term.wait_text("Refactor how?")?;
    term.type_text("use checked_add")?;
    term.keys(&["Enter"])?;
    started
        .recv_timeout(WAIT)
        .context("the model was never asked")?;
    // The SSH drop: the client gets SIGHUP while the answer streams.
    let status = Command::new("kill")
        .args(["-HUP", &term.pid()?.to_string()])
        .status()?;
    assert!(status.success());
    wait_gone(&term)?;
    let back = s.client(&["attach"], 100, 30)?;
    // The answer came in whole while nobody watched: its proposal is up for review.
    let screen = back.wait_text("Review run #")?;
    back.wait_text("/// Adds two numbers.")?;
    assert!(!screen.contains("interrupted"), "{screen}");
    back.wait_text("a.checked_add(b).expect(\"overflow\")")?;
    // Review it in the editor (the AI pane is on the right).
    back.keys(&["C-b", "Left"])?;
    back.keys(&["C-Home"])?;
    back.wait_text(" 1:1 ")?;
    back.keys(&["M-a"])?;
    back.wait_for("a hunk accepted", |sc| {
        sc.contains("/// Adds two numbers.") && !sc.contains("+/// Adds")
    })?;
    Ok(())
}
