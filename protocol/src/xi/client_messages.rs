//! Core -> front end messages: [`ClientNotification`], [`ClientRequest`] and their parser.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::core_messages::parse_tagged;
use super::{StyleDef, ThemeSettings, Update, ViewId, XiError, symphony};

/// Notifications the core sends to the front end.
///
/// ```
/// use symphony_protocol::xi::ClientNotification;
/// use serde_json::json;
/// let n = ClientNotification::ScrollTo { view_id: "view-id-1".into(), line: 2, col: 11 };
/// assert_eq!(n.to_value(),
///            json!({"method": "scroll_to", "params": {"view_id": "view-id-1", "line": 2, "col": 11}}));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", content = "params", rename_all = "snake_case")]
pub enum ClientNotification {
    /// Line-cache update of a view.
    Update {
        /// The view.
        view_id: ViewId,
        /// Ops, pristine flag, annotations.
        update: Update,
        /// Symphony: the last edit of this view (its `symphony_seq`) processed before this
        /// update was made; only sent to a client that asked for edit acknowledgements.
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            rename = "symphony_ack"
        )]
        ack: Option<u64>,
    },
    /// Where the caret is (0-based); the front end scrolls it into view.
    ScrollTo {
        /// The view.
        view_id: ViewId,
        /// 0-based line.
        line: usize,
        /// 0-based column (UTF-8 bytes).
        col: usize,
    },
    /// Defines a style id used by later updates.
    DefStyle(StyleDef),
    /// The theme changed.
    ThemeChanged {
        /// Theme name.
        name: String,
        /// Its colours.
        theme: ThemeSettings,
    },
    /// Theme names `set_theme` accepts.
    AvailableThemes {
        /// Names.
        themes: Vec<String>,
    },
    /// Language names `set_language` accepts.
    AvailableLanguages {
        /// Names.
        languages: Vec<String>,
    },
    /// A view's language changed.
    LanguageChanged {
        /// The view.
        view_id: ViewId,
        /// New language (may be `""`).
        language_id: String,
    },
    /// A view's config changed (all keys on `new_view`, only changed keys later).
    ConfigChanged {
        /// The view.
        view_id: ViewId,
        /// Changed keys.
        changes: Map<String, Value>,
    },
    /// Plugins available for a view.
    AvailablePlugins {
        /// The view.
        view_id: ViewId,
        /// The plugins.
        plugins: Vec<PluginDescription>,
    },
    /// A plugin started for a view.
    PluginStarted {
        /// The view.
        view_id: ViewId,
        /// Plugin name.
        plugin: String,
    },
    /// A plugin stopped.
    PluginStopped {
        /// The view.
        view_id: ViewId,
        /// Plugin name.
        plugin: String,
        /// Exit code (unused upstream, 0).
        code: i32,
    },
    /// Commands a plugin offers (raw JSON).
    UpdateCmds {
        /// The view.
        view_id: ViewId,
        /// Plugin name.
        plugin: String,
        /// The commands, as upstream's `Command` objects.
        cmds: Vec<Value>,
    },
    /// A message to show the user.
    Alert {
        /// The text.
        msg: String,
    },
    /// Status of the find queries.
    FindStatus {
        /// The view.
        view_id: ViewId,
        /// One entry per query.
        queries: Vec<FindStatusQuery>,
    },
    /// Status of the replace.
    ReplaceStatus {
        /// The view.
        view_id: ViewId,
        /// Current replacement.
        status: ReplaceStatus,
    },
    /// Hover result for a `request_hover`.
    ShowHover {
        /// The view.
        view_id: ViewId,
        /// The id of the `request_hover`.
        request_id: usize,
        /// Text to show.
        result: String,
    },
    /// A plugin adds a status-bar item.
    AddStatusItem {
        /// The view.
        view_id: ViewId,
        /// Who added it.
        source: String,
        /// Item key.
        key: String,
        /// Item text.
        value: String,
        /// `"left"` or `"right"`.
        alignment: String,
    },
    /// A status-bar item changes.
    UpdateStatusItem {
        /// The view.
        view_id: ViewId,
        /// Item key.
        key: String,
        /// New text.
        value: String,
    },
    /// A status-bar item goes away.
    RemoveStatusItem {
        /// The view.
        view_id: ViewId,
        /// Item key.
        key: String,
    },
    /// Symphony: the crash journal holds unsaved edits for this view's file; sent after
    /// the normal `new_view` sequence. Answer with `symphony.recover`. The optional fields
    /// are left out of the JSON when they have their default value.
    #[serde(rename = "symphony.recovery_available")]
    SymphonyRecoveryAvailable {
        /// The view just opened.
        view_id: ViewId,
        /// Its file.
        file_path: String,
        /// Number of journaled edits.
        edits: usize,
        /// Length in bytes of the recovered text.
        recovered_len: usize,
        /// The file on disk is not the version the journal was made on (another program
        /// changed it since): recovering replaces that version's text.
        #[serde(default, skip_serializing_if = "is_false")]
        changed_on_disk: bool,
        /// The recovered text is exactly what was typed (false: the journal did not hold
        /// its base, and its edits were replayed onto the changed file as it is now).
        #[serde(default = "yes", skip_serializing_if = "is_true")]
        exact: bool,
        /// The journal file offered (where it goes when moved to the trash is told then).
        #[serde(default, skip_serializing_if = "String::is_empty")]
        journal: String,
        /// More journals of this file wait to be offered after this one.
        #[serde(default, skip_serializing_if = "is_zero")]
        more: usize,
        /// The journal is of a buffer its text had been recovered into earlier (not of the
        /// file's own buffer): a restarting client never takes it as its own.
        #[serde(default, skip_serializing_if = "is_false")]
        detached: bool,
    },
    /// Symphony: whether the crash journal of the view's buffer holds every edit.
    /// `ok: false` (with `error`) when a write failed: edits are not protected until a
    /// later `ok: true`.
    #[serde(rename = "symphony.journal_status")]
    SymphonyJournalStatus {
        /// A view of the buffer (one notification per view).
        view_id: ViewId,
        /// The journal works again.
        ok: bool,
        /// Why it does not, in a few words.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// Symphony: an edit was processed whose view sent no `update` to carry its
    /// acknowledgement (see [`super::symphony::ACK`]).
    #[serde(rename = "symphony.ack")]
    SymphonyAck(super::symphony::Ack),
    /// Symphony: the view's file was renamed or moved (a language server's workspace edit
    /// renamed it or a directory holding it): the buffer, its unsaved edits and undo now
    /// belong to `file_path`, where later saves go. One per view of the buffer.
    #[serde(rename = "symphony.file_moved")]
    SymphonyFileMoved {
        /// A view of the moved buffer.
        view_id: ViewId,
        /// The file's new path.
        file_path: String,
    },
    /// Symphony: a `save` wrote nothing because of a conflict with the file on disk.
    /// Answer with `save` with `force: true` (overwrite), `symphony.reload`, or nothing.
    #[serde(rename = "symphony.save_conflict")]
    SymphonySaveConflict {
        /// The view that asked to save.
        view_id: ViewId,
        /// The file it was to be saved to.
        file_path: String,
        /// `"changed"` (another program changed the file since it was read or saved),
        /// `"binary"` (and it is not text now), `"exists"` (saving under a new name over
        /// an existing file).
        reason: String,
        /// A sentence for the user.
        message: String,
    },
    /// Symphony: the view's file changed on disk while the buffer has unsaved edits
    /// (`"changed"`, `"removed"`), or is in step again (`"in_sync"`, after a save or reload).
    #[serde(rename = "symphony.disk_state")]
    SymphonyDiskState {
        /// A view of the buffer.
        view_id: ViewId,
        /// Its file.
        file_path: String,
        /// `"changed"`, `"removed"` or `"in_sync"`.
        state: String,
    },
}

