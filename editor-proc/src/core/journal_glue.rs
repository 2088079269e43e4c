//! The core's side of the crash journal: offering the journals of dead instances when a
//! file is opened (`symphony.recovery_available`), carrying out the user's answer
//! (`symphony.recover`: replace, new buffer, diff, trash, later), and telling the client
//! when journaling fails and when it works again (`symphony.journal_status`).

use std::collections::VecDeque;
use std::path::Path;

use symphony_protocol::xi::{ClientNotification, RecoverAction};
use xi_rope::Rope;

use super::Core;
use crate::buffer::EditKind;
use crate::journal::Orphan;
use crate::selection::InsertDrift;

/// Diffs give up looking for the smallest answer after this long.
const DIFF_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// The `symphony.recovery_available` offer for a newly opened file, before it has a view.
pub(super) struct RecoveryOffer {
    /// The file whose journal holds unsaved edits.
    file_path: String,
    /// How many edits were replayed.
    edits: usize,
    /// Length in bytes of the recovered text.
    recovered_len: usize,
    /// The file changed on disk since the journal was made.
    changed_on_disk: bool,
    /// The recovered text is exactly what was typed.
    exact: bool,
    /// The journal file.
    journal: String,
    /// How many more journals wait.
    more: usize,
    /// The journal is of a buffer its text was recovered into.
    detached: bool,
}

impl RecoveryOffer {
    /// The offer of the first of `offers` (journals of `path`), if any.
    pub(super) fn first(path: &Path, offers: &VecDeque<Orphan>) -> Option<Self> {
        let o = offers.front()?;
        Some(RecoveryOffer {
            file_path: path.to_string_lossy().into_owned(),
            edits: o.edits,
            recovered_len: o.text.len(),
            changed_on_disk: o.changed_on_disk,
            exact: o.exact,
            journal: o.journal.to_string_lossy().into_owned(),
            more: offers.len() - 1,
            detached: o.detached,
        })
    }

    /// The notification for the view `view_id`.
    pub(super) fn into_notification(self, view_id: String) -> ClientNotification {
        ClientNotification::SymphonyRecoveryAvailable {
            view_id,
            file_path: self.file_path,
            edits: self.edits,
            recovered_len: self.recovered_len,
            changed_on_disk: self.changed_on_disk,
            exact: self.exact,
            journal: self.journal,
            more: self.more,
            detached: self.detached,
        }
    }
}

impl Core {
    /// `symphony.recover {view_id, action, into_view_id}`: carries out the answer to the
    /// offer of the view's first waiting journal, then offers the next one (if any).
    pub(super) fn recover(&mut self, view_id: &str, action: RecoverAction, into: Option<&str>) {
        let Some(bid) = self.views.get(view_id).map(|v| v.buffer) else {
            return;
        };
        let Some(orphan) = self
            .buffers
            .get_mut(&bid)
            .and_then(|b| b.file.offers.pop_front())
        else {
            tracing::info!("symphony.recover for {view_id}: nothing to recover");
            return;
        };
        let name = orphan
            .file_path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        match action {
            RecoverAction::Replace => self.recover_replacing(view_id, bid, orphan),
            RecoverAction::NewBuffer => match self.scratch_target(into) {
                Some(target) => self.recover_into(&target, orphan),
                None => self.give_back(bid, orphan, "no new buffer to recover into"),
            },
            RecoverAction::Diff => match self.scratch_target(into) {
                Some(target) => {
                    let diff = self.diff_text(bid, &orphan, &name);
                    self.fill(&target, diff);
                    // Seen, not answered: the same journal is offered again.
                    if let Some(b) = self.buffers.get_mut(&bid) {
                        b.file.offers.push_front(orphan);
                    }
                }
                None => self.give_back(bid, orphan, "no new buffer for the diff"),
            },
            RecoverAction::Trash => {
                let moved = match self.services.journal.as_ref() {
                    Some(dir) => dir.trash(orphan),
                    None => Ok(orphan.journal.clone()),
                };
                let msg = match moved {
                    Ok(to) => format!(
                        "The unsaved edits of {name} are in the trash: {} (kept {} days).",
                        to.display(),
                        crate::journal::TRASH_DAYS
                    ),
                    Err(e) => format!("The unsaved edits of {name} were kept: {e}"),
                };
                self.notify(ClientNotification::Alert { msg });
            }
            RecoverAction::Superseded => {
                let moved = match self.services.journal.as_ref() {
                    Some(dir) => dir.trash(orphan).map(|to| to.display().to_string()),
                    None => Ok(String::new()),
                };
                match moved {
                    Ok(to) => tracing::info!(file = %name, %to, "superseded journal trashed"),
                    Err(e) => tracing::warn!(file = %name, "superseded journal kept: {e}"),
                }
            }
            // Dropping the claim leaves the journal for next time.
            RecoverAction::Later => drop(orphan),
        }
        self.offer_next(view_id, bid);
    }

