//! [`Review`]: one proposal under review. It keeps the hunks in the coordinates of the
//! last revision the editor named, takes `symphony.review.rebase` replies (conflicts with
//! the user's edits decided by the Arbitration Engine: the user wins), and gives the edits
//! to send with `symphony.review.apply` for accepted hunks.

use symphony_pit::arbitration::{
    ArbiterConfig, ArbiterState, DenyReason, Outcome, Priority, RegionClaim, Request, Resource,
    Strategy, settle_regions,
};
use symphony_protocol::xi::review::{
    ApplyParams, ProposedHunk, RebaseParams, Rebased, RebasedHunk, ReviewEdit, Span,
};

use super::{Hunk, HunkState, Proposal, line_span};

/// The Arbitration Engine requester name of the user's own edits.
const USER: &str = "user";

/// The review state of one proposal.
///
/// Hunk positions (`Hunk::start/end/old_text`) are always in the coordinates of
/// [`Review::revision`]: the proposal's base revision at first, then the revision of the
/// last rebase reply or applied edit. The flow:
///
/// 1. [`Review::rebase_params`] -> `symphony.review.rebase` -> [`Review::apply_rebase`]
///    (again whenever the buffer changes);
/// 2. [`Review::accept`] / [`Review::accept_all`] give the edits; send them with
///    [`Review::apply_params`] as `symphony.review.apply`; then [`Review::applied`] with the
///    reply's revision, or [`Review::apply_refused`] when the editor refused a stale
///    revision (rebase, then accept again);
/// 3. [`Review::reject`] / [`Review::reject_all`] send nothing;
/// 4. [`Review::is_done`] once every hunk is decided and applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    proposal: Proposal,
    /// The revision hunk positions are in.
    revision: Option<u64>,
    /// `(first_line, last_line)` of each hunk, when known.
    lines: Vec<Option<(usize, usize)>>,
    /// The user's edits reported by the last rebase (current coordinates).
    user_edits: Vec<Span>,
    /// Accepted hunks whose apply has not been confirmed, with their state before.
    in_flight: Vec<(usize, HunkState)>,
}

impl Review {
    /// Starts reviewing `proposal` (hunk lines unknown until the first rebase).
    pub fn new(proposal: Proposal) -> Self {
        let n = proposal.hunks.len();
        Review {
            revision: proposal.base_revision,
            proposal,
            lines: vec![None; n],
            user_edits: Vec::new(),
            in_flight: Vec::new(),
        }
    }

    /// Starts reviewing `proposal`, whose base revision's text is `base_text` (gives the
    /// hunks' lines before the first rebase).
    pub fn with_base_text(proposal: Proposal, base_text: &str) -> Self {
        let mut r = Review::new(proposal);
        r.lines = r
            .proposal
            .hunks
            .iter()
            .map(|h| (h.end <= base_text.len()).then(|| line_span(base_text, h.start, h.end)))
            .collect();
        r
    }

    /// The proposal, hunks in the coordinates of [`Review::revision`].
    pub fn proposal(&self) -> &Proposal {
        &self.proposal
    }

    /// The hunks, in buffer order.
    pub fn hunks(&self) -> &[Hunk] {
        &self.proposal.hunks
    }

    /// The revision hunk positions are in.
    pub fn revision(&self) -> Option<u64> {
        self.revision
    }

    /// `(first_line, last_line)` of hunk `index` (0-based; `last_line` holds the range's
    /// last byte, `first_line` for an empty range), when known.
    pub fn lines(&self, index: usize) -> Option<(usize, usize)> {
        self.lines.get(index).copied().flatten()
    }

    /// Where the buffer changed since the proposal was made, as the last rebase said.
    pub fn user_edits(&self) -> &[Span] {
        &self.user_edits
    }

    /// The `symphony.review.rebase` params for `view_id`: every hunk at its position in
    /// [`Review::revision`]. None without a revision (the proposal was made without one).
    pub fn rebase_params(&self, view_id: &str) -> Option<RebaseParams> {
        Some(RebaseParams {
            view_id: view_id.to_owned(),
            base_revision: self.revision?,
            hunks: self
                .proposal
                .hunks
                .iter()
                .map(|h| ProposedHunk {
                    start: h.start,
                    end: h.end,
                    new_text: h.new_text.clone(),
                })
                .collect(),
        })
    }

