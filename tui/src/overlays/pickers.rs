//! Fuzzy lists: the command palette (every command with its key) and the
//! file picker (files under the working directory, .gitignore honoured).

use std::path::{Path, PathBuf};

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config as MatcherConfig, Matcher};

use super::input::LineInput;
use super::{Outcome, OverlayInput};
use crate::action::{Action, all_actions};
use crate::keymap::Keymap;
use crate::keymap::context::PickerAction;

/// Indices of `items` that match `query`, best first (all, in order, when empty).
pub fn fuzzy_filter(query: &str, items: &[String], paths: bool) -> Vec<usize> {
    if query.is_empty() {
        return (0..items.len()).collect();
    }
    struct Item<'a>(usize, &'a str);
    impl AsRef<str> for Item<'_> {
        fn as_ref(&self) -> &str {
            self.1
        }
    }
    let config = if paths {
        MatcherConfig::DEFAULT.match_paths()
    } else {
        MatcherConfig::DEFAULT
    };
    let mut matcher = Matcher::new(config);
    let pattern = Pattern::parse(query, CaseMatching::Smart, Normalization::Smart);
    pattern
        .match_list(
            items.iter().enumerate().map(|(i, s)| Item(i, s)),
            &mut matcher,
        )
        .into_iter()
        .map(|(item, _)| item.0)
        .collect()
}

/// Selection movement shared by the lists; returns true when handled.
pub(crate) fn move_selection(selected: &mut usize, len: usize, key: OverlayInput) -> bool {
    let last = len.saturating_sub(1);
    match key {
        OverlayInput::Picker(PickerAction::Previous) => *selected = selected.saturating_sub(1),
        OverlayInput::Picker(PickerAction::Next) => *selected = (*selected + 1).min(last),
        OverlayInput::Picker(PickerAction::PageUp) => *selected = selected.saturating_sub(10),
        OverlayInput::Picker(PickerAction::PageDown) => *selected = (*selected + 10).min(last),
        _ => return false,
    }
    true
}

/// One palette row.
#[derive(Debug, Clone, PartialEq)]
pub struct PaletteEntry {
    /// What runs.
    pub action: Action,
    /// The config name (a user workflow's name).
    pub name: String,
    /// What it does.
    pub description: String,
    /// Its keys, e.g. `ctrl-s` or `ctrl-b %`.
    pub keys: String,
}

/// The command palette.
#[derive(Debug, Clone, PartialEq)]
pub struct Palette {
    /// Typed filter.
    pub input: LineInput,
    /// Every command.
    pub entries: Vec<PaletteEntry>,
    haystack: Vec<String>,
    /// Indices of matching entries, best first.
    pub filtered: Vec<usize>,
    /// Index into `filtered`.
    pub selected: usize,
}

impl Palette {
    /// A palette listing every bindable command with its keys.
    pub fn new(keymap: &Keymap) -> Palette {
        let entries: Vec<PaletteEntry> = all_actions()
            .into_iter()
            .filter(|i| i.action != Action::Prefix)
            .map(|i| PaletteEntry {
                keys: keymap.keys_for(&i.action).join(", "),
                action: i.action,
                name: i.name.to_owned(),
                description: i.description.to_owned(),
            })
            .collect();
        Palette::from_entries(entries)
    }

    /// The palette with a "Workflow: NAME" entry for each user workflow (`[[workflows]]`
    /// of config.toml), after the commands.
    pub fn with_workflows(
        keymap: &Keymap,
        workflows: &[symphony_conductor::conductor::WorkflowConfig],
    ) -> Palette {
        let mut entries = Palette::new(keymap).entries;
        entries.extend(workflows.iter().map(|w| PaletteEntry {
            action: Action::AiRunWorkflow {
                name: w.name.clone(),
                instruction: None,
            },
            name: w.name.clone(),
            description: match &w.description {
                Some(d) => format!("Workflow: {} ({d})", w.name),
                None => format!("Workflow: {}", w.name),
            },
            keys: String::new(),
        }));
        Palette::from_entries(entries)
    }

    fn from_entries(entries: Vec<PaletteEntry>) -> Palette {
        let haystack = entries
            .iter()
            .map(|e| format!("{} {}", e.description, e.name))
            .collect();
        let filtered = (0..entries.len()).collect();
        Palette {
            input: LineInput::default(),
            entries,
            haystack,
            filtered,
            selected: 0,
        }
    }

    /// Handles a key.
    pub fn handle(&mut self, key: OverlayInput) -> Outcome {
        match key {
            OverlayInput::Picker(PickerAction::Close) => Outcome::close(),
            OverlayInput::Picker(PickerAction::Accept) => match self.filtered.get(self.selected) {
                Some(&i) => Outcome::run(vec![self.entries[i].action.clone()]),
                None => Outcome::close(),
            },
            _ if move_selection(&mut self.selected, self.filtered.len(), key) => {
                Outcome::consumed()
            }
            OverlayInput::Text(t) if self.input.handle_text(t) => {
                self.refilter();
                Outcome::consumed()
            }
            _ => Outcome::ignored(),
        }
    }

    /// Recomputes the matches after the input changed.
    pub fn refilter(&mut self) {
        self.filtered = fuzzy_filter(&self.input.text, &self.haystack, false);
        self.selected = 0;
    }
}

