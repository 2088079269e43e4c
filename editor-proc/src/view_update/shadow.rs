//! What the front end's line cache holds (xi's `LineCacheShadow`), as runs of lines,
//! and the render plan that says which lines to send, keep or drop.

/// Validity bits of a run of lines in the front end's cache.
pub type Validity = u8;
/// Not in the cache.
pub const INVALID: Validity = 0;
/// The text is current.
pub const TEXT_VALID: Validity = 1;
/// The styles are current.
pub const STYLES_VALID: Validity = 2;
/// The cursors are current.
pub const CURSOR_VALID: Validity = 4;
/// Everything is current.
pub const ALL_VALID: Validity = 7;

/// Lines kept valid around the visible ones.
pub const PRESERVE_EXTENT: usize = 1000;
/// Extra lines rendered above and below the visible ones.
pub const SCROLL_SLOP: usize = 2;

/// A run of `n` lines (our numbering) that the front end holds from its line `their_start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Number of lines.
    pub n: usize,
    /// First line number in the front end's cache (irrelevant when invalid).
    pub their_start: usize,
    /// Validity bits.
    pub validity: Validity,
}

/// The shadow: runs covering every line of the text. `dirty` means an update is owed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineCacheShadow {
    spans: Vec<Span>,
    dirty: bool,
}

#[derive(Default)]
struct Builder {
    spans: Vec<Span>,
}

impl Builder {
    fn add(&mut self, n: usize, their_start: usize, validity: Validity) {
        if n == 0 {
            return;
        }
        if let Some(last) = self.spans.last_mut()
            && last.validity == validity
            && (validity == INVALID || last.their_start + last.n == their_start)
        {
            last.n += n;
            return;
        }
        self.spans.push(Span {
            n,
            their_start,
            validity,
        });
    }
}

/// How a run of lines is treated by one render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tactic {
    /// Drop from the cache (far from the view).
    Discard,
    /// Keep if valid, invalidate otherwise.
    Preserve,
    /// Send if not valid.
    Render,
}

/// Runs of lines and their tactic, covering the whole text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderPlan {
    /// (number of lines, tactic).
    pub spans: Vec<(usize, Tactic)>,
}

/// One piece of the shadow crossed with the plan.
#[derive(Debug, Clone, Copy)]
pub struct Segment {
    /// First line (our numbering).
    pub our_line: usize,
    /// First line in the front end's cache.
    pub their_line: usize,
    /// Number of lines.
    pub n: usize,
    /// Validity in the front end.
    pub validity: Validity,
    /// What this render does with them.
    pub tactic: Tactic,
}

impl LineCacheShadow {
    /// A shadow of `total` lines that the front end does not hold, marked dirty.
    pub fn all_invalid(total: usize) -> Self {
        let mut b = Builder::default();
        b.add(total, 0, INVALID);
        LineCacheShadow {
            spans: b.spans,
            dirty: true,
        }
    }

    /// True when the front end is owed an update.
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// The runs.
    pub fn spans(&self) -> &[Span] {
        &self.spans
    }

    /// Lines `start..end` were replaced by `replace` new lines (unknown to the front end).
    pub fn edit(&mut self, start: usize, end: usize, replace: usize) {
        let mut b = Builder::default();
        let mut line = 0;
        let mut i = 0;
        while i < self.spans.len() {
            let s = self.spans[i];
            if line + s.n <= start {
                b.add(s.n, s.their_start, s.validity);
                line += s.n;
                i += 1;
            } else {
                b.add(start - line, s.their_start, s.validity);
                break;
            }
        }
        b.add(replace, 0, INVALID);
        for s in &self.spans[i..] {
            if line + s.n > end {
                let off = end.saturating_sub(line);
                b.add(s.n - off, s.their_start + off, s.validity);
            }
            line += s.n;
        }
        self.spans = b.spans;
        self.dirty = true;
    }

    /// Clears the `invalid` bits on lines `start..end`.
    pub fn partial_invalidate(&mut self, start: usize, end: usize, invalid: Validity) {
        let mut line = 0;
        let touched = self.spans.iter().any(|s| {
            let hit = start < line + s.n && end > line && (s.validity & invalid) != 0;
            line += s.n;
            hit
        });
        if !touched {
            return;
        }
        let mut b = Builder::default();
        let mut line = 0;
        for s in &self.spans {
            if start > line {
                b.add(s.n.min(start - line), s.their_start, s.validity);
            }
            let is = start.max(line);
            let ie = end.min(line + s.n);
            if ie > is {
                b.add(ie - is, s.their_start + (is - line), s.validity & !invalid);
            }
            if line + s.n > end {
                let off = end.saturating_sub(line);
                b.add(s.n - off, s.their_start + off, s.validity);
            }
            line += s.n;
        }
        self.spans = b.spans;
        self.dirty = true;
    }

