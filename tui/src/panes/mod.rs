//! Panes and windows, tmux style: each window is a split tree of panes and a
//! dock of tool panes beside it; a pane shows an editor view or a tool (the
//! kind is an open enum).

pub mod dock;
pub mod tree;

use std::collections::BTreeMap;
use std::path::PathBuf;

use ratatui::layout::Rect;

pub use dock::{DockPrefs, DockSide};
pub use tree::{Border, Direction, Layout, Node, PaneId, SplitDir};

/// What a pane shows. More kinds (the Conductor's panes) come later.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PaneKind {
    /// An editor view: its own view in the editor process, its own scroll.
    Editor(EditorPane),
    /// A read-only tool pane with a title and some lines of text.
    Tool(ToolPane),
    /// The AI pane: chat history, streamed replies, the prompt line.
    Ai(crate::conductor::AiPane),
    /// The DAG pane: runs as node trees with progress.
    Dag(crate::conductor::DagPane),
    /// The artifacts pane: search, results, preview.
    Artifacts(crate::conductor::ArtifactsPane),
    /// The pool pane: instruments, slots, latency, throughput.
    Pool(crate::conductor::PoolPane),
    /// A motif extension's pane (its declarative view; keys go to it while focused).
    Motif(crate::motif::MotifPane),
}

/// A pane showing one editor view.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EditorPane {
    /// The view handle (`ViewHandle.0`).
    pub view: u64,
    /// First buffer line shown.
    pub top: usize,
    /// First display column shown (without soft wrap).
    pub left: usize,
}

/// A simple text pane.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ToolPane {
    /// Shown in the border.
    pub title: String,
    /// The text.
    pub lines: Vec<String>,
}

/// One window: the split tree of its editor panes, the dock of its tool panes
/// (beside them, see [`DockPrefs`]), and the focused pane.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// The split tree of the editor panes (and any pane split off them).
    pub tree: Node,
    /// The dock's tool panes (AI, DAG, artifacts, pool); `None` while none is open.
    pub dock: Option<Node>,
    /// The focused pane.
    pub focus: PaneId,
    /// Whether the focused pane fills the window.
    pub zoomed: bool,
    /// The pane outside the dock focused before the dock took the focus (where
    /// hiding or closing the dock returns).
    pub back: Option<PaneId>,
    /// The dock pane focused when the dock was hidden (where showing it returns).
    pub dock_focus: Option<PaneId>,
}

impl Window {
    fn new(pane: PaneId) -> Window {
        Window {
            tree: Node::Leaf(pane),
            dock: None,
            focus: pane,
            zoomed: false,
            back: None,
            dock_focus: None,
        }
    }

    /// The tree shown: the editor panes with the dock beside them, the editor
    /// panes alone while the dock is hidden or empty, the dock alone when zoomed.
    pub fn shown_tree(&self, dock: &DockPrefs) -> Node {
        match &self.dock {
            Some(d) if dock.visible && dock.zoomed => d.clone(),
            Some(d) if dock.visible => dock.compose(&self.tree, d),
            _ => self.tree.clone(),
        }
    }

    /// Puts back a shown tree whose borders moved (its shape is the one
    /// [`Window::shown_tree`] gave); the dock's share lands in `dock`.
    fn set_shown_tree(&mut self, node: Node, dock: &mut DockPrefs) {
        let has_dock = self.dock.is_some();
        match node {
            n if has_dock && dock.visible && dock.zoomed => self.dock = Some(n),
            Node::Split {
                ratio,
                first,
                second,
                ..
            } if has_dock && dock.visible => {
                dock.size = (1.0 - ratio).clamp(dock::MIN_SIZE, dock::MAX_SIZE);
                self.tree = *first;
                self.dock = Some(*second);
            }
            n => self.tree = n,
        }
    }

    /// The layout of this window in `area` (only the focused pane if zoomed).
    pub fn layout(&self, area: Rect, dock: &DockPrefs) -> Layout {
        if self.zoomed {
            Layout {
                panes: vec![(self.focus, area)],
                borders: Vec::new(),
            }
        } else {
            self.shown_tree(dock).layout(area)
        }
    }