    /// Offers the view's next waiting journal, if any.
    fn offer_next(&mut self, view_id: &str, bid: u64) {
        let offer = self.buffers.get(&bid).and_then(|b| {
            let path = b.file.path.as_deref()?;
            RecoveryOffer::first(path, &b.file.offers)
        });
        if let Some(o) = offer {
            self.notify(o.into_notification(view_id.to_owned()));
        }
    }

    /// An answer that could not be carried out: the journal is offered again.
    fn give_back(&mut self, bid: u64, orphan: Orphan, why: &str) {
        tracing::warn!("symphony.recover: {why}");
        if let Some(b) = self.buffers.get_mut(&bid) {
            b.file.offers.push_front(orphan);
        }
    }

    /// Replaces the buffer's text by the recovered one (one undoable edit); the old
    /// journal goes once the buffer's own journal holds the text.
    fn recover_replacing(&mut self, view_id: &str, bid: u64, orphan: Orphan) {
        self.fill(view_id, orphan.text.clone());
        let safe = self.buffers.get(&bid).is_some_and(|b| {
            b.file
                .journal
                .as_ref()
                .is_some_and(|j| j.failure().is_none() && j.journal_path().is_some())
        });
        if safe {
            if let Err(e) = orphan.remove() {
                tracing::warn!("journal: {e}");
            }
        } else {
            // Not journaled again (journal failing, or the text equals the file):
            // the old journal stays, to be offered again after a crash.
            drop(orphan);
        }
    }

    /// Puts the recovered text into the unnamed buffer of `target`, whose journal then
    /// continues the old one (so a crash keeps its later edits too).
    fn recover_into(&mut self, target: &str, orphan: Orphan) {
        self.fill(target, orphan.text.clone());
        let Some(dir) = self.services.journal.clone() else {
            return;
        };
        let Some(tb) = self.views.get(target).map(|v| v.buffer) else {
            return;
        };
        if let Some(b) = self.buffers.get_mut(&tb) {
            b.file.journal = Some(dir.adopt(orphan));
        }
    }

    /// The view `into` when it shows an unnamed buffer with no journal of its own.
    fn scratch_target(&self, into: Option<&str>) -> Option<String> {
        let into = into?;
        let bid = self.views.get(into)?.buffer;
        let b = self.buffers.get(&bid)?;
        (b.file.path.is_none() && b.file.journal.is_none()).then(|| into.to_owned())
    }

    /// Replaces the whole text of `view_id`'s buffer by `text` as one undo group.
    fn fill(&mut self, view_id: &str, text: Rope) {
        let Some(bid) = self.views.get(view_id).map(|v| v.buffer) else {
            return;
        };
        let Some(b) = self.buffers.get_mut(&bid) else {
            return;
        };
        // only the lines that differ are replaced: the others keep their line endings
        let delta = super::files::line_delta(b.buffer.text(), &text);
        b.buffer.break_group();
        self.apply(view_id, delta, EditKind::Other, InsertDrift::Default);
        if let Some(b) = self.buffers.get_mut(&bid) {
            b.buffer.break_group();
        }
        self.render_view(view_id);
    }

    /// A unified diff from the file as the buffer holds it to the recovered text.
    fn diff_text(&self, bid: u64, orphan: &Orphan, name: &str) -> Rope {
        let current = self
            .buffers
            .get(&bid)
            .map(|b| String::from(b.buffer.text()))
            .unwrap_or_default();
        let recovered = String::from(&orphan.text);
        let diff = similar::TextDiff::configure()
            .timeout(DIFF_TIMEOUT)
            .diff_lines(&current, &recovered);
        let body = diff
            .unified_diff()
            .context_radius(3)
            .header(&format!("{name} (on disk)"), &format!("{name} (recovered)"))
            .to_string();
        let mut out = format!(
            "Unsaved edits of {name} found in {}.\n",
            orphan.journal.display()
        );
        if orphan.changed_on_disk {
            out.push_str("The file changed on disk after these edits were made.\n");
        }
        if body.is_empty() {
            out.push_str("The recovered text is the same as the file.\n");
        }
        out.push('\n');
        out.push_str(&body);
        Rope::from(out)
    }

    /// Tells every view of `bid` whether its journal works, when that changed since
    /// `was_failing` (the state before the last write).
    pub(super) fn journal_health(&mut self, bid: u64, was_failing: bool) {
        let Some(b) = self.buffers.get(&bid) else {
            return;
        };
        let failure = b
            .file
            .journal
            .as_ref()
            .and_then(|j| j.failure())
            .map(str::to_owned);
        if failure.is_some() == was_failing {
            return;
        }
        let views = b.views.clone();
        for view_id in views {
            self.notify(ClientNotification::SymphonyJournalStatus {
                view_id,
                ok: failure.is_none(),
                error: failure.clone(),
            });
        }
    }
}
