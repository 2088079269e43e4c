//! What the editor process says about language servers: the
//! `symphony.lsp.*` notifications (diagnostics, status, signature help) and
//! the answers to the requests in [`super::commands`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;
use symphony_protocol::xi::lsp::{
    self as wire, CompletionResult, DiagnosticsParams, EditSummary, GotoKind, GotoResult,
    ServerState, SignatureHelpParams, StatusParams, WorkspaceDiagnosticsResult,
};

use super::commands::{goto_name, picker};
use super::diagnostics::{describe, letter, sort};
use super::{Completion, Hover, LspAction, LspState, Pending, Target};
use crate::action::Action;
use crate::app::effect::{self, Effect, RequestIds};
use crate::app::{State, ViewData};
use crate::overlays::lsp::PickerRow;
use crate::session::{Reply, ReplyError};

/// Applies a `symphony.lsp.*` notification; `view` is the client's handle of
/// its `view_id` (when it has one the client knows).
pub fn on_notification(state: &mut State, view: Option<u64>, method: &str, params: &Value) {
    match method {
        wire::DIAGNOSTICS => {
            let (Some(view), Ok(mut p)) = (view, DiagnosticsParams::deserialize(params)) else {
                tracing::debug!("bad or unknown-view diagnostics");
                return;
            };
            sort(&mut p.diagnostics);
            if let Some(d) = state.views.get_mut(&view) {
                d.lsp.attached = true;
                d.lsp.diagnostics = p.diagnostics;
            }
        }
        wire::SIGNATURE_HELP => {
            let (Some(view), Ok(p)) = (view, SignatureHelpParams::deserialize(params)) else {
                return;
            };
            if let Some(d) = state.views.get_mut(&view) {
                d.lsp.signature = (!p.is_close()).then_some(p);
            }
        }
        wire::STATUS => match StatusParams::deserialize(params) {
            Ok(p) => on_status(state, p),
            Err(e) => tracing::debug!("bad lsp status: {e}"),
        },
        other => tracing::debug!("unknown lsp notification {other}"),
    }
}

/// One clear, non-focus-stealing message per server problem.
fn on_status(state: &mut State, p: StatusParams) {
    if p.state == ServerState::Running {
        state
            .lsp
            .triggers
            .insert(p.language.clone(), p.completion_triggers.clone());
    }
    let previous = state
        .lsp
        .servers
        .insert(p.language.clone(), (p.server.clone(), p.state))
        .map(|(_, s)| s);
    let what = format!("{} ({})", p.server, p.language);
    let detail = p.message.clone();
    match p.state {
        ServerState::NotInstalled => state.error(
            detail.unwrap_or_else(|| format!("{what} is not installed; editing works without it")),
        ),
        ServerState::Failed => {
            state.error(detail.unwrap_or_else(|| format!("{what} failed and was given up")))
        }
        ServerState::Restarting => {
            state.error(detail.unwrap_or_else(|| format!("{what} stopped; restarting it")))
        }
        ServerState::Running if previous == Some(ServerState::Restarting) => {
            state.say(format!("{what} is running again"))
        }
        ServerState::Running | ServerState::Starting | ServerState::Stopped => {
            if let Some(m) = detail {
                state.say(m);
            }
        }
    }
}

/// Applies the answer to request `id` (from `SessionEvent::Reply`, typed by the
/// session: [`crate::session::parse_reply`]) through [`LspState::on_reply`] and carries
/// out its effects; false when it was not one of ours.
pub fn on_reply(state: &mut State, id: u64, reply: Result<Reply, ReplyError>) -> bool {
    let mut cx = ReplyContext {
        focused_view: state.focused_view(),
        views: &state.views,
        cwd: &state.cwd,
        ids: RequestIds(&mut state.next_request),
    };
    let Some(effects) = state.lsp.on_reply(id, reply, &mut cx) else {
        return false;
    };
    effect::run(state, effects);
    true
}

