//! The jump list: where go-to commands left from, to come back (Alt-Left)
//! and go forward again (Alt-Right).

use std::path::PathBuf;

/// A place to go: a file (or the focused buffer) and a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The file; `None` = the focused buffer.
    pub path: Option<PathBuf>,
    /// 0-based line.
    pub line: usize,
    /// Byte column.
    pub col: usize,
}

/// The most places remembered.
const MAX: usize = 100;

/// Places behind and ahead, like a browser's history.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JumpList {
    back: Vec<Target>,
    forward: Vec<Target>,
}

impl JumpList {
    /// Records `from` before a jump (forward history is dropped).
    pub fn record(&mut self, from: Target) {
        if self.back.last() != Some(&from) {
            self.back.push(from);
        }
        if self.back.len() > MAX {
            self.back.remove(0);
        }
        self.forward.clear();
    }

    /// Going back from `here`: the place to go to.
    pub fn back(&mut self, here: Target) -> Option<Target> {
        let to = self.back.pop()?;
        self.forward.push(here);
        Some(to)
    }

    /// Going forward from `here`: the place to go to.
    pub fn forward(&mut self, here: Target) -> Option<Target> {
        let to = self.forward.pop()?;
        self.back.push(here);
        Some(to)
    }

    /// How many places are behind.
    pub fn behind(&self) -> usize {
        self.back.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(line: usize) -> Target {
        Target {
            path: Some(PathBuf::from("/a.py")),
            line,
            col: 0,
        }
    }

    #[test]
    fn back_and_forward_walk_the_history() {
        let mut j = JumpList::default();
        assert_eq!(j.back(t(0)), None);
        j.record(t(1));
        j.record(t(5));
        // At line 9 after the second jump.
        assert_eq!(j.back(t(9)), Some(t(5)));
        assert_eq!(j.back(t(5)), Some(t(1)));
        assert_eq!(j.back(t(1)), None);
        assert_eq!(j.forward(t(1)), Some(t(5)));
        assert_eq!(j.forward(t(5)), Some(t(9)));
        assert_eq!(j.forward(t(9)), None);
        // A new jump drops what was ahead.
        j.back(t(9));
        j.record(t(5));
        assert_eq!(j.forward(t(7)), None);
    }
}
