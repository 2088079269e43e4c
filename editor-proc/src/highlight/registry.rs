//! Style ids: each distinct (colours, weight, slant, underline) gets a stable id.

use std::collections::HashMap;

use symphony_protocol::xi::StyleDef;
use syntect::highlighting::{Color, FontStyle, Style};

/// The first id given to a syntax style (0 is the selection, 1..=7 find).
pub const FIRST_SYNTAX_STYLE: u64 = 8;

/// What makes two styles the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StyleKey {
    /// Foreground, ARGB.
    pub fg: u32,
    /// Background, ARGB, when it differs from the theme's background.
    pub bg: Option<u32>,
    /// Bold.
    pub bold: bool,
    /// Italic.
    pub italic: bool,
    /// Underlined.
    pub underline: bool,
}

impl StyleKey {
    /// The key of a syntect style; its background counts only when it differs
    /// from `theme_bg`.
    pub fn from_syntect(style: &Style, theme_bg: Option<Color>) -> Self {
        let bg = (Some(style.background) != theme_bg).then(|| argb(style.background));
        StyleKey {
            fg: argb(style.foreground),
            bg,
            bold: style.font_style.contains(FontStyle::BOLD),
            italic: style.font_style.contains(FontStyle::ITALIC),
            underline: style.font_style.contains(FontStyle::UNDERLINE),
        }
    }

    fn def(&self, id: u64) -> StyleDef {
        StyleDef {
            id,
            fg_color: Some(self.fg),
            bg_color: self.bg,
            weight: self.bold.then_some(700),
            italic: self.italic.then_some(true),
            underline: self.underline.then_some(true),
        }
    }
}

/// A colour as `0xAARRGGBB`, the form of `def_style`'s `fg_color`.
pub fn argb(c: Color) -> u32 {
    (u32::from(c.a) << 24) | (u32::from(c.r) << 16) | (u32::from(c.g) << 8) | u32::from(c.b)
}

/// Hands out ids in order of first use and remembers which are not announced yet.
#[derive(Debug, Default)]
pub struct StyleRegistry {
    ids: HashMap<StyleKey, u64>,
    fresh: Vec<StyleDef>,
}

impl StyleRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// The id of `key`, allocating the next one (from 8) the first time.
    pub fn id(&mut self, key: StyleKey) -> u64 {
        let next = FIRST_SYNTAX_STYLE + self.ids.len() as u64;
        *self.ids.entry(key).or_insert_with(|| {
            self.fresh.push(key.def(next));
            next
        })
    }

    /// Definitions of the ids allocated since the last call.
    pub fn take_new(&mut self) -> Vec<StyleDef> {
        std::mem::take(&mut self.fresh)
    }
}