/// What an answer reads of the rest of the client (it changes none of it, and takes
/// request ids for the follow-up requests it returns).
#[derive(Debug)]
pub struct ReplyContext<'a> {
    /// The focused view (popups open only over the view they were asked for).
    pub focused_view: Option<u64>,
    /// The views' data (the completion popup filters by the text at the caret).
    pub views: &'a HashMap<u64, ViewData>,
    /// The working directory (pickers show paths relative to it).
    pub cwd: &'a Path,
    /// Ids for follow-up requests.
    pub ids: RequestIds<'a>,
}

impl LspState {
    /// Applies the answer to request `id` to this state; returns what the rest of the
    /// client must do (messages, a picker to open, a jump, a follow-up request), or
    /// `None` when the request was not one of ours.
    pub fn on_reply(
        &mut self,
        id: u64,
        reply: Result<Reply, ReplyError>,
        cx: &mut ReplyContext<'_>,
    ) -> Option<Vec<Effect>> {
        let pending = self.pending.remove(&id)?;
        let reply = match reply {
            Ok(r) => r,
            Err(ReplyError::Refused(msg)) => return Some(on_error(&pending, &msg)),
            Err(e @ ReplyError::Malformed { .. }) if matches!(pending, Pending::Resolve { .. }) => {
                // Details are extra: the popup keeps its items without them.
                tracing::debug!("{e}");
                return Some(Vec::new());
            }
            Err(e @ ReplyError::Malformed { what, .. }) => return Some(vec![bad_answer(what, &e)]),
        };
        let say = |t: String| vec![Effect::Say(t)];
        Some(match (pending, reply) {
            (Pending::Completion { view, explicit }, Reply::Completion(r)) => {
                self.completion_arrived(cx, id, view, explicit, r)
            }
            (Pending::Resolve { completion, index }, Reply::ResolveCompletion(r)) => {
                if let Some(c) = self.completion.as_mut()
                    && c.id == completion
                {
                    c.docs.insert(index, r);
                }
                Vec::new()
            }
            (Pending::Accept, Reply::AcceptCompletion) => Vec::new(),
            (Pending::Hover { view, at }, Reply::Hover(h)) => match h {
                Some(h) if !h.contents.trim().is_empty() => {
                    if cx.focused_view == Some(view) {
                        self.hover = Some(Hover {
                            view,
                            at,
                            contents: h.contents,
                        });
                    }
                    Vec::new()
                }
                _ => say("Nothing to show here".into()),
            },
            (Pending::Goto { kind }, Reply::Goto(r)) => locations_arrived(cx.cwd, kind, r),
            (Pending::Rename, Reply::Rename(s)) => say(edit_summary("Renamed", &s)),
            (Pending::CodeActions { view: for_view }, Reply::CodeActions(r)) => {
                if r.actions.is_empty() {
                    say("No code actions here".into())
                } else {
                    let rows = r
                        .actions
                        .into_iter()
                        .enumerate()
                        .map(|(index, a)| PickerRow {
                            severity: None,
                            label: a.title,
                            detail: a.kind.unwrap_or_default(),
                            action: Action::Lsp(LspAction::ApplyCodeAction {
                                view: for_view,
                                index,
                            }),
                        })
                        .collect();
                    vec![Effect::OpenOverlay(picker(" Code actions ".into(), rows))]
                }
            }
            (Pending::ApplyCodeAction, Reply::ApplyCodeAction(s)) => {
                say(edit_summary("Applied", &s))
            }
            (Pending::Format, Reply::Format(r)) if r.edits == 0 => say("Already formatted".into()),
            (Pending::Format, Reply::Format(r)) => {
                say(format!("Formatted ({} edit{})", r.edits, plural(r.edits)))
            }
            (Pending::WorkspaceDiagnostics, Reply::WorkspaceDiagnostics(r)) => {
                workspace_picker(cx.cwd, r)
            }
            (pending, reply) => {
                tracing::warn!("an answer of the wrong kind: {reply:?} for {pending:?}");
                Vec::new()
            }
        })
    }

