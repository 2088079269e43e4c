//! Selections: sorted, non-overlapping regions (carets or ranges), as in xi-core.

use std::cmp::{max, min};

use xi_rope::RopeDelta;
use xi_rope::delta::Transformer;

/// Which side of a line break a caret sticks to when it sits on the break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Affinity {
    /// The caret belongs to the line before the break.
    Upstream,
    /// The caret belongs to the line after the break (default).
    #[default]
    Downstream,
}

/// How inserts exactly at a selection edge move the selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertDrift {
    /// Inserts at the edges go inside the selection (transpose).
    Inside,
    /// Inserts at the edges stay outside the selection (surround).
    Outside,
    /// Carets move after an insert at their position.
    Default,
}

/// One region: `start` is the anchor, `end` the active end (where the caret is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SelRegion {
    /// Anchor offset (bytes).
    pub start: usize,
    /// Active offset (bytes): the caret.
    pub end: usize,
    /// Remembered column for vertical moves.
    pub horiz: Option<usize>,
    /// Caret affinity at line breaks.
    pub affinity: Affinity,
}

impl SelRegion {
    /// A region from `start` (anchor) to `end` (caret).
    pub fn new(start: usize, end: usize) -> Self {
        SelRegion {
            start,
            end,
            horiz: None,
            affinity: Affinity::Downstream,
        }
    }

    /// An empty region (a caret) at `offset`.
    pub fn caret(offset: usize) -> Self {
        Self::new(offset, offset)
    }

    /// The same region with the remembered column set.
    pub fn with_horiz(self, horiz: Option<usize>) -> Self {
        SelRegion { horiz, ..self }
    }

    /// The same region with the given affinity.
    pub fn with_affinity(self, affinity: Affinity) -> Self {
        SelRegion { affinity, ..self }
    }

    /// Smaller of the two ends.
    pub fn min(&self) -> usize {
        min(self.start, self.end)
    }

    /// Larger of the two ends.
    pub fn max(&self) -> usize {
        max(self.start, self.end)
    }

    /// True when the region is empty.
    pub fn is_caret(&self) -> bool {
        self.start == self.end
    }

    /// True when the caret sticks to the previous line.
    pub fn is_upstream(&self) -> bool {
        self.affinity == Affinity::Upstream
    }

    fn should_merge(&self, other: &SelRegion) -> bool {
        other.min() < self.max()
            || ((self.is_caret() || other.is_caret()) && other.min() == self.max())
    }

    fn merge_with(self, other: SelRegion) -> SelRegion {
        let forward = self.end >= self.start;
        let lo = min(self.min(), other.min());
        let hi = max(self.max(), other.max());
        if forward {
            SelRegion::new(lo, hi)
        } else {
            SelRegion::new(hi, lo)
        }
    }
}

/// A multi-cursor selection: regions sorted by offset, never overlapping.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selection {
    regions: Vec<SelRegion>,
}

impl From<SelRegion> for Selection {
    fn from(r: SelRegion) -> Self {
        Selection { regions: vec![r] }
    }
}

impl std::ops::Deref for Selection {
    type Target = [SelRegion];
    fn deref(&self) -> &[SelRegion] {
        &self.regions
    }
}

impl Selection {
    /// An empty selection (views never keep one empty).
    pub fn new() -> Self {
        Selection::default()
    }

    /// A single caret.
    pub fn caret(offset: usize) -> Self {
        SelRegion::caret(offset).into()
    }

    /// Index of the first region whose max is >= offset.
    pub fn search(&self, offset: usize) -> usize {
        match self.regions.last() {
            None => 0,
            Some(last) if offset > last.max() => self.regions.len(),
            _ => match self.regions.binary_search_by(|r| r.max().cmp(&offset)) {
                Ok(ix) | Err(ix) => ix,
            },
        }
    }

