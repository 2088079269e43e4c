//! The actor hears from the UI: commands run at once for a ready view, else wait
//! in the view's queue (and its client journal while the editor is down).

use std::collections::VecDeque;

use super::{Actor, Base, Out, OutRequest, Pending, Phase, Req, View, file_stamp};
use crate::session::{Command, SessionEvent, ViewHandle};
use symphony_protocol::xi::EditNotification;

impl Actor {
    pub(super) fn command(&mut self, cmd: Command) {
        match cmd {
            Command::Open { view, path } => {
                self.views.insert(
                    view,
                    View {
                        path,
                        core: None,
                        prev_core: None,
                        phase: Phase::Opening,
                        queue: VecDeque::new(),
                        back: false,
                        log: Vec::new(),
                        last_scroll: None,
                        last_resize: None,
                        selections: Vec::new(),
                        recovered: false,
                        restart_offer_taken: false,
                        base: Base::default(),
                        exact: true,
                        cj: None,
                        cj_until: None,
                        found: None,
                        save_point: None,
                    },
                );
                self.find_client_journal(view);
                if self.conn.is_some() {
                    self.send_new_view(view, false);
                }
            }
            Command::Edit { view, cmd } => self.for_view(view, Pending::Edit(cmd)),
            Command::Copy { view, cut } => self.for_view(view, Pending::Copy(cut)),
            Command::Save { view, path, force } => {
                self.for_view(view, Pending::Save(path, force));
            }
            Command::Reload { view } => self.for_view(view, Pending::Reload),
            Command::Close { view } => self.for_view(view, Pending::Close),
            Command::SetLanguage { view, language } => {
                self.for_view(view, Pending::Language(language));
            }
            Command::Recover { view, action, into } => match into {
                // Queued on the new view: it is ready after the offered one.
                Some(into) => self.for_view(
                    into,
                    Pending::Recover {
                        action,
                        from: Some(view),
                    },
                ),
                None => self.for_view(view, Pending::Recover { action, from: None }),
            },
            Command::Request { view, id, request } => {
                self.for_view(view, Pending::Request { id, request })
            }
            Command::SetTheme(name) => {
                self.send(&Out::SetTheme(&name));
                self.theme = Some(name);
            }
            Command::Refused { view, id, error } => self.emit(SessionEvent::Reply {
                view,
                id,
                result: Err(error),
            }),
            Command::Restart | Command::Shutdown => {}
        }
    }

    /// Runs `p` now when the view is ready, else queues it.
    pub(super) fn for_view(&mut self, view: ViewHandle, p: Pending) {
        let Some(v) = self.views.get_mut(&view) else {
            tracing::debug!("command for unknown view {view:?} dropped");
            return;
        };
        if v.phase == Phase::Ready && self.conn.is_some() && v.queue.is_empty() {
            self.run_pending(view, p);
        } else {
            // Remember the viewport even while queued.
            match &p {
                Pending::Edit(edit @ EditNotification::Scroll(_)) => {
                    v.last_scroll = Some(edit.clone())
                }
                Pending::Edit(edit @ EditNotification::Resize(_)) => {
                    v.last_resize = Some(edit.clone())
                }
                _ => {}
            }
            self.order += 1;
            v.queue.push_back((self.order, p));
            if self.conn.is_none() || v.phase == Phase::Reopening {
                // Only this session has it now: keep it on disk too.
                self.journal_queued(view);
            }
        }
    }

    pub(super) fn run_pending(&mut self, view: ViewHandle, p: Pending) {
        let Some(core) = self.views.get(&view).and_then(|v| v.core.clone()) else {
            return;
        };
        match p {
            Pending::Edit(cmd) => self.send_edit(view, cmd),
            Pending::Copy(false) => self.send_request_of(
                OutRequest::CopyCut(&core, false),
                Req::Copy { view, cut: false },
            ),
            Pending::Copy(true) => self.send_cut(view, Req::Copy { view, cut: true }),
            Pending::Save(path, force) => {
                self.send_request_of(OutRequest::GetConfig(&core), Req::SavePoint { view });
                self.send(&Out::Save {
                    view_id: &core,
                    path: &path,
                    force,
                });
                self.save_alerts.insert(view, None);
                self.save_conflicts.remove(&view);
                let seq = self.seq;
                let before = file_stamp(&path);
                self.send_request_of(
                    OutRequest::GetConfig(&core),
                    Req::Saved {
                        view,
                        seq,
                        path,
                        force,
                        before,
                    },
                );
            }
            Pending::Reload => self.send(&Out::Reload(&core)),
            Pending::Language(language) => self.send(&Out::SetLanguage(&core, &language)),
            Pending::Recover { action, from } => {
                use symphony_protocol::xi::RecoverAction;
                let replace = action == RecoverAction::Replace;
                // A journal of this client's own (typing kept while the editor was down)
                // is replayed or dropped here; anything else is the editor's to answer.
                let client_journal = from.is_none()
                    && matches!(action, RecoverAction::Replace | RecoverAction::Trash)
                    && self.answer_client_journal(view, replace).is_some();
                if !client_journal {
                    let out = match from {
                        None => Out::Recover {
                            view_id: &core,
                            action,
                            into: None,
                        },
                        Some(from) => {
                            let Some(from_core) =
                                self.views.get(&from).and_then(|v| v.core.as_deref())
                            else {
                                tracing::warn!("recovery answer for a closed view dropped");
                                return;
                            };
                            Out::Recover {
                                view_id: from_core,
                                action,
                                into: Some(&core),
                            }
                        }
                    };
                    self.send(&out);
                }
            }
            Pending::Request { id, request } => {
                let changes_text = request.changes_text();
                self.send_request(|n| request.to_line(n, &core), Req::Reply { view, id });
                if changes_text {
                    let path = self.views.get(&view).and_then(|v| v.path.clone());
                    self.not_exact(view, path);
                }
            }
            Pending::Close => {
                self.send(&Out::CloseView(&core));
                self.by_core.remove(&core);
                self.views.remove(&view);
            }
        }
    }

    /// Sends everything that waited for the view, in order.
    pub(super) fn flush(&mut self, view: ViewHandle) {
        while self.conn.is_some() {
            let Some((_, p)) = self.views.get_mut(&view).and_then(|v| v.queue.pop_front()) else {
                return;
            };
            self.run_pending(view, p);
        }
    }
}
