//! The buffer picker: every open buffer (shown in a pane or hidden, files and unnamed
//! ones such as a buffer opened from the artifacts pane), unsaved ones marked; Enter
//! shows the picked one. Opened from the quit question it lists only the unsaved ones.

use std::path::Path;

use super::input::LineInput;
use super::pickers::{fuzzy_filter, move_selection};
use super::{Outcome, OverlayInput};
use crate::action::Action;
use crate::app::State;
use crate::keymap::context::PickerAction;

/// The mark of a buffer with unsaved changes.
pub const UNSAVED_MARK: &str = "●";

/// One open buffer.
#[derive(Debug, Clone, PartialEq)]
pub struct BufferEntry {
    /// The view that shows it.
    pub view: u64,
    /// Its name: the path under the working directory, or `[new N]`.
    pub name: String,
    /// For unnamed buffers, the start of their first line.
    pub hint: String,
    /// It has unsaved changes.
    pub dirty: bool,
    /// Where it is: `here` (the focused pane), `shown` (another pane) or `hidden`.
    pub place: &'static str,
}

/// The open buffers, the most recently hidden first, then those in other panes, the
/// focused one last; one entry per file.
pub fn buffer_entries(state: &State, unsaved_only: bool) -> Vec<BufferEntry> {
    let focused = state.focused_view();
    let mut shown: Vec<u64> = state.windows.views().map(|(_, v)| v).collect();
    shown.sort_unstable();
    shown.dedup();
    let mut order: Vec<(u64, &'static str)> =
        state.hidden.iter().rev().map(|v| (*v, "hidden")).collect();
    order.extend(
        shown
            .iter()
            .filter(|v| Some(**v) != focused)
            .map(|v| (*v, "shown")),
    );
    order.extend(focused.map(|v| (v, "here")));
    // a view no pane shows and not in the hidden list is still a buffer
    let mut rest: Vec<u64> = state
        .views
        .keys()
        .copied()
        .filter(|v| !order.iter().any(|(o, _)| o == v))
        .collect();
    rest.sort_unstable();
    order.splice(0..0, rest.into_iter().map(|v| (v, "hidden")));
    let mut out: Vec<BufferEntry> = Vec::new();
    for (view, place) in order {
        let Some(data) = state.views.get(&view) else {
            continue;
        };
        let dirty = state.is_dirty(view);
        if unsaved_only && !dirty {
            continue;
        }
        let (name, hint) = match &data.path {
            Some(p) => (relative(p, &state.cwd), String::new()),
            None => {
                let first = data
                    .cache
                    .get(0)
                    .map(|l| l.text.trim().chars().take(40).collect::<String>())
                    .unwrap_or_default();
                (format!("[new {view}]"), first)
            }
        };
        // one entry per file: a later (more visible) view of it replaces the earlier
        if data.path.is_some()
            && let Some(i) = out.iter().position(|e| e.name == name)
        {
            out.remove(i);
        }
        out.push(BufferEntry {
            view,
            name,
            hint,
            dirty,
            place,
        });
    }
    // the most useful first: hidden and other panes' buffers before the one here
    out.sort_by_key(|e| e.place == "here");
    out
}

fn relative(p: &Path, cwd: &Path) -> String {
    p.strip_prefix(cwd).unwrap_or(p).display().to_string()
}

/// The buffer picker.
#[derive(Debug, Clone, PartialEq)]
pub struct BufferPicker {
    /// Typed filter.
    pub input: LineInput,
    /// The buffers.
    pub entries: Vec<BufferEntry>,
    haystack: Vec<String>,
    /// Indices of matching entries, best first.
    pub filtered: Vec<usize>,
    /// Index into `filtered`.
    pub selected: usize,
    /// Opened from the quit question: only unsaved buffers are listed.
    pub unsaved_only: bool,
}

impl BufferPicker {
    /// A picker over `entries`.
    pub fn new(entries: Vec<BufferEntry>, unsaved_only: bool) -> BufferPicker {
        let haystack = entries
            .iter()
            .map(|e| format!("{} {}", e.name, e.hint))
            .collect();
        let filtered = (0..entries.len()).collect();
        BufferPicker {
            input: LineInput::default(),
            entries,
            haystack,
            filtered,
            selected: 0,
            unsaved_only,
        }
    }

    /// The title of its box.
    pub fn title(&self) -> String {
        if self.unsaved_only {
            format!(
                " Unsaved buffers ({}): Enter shows one, Ctrl-Q quits anyway ",
                self.entries.len()
            )
        } else {
            let unsaved = self.entries.iter().filter(|e| e.dirty).count();
            format!(
                " Buffers ({}, {unsaved} unsaved {UNSAVED_MARK}) ",
                self.entries.len()
            )
        }
    }

    /// The rows to draw: `● name  hint` and where the buffer is.
    pub fn rows(&self) -> Vec<(String, String)> {
        self.filtered
            .iter()
            .map(|&i| {
                let e = &self.entries[i];
                let mark = if e.dirty { UNSAVED_MARK } else { " " };
                let label = if e.hint.is_empty() {
                    format!("{mark} {}", e.name)
                } else {
                    format!("{mark} {}  {}", e.name, e.hint)
                };
                (label, e.place.to_string())
            })
            .collect()
    }

    /// Handles a key.
    pub fn handle(&mut self, key: OverlayInput) -> Outcome {
        match key {
            OverlayInput::Picker(PickerAction::Close) => Outcome::close(),
            OverlayInput::Picker(PickerAction::QuitAnyway) if self.unsaved_only => {
                Outcome::run(vec![Action::ForceQuit])
            }
            OverlayInput::Picker(PickerAction::Accept) => match self.filtered.get(self.selected) {
                Some(&i) => Outcome::run(vec![Action::ShowBuffer(self.entries[i].view)]),
                None => Outcome::close(),
            },
            _ if move_selection(&mut self.selected, self.filtered.len(), key) => {
                Outcome::consumed()
            }
            OverlayInput::Text(t) if self.input.handle_text(t) => {
                self.filtered = fuzzy_filter(&self.input.text, &self.haystack, true);
                self.selected = 0;
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

    fn entry(view: u64, name: &str, dirty: bool) -> BufferEntry {
        BufferEntry {
            view,
            name: name.into(),
            hint: String::new(),
            dirty,
            place: "hidden",
        }
    }

    #[test]
    fn typing_filters_and_enter_shows_the_buffer() {
        let mut p = BufferPicker::new(
            vec![entry(3, "src/main.rs", true), entry(5, "README.md", false)],
            false,
        );
        assert_eq!(p.rows()[0].0, "● src/main.rs");
        assert_eq!(p.rows()[1].0, "  README.md");
        assert!(p.title().contains("1 unsaved"), "{}", p.title());
        for c in "read".chars() {
            p.handle_key(&k(KeyCode::Char(c)));
        }
        let out = p.handle_key(&k(KeyCode::Enter));
        assert_eq!(out.actions, vec![Action::ShowBuffer(5)]);
    }

    #[test]
    fn ctrl_q_quits_only_from_the_quit_question() {
        let ctrl_q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::CONTROL);
        let mut p = BufferPicker::new(vec![entry(3, "a", true)], true);
        assert_eq!(p.handle_key(&ctrl_q).actions, vec![Action::ForceQuit]);
        let mut p = BufferPicker::new(vec![entry(3, "a", true)], false);
        assert!(p.handle_key(&ctrl_q).actions.is_empty());
    }
}