    /// Takes the editor's answer to [`Review::rebase_params`]: moves every hunk to its
    /// mapped range, and marks pending hunks the user's edits touched as
    /// [`HunkState::Conflicted`] (the Arbitration Engine settles the region between the
    /// user's edit, served first, and the proposal). Returns how many hunks became
    /// conflicted. A reply with a different number of hunks maps only the first ones.
    pub fn apply_rebase(&mut self, reply: &Rebased) -> usize {
        let mut conflicted = 0;
        let buffer = self.proposal.buffer.clone().unwrap_or_default();
        for (i, m) in reply.hunks.iter().enumerate() {
            let in_flight = self.in_flight.iter().any(|(k, _)| *k == i);
            let Some(h) = self.proposal.hunks.get_mut(i) else {
                break;
            };
            h.start = m.start;
            h.end = m.end;
            h.old_text = m.old_text.clone();
            if let Some(l) = self.lines.get_mut(i) {
                *l = Some((m.first_line, m.last_line));
            }
            if h.state == HunkState::Pending
                && !in_flight
                && let Some(reason) = conflict(&buffer, m, &reply.user_edits)
            {
                h.state = HunkState::Conflicted(reason);
                conflicted += 1;
            }
        }
        self.revision = Some(reply.revision);
        self.proposal.base_revision = Some(reply.revision);
        self.user_edits = reply.user_edits.clone();
        conflicted
    }

    /// Accepts hunk `index` (pending, or conflicted: accepting it deliberately replaces
    /// what is there now): the edits to send with `symphony.review.apply`, empty when the
    /// hunk is already decided or being applied.
    pub fn accept(&mut self, index: usize) -> Vec<ReviewEdit> {
        self.take(|i, _| i == index)
    }

    /// Accepts every pending hunk (conflicted ones stay for a deliberate decision: the
    /// user's edits win): the edits to send with `symphony.review.apply`.
    pub fn accept_all(&mut self) -> Vec<ReviewEdit> {
        self.take(|_, h| h.state == HunkState::Pending)
    }

    fn take(&mut self, pick: impl Fn(usize, &Hunk) -> bool) -> Vec<ReviewEdit> {
        let mut edits = Vec::new();
        for (i, h) in self.proposal.hunks.iter_mut().enumerate() {
            let busy = self.in_flight.iter().any(|(k, _)| *k == i);
            if busy || !h.state.is_undecided() || !pick(i, h) {
                continue;
            }
            let before = std::mem::replace(&mut h.state, HunkState::Accepted);
            self.in_flight.push((i, before));
            edits.push(ReviewEdit {
                start: h.start,
                end: h.end,
                text: h.new_text.clone(),
            });
        }
        edits
    }

    /// The `symphony.review.apply` params sending `edits` at [`Review::revision`].
    pub fn apply_params(&self, view_id: &str, edits: Vec<ReviewEdit>) -> Option<ApplyParams> {
        Some(ApplyParams {
            view_id: view_id.to_owned(),
            revision: self.revision?,
            edits,
        })
    }

    /// The editor applied the accepted hunks and is now at `revision`: the other hunks move
    /// past them (our own edits are not the user's), positions are now in `revision`.
    pub fn applied(&mut self, revision: u64) {
        let done: Vec<usize> = self.in_flight.drain(..).map(|(i, _)| i).collect();
        // hunks keep their buffer order through rebases, so "before" is "lower index"
        let (mut bytes, mut lines) = (0isize, 0isize);
        for (i, h) in self.proposal.hunks.iter_mut().enumerate() {
            let span = self.lines.get_mut(i);
            if !done.contains(&i) {
                h.start = h.start.saturating_add_signed(bytes);
                h.end = h.end.saturating_add_signed(bytes);
                if let Some(Some((first, last))) = span {
                    *first = first.saturating_add_signed(lines);
                    *last = last.saturating_add_signed(lines);
                }
                continue;
            }
            if let Some(Some((first, last))) = span {
                *first = first.saturating_add_signed(lines);
                let inner = h
                    .new_text
                    .get(..h.new_text.len().saturating_sub(1))
                    .unwrap_or("");
                *last = *first + newlines(inner).unsigned_abs();
            }
            let old_len = h.end - h.start;
            h.start = h.start.saturating_add_signed(bytes);
            h.end = h.start + h.new_text.len();
            bytes += h.new_text.len() as isize - old_len as isize;
            lines += newlines(&h.new_text) - newlines(&h.old_text);
            h.old_text = h.new_text.clone();
        }
        self.revision = Some(revision);
        self.proposal.base_revision = Some(revision);
    }

