//! Helpers for end-to-end tests: locating the real binaries and driving
//! `symphony` in a pseudo-terminal through tmux, like a person at a keyboard.
//!
//! Every [`Terminal`] runs its own tmux server (its own `-L` socket, killed on
//! drop) with `XDG_CONFIG_HOME`, `XDG_STATE_HOME` and `XDG_DATA_HOME` pointing
//! into a temporary directory, so tests never touch the user's files and never
//! see each other.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// The two programs under test.
#[derive(Debug, Clone)]
pub struct Binaries {
    /// The terminal client.
    pub symphony: PathBuf,
    /// The editor process.
    pub editor: PathBuf,
}

/// The target dir holding this test executable (`.../target/debug`).
fn profile_dir() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("locating the test executable")?;
    let mut dir = exe.parent().context("test executable has no parent")?;
    if dir.ends_with("deps") {
        dir = dir.parent().context("deps has no parent")?;
    }
    Ok(dir.to_path_buf())
}

/// Finds `symphony` and `symphony-editor` next to the test executable's target
/// dir, building them first (`cargo build -p symphony -p symphony-editor`, once
/// per test process, so they are never stale; `SYMPHONY_E2E_NO_BUILD=1` skips
/// the build when both exist).
pub fn binaries() -> Result<Binaries> {
    static BUILT: OnceLock<std::result::Result<Binaries, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| build().map_err(|e| format!("{e:#}")))
        .clone()
        .map_err(anyhow::Error::msg)
}

fn build() -> Result<Binaries> {
    let dir = profile_dir()?;
    let bins = Binaries {
        symphony: dir.join("symphony"),
        editor: dir.join("symphony-editor"),
    };
    // SYMPHONY_E2E_NO_BUILD=1: use the binaries as they are (when they exist).
    let no_build = std::env::var_os("SYMPHONY_E2E_NO_BUILD").is_some_and(|v| v == "1");
    if no_build && bins.symphony.exists() && bins.editor.exists() {
        return Ok(bins);
    }
    let target_dir = dir.parent().context("profile dir has no parent")?;
    let cargo = std::env::var_os("CARGO")
        .or_else(|| option_env!("CARGO").map(OsString::from))
        .unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "-q", "-p", "symphony", "-p", "symphony-editor"])
        .env("CARGO_TARGET_DIR", target_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    if dir.file_name().is_some_and(|n| n == "release") {
        cmd.arg("--release");
    }
    let status = cmd.status().context("running cargo build")?;
    if !status.success() {
        bail!("cargo build -p symphony -p symphony-editor failed ({status})");
    }
    for b in [&bins.symphony, &bins.editor] {
        if !b.exists() {
            bail!("{} missing after the build", b.display());
        }
    }
    Ok(bins)
}

