//! Crash loops with real SIGKILLs: the real `symphony-editor` is killed again
//! and again while keys are being typed into the client's session, and the
//! client `symphony` itself is killed while typing in a terminal. Each loop
//! prints how many kills it made and how many times the text came back
//! different from what was typed (nothing lost, nothing doubled), and asserts
//! that it never did.

use std::ffi::OsStr;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::json;
use symphony_protocol::xi::EditNotification;
use symphony_tests::{Sandbox, Terminal, binaries, descendants, kill9};
use symphony_tui::session::{
    EditorSession, EditorState, EditorTarget, SessionEvent, SessionOptions, ViewHandle,
};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

/// A small deterministic generator (xorshift), seeded from the clock and
/// printed, so a failing run can be told apart from another.
struct Rng(u64);

impl Rng {
    fn from_clock() -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
            | 1;
        println!("seed {seed}");
        Rng(seed)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

fn read_pid(pidfile: &Path) -> Option<u32> {
    std::fs::read_to_string(pidfile).ok()?.trim().parse().ok()
}

/// Whether `pid` runs (a zombie waiting for its parent to reap it does not).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X")
    })
}

fn edit(method: &str, params: serde_json::Value) -> EditNotification {
    let v = if params.is_null() {
        json!({ "method": method })
    } else {
        json!({ "method": method, "params": params })
    };
    serde_json::from_value(v).unwrap_or_else(|e| panic!("edit {method}: {e}"))
}

/// The session's events, drained while the test waits.
struct Events {
    rx: UnboundedReceiver<SessionEvent>,
    state: EditorState,
    replies: Vec<(u64, Result<serde_json::Value, String>)>,
    saves: usize,
}

impl Events {
    fn drain(&mut self) {
        while let Ok(e) = self.rx.try_recv() {
            self.take(e);
        }
    }

    fn take(&mut self, e: SessionEvent) {
        match e {
            SessionEvent::State(s) => self.state = s,
            SessionEvent::Reply { id, result, .. } => self.replies.push((id, result)),
            SessionEvent::Saved { result: Ok(()), .. } => self.saves += 1,
            _ => {}
        }
    }

    /// Handles events for about `d`.
    async fn pump(&mut self, d: Duration) {
        let until = tokio::time::Instant::now() + d;
        while let Ok(Some(e)) = tokio::time::timeout_at(until, self.rx.recv()).await {
            self.take(e);
        }
    }

    /// Waits for the reply to `id`.
    async fn reply(&mut self, id: u64) -> Result<Result<serde_json::Value, String>> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(i) = self.replies.iter().position(|(r, _)| *r == id) {
                return Ok(self.replies.remove(i).1);
            }
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(e)) => self.take(e),
                Ok(None) => bail!("session gone"),
                Err(_) => bail!("no reply to request {id} (state {:?})", self.state),
            }
        }
    }
}

/// The buffer's whole text as the editor holds it, once the editor in `pidfile`
/// is not `dead` and everything sent before has been handled.
async fn settled_text(
    session: &mut EditorSession,
    events: &mut Events,
    view: ViewHandle,
    pidfile: &Path,
    dead: u32,
    next_id: &mut u64,
) -> Result<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if Instant::now() > deadline {
            bail!("the editor did not come back (state {:?})", events.state);
        }
        events.drain();
        let restarted = read_pid(pidfile).is_some_and(|p| p != dead && alive(p));
        if !restarted || events.state != EditorState::Running {
            if let EditorState::Failed { reason } = &events.state {
                bail!("the session gave up: {reason}");
            }
            events.pump(Duration::from_millis(10)).await;
            continue;
        }
        *next_id += 1;
        let id = *next_id;
        session.request(view, id, "debug_get_contents", json!({}));
        match events.reply(id).await? {
            Ok(serde_json::Value::String(text)) => return Ok(text),
            Ok(other) => bail!("debug_get_contents answered {other}"),
            // Lost with a connection: ask again.
            Err(_) => continue,
        }
    }
}

/// Prints where the text differs from what was typed.
fn report_mismatch(kill: usize, expected: &str, got: &str) {
    let same = expected
        .chars()
        .zip(got.chars())
        .take_while(|(a, b)| a == b)
        .count();
    let tail = |s: &str| {
        s.chars()
            .skip(same.saturating_sub(8))
            .take(40)
            .collect::<String>()
    };
    println!(
        "after kill {kill}: typed ...{:?}, editor holds ...{:?}",
        tail(expected),
        tail(got)
    );
}

