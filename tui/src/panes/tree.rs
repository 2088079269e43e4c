//! The split tree of one window: leaves are panes, inner nodes split their
//! area side by side or top/bottom with a one-cell border between.

use ratatui::layout::Rect;

/// A pane's id, unique across windows.
pub type PaneId = u64;

/// How a split divides its area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitDir {
    /// Side by side (tmux `%`), a vertical border between.
    Horizontal,
    /// Top and bottom (tmux `"`), a horizontal border between.
    Vertical,
}

/// A direction to move focus or a border.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Towards column 0.
    Left,
    /// Towards the last column.
    Right,
    /// Towards row 0.
    Up,
    /// Towards the last row.
    Down,
}

/// A node of the split tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// One pane.
    Leaf(PaneId),
    /// Two children sharing the area.
    Split {
        /// How the area is divided.
        dir: SplitDir,
        /// Share of the first child, 0.0 to 1.0.
        ratio: f32,
        /// Left or top.
        first: Box<Node>,
        /// Right or bottom.
        second: Box<Node>,
    },
}

/// A border between two children of a split, where a mouse drag can grab it.
#[derive(Debug, Clone, PartialEq)]
pub struct Border {
    /// Path from the root to the split (false = first child, true = second).
    pub path: Vec<bool>,
    /// The split's direction.
    pub dir: SplitDir,
    /// The cells of the border line.
    pub rect: Rect,
    /// The whole area of the split.
    pub area: Rect,
}

/// Where every pane and border of a tree goes in an area.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Layout {
    /// Each pane with its rectangle, in tree order.
    pub panes: Vec<(PaneId, Rect)>,
    /// Each border.
    pub borders: Vec<Border>,
}

impl Layout {
    /// The rectangle of a pane.
    pub fn rect_of(&self, pane: PaneId) -> Option<Rect> {
        self.panes.iter().find(|(p, _)| *p == pane).map(|(_, r)| *r)
    }

    /// The pane under a screen cell.
    pub fn pane_at(&self, x: u16, y: u16) -> Option<PaneId> {
        self.panes
            .iter()
            .find(|(_, r)| x >= r.x && x < r.right() && y >= r.y && y < r.bottom())
            .map(|(p, _)| *p)
    }

    /// The border under a screen cell.
    pub fn border_at(&self, x: u16, y: u16) -> Option<&Border> {
        self.borders.iter().find(|b| {
            let r = b.rect;
            x >= r.x && x < r.right() && y >= r.y && y < r.bottom()
        })
    }
}

/// Splits `total` cells into (first, second) around a one-cell border.
fn share(total: u16, ratio: f32) -> (u16, u16) {
    if total < 3 {
        return (total, 0);
    }
    let avail = total - 1;
    let first = ((f32::from(avail) * ratio).round() as u16).clamp(1, avail - 1);
    (first, avail - first)
}

impl Node {
    /// Lays the tree out in `area`.
    pub fn layout(&self, area: Rect) -> Layout {
        let mut out = Layout::default();
        self.layout_into(area, &mut Vec::new(), &mut out);
        out
    }

    fn layout_into(&self, area: Rect, path: &mut Vec<bool>, out: &mut Layout) {
        match self {
            Node::Leaf(id) => out.panes.push((*id, area)),
            Node::Split {
                dir,
                ratio,
                first,
                second,
            } => {
                let (a, border, b) = match dir {
                    SplitDir::Horizontal => {
                        let (w1, w2) = share(area.width, *ratio);
                        (
                            Rect { width: w1, ..area },
                            Rect {
                                x: area.x + w1,
                                width: u16::from(w2 > 0),
                                ..area
                            },
                            Rect {
                                x: area.x + w1 + 1,
                                width: w2,
                                ..area
                            },
                        )
                    }
                    SplitDir::Vertical => {
                        let (h1, h2) = share(area.height, *ratio);
                        (
                            Rect { height: h1, ..area },
                            Rect {
                                y: area.y + h1,
                                height: u16::from(h2 > 0),
                                ..area
                            },
                            Rect {
                                y: area.y + h1 + 1,
                                height: h2,
                                ..area
                            },
                        )
                    }
                };
                out.borders.push(Border {
                    path: path.clone(),
                    dir: *dir,
                    rect: border,
                    area,
                });
                path.push(false);
                first.layout_into(a, path, out);
                path.pop();
                path.push(true);
                second.layout_into(b, path, out);
                path.pop();
            }
        }
    }

    /// The panes in tree order (left to right, top to bottom).
    pub fn leaves(&self) -> Vec<PaneId> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect(&self, out: &mut Vec<PaneId>) {
        match self {
            Node::Leaf(id) => out.push(*id),
            Node::Split { first, second, .. } => {
                first.collect(out);
                second.collect(out);
            }
        }
    }

