//! Symphony's `symphony.review.*` additions: buffer revisions, rebasing an edit proposal
//! onto the current text through the edits made since, and applying accepted hunks as one
//! undo group. Documented in `docs/protocol.md`.
//!
//! All three are requests (front end -> core, answered with `result` or `error`). Offsets
//! are UTF-8 byte offsets into the whole buffer, lines are 0-based. A `revision` is an
//! opaque number naming one exact text of one buffer's history; revisions from before a
//! restart or a reopen are unknown (error [`INVALID_PARAMS`](super::RpcError::INVALID_PARAMS)
//! with message [`UNKNOWN_REVISION`]).
//!
//! ```
//! use symphony_protocol::xi::review::{ReviewRequest, SnapshotParams, parse_review_request};
//! use serde_json::json;
//! let r = ReviewRequest::Snapshot(SnapshotParams { view_id: "view-id-1".into() });
//! assert_eq!(
//!     r.to_value(3),
//!     json!({"id": 3, "method": "symphony.review.snapshot", "params": {"view_id": "view-id-1"}})
//! );
//! let back = parse_review_request("symphony.review.snapshot", json!({"view_id": "view-id-1"})).unwrap();
//! assert_eq!(back, r);
//! ```

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{ViewId, XiError};

/// `symphony.review.snapshot`: what an AI command reads when it starts.
pub const SNAPSHOT: &str = "symphony.review.snapshot";
/// `symphony.review.rebase`: map a proposal's hunks onto the current text.
pub const REBASE: &str = "symphony.review.rebase";
/// `symphony.review.apply`: apply accepted edits as one undo group.
pub const APPLY: &str = "symphony.review.apply";
/// The prefix of every review method.
pub const PREFIX: &str = "symphony.review.";
/// Every review method name.
pub const METHODS: &[&str] = &[SNAPSHOT, REBASE, APPLY];

/// Error message of a `-32602` answer: the revision is not in this buffer's history (the
/// editor restarted, or the file was closed and opened again). Start over from a snapshot.
pub const UNKNOWN_REVISION: &str = "unknown revision";
/// Error message of a `-32602` answer to `apply`: the revision is known but is not the
/// current one (the buffer changed since). Rebase and retry.
pub const STALE_REVISION: &str = "stale revision";
/// Error message of a `-32602` answer: hunks or edits out of the text, overlapping, not
/// sorted, or not on character boundaries.
pub const INVALID_RANGES: &str = "invalid ranges";

/// Whether `method` is one of the `symphony.review.*` requests (known or not).
pub fn is_review_method(method: &str) -> bool {
    method.starts_with(PREFIX)
}

/// A byte range `{start, end}` (end exclusive).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    /// Start byte offset.
    pub start: usize,
    /// End byte offset (exclusive).
    pub end: usize,
}

/// Params of `symphony.review.snapshot`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotParams {
    /// The view whose buffer is read.
    pub view_id: ViewId,
}

/// Result of `symphony.review.snapshot`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The revision `text` is.
    pub revision: u64,
    /// The whole buffer text.
    pub text: String,
    /// The buffer's file, if it has one.
    pub path: Option<String>,
    /// The buffer's language name ("Rust", "Plain Text"...).
    pub language: Option<String>,
    /// The primary selection when it is not empty.
    pub selection: Option<Span>,
    /// The primary caret's byte offset.
    #[serde(default)]
    pub cursor: usize,
}

/// One hunk of a proposal, in the coordinates of the base revision's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposedHunk {
    /// Start byte offset of the replaced text.
    pub start: usize,
    /// End byte offset (exclusive) of the replaced text.
    pub end: usize,
    /// The replacement (what the proposal would put there).
    pub new_text: String,
}

/// Params of `symphony.review.rebase`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RebaseParams {
    /// The view whose buffer the proposal is for.
    pub view_id: ViewId,
    /// The revision the proposal was computed against (from a snapshot).
    pub base_revision: u64,
    /// The hunks, sorted and non-overlapping, in base-revision coordinates.
    pub hunks: Vec<ProposedHunk>,
}

/// One hunk mapped into the current text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RebasedHunk {
    /// Start byte offset in the current text.
    pub start: usize,
    /// End byte offset (exclusive) in the current text.
    pub end: usize,
    /// 0-based line of `start`.
    pub first_line: usize,
    /// 0-based line holding the range's last byte (`first_line` for an empty range).
    pub last_line: usize,
    /// The current text of `start..end`.
    pub old_text: String,
    /// An edit made since the base revision intersects or abuts the hunk's range.
    pub touched_by_user: bool,
}

/// Result of `symphony.review.rebase`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rebased {
    /// The current revision (pass it to `apply`).
    pub revision: u64,
    /// The hunks, in the order given, mapped into the current text.
    pub hunks: Vec<RebasedHunk>,
    /// Where the buffer changed since the base revision, in current coordinates (an empty
    /// span is a deletion point), sorted.
    pub user_edits: Vec<Span>,
}

/// One edit to apply, in the coordinates of the text at `ApplyParams::revision`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewEdit {
    /// Start byte offset of the replaced text.
    pub start: usize,
    /// End byte offset (exclusive) of the replaced text.
    pub end: usize,
    /// The replacement.
    pub text: String,
}

/// Params of `symphony.review.apply`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyParams {
    /// The view (its buffer is edited, every view of it updated).
    pub view_id: ViewId,
    /// Must be the current revision (from `rebase` or a previous `apply`).
    pub revision: u64,
    /// The edits, sorted and non-overlapping.
    pub edits: Vec<ReviewEdit>,
}

/// Result of `symphony.review.apply`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    /// The revision after the edits.
    pub revision: u64,
}