    fn completion_arrived(
        &mut self,
        cx: &mut ReplyContext<'_>,
        id: u64,
        view: u64,
        explicit: bool,
        r: CompletionResult,
    ) -> Vec<Effect> {
        if cx.focused_view != Some(view) {
            return Vec::new();
        }
        if r.items.is_empty() {
            return if explicit {
                vec![Effect::Say("No completions here".into())]
            } else {
                Vec::new()
            };
        }
        let Some(data) = cx.views.get(&view) else {
            return Vec::new();
        };
        let mut c = Completion::new(id, view, data.caret.0, r.start_col, r.items);
        if c.refilter(data) {
            self.completion = Some(c);
            self.resolve_selected(&mut cx.ids).into_iter().collect()
        } else if explicit {
            vec![Effect::Say("No completions match".into())]
        } else {
            Vec::new()
        }
    }

    /// The request for the documentation of the selected completion item, once.
    pub fn resolve_selected(&mut self, ids: &mut RequestIds<'_>) -> Option<Effect> {
        let c = self.completion.as_mut()?;
        let index = c.selected_item()?;
        if c.docs.contains_key(&index) || c.asked.contains(&index) {
            return None;
        }
        c.asked.push(index);
        let (view, completion) = (c.view, c.id);
        let id = ids.take();
        self.pending
            .insert(id, Pending::Resolve { completion, index });
        Some(Effect::Request {
            view,
            id,
            request: crate::session::Request::ResolveCompletion { index },
        })
    }
}