/// A temporary home for one test: XDG dirs and a work directory for files.
#[derive(Debug)]
pub struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    /// Creates the directories.
    pub fn new() -> Result<Self> {
        let dir = tempfile::Builder::new().prefix("symphony-e2e").tempdir()?;
        for sub in ["config", "state", "data", "work"] {
            std::fs::create_dir_all(dir.path().join(sub))?;
        }
        Ok(Sandbox { dir })
    }

    /// Where test files live (the client's working directory).
    /// A wrapper script that starts `editor` with this sandbox's XDG dirs and records
    /// its pid: (the script, the pid file).
    pub fn editor_wrapper(&self, editor: &Path) -> Result<(PathBuf, PathBuf)> {
        use std::os::unix::fs::PermissionsExt;
        let pidfile = self.work().join("editor.pid");
        let script = self.work().join("editor.sh");
        let mut body = String::from("#!/bin/sh\n");
        for (k, v) in self.env(&binaries()?) {
            body.push_str(&format!("export {k}='{}'\n", v.to_string_lossy()));
        }
        body.push_str(&format!(
            "echo $$ > '{}'\nexec '{}' \"$@\"\n",
            pidfile.display(),
            editor.display()
        ));
        std::fs::write(&script, body)?;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))?;
        Ok((script, pidfile))
    }

    pub fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// `$XDG_STATE_HOME` (logs, crash journal).
    pub fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// The environment every process of the test gets.
    pub fn env(&self, bins: &Binaries) -> Vec<(String, OsString)> {
        let p = self.dir.path();
        let mut path = OsString::new();
        if let Some(d) = bins.editor.parent() {
            path.push(d);
            path.push(":");
        }
        path.push(std::env::var_os("PATH").unwrap_or_default());
        vec![
            ("XDG_CONFIG_HOME".into(), p.join("config").into()),
            ("XDG_STATE_HOME".into(), p.join("state").into()),
            ("XDG_DATA_HOME".into(), p.join("data").into()),
            ("HOME".into(), p.into()),
            ("PATH".into(), path),
            ("RUST_LOG".into(), "info".into()),
            ("COLORTERM".into(), "truecolor".into()),
            // These tests drive one symphony in-process; sessions_e2e.rs removes this
            // to test the session server.
            ("SYMPHONY_NO_SERVER".into(), "1".into()),
        ]
    }

    /// Starts `symphony args` in a 100 x 30 terminal with this sandbox's
    /// environment, in its work directory.
    pub fn symphony(&self, bins: &Binaries, args: &[&std::ffi::OsStr]) -> Result<Terminal> {
        Terminal::start(&bins.symphony, args, &self.env(bins), &self.work(), 100, 30)
    }

    /// Writes a file in the work directory and returns its path.
    pub fn file(&self, name: &str, contents: &str) -> Result<PathBuf> {
        let path = self.work().join(name);
        std::fs::write(&path, contents)?;
        Ok(path)
    }
}

/// How long [`Terminal::wait_for`] polls before failing.
pub const WAIT: Duration = Duration::from_secs(20);

/// A program running in a tmux pane of its own server.
#[derive(Debug)]
pub struct Terminal {
    socket: String,
    config: PathBuf,
}

static NEXT: AtomicU32 = AtomicU32::new(0);

