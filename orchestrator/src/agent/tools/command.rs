//! run_command: `sh -c` in the workspace root, in its own process group, with a
//! timeout; its output streams into the call's node as it comes and is returned cut to
//! a size the model can take. Only the environment variables the config names are
//! passed (secrets are withheld); cancel and timeout kill the whole group.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::AsyncReadExt;

use super::{Access, Tool, ToolContext, ToolFuture, ToolOutput, str_arg};
use crate::backends::command::KillGuard;
use crate::instrument::ToolSpec;

/// The variables passed to commands when the config names none.
pub const DEFAULT_COMMAND_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LC_ALL",
    "TERM",
    "TMPDIR",
    "SHELL",
    "CARGO_HOME",
    "RUSTUP_HOME",
];

/// Runs shell commands.
pub struct RunCommand {
    /// Timeout when the call gives none.
    pub timeout: Duration,
    /// Bytes of output returned to the model at most (head and tail kept).
    pub output_limit: usize,
}

impl Default for RunCommand {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(120),
            output_limit: 24 * 1024,
        }
    }
}

/// `text` cut to `limit` bytes: its start and end, with a note in between.
pub fn cut_middle(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_string();
    }
    let mut head = limit / 3;
    while !text.is_char_boundary(head) {
        head -= 1;
    }
    let mut tail = text.len() - (limit - head);
    while !text.is_char_boundary(tail) {
        tail += 1;
    }
    format!(
        "{}\n[... {} bytes cut ...]\n{}",
        &text[..head],
        tail - head,
        &text[tail..]
    )
}

impl Tool for RunCommand {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "run_command".into(),
            description: format!(
                "Run a shell command (sh -c) in the workspace root and return its exit status and output (stdout and stderr). Times out after {} s unless timeout_secs says otherwise.",
                self.timeout.as_secs()
            ),
            parameters: json!({
                "type": "object",
                "properties": {
                    "command": {"type": "string"},
                    "timeout_secs": {"type": "integer", "minimum": 1}
                },
                "required": ["command"]
            }),
        }
    }

    fn access(&self) -> Access {
        Access::Run
    }

    fn summary(&self, args: &Value) -> String {
        args.get("command")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string()
    }

    fn run(&self, args: Value, ctx: ToolContext) -> ToolFuture {
        let timeout = args
            .get("timeout_secs")
            .and_then(Value::as_u64)
            .map_or(self.timeout, Duration::from_secs);
        let limit = self.output_limit;
        Box::pin(async move {
            let command = match str_arg(&args, "command") {
                Ok(c) => c.to_string(),
                Err(e) => return e,
            };
            run_shell(&command, timeout, limit, &ctx).await
        })
    }
}

async fn run_shell(
    command: &str,
    timeout: Duration,
    limit: usize,
    ctx: &ToolContext,
) -> ToolOutput {
    let mut cmd = tokio::process::Command::new("sh");
    cmd.arg("-c")
        .arg(command)
        .current_dir(ctx.workspace.root())
        .env_clear()
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    for var in ctx.command_env.iter() {
        if let Some(v) = std::env::var_os(var) {
            cmd.env(var, v);
        }
    }
    #[cfg(unix)]
    cmd.process_group(0);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return ToolOutput::error(format!("cannot start sh: {e}")),
    };
    let guard = KillGuard { pid: child.id() };
    let (Some(mut stdout), Some(mut stderr)) = (child.stdout.take(), child.stderr.take()) else {
        guard.kill();
        return ToolOutput::error("cannot read the command's output");
    };
    let mut output = Vec::new();
    let mut out_buf = vec![0u8; 8192];
    let mut err_buf = vec![0u8; 8192];
    let (mut out_open, mut err_open) = (true, true);
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    let status = loop {
        tokio::select! {
            _ = ctx.cancel.cancelled() => {
                guard.kill();
                let _ = child.wait().await;
                return ToolOutput::error(format!("cancelled; the command was killed\n{}", cut_middle(&String::from_utf8_lossy(&output), limit)));
            }
            _ = &mut deadline => {
                guard.kill();
                let _ = child.wait().await;
                return ToolOutput::error(format!("timed out after {} s; the command was killed\n{}", timeout.as_secs(), cut_middle(&String::from_utf8_lossy(&output), limit)));
            }
            r = stdout.read(&mut out_buf), if out_open => match r {
                Ok(0) | Err(_) => out_open = false,
                Ok(n) => forward(ctx, &mut output, &out_buf[..n]).await,
            },
            r = stderr.read(&mut err_buf), if err_open => match r {
                Ok(0) | Err(_) => err_open = false,
                Ok(n) => forward(ctx, &mut output, &err_buf[..n]).await,
            },
            s = child.wait(), if !out_open && !err_open => break s,
        }
    };
    // Children left in the group (a backgrounded server) do not outlive the call.
    guard.kill();
    let text = cut_middle(&String::from_utf8_lossy(&output), limit);
    match status {
        Ok(s) if s.success() => ToolOutput::ok(format!("exit status 0\n{text}")),
        Ok(s) => ToolOutput::error(format!(
            "exit status {}\n{text}",
            s.code()
                .map_or("killed by a signal".to_string(), |c| c.to_string())
        )),
        Err(e) => ToolOutput::error(format!("waiting for the command failed: {e}")),
    }
}