    /// Whether the tree holds `pane`.
    pub fn contains(&self, pane: PaneId) -> bool {
        match self {
            Node::Leaf(id) => *id == pane,
            Node::Split { first, second, .. } => first.contains(pane) || second.contains(pane),
        }
    }

    /// Splits `pane` in two; the new pane goes right or below. False if absent.
    pub fn split(&mut self, pane: PaneId, dir: SplitDir, new_pane: PaneId) -> bool {
        match self {
            Node::Leaf(id) if *id == pane => {
                *self = Node::Split {
                    dir,
                    ratio: 0.5,
                    first: Box::new(Node::Leaf(pane)),
                    second: Box::new(Node::Leaf(new_pane)),
                };
                true
            }
            Node::Leaf(_) => false,
            Node::Split { first, second, .. } => {
                first.split(pane, dir, new_pane) || second.split(pane, dir, new_pane)
            }
        }
    }

    /// Removes `pane`; its sibling takes the parent's place. Returns false if
    /// the pane is absent or is the only leaf (the caller closes the window).
    pub fn remove(&mut self, pane: PaneId) -> bool {
        let Node::Split { first, second, .. } = self else {
            return false;
        };
        if **first == Node::Leaf(pane) {
            *self = (**second).clone();
            return true;
        }
        if **second == Node::Leaf(pane) {
            *self = (**first).clone();
            return true;
        }
        first.remove(pane) || second.remove(pane)
    }

    fn node_at_mut(&mut self, path: &[bool]) -> Option<&mut Node> {
        match path.split_first() {
            None => Some(self),
            Some((side, rest)) => match self {
                Node::Split { first, second, .. } => {
                    if *side { second } else { first }.node_at_mut(rest)
                }
                Node::Leaf(_) => None,
            },
        }
    }

    /// Path to the leaf `pane`.
    fn path_to(&self, pane: PaneId) -> Option<Vec<bool>> {
        match self {
            Node::Leaf(id) => (*id == pane).then(Vec::new),
            Node::Split { first, second, .. } => {
                for (side, child) in [(false, first), (true, second)] {
                    if let Some(mut p) = child.path_to(pane) {
                        p.insert(0, side);
                        return Some(p);
                    }
                }
                None
            }
        }
    }

    /// Puts the border of the split at `path` on screen cell `pos` (a column
    /// for side-by-side splits, a row otherwise), as a mouse drag does.
    pub fn drag_border(&mut self, border: &Border, pos: u16) {
        let (start, total) = match border.dir {
            SplitDir::Horizontal => (border.area.x, border.area.width),
            SplitDir::Vertical => (border.area.y, border.area.height),
        };
        if total < 3 {
            return;
        }
        let avail = f32::from(total - 1);
        let first = f32::from(pos.saturating_sub(start).clamp(1, total - 2));
        if let Some(Node::Split { ratio, .. }) = self.node_at_mut(&border.path) {
            *ratio = (first / avail).clamp(0.0, 1.0);
        }
    }

    /// Moves the border nearest to `pane` in direction `dir` by `cells`
    /// (tmux's resize-pane). Returns false when no border can move that way.
    pub fn resize(&mut self, pane: PaneId, dir: Direction, cells: u16, area: Rect) -> bool {
        let Some(path) = self.path_to(pane) else {
            return false;
        };
        let want = match dir {
            Direction::Left | Direction::Right => SplitDir::Horizontal,
            Direction::Up | Direction::Down => SplitDir::Vertical,
        };
        let layout = self.layout(area);
        // Nearest ancestor split of the right orientation.
        for depth in (0..path.len()).rev() {
            let split_path = &path[..depth];
            let Some(border) = layout.borders.iter().find(|b| b.path == split_path) else {
                continue;
            };
            if border.dir != want {
                continue;
            }
            let (at, start, total) = match want {
                SplitDir::Horizontal => (border.rect.x, border.area.x, border.area.width),
                SplitDir::Vertical => (border.rect.y, border.area.y, border.area.height),
            };
            let pos = match dir {
                Direction::Left | Direction::Up => at.saturating_sub(cells).max(start + 1),
                Direction::Right | Direction::Down => at
                    .saturating_add(cells)
                    .min(start + total.saturating_sub(2)),
            };
            let border = border.clone();
            self.drag_border(&border, pos);
            return true;
        }
        false
    }
}

