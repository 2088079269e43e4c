//! Front end -> core messages: [`CoreNotification`], [`CoreRequest`] and their parsers.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::edit::{EDIT_NOTIFICATION_METHODS, EDIT_REQUEST_METHODS};
use super::{EditCommand, EditNotification, EditRequest, ViewId, XiError, symphony};

/// Notifications the front end sends to the core (no answer expected).
///
/// ```
/// use symphony_protocol::xi::CoreNotification;
/// use serde_json::json;
/// let n = CoreNotification::SetTheme { theme_name: "InspiredGitHub".into() };
/// assert_eq!(n.to_value(), json!({"method": "set_theme", "params": {"theme_name": "InspiredGitHub"}}));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", content = "params", rename_all = "snake_case")]
pub enum CoreNotification {
    /// The front end is up; the core answers with `available_languages` and `available_themes`.
    ClientStarted {
        /// Directory of the user's config files.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        config_dir: Option<String>,
        /// Directory of plugins shipped with the client.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_extras_dir: Option<String>,
    },
    /// Switch theme; the core answers with `theme_changed`.
    SetTheme {
        /// One of the names of `available_themes`.
        theme_name: String,
    },
    /// Close a view.
    CloseView {
        /// The view.
        view_id: ViewId,
    },
    /// Write the view's buffer to `file_path`. Symphony: when the file changed on disk
    /// since it was read or saved (or, saving under a new name, exists already), nothing
    /// is written and the core answers `symphony.save_conflict`; `force: true` writes anyway.
    Save {
        /// The view.
        view_id: ViewId,
        /// Target path.
        file_path: String,
        /// Symphony: write even over a conflict (absent: false).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        force: bool,
    },
    /// Change user config in a domain; `null` values clear keys.
    ModifyUserConfig {
        /// Which config layer.
        domain: ConfigDomain,
        /// Keys to set (or clear with `null`).
        changes: Map<String, Value>,
    },
    /// Force the language of a view.
    SetLanguage {
        /// The view.
        view_id: ViewId,
        /// A name from `available_languages`.
        language_id: String,
    },
    /// A view-specific edit command (`{"view_id", "method", "params"}`).
    Edit(EditCommand<EditNotification>),
    /// Plugin control (`{"command":"start"|"stop", ...}`), kept as raw JSON.
    Plugin(Value),
    /// Symphony: answer to `symphony.recovery_available`.
    #[serde(rename = "symphony.recover")]
    SymphonyRecover {
        /// The view that was offered recovered text.
        view_id: ViewId,
        /// `true`: replace the buffer by the recovered text (one undoable edit);
        /// `false`: move the journal to the trash. Ignored when `action` is given.
        accept: bool,
        /// What to do with the offered journal (newer clients); see [`RecoverAction`].
        #[serde(default, skip_serializing_if = "Option::is_none")]
        action: Option<RecoverAction>,
        /// For [`RecoverAction::NewBuffer`] and [`RecoverAction::Diff`]: the (new, empty,
        /// unnamed) view whose buffer gets the recovered text or the diff.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        into_view_id: Option<ViewId>,
    },
    /// Symphony: replace the buffer by its file as it is on disk now (one undoable edit;
    /// the buffer becomes pristine). The answer to a `symphony.save_conflict`.
    #[serde(rename = "symphony.reload")]
    SymphonyReload {
        /// The view.
        view_id: ViewId,
    },
}

/// The answer to a `symphony.recovery_available` offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecoverAction {
    /// Replace the buffer by the recovered text (one undoable edit).
    Replace,
    /// Put the recovered text into the unnamed buffer of `into_view_id`, leaving the
    /// file's buffer as it is on disk (to compare); the journal follows that buffer.
    NewBuffer,
    /// Put a unified diff (file on disk -> recovered text) into the buffer of
    /// `into_view_id`; the same journal is offered again.
    Diff,
    /// Move the journal to the trash (kept for a while, recoverable).
    Trash,
    /// Decide later: the journal stays and is offered again next time.
    Later,
    /// The client rebuilt the text itself (from its own edit log or journal): the
    /// journal is out of date and goes to the trash without an `alert` (nothing the
    /// user typed is in it that the buffer does not have).
    Superseded,
}