/// Method name of [`ClientNotification::SymphonyFileMoved`].
pub const FILE_MOVED: &str = "symphony.file_moved";

/// A plugin entry of `available_plugins`: `{"name","running"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginDescription {
    /// Plugin name.
    pub name: String,
    /// Whether it runs for the view.
    pub running: bool,
}

/// One query of `find_status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindStatusQuery {
    /// Query id.
    pub id: usize,
    /// Query text (`null` when none).
    pub chars: Option<String>,
    /// Match case (`null` when unknown).
    pub case_sensitive: Option<bool>,
    /// Regex query (`null` when unknown).
    pub is_regex: Option<bool>,
    /// Whole words (`null` when unknown).
    pub whole_words: Option<bool>,
    /// Number of matches.
    pub matches: usize,
    /// 1-based line numbers of the matches.
    #[serde(default)]
    pub lines: Vec<usize>,
    /// The search is still running: `matches` counts the matches found so far
    /// (absent when the count is final; a Symphony addition).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub counting: bool,
}

/// The `status` of `replace_status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplaceStatus {
    /// Replacement text.
    pub chars: String,
    /// Keep the case of the match.
    pub preserve_case: bool,
}

/// Requests the core sends to the front end (upstream: only `measure_width`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", content = "params", rename_all = "snake_case")]
pub enum ClientRequest {
    /// Measure string widths; answer: one array of widths per request.
    MeasureWidth(Vec<WidthRequest>),
}

