//! The edit acknowledgement between the real client session and the real
//! `symphony-editor`, with the traffic between them recorded by a wrapper (`tee`):
//! with the acknowledgement one key is one message to the editor; against an editor
//! that refuses `symphony.capabilities` (as upstream xi-core does) every edit is
//! followed by a `get_config`, as before. Prints the messages and bytes per key.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Result, bail};
use symphony_protocol::xi::EditNotification;
use symphony_tests::{Sandbox, binaries};
use symphony_tui::linecache::LineCache;
use symphony_tui::session::{EditorSession, EditorTarget, SessionEvent, ViewHandle};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

const KEYS: usize = 40;

/// A wrapper recording both directions; `refuse`: the editor never hears the
/// negotiation (its method is renamed, so it answers "unknown method").
fn recording_editor(
    sandbox: &Sandbox,
    editor: &Path,
    refuse: bool,
) -> Result<(PathBuf, PathBuf, PathBuf)> {
    use std::os::unix::fs::PermissionsExt;
    let (inner, _pid) = sandbox.editor_wrapper(editor)?;
    let dir = sandbox.work();
    let (to, from) = (dir.join("to_editor.log"), dir.join("from_editor.log"));
    let filter = if refuse {
        "sed -u 's/\"symphony.capabilities\"/\"symphony.no_such_method\"/'"
    } else {
        "cat"
    };
    let script = dir.join("recording.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ntee -a '{}' | {filter} | '{}' \"$@\" | tee -a '{}'\n",
            to.display(),
            inner.display(),
            from.display()
        ),
    )?;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))?;
    Ok((script, to, from))
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

struct Traffic {
    to_msgs: usize,
    to_bytes: usize,
    from_msgs: usize,
    from_bytes: usize,
    get_configs: usize,
    acks: usize,
}

/// Types `KEYS` characters into a fresh file and returns the traffic of the typing.
async fn type_keys(refuse: bool) -> Result<Traffic> {
    let bins = binaries()?;
    let sandbox = Sandbox::new()?;
    let file = sandbox.file("ack.txt", "\n")?;
    let (program, to, from) = recording_editor(&sandbox, &bins.editor, refuse)?;
    let (tx, mut events) = unbounded_channel();
    let mut session = EditorSession::start(EditorTarget::Spawn { program }, tx);
    let mut cache = LineCache::default();
    let v = session.open(Some(file));
    wait(&mut events, &mut cache, v, "opened", |c| !c.is_empty()).await?;
    // The negotiation is answered (or refused) before the typing starts.
    poll("negotiated", || {
        lines(&from)
            .iter()
            .any(|l| l.contains("edit_ack") || l.contains("no_such_method"))
    })
    .await?;
    // One warm-up key, seen back in the line cache: the editor's lines are handled in
    // order, so the client has read the negotiation's answer (which came first) by then.
    session.edit(v, EditNotification::Insert { chars: "z".into() });
    wait(&mut events, &mut cache, v, "warm-up", |c| {
        c.get(0).is_some_and(|l| l.text.trim_end() == "z")
    })
    .await?;
    let (to0, from0) = (lines(&to).len(), lines(&from).len());
    for i in 0..KEYS {
        let c = char::from(b'a' + (i % 26) as u8).to_string();
        session.edit(v, EditNotification::Insert { chars: c });
    }
    wait(&mut events, &mut cache, v, "typed", |c| {
        c.get(0)
            .is_some_and(|l| l.text.trim_end().len() == KEYS + 1)
    })
    .await?;
    // Every confirmation of the typing arrived: one per key.
    poll("confirmed", || {
        let out = lines(&from);
        let confirmations = out[from0.min(out.len())..]
            .iter()
            .filter(|l| l.contains("symphony_ack") || l.contains("\"tab_size\""))
            .count();
        confirmations >= KEYS
    })
    .await?;
    let sent = lines(&to)[to0..].to_vec();
    let got = lines(&from)[from0..].to_vec();
    session.shutdown();
    Ok(Traffic {
        to_msgs: sent.len(),
        to_bytes: sent.iter().map(|l| l.len() + 1).sum(),
        from_msgs: got.len(),
        from_bytes: got.iter().map(|l| l.len() + 1).sum(),
        get_configs: sent.iter().filter(|l| l.contains("\"get_config\"")).count(),
        acks: got.iter().filter(|l| l.contains("symphony_ack")).count(),
    })
}

async fn poll(what: &str, done: impl Fn() -> bool) -> Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !done() {
        if tokio::time::Instant::now() > deadline {
            bail!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

async fn wait(
    events: &mut UnboundedReceiver<SessionEvent>,
    cache: &mut LineCache,
    view: ViewHandle,
    what: &str,
    done: impl Fn(&LineCache) -> bool,
) -> Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !done(cache) {
        let Ok(Some(event)) = tokio::time::timeout_at(deadline, events.recv()).await else {
            bail!("timed out waiting for {what}");
        };
        if let SessionEvent::Update { view: v, update } = &event
            && *v == view
        {
            cache.apply(update);
        }
    }
    Ok(())
}

fn report(name: &str, t: &Traffic) {
    let k = KEYS as f64;
    println!(
        "{name}: per key {:.2} msgs / {:.0} bytes to the editor, {:.2} msgs / {:.0} bytes back",
        t.to_msgs as f64 / k,
        t.to_bytes as f64 / k,
        t.from_msgs as f64 / k,
        t.from_bytes as f64 / k
    );
}

#[tokio::test]
async fn with_the_edit_ack_one_key_is_one_message_to_the_editor_and_its_update_confirms_it()
-> Result<()> {
    let t = type_keys(false).await?;
    report("edit ack", &t);
    assert_eq!(t.get_configs, 0, "no get_config after edits");
    assert_eq!(t.to_msgs, KEYS, "one edit line per key");
    assert_eq!(t.acks, KEYS, "each key acknowledged in an update");
    Ok(())
}

#[tokio::test]
async fn an_editor_that_refuses_the_negotiation_gets_a_get_config_after_every_edit() -> Result<()> {
    let t = type_keys(true).await?;
    report("fallback (get_config)", &t);
    assert_eq!(t.get_configs, KEYS);
    assert_eq!(t.to_msgs, 2 * KEYS);
    assert_eq!(t.acks, 0);
    Ok(())
}