/// The most files the picker lists.
pub const MAX_FILES: usize = 100_000;

/// Lists files under `root` (relative paths), honouring .gitignore; blocking,
/// so the loop runs it off the input path.
pub fn list_files(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in ignore::WalkBuilder::new(root)
        .hidden(true)
        .build()
        .flatten()
    {
        if entry.file_type().is_some_and(|t| t.is_file()) {
            let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
            out.push(rel.display().to_string());
            if out.len() >= MAX_FILES {
                break;
            }
        }
    }
    out.sort();
    out
}

/// The fuzzy file picker.
#[derive(Debug, Clone, PartialEq)]
pub struct FilePicker {
    /// Typed filter.
    pub input: LineInput,
    /// The directory listed.
    pub root: PathBuf,
    /// Relative paths, `None` while still listing.
    pub files: Option<Vec<String>>,
    /// Indices of matching files, best first.
    pub filtered: Vec<usize>,
    /// Index into `filtered`.
    pub selected: usize,
}

impl FilePicker {
    /// A picker over `root`, waiting for its listing.
    pub fn new(root: PathBuf) -> FilePicker {
        FilePicker {
            input: LineInput::default(),
            root,
            files: None,
            filtered: Vec::new(),
            selected: 0,
        }
    }

    /// The listing arrived.
    pub fn set_files(&mut self, files: Vec<String>) {
        self.files = Some(files);
        self.refilter();
    }

    fn refilter(&mut self) {
        self.filtered = match &self.files {
            Some(f) => fuzzy_filter(&self.input.text, f, true),
            None => Vec::new(),
        };
        self.selected = 0;
    }

    /// Handles a key.
    pub fn handle(&mut self, key: OverlayInput) -> Outcome {
        match key {
            OverlayInput::Picker(PickerAction::Close) => Outcome::close(),
            OverlayInput::Picker(PickerAction::Accept) => {
                let picked = self
                    .filtered
                    .get(self.selected)
                    .and_then(|&i| self.files.as_ref().and_then(|f| f.get(i)));
                match picked {
                    Some(rel) => Outcome::run(vec![Action::OpenPath(self.root.join(rel))]),
                    // Nothing matches: open what was typed (a new file).
                    None if !self.input.text.is_empty() => {
                        Outcome::run(vec![Action::OpenPath(self.root.join(&self.input.text))])
                    }
                    None => Outcome::close(),
                }
            }
            _ if move_selection(&mut self.selected, self.filtered.len(), key) => {
                Outcome::consumed()
            }
            OverlayInput::Text(t) if self.input.handle_text(t) => {
                self.refilter();
                Outcome::consumed()
            }
            _ => Outcome::ignored(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::overlays::Press;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn k(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn palette_filters_and_runs() {
        let mut p = Palette::new(&Keymap::default_keymap());
        assert!(
            p.entries
                .iter()
                .any(|e| e.name == "save" && e.keys == "ctrl-s")
        );
        for c in "split side".chars() {
            p.handle_key(&k(KeyCode::Char(c)));
        }
        let first = &p.entries[p.filtered[0]];
        assert_eq!(first.action, Action::SplitRight);
        assert_eq!(first.keys, "ctrl-b %");
        let out = p.handle_key(&k(KeyCode::Enter));
        assert_eq!(out.actions, vec![Action::SplitRight]);
        assert!(out.close);
    }

    #[test]
    fn user_workflows_are_in_the_palette() {
        let text = "[[workflows]]\nname = \"explain like I'm new\"\ndescription = \"plain words\"\n\
                    [[workflows.nodes]]\nid = \"c\"\nkind = \"context\"\n";
        let config = crate::config::Config::parse(text, "c").unwrap();
        let mut p = Palette::with_workflows(&Keymap::default_keymap(), &config.conductor.workflows);
        for c in "like i".chars() {
            p.handle_key(&k(KeyCode::Char(c)));
        }
        let first = &p.entries[p.filtered[0]];
        assert_eq!(
            first.description,
            "Workflow: explain like I'm new (plain words)"
        );
        let out = p.handle_key(&k(KeyCode::Enter));
        assert_eq!(
            out.actions,
            vec![Action::AiRunWorkflow {
                name: "explain like I'm new".into(),
                instruction: None
            }]
        );
    }

    #[test]
    fn file_listing_honours_gitignore() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        std::fs::write(dir.path().join(".gitignore"), "target/\n").unwrap();
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        std::fs::create_dir_all(dir.path().join("target")).unwrap();
        std::fs::write(dir.path().join("src/main.rs"), "").unwrap();
        std::fs::write(dir.path().join("target/junk.rs"), "").unwrap();
        let files = list_files(dir.path());
        assert_eq!(files, vec!["src/main.rs".to_string()]);
        let mut picker = FilePicker::new(dir.path().to_path_buf());
        picker.set_files(files);
        for c in "mai".chars() {
            picker.handle_key(&k(KeyCode::Char(c)));
        }
        let out = picker.handle_key(&k(KeyCode::Enter));
        assert_eq!(
            out.actions,
            vec![Action::OpenPath(dir.path().join("src/main.rs"))]
        );
    }
}
