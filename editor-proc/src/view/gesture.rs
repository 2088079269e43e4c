//! Mouse gestures on a view: point/word/line select, multi-select, extend and drag.

use xi_rope::{Interval, Rope};

use super::{DragState, Granularity, View};
use crate::selection::{SelRegion, Selection};
use crate::text::{line_col_to_offset, offset_of_line, offset_to_line_col, select_word};

impl View {
    fn unit(text: &Rope, offset: usize, g: Granularity) -> Interval {
        match g {
            Granularity::Point => Interval::new(offset, offset),
            Granularity::Word => {
                let (s, e) = select_word(text, offset);
                Interval::new(s, e)
            }
            Granularity::Line => {
                let (line, _) = offset_to_line_col(text, offset);
                Interval::new(offset_of_line(text, line), offset_of_line(text, line + 1))
            }
        }
    }

    fn range_region(
        text: &Rope,
        start: (usize, usize),
        offset: usize,
        g: Granularity,
    ) -> SelRegion {
        let end = Self::unit(text, offset, g);
        if offset >= start.0 {
            SelRegion::new(start.0, end.end())
        } else {
            SelRegion::new(start.1, end.start())
        }
    }

    /// `gesture {line, col, ty: select {granularity, multi}}`.
    pub fn gesture_select(
        &mut self,
        text: &Rope,
        line: usize,
        col: usize,
        g: Granularity,
        multi: bool,
    ) {
        let offset = line_col_to_offset(text, line, col);
        if multi
            && g == Granularity::Point
            && !self.selection.regions_in_range(offset, offset).is_empty()
        {
            let mut sel = self.selection.clone();
            sel.delete_range(offset, offset, true);
            if !sel.is_empty() {
                self.drag = None;
                self.set_selection_raw(text, sel);
                return;
            }
        }
        let unit = Self::unit(text, offset, g);
        let region = SelRegion::new(unit.start(), unit.end());
        let base = if multi {
            self.selection.clone()
        } else {
            Selection::new()
        };
        let mut sel = base.clone();
        sel.add_region(region);
        self.set_selection(text, sel);
        self.drag = Some(DragState {
            base,
            min: region.start,
            max: region.end,
            granularity: g,
        });
    }

    /// `gesture {ty: select_extend {granularity}}` (shift-click).
    pub fn gesture_extend(&mut self, text: &Rope, line: usize, col: usize, g: Granularity) {
        let offset = line_col_to_offset(text, line, col);
        let Some((&last, rest)) = self.selection.split_last() else {
            return;
        };
        let mut base = Selection::new();
        for &r in rest {
            base.add_region(r);
        }
        let mut sel = base.clone();
        self.drag = Some(DragState {
            base,
            min: last.start,
            max: last.start,
            granularity: g,
        });
        sel.add_region(Self::range_region(
            text,
            (last.start, last.start),
            offset,
            g,
        ));
        self.set_selection(text, sel);
    }

    /// `gesture {ty: "drag"}` (or the older `drag`).
    pub fn gesture_drag(&mut self, text: &Rope, line: usize, col: usize) {
        let offset = line_col_to_offset(text, line, col);
        let Some(d) = self.drag.clone() else { return };
        let mut sel = d.base.clone();
        sel.add_region(Self::range_region(
            text,
            (d.min, d.max),
            offset,
            d.granularity,
        ));
        self.set_selection(text, sel);
    }
}
