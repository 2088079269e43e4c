//! What the editor process says about language servers: the
//! `symphony.lsp.*` notifications (diagnostics, status, signature help) and
//! the answers to the requests in [`super::commands`].

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;
use symphony_protocol::xi::lsp::{
    self as wire, CompletionResult, DiagnosticsParams, EditSummary, GotoKind, GotoResult,
    ServerState, SignatureHelpParams, StatusParams, WorkspaceDiagnosticsResult,
};

use super::commands::{goto_name, open_picker, resolve_selected};
use super::diagnostics::{describe, letter, sort};
use super::{Completion, Hover, LspAction, Pending, Target};
use crate::action::Action;
use crate::app::State;
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
/// session: [`crate::session::parse_reply`]); false when it was not one of ours.
pub fn on_reply(state: &mut State, id: u64, reply: Result<Reply, ReplyError>) -> bool {
    let Some(pending) = state.lsp.pending.remove(&id) else {
        return false;
    };
    let reply = match reply {
        Ok(r) => r,
        Err(ReplyError::Refused(msg)) => {
            on_error(state, &pending, &msg);
            return true;
        }
        Err(e @ ReplyError::Malformed { .. }) if matches!(pending, Pending::Resolve { .. }) => {
            // Details are extra: the popup keeps its items without them.
            tracing::debug!("{e}");
            return true;
        }
        Err(e @ ReplyError::Malformed { what, .. }) => {
            bad_answer(state, what, &e);
            return true;
        }
    };
    match (pending, reply) {
        (Pending::Completion { view, explicit }, Reply::Completion(r)) => {
            completion_arrived(state, id, view, explicit, r);
        }
        (Pending::Resolve { completion, index }, Reply::ResolveCompletion(r)) => {
            if let Some(c) = state.lsp.completion.as_mut()
                && c.id == completion
            {
                c.docs.insert(index, r);
            }
        }
        (Pending::Accept, Reply::AcceptCompletion) => {}
        (Pending::Hover { view, at }, Reply::Hover(h)) => match h {
            Some(h) if !h.contents.trim().is_empty() => {
                let still_there = state.focused_view() == Some(view);
                if still_there {
                    state.lsp.hover = Some(Hover {
                        view,
                        at,
                        contents: h.contents,
                    });
                }
            }
            _ => state.say("Nothing to show here"),
        },
        (Pending::Goto { kind }, Reply::Goto(r)) => locations_arrived(state, kind, r),
        (Pending::Rename, Reply::Rename(s)) => state.say(edit_summary("Renamed", &s)),
        (Pending::CodeActions { view: for_view }, Reply::CodeActions(r)) => {
            if r.actions.is_empty() {
                state.say("No code actions here");
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
                open_picker(state, " Code actions ".into(), rows);
            }
        }
        (Pending::ApplyCodeAction, Reply::ApplyCodeAction(s)) => {
            state.say(edit_summary("Applied", &s));
        }
        (Pending::Format, Reply::Format(r)) if r.edits == 0 => state.say("Already formatted"),
        (Pending::Format, Reply::Format(r)) => {
            state.say(format!("Formatted ({} edit{})", r.edits, plural(r.edits)));
        }
        (Pending::WorkspaceDiagnostics, Reply::WorkspaceDiagnostics(r)) => {
            workspace_picker(state, r);
        }
        (pending, reply) => {
            tracing::warn!("an answer of the wrong kind: {reply:?} for {pending:?}");
        }
    }
    true
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

fn bad_answer(state: &mut State, what: &str, e: &ReplyError) {
    tracing::warn!("{e}");
    state.error(format!("The editor's {what} answer was malformed"));
}

/// A failed request: stale answers are dropped quietly, and so are failures
/// of completions nobody asked for explicitly (typing `.`).
fn on_error(state: &mut State, pending: &Pending, msg: &str) {
    if msg == "stale" {
        return;
    }
    if matches!(
        pending,
        Pending::Completion {
            explicit: false,
            ..
        } | Pending::Resolve { .. }
    ) {
        tracing::debug!("completion failed: {msg}");
        return;
    }
    state.error(msg.to_owned());
}

fn completion_arrived(state: &mut State, id: u64, view: u64, explicit: bool, r: CompletionResult) {
    if state.focused_view() != Some(view) {
        return;
    }
    if r.items.is_empty() {
        if explicit {
            state.say("No completions here");
        }
        return;
    }
    let Some(data) = state.views.get(&view) else {
        return;
    };
    let mut c = Completion::new(id, view, data.caret.0, r.start_col, r.items);
    if c.refilter(data) {
        state.lsp.completion = Some(c);
        resolve_selected(state);
    } else if explicit {
        state.say("No completions match");
    }
}

fn locations_arrived(state: &mut State, kind: GotoKind, r: GotoResult) {
    let mut locs = r.locations;
    match locs.len() {
        0 => state.say(format!("No {} found", goto_name(kind))),
        1 if kind != GotoKind::References => {
            let l = locs.remove(0);
            let target = Target {
                path: Some(PathBuf::from(l.path)),
                line: l.line,
                col: l.col,
            };
            super::commands::apply(state, LspAction::Jump(target));
        }
        n => {
            let rows = locs
                .into_iter()
                .map(|l| PickerRow {
                    severity: None,
                    label: l.preview.trim().to_owned(),
                    detail: format!("{}:{}", shown_path(state, &l.path), l.line + 1),
                    action: Action::Lsp(LspAction::Jump(Target {
                        path: Some(PathBuf::from(l.path)),
                        line: l.line,
                        col: l.col,
                    })),
                })
                .collect();
            let title = format!(" {} ({n}) ", capitalized(goto_name(kind)));
            open_picker(state, title, rows);
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
fn shown_path(state: &State, path: &str) -> String {
    let p = Path::new(path);
    p.strip_prefix(&state.cwd)
        .unwrap_or(p)
        .display()
        .to_string()
}

fn workspace_picker(state: &mut State, r: WorkspaceDiagnosticsResult) {
    let mut rows = Vec::new();
    for file in r.files {
        let shown = shown_path(state, &file.path);
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
        state.say("No diagnostics in the workspace");
        return;
    }
    rows.sort_by_key(|r| r.severity);
    let title = format!(" Workspace diagnostics ({}) ", rows.len());
    open_picker(state, title, rows);
}
