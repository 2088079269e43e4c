//! syntect's theme settings as the `theme` object of xi's `theme_changed`.

use symphony_protocol::xi::{Color, ThemeSettings, UnderlineOption};
use syntect::highlighting as syn;

/// Converts syntect's settings field by field (absent values stay `None`, which
/// the wire keeps as `null`, as upstream does). `highlight_foreground` and
/// `selection_background` do not exist in this syntect and are always `None`.
pub fn theme_settings_from_syntect(s: &syn::ThemeSettings) -> ThemeSettings {
    let c = |c: Option<syn::Color>| {
        c.map(|c| Color {
            r: c.r,
            g: c.g,
            b: c.b,
            a: c.a,
        })
    };
    let u = |o: &Option<syn::UnderlineOption>| {
        o.as_ref().map(|o| match o {
            syn::UnderlineOption::None => UnderlineOption::None,
            syn::UnderlineOption::Underline => UnderlineOption::Underline,
            syn::UnderlineOption::StippledUnderline => UnderlineOption::StippledUnderline,
            syn::UnderlineOption::SquigglyUnderline => UnderlineOption::SquigglyUnderline,
        })
    };
    ThemeSettings {
        foreground: c(s.foreground),
        background: c(s.background),
        caret: c(s.caret),
        line_highlight: c(s.line_highlight),
        misspelling: c(s.misspelling),
        minimap_border: c(s.minimap_border),
        accent: c(s.accent),
        popup_css: s.popup_css.clone(),
        phantom_css: s.phantom_css.clone(),
        bracket_contents_foreground: c(s.bracket_contents_foreground),
        bracket_contents_options: u(&s.bracket_contents_options),
        brackets_foreground: c(s.brackets_foreground),
        brackets_background: c(s.brackets_background),
        brackets_options: u(&s.brackets_options),
        tags_foreground: c(s.tags_foreground),
        tags_options: u(&s.tags_options),
        highlight: c(s.highlight),
        find_highlight: c(s.find_highlight),
        find_highlight_foreground: c(s.find_highlight_foreground),
        gutter: c(s.gutter),
        gutter_foreground: c(s.gutter_foreground),
        selection: c(s.selection),
        selection_foreground: c(s.selection_foreground),
        selection_background: None,
        selection_border: c(s.selection_border),
        inactive_selection: c(s.inactive_selection),
        inactive_selection_foreground: c(s.inactive_selection_foreground),
        guide: c(s.guide),
        active_guide: c(s.active_guide),
        stack_guide: c(s.stack_guide),
        highlight_foreground: None,
        shadow: c(s.shadow),
    }
}