    /// The panes shown (zoom aside), in tree order.
    pub fn shown(&self, dock: &DockPrefs) -> Vec<PaneId> {
        self.shown_tree(dock).leaves()
    }

    /// Every pane of the window, a hidden dock's too.
    pub fn leaves(&self) -> Vec<PaneId> {
        let mut out = self.tree.leaves();
        if let Some(d) = &self.dock {
            out.extend(d.leaves());
        }
        out
    }

    /// Whether the window holds `pane` (in a hidden dock too).
    pub fn contains(&self, pane: PaneId) -> bool {
        self.tree.contains(pane) || self.in_dock(pane)
    }

    /// Whether `pane` is in this window's dock.
    pub fn in_dock(&self, pane: PaneId) -> bool {
        self.dock.as_ref().is_some_and(|d| d.contains(pane))
    }

    /// Where the focus goes when it leaves the dock.
    fn back_target(&self) -> PaneId {
        self.back
            .filter(|b| self.tree.contains(*b))
            .or_else(|| self.tree.leaves().first().copied())
            .unwrap_or(self.focus)
    }

    /// Where the focus goes when it enters the dock.
    fn dock_target(&self) -> Option<PaneId> {
        let dock = self.dock.as_ref()?;
        self.dock_focus
            .filter(|p| dock.contains(*p))
            .or_else(|| dock.leaves().first().copied())
    }

    /// Moves the focus into the dock, remembering where it was.
    fn enter_dock(&mut self, pane: PaneId) {
        if !self.in_dock(self.focus) {
            self.back = Some(self.focus);
        }
        self.focus = pane;
    }
}

/// The panes `leaves` side by side in `dir`, each the same share.
fn even(leaves: &[PaneId], dir: SplitDir) -> Option<Node> {
    match leaves {
        [] => None,
        [one] => Some(Node::Leaf(*one)),
        [first, rest @ ..] => Some(Node::Split {
            dir,
            ratio: 1.0 / leaves.len() as f32,
            first: Box::new(Node::Leaf(*first)),
            second: Box::new(even(rest, dir)?),
        }),
    }
}

/// All windows and panes.
#[derive(Debug, Clone, PartialEq)]
pub struct Windows {
    /// The windows, in order (numbered from 1 on screen).
    pub windows: Vec<Window>,
    /// Index of the window shown.
    pub active: usize,
    /// Every pane by id.
    pub panes: BTreeMap<PaneId, PaneKind>,
    /// The dock's side, size and visibility (the same in every window).
    pub dock: DockPrefs,
    /// Where the dock's settings are kept (`None`: not kept, as in tests).
    dock_file: Option<PathBuf>,
    next_id: PaneId,
}

impl Windows {
    /// One window with one pane.
    pub fn new(first: PaneKind) -> Windows {
        let mut panes = BTreeMap::new();
        panes.insert(1, first);
        Windows {
            windows: vec![Window::new(1)],
            active: 0,
            panes,
            dock: DockPrefs::default(),
            dock_file: None,
            next_id: 2,
        }
    }

    /// Keeps the dock's settings in `path` from now on, starting from what it holds.
    pub fn remember_dock_in(&mut self, path: PathBuf) {
        self.dock = DockPrefs::load(&path);
        self.dock_file = Some(path);
    }

    fn dock_changed(&mut self) {
        if let Some(path) = &self.dock_file {
            dock::save_later(path, self.dock);
        }
    }

    /// The layout of the window shown in `area`.
    pub fn layout(&self, area: Rect) -> Layout {
        self.current().layout(area, &self.dock)
    }

    /// The window shown.
    pub fn current(&self) -> &Window {
        &self.windows[self.active.min(self.windows.len() - 1)]
    }

    fn current_mut(&mut self) -> &mut Window {
        let i = self.active.min(self.windows.len() - 1);
        &mut self.windows[i]
    }

    /// The focused pane's id.
    pub fn focus(&self) -> PaneId {
        self.current().focus
    }