/// A `symphony.review.*` request, adjacently tagged like [`super::CoreRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", content = "params")]
pub enum ReviewRequest {
    /// `symphony.review.snapshot`; answered with a [`Snapshot`].
    #[serde(rename = "symphony.review.snapshot")]
    Snapshot(SnapshotParams),
    /// `symphony.review.rebase`; answered with [`Rebased`].
    #[serde(rename = "symphony.review.rebase")]
    Rebase(RebaseParams),
    /// `symphony.review.apply`; answered with [`Applied`].
    #[serde(rename = "symphony.review.apply")]
    Apply(ApplyParams),
}

impl ReviewRequest {
    /// The method name.
    pub fn method(&self) -> &'static str {
        match self {
            ReviewRequest::Snapshot(_) => SNAPSHOT,
            ReviewRequest::Rebase(_) => REBASE,
            ReviewRequest::Apply(_) => APPLY,
        }
    }

    /// The view the request is about.
    pub fn view_id(&self) -> &str {
        match self {
            ReviewRequest::Snapshot(p) => &p.view_id,
            ReviewRequest::Rebase(p) => &p.view_id,
            ReviewRequest::Apply(p) => &p.view_id,
        }
    }

    /// The JSON value `{"id":id,"method":..,"params":..}`.
    pub fn to_value(&self, id: u64) -> Value {
        let mut v = super::to_value_infallible(self);
        if let Some(obj) = v.as_object_mut() {
            obj.insert("id".into(), Value::from(id));
        }
        v
    }

    /// The JSON line (without the trailing `\n`).
    pub fn to_line(&self, id: u64) -> String {
        self.to_value(id).to_string()
    }
}

/// Parses a `symphony.review.*` request's params; unknown methods and malformed params
/// are typed errors naming the method.
pub fn parse_review_request(method: &str, params: Value) -> Result<ReviewRequest, XiError> {
    super::core_messages::parse_tagged(method, params, METHODS, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(r: &ReviewRequest, expected: Value) {
        let v = r.to_value(9);
        assert_eq!(v, expected);
        let back = parse_review_request(
            v["method"].as_str().unwrap_or_default(),
            v["params"].clone(),
        )
        .expect("parses back");
        assert_eq!(&back, r);
    }

    #[test]
    fn requests_have_the_documented_json() {
        round_trip(
            &ReviewRequest::Rebase(RebaseParams {
                view_id: "view-id-2".into(),
                base_revision: 17,
                hunks: vec![ProposedHunk {
                    start: 4,
                    end: 9,
                    new_text: "é\n".into(),
                }],
            }),
            json!({"id": 9, "method": "symphony.review.rebase", "params": {
                "view_id": "view-id-2", "base_revision": 17,
                "hunks": [{"start": 4, "end": 9, "new_text": "é\n"}]}}),
        );
        round_trip(
            &ReviewRequest::Apply(ApplyParams {
                view_id: "view-id-2".into(),
                revision: u64::MAX,
                edits: vec![ReviewEdit {
                    start: 0,
                    end: 0,
                    text: "x".into(),
                }],
            }),
            json!({"id": 9, "method": "symphony.review.apply", "params": {
                "view_id": "view-id-2", "revision": u64::MAX,
                "edits": [{"start": 0, "end": 0, "text": "x"}]}}),
        );
        round_trip(
            &ReviewRequest::Snapshot(SnapshotParams {
                view_id: "v".into(),
            }),
            json!({"id": 9, "method": "symphony.review.snapshot", "params": {"view_id": "v"}}),
        );
    }

    #[test]
    fn results_have_the_documented_json() {
        let s = Snapshot {
            revision: 1,
            text: "ab\n".into(),
            path: None,
            language: Some("Rust".into()),
            selection: Some(Span { start: 0, end: 2 }),
            cursor: 2,
        };
        let v = json!({"revision": 1, "text": "ab\n", "path": null, "language": "Rust",
            "selection": {"start": 0, "end": 2}, "cursor": 2});
        assert_eq!(serde_json::to_value(&s).ok(), Some(v.clone()));
        assert_eq!(serde_json::from_value::<Snapshot>(v).ok(), Some(s));

        let r = Rebased {
            revision: 5,
            hunks: vec![RebasedHunk {
                start: 3,
                end: 6,
                first_line: 1,
                last_line: 1,
                old_text: "cd\n".into(),
                touched_by_user: true,
            }],
            user_edits: vec![Span { start: 0, end: 1 }],
        };
        let v = json!({"revision": 5, "hunks": [{"start": 3, "end": 6, "first_line": 1,
            "last_line": 1, "old_text": "cd\n", "touched_by_user": true}],
            "user_edits": [{"start": 0, "end": 1}]});
        assert_eq!(serde_json::to_value(&r).ok(), Some(v.clone()));
        assert_eq!(serde_json::from_value::<Rebased>(v).ok(), Some(r));

        let a = Applied { revision: 8 };
        assert_eq!(serde_json::to_value(a).ok(), Some(json!({"revision": 8})));
    }

    #[test]
    fn unknown_methods_and_bad_params_are_named() {
        assert!(is_review_method("symphony.review.frobnicate"));
        assert!(!is_review_method("symphony.recover"));
        assert_eq!(
            parse_review_request("symphony.review.frobnicate", json!({})),
            Err(XiError::UnknownMethod {
                method: "symphony.review.frobnicate".into()
            })
        );
        let e = parse_review_request(REBASE, json!({"view_id": "v"}));
        assert!(
            matches!(e, Err(XiError::InvalidParams { ref method, .. }) if method == REBASE),
            "{e:?}"
        );
    }
}
