//! The completion popup's state: the items the server offered, filtered by
//! the word typed since, the selection, and the documentation resolved so far.

use std::collections::HashMap;

use symphony_protocol::xi::lsp::{CompletionItem, ResolveCompletionResult};

use crate::app::ViewData;
use crate::overlays::pickers::fuzzy_filter;

/// Whether `c` continues an identifier (what completion filters on).
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// An open completion list.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// The id of the request that brought it (tells its answers apart).
    pub id: u64,
    /// The view.
    pub view: u64,
    /// The line being completed (0-based).
    pub line: usize,
    /// Where the word being completed starts (byte column).
    pub start_col: usize,
    /// The items, in the server's order (indices are what the core expects).
    pub items: Vec<CompletionItem>,
    /// Item indices sorted by `sort_text` (the order with nothing typed).
    order: Vec<usize>,
    /// The word typed so far.
    pub typed: String,
    /// Indices into `items` that match `typed`, best first.
    pub filtered: Vec<usize>,
    /// Index into `filtered`.
    pub selected: usize,
    /// Documentation resolved so far, by item index.
    pub docs: HashMap<usize, ResolveCompletionResult>,
    /// Item indices whose documentation was asked for.
    pub asked: Vec<usize>,
}

impl Completion {
    /// A list for `view` at `line`, nothing filtered yet.
    pub fn new(
        id: u64,
        view: u64,
        line: usize,
        start_col: usize,
        items: Vec<CompletionItem>,
    ) -> Self {
        let mut order: Vec<usize> = (0..items.len()).collect();
        order.sort_by(|a, b| items[*a].sort_text.cmp(&items[*b].sort_text));
        Completion {
            id,
            view,
            line,
            start_col,
            filtered: order.clone(),
            order,
            items,
            typed: String::new(),
            selected: 0,
            docs: HashMap::new(),
            asked: Vec::new(),
        }
    }

    /// The selected item's index in `items`.
    pub fn selected_item(&self) -> Option<usize> {
        self.filtered.get(self.selected).copied()
    }

    /// Filters by the word between `start_col` and the caret. Returns false
    /// when the list should close: the caret left the word, or nothing matches.
    pub fn refilter(&mut self, data: &ViewData) -> bool {
        let (line, col) = data.caret;
        if line != self.line || col < self.start_col {
            return false;
        }
        let Some(text) = data.cache.get(line).map(|l| l.text.as_str()) else {
            // Not received yet: keep what is shown.
            return true;
        };
        let Some(typed) = text.get(self.start_col..col.min(text.len())) else {
            return false;
        };
        if !typed.chars().all(is_word_char) {
            return false;
        }
        if typed != self.typed || self.filtered.is_empty() {
            let previous = self.selected_item();
            self.typed = typed.to_owned();
            self.filtered = self.filter(typed);
            self.selected = previous
                .and_then(|p| self.filtered.iter().position(|i| *i == p))
                .filter(|_| typed.is_empty())
                .unwrap_or(0);
        }
        !self.filtered.is_empty()
    }

    fn filter(&self, typed: &str) -> Vec<usize> {
        if typed.is_empty() {
            return self.order.clone();
        }
        let haystack: Vec<String> = self
            .order
            .iter()
            .map(|i| self.items[*i].filter_text.clone())
            .collect();
        let mut hits: Vec<usize> = fuzzy_filter(typed, &haystack, false)
            .into_iter()
            .map(|k| self.order[k])
            .collect();
        // Items that start with what was typed first (same case first, then
        // any case; the shorter the closer), else the fuzzy score's order.
        let lower = typed.to_lowercase();
        hits.sort_by_key(|i| {
            let text = &self.items[*i].filter_text;
            if text.starts_with(typed) {
                (0, text.len())
            } else if text.to_lowercase().starts_with(&lower) {
                (1, text.len())
            } else {
                (2, 0)
            }
        });
        hits
    }

    /// Moves the selection by `delta` rows (clamped).
    pub fn move_selection(&mut self, delta: isize) {
        let last = self.filtered.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::ViewData;
    use serde_json::json;
    use symphony_protocol::xi::Update;

    fn item(label: &str, sort: &str) -> CompletionItem {
        CompletionItem {
            label: label.into(),
            kind: "Function".into(),
            detail: None,
            filter_text: label.into(),
            sort_text: sort.into(),
            is_snippet: false,
        }
    }

    fn view(text: &str, caret: usize) -> ViewData {
        let mut d = ViewData::new(None);
        let up: Update = serde_json::from_value(
            json!({"ops": [{"op": "ins", "n": 1, "lines": [{"text": text, "ln": 1}]}],
                   "pristine": true}),
        )
        .unwrap();
        d.cache.apply(&up);
        d.caret = (0, caret);
        d
    }

    #[test]
    fn filters_by_the_word_typed_and_closes_when_the_caret_leaves_it() {
        let items = vec![item("sep", "b"), item("path", "a"), item("pardir", "c")];
        let mut c = Completion::new(1, 1, 0, 3, items);
        assert!(c.refilter(&view("os.", 3)));
        // Sorted by sort_text with nothing typed.
        assert_eq!(c.filtered, vec![1, 0, 2]);
        assert!(c.refilter(&view("os.pa", 5)));
        assert_eq!(c.filtered[0], 1);
        assert!(c.filtered.contains(&2));
        assert!(!c.filtered.contains(&0));
        assert!(c.refilter(&view("os.pat", 6)));
        assert_eq!(c.filtered, vec![1]);
        // Back before the dot, or a non-word character typed: closed.
        assert!(!c.refilter(&view("os", 2)));
        assert!(!c.refilter(&view("os.pa(", 6)));
        assert!(!c.refilter(&view("os.zzz", 6)));
    }
}
