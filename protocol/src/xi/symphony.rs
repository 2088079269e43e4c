//! Symphony's additions to the xi protocol, all namespaced `symphony.` so they never
//! clash with xi methods. The typed variants live in [`super::CoreNotification`] and
//! [`super::ClientNotification`]; this module names the methods. Each is documented in
//! `docs/protocol.md`.

/// core -> client: the crash journal holds unsaved edits for a newly opened file.
/// Params `{view_id, file_path, edits, recovered_len}`; sent after the normal `new_view`
/// sequence. See [`super::ClientNotification::SymphonyRecoveryAvailable`].
pub const RECOVERY_AVAILABLE: &str = "symphony.recovery_available";

/// client -> core: accept or refuse the recovered text. Params `{view_id, accept}`.
/// See [`super::CoreNotification::SymphonyRecover`].
pub const RECOVER: &str = "symphony.recover";

/// The prefix every Symphony addition's method name starts with.
pub const PREFIX: &str = "symphony.";

/// Whether `method` is a Symphony addition (rather than an xi method).
pub fn is_symphony_method(method: &str) -> bool {
    method.starts_with(PREFIX)
}
