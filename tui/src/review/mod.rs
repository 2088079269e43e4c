//! Inline review of an edit proposal in the pane showing its buffer.
//!
//! The proposal's hunks are in the coordinates of the revision the run
//! read. They are rebased (`symphony.review.rebase`) when the proposal
//! arrives and after every update of the buffer (the user keeps typing);
//! hunks the user's own edits touched are marked conflicted (the user wins:
//! they are not applied unless accepted deliberately). Accepting rebases
//! once more, then sends `symphony.review.apply` with the hunks' edits at
//! that head revision (one undo group); a stale revision is rebased and
//! retried. Rejecting sends nothing. The positions of the hunks left are
//! kept in the coordinates of the last revision the editor named, moved
//! past our own applied edits, so our edits never count as the user's.
//!
//! Keys (rebindable, `review_*` actions): alt-a / alt-r accept / reject the
//! hunk at the cursor, alt-A / alt-R all, alt-. / alt-, next / previous.

pub mod lines;
mod paint;
pub mod test_file;
pub mod widget;

use serde_json::Value;
use symphony_conductor::events::RunId;
use symphony_conductor::proposal::{HunkState, Proposal, Review as ProposalReview};
use symphony_protocol::xi::EditNotification as E;
use symphony_protocol::xi::review::Rebased;

use crate::action::Action;
use crate::app::State;
use crate::conductor::EditorRequest;

/// How many times an accept is retried when the buffer moved under it.
const MAX_APPLY_TRIES: u32 = 3;

/// One hunk as the review widget shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveHunk {
    /// Index within the proposal.
    pub index: usize,
    /// First buffer line of the hunk (as the editor last mapped it).
    pub first_line: usize,
    /// Byte offset of the hunk in the buffer (as the editor last mapped it).
    pub start: usize,
    /// The text it replaces (at the last rebase).
    pub old_text: String,
    /// The replacement.
    pub new_text: String,
    /// Review state.
    pub state: HunkState,
}

impl LiveHunk {
    /// The buffer lines it removes or changes (empty for a pure insertion).
    pub fn removed_lines(&self) -> std::ops::Range<usize> {
        let old = self.old_text.as_str();
        let n = old.matches('\n').count() + usize::from(!old.is_empty() && !old.ends_with('\n'));
        self.first_line..self.first_line + n
    }
}

/// The review of one proposal in one view: the Conductor's
/// [`proposal::Review`](ProposalReview) (positions, conflicts through the
/// Arbitration Engine, the edits to apply) plus the requests in flight.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    /// The run that proposed it.
    pub run: RunId,
    /// The review state proper.
    pub core: ProposalReview,
    /// Mapped onto the current text at least once (drawn from then on).
    pub mapped: bool,
    /// A rebase is in flight.
    pub in_flight: bool,
    /// The buffer changed while a rebase was in flight: rebase again.
    pub again: bool,
    /// Hunks to accept after the next rebase.
    pub to_accept: Vec<usize>,
    /// An apply is in flight.
    pub applying: bool,
    /// Apply attempts of the current accept.
    pub tries: u32,
    /// The hunks' word diffs, kept between frames.
    pub words: lines::WordCache,
}

impl Review {
    /// Hunks still to decide (and not being accepted), in buffer order.
    pub fn open_hunks(&self) -> Vec<LiveHunk> {
        self.core
            .hunks()
            .iter()
            .enumerate()
            .filter(|(i, h)| h.state.is_undecided() && !self.to_accept.contains(i))
            .map(|(i, h)| LiveHunk {
                index: i,
                first_line: self.core.lines(i).map(|l| l.0).unwrap_or(0),
                start: h.start,
                old_text: h.old_text.clone(),
                new_text: h.new_text.clone(),
                state: h.state.clone(),
            })
            .collect()
    }

    /// Nothing left to decide or apply.
    pub fn is_done(&self) -> bool {
        self.core.is_done() && self.to_accept.is_empty() && !self.applying
    }

    /// The open hunk at `line` (or the next one below it, or the last).
    pub fn hunk_at_line(&self, line: usize) -> Option<usize> {
        let open = self.open_hunks();
        self.core
            .hunk_at_line(line)
            .filter(|i| open.iter().any(|h| h.index == *i))
            .or_else(|| open.iter().find(|h| h.first_line >= line).map(|h| h.index))
            .or_else(|| open.last().map(|h| h.index))
    }
}

/// Whether `view` is showing a proposal under review (drawn by [`widget`]).
pub fn active(state: &State, view: u64) -> Option<&Review> {
    state
        .conductor
        .reviews
        .get(&view)
        .filter(|r| r.mapped && !r.is_done())
}

/// A proposal arrived: review it in the view its run read (a "write tests"
/// run's tests go to the project's test file, [`test_file`]).
pub fn on_proposal(state: &mut State, run: RunId, proposal: Proposal) {
    let Some(proposal) = test_file::redirect(state, run, proposal) else {
        return;
    };
    let view = state
        .conductor
        .run_views
        .get(&run)
        .copied()
        .or_else(|| proposal.buffer.as_deref().and_then(|b| b.parse().ok()))
        .filter(|v| state.views.contains_key(v))
        .or_else(|| {
            let path = proposal.path.as_ref()?;
            state
                .views
                .iter()
                .find(|(_, d)| d.path.as_ref() == Some(path))
                .map(|(v, _)| *v)
        });
    let Some(view) = view else {
        state.error("An AI proposal arrived for a buffer that is not open");
        return;
    };
    review_in(state, run, view, proposal);
}