/// One `measure_width` entry: `{"id": style_id, "strings": [..]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidthRequest {
    /// Style id the strings are drawn in.
    pub id: u64,
    /// The strings to measure.
    pub strings: Vec<String>,
}

/// Every [`ClientNotification`] method name.
pub const CLIENT_NOTIFICATION_METHODS: &[&str] = &[
    "update",
    "scroll_to",
    "def_style",
    "theme_changed",
    "available_themes",
    "available_languages",
    "language_changed",
    "config_changed",
    "available_plugins",
    "plugin_started",
    "plugin_stopped",
    "update_cmds",
    "alert",
    "find_status",
    "replace_status",
    "show_hover",
    "add_status_item",
    "update_status_item",
    "remove_status_item",
    symphony::RECOVERY_AVAILABLE,
    FILE_MOVED,
    symphony::SAVE_CONFLICT,
    symphony::DISK_STATE,
    symphony::JOURNAL_STATUS,
    symphony::ACK,
];

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl ClientNotification {
    /// The JSON value `{"method":..,"params":..}`.
    pub fn to_value(&self) -> Value {
        super::to_value_infallible(self)
    }

    /// The JSON line (without the trailing `\n`).
    pub fn to_line(&self) -> String {
        self.to_value().to_string()
    }
}

impl ClientRequest {
    /// The JSON value `{"id":id,"method":..,"params":..}`.
    pub fn to_value(&self, id: u64) -> Value {
        let mut v = super::to_value_infallible(self);
        if let Some(obj) = v.as_object_mut() {
            obj.insert("id".into(), Value::from(id));
        }
        v
    }
}

/// Parses a core -> front end notification; unknown methods and malformed params are
/// typed errors naming the method.
pub fn parse_client_notification(
    method: &str,
    params: Value,
) -> Result<ClientNotification, XiError> {
    parse_tagged(method, params, CLIENT_NOTIFICATION_METHODS, None)
}

/// Parses a core -> front end request.
pub fn parse_client_request(method: &str, params: Value) -> Result<ClientRequest, XiError> {
    parse_tagged(method, params, &["measure_width"], None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn file_moved_round_trips_under_its_symphony_name() {
        let n = ClientNotification::SymphonyFileMoved {
            view_id: "view-id-1".into(),
            file_path: "/p/b.rs".into(),
        };
        let v = n.to_value();
        assert_eq!(
            v,
            json!({"method": "symphony.file_moved",
                   "params": {"view_id": "view-id-1", "file_path": "/p/b.rs"}})
        );
        let back = parse_client_notification(FILE_MOVED, v["params"].clone()).expect("parse");
        assert_eq!(back, n);
    }
}
