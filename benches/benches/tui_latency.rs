//! End-to-end terminal latency of `symphony`: a pseudo-terminal driven from
//! Rust starts the client on a generated 1 MB file, waits for the first paint,
//! then types keys one at a time and measures keystroke-to-echo latency
//! (p50/p99) and bytes written to the terminal per keystroke.
//!
//! Run: `cargo bench -p symphony-benches --bench tui_latency`
//! (`TUI_LATENCY_KEYS=N` changes the number of keys, default 200;
//! `TUI_LATENCY_MB=N` the file size, default 1; `TUI_LATENCY_VIM=1` also
//! measures `vim -u NONE` on the same file, side by side, when it is
//! installed). It builds the release `symphony` and `symphony-editor` next
//! to itself when they are missing.

use std::ffi::OsString;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

const ROWS: u16 = 40;
const COLS: u16 = 120;
const READY: &str = "READYMARK";

/// Removes ANSI escape sequences and control bytes, like termlat.py does.
fn strip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        let b = data[i];
        if b == 0x1b {
            i += 1;
            match data.get(i) {
                Some(b'[') => {
                    i += 1;
                    while i < data.len() && !(0x40..=0x7e).contains(&data[i]) {
                        i += 1;
                    }
                    i += 1;
                }
                Some(b']') | Some(b'P') | Some(b'X') | Some(b'^') | Some(b'_') => {
                    while i < data.len() && data[i] != 0x07 && data[i] != 0x1b {
                        i += 1;
                    }
                    if data.get(i) == Some(&0x1b) {
                        i += 1;
                    }
                    i += 1;
                }
                Some(_) => i += 1,
                None => {}
            }
        } else {
            if b >= 0x20 && b != 0x7f || b == b'\n' {
                out.push(b);
            }
            i += 1;
        }
    }
    out
}

struct Pty {
    master: File,
    output: Receiver<Vec<u8>>,
    child: Child,
    total: usize,
    /// Keys that make the program exit.
    quit: Vec<u8>,
}

impl Pty {
    fn spawn(program: &Path, args: &[&Path], env: &[(String, OsString)]) -> Pty {
        let mut master: libc::c_int = -1;
        let mut slave: libc::c_int = -1;
        let ws = libc::winsize {
            ws_row: ROWS,
            ws_col: COLS,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: openpty writes two fds into the given ints; the winsize is read only.
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                &ws,
            )
        };
        assert_eq!(rc, 0, "openpty failed");
        // SAFETY: both fds were just returned by openpty and are owned here.
        let (master, slave) =
            unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let mut cmd = Command::new(program);
        cmd.args(args)
            .stdin(Stdio::from(slave.try_clone().expect("dup")))
            .stdout(Stdio::from(slave.try_clone().expect("dup")))
            .stderr(Stdio::from(slave));
        cmd.env("TERM", "xterm-256color")
            .env("COLORTERM", "truecolor")
            .env("LINES", ROWS.to_string())
            .env("COLUMNS", COLS.to_string());
        for (k, v) in env {
            cmd.env(k, v);
        }
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY as _, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("spawn symphony");
        let master = File::from(master);
        let mut reader = master.try_clone().expect("dup master");
        let (tx, output) = channel();
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 1 << 16];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => {
                        if tx.send(buf[..n].to_vec()).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        Pty {
            master,
            output,
            child,
            total: 0,
            quit: b"\x11".to_vec(), // Ctrl-Q
        }
    }

    fn read(&mut self, timeout: Duration) -> Option<Vec<u8>> {
        match self.output.recv_timeout(timeout) {
            Ok(chunk) => {
                self.total += chunk.len();
                Some(chunk)
            }
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => panic!("symphony exited"),
        }
    }

    /// Reads until nothing arrives for `quiet`.
    fn drain(&mut self, quiet: Duration, limit: Duration) {
        let end = Instant::now() + limit;
        while Instant::now() < end && self.read(quiet).is_some() {}
    }

    /// Time until `needle` shows in the (stripped) output.
    fn wait_for(&mut self, needle: &[u8], limit: Duration) -> Option<Duration> {
        let start = Instant::now();
        let mut seen = Vec::new();
        while start.elapsed() < limit {
            if let Some(chunk) = self.read(Duration::from_millis(50)) {
                seen.extend_from_slice(&chunk);
                if strip(&seen).windows(needle.len()).any(|w| w == needle) {
                    return Some(start.elapsed());
                }
            }
        }
        None
    }

    fn write(&mut self, bytes: &[u8]) {
        self.master.write_all(bytes).expect("write to pty");
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        let quit = std::mem::take(&mut self.quit);
        self.write(&quit);
        let end = Instant::now() + Duration::from_secs(2);
        while Instant::now() < end {
            // A dirty buffer makes Ctrl-Q ask first; answer "discard" if asked.
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            // The program may be gone already (its output closed): no panic here.
            if let Err(RecvTimeoutError::Disconnected) =
                self.output.recv_timeout(Duration::from_millis(50))
            {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("bench executable");
    let mut dir = exe.parent().expect("parent").to_path_buf();
    if dir.ends_with("deps") {
        dir.pop();
    }
    dir
}

fn binaries() -> (PathBuf, PathBuf) {
    let dir = profile_dir();
    let (symphony, editor) = (dir.join("symphony"), dir.join("symphony-editor"));
    if !symphony.exists() || !editor.exists() {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "-p", "symphony", "-p", "symphony-editor"])
            .env("CARGO_TARGET_DIR", dir.parent().expect("target dir"))
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        if dir.ends_with("release") {
            cmd.arg("--release");
        }
        assert!(cmd.status().expect("cargo build").success(), "build failed");
    }
    (symphony, editor)
}