    /// The editor refused the apply (stale revision): the hunks sent go back to what they
    /// were; rebase, then accept again.
    pub fn apply_refused(&mut self) {
        for (i, before) in self.in_flight.drain(..) {
            if let Some(h) = self.proposal.hunks.get_mut(i) {
                h.state = before;
            }
        }
    }

    /// Rejects hunk `index` if it is undecided; returns whether it was. Sends nothing: the
    /// buffer stays as it is.
    pub fn reject(&mut self, index: usize) -> bool {
        let busy = self.in_flight.iter().any(|(k, _)| *k == index);
        match self.proposal.hunks.get_mut(index) {
            Some(h) if !busy && h.state.is_undecided() => {
                h.state = HunkState::Rejected;
                true
            }
            _ => false,
        }
    }

    /// Rejects every undecided hunk; returns how many.
    pub fn reject_all(&mut self) -> usize {
        (0..self.proposal.hunks.len())
            .filter(|&i| self.reject(i))
            .count()
    }

    /// The undecided hunk on `line` (its replaced lines, or the line an insertion goes
    /// before), if any.
    pub fn hunk_at_line(&self, line: usize) -> Option<usize> {
        self.proposal.hunks.iter().enumerate().find_map(|(i, h)| {
            let (first, last) = self.lines(i)?;
            let busy = self.in_flight.iter().any(|(k, _)| *k == i);
            (h.state.is_undecided() && !busy && first <= line && line <= last).then_some(i)
        })
    }

    /// Every hunk is decided and no apply is waiting for the editor.
    pub fn is_done(&self) -> bool {
        self.in_flight.is_empty() && self.proposal.hunks.iter().all(|h| !h.state.is_undecided())
    }
}

/// Line breaks in `s`, as a signed count.
fn newlines(s: &str) -> isize {
    s.bytes().filter(|&b| b == b'\n').count() as isize
}

/// Why hunk `m` conflicts with the user's edits, if it does: each user edit and the hunk
/// claim the region; the user's claims are served first (higher priority), so a hunk whose
/// claim overlaps one is denied. The hunk's claim is widened by a byte on each side because
/// an edit that abuts a hunk touches it (the engine's `overlaps` counts shared bytes only).
/// The editor's own `touched_by_user` verdict is kept when the engine has nothing to say
/// (an edit at offset 0 next to a hunk at 0).
fn conflict(buffer: &str, m: &RebasedHunk, user_edits: &[Span]) -> Option<String> {
    let config = ArbiterConfig::new(
        Resource::BufferRegion {
            buffer: buffer.to_owned(),
        },
        1,
    )
    .strategy(Strategy::Priority);
    let mut claims: Vec<RegionClaim> = user_edits
        .iter()
        .enumerate()
        .map(|(k, e)| RegionClaim {
            request: Request::new(k as u64, USER, Priority::Critical, 1, 0),
            buffer: buffer.to_owned(),
            range: e.start as u64..e.end as u64,
        })
        .collect();
    let hunk_id = user_edits.len() as u64;
    claims.push(RegionClaim {
        request: Request::new(hunk_id, "proposal", Priority::Normal, 1, 1),
        buffer: buffer.to_owned(),
        range: (m.start as u64).saturating_sub(1)..m.end as u64 + 1,
    });
    let decisions = match settle_regions(&config, &ArbiterState::default(), 1, &claims) {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!("arbitration of a proposal hunk: {e}");
            Vec::new()
        }
    };
    let denied = decisions
        .iter()
        .find(|d| d.id == hunk_id)
        .and_then(|d| match d.outcome {
            Outcome::Denied {
                reason: DenyReason::Overlaps { start, end, .. },
            } => Some((start, end)),
            _ => None,
        });
    match denied {
        Some((start, end)) if start == end => Some(format!(
            "you deleted text at byte {start} next to this hunk since the AI read the buffer"
        )),
        Some((start, end)) => Some(format!(
            "you edited bytes {start}..{end} here since the AI read the buffer"
        )),
        None if m.touched_by_user => {
            Some("you edited next to this hunk since the AI read the buffer".into())
        }
        None => None,
    }
}
