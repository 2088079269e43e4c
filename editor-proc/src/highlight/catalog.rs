//! The syntaxes and themes available for highlighting, and language detection.

use std::collections::BTreeMap;
use std::path::Path;

use syntect::highlighting::{Theme, ThemeSet};
use syntect::parsing::{SyntaxReference, SyntaxSet};

use super::theme_map::theme_settings_from_syntect;

/// The language name of unhighlighted text.
pub const PLAIN_TEXT: &str = "Plain Text";

/// The themes shipped in `themes/`, compiled in (name = file stem).
const BUILT_IN_THEMES: &[(&str, &str)] = &[
    (
        "symphony-dark",
        include_str!("../../../themes/symphony-dark.tmTheme"),
    ),
    (
        "symphony-light",
        include_str!("../../../themes/symphony-light.tmTheme"),
    ),
];

/// Syntaxes and themes, loaded once and shared (`Arc`) with the worker.
pub struct Highlighting {
    syntaxes: SyntaxSet,
    themes: BTreeMap<String, Theme>,
}

impl std::fmt::Debug for Highlighting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Highlighting")
            .field("syntaxes", &self.syntaxes.syntaxes().len())
            .field("themes", &self.themes.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Highlighting {
    /// syntect's default syntaxes (the "newlines" flavour: lines keep their `\n`)
    /// and themes, plus every `.tmTheme` file under `themes_dir`, named by its file
    /// stem. A theme file that does not parse is skipped with a warning.
    /// Symphony's own themes (`themes/` at the repository root) are built in, so
    /// they are there even without `themes_dir`; a file of the same name there
    /// replaces the built-in one.
    pub fn load(themes_dir: Option<&Path>) -> Self {
        let syntaxes = SyntaxSet::load_defaults_newlines();
        let mut themes = ThemeSet::load_defaults().themes;
        for (name, source) in BUILT_IN_THEMES {
            match ThemeSet::load_from_reader(&mut std::io::Cursor::new(source.as_bytes())) {
                Ok(theme) => {
                    themes.insert((*name).to_owned(), theme);
                }
                Err(e) => {
                    tracing::error!(theme = name, error = %e, "a built-in theme does not load")
                }
            }
        }
        if let Some(dir) = themes_dir {
            match ThemeSet::discover_theme_paths(dir) {
                Ok(paths) => {
                    for path in paths {
                        let Some(name) = path.file_stem().and_then(|s| s.to_str()) else {
                            continue;
                        };
                        match ThemeSet::get_theme(&path) {
                            Ok(theme) => {
                                themes.insert(name.to_owned(), theme);
                            }
                            Err(e) => {
                                tracing::warn!(path = %path.display(), error = %e, "skipping a theme that does not load");
                            }
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(dir = %dir.display(), error = %e, "could not list the themes folder");
                }
            }
        }
        Highlighting { syntaxes, themes }
    }

    /// Every language name, sorted (what `available_languages` sends).
    pub fn languages(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .syntaxes
            .syntaxes()
            .iter()
            .map(|s| s.name.clone())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Every theme name, sorted (what `available_themes` sends).
    pub fn themes(&self) -> Vec<String> {
        self.themes.keys().cloned().collect()
    }

    /// The language of a file: by its extension or full name (`Makefile`), else by
    /// its first line (`#!/bin/sh`), else [`PLAIN_TEXT`].
    pub fn language_for(&self, path: Option<&Path>, first_line: &str) -> String {
        let by_path = path.and_then(|p| {
            let ext = p.extension().and_then(|e| e.to_str());
            let name = p.file_name().and_then(|n| n.to_str());
            ext.and_then(|e| self.syntaxes.find_syntax_by_extension(e))
                .or_else(|| name.and_then(|n| self.syntaxes.find_syntax_by_extension(n)))
        });
        by_path
            .or_else(|| self.syntaxes.find_syntax_by_first_line(first_line))
            .map_or_else(|| PLAIN_TEXT.to_owned(), |s| s.name.clone())
    }

    /// The `theme` object of `theme_changed` for theme `name`.
    pub fn theme_settings(&self, name: &str) -> Option<symphony_protocol::xi::ThemeSettings> {
        self.themes
            .get(name)
            .map(|t| theme_settings_from_syntect(&t.settings))
    }

    /// The syntax named `language`, unless it is plain text or unknown.
    pub(crate) fn syntax(&self, language: &str) -> Option<&SyntaxReference> {
        if language == PLAIN_TEXT {
            return None;
        }
        self.syntaxes.find_syntax_by_name(language)
    }

    /// The theme named `name`.
    pub(crate) fn theme(&self, name: &str) -> Option<&Theme> {
        self.themes.get(name)
    }

    /// The syntax set (needed to parse).
    pub(crate) fn syntax_set(&self) -> &SyntaxSet {
        &self.syntaxes
    }
}
