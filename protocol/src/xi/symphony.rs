//! Symphony's additions to the xi protocol, all namespaced `symphony.` so they never
//! clash with xi methods. The typed variants live in [`super::CoreNotification`] and
//! [`super::ClientNotification`]; this module names the methods. Each is documented in
//! `docs/protocol.md`.

/// core -> client: the crash journal holds unsaved edits for a newly opened file.
/// Params `{view_id, file_path, edits, recovered_len, changed_on_disk, exact, journal,
/// more}`; sent after the normal `new_view`
/// sequence. See [`super::ClientNotification::SymphonyRecoveryAvailable`].
pub const RECOVERY_AVAILABLE: &str = "symphony.recovery_available";

/// client -> core: answer the offer. Params `{view_id, accept, action, into_view_id}`.
/// See [`super::CoreNotification::SymphonyRecover`].
pub const RECOVER: &str = "symphony.recover";

/// client -> core: reload the view's buffer from disk. Params `{view_id}`.
/// See [`super::CoreNotification::SymphonyReload`].
pub const RELOAD: &str = "symphony.reload";

/// client -> core request: diff from the file on disk to the buffer. Params `{view_id}`,
/// answer `{diff}`. See [`super::CoreRequest::SymphonyDiskDiff`].
pub const DISK_DIFF: &str = "symphony.disk_diff";

/// core -> client: a save was not done because of a conflict with the file on disk.
/// Params `{view_id, file_path, reason, message}`.
/// See [`super::ClientNotification::SymphonySaveConflict`].
pub const SAVE_CONFLICT: &str = "symphony.save_conflict";

/// core -> client: whether the view's file changed on disk behind unsaved edits.
/// Params `{view_id, file_path, state}`. See [`super::ClientNotification::SymphonyDiskState`].
pub const DISK_STATE: &str = "symphony.disk_state";
/// core -> client: whether the crash journal of a view's buffer works. Params
/// `{view_id, ok, error}`. See [`super::ClientNotification::SymphonyJournalStatus`].
pub const JOURNAL_STATUS: &str = "symphony.journal_status";

/// client -> core request: what the client can use. Params and answer are
/// [`Capabilities`]; the core answers with what it does of those (upstream xi-core
/// answers an error: then the client uses none). See
/// [`super::CoreRequest::SymphonyCapabilities`].
pub const CAPABILITIES: &str = "symphony.capabilities";

/// The key of an `edit`'s params holding the client's sequence number of the edit
/// (only after [`Capabilities::edit_ack`] was agreed). See [`super::EditCommand::seq`].
pub const EDIT_SEQ: &str = "symphony_seq";

/// The key of an `update`'s params naming the last edit (by its `symphony_seq`) of this
/// view that the core has processed. See [`super::ClientNotification::Update`].
pub const UPDATE_ACK: &str = "symphony_ack";

/// core -> client: the acknowledgement of an edit whose view sent no `update` (the view
/// is gone). Params [`Ack`]. See [`super::ClientNotification::SymphonyAck`].
pub const ACK: &str = "symphony.ack";

/// What a client asks for in `symphony.capabilities`, and what the core grants.
///
/// ```
/// use symphony_protocol::xi::symphony::Capabilities;
/// use serde_json::json;
/// let c = Capabilities { edit_ack: true };
/// assert_eq!(serde_json::to_value(c).unwrap(), json!({"edit_ack": true}));
/// let none: Capabilities = serde_json::from_value(json!({})).unwrap();
/// assert!(!none.edit_ack);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Capabilities {
    /// Edits carry `symphony_seq` and the core acknowledges each in the view's next
    /// `update` (`symphony_ack`), instead of the client asking `get_config` after each.
    #[serde(default)]
    pub edit_ack: bool,
}

/// The params of `symphony.ack`: the last edit processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ack {
    /// The edit's `symphony_seq`.
    pub seq: u64,
}

/// The prefix every Symphony addition's method name starts with.
pub const PREFIX: &str = "symphony.";

/// Whether `method` is a Symphony addition (rather than an xi method).
pub fn is_symphony_method(method: &str) -> bool {
    method.starts_with(PREFIX)
}

/// The answer to [`DISK_DIFF`]: the unified diff from the file on disk to the buffer
/// (empty: the same text).
///
/// ```
/// use symphony_protocol::xi::symphony::DiskDiffResult;
/// use serde_json::json;
/// let r = DiskDiffResult { diff: "-a\n+b\n".into() };
/// assert_eq!(serde_json::to_value(&r).unwrap(), json!({"diff": "-a\n+b\n"}));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DiskDiffResult {
    /// The diff, `-` lines on disk, `+` lines in the buffer.
    pub diff: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_disk_diff_answer_has_the_documented_json() {
        let r = DiskDiffResult {
            diff: "--- disk\n+++ buffer\n-a\n+b\n".into(),
        };
        let v = serde_json::to_value(&r).expect("serialize");
        assert_eq!(v, json!({"diff": "--- disk\n+++ buffer\n-a\n+b\n"}));
        let back: DiskDiffResult = serde_json::from_value(v).expect("parse");
        assert_eq!(back, r);
    }
}
