//! The agent's `terminal/*` requests: commands run in the workspace in their own
//! process group, output kept (cut from the front past the agent's byte limit) and
//! streamed to the UI, exit status, kill and release as ACP says.

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;

use agent_client_protocol_schema::v1::{CreateTerminalRequest, TerminalExitStatus};
use parking_lot::Mutex;
use tokio::io::AsyncReadExt;
use tokio::process::Command;
use tokio::sync::watch;

/// Output kept when the agent names no limit.
pub const DEFAULT_OUTPUT_LIMIT: usize = 1 << 20;

struct Term {
    pid: Option<u32>,
    output: Arc<Mutex<Output>>,
    exit: watch::Receiver<Option<TerminalExitStatus>>,
}

#[derive(Default)]
struct Output {
    text: String,
    truncated: bool,
    limit: usize,
}

impl Output {
    fn push(&mut self, s: &str) {
        self.text.push_str(s);
        if self.text.len() > self.limit {
            let mut cut = self.text.len() - self.limit;
            while !self.text.is_char_boundary(cut) {
                cut += 1;
            }
            self.text.drain(..cut);
            self.truncated = true;
        }
    }
}

/// A chunk of a terminal's output, for the UI.
pub type OnOutput = Arc<dyn Fn(&str, &str) + Send + Sync>;

/// The terminals of one agent connection.
#[derive(Clone, Default)]
pub struct Terminals {
    terms: Arc<Mutex<HashMap<String, Term>>>,
    next: Arc<Mutex<u64>>,
}

impl Terminals {
    /// `terminal/create`: starts the command (through no shell; ACP gives program and
    /// args) and returns its id.
    pub fn create(
        &self,
        req: &CreateTerminalRequest,
        workspace: &Path,
        on_output: OnOutput,
    ) -> std::io::Result<String> {
        let id = {
            let mut n = self.next.lock();
            *n += 1;
            format!("term-{n}")
        };
        let mut cmd = Command::new(&req.command);
        cmd.args(&req.args)
            .current_dir(req.cwd.as_deref().unwrap_or(workspace))
            .envs(req.env.iter().map(|e| (&e.name, &e.value)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .process_group(0);
        let mut child = cmd.spawn()?;
        let limit = req
            .output_byte_limit
            .map_or(DEFAULT_OUTPUT_LIMIT, |l| l as usize);
        let output = Arc::new(Mutex::new(Output {
            limit,
            ..Default::default()
        }));
        let (tx, rx) = watch::channel(None);
        let pid = child.id();
        let mut readers = Vec::new();
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let output = output.clone();
            let on_output = on_output.clone();
            let id = id.clone();
            readers.push(tokio::spawn(async move {
                let mut stream = stream;
                let mut buf = vec![0u8; 8192];
                while let Ok(n) = stream.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    let s = String::from_utf8_lossy(&buf[..n]);
                    output.lock().push(&s);
                    on_output(&id, &s);
                }
            }));
        }
        tokio::spawn(async move {
            let status = child.wait().await;
            for r in readers {
                let _ = r.await;
            }
            let exit = match status {
                Ok(s) => {
                    use std::os::unix::process::ExitStatusExt;
                    TerminalExitStatus::new()
                        .exit_code(s.code().map(|c| c as u32))
                        .signal(s.signal().map(signal_name))
                }
                Err(_) => TerminalExitStatus::new(),
            };
            let _ = tx.send(Some(exit));
        });
        self.terms.lock().insert(
            id.clone(),
            Term {
                pid,
                output,
                exit: rx,
            },
        );
        Ok(id)
    }

    /// `terminal/output`: (output, truncated, exit status if it has exited).
    pub fn output(&self, id: &str) -> Option<(String, bool, Option<TerminalExitStatus>)> {
        let terms = self.terms.lock();
        let t = terms.get(id)?;
        let o = t.output.lock();
        Some((o.text.clone(), o.truncated, t.exit.borrow().clone()))
    }

    /// `terminal/wait_for_exit`.
    pub async fn wait(&self, id: &str) -> Option<TerminalExitStatus> {
        let mut rx = self.terms.lock().get(id)?.exit.clone();
        loop {
            if let Some(s) = rx.borrow().clone() {
                return Some(s);
            }
            if rx.changed().await.is_err() {
                return Some(TerminalExitStatus::new());
            }
        }
    }

    /// `terminal/kill`: kills the command's process group; the terminal stays.
    pub fn kill(&self, id: &str) -> bool {
        let terms = self.terms.lock();
        let Some(t) = terms.get(id) else { return false };
        if t.exit.borrow().is_none()
            && let Some(pid) = t.pid
        {
            symphony_extensions::host::kill_group(pid);
        }
        true
    }

    /// `terminal/release`: kills it if running and forgets it.
    pub fn release(&self, id: &str) -> bool {
        let known = self.kill(id);
        self.terms.lock().remove(id);
        known
    }

    /// Kills every terminal (the agent went away).
    pub fn kill_all(&self) {
        let ids: Vec<String> = self.terms.lock().keys().cloned().collect();
        for id in ids {
            self.release(&id);
        }
    }
}

fn signal_name(sig: i32) -> String {
    match sig {
        libc::SIGKILL => "SIGKILL".into(),
        libc::SIGTERM => "SIGTERM".into(),
        libc::SIGINT => "SIGINT".into(),
        other => format!("signal {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_command_runs_with_its_output_and_exit_code_and_can_be_killed() {
        let dir = tempfile::tempdir().unwrap();
        let t = Terminals::default();
        let req = CreateTerminalRequest::new("s", "sh")
            .args(vec!["-c".into(), "echo hello; exit 3".into()]);
        let id = t.create(&req, dir.path(), Arc::new(|_, _| {})).unwrap();
        let exit = t.wait(&id).await.unwrap();
        assert_eq!(exit.exit_code, Some(3));
        let (out, truncated, status) = t.output(&id).unwrap();
        assert_eq!((out.as_str(), truncated), ("hello\n", false));
        assert!(status.is_some());
        let long = CreateTerminalRequest::new("s", "sleep").args(vec!["60".into()]);
        let id = t.create(&long, dir.path(), Arc::new(|_, _| {})).unwrap();
        assert!(t.kill(&id));
        let exit = t.wait(&id).await.unwrap();
        assert_eq!(exit.signal.as_deref(), Some("SIGKILL"));
        assert!(t.release(&id));
        assert!(t.output(&id).is_none());
    }

    #[test]
    fn output_past_the_limit_is_cut_from_the_front() {
        let mut o = Output {
            limit: 4,
            ..Default::default()
        };
        o.push("abcdef");
        assert_eq!((o.text.as_str(), o.truncated), ("cdef", true));
    }
}
