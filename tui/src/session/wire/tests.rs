//! Every message the client's encoder writes, read back by the editor process's own
//! parser (`symphony_editor::rpc::convert`): each must parse to the intended command.

use std::path::{Path, PathBuf};

use serde_json::Value;
use symphony_editor::command::{EditCmd, Notification, Request as EditorRequest};
use symphony_editor::lsp::LspRequest;
use symphony_editor::rpc::convert;
use symphony_protocol::xi::lsp::{self, GotoKind};
use symphony_protocol::xi::review::{
    ApplyParams, ProposedHunk, RebaseParams, ReviewEdit, ReviewRequest, SnapshotParams,
};
use symphony_protocol::xi::symphony::Capabilities;
use symphony_protocol::xi::{EditNotification as E, LineRange, RecoverAction, Size};

use super::{Out, OutRequest, Request};

/// A notification line as the editor reads it.
fn notification(line: &str) -> Notification {
    let v: Value = serde_json::from_str(line).expect("a JSON line");
    assert!(v.get("id").is_none(), "a notification has no id: {line}");
    convert::notification(v["method"].as_str().expect("method"), v["params"].clone())
        .unwrap_or_else(|e| panic!("the editor cannot parse {line}: {e}"))
}

/// A request line as the editor reads it, with its id.
fn request(line: &str) -> (u64, EditorRequest) {
    let v: Value = serde_json::from_str(line).expect("a JSON line");
    let id = v["id"].as_u64().expect("a request has an id");
    let r = convert::request(v["method"].as_str().expect("method"), v["params"].clone())
        .unwrap_or_else(|e| panic!("the editor cannot parse {line}: {e}"));
    (id, r)
}

#[test]
fn every_notification_the_session_sends_parses_to_its_command_in_the_editor() {
    let path = Path::new("/tmp/a file.txt");
    let cases: Vec<(Out<'_>, Notification)> = vec![
        (Out::ClientStarted, Notification::ClientStarted),
        (
            Out::SetTheme("Solarized"),
            Notification::SetTheme("Solarized".into()),
        ),
        (
            Out::Save {
                view_id: "view-id-1",
                path,
                force: false,
            },
            Notification::Save {
                view: "view-id-1".into(),
                path: path.to_path_buf(),
                force: false,
            },
        ),
        (
            Out::Save {
                view_id: "view-id-1",
                path,
                force: true,
            },
            Notification::Save {
                view: "view-id-1".into(),
                path: path.to_path_buf(),
                force: true,
            },
        ),
        (
            Out::Reload("view-id-2"),
            Notification::Reload("view-id-2".into()),
        ),
        (
            Out::SetLanguage("view-id-1", "Rust"),
            Notification::SetLanguage {
                view: "view-id-1".into(),
                language: "Rust".into(),
            },
        ),
        (
            Out::CloseView("view-id-3"),
            Notification::CloseView("view-id-3".into()),
        ),
    ];
    let mut recover = Vec::new();
    for action in [
        RecoverAction::Replace,
        RecoverAction::Trash,
        RecoverAction::Superseded,
        RecoverAction::Later,
    ] {
        recover.push((
            Out::Recover {
                view_id: "view-id-1",
                action,
                into: None,
            },
            Notification::Recover {
                view: "view-id-1".into(),
                action,
                into: None,
            },
        ));
    }
    for action in [RecoverAction::NewBuffer, RecoverAction::Diff] {
        recover.push((
            Out::Recover {
                view_id: "view-id-1",
                action,
                into: Some("view-id-4"),
            },
            Notification::Recover {
                view: "view-id-1".into(),
                action,
                into: Some("view-id-4".into()),
            },
        ));
    }
    for (out, want) in cases.into_iter().chain(recover) {
        assert_eq!(notification(&out.to_line()), want, "{out:?}");
    }
}

