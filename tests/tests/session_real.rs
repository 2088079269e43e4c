//! The client's `EditorSession` against the real `symphony-editor`: edits,
//! save, and a SIGKILL of the editor in the middle (recovered, nothing lost).

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::json;
use symphony_protocol::xi::EditNotification;
use symphony_tests::{Sandbox, binaries, kill9};
use symphony_tui::linecache::LineCache;
use symphony_tui::session::{EditorSession, EditorState, EditorTarget, SessionEvent, ViewHandle};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

struct Client {
    session: EditorSession,
    events: UnboundedReceiver<SessionEvent>,
    caches: HashMap<ViewHandle, LineCache>,
    seen: Vec<SessionEvent>,
}

impl Client {
    fn text(&self, view: ViewHandle) -> String {
        let Some(c) = self.caches.get(&view) else {
            return String::new();
        };
        (0..c.len())
            .map(|i| c.get(i).map(|l| l.text.clone()).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    }

    async fn until(&mut self, what: &str, done: impl Fn(&Client) -> bool) -> Result<()> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while !done(self) {
            let Ok(Some(event)) = tokio::time::timeout_at(deadline, self.events.recv()).await
            else {
                let seen: Vec<String> = self
                    .seen
                    .iter()
                    .map(|e| format!("{e:?}").chars().take(160).collect())
                    .collect();
                bail!(
                    "timed out waiting for {what}; text {:?}; saw:\n{}",
                    self.caches
                        .values()
                        .next()
                        .map(|_| self.text(ViewHandle(1))),
                    seen.join("\n")
                );
            };
            match &event {
                SessionEvent::Update { view, update } => {
                    self.caches.entry(*view).or_default().apply(update)
                }
                SessionEvent::ViewReset { view } => self.caches.entry(*view).or_default().clear(),
                _ => {}
            }
            self.seen.push(event);
        }
        Ok(())
    }

    fn saw(&self, f: impl Fn(&SessionEvent) -> bool) -> bool {
        self.seen.iter().any(f)
    }
}

fn edit(method: &str, params: serde_json::Value) -> EditNotification {
    serde_json::from_value(json!({ "method": method, "params": params })).expect("edit")
}

#[tokio::test]
async fn session_survives_sigkill_of_the_real_editor() -> Result<()> {
    let bins = binaries()?;
    let sandbox = Sandbox::new()?;
    let file = sandbox.file("real.txt", "x\n")?;
    let (program, pidfile) = sandbox.editor_wrapper(&bins.editor)?;
    let (tx, events) = unbounded_channel();
    let mut c = Client {
        session: EditorSession::start(EditorTarget::Spawn { program }, tx),
        events,
        caches: HashMap::new(),
        seen: Vec::new(),
    };
    let v = c.session.open(Some(file.clone()));
    c.session.edit(v, edit("scroll", json!([0, 20])));
    c.session.edit(v, edit("insert", json!({ "chars": "abc" })));
    c.until("abc", |c| c.text(v).starts_with("abcx")).await?;
    c.until("running", |c| {
        c.saw(|e| *e == SessionEvent::State(EditorState::Running))
    })
    .await?;
    // A round trip (copy answers after everything sent before it) so the
    // editor is idle when it dies: an edit applied in the microseconds between
    // its `update` and its confirmation would otherwise be sent again.
    c.session.copy(v, false);
    c.until("copied", |c| {
        c.saw(|e| matches!(e, SessionEvent::Copied { .. }))
    })
    .await?;
    let first: u32 = std::fs::read_to_string(&pidfile)?
        .trim()
        .parse()
        .context("pid")?;
    kill9(first)?;
    c.session.edit(v, edit("insert", json!({ "chars": "def" })));
    c.until("restarting", |c| {
        c.saw(|e| matches!(e, SessionEvent::State(EditorState::Restarting { .. })))
    })
    .await?;
    c.until("text back", |c| c.text(v).starts_with("abcdefx"))
        .await?;
    assert!(c.saw(|e| *e == SessionEvent::ViewReset { view: v }));
    let second: u32 = std::fs::read_to_string(&pidfile)?
        .trim()
        .parse()
        .context("pid")?;
    assert_ne!(first, second);
    c.session.save(v, file.clone());
    c.until("saved", |c| {
        c.saw(|e| matches!(e, SessionEvent::Saved { .. }))
    })
    .await?;
    assert!(
        c.saw(|e| matches!(e, SessionEvent::Saved { result: Ok(()), .. })),
        "{:#?}",
        c.seen
    );
    assert_eq!(std::fs::read_to_string(&file)?, "abcdefx\n");
    c.session.shutdown();
    Ok(())
}