/// Reviews `proposal` of `run` in `view`.
pub fn review_in(state: &mut State, run: RunId, view: u64, proposal: Proposal) {
    if proposal.hunks.is_empty() {
        state.say("The AI proposed no change");
        return;
    }
    if proposal.base_revision.is_none() {
        state.error("The proposal has no base revision: it cannot be reviewed");
        return;
    }
    let n = proposal.hunks.len();
    let review = Review {
        run,
        core: ProposalReview::new(proposal),
        mapped: false,
        in_flight: false,
        again: false,
        to_accept: Vec::new(),
        applying: false,
        tries: 0,
        words: Default::default(),
    };
    state.conductor.reviews.insert(view, review);
    rebase(state, view);
    let key = |a: &Action| {
        state
            .config
            .keymap
            .keys_for(a)
            .into_iter()
            .next()
            .unwrap_or_default()
    };
    let hint = format!(
        "AI proposal: {n} hunk{} to review ({} accept, {} reject, {} all, {} none)",
        if n == 1 { "" } else { "s" },
        key(&Action::ReviewAcceptHunk),
        key(&Action::ReviewRejectHunk),
        key(&Action::ReviewAcceptAll),
        key(&Action::ReviewRejectAll),
    );
    state.say(hint);
}

/// Asks the editor to map the hunks onto the current text.
pub fn rebase(state: &mut State, view: u64) {
    let Some(review) = state.conductor.reviews.get_mut(&view) else {
        return;
    };
    if review.in_flight {
        review.again = true;
        return;
    }
    // The session puts the view's core id in `view_id`.
    let Some(params) = review.core.rebase_params("") else {
        return;
    };
    review.in_flight = true;
    review.again = false;
    let id = state.request(view, crate::session::Request::Rebase(params));
    state.conductor.requests.insert(
        id,
        EditorRequest::Rebase {
            view,
            hunks: Vec::new(),
        },
    );
}

/// The buffer of `view` changed: rebase its review.
pub fn on_view_update(state: &mut State, view: u64) {
    if state
        .conductor
        .reviews
        .get(&view)
        .is_some_and(|r| r.mapped && !r.applying)
    {
        rebase(state, view);
    }
}

/// The editor answered a rebase.
pub fn on_rebase(state: &mut State, view: u64, _sent: &[usize], result: Result<Value, String>) {
    let Some(review) = state.conductor.reviews.get_mut(&view) else {
        return;
    };
    review.in_flight = false;
    let reply = result.and_then(|v| {
        serde_json::from_value::<Rebased>(v).map_err(|e| format!("unreadable rebase reply: {e}"))
    });
    let reply = match reply {
        Ok(r) => r,
        Err(e) => {
            state.conductor.reviews.remove(&view);
            state.error(format!("The proposal cannot be reviewed: {e}"));
            return;
        }
    };
    review.core.apply_rebase(&reply);
    review.mapped = true;
    if review.again {
        rebase(state, view);
        return;
    }
    send_apply(state, view);
}

/// Sends the hunks waiting to be accepted, at the revision just mapped.
fn send_apply(state: &mut State, view: u64) {
    let Some(review) = state.conductor.reviews.get_mut(&view) else {
        return;
    };
    if review.to_accept.is_empty() || review.applying {
        return;
    }
    let indexes = std::mem::take(&mut review.to_accept);
    let edits: Vec<_> = indexes
        .iter()
        .flat_map(|i| review.core.accept(*i))
        .collect();
    if edits.is_empty() {
        finish_if_done(state, view);
        return;
    }
    let Some(params) = review.core.apply_params("", edits) else {
        return;
    };
    review.applying = true;
    let id = state.request(view, crate::session::Request::Apply(params));
    state.conductor.requests.insert(
        id,
        EditorRequest::Apply {
            view,
            hunks: indexes,
        },
    );
}

/// The editor answered an apply.
pub fn on_apply(state: &mut State, view: u64, applied: &[usize], result: Result<Value, String>) {
    let Some(review) = state.conductor.reviews.get_mut(&view) else {
        return;
    };
    review.applying = false;
    match result.map(|v| v["revision"].as_u64()) {
        Ok(Some(revision)) => {
            // The hunks left move past our own edits: they are not the user's.
            review.core.applied(revision);
            review.tries = 0;
            finish_if_done(state, view);
        }
        Ok(None) | Err(_) => {
            review.core.apply_refused();
            review.tries += 1;
            if review.tries >= MAX_APPLY_TRIES {
                review.tries = 0;
                state.error("Could not apply the accepted hunks: the buffer keeps changing");
                return;
            }
            review.to_accept.extend_from_slice(applied);
            rebase(state, view);
        }
    }
}

