//! The actor hears from the editor: its notifications turned into the session's
//! events (and a recovery offer answered by the session itself after a restart).

use std::path::PathBuf;

use serde_json::Value;
use symphony_protocol::xi::{ClientNotification, RecoverAction};

use super::{Actor, Out, Phase, ViewHandle, wire};
use crate::session::SessionEvent;

impl Actor {
    pub(super) fn handle_of(&self, core: &str) -> Option<ViewHandle> {
        self.by_core.get(core).copied()
    }

    pub(super) fn notification(&mut self, method: String, params: Value) {
        if symphony_protocol::xi::lsp::is_lsp_method(&method) {
            let view = wire::view_id_of(&params).and_then(|c| self.handle_of(c));
            self.emit(SessionEvent::Lsp {
                view,
                method,
                params,
            });
            return;
        }
        let note = match wire::parse_notification(&method, params) {
            Ok(n) => n,
            Err(e) => {
                tracing::debug!("ignored notification {method}: {e}");
                return;
            }
        };
        if let ClientNotification::SymphonyRecoveryAvailable {
            view_id,
            file_path,
            changed_on_disk,
            exact,
            more,
            detached,
            ..
        } = note
        {
            self.recovery_offered(&view_id, file_path, changed_on_disk, exact, more, detached);
            return;
        }
        let event = match note {
            ClientNotification::Update {
                view_id,
                update,
                ack,
            } => {
                if let Some(seq) = ack {
                    self.confirmed_up_to(seq);
                }
                let Some(view) = self.handle_of(&view_id) else {
                    return;
                };
                // While reopening, keep the selections from before the crash:
                // they are restored once the view is back.
                if let Some(v) = self.views.get_mut(&view)
                    && v.phase == Phase::Ready
                {
                    v.selections = update
                        .annotations
                        .iter()
                        .filter(|a| a.kind == "selection")
                        .flat_map(|a| a.ranges.iter().copied())
                        .collect();
                }
                SessionEvent::Update { view, update }
            }
            ClientNotification::ScrollTo { view_id, line, col } => {
                let Some(view) = self.handle_of(&view_id) else {
                    return;
                };
                SessionEvent::ScrollTo { view, line, col }
            }
            ClientNotification::DefStyle(style) => SessionEvent::DefStyle(style),
            ClientNotification::ThemeChanged { name, theme } => {
                SessionEvent::ThemeChanged { name, theme }
            }
            ClientNotification::AvailableThemes { themes } => SessionEvent::AvailableThemes(themes),
            ClientNotification::AvailableLanguages { languages } => {
                SessionEvent::AvailableLanguages(languages)
            }
            ClientNotification::LanguageChanged {
                view_id,
                language_id,
            } => {
                let Some(view) = self.handle_of(&view_id) else {
                    return;
                };
                SessionEvent::LanguageChanged {
                    view,
                    language: language_id,
                }
            }
            ClientNotification::ConfigChanged { view_id, changes } => {
                let Some(view) = self.handle_of(&view_id) else {
                    return;
                };
                SessionEvent::ConfigChanged { view, changes }
            }
            ClientNotification::FindStatus { view_id, queries } => {
                let Some(view) = self.handle_of(&view_id) else {
                    return;
                };
                SessionEvent::FindStatus {
                    view,
                    status: queries,
                }
            }
            ClientNotification::ReplaceStatus { view_id, status } => {
                let Some(view) = self.handle_of(&view_id) else {
                    return;
                };
                SessionEvent::ReplaceStatus { view, status }
            }
            ClientNotification::SymphonyFileMoved { view_id, file_path } => {
                let Some(view) = self.handle_of(&view_id) else {
                    return;
                };
                let old = self.views.get(&view).and_then(|v| v.path.clone());
                self.not_exact(view, old);
                let path = PathBuf::from(file_path);
                // A restart reopens the view from where its file is now.
                if let Some(v) = self.views.get_mut(&view) {
                    v.path = Some(path.clone());
                }
                SessionEvent::FileMoved { view, path }
            }
            ClientNotification::SymphonySaveConflict {
                view_id,
                file_path,
                reason,
                message,
            } => {
                let Some(view) = self.handle_of(&view_id) else {
                    return;
                };
                if self.save_alerts.contains_key(&view) {
                    // answered with the save (see `Req::Saved`)
                    self.save_conflicts.insert(view, (reason, message));
                    return;
                }
                SessionEvent::SaveConflict {
                    view,
                    path: PathBuf::from(file_path),
                    reason,
                    message,
                }
            }
            ClientNotification::SymphonyDiskState { view_id, state, .. } => {
                let Some(view) = self.handle_of(&view_id) else {
                    return;
                };
                SessionEvent::DiskState { view, state }
            }
            ClientNotification::SymphonyJournalStatus { view_id, ok, error } => {
                let Some(view) = self.handle_of(&view_id) else {
                    return;
                };
                SessionEvent::JournalStatus { view, ok, error }
            }
            ClientNotification::SymphonyAck(ack) => {
                self.confirmed_up_to(ack.seq);
                return;
            }
            ClientNotification::Alert { msg } => {
                for pending in self.save_alerts.values_mut() {
                    if pending.is_none() {
                        *pending = Some(msg.clone());
                    }
                }
                SessionEvent::Alert(msg)
            }
            other => {
                tracing::trace!("not shown: {other:?}");
                return;
            }
        };
        self.emit(event);
    }

    /// `symphony.recovery_available` for the core view `core`.
    fn recovery_offered(
        &mut self,
        core: &str,
        file_path: String,
        changed_on_disk: bool,
        exact_text: bool,
        more: usize,
        detached: bool,
    ) {
        let Some(view) = self.handle_of(core) else {
            return;
        };
        // Our own restart answers the first offer (the newest journal: the one the
        // dead editor was writing), once, and only when this view had edits to
        // journal; any other journal (one the user put off, another instance's, a
        // recovered buffer's) is the user's to decide.
        let ours = !detached
            && self.views.get(&view).is_some_and(|v| {
                v.phase == Phase::Reopening && !v.restart_offer_taken && !v.log.is_empty()
            });
        if ours {
            if let Some(v) = self.views.get_mut(&view) {
                v.restart_offer_taken = true;
            }
            // When the log rebuilds the buffer exactly, start from the file and
            // replay all of it: the journal may hold edits whose confirmation died
            // with the editor, which a replay of the unconfirmed ones would double
            // (the journal goes to the trash, never deleted). Else the journal is
            // the truth, unless the file changed on disk meanwhile: then ask.
            let exact = self.path_exact(view);
            if exact || !changed_on_disk {
                if let Some(core) = self.views.get(&view).and_then(|v| v.core.clone()) {
                    let action = if exact {
                        RecoverAction::Superseded
                    } else {
                        RecoverAction::Replace
                    };
                    self.send(&Out::Recover {
                        view_id: &core,
                        action,
                        into: None,
                    });
                }
                if let Some(v) = self.views.get_mut(&view) {
                    v.recovered = !exact;
                }
                return;
            }
        }
        if self.views.get(&view).is_some_and(|v| v.found.is_none()) {
            // (With a client journal, that one was offered: it has more.)
            self.emit(SessionEvent::RecoveryOffered {
                view,
                file_path,
                changed_on_disk,
                exact: exact_text,
                more,
            });
        }
    }
}