impl Terminal {
    /// Starts `program args` in a `cols` x `rows` pane with `env`, in `cwd`.
    pub fn start(
        program: &Path,
        args: &[&std::ffi::OsStr],
        env: &[(String, OsString)],
        cwd: &Path,
        cols: u16,
        rows: u16,
    ) -> Result<Self> {
        let socket = format!(
            "symphony-e2e-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let config = std::env::temp_dir().join(format!("{socket}.conf"));
        std::fs::write(
            &config,
            "set -g remain-on-exit on\nset -g status off\nset -sg escape-time 0\n\
             set -g default-terminal tmux-256color\nset -g history-limit 0\n",
        )?;
        let term = Terminal { socket, config };
        let mut cmd = term.tmux();
        cmd.args(["new-session", "-d", "-s", "t", "-x"])
            .arg(cols.to_string())
            .arg("-y")
            .arg(rows.to_string())
            .arg("-c")
            .arg(cwd)
            .arg("--")
            .arg(program)
            .args(args)
            .current_dir(cwd)
            .env_remove("TMUX");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().context("starting tmux")?;
        if !out.status.success() {
            bail!("tmux new-session: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(term)
    }

    fn tmux(&self) -> Command {
        let mut cmd = Command::new("tmux");
        cmd.arg("-L").arg(&self.socket).arg("-f").arg(&self.config);
        cmd
    }

    fn run(&self, args: &[&str]) -> Result<String> {
        let out = self.tmux().args(args).output().context("running tmux")?;
        if !out.status.success() {
            bail!("tmux {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Presses keys by tmux name: `"C-s"`, `"S-Right"`, `"Enter"`, `"%"`.
    pub fn keys(&self, keys: &[&str]) -> Result<()> {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        self.run(&args).map(drop)
    }

    /// Types text literally, one key at a time as a person would.
    pub fn type_text(&self, text: &str) -> Result<()> {
        for ch in text.chars() {
            let s = ch.to_string();
            self.run(&["send-keys", "-t", "t", "-l", &s])?;
        }
        Ok(())
    }

    /// The visible screen, one string with `\n` between rows.
    pub fn screen(&self) -> Result<String> {
        self.run(&["capture-pane", "-p", "-t", "t"])
    }

    /// The visible screen with its colours and attributes as SGR escape sequences
    /// (`tmux capture-pane -e`).
    pub fn screen_with_colours(&self) -> Result<String> {
        self.run(&["capture-pane", "-p", "-e", "-t", "t"])
    }

    /// Polls the screen until `pred` holds; fails with the last screen after [`WAIT`].
    pub fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> Result<String> {
        let deadline = Instant::now() + WAIT;
        loop {
            let screen = self.screen()?;
            if pred(&screen) {
                return Ok(screen);
            }
            if Instant::now() > deadline {
                bail!("timed out waiting for {what}; screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the screen shows `text`.
    pub fn wait_text(&self, text: &str) -> Result<String> {
        self.wait_for(&format!("{text:?}"), |s| s.contains(text))
    }

    /// The pid of the program in the pane.
    pub fn pid(&self) -> Result<u32> {
        let out = self.run(&["display-message", "-p", "-t", "t", "#{pane_pid}"])?;
        out.trim().parse().context("pane pid")
    }

    /// Whether the program has exited.
    pub fn exited(&self) -> Result<bool> {
        Ok(self
            .run(&["display-message", "-p", "-t", "t", "#{pane_dead}"])?
            .trim()
            == "1")
    }

    /// Saves with `C-s`, waits until `file` holds exactly `want`, then quits
    /// with `C-q` and waits until the program has exited.
    pub fn save_and_quit(&self, file: &Path, want: &str) -> Result<()> {
        self.keys(&["C-s"])?;
        wait_file(file, want)?;
        self.keys(&["C-q"])?;
        self.wait_exit()
    }

    /// Waits until the program has exited.
    pub fn wait_exit(&self) -> Result<()> {
        let deadline = Instant::now() + WAIT;
        while !self.exited()? {
            if Instant::now() > deadline {
                bail!("program still running; screen:\n{}", self.screen()?);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// The pid of the running `symphony-editor` below the program, if any.
    pub fn editor_pid(&self) -> Result<Option<u32>> {
        let root = self.pid()?;
        Ok(descendants(root)
            .into_iter()
            .find(|(_, name)| name == "symphony-edito" || name == "symphony-editor")
            .map(|(pid, _)| pid))
    }

    /// Waits for an editor process other than `not`, and returns its pid.
    pub fn wait_editor(&self, not: Option<u32>) -> Result<u32> {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(pid) = self.editor_pid()?
                && Some(pid) != not
            {
                return Ok(pid);
            }
            if Instant::now() > deadline {
                bail!("no symphony-editor process; screen:\n{}", self.screen()?);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Polls until the file holds exactly `want` (a save is asynchronous); fails
/// with what it holds after [`WAIT`].
pub fn wait_file(path: &Path, want: &str) -> Result<()> {
    let deadline = Instant::now() + WAIT;
    loop {
        let got = std::fs::read(path)?;
        if got == want.as_bytes() {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!(
                "{} holds {:?}, want {want:?}",
                path.display(),
                String::from_utf8_lossy(&got)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").output();
        let _ = std::fs::remove_file(&self.config);
    }
}

/// Every process below `root` as (pid, command name), read from /proc.
pub fn descendants(root: u32) -> Vec<(u32, String)> {
    let mut procs: Vec<(u32, u32, String)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for e in entries.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
                continue;
            };
            // pid (comm) state ppid ...
            let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
                continue;
            };
            let name = stat[open + 1..close].to_owned();
            let ppid = stat[close + 1..]
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            procs.push((pid, ppid, name));
        }
    }
    let mut out = Vec::new();
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for (pid, ppid, name) in &procs {
            if *ppid == p {
                out.push((*pid, name.clone()));
                frontier.push(*pid);
            }
        }
    }
    out
}

/// Sends SIGKILL to a process.
pub fn kill9(pid: u32) -> Result<()> {
    let status = Command::new("kill")
        .arg("-9")
        .arg(pid.to_string())
        .status()?;
    if !status.success() {
        bail!("kill -9 {pid} failed");
    }
    Ok(())
}
