//! The actor after a restart: which views' logs rebuild their buffer exactly, and
//! the replay that brings every reopened view back (viewport, selections, edits
//! in their original order, then what was queued meanwhile).

use std::path::PathBuf;

use symphony_protocol::xi::EditNotification;

use super::{Actor, Base, Logged, Out, Pending, Phase, Req, View, ViewHandle, wire};
use crate::session::SessionEvent;

impl View {
    /// The buffer was saved after the edit `seq`: the log starts over from there.
    pub(super) fn rebase(&mut self, seq: u64) {
        // Updates arrive in order: the last one before the save's answer shows
        // the selections at the save.
        let selections = self.selections.clone();
        self.rebase_at(seq, selections);
    }

    /// Like [`View::rebase`], with the selections the saved text goes with.
    fn rebase_at(&mut self, seq: u64, selections: Vec<[usize; 4]>) {
        for (s, logged) in &self.log {
            if *s > seq {
                break;
            }
            match logged {
                Logged::Edit(edit @ EditNotification::Resize(_)) => {
                    self.base.resize = Some(wire::edit_value(edit))
                }
                Logged::Edit(edit @ EditNotification::Scroll(_)) => {
                    self.base.scroll = Some(wire::edit_value(edit))
                }
                _ => {}
            }
        }
        self.log.retain(|(s, _)| *s > seq);
        self.base.selections = selections;
        self.base.saved = true;
        self.exact = true;
    }
}

impl Actor {
    /// The editor died before it answered the save of `view`: did it save? The
    /// file tells (it changed since the save was sent). Saved: the log starts
    /// over from it, with the selections of when the editor reached the save.
    /// Else, or when that is unknown, the save is sent again after the restart,
    /// and the journal (which starts over at a save) rebuilds the buffer.
    pub(super) fn save_unanswered(
        &mut self,
        view: ViewHandle,
        seq: u64,
        path: PathBuf,
        force: bool,
        before: Option<super::FileStamp>,
    ) {
        let alert = self.save_alerts.remove(&view).flatten();
        let old = self.views.get(&view).and_then(|v| v.path.clone());
        let alone = self
            .views
            .values()
            .filter(|v| old.is_some() && v.path == old)
            .count()
            <= 1;
        let point = self.views.get_mut(&view).and_then(|v| v.save_point.take());
        let changed = super::file_stamp(&path) != before;
        match point {
            Some(selections) if alert.is_none() && changed && alone => {
                tracing::info!(file = %path.display(), "saved just before the editor died");
                if let Some(v) = self.views.get_mut(&view) {
                    v.path = Some(path);
                    v.rebase_at(seq, selections);
                }
                self.drop_client_journal(view);
                self.emit(SessionEvent::Saved {
                    view,
                    result: Ok(()),
                });
            }
            _ => {
                if let Some(v) = self.views.get_mut(&view) {
                    v.queue.push_front((0, Pending::Save(path, force)));
                }
                self.not_exact(view, old);
            }
        }
    }

    /// Something other than the logged edits changed the buffer of `view` (and of
    /// every view of its file): after a crash, its journal is the truth again.
    pub(super) fn not_exact(&mut self, view: ViewHandle, path: Option<PathBuf>) {
        for (h, v) in self.views.iter_mut() {
            if *h == view || (path.is_some() && v.path == path) {
                v.exact = false;
            }
        }
    }

    /// Once every reopened view is back: restore viewports and selections,
    /// recover or replay the logged edits of all views in their original
    /// order, then send what was queued meanwhile, in order.
    pub(super) fn finish_restart(&mut self) {
        if self
            .views
            .values()
            .any(|v| v.phase == Phase::Reopening && !v.back)
        {
            return;
        }
        let confirmed = self.confirmed;
        // A journal recovers a whole buffer, whichever of its views was offered it.
        let recovered_paths: Vec<PathBuf> = self
            .views
            .values()
            .filter(|v| v.recovered)
            .filter_map(|v| v.path.clone())
            .collect();
        let mut replay: Vec<(u64, ViewHandle, Logged)> = Vec::new();
        let mut queued: Vec<(u64, ViewHandle, Pending)> = Vec::new();
        let handles: Vec<ViewHandle> = self.views.keys().copied().collect();
        let exact: Vec<bool> = handles.iter().map(|h| self.path_exact(*h)).collect();
        for (view, exact) in handles.into_iter().zip(exact) {
            let Some(v) = self.views.get_mut(&view) else {
                continue;
            };
            if !(v.phase == Phase::Reopening && v.back) {
                continue;
            }
            let Some(core) = v.core.clone() else {
                continue;
            };
            v.back = false;
            v.phase = Phase::Ready;
            let recovered = !exact
                && (v.recovered || v.path.as_ref().is_some_and(|p| recovered_paths.contains(p)));
            let log = std::mem::take(&mut v.log);
            let redo = if recovered {
                let (keep, redo): (Vec<_>, Vec<_>) =
                    log.into_iter().partition(|(s, _)| *s <= confirmed);
                v.log = keep;
                redo
            } else {
                log
            };
            replay.extend(redo.into_iter().map(|(s, l)| (s, view, l)));
            queued.extend(v.queue.drain(..).map(|(o, p)| (o, view, p)));
            // Exact: the view as the log starts, then every edit since, in order.
            // Recovered: the view as it was last seen, then the unconfirmed edits.
            let geometry: Vec<EditNotification> = if exact {
                base_geometry(&v.base)
            } else {
                v.last_resize
                    .iter()
                    .chain(v.last_scroll.iter())
                    .cloned()
                    .collect()
            };
            let selections = if exact {
                v.base.selections.clone()
            } else if recovered {
                v.selections.clone()
            } else {
                Vec::new()
            };
            self.restore_view(&core, &geometry, &selections);
        }
        tracing::info!(
            replayed = replay.len(),
            queued = queued.len(),
            "views reopened"
        );
        replay.sort_by_key(|(s, _, _)| *s);
        for (_, view, logged) in replay {
            match logged {
                Logged::Edit(edit) => self.send_edit(view, edit),
                Logged::Cut => self.send_cut(view, Req::Ignore),
            }
        }
        queued.sort_by_key(|(o, _, _)| *o);
        for (_, view, p) in queued {
            if self.conn.is_none() {
                break;
            }
            self.run_pending(view, p);
        }
        self.maybe_running();
    }

    /// Sends a view's viewport and selections (not logged: they are its base).
    fn restore_view(&self, core: &str, geometry: &[EditNotification], selections: &[[usize; 4]]) {
        for edit in geometry.iter().chain(wire::select(selections).iter()) {
            self.send(&Out::Edit(core, edit, None));
        }
    }

    /// Sends the viewport and selections a log starts from.
    pub(super) fn restore_start(&self, core: &str, start: &Base) {
        self.restore_view(core, &base_geometry(start), &start.selections);
    }

    /// Whether the logs of `view` and of every other view of its file rebuild their
    /// buffer exactly.
    pub(super) fn path_exact(&self, view: ViewHandle) -> bool {
        let Some(v) = self.views.get(&view) else {
            return false;
        };
        v.exact
            && (v.path.is_none()
                || self
                    .views
                    .values()
                    .filter(|o| o.path == v.path)
                    .all(|o| o.exact))
    }
}

/// The `resize` and `scroll` a log starts from (kept as the client journal stores them).
fn base_geometry(base: &Base) -> Vec<EditNotification> {
    base.resize
        .iter()
        .chain(base.scroll.iter())
        .filter_map(wire::parse_edit)
        .collect()
}
