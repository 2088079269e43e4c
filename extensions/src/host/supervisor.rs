//! The supervisor task of one extension: starts its process, runs the lifecycle
//! handshake, restarts it with backoff after a crash or a hang, and its I/O tasks
//! (priority-ordered writer, reader dispatching replies, events and host requests).
//!
//! Framing: JSON lines until the extension answers `initialize` with
//! `{"framing": "msgpack"}`; from then on every envelope, both ways, is a u32
//! big-endian length followed by that many bytes of MessagePack
//! (`symphony_protocol::envelope::MsgPackCodec`). The extension must write nothing after that reply until it
//! has read the next host message (the `activate` request).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use symphony_protocol::envelope::{Message, MessageKind, Priority, now_ms};
use symphony_protocol::framing::{LineReader, LineWriter};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::process::{ChildStderr, ChildStdin, ChildStdout};
use tokio::sync::mpsc;

use super::{Command, Event, HostError, Shared, State, TokenBucket, bump, process, wire};

/// How one run of the process ended.
enum Exit {
    /// Stopped on request; stay Inactive.
    Stopped,
    /// Unload requested.
    Unload,
    /// Crashed, hung or could not start: restart (maybe).
    Died(String),
}

/// Lifecycle requests' timeout.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a stopping process may linger before it is killed.
const GRACE: Duration = Duration::from_secs(2);

pub(crate) async fn run(shared: Arc<Shared>, mut cmds: mpsc::UnboundedReceiver<Command>) {
    let mut want_active = true;
    let mut failures: u32 = 0;
    loop {
        if !want_active {
            match cmds.recv().await {
                Some(Command::Activate) => want_active = true,
                Some(Command::Unload) | None => {
                    let _ = shared.set_state(State::Unloaded);
                    return;
                }
                Some(Command::Deactivate | Command::Restart(_)) => {}
            }
            continue;
        }
        if shared.set_state(State::Activating).is_err() {
            want_active = false;
            continue;
        }
        let started = Instant::now();
        match run_once(&shared, &mut cmds).await {
            Exit::Stopped => {
                let _ = shared.set_state(State::Inactive);
                want_active = false;
                failures = 0;
            }
            Exit::Unload => {
                if *shared.state.borrow() != State::Deactivating {
                    let _ = shared.set_state(State::Deactivating);
                }
                let _ = shared.set_state(State::Inactive);
                let _ = shared.set_state(State::Unloaded);
                return;
            }
            Exit::Died(reason) => {
                tracing::warn!(id = %shared.id(), %reason, "extension died");
                if let Ok(mut r) = shared.reason.lock() {
                    *r = Some(reason.clone());
                }
                if started.elapsed() >= shared.config.stable_after {
                    failures = 0;
                }
                if failures >= shared.config.max_restarts {
                    let why = format!("gave up after {failures} restarts: {reason}");
                    tracing::error!(id = %shared.id(), reason = %why, "extension failed");
                    if let Ok(mut r) = shared.reason.lock() {
                        *r = Some(why);
                    }
                    let _ = shared.set_state(State::Failed);
                    want_active = false;
                    failures = 0;
                    continue;
                }
                let delay = shared
                    .config
                    .backoff
                    .saturating_mul(1 << failures.min(16))
                    .min(shared.config.max_backoff);
                failures += 1;
                bump(&shared.stats.restarts);
                // Wait out the backoff, but obey an unload meanwhile.
                let sleep = tokio::time::sleep(delay);
                tokio::pin!(sleep);
                loop {
                    tokio::select! {
                        () = &mut sleep => break,
                        cmd = cmds.recv() => match cmd {
                            Some(Command::Unload) | None => {
                                let _ = shared.set_state(State::Failed);
                                let _ = shared.set_state(State::Unloaded);
                                return;
                            }
                            Some(Command::Deactivate) => {
                                let _ = shared.set_state(State::Deactivating);
                                let _ = shared.set_state(State::Inactive);
                                want_active = false;
                                break;
                            }
                            Some(_) => {}
                        }
                    }
                }
            }
        }
    }
}

