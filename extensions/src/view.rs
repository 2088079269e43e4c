//! The small declarative view a motif sends for its pane, for the client to render:
//! a title, blocks of styled lines, lists, gauges and sparklines, and key hints.
//!
//! A motif answers `render` (and `key {key}` while focused) with a [`View`]. Only
//! `lines` is required; styles are names the client maps to its theme (`modified`,
//! `added`, `deleted`, `untracked`, `error`, `dim`, `normal`...).
//!
//! ```
//! use symphony_extensions::view::View;
//! let v: View = serde_json::from_str(r#"{"title": "git status",
//!     "lines": [{"text": "?? new.txt", "style": "untracked"}],
//!     "key_hints": [{"key": "r", "label": "refresh"}]}"#).unwrap();
//! assert_eq!(v.lines[0].style.as_deref(), Some("untracked"));
//! ```

use serde::{Deserialize, Serialize};

/// A motif's pane content.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct View {
    /// Pane title.
    #[serde(default)]
    pub title: String,
    /// Styled text lines, top first.
    #[serde(default)]
    pub lines: Vec<StyledLine>,
    /// Selectable lists below the lines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lists: Vec<List>,
    /// Gauges (progress bars).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gauges: Vec<Gauge>,
    /// Sparklines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sparklines: Vec<Sparkline>,
    /// Keys the motif handles while focused.
    #[serde(default)]
    pub key_hints: Vec<KeyHint>,
}

/// One line of text with a style name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StyledLine {
    /// The text (one line).
    pub text: String,
    /// A style name; the default style when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
}

/// A list with an optional selected row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct List {
    /// Its title.
    #[serde(default)]
    pub title: String,
    /// Its rows.
    pub items: Vec<StyledLine>,
    /// The selected row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selected: Option<usize>,
}

/// A labelled ratio in 0..=1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gauge {
    /// Its label.
    pub label: String,
    /// The ratio (clamped to 0..=1 by the client).
    pub ratio: f64,
}

/// A labelled series of values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sparkline {
    /// Its label.
    pub label: String,
    /// The values, oldest first.
    pub values: Vec<u64>,
}

/// A key and what it does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyHint {
    /// The key (`r`, `enter`, `ctrl-r`...).
    pub key: String,
    /// What it does.
    pub label: String,
}