#[test]
fn every_edit_the_session_sends_parses_with_its_sequence_number_in_the_editor() {
    let mut edits = vec![
        E::Insert {
            chars: "é\n\"x\"".into(),
        },
        E::Paste { chars: "p".into() },
        E::DeleteBackward,
        E::InsertNewline,
        E::MoveLeft,
        E::MoveDownAndModifySelection,
        E::Undo,
        E::Redo,
        E::Yank,
        E::Scroll(LineRange(3, 40)),
        E::Resize(Size {
            width: 80,
            height: 24,
        }),
        E::RequestLines(LineRange(0, 10)),
        E::GotoLine { line: 7 },
    ];
    // The edits that restore selections after a restart.
    edits.extend(super::select(&[[0, 1, 0, 1], [2, 0, 3, 4]]));
    for edit in edits {
        for seq in [None, Some(41)] {
            let line = Out::Edit("view-id-1", &edit, seq).to_line();
            let want = Notification::Edit {
                view: "view-id-1".into(),
                cmd: EditCmd::from(edit.clone()),
                seq,
            };
            assert_eq!(notification(&line), want, "{line}");
        }
    }
    // A journaled edit reads back as the one written.
    let edit = E::Insert { chars: "j".into() };
    assert_eq!(super::parse_edit(&super::edit_value(&edit)), Some(edit));
    assert_eq!(
        super::parse_edit(&super::edit_value(&E::Undo)),
        Some(E::Undo)
    );
}

#[test]
fn every_request_the_session_sends_parses_to_its_request_in_the_editor() {
    let path = PathBuf::from("/tmp/f.rs");
    let cases = vec![
        (
            OutRequest::NewView(Some(&path)),
            EditorRequest::NewView(Some(path.clone())),
        ),
        (OutRequest::NewView(None), EditorRequest::NewView(None)),
        (
            OutRequest::GetConfig("view-id-1"),
            EditorRequest::GetConfig("view-id-1".into()),
        ),
        (
            OutRequest::CopyCut("view-id-1", false),
            EditorRequest::CopyCut {
                view: "view-id-1".into(),
                cut: false,
            },
        ),
        (
            OutRequest::CopyCut("view-id-1", true),
            EditorRequest::CopyCut {
                view: "view-id-1".into(),
                cut: true,
            },
        ),
        (
            OutRequest::Capabilities,
            EditorRequest::Capabilities(Capabilities { edit_ack: true }),
        ),
    ];
    for (i, (out, want)) in cases.into_iter().enumerate() {
        let (id, got) = request(&out.to_line(i as u64));
        assert_eq!((id, got), (i as u64, want), "{out:?}");
    }
}

#[test]
fn every_request_a_feature_makes_parses_to_its_request_in_the_editor() {
    let v = || "view-id-5".to_owned();
    let completion = || lsp::CompletionParams { view_id: v() };
    let index = |index| lsp::ResolveCompletionParams {
        view_id: v(),
        index,
    };
    let rebase = RebaseParams {
        view_id: String::new(),
        base_revision: 4,
        hunks: vec![ProposedHunk {
            start: 1,
            end: 2,
            new_text: "n".into(),
        }],
    };
    let apply = ApplyParams {
        view_id: String::new(),
        revision: 5,
        edits: vec![ReviewEdit {
            start: 0,
            end: 1,
            text: "t".into(),
        }],
    };
    let cases = vec![
        (
            Request::Completion,
            EditorRequest::Lsp(LspRequest::Completion(completion())),
        ),
        (
            Request::Hover,
            EditorRequest::Lsp(LspRequest::Hover(completion())),
        ),
        (
            Request::CodeActions,
            EditorRequest::Lsp(LspRequest::CodeActions(completion())),
        ),
        (
            Request::ResolveCompletion { index: 2 },
            EditorRequest::Lsp(LspRequest::ResolveCompletion(index(2))),
        ),
        (
            Request::AcceptCompletion { index: 3 },
            EditorRequest::Lsp(LspRequest::AcceptCompletion(index(3))),
        ),
        (
            Request::ApplyCodeAction { index: 1 },
            EditorRequest::Lsp(LspRequest::ApplyCodeAction(index(1))),
        ),
        (
            Request::Goto(GotoKind::Definition),
            EditorRequest::Lsp(LspRequest::Goto(lsp::GotoParams {
                view_id: v(),
                kind: GotoKind::Definition,
            })),
        ),
        (
            Request::Rename {
                new_name: "renamed".into(),
            },
            EditorRequest::Lsp(LspRequest::Rename(lsp::RenameParams {
                view_id: v(),
                new_name: "renamed".into(),
            })),
        ),
        (
            Request::Format {
                selection_only: true,
            },
            EditorRequest::Lsp(LspRequest::Format(lsp::FormatParams {
                view_id: v(),
                selection_only: true,
            })),
        ),
        (
            Request::WorkspaceDiagnostics,
            EditorRequest::Lsp(LspRequest::WorkspaceDiagnostics(
                lsp::WorkspaceDiagnosticsParams {},
            )),
        ),
        (
            Request::Snapshot,
            EditorRequest::Review(ReviewRequest::Snapshot(SnapshotParams { view_id: v() })),
        ),
        (
            Request::Rebase(rebase.clone()),
            EditorRequest::Review(ReviewRequest::Rebase(RebaseParams {
                view_id: v(),
                ..rebase
            })),
        ),
        (
            Request::Apply(apply.clone()),
            EditorRequest::Review(ReviewRequest::Apply(ApplyParams {
                view_id: v(),
                ..apply
            })),
        ),
        (Request::DiskDiff, EditorRequest::DiskDiff(v())),
    ];
    for (req, want) in cases {
        let (id, got) = request(&req.to_line(9, "view-id-5"));
        assert_eq!((id, got), (9, want), "{req:?}");
    }
}

