//! The actor's connection to the editor: starting (or connecting), the start-up
//! sequence, losing it, restarting with backoff, and quitting.

use std::time::Duration;

use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Instant;

use super::super::transport::{self, Incoming};
use super::{Actor, Out, OutRequest, Pending, Phase, Req, SHUTDOWN_RESTART};
use crate::session::{EditorState, EditorTarget, SessionEvent, ViewHandle};

impl Actor {
    pub(super) async fn connect(&mut self) {
        self.generation += 1;
        match transport::open(&self.target, self.generation, self.inbox.clone()).await {
            Ok(conn) => {
                self.conn = Some(conn);
                self.on_connected();
            }
            Err(e) => {
                tracing::warn!("cannot start the editor: {e}");
                self.refused = e.kind() == std::io::ErrorKind::PermissionDenied;
                self.lost(e.to_string());
            }
        }
    }

    pub(super) fn on_connected(&mut self) {
        self.send(&Out::ClientStarted);
        if let Some(theme) = self.theme.clone() {
            self.send(&Out::SetTheme(&theme));
        }
        let handles: Vec<ViewHandle> = self.views.keys().copied().collect();
        let probe = matches!(self.target, EditorTarget::Connect { .. });
        for view in handles {
            let Some(v) = self.views.get_mut(&view) else {
                continue;
            };
            let reopen = v.phase != Phase::Opening;
            match v.prev_core.take() {
                // A socket server may have outlived the connection: if it still
                // knows the view, keep using it (its buffer has every edit).
                Some(old) if probe && reopen => {
                    let core = old.clone();
                    self.send_request_of(OutRequest::GetConfig(&core), Req::Probe { view, old });
                }
                _ => self.send_new_view(view, reopen),
            }
        }
        if !self.views.is_empty() && !self.capabilities_asked {
            // Every view was kept by a socket server: ask now.
            self.capabilities_asked = true;
            self.send_request_of(OutRequest::Capabilities, Req::Capabilities);
        }
        self.maybe_running();
    }

    /// Running once every view is open again.
    pub(super) fn maybe_running(&mut self) {
        if self.conn.is_some() && self.views.values().all(|v| v.phase != Phase::Reopening) {
            self.set_state(EditorState::Running);
            self.client_journals_sent();
        }
    }

    pub(super) fn lost(&mut self, reason: String) {
        tracing::warn!("editor connection lost: {reason}");
        if self.lost_reason.is_none() {
            self.lost_reason = Some(reason.clone());
        }
        self.conn = None;
        self.edit_ack = false;
        self.capabilities_asked = false;
        self.by_core.clear();
        for req in std::mem::take(&mut self.requests).into_values() {
            match req {
                Req::Copy { view, cut } => self.emit(SessionEvent::Copied {
                    view,
                    text: None,
                    cut,
                }),
                Req::Reply { view, id } => self.emit(SessionEvent::Reply {
                    view,
                    id,
                    result: Err("the editor connection was lost".into()),
                }),
                Req::Saved {
                    view,
                    seq,
                    path,
                    force,
                    before,
                } => {
                    self.save_conflicts.remove(&view);
                    self.save_unanswered(view, seq, path, force, before)
                }
                _ => {}
            }
        }
        for v in self.views.values_mut() {
            v.prev_core = v.core.take();
            v.recovered = false;
            v.restart_offer_taken = false;
            if v.phase == Phase::Ready {
                v.phase = Phase::Reopening;
            }
        }
        self.write_client_journals();
        if self
            .up_since
            .is_some_and(|t| t.elapsed() >= self.options.stable_after)
        {
            self.attempt = 0;
        }
        self.up_since = None;
        self.attempt += 1;
        if std::mem::take(&mut self.refused) {
            self.restart_at = None;
            self.set_state(EditorState::Failed { reason });
            return;
        }
        if self.attempt > self.options.max_attempts {
            self.restart_at = None;
            self.set_state(EditorState::Failed {
                reason: format!(
                    "gave up after {} restarts: {reason}",
                    self.options.max_attempts
                ),
            });
            return;
        }
        let factor = 1u32 << (self.attempt - 1).min(16);
        let delay = (self.options.first_backoff * factor).min(self.options.max_backoff);
        self.restart_at = Some(Instant::now() + delay);
        self.set_state(EditorState::Restarting {
            attempt: self.attempt,
        });
    }

    /// The user asked for the editor back: start it now, with a fresh count of attempts.
    pub(super) async fn restart_now(&mut self) {
        if self.conn.is_some() {
            return;
        }
        self.attempt = 0;
        self.restart_at = None;
        self.set_state(EditorState::Restarting { attempt: 1 });
        self.connect().await;
    }

    /// Edits the editor may not have journaled: logged since the base (a dead
    /// editor's journal may miss the last of them), or still queued.
    pub(super) fn unjournaled_edits(&self) -> bool {
        self.views
            .values()
            .any(|v| !v.log.is_empty() || v.queue.iter().any(|(_, p)| !matches!(p, Pending::Close)))
    }

    pub(super) async fn shutdown(&mut self, incoming: &mut UnboundedReceiver<(u64, Incoming)>) {
        if self.conn.is_none() && self.unjournaled_edits() {
            // Down, with typing only this session holds: one more start, so that
            // the editor replays it into its journal before it is told to stop.
            tracing::info!("starting the editor once more to journal the edits before quitting");
            self.restart_now().await;
            let deadline = Instant::now() + SHUTDOWN_RESTART;
            while self.conn.is_some() && self.state != EditorState::Running {
                match tokio::time::timeout_at(deadline, incoming.recv()).await {
                    Ok(Some((g, msg))) if g == self.generation => match msg {
                        Incoming::Message(v) => self.message(v),
                        Incoming::Closed(reason) => self.lost(reason),
                    },
                    Ok(Some(_)) => {}
                    Ok(None) | Err(_) => break,
                }
            }
        }
        let Some(conn) = self.conn.as_mut() else {
            return;
        };
        conn.close_input();
        let generation = self.generation;
        let closed = tokio::time::timeout(Duration::from_secs(5), async {
            while let Some((g, msg)) = incoming.recv().await {
                if g == generation && matches!(msg, Incoming::Closed(_)) {
                    break;
                }
            }
        })
        .await;
        self.conn = None;
        if closed.is_ok() && self.state == EditorState::Running {
            // It read everything to the end of its input: its journal has it all.
            let handles: Vec<ViewHandle> = self.views.keys().copied().collect();
            for view in handles {
                self.drop_client_journal(view);
            }
        }
    }
}