    /// Regions touching `[start, end]` (edges included).
    pub fn regions_in_range(&self, start: usize, end: usize) -> &[SelRegion] {
        let first = self.search(start);
        let mut last = self.search(end);
        if last < self.regions.len() && self.regions[last].min() <= end {
            last += 1;
        }
        &self.regions[first..last.max(first)]
    }

    /// Adds a region, merging it with any it overlaps.
    pub fn add_region(&mut self, region: SelRegion) {
        let mut ix = self.search(region.min());
        if ix == self.regions.len() {
            self.regions.push(region);
            return;
        }
        let mut region = region;
        let mut end_ix = ix;
        if self.regions[ix].min() <= region.min() {
            if self.regions[ix].should_merge(&region) {
                region = region.merge_with(self.regions[ix]);
            } else {
                ix += 1;
            }
            end_ix += 1;
        }
        while end_ix < self.regions.len() && region.should_merge(&self.regions[end_ix]) {
            region = region.merge_with(self.regions[end_ix]);
            end_ix += 1;
        }
        if ix == end_ix {
            self.regions.insert(ix, region);
        } else {
            self.regions[ix] = region;
            self.regions.drain(ix + 1..end_ix);
        }
    }

    /// Removes regions in `[start, end]`; `delete_adjacent` also removes those touching it.
    pub fn delete_range(&mut self, start: usize, end: usize, delete_adjacent: bool) {
        let mut first = self.search(start);
        let mut last = self.search(end);
        if first >= self.regions.len() {
            return;
        }
        if !delete_adjacent && self.regions[first].max() == start {
            first += 1;
        }
        if last < self.regions.len()
            && ((delete_adjacent && self.regions[last].min() <= end)
                || (!delete_adjacent && self.regions[last].min() < end))
        {
            last += 1;
        }
        if last > first {
            self.regions.drain(first..last);
        }
    }

    /// Keeps only the first region, as a caret at its active end.
    pub fn collapse(&mut self) {
        self.regions.truncate(1);
        if let Some(r) = self.regions.first_mut() {
            *r = SelRegion::caret(r.end);
        }
    }

    /// The selection after `delta` is applied to the text.
    pub fn apply_delta(&self, delta: &RopeDelta, after: bool, drift: InsertDrift) -> Selection {
        let mut result = Selection::new();
        let mut t = Transformer::new(delta);
        for r in &self.regions {
            let forward = r.start < r.end;
            let (sa, ea) = match (drift, r.is_caret()) {
                (InsertDrift::Inside, false) => (!forward, forward),
                (InsertDrift::Outside, false) => (forward, !forward),
                _ => (after, after),
            };
            let nr = SelRegion::new(t.transform(r.start, sa), t.transform(r.end, ea))
                .with_affinity(r.affinity);
            result.add_region(nr);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carets_merge_and_ranges_merge() {
        let mut s = Selection::caret(3);
        s.add_region(SelRegion::caret(3));
        assert_eq!(s.len(), 1);
        s.add_region(SelRegion::new(1, 5));
        assert_eq!(&s[..], &[SelRegion::new(1, 5)]);
        s.add_region(SelRegion::caret(7));
        s.add_region(SelRegion::new(6, 8));
        assert_eq!(s.len(), 2);
        assert_eq!(s[1], SelRegion::new(6, 8));
    }

    #[test]
    fn regions_in_range_includes_edges() {
        let mut s = Selection::caret(2);
        s.add_region(SelRegion::caret(10));
        assert_eq!(s.regions_in_range(0, 2).len(), 1);
        assert_eq!(s.regions_in_range(3, 9).len(), 0);
        assert_eq!(s.regions_in_range(2, 10).len(), 2);
    }

    #[test]
    fn delete_range_removes_caret() {
        let mut s = Selection::caret(2);
        s.add_region(SelRegion::caret(10));
        s.delete_range(10, 10, true);
        assert_eq!(&s[..], &[SelRegion::caret(2)]);
    }
}