/// "Renamed: 3 edits in 2 files, 1 file renamed, 1 deleted (to the trash)".
fn edit_summary(verb: &str, s: &EditSummary) -> String {
    let mut text = format!(
        "{verb}: {} edit{} in {} file{}",
        s.edits,
        plural(s.edits),
        s.files_changed,
        plural(s.files_changed)
    );
    for (n, what) in [
        (s.files_created, "created"),
        (s.files_renamed, "renamed"),
        (s.files_deleted, "deleted (to the trash)"),
    ] {
        if n > 0 {
            text.push_str(&format!(", {n} file{} {what}", plural(n)));
        }
    }
    text
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn bad_answer(what: &str, e: &ReplyError) -> Effect {
    tracing::warn!("{e}");
    Effect::Error(format!("The editor's {what} answer was malformed"))
}

/// A failed request: stale answers are dropped quietly, and so are failures
/// of completions nobody asked for explicitly (typing `.`).
fn on_error(pending: &Pending, msg: &str) -> Vec<Effect> {
    if msg == "stale" {
        return Vec::new();
    }
    if matches!(
        pending,
        Pending::Completion {
            explicit: false,
            ..
        } | Pending::Resolve { .. }
    ) {
        tracing::debug!("completion failed: {msg}");
        return Vec::new();
    }
    vec![Effect::Error(msg.to_owned())]
}

fn locations_arrived(cwd: &Path, kind: GotoKind, r: GotoResult) -> Vec<Effect> {
    let mut locs = r.locations;
    match locs.len() {
        0 => vec![Effect::Say(format!("No {} found", goto_name(kind)))],
        1 if kind != GotoKind::References => {
            let l = locs.remove(0);
            let target = Target {
                path: Some(PathBuf::from(l.path)),
                line: l.line,
                col: l.col,
            };
            vec![Effect::Lsp(LspAction::Jump(target))]
        }
        n => {
            let rows = locs
                .into_iter()
                .map(|l| PickerRow {
                    severity: None,
                    label: l.preview.trim().to_owned(),
                    detail: format!("{}:{}", shown_path(cwd, &l.path), l.line + 1),
                    action: Action::Lsp(LspAction::Jump(Target {
                        path: Some(PathBuf::from(l.path)),
                        line: l.line,
                        col: l.col,
                    })),
                })
                .collect();
            let title = format!(" {} ({n}) ", capitalized(goto_name(kind)));
            vec![Effect::OpenOverlay(picker(title, rows))]
        }
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A path relative to the working directory when inside it.
fn shown_path(cwd: &Path, path: &str) -> String {
    let p = Path::new(path);
    p.strip_prefix(cwd).unwrap_or(p).display().to_string()
}

fn workspace_picker(cwd: &Path, r: WorkspaceDiagnosticsResult) -> Vec<Effect> {
    let mut rows = Vec::new();
    for file in r.files {
        let shown = shown_path(cwd, &file.path);
        let mut diags = file.diagnostics;
        sort(&mut diags);
        for d in diags {
            rows.push(PickerRow {
                severity: Some(d.severity),
                label: format!("{} {}", letter(d.severity), describe(&d)),
                detail: format!("{shown}:{}", d.line + 1),
                action: Action::Lsp(LspAction::Jump(Target {
                    path: Some(PathBuf::from(&file.path)),
                    line: d.line,
                    col: d.col,
                })),
            });
        }
    }
    if rows.is_empty() {
        return vec![Effect::Say("No diagnostics in the workspace".into())];
    }
    rows.sort_by_key(|r| r.severity);
    let title = format!(" Workspace diagnostics ({}) ", rows.len());
    vec![Effect::OpenOverlay(picker(title, rows))]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::overlays::Overlay;
    use crate::overlays::lsp::LspOverlay;
    use symphony_protocol::xi::lsp::{FormatResult, Location};

    fn location(path: &str, line: usize) -> Location {
        Location {
            path: path.into(),
            line,
            col: 4,
            preview: format!("  line {line}  "),
        }
    }

    #[test]
    fn an_answer_changes_only_the_lsp_state_and_returns_its_effects() {
        let views = HashMap::new();
        let mut next = 10;
        let mut lsp = LspState::default();
        lsp.pending.insert(
            1,
            Pending::Goto {
                kind: GotoKind::References,
            },
        );
        lsp.pending.insert(
            2,
            Pending::Goto {
                kind: GotoKind::Definition,
            },
        );
        lsp.pending.insert(3, Pending::Format);
        let mut cx = ReplyContext {
            focused_view: Some(1),
            views: &views,
            cwd: Path::new("/ws"),
            ids: RequestIds(&mut next),
        };
        // Several places: a picker to open, paths shown relative to the workspace.
        let refs = GotoResult {
            locations: vec![location("/ws/src/a.rs", 2), location("/elsewhere/b.rs", 7)],
        };
        let fx = lsp
            .on_reply(1, Ok(Reply::Goto(refs)), &mut cx)
            .expect("ours");
        let [Effect::OpenOverlay(Overlay::Lsp(LspOverlay::Picker(p)))] = &fx[..] else {
            panic!("{fx:?}");
        };
        assert_eq!(p.title, " References (2) ");
        let details: Vec<&str> = p.rows.iter().map(|r| r.detail.as_str()).collect();
        assert_eq!(details, ["src/a.rs:3", "/elsewhere/b.rs:8"]);
        // One definition: a jump, applied by the client as the lsp_* commands are.
        let one = GotoResult {
            locations: vec![location("/ws/src/a.rs", 2)],
        };
        let fx = lsp
            .on_reply(2, Ok(Reply::Goto(one)), &mut cx)
            .expect("ours");
        assert_eq!(
            fx,
            vec![Effect::Lsp(LspAction::Jump(Target {
                path: Some(PathBuf::from("/ws/src/a.rs")),
                line: 2,
                col: 4,
            }))]
        );
        // A malformed answer: one error, named by its request.
        let bad = ReplyError::Malformed {
            what: "format",
            why: "no".into(),
        };
        let fx = lsp.on_reply(3, Err(bad), &mut cx).expect("ours");
        assert_eq!(
            fx,
            vec![Effect::Error(
                "The editor's format answer was malformed".into()
            )]
        );
        // Answered once: a second answer with the same id is not ours.
        let again = lsp.on_reply(3, Ok(Reply::Format(FormatResult { edits: 1 })), &mut cx);
        assert_eq!(again, None);
        assert!(lsp.pending.is_empty() && lsp.hover.is_none() && lsp.completion.is_none());
    }
}