/// A Rust-looking source file of about `mb` megabytes whose first line is READY.
fn generate(path: &Path, mb: usize) {
    let mut out = String::with_capacity(mb << 20);
    out.push_str("// READYMARK generated for tui_latency\n");
    let mut i = 0;
    while out.len() < mb << 20 {
        out.push_str(&format!(
            "fn item_{i}(x: u64) -> u64 {{ let y = x.wrapping_mul({i}); y ^ (y >> 7) }} // {i}\n"
        ));
        i += 1;
    }
    std::fs::write(path, out).expect("write bench file");
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    let k = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[k.min(sorted.len() - 1)]
}

/// What one program showed: startup, sorted latencies (ms), bytes per key.
struct Stats {
    startup: Duration,
    lat: Vec<f64>,
    sizes: Vec<usize>,
    missed: usize,
}

/// Starts `program` on the file in the pty, waits for the first paint, sends
/// `setup`, then types `keys` keys one at a time.
fn measure(
    program: &Path,
    args: &[&Path],
    env: &[(String, OsString)],
    setup: &[u8],
    quit: &[u8],
    keys: usize,
) -> Stats {
    let mut pty = Pty::spawn(program, args, env);
    pty.quit = quit.to_vec();
    let startup = pty
        .wait_for(READY.as_bytes(), Duration::from_secs(60))
        .expect("first paint never showed the file");
    pty.drain(Duration::from_millis(300), Duration::from_secs(5));
    if !setup.is_empty() {
        pty.write(setup);
        pty.drain(Duration::from_millis(300), Duration::from_secs(5));
    }
    let alphabet = b"qwertyuiopasdfghjklzxcvbnm";
    let mut lat = Vec::with_capacity(keys);
    let mut sizes = Vec::with_capacity(keys);
    let mut missed = 0;
    for i in 0..keys {
        let ch = alphabet[i % alphabet.len()];
        let before = pty.total;
        let t0 = Instant::now();
        pty.write(&[ch]);
        let mut seen = Vec::new();
        let mut got = None;
        while t0.elapsed() < Duration::from_secs(2) {
            if let Some(chunk) = pty.read(Duration::from_secs(2)) {
                seen.extend_from_slice(&chunk);
                if strip(&seen).contains(&ch) {
                    got = Some(t0.elapsed());
                    break;
                }
            }
        }
        pty.drain(Duration::from_millis(30), Duration::from_secs(1));
        match got {
            Some(d) => lat.push(d.as_secs_f64() * 1000.0),
            None => missed += 1,
        }
        sizes.push(pty.total - before);
    }
    lat.sort_by(f64::total_cmp);
    sizes.sort_unstable();
    Stats {
        startup,
        lat,
        sizes,
        missed,
    }
}

fn report(name: &str, s: &Stats) {
    println!(
        "{name}: startup to first paint: {:.1} ms",
        s.startup.as_secs_f64() * 1000.0
    );
    if s.lat.is_empty() {
        println!("{name}: no keystroke echoed ({} missed)", s.missed);
    } else {
        println!(
            "{name}: keystroke-to-echo ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}  (missed {})",
            pct(&s.lat, 50.0),
            pct(&s.lat, 90.0),
            pct(&s.lat, 99.0),
            s.lat[s.lat.len() - 1],
            s.missed
        );
    }
    println!(
        "{name}: bytes per keystroke (median): {}",
        s.sizes[s.sizes.len() / 2]
    );
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` does not: a quick smoke run.
    let full = std::env::args().any(|a| a == "--bench");
    let keys: usize = std::env::var("TUI_LATENCY_KEYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if full { 200 } else { 10 });
    let mb: usize = std::env::var("TUI_LATENCY_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let with_vim = std::env::var_os("TUI_LATENCY_VIM").is_some_and(|v| v == "1");
    let (symphony, editor) = binaries();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("bench.rs");
    generate(&file, mb);
    let mut env: Vec<(String, OsString)> = ["config", "state", "data"]
        .iter()
        .map(|d| {
            let p = dir.path().join(d);
            std::fs::create_dir_all(&p).expect("xdg dir");
            (format!("XDG_{}_HOME", d.to_uppercase()), p.into_os_string())
        })
        .collect();
    env.push(("SYMPHONY_EDITOR".into(), editor.clone().into_os_string()));
    let mut path = OsString::from(editor.parent().expect("bin dir"));
    path.push(":");
    path.push(std::env::var_os("PATH").unwrap_or_default());
    env.push(("PATH".into(), path));

    println!("tui_latency: a {mb} MB file, {ROWS}x{COLS} pty, {keys} keys");
    let s = measure(&symphony, &[file.as_path()], &env, b"", b"\x11", keys);
    report("symphony", &s);
    if with_vim {
        let vim = Path::new("vim");
        let found = Command::new(vim)
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if found {
            let args = [
                Path::new("-u"),
                Path::new("NONE"),
                Path::new("-N"),
                file.as_path(),
            ];
            let v = measure(vim, &args, &[], b"i", b"\x1b:q!\r", keys);
            report("vim -u NONE", &v);
        } else {
            println!("vim -u NONE: not installed, skipped");
        }
    }
}