    /// The focused pane.
    pub fn focused(&self) -> Option<&PaneKind> {
        self.panes.get(&self.focus())
    }

    /// The focused pane, mutably.
    pub fn focused_mut(&mut self) -> Option<&mut PaneKind> {
        let f = self.focus();
        self.panes.get_mut(&f)
    }

    /// Splits the focused pane; the new pane shows `kind` and gets the focus.
    /// An editor never lands in the dock: with the focus there, the editor pane
    /// focused before is split instead.
    pub fn split(&mut self, dir: SplitDir, kind: PaneKind) -> PaneId {
        let editor = matches!(kind, PaneKind::Editor(_));
        let id = self.next_id;
        self.next_id += 1;
        self.panes.insert(id, kind);
        let w = self.current_mut();
        w.zoomed = false;
        let focus = w.focus;
        if w.in_dock(focus) && !editor {
            if let Some(d) = w.dock.as_mut() {
                d.split(focus, dir, id);
            }
        } else {
            let target = if w.in_dock(focus) {
                w.back_target()
            } else {
                focus
            };
            w.tree.split(target, dir, id);
        }
        w.focus = id;
        if editor && self.dock.zoomed {
            self.dock.zoomed = false;
            self.dock_changed();
        }
        id
    }

    /// Opens `kind` (a tool pane) in the dock of the window shown, beside the
    /// dock's other panes, each the same share; shows the dock, focuses the pane.
    pub fn dock_open(&mut self, kind: PaneKind) -> PaneId {
        let id = self.next_id;
        self.next_id += 1;
        self.panes.insert(id, kind);
        let inner = self.dock.inner_dir();
        let w = self.current_mut();
        w.zoomed = false;
        let mut leaves = w.dock.as_ref().map(Node::leaves).unwrap_or_default();
        leaves.push(id);
        w.dock = even(&leaves, inner);
        w.enter_dock(id);
        if !self.dock.visible {
            self.dock.visible = true;
            self.dock_changed();
        }
        id
    }

    /// Shows or hides the dock of the window shown (its panes keep their state);
    /// false when it has no pane.
    pub fn toggle_dock(&mut self) -> bool {
        let visible = self.dock.visible;
        let w = self.current_mut();
        if w.dock.is_none() {
            return false;
        }
        w.zoomed = false;
        if visible {
            if w.in_dock(w.focus) {
                w.dock_focus = Some(w.focus);
                w.focus = w.back_target();
            }
        } else if let Some(p) = w.dock_target() {
            w.enter_dock(p);
        }
        self.dock.visible = !visible;
        self.dock_changed();
        true
    }

    /// Makes the dock fill the window, or go back beside the editor panes; false
    /// when it has no pane.
    pub fn toggle_dock_zoom(&mut self) -> bool {
        let zoom = !self.dock.zoomed;
        let w = self.current_mut();
        if w.dock.is_none() {
            return false;
        }
        w.zoomed = false;
        if zoom
            && !w.in_dock(w.focus)
            && let Some(p) = w.dock_target()
        {
            w.enter_dock(p);
        }
        self.dock.zoomed = zoom;
        self.dock.visible = true;
        self.dock_changed();
        true
    }

    /// Grows (or with a negative `by`, shrinks) the dock's share of the window.
    pub fn grow_dock(&mut self, by: f32) {
        self.dock.grow(by);
        self.dock_changed();
    }

    /// Moves the dock to the other side (right or bottom) in every window.
    pub fn flip_dock(&mut self) {
        self.dock.flip();
        let inner = self.dock.inner_dir();
        for w in &mut self.windows {
            if let Some(d) = &w.dock {
                w.dock = even(&d.leaves(), inner);
            }
        }
        self.dock_changed();
    }