/// The pane next to `from` in `dir`: among panes across the border whose
/// span overlaps `from`'s, the one with the most overlap.
pub fn neighbour(layout: &Layout, from: PaneId, dir: Direction) -> Option<PaneId> {
    let r = layout.rect_of(from)?;
    let overlap = |a0: u16, a1: u16, b0: u16, b1: u16| a1.min(b1).saturating_sub(a0.max(b0));
    layout
        .panes
        .iter()
        .filter(|(p, _)| *p != from)
        .filter_map(|(p, o)| {
            let (touch, ov) = match dir {
                Direction::Left => (
                    o.right() + 1 == r.x,
                    overlap(r.y, r.bottom(), o.y, o.bottom()),
                ),
                Direction::Right => (
                    r.right() + 1 == o.x,
                    overlap(r.y, r.bottom(), o.y, o.bottom()),
                ),
                Direction::Up => (
                    o.bottom() + 1 == r.y,
                    overlap(r.x, r.right(), o.x, o.right()),
                ),
                Direction::Down => (
                    r.bottom() + 1 == o.y,
                    overlap(r.x, r.right(), o.x, o.right()),
                ),
            };
            (touch && ov > 0).then_some((*p, ov))
        })
        .max_by_key(|(p, ov)| (*ov, std::cmp::Reverse(*p)))
        .map(|(p, _)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area() -> Rect {
        Rect::new(0, 0, 81, 41)
    }

    #[test]
    fn split_side_by_side_then_top_bottom() {
        let mut t = Node::Leaf(1);
        assert!(t.split(1, SplitDir::Horizontal, 2));
        assert!(t.split(2, SplitDir::Vertical, 3));
        assert_eq!(t.leaves(), vec![1, 2, 3]);
        let l = t.layout(area());
        assert_eq!(l.rect_of(1), Some(Rect::new(0, 0, 40, 41)));
        assert_eq!(l.rect_of(2), Some(Rect::new(41, 0, 40, 20)));
        assert_eq!(l.rect_of(3), Some(Rect::new(41, 21, 40, 20)));
        assert_eq!(l.borders.len(), 2);
        assert_eq!(l.pane_at(50, 30), Some(3));
        assert_eq!(
            l.border_at(40, 5).map(|b| b.dir),
            Some(SplitDir::Horizontal)
        );
    }

    #[test]
    fn close_gives_the_space_to_the_sibling() {
        let mut t = Node::Leaf(1);
        t.split(1, SplitDir::Horizontal, 2);
        t.split(2, SplitDir::Vertical, 3);
        assert!(t.remove(2));
        assert_eq!(t.leaves(), vec![1, 3]);
        assert!(t.remove(1));
        assert_eq!(t, Node::Leaf(3));
        assert!(!t.remove(3), "the last pane is not removed by the tree");
        assert!(!t.remove(9));
    }

    #[test]
    fn focus_moves_to_the_pane_across_the_border() {
        let mut t = Node::Leaf(1);
        t.split(1, SplitDir::Horizontal, 2);
        t.split(2, SplitDir::Vertical, 3);
        let l = t.layout(area());
        assert_eq!(neighbour(&l, 1, Direction::Right), Some(2));
        assert_eq!(neighbour(&l, 3, Direction::Left), Some(1));
        assert_eq!(neighbour(&l, 2, Direction::Down), Some(3));
        assert_eq!(neighbour(&l, 3, Direction::Up), Some(2));
        assert_eq!(neighbour(&l, 1, Direction::Left), None);
        assert_eq!(neighbour(&l, 2, Direction::Right), None);
    }

    #[test]
    fn resize_moves_the_nearest_border_of_that_orientation() {
        let mut t = Node::Leaf(1);
        t.split(1, SplitDir::Horizontal, 2);
        t.split(2, SplitDir::Vertical, 3);
        assert!(t.resize(3, Direction::Left, 5, area()));
        let l = t.layout(area());
        assert_eq!(l.rect_of(1).unwrap().width, 35);
        assert_eq!(l.rect_of(3).unwrap().width, 45);
        assert!(t.resize(3, Direction::Up, 4, area()));
        let l = t.layout(area());
        assert_eq!(l.rect_of(2).unwrap().height, 16);
        assert_eq!(l.rect_of(3).unwrap().height, 24);
        // No top/bottom border next to pane 1.
        assert!(!t.resize(1, Direction::Up, 1, area()));
        // Never shrinks a pane below one cell.
        assert!(t.resize(1, Direction::Left, 500, area()));
        assert_eq!(t.layout(area()).rect_of(1).unwrap().width, 1);
    }

    #[test]
    fn dragging_a_border_sets_the_split() {
        let mut t = Node::Leaf(1);
        t.split(1, SplitDir::Horizontal, 2);
        let l = t.layout(area());
        let b = l.border_at(40, 0).unwrap().clone();
        t.drag_border(&b, 20);
        let l = t.layout(area());
        assert_eq!(l.rect_of(1).unwrap().width, 20);
        assert_eq!(l.rect_of(2), Some(Rect::new(21, 0, 60, 41)));
    }
}
