//! The actor sends: every line goes out here; edits are logged (for a replay after
//! a crash) and confirmed by the editor's acknowledgement or a `get_config` after them.

use symphony_protocol::xi::EditNotification;

use super::{Actor, Logged, Out, OutRequest, Phase, Req};
use crate::session::ViewHandle;

fn is_view_geometry(cmd: &EditNotification) -> bool {
    matches!(
        cmd,
        EditNotification::Scroll(_)
            | EditNotification::Resize(_)
            | EditNotification::RequestLines(_)
    )
}

/// Edits whose effect depends on editor state a restart loses (undo history, kill
/// ring, macro recordings) when that state predates the log.
fn depends_on_history(cmd: &EditNotification) -> bool {
    matches!(
        cmd,
        EditNotification::Undo
            | EditNotification::Redo
            | EditNotification::Yank
            | EditNotification::PlayRecording { .. }
    )
}

impl Actor {
    pub(super) fn send_line(&self, line: String) {
        if let Some(conn) = &self.conn {
            conn.send(line);
        }
    }

    pub(super) fn send(&self, out: &Out<'_>) {
        self.send_line(out.to_line());
    }

    /// Sends the request `line(id)` with a fresh id, remembering what it is for.
    pub(super) fn send_request(&mut self, line: impl FnOnce(u64) -> String, req: Req) {
        if self.conn.is_none() {
            return;
        }
        let id = self.next_id;
        self.next_id += 1;
        self.requests.insert(id, req);
        self.send_line(line(id));
    }

    pub(super) fn send_request_of(&mut self, r: OutRequest<'_>, req: Req) {
        self.send_request(|id| r.to_line(id), req);
    }

    pub(super) fn send_new_view(&mut self, view: ViewHandle, reopen: bool) {
        let Some(v) = self.views.get_mut(&view) else {
            return;
        };
        v.phase = if reopen {
            Phase::Reopening
        } else {
            Phase::Opening
        };
        v.core = None;
        v.recovered = false;
        v.restart_offer_taken = false;
        let path = v.path.clone();
        self.send_request_of(
            OutRequest::NewView(path.as_deref()),
            Req::NewView { view, reopen },
        );
        if !self.capabilities_asked && self.conn.is_some() {
            // Asked with the first view: nothing is acknowledged before one is open. Until
            // the answer (an upstream xi-core answers an error), edits are confirmed by a
            // `get_config` after them.
            self.capabilities_asked = true;
            self.send_request_of(OutRequest::Capabilities, Req::Capabilities);
        }
    }

    /// Sends an edit of a ready view, logs it and asks for its confirmation: the
    /// editor's acknowledgement when it gives them, else a `get_config` after it.
    pub(super) fn send_edit(&mut self, view: ViewHandle, edit: EditNotification) {
        let Some(v) = self.views.get_mut(&view) else {
            return;
        };
        let Some(core) = v.core.clone() else {
            return;
        };
        match &edit {
            EditNotification::Scroll(_) => v.last_scroll = Some(edit.clone()),
            EditNotification::Resize(_) => v.last_resize = Some(edit.clone()),
            _ => {}
        }
        if matches!(edit, EditNotification::RequestLines(_)) {
            self.send(&Out::Edit(&core, &edit, None));
            return;
        }
        self.seq += 1;
        let seq = self.seq;
        let path = v.path.clone();
        let from_history = v.base.saved && depends_on_history(&edit);
        let geometry = is_view_geometry(&edit);
        // Nothing to confirm for the viewport: it changes no text.
        let ack = (self.edit_ack && !geometry).then_some(seq);
        self.send(&Out::Edit(&core, &edit, ack));
        if let Some(v) = self.views.get_mut(&view) {
            v.log.push((seq, Logged::Edit(edit)));
        }
        if from_history {
            // Its effect depends on state from before the save, which no replay has.
            self.not_exact(view, path);
        }
        if geometry || ack.is_some() {
            return;
        }
        self.send_request_of(OutRequest::GetConfig(&core), Req::Confirm { seq });
    }

    /// Every edit up to `seq` was processed (an answer or an acknowledgement).
    pub(super) fn confirmed_up_to(&mut self, seq: u64) {
        self.confirmed = self.confirmed.max(seq);
        self.client_journals_confirmed(seq);
    }

    pub(super) fn send_cut(&mut self, view: ViewHandle, req: Req) {
        let Some(v) = self.views.get_mut(&view) else {
            return;
        };
        let Some(core) = v.core.clone() else {
            return;
        };
        self.seq += 1;
        let seq = self.seq;
        v.log.push((seq, Logged::Cut));
        self.send_request_of(OutRequest::CopyCut(&core, true), req);
        self.send_request_of(OutRequest::GetConfig(&core), Req::Confirm { seq });
    }
}