    /// Closes the focused pane and returns what it showed. Closing the last
    /// pane of a window closes the window; closing the very last pane
    /// returns `None` and changes nothing (the caller quits instead).
    pub fn close_focused(&mut self) -> Option<PaneKind> {
        let total: usize = self.windows.iter().map(|w| w.leaves().len()).sum();
        if total <= 1 {
            return None;
        }
        let active = self.active.min(self.windows.len() - 1);
        let w = &mut self.windows[active];
        let focus = w.focus;
        w.zoomed = false;
        if w.in_dock(focus) {
            let order = w.dock.as_ref().map(Node::leaves).unwrap_or_default();
            if order.len() <= 1 {
                w.dock = None;
                w.focus = w.back_target();
            } else {
                let idx = order.iter().position(|p| *p == focus).unwrap_or(0);
                if let Some(d) = w.dock.as_mut() {
                    d.remove(focus);
                    let rest = d.leaves();
                    w.focus = rest[idx.saturating_sub(1).min(rest.len() - 1)];
                }
            }
            if w.dock.is_none() && self.dock.zoomed {
                self.dock.zoomed = false;
                self.dock_changed();
            }
            return self.panes.remove(&focus);
        }
        let order = w.tree.leaves();
        if order.len() == 1 {
            match w.dock.take() {
                // The dock's panes take the window.
                Some(d) => {
                    w.tree = d;
                    w.focus = w.tree.leaves().first().copied().unwrap_or(focus);
                    w.back = None;
                }
                None => {
                    self.windows.remove(active);
                    self.active = active.min(self.windows.len() - 1);
                }
            }
        } else {
            let idx = order.iter().position(|p| *p == focus).unwrap_or(0);
            w.tree.remove(focus);
            let rest = w.tree.leaves();
            w.focus = rest[idx.saturating_sub(1).min(rest.len() - 1)];
        }
        self.panes.remove(&focus)
    }

    /// Opens a new window with one pane showing `kind`, and shows it.
    pub fn new_window(&mut self, kind: PaneKind) -> PaneId {
        let id = self.next_id;
        self.next_id += 1;
        self.panes.insert(id, kind);
        self.windows.push(Window::new(id));
        self.active = self.windows.len() - 1;
        id
    }

    /// Shows window `index` (0-based); false if there is none.
    pub fn select_window(&mut self, index: usize) -> bool {
        if index < self.windows.len() {
            self.active = index;
            true
        } else {
            false
        }
    }

    /// Shows the next (`forward`) or previous window, wrapping around.
    pub fn cycle_window(&mut self, forward: bool) {
        let n = self.windows.len();
        self.active = if forward {
            (self.active + 1) % n
        } else {
            (self.active + n - 1) % n
        };
    }

    /// Moves the focus to the neighbour in `dir` (in `area`); false if none.
    pub fn focus_dir(&mut self, dir: Direction, area: Rect) -> bool {
        let layout = self.layout(area);
        let w = self.current_mut();
        if w.zoomed {
            return false;
        }
        match tree::neighbour(&layout, w.focus, dir) {
            Some(p) => {
                if w.in_dock(p) {
                    w.enter_dock(p);
                } else {
                    w.focus = p;
                }
                true
            }
            None => false,
        }
    }

    /// Focuses the next pane shown, in tree order (wrapping).
    pub fn focus_next(&mut self) {
        let order = self.current().shown(&self.dock);
        let w = self.current_mut();
        let idx = order.iter().position(|p| *p == w.focus).unwrap_or(0);
        let next = order[(idx + 1) % order.len()];
        if w.in_dock(next) {
            w.enter_dock(next);
        } else {
            w.focus = next;
        }
        w.zoomed = false;
    }

    /// Focuses pane `n` of those shown (0-based tree order).
    pub fn focus_number(&mut self, n: usize) -> bool {
        let order = self.current().shown(&self.dock);
        let w = self.current_mut();
        match order.get(n) {
            Some(p) => {
                if w.in_dock(*p) {
                    w.enter_dock(*p);
                } else {
                    w.focus = *p;
                }
                w.zoomed = false;
                true
            }
            None => false,
        }
    }