fn finish_if_done(state: &mut State, view: u64) {
    let Some(review) = state.conductor.reviews.get(&view) else {
        return;
    };
    if review.is_done() {
        let accepted = review
            .core
            .hunks()
            .iter()
            .filter(|h| h.state == HunkState::Accepted)
            .count();
        let total = review.core.hunks().len();
        state.conductor.reviews.remove(&view);
        state.say(format!("Review done: {accepted} of {total} hunks accepted"));
        test_file::on_review_done(state, view, accepted);
    } else {
        // Positions of the hunks left, in the new head's coordinates.
        rebase(state, view);
    }
}

/// A review key pressed while a tool pane has the focus goes to the editor pane showing
/// the proposal under review (which gets the focus); when there is none, or several, a
/// message says so. Returns the view to apply the key to.
fn review_target(state: &mut State) -> Option<u64> {
    if let Some(view) = state.focused_view() {
        return Some(view);
    }
    let shown: Vec<u64> = state
        .conductor
        .reviews
        .keys()
        .copied()
        .filter(|v| state.windows.views().any(|(_, shown)| shown == *v))
        .collect();
    match (shown.as_slice(), state.conductor.reviews.len()) {
        ([view], _) => {
            crate::app::views::focus_view(state, *view);
            Some(*view)
        }
        ([], 0) => {
            state.say("Nothing to review: no AI proposal is open");
            None
        }
        ([], _) => {
            state.say("The proposal's buffer is not shown: open it with the buffer picker (Alt-B)");
            None
        }
        _ => {
            state.say("Several proposals are open: move to the editor pane of the one you mean");
            None
        }
    }
}

/// The review keys.
pub fn apply_action(state: &mut State, action: &Action) {
    let Some(view) = review_target(state) else {
        return;
    };
    let caret = state.views.get(&view).map(|d| d.caret.0).unwrap_or(0);
    let Some(review) = state.conductor.reviews.get_mut(&view) else {
        state.say("Nothing to review here");
        return;
    };
    let at = review.hunk_at_line(caret);
    match action {
        Action::ReviewAcceptHunk | Action::ReviewAcceptAll => {
            // Accept all leaves conflicted hunks (the user's edit wins):
            // they are accepted one by one, deliberately.
            let chosen: Vec<usize> = if *action == Action::ReviewAcceptAll {
                review
                    .open_hunks()
                    .into_iter()
                    .filter(|h| h.state == HunkState::Pending)
                    .map(|h| h.index)
                    .collect()
            } else {
                at.into_iter().collect()
            };
            if chosen.is_empty() {
                return;
            }
            review.to_accept.extend(chosen);
            // Rebase first: the buffer may have moved since the last map.
            rebase(state, view);
            goto_open_hunk(state, view, caret, true);
        }
        Action::ReviewRejectHunk | Action::ReviewRejectAll => {
            if *action == Action::ReviewRejectAll {
                review.core.reject_all();
            } else if let Some(i) = at {
                review.core.reject(i);
            }
            if review.is_done() {
                finish_if_done(state, view);
            } else {
                goto_open_hunk(state, view, caret, true);
            }
        }
        Action::ReviewNextHunk => goto_open_hunk(state, view, caret + 1, true),
        Action::ReviewPreviousHunk => goto_open_hunk(state, view, caret, false),
        _ => {}
    }
}

/// Moves the caret to the first line of the next (or previous) open hunk.
fn goto_open_hunk(state: &mut State, view: u64, from: usize, forward: bool) {
    let Some(review) = state.conductor.reviews.get(&view) else {
        return;
    };
    let lines: Vec<usize> = review.open_hunks().iter().map(|h| h.first_line).collect();
    let target = if forward {
        lines
            .iter()
            .copied()
            .find(|l| *l >= from)
            .or(lines.first().copied())
    } else {
        lines
            .iter()
            .rev()
            .copied()
            .find(|l| *l < from)
            .or(lines.last().copied())
    };
    if let Some(line) = target {
        state.editor.edit(view, E::GotoLine { line });
    }
}

/// Routes an editor reply to the Conductor; false if the id is not ours.
pub fn on_reply(state: &mut State, view: u64, id: u64, result: Result<Value, String>) -> bool {
    let Some(req) = state.conductor.requests.remove(&id) else {
        return false;
    };
    match req {
        EditorRequest::Snapshot => crate::conductor::commands::on_snapshot(state, view, result),
        EditorRequest::TestFileSnapshot => test_file::on_snapshot(state, view, result),
        EditorRequest::CodeBlockSnapshot => {
            crate::conductor::code_blocks::on_snapshot(state, view, result)
        }
        EditorRequest::Rebase { view, hunks } => on_rebase(state, view, &hunks, result),
        EditorRequest::Apply { view, hunks } => on_apply(state, view, &hunks, result),
        EditorRequest::AgentSelection => {
            crate::conductor::agents::on_selection(state, view, result)
        }
        EditorRequest::AgentProposal { run, proposal } => {
            crate::conductor::agents::changes::on_snapshot(state, view, run, *proposal, result)
        }
    }
    true
}
