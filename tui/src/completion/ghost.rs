//! A suggestion shown as ghost text: where it is anchored, which alternative, how much
//! of it was typed or accepted already; and the pieces "next word" / "next line" take.

/// A suggestion drawn after the caret of one view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ghost {
    /// The view it belongs to.
    pub view: u64,
    /// Where it starts: the caret (0-based line, byte column) it is drawn at.
    pub at: (usize, usize),
    /// The alternatives; `index` is the one shown.
    pub alternatives: Vec<String>,
    /// The alternative shown.
    pub index: usize,
    /// Bytes of the shown alternative typed or accepted already.
    pub consumed: usize,
}

impl Ghost {
    /// A ghost at `at` showing the first alternative.
    pub fn new(view: u64, at: (usize, usize), alternatives: Vec<String>) -> Self {
        Ghost {
            view,
            at,
            alternatives,
            index: 0,
            consumed: 0,
        }
    }

    /// What is still to be shown.
    pub fn text(&self) -> &str {
        self.alternatives
            .get(self.index)
            .and_then(|a| a.get(self.consumed..))
            .unwrap_or("")
    }

    /// Typing `typed` at the caret: when the ghost starts with it, it is consumed (the
    /// anchor moves past it) and true is returned.
    pub fn consume(&mut self, typed: &str) -> bool {
        if typed.is_empty() || !self.text().starts_with(typed) {
            return false;
        }
        self.advance(typed.len());
        true
    }

    /// Takes the next `n` bytes of the ghost (to insert them) and moves past them.
    pub fn take(&mut self, n: usize) -> String {
        let part = self.text()[..n.min(self.text().len())].to_string();
        self.advance(part.len());
        part
    }

    fn advance(&mut self, n: usize) {
        let part = &self.text()[..n];
        let lines = part.matches('\n').count();
        let after_last = part.rfind('\n').map(|i| part.len() - i - 1);
        match after_last {
            Some(col) => {
                self.at.0 += lines;
                self.at.1 = col;
            }
            None => self.at.1 += n,
        }
        self.consumed += n;
    }

    /// Shows the next alternative (from its start, when nothing was consumed since it
    /// shares the consumed text), wrapping around. False when there is only one.
    pub fn cycle(&mut self) -> bool {
        if self.alternatives.len() < 2 {
            return false;
        }
        let done = self
            .alternatives
            .get(self.index)
            .and_then(|a| a.get(..self.consumed))
            .unwrap_or("")
            .to_string();
        for step in 1..self.alternatives.len() {
            let i = (self.index + step) % self.alternatives.len();
            if self.alternatives[i].starts_with(&done) && self.alternatives[i].len() > done.len() {
                self.index = i;
                return true;
            }
        }
        false
    }

    /// Nothing left to show.
    pub fn is_empty(&self) -> bool {
        self.text().is_empty()
    }
}

/// Bytes of the next word of `text`: a line break alone, or leading blanks and then a
/// run of word characters or a run of other non-blank characters.
pub fn next_word(text: &str) -> usize {
    if text.starts_with('\n') {
        return 1;
    }
    let blanks = text.len() - text.trim_start_matches([' ', '\t']).len();
    let rest = &text[blanks..];
    let Some(first) = rest.chars().next() else {
        return blanks;
    };
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let same = |c: char| !c.is_whitespace() && word(c) == word(first);
    blanks
        + rest
            .char_indices()
            .find(|(_, c)| !same(*c))
            .map_or(rest.len(), |(i, _)| i)
}

/// Bytes of the next line of `text`, its line break included; a line break alone
/// takes the line after it too.
pub fn next_line(text: &str) -> usize {
    let skip = usize::from(text.starts_with('\n'));
    match text[skip..].find('\n') {
        Some(i) => skip + i + 1,
        None => text.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_what_the_ghost_shows_consumes_it_and_moves_the_anchor() {
        let mut g = Ghost::new(1, (3, 4), vec!["ab\ncd".into()]);
        assert!(g.consume("a"));
        assert_eq!((g.text(), g.at), ("b\ncd", (3, 5)));
        assert!(!g.consume("x"));
        assert_eq!(g.take(next_line(g.text())), "b\n");
        assert_eq!((g.text(), g.at), ("cd", (4, 0)));
        assert!(g.consume("cd"));
        assert!(g.is_empty());
    }

    #[test]
    fn words_and_lines_of_a_suggestion() {
        assert_eq!(next_word("foo(bar)"), 3);
        assert_eq!(next_word("  (bar)"), 3);
        assert_eq!(next_word("\n    x"), 1);
        assert_eq!(next_word("漢字 x"), "漢字".len());
        assert_eq!(next_line("a;\nb"), 3);
        assert_eq!(next_line("\n    b;\nc"), 8);
        assert_eq!(next_line("tail"), 4);
    }

    #[test]
    fn cycling_keeps_to_alternatives_that_fit_what_was_typed() {
        let mut g = Ghost::new(1, (0, 0), vec!["ab".into(), "xy".into(), "ac".into()]);
        assert!(g.consume("a"));
        assert!(g.cycle());
        assert_eq!(g.text(), "c");
        assert!(g.cycle());
        assert_eq!(g.text(), "b");
        let mut one = Ghost::new(1, (0, 0), vec!["ab".into()]);
        assert!(!one.cycle());
    }
}