    /// Focuses `pane` if it is in the current window (showing the dock, or
    /// leaving its zoom, as needed).
    pub fn focus_pane(&mut self, pane: PaneId) -> bool {
        let prefs = self.dock;
        let w = self.current_mut();
        if w.tree.contains(pane) {
            w.focus = pane;
            if prefs.zoomed && prefs.visible && w.dock.is_some() {
                self.dock.zoomed = false;
                self.dock_changed();
            }
            true
        } else if w.in_dock(pane) {
            w.enter_dock(pane);
            if !prefs.visible {
                self.dock.visible = true;
                self.dock_changed();
            }
            true
        } else {
            false
        }
    }

    /// Toggles zoom of the focused pane.
    pub fn toggle_zoom(&mut self) {
        let shown = self.current().shown(&self.dock).len();
        let w = self.current_mut();
        w.zoomed = !w.zoomed && shown > 1;
    }

    /// Applies `f` to the shown tree (borders only), then keeps the result.
    fn edit_shown_tree<T>(&mut self, f: impl FnOnce(&mut Node, PaneId) -> T) -> T {
        let before = self.dock;
        let mut prefs = before;
        let w = self.current_mut();
        let mut tree = w.shown_tree(&prefs);
        let out = f(&mut tree, w.focus);
        w.set_shown_tree(tree, &mut prefs);
        if prefs != before {
            self.dock = prefs;
            self.dock_changed();
        }
        out
    }

    /// Moves the focused pane's border (tmux resize-pane); the border between
    /// the editor panes and the dock moves like any other.
    pub fn resize(&mut self, dir: Direction, cells: u16, area: Rect) -> bool {
        if self.current().zoomed {
            return false;
        }
        self.edit_shown_tree(|tree, focus| tree.resize(focus, dir, cells, area))
    }

    /// Puts `border` (from this window's layout) at `pos`, as a mouse drag does.
    pub fn drag_border(&mut self, border: &Border, pos: u16) {
        if self.current().zoomed {
            return;
        }
        self.edit_shown_tree(|tree, _| tree.drag_border(border, pos));
    }

