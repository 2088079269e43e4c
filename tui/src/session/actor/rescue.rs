//! The actor's side of the client journal (`session::client_journal`): written
//! when the editor dies, appended to while it is down, removed once a restarted
//! editor confirmed the replay; found at a file's first open and offered then.

use serde_json::Value;
use symphony_protocol::xi::RecoverAction;

use super::super::client_journal::{self, Found};
use super::{Actor, Logged, Out, Pending, Req, View, ViewHandle, wire};
use crate::session::SessionEvent;

/// A logged edit as the journal stores it.
fn logged_value(l: &Logged) -> Value {
    match l {
        Logged::Edit(e) => wire::edit_value(e),
        Logged::Cut => wire::cut_value(),
    }
}

/// A queued command as the journal stores it, when it changes the buffer.
fn pending_value(p: &Pending) -> Option<Value> {
    match p {
        Pending::Edit(cmd) => Some(wire::edit_value(cmd)),
        Pending::Copy(true) => Some(wire::cut_value()),
        _ => None,
    }
}

fn has_edits(v: &View) -> bool {
    !v.log.is_empty() || v.queue.iter().any(|(_, p)| pending_value(p).is_some())
}

impl Actor {
    /// Whether `view` gets a client journal: a file, shown in no other view, whose
    /// log rebuilds it exactly.
    fn journaled_by_client(&self, view: ViewHandle) -> bool {
        let Some(v) = self.views.get(&view) else {
            return false;
        };
        self.options.client_journal.is_some()
            && v.path.is_some()
            && self.views.values().filter(|o| o.path == v.path).count() == 1
            && self.path_exact(view)
    }

    /// The editor is gone: write the journal of every file with edits it may not have.
    pub(super) fn write_client_journals(&mut self) {
        let handles: Vec<ViewHandle> = self.views.keys().copied().collect();
        for view in handles {
            if self.journaled_by_client(view) {
                self.write_client_journal(view);
            }
        }
    }

    fn write_client_journal(&mut self, view: ViewHandle) {
        let Some(dir) = self.options.client_journal.clone() else {
            return;
        };
        let Some(v) = self.views.get_mut(&view) else {
            return;
        };
        let Some(path) = v.path.clone() else {
            return;
        };
        if !has_edits(v) {
            return;
        }
        let edits = v
            .log
            .iter()
            .map(|(_, l)| logged_value(l))
            .chain(v.queue.iter().filter_map(|(_, p)| pending_value(p)))
            .collect::<Vec<_>>();
        v.cj_until = None;
        match client_journal::write(&dir, &path, &v.base, edits) {
            Ok(j) => v.cj = Some(j),
            Err(e) => {
                v.cj = None;
                tracing::warn!("client journal of {}: {e}", path.display());
                self.emit(SessionEvent::Alert(format!(
                    "cannot keep the edits of {} while the editor is down: {e}",
                    path.display()
                )));
            }
        }
    }

    /// `p` was queued for `view` while the editor is down or coming back: keep it.
    pub(super) fn journal_queued(&mut self, view: ViewHandle) {
        if !self.journaled_by_client(view) {
            return;
        }
        let Some(v) = self.views.get_mut(&view) else {
            return;
        };
        let Some(value) = v.queue.back().and_then(|(_, p)| pending_value(p)) else {
            return;
        };
        let appended = v.cj.as_mut().map(|j| j.append(&value));
        match appended {
            Some(Ok(())) => {}
            // None yet (nothing was typed when it died), or the append failed.
            _ => self.write_client_journal(view),
        }
    }

    /// The editor is back and has been sent everything: the journals go once it
    /// confirms the last edit sent now.
    pub(super) fn client_journals_sent(&mut self) {
        let seq = self.seq;
        for v in self.views.values_mut() {
            if v.cj.is_some() && v.cj_until.is_none() {
                v.cj_until = Some(seq);
            }
        }
    }

    /// Every edit up to `seq` was processed (and journaled) by the editor.
    pub(super) fn client_journals_confirmed(&mut self, seq: u64) {
        let dir = self.options.client_journal.clone();
        for v in self.views.values_mut() {
            if v.cj_until.is_some_and(|until| until <= seq) {
                v.cj_until = None;
                if let Some(j) = v.cj.take() {
                    j.remove();
                } else if let (Some(dir), Some(path)) = (&dir, &v.path) {
                    client_journal::remove(dir, path);
                }
            }
        }
    }

    /// The editor has every edit (it was told to stop, or the buffer was saved).
    pub(super) fn drop_client_journal(&mut self, view: ViewHandle) {
        if let Some(v) = self.views.get_mut(&view) {
            v.cj_until = None;
            if let Some(j) = v.cj.take() {
                j.remove();
            }
        }
    }

    /// At a file's first open: a client journal left by a client that died while
    /// its editor was down.
    pub(super) fn find_client_journal(&mut self, view: ViewHandle) {
        let Some(dir) = self.options.client_journal.clone() else {
            return;
        };
        if let Some(v) = self.views.get_mut(&view)
            && let Some(path) = v.path.clone()
        {
            v.found = client_journal::read(&dir, &path);
            if v.found.is_some() {
                tracing::info!(file = %path.display(), "found a client journal");
            }
        }
    }

    /// The view opened: offer its client journal, if it has one.
    pub(super) fn offer_client_journal(&mut self, view: ViewHandle) {
        let Some(v) = self.views.get(&view) else {
            return;
        };
        if let (Some(_), Some(path)) = (&v.found, &v.path) {
            let file_path = path.to_string_lossy().into_owned();
            self.emit(SessionEvent::RecoveryOffered {
                view,
                file_path,
                changed_on_disk: false,
                exact: true,
                more: 0,
            });
        }
    }

    /// The user answered the offer of a client journal (`None`: there was none).
    /// Accepted: the editor's own journal (which may lack the last edits) is
    /// declined, and the client journal's edits replayed onto the file.
    pub(super) fn answer_client_journal(&mut self, view: ViewHandle, accept: bool) -> Option<()> {
        let v = self.views.get_mut(&view)?;
        let core = v.core.clone()?;
        let found: Found = v.found.take()?;
        let dir = self.options.client_journal.clone();
        let path = v.path.clone();
        v.base = if accept {
            found.start.clone()
        } else {
            v.base.clone()
        };
        self.send(&Out::Recover {
            view_id: &core,
            action: RecoverAction::Superseded,
            into: None,
        });
        if !accept {
            if let (Some(dir), Some(path)) = (dir, path) {
                client_journal::remove(&dir, &path);
            }
            return Some(());
        }
        self.restore_start(&core, &found.start);
        for edit in found.edits {
            if wire::is_cut(&edit) {
                self.send_cut(view, Req::Ignore);
            } else if let Some(edit) = wire::parse_edit(&edit) {
                self.send_edit(view, edit);
            }
        }
        // Removed once the editor confirmed the replay.
        if let Some(v) = self.views.get_mut(&view) {
            v.cj_until = Some(self.seq);
        }
        Some(())
    }
}