/// One more key for the typing model: the text is only ever typed at its end.
fn next_key(rng: &mut Rng, typed: &mut usize, expected: &mut String) -> EditNotification {
    let roll = rng.below(100);
    if roll < 7 && !expected.is_empty() {
        expected.pop();
        edit("delete_backward", serde_json::Value::Null)
    } else if roll < 14 {
        expected.push('\n');
        edit("insert_newline", serde_json::Value::Null)
    } else {
        let ch = char::from(b'a' + (*typed % 26) as u8);
        *typed += 1;
        expected.push(ch);
        edit("insert", json!({ "chars": ch.to_string() }))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_editor_100_times_while_typing_loses_and_doubles_nothing() -> Result<()> {
    const KILLS: usize = 100;
    let bins = binaries()?;
    let sandbox = Sandbox::new()?;
    // Typed before its last newline, the text always ends with one (the editor
    // adds one to a saved file without, to the file only).
    let file = sandbox.file("typed.txt", "\n")?;
    let (program, pidfile) = sandbox.editor_wrapper(&bins.editor)?;
    let (tx, rx) = unbounded_channel();
    // Restart at once and never give up: this loop is about exactness.
    let policy = SessionOptions {
        max_attempts: u32::MAX,
        first_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        stable_after: Duration::from_millis(200),
        client_journal: Some(sandbox.state().join("symphony").join("client-journal")),
    };
    let mut session = EditorSession::start_with(EditorTarget::Spawn { program }, tx, policy);
    let mut events = Events {
        rx,
        state: EditorState::Starting,
        replies: Vec::new(),
        saves: 0,
    };
    let view = session.open(Some(file.clone()));
    session.edit(view, edit("resize", json!({ "width": 80, "height": 20 })));
    session.edit(view, edit("scroll", json!([0, 20])));
    let mut rng = Rng::from_clock();
    let (mut expected, mut typed, mut next_id) = (String::new(), 0usize, 0u64);
    let (mut kills, mut mismatches) = (0usize, 0usize);
    let started = Instant::now();
    let mut pid = 0;
    while kills < KILLS {
        let text =
            settled_text(&mut session, &mut events, view, &pidfile, pid, &mut next_id).await?;
        let want = format!("{expected}\n");
        if kills > 0 && text != want {
            mismatches += 1;
            report_mismatch(kills, &want, &text);
            // Go on from what the editor holds, typing before its last newline.
            expected = text.strip_suffix('\n').unwrap_or(&text).to_owned();
            session.edit(
                view,
                edit("move_to_end_of_document", serde_json::Value::Null),
            );
            session.edit(view, edit("move_left", serde_json::Value::Null));
        }
        pid = read_pid(&pidfile).context("editor pid")?;
        if kills % 5 == 2 {
            // Now and then a save, the kill often landing while it is written:
            // the log starts over from the saved file.
            session.save(view, file.clone());
        }
        // A burst of keys with the kill landing somewhere in it, at a random
        // microsecond, while the keys keep coming.
        let burst = 4 + rng.below(8) as usize;
        let kill_at = rng.below(burst as u64) as usize;
        for k in 0..burst {
            let key = next_key(&mut rng, &mut typed, &mut expected);
            session.edit(view, key);
            if k == kill_at {
                let delay = Duration::from_micros(rng.below(3000));
                std::thread::spawn(move || {
                    std::thread::sleep(delay);
                    let _ = kill9(pid);
                });
            }
            events.pump(Duration::from_micros(rng.below(2500))).await;
        }
        kills += 1;
    }
    let text = settled_text(&mut session, &mut events, view, &pidfile, pid, &mut next_id).await?;
    let want = format!("{expected}\n");
    if text != want {
        mismatches += 1;
        report_mismatch(kills, &want, &text);
    }
    let expected = text;
    session.save(view, file.clone());
    let saved_deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::read_to_string(&file)? != expected {
        if Instant::now() > saved_deadline {
            bail!("the file does not hold the typed text");
        }
        events.pump(Duration::from_millis(20)).await;
    }
    println!(
        "editor kills: {kills}, mismatches: {mismatches}, keys: {typed}, {:.1} s",
        started.elapsed().as_secs_f64()
    );
    session.shutdown();
    assert_eq!(mismatches, 0, "typed text came back different after a kill");
    Ok(())
}

/// The pid of the process named `name` below the pane's shell `root`, if any.
fn below(root: u32, name: &str) -> Option<u32> {
    descendants(root)
        .into_iter()
        .find(|(_, n)| n == name)
        .map(|(pid, _)| pid)
}

/// Whether the state dir holds a non-empty crash journal (the next start asks).
fn journal_waiting(sandbox: &Sandbox) -> bool {
    let dir = sandbox.state().join("symphony").join("journal");
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            e.path().extension().is_some_and(|x| x == "jsonl")
                && e.metadata().is_ok_and(|m| m.len() > 0)
        })
    })
}