    /// True when this plan would send anything.
    pub fn needs_render(&self, plan: &RenderPlan) -> bool {
        self.dirty
            || self
                .segments(plan)
                .any(|s| s.tactic == Tactic::Render && s.validity != ALL_VALID)
    }

    /// The shadow crossed with a plan, in line order.
    pub fn segments<'a>(&'a self, plan: &'a RenderPlan) -> impl Iterator<Item = Segment> + 'a {
        let mut si = 0;
        let mut sl = 0;
        let mut pi = 0;
        let mut pl = 0;
        std::iter::from_fn(move || {
            let s = self.spans.get(si)?;
            let p = plan.spans.get(pi)?;
            let start = sl.max(pl);
            let end = (sl + s.n).min(pl + p.0);
            let seg = Segment {
                our_line: start,
                their_line: s.their_start + (start - sl),
                n: end - start,
                validity: s.validity,
                tactic: p.1,
            };
            if end == sl + s.n {
                sl = end;
                si += 1;
            }
            if end == pl + p.0 {
                pl = end;
                pi += 1;
            }
            Some(seg)
        })
    }

    /// Replaces the shadow by what a render just produced.
    pub fn rebuild(spans: impl IntoIterator<Item = Span>) -> Self {
        let mut b = Builder::default();
        for s in spans {
            b.add(s.n, s.their_start, s.validity);
        }
        LineCacheShadow {
            spans: b.spans,
            dirty: false,
        }
    }
}

impl RenderPlan {
    /// Render the visible lines (plus slop), preserve up to `PRESERVE_EXTENT` around, discard the rest.
    pub fn create(total: usize, first_line: usize, height: usize) -> Self {
        let mut spans = Vec::new();
        let mut last = 0;
        let first_line = first_line.min(total);
        if first_line > PRESERVE_EXTENT {
            last = first_line - PRESERVE_EXTENT;
            spans.push((last, Tactic::Discard));
        }
        if first_line > SCROLL_SLOP {
            let n = first_line - SCROLL_SLOP - last;
            spans.push((n, Tactic::Preserve));
            last += n;
        }
        let render_end = (first_line + height + SCROLL_SLOP).min(total);
        spans.push((render_end - last, Tactic::Render));
        last = render_end;
        let preserve_end = (first_line + height + PRESERVE_EXTENT).min(total);
        if preserve_end > last {
            spans.push((preserve_end - last, Tactic::Preserve));
            last = preserve_end;
        }
        if total > last {
            spans.push((total - last, Tactic::Discard));
        }
        RenderPlan { spans }
    }

    /// Upgrades lines `start..end` to `Render`.
    pub fn request_lines(&mut self, start: usize, end: usize) {
        let total: usize = self.spans.iter().map(|s| s.0).sum();
        let end = end.min(total);
        if start >= end {
            return;
        }
        let mut out: Vec<(usize, Tactic)> = Vec::new();
        let mut line = 0;
        let mut i = 0;
        while i < self.spans.len() {
            let s = self.spans[i];
            if line + s.0 <= start {
                out.push(s);
                line += s.0;
                i += 1;
            } else {
                if line < start {
                    out.push((start - line, s.1));
                }
                break;
            }
        }
        out.push((end - start, Tactic::Render));
        for s in &self.spans[i..] {
            if line + s.0 > end {
                let off = end.saturating_sub(line);
                out.push((s.0 - off, s.1));
            }
            line += s.0;
        }
        self.spans = out;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_for_large_file() {
        let p = RenderPlan::create(3001, 0, 10);
        assert_eq!(
            p.spans,
            vec![
                (12, Tactic::Render),
                (998, Tactic::Preserve),
                (1991, Tactic::Discard)
            ]
        );
        let p = RenderPlan::create(3001, 2481, 20);
        assert_eq!(p.spans[0], (1481, Tactic::Discard));
    }

    #[test]
    fn edit_keeps_runs_around() {
        let mut s = LineCacheShadow::rebuild([Span {
            n: 10,
            their_start: 0,
            validity: ALL_VALID,
        }]);
        s.edit(3, 4, 2);
        assert_eq!(
            s.spans(),
            &[
                Span {
                    n: 3,
                    their_start: 0,
                    validity: ALL_VALID
                },
                Span {
                    n: 2,
                    their_start: 0,
                    validity: INVALID
                },
                Span {
                    n: 6,
                    their_start: 4,
                    validity: ALL_VALID
                },
            ]
        );
    }
}