#[test]
fn a_request_by_name_reads_back_as_the_typed_one() {
    let rebase = RebaseParams {
        view_id: String::new(),
        base_revision: 4,
        hunks: Vec::new(),
    };
    for req in [
        Request::Completion,
        Request::ResolveCompletion { index: 2 },
        Request::Goto(GotoKind::References),
        Request::Rename {
            new_name: "n".into(),
        },
        Request::Format {
            selection_only: false,
        },
        Request::Rebase(rebase),
        Request::DiskDiff,
        Request::DebugGetContents,
    ] {
        assert_eq!(
            Request::parse(req.method(), req.params_without_view()),
            Ok(req.clone())
        );
    }
    assert!(Request::parse("symphony.no_such", Value::Null).is_err());
}

/// The editor's answer to request `id` among `lines`, as the session hands it on.
fn answer(lines: &[String], id: u64) -> Result<Value, String> {
    for line in lines {
        let v: Value = serde_json::from_str(line).expect("a JSON line");
        if let Ok(symphony_protocol::xi::RpcMessage::Response { id: got, result }) =
            symphony_protocol::xi::RpcMessage::from_value(v)
            && got == id
        {
            return result.map_err(|e| e.message);
        }
    }
    panic!("no answer to {id} in {lines:?}");
}

#[test]
fn the_editors_answers_parse_to_the_typed_reply_of_their_request() {
    use super::{Reply, ReplyError, ReplyKind, parse_reply};
    use symphony_protocol::xi::symphony::DiskDiffResult;

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("a.txt");
    std::fs::write(&path, "one\n").expect("write");
    // The editor's own core, in process: the client's lines in, its lines out.
    let mut core = symphony_editor::core::Core::new();
    let mut out = Vec::new();
    core.handle_line(&OutRequest::NewView(Some(&path)).to_line(0), &mut out);
    let view = match answer(&out, 0) {
        Ok(Value::String(v)) => v,
        other => panic!("new_view answered {other:?}"),
    };
    let cases = [
        (1, Request::DebugGetContents),
        (2, Request::DiskDiff),
        (3, Request::Hover),
    ];
    for (id, r) in &cases {
        out.clear();
        core.handle_line(&r.to_line(*id, &view), &mut out);
        let reply = parse_reply(r.reply_kind(), answer(&out, *id));
        match r {
            Request::DebugGetContents => {
                assert_eq!(reply, Ok(Reply::Debug(Value::String("one\n".into()))));
            }
            Request::DiskDiff => assert_eq!(
                reply,
                Ok(Reply::DiskDiff(DiskDiffResult {
                    diff: String::new()
                }))
            ),
            // No language server here: the editor's error arrives as the refusal.
            _ => assert!(
                matches!(reply, Err(ReplyError::Refused(_)) | Ok(Reply::Hover(None))),
                "{reply:?}"
            ),
        }
    }
    // An answer of the wrong shape is reported as malformed, by the request's name.
    let bad = parse_reply(ReplyKind::Format, Ok(serde_json::json!({"edits": "many"})));
    assert!(
        matches!(&bad, Err(ReplyError::Malformed { what: "format", .. })),
        "{bad:?}"
    );
}