fn wait_until(what: &str, mut done: impl FnMut() -> Result<bool>) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done()? {
        if Instant::now() > deadline {
            bail!("timed out waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(())
}

#[test]
fn killing_the_client_100_times_while_typing_loses_and_doubles_nothing() -> Result<()> {
    const KILLS: usize = 100;
    let bins = binaries()?;
    let sandbox = Sandbox::new()?;
    let file = sandbox.file("typed.txt", "base\n")?;
    // The pane's shell starts the client again each time the test says "go",
    // after dropping keys the dead one left unread in the terminal.
    let go = sandbox.work().join("go");
    let script = format!(
        "while :; do while [ ! -e '{go}' ]; do sleep 0.01; done; rm -f '{go}'; \
         python3 -c 'import termios; termios.tcflush(0, termios.TCIFLUSH)' 2>/dev/null; \
         '{symphony}' typed.txt; done",
        go = go.display(),
        symphony = bins.symphony.display()
    );
    let term = Terminal::start(
        Path::new("/bin/sh"),
        &[OsStr::new("-c"), OsStr::new(&script)],
        &sandbox.env(&bins),
        &sandbox.work(),
        100,
        30,
    )?;
    let mut rng = Rng::from_clock();
    let (mut kills, mut mismatches, mut typed) = (0usize, 0usize, 0usize);
    let mut prev = "base\n".to_owned();
    // What the last burst was and how many of its keys had been drawn.
    let mut last: Option<(String, usize)> = None;
    let started = Instant::now();
    let shell = term.pid()?;
    let mut client = None;
    let mut phases = [Duration::ZERO; 4];
    loop {
        let t0 = Instant::now();
        std::fs::write(&go, "")?;
        wait_until("the client to start", || {
            Ok(below(shell, "symphony").is_some_and(|p| Some(p) != client))
        })
        .with_context(|| format!("after kill {kills}"))?;
        client = below(shell, "symphony");
        let t1 = Instant::now();
        // Keys only once it draws (before, the terminal is not raw yet: C-s
        // would be flow control).
        if journal_waiting(&sandbox) {
            term.wait_text("Recover")
                .with_context(|| format!("after kill {kills}: the recovery question"))?;
            term.keys(&["Down", "Enter"])?;
        } else {
            term.wait_text("editor: running")
                .with_context(|| format!("after kill {kills}: the client drawing"))?;
        }
        term.keys(&["C-s"])?;
        term.wait_text("Saved")
            .with_context(|| format!("after kill {kills}: saving"))?;
        let t2 = Instant::now();
        phases[0] += t1 - t0;
        phases[1] += t2 - t1;
        let text = std::fs::read_to_string(&file)?;
        if let Some((burst, drawn)) = last.take() {
            let fits = (drawn..=burst.chars().count()).any(|k| {
                let head: String = burst.chars().take(k).collect();
                text == format!("{head}{prev}")
            });
            if !fits {
                mismatches += 1;
                println!(
                    "after kill {kills}: typed {burst:?} ({drawn} drawn) before {prev:?}; \
                     the file holds {text:?}"
                );
            }
        }
        prev = text;
        if kills == KILLS {
            break;
        }
        // Type at the start of the file: a few keys, seen on screen, then more
        // with the kill landing among them.
        term.keys(&["C-Home"])?;
        // (Enough of the first line to know it, short of the pane's width.)
        let first_line: String = prev
            .lines()
            .next()
            .unwrap_or_default()
            .chars()
            .take(40)
            .collect();
        let drawn = 1 + rng.below(3) as usize;
        let more = 2 + rng.below(5) as usize;
        let mut burst = String::new();
        for _ in 0..drawn + more {
            burst.push(char::from(b'a' + (typed % 26) as u8));
            typed += 1;
        }
        burst.push('\n');
        let head: String = burst.chars().take(drawn).collect();
        let t3 = Instant::now();
        term.type_text(&head)?;
        term.wait_text(&format!("{head}{first_line}"))
            .with_context(|| format!("after kill {kills}: the first keys drawn"))?;
        phases[2] += t3.elapsed();
        let t4 = Instant::now();
        // (The kernel cuts command names to 15 bytes.)
        let editor = below(shell, "symphony-edito");
        let victim = client.context("client pid")?;
        let killed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = killed.clone();
        let delay = Duration::from_micros(rng.below(30_000));
        let killer = std::thread::spawn(move || {
            std::thread::sleep(delay);
            let r = kill9(victim);
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
            r
        });
        let rest: String = burst.chars().skip(drawn).filter(|c| *c != '\n').collect();
        term.keys(&["-l", &rest])?;
        if !killed.load(std::sync::atomic::Ordering::SeqCst) {
            term.keys(&["Enter"])?;
        }
        killer
            .join()
            .map_err(|_| anyhow::anyhow!("the killer thread panicked"))??;
        kills += 1;
        // The editor sees its input end, journals what it read, and exits.
        wait_until("the client and its editor to be gone", || {
            Ok(!alive(victim) && editor.is_none_or(|e| !alive(e)))
        })?;
        phases[3] += t4.elapsed();
        last = Some((burst, drawn));
    }
    println!(
        "client kills: {kills}, mismatches: {mismatches}, keys: {typed}, {:.1} s \
         (start {:.1} s, recover and save {:.1} s, first keys {:.1} s, kill {:.1} s)",
        started.elapsed().as_secs_f64(),
        phases[0].as_secs_f64(),
        phases[1].as_secs_f64(),
        phases[2].as_secs_f64(),
        phases[3].as_secs_f64(),
    );
    assert_eq!(mismatches, 0, "typed text came back different after a kill");
    Ok(())
}
