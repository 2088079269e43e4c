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

/// The prefix every Symphony addition's method name starts with.
pub const PREFIX: &str = "symphony.";

/// Whether `method` is a Symphony addition (rather than an xi method).
pub fn is_symphony_method(method: &str) -> bool {
    method.starts_with(PREFIX)
}