async fn forward(ctx: &ToolContext, output: &mut Vec<u8>, bytes: &[u8]) {
    output.extend_from_slice(bytes);
    if let Some(tx) = &ctx.output {
        let _ = tx.send(String::from_utf8_lossy(bytes).into_owned()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::context;
    use super::*;

    #[tokio::test]
    async fn commands_run_in_the_workspace_without_secrets_and_stream_output() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("marker"), "").unwrap();
        // SAFETY: set once in this test process; no other test reads it.
        unsafe { std::env::set_var("SYMPHONY_TEST_SECRET_TOKEN", "hunter2") };
        let (tx, mut rx) = tokio::sync::mpsc::channel(16);
        let mut ctx = context(dir.path());
        ctx.output = Some(tx);
        let out = RunCommand::default()
            .run(
                json!({"command": "ls; echo \"secret=$SYMPHONY_TEST_SECRET_TOKEN\"; exit 3"}),
                ctx,
            )
            .await;
        assert!(out.is_error);
        assert!(
            out.content.starts_with("exit status 3\n"),
            "{}",
            out.content
        );
        assert!(out.content.contains("marker"));
        assert!(out.content.contains("secret=\n"), "{}", out.content);
        let mut streamed = String::new();
        while let Ok(s) = rx.try_recv() {
            streamed.push_str(&s);
        }
        assert!(streamed.contains("marker"));
    }

    #[tokio::test]
    async fn cancel_kills_the_whole_process_group() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = context(dir.path());
        let cancel = ctx.cancel.clone();
        let pidfile = dir.path().join("pid");
        let cmd = format!("sleep 300 & echo $! > {}; wait", pidfile.display());
        let run = tokio::spawn(RunCommand::default().run(json!({"command": cmd}), ctx));
        let mut pid = String::new();
        for _ in 0..400 {
            pid = std::fs::read_to_string(&pidfile).unwrap_or_default();
            if pid.ends_with('\n') {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let pid: i32 = pid
            .trim()
            .parse()
            .expect("the command wrote its child's pid");
        cancel.cancel();
        let out = run.await.unwrap();
        assert!(out.content.starts_with("cancelled"), "{}", out.content);
        let mut gone = false;
        for _ in 0..400 {
            // SAFETY: signal 0 only checks whether the process exists.
            let alive = unsafe { libc::kill(pid, 0) } == 0
                && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .unwrap_or_default()
                    .contains(") Z ");
            if !alive {
                gone = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert!(gone, "the backgrounded sleep was killed with its group");
    }

    #[test]
    fn long_output_keeps_its_start_and_end() {
        let text = "a".repeat(100) + &"b".repeat(100);
        let cut = cut_middle(&text, 60);
        assert!(cut.starts_with("aaaa") && cut.ends_with("bbbb") && cut.contains("bytes cut"));
    }
}