    /// Every editor view shown anywhere, with the panes showing it.
    pub fn views(&self) -> impl Iterator<Item = (PaneId, u64)> + '_ {
        self.panes.iter().filter_map(|(id, k)| match k {
            PaneKind::Editor(e) => Some((*id, e.view)),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ed(view: u64) -> PaneKind {
        PaneKind::Editor(EditorPane {
            view,
            ..Default::default()
        })
    }

    #[test]
    fn split_focuses_the_new_pane_and_close_returns_focus() {
        let mut w = Windows::new(ed(10));
        let p2 = w.split(SplitDir::Horizontal, ed(11));
        assert_eq!(w.focus(), p2);
        let area = Rect::new(0, 0, 80, 24);
        assert!(w.focus_dir(Direction::Left, area));
        assert_eq!(w.focus(), 1);
        w.focus_next();
        assert_eq!(w.focus(), p2);
        assert_eq!(w.close_focused(), Some(ed(11)));
        assert_eq!(w.focus(), 1);
        assert_eq!(w.close_focused(), None, "the last pane stays");
    }

    #[test]
    fn windows_open_switch_and_close() {
        let mut w = Windows::new(ed(10));
        w.new_window(ed(11));
        w.new_window(ed(12));
        assert_eq!(w.active, 2);
        w.cycle_window(true);
        assert_eq!(w.active, 0);
        w.cycle_window(false);
        assert_eq!(w.active, 2);
        assert!(w.select_window(1));
        assert!(!w.select_window(5));
        assert_eq!(w.close_focused(), Some(ed(11)));
        assert_eq!(w.windows.len(), 2);
        assert_eq!(w.active, 1);
        assert_eq!(w.views().map(|(_, v)| v).collect::<Vec<_>>(), vec![10, 12]);
    }

    #[test]
    fn zoom_shows_only_the_focused_pane() {
        let mut w = Windows::new(ed(10));
        w.split(SplitDir::Vertical, ed(11));
        w.toggle_zoom();
        let area = Rect::new(0, 0, 80, 24);
        let l = w.layout(area);
        assert_eq!(l.panes, vec![(2, area)]);
        w.toggle_zoom();
        assert_eq!(w.layout(area).panes.len(), 2);
    }

    fn tool(title: &str) -> PaneKind {
        PaneKind::Tool(ToolPane {
            title: title.into(),
            lines: Vec::new(),
        })
    }

    #[test]
    fn tool_panes_open_side_by_side_in_the_dock_not_in_the_focused_pane() {
        let mut w = Windows::new(ed(10));
        w.dock.side = DockSide::Right;
        let area = Rect::new(0, 0, 81, 24);
        let a = w.dock_open(tool("ai"));
        let b = w.dock_open(tool("dag"));
        let c = w.dock_open(tool("pool"));
        assert_eq!(w.focus(), c);
        let l = w.layout(area);
        // The editor keeps its half; the dock's three panes share the other half evenly.
        assert_eq!(l.rect_of(1), Some(Rect::new(0, 0, 40, 24)));
        let heights: Vec<u16> = [a, b, c]
            .iter()
            .map(|p| l.rect_of(*p).map_or(0, |r| r.height))
            .collect();
        assert!(heights.iter().all(|h| (6..=8).contains(h)), "{heights:?}");
        assert!(
            [a, b, c]
                .iter()
                .all(|p| l.rect_of(*p).is_some_and(|r| r.x == 41))
        );
    }

    #[test]
    fn hiding_the_dock_keeps_its_panes_and_returns_the_focus() {
        let mut w = Windows::new(ed(10));
        let area = Rect::new(0, 0, 80, 24);
        let a = w.dock_open(tool("ai"));
        assert!(w.toggle_dock());
        assert_eq!(w.focus(), 1, "the focus goes back to the editor");
        assert_eq!(w.layout(area).panes, vec![(1, area)]);
        assert!(w.panes.contains_key(&a), "the pane and its state stay");
        assert!(w.toggle_dock());
        assert_eq!(w.focus(), a);
        assert_eq!(w.layout(area).panes.len(), 2);
        // Focusing a hidden dock pane shows the dock.
        w.toggle_dock();
        assert!(w.focus_pane(a));
        assert!(w.dock.visible);
    }

    #[test]
    fn the_dock_zooms_resizes_and_flips() {
        let mut w = Windows::new(ed(10));
        w.dock.side = DockSide::Right;
        let area = Rect::new(0, 0, 80, 24);
        assert!(!w.toggle_dock(), "nothing to show");
        let a = w.dock_open(tool("ai"));
        assert!(w.toggle_dock_zoom());
        assert_eq!(w.layout(area).panes, vec![(a, area)]);
        assert!(w.toggle_dock_zoom());
        let before = w.layout(area).rect_of(a).map(|r| r.width);
        w.grow_dock(0.2);
        let after = w.layout(area).rect_of(a).map(|r| r.width);
        assert!(after > before, "{before:?} -> {after:?}");
        // The border between editor and dock moves with the resize keys too.
        assert!(w.resize(Direction::Left, 4, area));
        let wider = w.layout(area).rect_of(a).map(|r| r.width);
        assert!(wider > after, "{after:?} -> {wider:?}");
        w.flip_dock();
        let r = w.layout(area).rect_of(a).unwrap_or_default();
        assert_eq!((r.x, r.width), (0, 80), "now below the editor");
        assert!(r.y > 0);
    }

    #[test]
    fn closing_panes_around_the_dock() {
        let mut w = Windows::new(ed(10));
        let a = w.dock_open(tool("ai"));
        // An editor opened from a dock pane goes beside the editor, not into the dock.
        let e = w.split(SplitDir::Horizontal, ed(11));
        assert!(w.current().tree.contains(e));
        assert!(w.focus_pane(a));
        assert_eq!(w.close_focused(), Some(tool("ai")));
        assert_eq!(w.current().dock, None);
        assert!(w.current().tree.contains(w.focus()));
        // The last editor pane closed with a dock open: the dock's panes take the window.
        let b = w.dock_open(tool("dag"));
        w.focus_pane(e);
        w.close_focused();
        w.focus_pane(1);
        assert_eq!(w.close_focused(), Some(ed(10)));
        assert_eq!(w.focus(), b);
        assert_eq!(w.close_focused(), None, "the last pane stays");
    }
}
