//! The `theme` object of `theme_changed` (syntect's `ThemeSettings` as xi-core sends it).

use serde::{Deserialize, Serialize};

/// An RGBA colour: `{"r","g","b","a"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Color {
    /// Red.
    pub r: u8,
    /// Green.
    pub g: u8,
    /// Blue.
    pub b: u8,
    /// Alpha (255 = opaque).
    pub a: u8,
}

/// How brackets/tags are underlined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UnderlineOption {
    /// No underline.
    None,
    /// Plain underline.
    Underline,
    /// Stippled underline.
    StippledUnderline,
    /// Squiggly underline.
    SquigglyUnderline,
}

/// Every field of the theme object xi-core sends; absent values are written as `null`
/// (upstream keeps them) and missing fields read as `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ThemeSettings {
    /// Default text colour.
    pub foreground: Option<Color>,
    /// Default background.
    pub background: Option<Color>,
    /// Caret colour.
    pub caret: Option<Color>,
    /// Background of the caret line.
    pub line_highlight: Option<Color>,
    /// Misspelling underline.
    pub misspelling: Option<Color>,
    /// Minimap viewport border.
    pub minimap_border: Option<Color>,
    /// Accent colour for UI elements.
    pub accent: Option<Color>,
    /// CSS for popups.
    pub popup_css: Option<String>,
    /// CSS for phantoms.
    pub phantom_css: Option<String>,
    /// Colour of the contents between matching brackets.
    pub bracket_contents_foreground: Option<Color>,
    /// Underline style of bracket contents.
    pub bracket_contents_options: Option<UnderlineOption>,
    /// Colour of matching brackets.
    pub brackets_foreground: Option<Color>,
    /// Background of matching brackets.
    pub brackets_background: Option<Color>,
    /// Underline style of matching brackets.
    pub brackets_options: Option<UnderlineOption>,
    /// Colour of matching tags.
    pub tags_foreground: Option<Color>,
    /// Underline style of matching tags.
    pub tags_options: Option<UnderlineOption>,
    /// Border colour of other occurrences.
    pub highlight: Option<Color>,
    /// Background of find matches.
    pub find_highlight: Option<Color>,
    /// Text colour of find matches.
    pub find_highlight_foreground: Option<Color>,
    /// Gutter background.
    pub gutter: Option<Color>,
    /// Gutter text (line numbers).
    pub gutter_foreground: Option<Color>,
    /// Selection background.
    pub selection: Option<Color>,
    /// Selection text colour.
    pub selection_foreground: Option<Color>,
    /// Selection background (older key).
    pub selection_background: Option<Color>,
    /// Selection border.
    pub selection_border: Option<Color>,
    /// Selection background when unfocused.
    pub inactive_selection: Option<Color>,
    /// Selection text when unfocused.
    pub inactive_selection_foreground: Option<Color>,
    /// Indent guides.
    pub guide: Option<Color>,
    /// Indent guide of the caret block.
    pub active_guide: Option<Color>,
    /// Indent guides of enclosing blocks.
    pub stack_guide: Option<Color>,
    /// Text of other occurrences.
    pub highlight_foreground: Option<Color>,
    /// Shadow under scrolled text.
    pub shadow: Option<Color>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn colour_and_options_exact_json() {
        let c = Color {
            r: 1,
            g: 2,
            b: 3,
            a: 255,
        };
        assert_eq!(
            serde_json::to_value(c).unwrap(),
            json!({"r": 1, "g": 2, "b": 3, "a": 255})
        );
        assert_eq!(
            serde_json::to_value(UnderlineOption::Underline).unwrap(),
            json!("Underline")
        );
    }

    #[test]
    fn nulls_are_kept_and_missing_fields_default() {
        let t: ThemeSettings =
            serde_json::from_value(json!({"caret": {"r": 1, "g": 2, "b": 3, "a": 4}})).unwrap();
        assert_eq!(
            t.caret,
            Some(Color {
                r: 1,
                g: 2,
                b: 3,
                a: 4
            })
        );
        let v = serde_json::to_value(&t).unwrap();
        assert_eq!(v["accent"], serde_json::Value::Null);
        assert_eq!(v.as_object().unwrap().len(), 32);
    }
}