/// Runs the process once, from spawn to exit.
async fn run_once(shared: &Arc<Shared>, cmds: &mut mpsc::UnboundedReceiver<Command>) -> Exit {
    let m = &shared.manifest;
    let granted_env = &shared.checker.grant().env;
    let mut child = match process::spawn(
        m,
        &shared.config.workspace,
        shared.config.limits,
        granted_env,
    ) {
        Ok(c) => c,
        Err(e) => return Exit::Died(format!("cannot start {}: {e}", m.program().display())),
    };
    let (Some(stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        let _ = child.start_kill();
        return Exit::Died("no stdio pipes".into());
    };
    shared.pid.store(
        child.id().unwrap_or(0),
        std::sync::atomic::Ordering::Relaxed,
    );
    let (tx, rx) = mpsc::unbounded_channel();
    if let Ok(mut out) = shared.out.lock() {
        *out = Some(tx);
    }
    // Set by the reader when the extension accepts MessagePack at initialize.
    let msgpack = Arc::new(AtomicBool::new(false));
    let writer = tokio::spawn(write_loop(shared.clone(), stdin, rx, msgpack.clone()));
    let reader = tokio::spawn(read_loop(shared.clone(), stdout, msgpack));
    let errs = tokio::spawn(stderr_loop(shared.id().to_string(), stderr));

    let exit = supervise(shared, cmds, &mut child).await;
    if matches!(exit, Exit::Died(_)) && *shared.state.borrow() == State::Active {
        // Callers see the restart before their pending requests fail.
        let _ = shared.set_state(State::Activating);
    }

    if let Ok(mut out) = shared.out.lock() {
        *out = None;
    }
    if let Some(pid) = child.id() {
        process::kill_group(pid);
    }
    let _ = child.start_kill();
    let _ = child.wait().await;
    shared.pid.store(0, std::sync::atomic::Ordering::Relaxed);
    shared.bus.unsubscribe_extension(shared);
    writer.abort();
    reader.abort();
    errs.abort();
    shared.fail_pending();
    exit
}

async fn supervise(
    shared: &Arc<Shared>,
    cmds: &mut mpsc::UnboundedReceiver<Command>,
    child: &mut tokio::process::Child,
) -> Exit {
    let init = json!({
        "id": shared.id(),
        "config": shared.settings,
        "workspace": shared.config.workspace,
        "protocol": "json-lines",
        "framing": [wire::FRAMING_JSON, wire::FRAMING_MSGPACK],
    });
    let handshake = async {
        shared
            .request_raw("initialize", init, Priority::High, HANDSHAKE_TIMEOUT)
            .await?;
        shared
            .request_raw("activate", json!({}), Priority::High, HANDSHAKE_TIMEOUT)
            .await
    };
    tokio::select! {
        r = handshake => if let Err(e) = r {
            return Exit::Died(match e {
                HostError::Gone(_) | HostError::NotRunning(_) => exit_reason(child).await,
                e => format!("handshake failed: {e}"),
            });
        },
        status = child.wait() => return Exit::Died(describe(status)),
        cmd = cmds.recv() => match cmd {
            Some(Command::Unload) | None => return Exit::Unload,
            Some(Command::Deactivate) => {
                let _ = shared.set_state(State::Deactivating);
                return Exit::Stopped;
            }
            Some(Command::Restart(r)) => return Exit::Died(r),
            Some(Command::Activate) => {}
        },
    }
    if shared.set_state(State::Active).is_err() {
        return Exit::Died("could not become active".into());
    }
    loop {
        tokio::select! {
            status = child.wait() => return Exit::Died(describe(status)),
            cmd = cmds.recv() => match cmd {
                Some(Command::Restart(reason)) => return Exit::Died(reason),
                Some(Command::Deactivate) => {
                    stop(shared, child).await;
                    return Exit::Stopped;
                }
                Some(Command::Unload) | None => {
                    stop(shared, child).await;
                    return Exit::Unload;
                }
                Some(Command::Activate) => {}
            },
        }
    }
}

/// Graceful stop: deactivate, shutdown, close stdin, wait, then kill.
async fn stop(shared: &Arc<Shared>, child: &mut tokio::process::Child) {
    let _ = shared.set_state(State::Deactivating);
    let _ = shared
        .request_raw("deactivate", json!({}), Priority::Critical, GRACE)
        .await;
    let _ = shared
        .request_raw("shutdown", json!({}), Priority::Critical, GRACE)
        .await;
    if let Ok(mut out) = shared.out.lock() {
        *out = None;
    }
    if tokio::time::timeout(GRACE, child.wait()).await.is_err() {
        tracing::warn!(id = %shared.id(), "extension ignored shutdown; killing it");
    }
}

async fn exit_reason(child: &mut tokio::process::Child) -> String {
    match tokio::time::timeout(Duration::from_secs(1), child.wait()).await {
        Ok(status) => describe(status),
        Err(_) => "closed its output".into(),
    }
}

fn describe(status: std::io::Result<std::process::ExitStatus>) -> String {
    use std::os::unix::process::ExitStatusExt;
    match status {
        Ok(s) => match (s.code(), s.signal()) {
            (Some(c), _) => format!("exited with status {c}"),
            (None, Some(sig)) => format!("killed by signal {sig}"),
            _ => format!("exited: {s}"),
        },
        Err(e) => format!("lost track of the process: {e}"),
    }
}

/// Writes queued messages, highest priority first (FIFO within a priority); drops
/// expired ones. JSON lines, or MessagePack frames once `msgpack` is set.
async fn write_loop(
    shared: Arc<Shared>,
    stdin: ChildStdin,
    mut rx: mpsc::UnboundedReceiver<Message<Value>>,
    msgpack: Arc<AtomicBool>,
) {
    let mut w = LineWriter::new(stdin);
    let mut heap: BinaryHeap<(Priority, Reverse<u64>, Wrapper)> = BinaryHeap::new();
    let mut seq: u64 = 0;
    while let Some(first) = rx.recv().await {
        heap.push((first.priority, Reverse(seq), Wrapper(first)));
        seq += 1;
        while let Ok(m) = rx.try_recv() {
            heap.push((m.priority, Reverse(seq), Wrapper(m)));
            seq += 1;
        }
        let now = now_ms();
        while let Some((_, _, Wrapper(msg))) = heap.pop() {
            if msg.is_expired(now) {
                bump(&shared.stats.expired);
                tracing::debug!(id = %shared.id(), "dropping expired message");
                continue;
            }
            let written = if msgpack.load(Ordering::Acquire) {
                match wire::msgpack_frame(&msg) {
                    Ok(frame) => w
                        .get_mut()
                        .write_all(&frame)
                        .await
                        .map_err(|e| e.to_string()),
                    Err(e) => {
                        tracing::warn!(id = %shared.id(), error = %e, "cannot encode message; dropped");
                        continue;
                    }
                }
            } else {
                w.write_value(&msg).await.map_err(|e| e.to_string())
            };
            if let Err(e) = written {
                tracing::debug!(id = %shared.id(), error = %e, "extension stdin closed");
                return;
            }
        }
        if w.flush().await.is_err() {
            return;
        }
    }
}

/// Orders nothing: the heap key is (priority, sequence), which is unique.
struct Wrapper(Message<Value>);
impl PartialEq for Wrapper {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for Wrapper {}
impl PartialOrd for Wrapper {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Wrapper {
    fn cmp(&self, _: &Self) -> std::cmp::Ordering {
        std::cmp::Ordering::Equal
    }
}

/// Reads the extension's output: replies complete pending requests, events go to the
/// bus, host requests are checked and served; bad lines are counted and skipped.
/// Switches to MessagePack frames when the initialize reply asks for them.
async fn read_loop(shared: Arc<Shared>, stdout: ChildStdout, msgpack: Arc<AtomicBool>) {
    let mut r = LineReader::with_max_line(stdout, shared.config.max_line);
    let mut bucket = TokenBucket::new(shared.config.rate_per_sec, shared.config.burst);
    while let Some(line) = r.next_line().await {
        let line = match line {
            Ok(l) => l,
            Err(symphony_protocol::framing::FrameError::Io(e)) => {
                tracing::debug!(id = %shared.id(), error = %e, "extension stdout failed");
                return;
            }
            Err(e) => {
                malformed(&shared, &e.to_string());
                continue;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        let msg = match wire::decode_line(line.as_bytes()) {
            Ok(m) => m,
            Err(e) => {
                malformed(&shared, &e.to_string());
                continue;
            }
        };
        if dispatch(&shared, &mut bucket, msg, &msgpack) {
            tracing::debug!(id = %shared.id(), "extension switched to MessagePack framing");
            // Nothing follows the initialize reply until the host writes again, so
            // no buffered bytes are lost here.
            read_frames(shared, r.into_inner(), bucket).await;
            return;
        }
    }
}

/// Reads u32 big-endian length-prefixed MessagePack envelopes until the end.
async fn read_frames(shared: Arc<Shared>, stdout: ChildStdout, mut bucket: TokenBucket) {
    let mut r = tokio::io::BufReader::new(stdout);
    let never = AtomicBool::new(true);
    loop {
        let mut len = [0u8; 4];
        if let Err(e) = r.read_exact(&mut len).await {
            tracing::debug!(id = %shared.id(), error = %e, "extension stdout ended");
            return;
        }
        let n = u32::from_be_bytes(len);
        if usize::try_from(n).map_or(true, |n| n > shared.config.max_line) {
            malformed(&shared, &format!("frame of {n} bytes is too long"));
            // Skip it and stay in step with the frames after it.
            let mut skip = (&mut r).take(u64::from(n));
            if tokio::io::copy(&mut skip, &mut tokio::io::sink())
                .await
                .is_err()
            {
                return;
            }
            continue;
        }
        let mut body = vec![0u8; n as usize];
        if r.read_exact(&mut body).await.is_err() {
            return;
        }
        match wire::decode_msgpack(&body) {
            Ok(msg) => {
                dispatch(&shared, &mut bucket, msg, &never);
            }
            Err(e) => malformed(&shared, &e.to_string()),
        }
    }
}

/// Handles one decoded envelope from the extension; true when it was the initialize
/// reply accepting MessagePack (then `msgpack` is set before its waiter wakes).
fn dispatch(
    shared: &Arc<Shared>,
    bucket: &mut TokenBucket,
    msg: Message<Value>,
    msgpack: &AtomicBool,
) -> bool {
    if msg.is_expired(now_ms()) {
        bump(&shared.stats.expired);
        return false;
    }
    match msg.kind {
        MessageKind::Response | MessageKind::Error => return complete(shared, msg, msgpack),
        MessageKind::Heartbeat => {}
        MessageKind::Event | MessageKind::Request => {
            if !bucket.try_take() {
                let n = shared
                    .stats
                    .throttled
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n.is_power_of_two() {
                    tracing::warn!(id = %shared.id(), dropped = n + 1, "extension flooding its output; throttled");
                }
                if msg.kind == MessageKind::Request {
                    // Its caller is waiting: say why it gets nothing.
                    let reply = Message::error_reply_to(
                        &msg,
                        wire::error(wire::THROTTLED, "too many messages; slow down"),
                    );
                    let _ = shared.send(reply.build());
                }
                return false;
            }
            if msg.kind == MessageKind::Event {
                publish(shared, msg);
            } else {
                serve(shared, msg);
            }
        }
    }
    false
}

fn malformed(shared: &Shared, why: &str) {
    let n = shared
        .stats
        .malformed
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    if n < 16 || n.is_power_of_two() {
        tracing::warn!(id = %shared.id(), error = %why, count = n + 1, "malformed line from extension skipped");
    }
}

/// Wakes the request `msg` answers; true (and `msgpack` set first) when it is the
/// initialize reply choosing MessagePack while `msgpack` is still unset.
fn complete(shared: &Shared, msg: Message<Value>, msgpack: &AtomicBool) -> bool {
    let Some(cid) = msg.correlation_id else {
        malformed(shared, "reply without correlation id");
        return false;
    };
    let waiter = shared.pending.lock().ok().and_then(|mut p| p.remove(&cid));
    let Some((method, tx)) = waiter else {
        tracing::debug!(id = %shared.id(), %cid, "reply to no pending request");
        return false;
    };
    let switch = method == "initialize"
        && msg.kind == MessageKind::Response
        && msg.payload.get("framing").and_then(Value::as_str) == Some(wire::FRAMING_MSGPACK)
        && !msgpack.swap(true, Ordering::AcqRel);
    let reply = if msg.kind == MessageKind::Response {
        Ok(msg.payload)
    } else {
        let s = |k: &str| {
            msg.payload
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        Err(HostError::Remote {
            code: s("code"),
            message: s("message"),
        })
    };
    let _ = tx.send(reply);
    switch
}

fn publish(shared: &Shared, msg: Message<Value>) {
    let Some(topic) = msg.payload.get("topic").and_then(Value::as_str) else {
        malformed(shared, "event without topic");
        return;
    };
    bump(&shared.stats.events);
    let topic = topic.to_string();
    let priority = msg.priority;
    let ttl_ms = msg.ttl_ms;
    let data = match msg.payload {
        Value::Object(mut o) => o.remove("data").unwrap_or(Value::Null),
        _ => Value::Null,
    };
    shared.bus.publish(Event {
        source: shared.endpoint.clone(),
        topic,
        data,
        priority,
        ttl_ms,
    });
}

/// A request from the extension: permission check, then the services.
fn serve(shared: &Arc<Shared>, msg: Message<Value>) {
    let method = msg
        .payload
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or("");
    let params = msg.payload.get("params").cloned().unwrap_or(Value::Null);
    let reply = match wire::permission_for(method, &params) {
        None => Message::error_reply_to(
            &msg,
            wire::error(
                wire::UNKNOWN_METHOD,
                &format!("unknown host method {method:?}"),
            ),
        ),
        Some(needed) => match needed.map(|r| shared.checker.check(&r)).transpose() {
            Err(denied) => {
                bump(&shared.stats.denied);
                tracing::warn!(id = %shared.id(), %method, reason = %denied, "extension request denied");
                Message::error_reply_to(
                    &msg,
                    wire::error(wire::PERMISSION_DENIED, &denied.to_string()),
                )
            }
            Ok(_) if method == "host.subscribe" => {
                let pattern = params.get("pattern").and_then(Value::as_str).unwrap_or("");
                shared
                    .bus
                    .subscribe_extension(pattern, Arc::downgrade(shared));
                Message::reply_to(&msg, Value::Null)
            }
            Ok(_) => {
                // The services may need another task (the client's loop): answer when
                // they do, without holding up the extension's other messages.
                let answer = shared.services.call_async(shared.id(), method, params);
                let shared = shared.clone();
                tokio::spawn(async move {
                    let reply = match answer.await {
                        Ok(v) => Message::reply_to(&msg, v),
                        Err(e) => Message::error_reply_to(&msg, wire::error(wire::FAILED, &e)),
                    };
                    let _ = shared.send(reply.build());
                });
                return;
            }
        },
    };
    let _ = shared.send(reply.build());
}

async fn stderr_loop(id: String, stderr: ChildStderr) {
    let mut r = LineReader::with_max_line(stderr, 64 * 1024);
    while let Some(line) = r.next_line().await {
        if let Ok(l) = line {
            tracing::debug!(ext = %id, "stderr: {l}");
        }
    }
}