/// Requests the front end sends to the core; each is answered with a response.
///
/// ```
/// use symphony_protocol::xi::CoreRequest;
/// use serde_json::json;
/// let r = CoreRequest::NewView { file_path: None };
/// assert_eq!(r.to_value(7), json!({"id": 7, "method": "new_view", "params": {}}));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", content = "params", rename_all = "snake_case")]
pub enum CoreRequest {
    /// Open a view (answer: the view id string).
    NewView {
        /// File to open; an empty buffer when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file_path: Option<String>,
    },
    /// The view's collated config (answer: an object).
    GetConfig {
        /// The view.
        view_id: ViewId,
    },
    /// The whole buffer text (answer: a string).
    DebugGetContents {
        /// The view.
        view_id: ViewId,
    },
    /// `copy` / `cut` (answer: the text, or `null`).
    Edit(EditCommand<EditRequest>),
    /// Symphony: a unified diff from the file on disk to the buffer (answer: `{diff}`).
    #[serde(rename = "symphony.disk_diff")]
    SymphonyDiskDiff {
        /// The view.
        view_id: ViewId,
    },
    /// Symphony: what the client can use; the answer is what the core grants of it
    /// ([`symphony::Capabilities`]).
    #[serde(rename = "symphony.capabilities")]
    SymphonyCapabilities(symphony::Capabilities),
}

/// The config layer of `modify_user_config`: `"general"`, `{"syntax":lang}`,
/// `{"language":lang}` or `{"user_override":view_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfigDomain {
    /// The general (all buffers) config.
    General,
    /// Config for one syntax.
    Syntax(String),
    /// Config for one language.
    Language(String),
    /// Non-persistent overrides of one view.
    UserOverride(ViewId),
}

/// Every [`CoreNotification`] method name.
pub const CORE_NOTIFICATION_METHODS: &[&str] = &[
    "client_started",
    "set_theme",
    "close_view",
    "save",
    "modify_user_config",
    "set_language",
    "edit",
    "plugin",
    symphony::RECOVER,
    symphony::RELOAD,
];

/// Every [`CoreRequest`] method name.
pub const CORE_REQUEST_METHODS: &[&str] = &[
    "new_view",
    "get_config",
    "debug_get_contents",
    "edit",
    symphony::DISK_DIFF,
    symphony::CAPABILITIES,
];

impl CoreNotification {
    /// The JSON value `{"method":..,"params":..}`.
    pub fn to_value(&self) -> Value {
        super::to_value_infallible(self)
    }

    /// The JSON line (without the trailing `\n`).
    pub fn to_line(&self) -> String {
        self.to_value().to_string()
    }
}

impl CoreRequest {
    /// The JSON value `{"id":id,"method":..,"params":..}`.
    pub fn to_value(&self, id: u64) -> Value {
        let mut v = super::to_value_infallible(self);
        if let Some(obj) = v.as_object_mut() {
            obj.insert("id".into(), Value::from(id));
            obj.entry("params")
                .or_insert_with(|| Value::Object(Map::new()));
        }
        v
    }

    /// The JSON line (without the trailing `\n`).
    pub fn to_line(&self, id: u64) -> String {
        self.to_value(id).to_string()
    }
}

/// Checks `edit`'s inner method name against `known`.
fn check_edit_method(params: &Value, known: &[&str]) -> Result<(), XiError> {
    match params.get("method") {
        Some(Value::String(inner)) if !known.contains(&inner.as_str()) => {
            Err(XiError::UnknownEditMethod {
                method: inner.clone(),
            })
        }
        _ => Ok(()),
    }
}

/// Name used in errors: `edit/<inner>` for edits, the method otherwise.
pub(crate) fn error_name(method: &str, params: &Value) -> String {
    match (method, params.get("method")) {
        ("edit", Some(Value::String(inner))) => format!("edit/{inner}"),
        _ => method.to_string(),
    }
}

/// Shared parser: known-name check then adjacently tagged deserialization.
pub(crate) fn parse_tagged<T: serde::de::DeserializeOwned>(
    method: &str,
    params: Value,
    known: &[&str],
    edit_known: Option<&[&str]>,
) -> Result<T, XiError> {
    if !known.contains(&method) {
        return Err(XiError::UnknownMethod {
            method: method.to_string(),
        });
    }
    if let (Some(edit_known), "edit") = (edit_known, method) {
        check_edit_method(&params, edit_known)?;
    }
    let name = error_name(method, &params);
    serde_json::from_value(super::tagged(method, params)).map_err(|e| XiError::InvalidParams {
        method: name,
        reason: e.to_string(),
    })
}

/// Parses a front end -> core notification; unknown methods (including unknown inner
/// `edit` methods) and malformed params are typed errors naming the method.
pub fn parse_core_notification(method: &str, params: Value) -> Result<CoreNotification, XiError> {
    parse_tagged(
        method,
        params,
        CORE_NOTIFICATION_METHODS,
        Some(EDIT_NOTIFICATION_METHODS),
    )
}

/// Parses a front end -> core request (the `id` is handled by the caller).
pub fn parse_core_request(method: &str, params: Value) -> Result<CoreRequest, XiError> {
    parse_tagged(
        method,
        params,
        CORE_REQUEST_METHODS,
        Some(EDIT_REQUEST_METHODS),
    )
}
