//! The actor hears from the editor: answers to its requests, by what each was for,
//! and the editor's own requests (`measure_width`).

use serde_json::Value;
use symphony_protocol::xi::{RpcError, RpcMessage};

use super::{Actor, OutRequest, Phase, Req, wire};
use crate::session::{SessionEvent, ViewHandle};

impl Actor {
    pub(super) fn message(&mut self, v: Value) {
        match RpcMessage::from_value(v) {
            Ok(RpcMessage::Response { id, result }) => self.response(id, result),
            Ok(RpcMessage::Request { id, method, params }) => self.request(id, &method, params),
            Ok(RpcMessage::Notification { method, params }) => self.notification(method, params),
            Err(e) => tracing::warn!("unreadable message from the editor: {e}"),
        }
    }

    pub(super) fn response(&mut self, id: u64, result: Result<Value, RpcError>) {
        let Some(req) = self.requests.remove(&id) else {
            tracing::debug!("response to unknown request {id}");
            return;
        };
        match req {
            Req::NewView { view, reopen } => self.view_opened(view, reopen, result),
            Req::Copy { view, cut } => {
                let text = wire::copied_text(result);
                self.emit(SessionEvent::Copied { view, text, cut });
            }
            Req::Confirm { seq } => self.confirmed_up_to(seq),
            Req::Capabilities => {
                self.edit_ack = wire::granted(result).edit_ack;
                tracing::info!(edit_ack = self.edit_ack, "editor capabilities");
            }
            Req::Reopened { view } => {
                if let Some(v) = self.views.get_mut(&view) {
                    v.back = true;
                }
                self.finish_restart();
            }
            Req::SavePoint { view } => {
                if let Some(v) = self.views.get_mut(&view) {
                    v.save_point = Some(v.selections.clone());
                }
            }
            Req::Saved {
                view, seq, path, ..
            } => {
                let alert = self.save_alerts.remove(&view).flatten();
                if let Some((reason, message)) = self.save_conflicts.remove(&view) {
                    // nothing was written: the user decides
                    self.emit(SessionEvent::SaveConflict {
                        view,
                        path,
                        reason,
                        message,
                    });
                    return;
                }
                let result = match alert {
                    Some(msg) => Err(msg),
                    None => Ok(()),
                };
                if result.is_ok() {
                    // Views of one file share its buffer: all of them are saved.
                    let old = self.views.get(&view).and_then(|v| v.path.clone());
                    let mut saved = Vec::new();
                    for (h, v) in self.views.iter_mut() {
                        if *h == view || (old.is_some() && v.path == old) {
                            v.path = Some(path.clone());
                            v.rebase(seq);
                            saved.push(*h);
                        }
                    }
                    for h in saved {
                        self.drop_client_journal(h);
                    }
                }
                self.emit(SessionEvent::Saved { view, result });
            }
            Req::Probe { view, old } => {
                if result.is_ok() {
                    tracing::info!(?view, "the editor kept the view across the reconnect");
                    self.by_core.insert(old.clone(), view);
                    if let Some(v) = self.views.get_mut(&view) {
                        v.core = Some(old);
                        v.phase = Phase::Ready;
                    }
                    self.flush(view);
                    self.maybe_running();
                } else {
                    self.send_new_view(view, true);
                }
            }
            Req::Reply { view, id } => self.emit(SessionEvent::Reply {
                view,
                id,
                result: result.map_err(|e| e.message),
            }),
            Req::Ignore => {}
        }
    }

    pub(super) fn view_opened(
        &mut self,
        view: ViewHandle,
        reopen: bool,
        result: Result<Value, RpcError>,
    ) {
        match wire::new_view_id(result) {
            Ok(core) => {
                let Some(v) = self.views.get_mut(&view) else {
                    return;
                };
                v.core = Some(core.clone());
                self.by_core.insert(core.clone(), view);
                if reopen {
                    self.emit(SessionEvent::ViewReset { view });
                    self.send_request_of(OutRequest::GetConfig(&core), Req::Reopened { view });
                } else {
                    v.phase = Phase::Ready;
                    self.emit(SessionEvent::Opened {
                        view,
                        result: Ok(()),
                    });
                    self.offer_client_journal(view);
                    self.flush(view);
                }
            }
            Err(msg) => {
                let v = self.views.remove(&view);
                if reopen {
                    let name = v
                        .and_then(|v| v.path)
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| "an unnamed buffer".to_owned());
                    self.emit(SessionEvent::Alert(format!(
                        "could not reopen {name}: {msg}"
                    )));
                    self.finish_restart();
                } else {
                    self.emit(SessionEvent::Opened {
                        view,
                        result: Err(msg),
                    });
                }
            }
        }
    }

    pub(super) fn request(&mut self, id: u64, method: &str, params: Value) {
        self.send_line(wire::answer_line(id, method, &params));
    }
}
