//! How a file was written, beyond its text: the line ending of every line, a UTF-8 byte
//! order mark. Buffers hold LF-only text without the BOM; [`TextFormat`] is what
//! [`super::save`] needs to write the file back byte for byte.

use xi_rope::RopeDelta;

use super::LineEnding;

/// The line ending of every `\n` of a buffer: the file's dominant ending, and the
/// offsets of the `\n`s that were written with the other one (a mixed-ending file).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LineEndings {
    /// The ending of most lines of the file, and of lines the user adds.
    pub dominant: LineEnding,
    /// Buffer offsets of the `\n`s written with the other ending, sorted.
    others: Vec<usize>,
}

impl LineEndings {
    /// Every line with `ending`.
    pub fn uniform(ending: LineEnding) -> Self {
        LineEndings {
            dominant: ending,
            others: Vec::new(),
        }
    }

    /// `dominant` for every `\n` but those at `others` (sorted buffer offsets).
    pub(crate) fn with_others(dominant: LineEnding, others: Vec<usize>) -> Self {
        LineEndings { dominant, others }
    }

    /// True when some lines end differently from the others.
    pub fn is_mixed(&self) -> bool {
        !self.others.is_empty()
    }

    /// The ending of the `\n`s not written with the dominant one.
    pub fn other(&self) -> LineEnding {
        match self.dominant {
            LineEnding::Lf => LineEnding::CrLf,
            LineEnding::CrLf => LineEnding::Lf,
        }
    }

    /// Offsets of the `\n`s written with [`Self::other`], sorted.
    pub fn others(&self) -> &[usize] {
        &self.others
    }

    /// Follows an edit of the buffer: a `\n` the edit kept keeps its ending (at its new
    /// offset); a deleted one is forgotten; new ones get the dominant ending.
    pub fn after_edit(&mut self, delta: &RopeDelta) {
        if self.others.is_empty() {
            return;
        }
        let mut t = xi_rope::delta::Transformer::new(delta);
        self.others = self
            .others
            .iter()
            .filter_map(|&o| {
                // text inserted right before the `\n` goes before it, right after it after it
                let start = t.transform(o, true);
                let end = t.transform(o + 1, false);
                (end == start + 1).then_some(start)
            })
            .collect();
    }
}

/// What [`super::save`] needs besides the text to write a file the way it was.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TextFormat {
    /// The ending of every line.
    pub endings: LineEndings,
    /// Whether the file starts with a UTF-8 byte order mark (written before the text).
    pub bom: bool,
}

impl From<LineEnding> for TextFormat {
    fn from(ending: LineEnding) -> Self {
        TextFormat {
            endings: LineEndings::uniform(ending),
            bom: false,
        }
    }
}

/// The UTF-8 byte order mark.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

#[cfg(test)]
mod tests {
    use super::*;
    use xi_rope::{DeltaBuilder, Interval, Rope};

    fn edit(text: &str, range: std::ops::Range<usize>, with: &str) -> RopeDelta {
        let mut b = DeltaBuilder::new(text.len());
        b.replace(Interval::new(range.start, range.end), Rope::from(with));
        b.build()
    }

    #[test]
    fn endings_follow_edits_around_them() {
        // "a\nb\nc\n" with the second `\n` (offset 3) the odd one out
        let mut e = LineEndings::with_others(LineEnding::Lf, vec![3]);
        e.after_edit(&edit("a\nb\nc\n", 0..0, "xx"));
        assert_eq!(e.others(), &[5]);
        // typing right before and right after it moves it / leaves it
        e.after_edit(&edit("xxa\nb\nc\n", 5..5, "y"));
        assert_eq!(e.others(), &[6]);
        e.after_edit(&edit("xxa\nby\nc\n", 7..7, "z"));
        assert_eq!(e.others(), &[6]);
        // a new line typed before it gets the dominant ending; it keeps its own
        e.after_edit(&edit("xxa\nby\nzc\n", 4..4, "\n"));
        assert_eq!(e.others(), &[7]);
        // deleting it forgets it, even when a `\n` is typed in its place
        e.after_edit(&edit("xxa\n\nby\nzc\n", 7..8, "\n"));
        assert!(!e.is_mixed());
    }
}
