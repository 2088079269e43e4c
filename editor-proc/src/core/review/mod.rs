//! `symphony.review.*`: reviewable edits. A snapshot names the buffer's revision; a rebase
//! maps a proposal's hunks from that revision to the current text through the xi-rope
//! delta between them (`Buffer::delta_since`, which sees through undo and redo); an apply
//! puts accepted hunks in as one undo group through `Core::apply`, the one place text
//! changes (so views update, the journal records it and the buffer is dirty).
//!
//! A child of the core (`core::review`), so the handlers can use the core's private
//! state and its edit path.

pub mod rebase;
#[cfg(test)]
mod tests;

use serde_json::Value;
use symphony_protocol::xi::RpcError;
use symphony_protocol::xi::RpcMessage;
use symphony_protocol::xi::review::{
    Applied, ApplyParams, INVALID_RANGES, RebaseParams, Rebased, ReviewEdit, ReviewRequest,
    STALE_REVISION, Snapshot, Span, UNKNOWN_REVISION,
};
use xi_rope::{DeltaBuilder, Interval, Rope};

use super::Core;
use crate::buffer::EditKind;
use crate::selection::InsertDrift;

/// Why a review request is refused: the message of a `-32602` answer.
type Refusal = String;

impl Core {
    /// Answers a `symphony.review.*` request.
    pub(super) fn review_request(&mut self, id: u64, req: ReviewRequest) {
        let view_id = req.view_id().to_owned();
        let answer = match req {
            ReviewRequest::Snapshot(_) => self.review_snapshot(&view_id).map(to_value),
            ReviewRequest::Rebase(p) => self.review_rebase(&p).map(to_value),
            ReviewRequest::Apply(p) => self.review_apply(&p).map(to_value),
        };
        match answer {
            Ok(v) => self.send(RpcMessage::response(id, v).to_value()),
            Err(msg) => self.send_error(id, RpcError::INVALID_PARAMS, msg),
        }
    }

    fn review_snapshot(&self, view_id: &str) -> Result<Snapshot, Refusal> {
        let view = self.views.get(view_id).ok_or_else(no_view)?;
        let b = self.buffers.get(&view.buffer).ok_or_else(no_view)?;
        let primary = view.selection.first();
        Ok(Snapshot {
            revision: b.buffer.revision(),
            text: String::from(b.buffer.text()),
            path: b
                .file
                .path
                .as_ref()
                .map(|p| p.to_string_lossy().into_owned()),
            language: Some(b.language.clone()),
            selection: primary.filter(|r| !r.is_caret()).map(|r| Span {
                start: r.min(),
                end: r.max(),
            }),
            cursor: primary.map_or(0, |r| r.end),
        })
    }

    fn review_rebase(&self, p: &RebaseParams) -> Result<Rebased, Refusal> {
        let view = self.views.get(&p.view_id).ok_or_else(no_view)?;
        let b = self.buffers.get(&view.buffer).ok_or_else(no_view)?;
        let delta = b
            .buffer
            .delta_since(p.base_revision)
            .ok_or_else(|| UNKNOWN_REVISION.to_owned())?;
        if !rebase::hunks_are_valid(&p.hunks, delta.base_len) {
            return Err(INVALID_RANGES.to_owned());
        }
        let text = b.buffer.text();
        Ok(Rebased {
            revision: b.buffer.revision(),
            hunks: rebase::map_hunks(&delta, text, &p.hunks),
            user_edits: rebase::user_edits(&delta),
        })
    }

    fn review_apply(&mut self, p: &ApplyParams) -> Result<Applied, Refusal> {
        let view = self.views.get(&p.view_id).ok_or_else(no_view)?;
        let bid = view.buffer;
        let b = self.buffers.get_mut(&bid).ok_or_else(no_view)?;
        if b.buffer.revision() != p.revision {
            return Err(match b.buffer.delta_since(p.revision) {
                Some(_) => STALE_REVISION.to_owned(),
                None => UNKNOWN_REVISION.to_owned(),
            });
        }
        if !edits_are_valid(&p.edits, b.buffer.text()) {
            return Err(INVALID_RANGES.to_owned());
        }
        if p.edits.is_empty() {
            return Ok(Applied {
                revision: p.revision,
            });
        }
        let mut builder = DeltaBuilder::new(b.buffer.text().len());
        for e in &p.edits {
            builder.replace(Interval::new(e.start, e.end), Rope::from(e.text.as_str()));
        }
        // one undo group of its own: nothing before joins it, nothing after does
        b.buffer.break_group();
        self.apply(
            &p.view_id,
            builder.build(),
            EditKind::Other,
            InsertDrift::Default,
        );
        let views = match self.buffers.get_mut(&bid) {
            Some(b) => {
                b.buffer.break_group();
                b.views.clone()
            }
            None => Vec::new(),
        };
        for v in &views {
            self.render_view(v);
        }
        let revision = self
            .buffers
            .get(&bid)
            .map_or(p.revision, |b| b.buffer.revision());
        Ok(Applied { revision })
    }
}

fn no_view() -> Refusal {
    "no such view".to_owned()
}

fn to_value<T: serde::Serialize>(v: T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// Whether the edits are sorted, non-overlapping, inside `text` and on char boundaries.
fn edits_are_valid(edits: &[ReviewEdit], text: &Rope) -> bool {
    let mut at = 0;
    edits.iter().all(|e| {
        let ok = at <= e.start
            && e.start <= e.end
            && e.end <= text.len()
            && text.is_codepoint_boundary(e.start)
            && text.is_codepoint_boundary(e.end);
        at = e.end;
        ok
    })
}
