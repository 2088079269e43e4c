//! Panes and windows, tmux style: each window is a split tree of panes; a
//! pane shows an editor view or a tool (the kind is an open enum).

pub mod tree;

use std::collections::BTreeMap;

use ratatui::layout::Rect;

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

/// One window: a split tree and the focused pane.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// The split tree.
    pub tree: Node,
    /// The focused pane.
    pub focus: PaneId,
    /// Whether the focused pane fills the window.
    pub zoomed: bool,
}

impl Window {
    /// The layout of this window in `area` (only the focused pane if zoomed).
    pub fn layout(&self, area: Rect) -> Layout {
        if self.zoomed {
            Layout {
                panes: vec![(self.focus, area)],
                borders: Vec::new(),
            }
        } else {
            self.tree.layout(area)
        }
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
    next_id: PaneId,
}

impl Windows {
    /// One window with one pane.
    pub fn new(first: PaneKind) -> Windows {
        let mut panes = BTreeMap::new();
        panes.insert(1, first);
        Windows {
            windows: vec![Window {
                tree: Node::Leaf(1),
                focus: 1,
                zoomed: false,
            }],
            active: 0,
            panes,
            next_id: 2,
        }
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
    pub fn split(&mut self, dir: SplitDir, kind: PaneKind) -> PaneId {
        let id = self.next_id;
        self.next_id += 1;
        self.panes.insert(id, kind);
        let w = self.current_mut();
        w.zoomed = false;
        let focus = w.focus;
        w.tree.split(focus, dir, id);
        w.focus = id;
        id
    }

    /// Closes the focused pane and returns what it showed. Closing the last
    /// pane of a window closes the window; closing the very last pane
    /// returns `None` and changes nothing (the caller quits instead).
    pub fn close_focused(&mut self) -> Option<PaneKind> {
        let total: usize = self.windows.iter().map(|w| w.tree.leaves().len()).sum();
        if total <= 1 {
            return None;
        }
        let active = self.active.min(self.windows.len() - 1);
        let w = &mut self.windows[active];
        let focus = w.focus;
        let order = w.tree.leaves();
        if order.len() == 1 {
            self.windows.remove(active);
            self.active = active.min(self.windows.len() - 1);
        } else {
            let idx = order.iter().position(|p| *p == focus).unwrap_or(0);
            w.tree.remove(focus);
            let rest = w.tree.leaves();
            w.focus = rest[idx.saturating_sub(1).min(rest.len() - 1)];
            w.zoomed = false;
        }
        self.panes.remove(&focus)
    }

    /// Opens a new window with one pane showing `kind`, and shows it.
    pub fn new_window(&mut self, kind: PaneKind) -> PaneId {
        let id = self.next_id;
        self.next_id += 1;
        self.panes.insert(id, kind);
        self.windows.push(Window {
            tree: Node::Leaf(id),
            focus: id,
            zoomed: false,
        });
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
        let w = self.current_mut();
        if w.zoomed {
            return false;
        }
        match tree::neighbour(&w.tree.layout(area), w.focus, dir) {
            Some(p) => {
                w.focus = p;
                true
            }
            None => false,
        }
    }

    /// Focuses the next pane in tree order (wrapping).
    pub fn focus_next(&mut self) {
        let w = self.current_mut();
        let order = w.tree.leaves();
        let idx = order.iter().position(|p| *p == w.focus).unwrap_or(0);
        w.focus = order[(idx + 1) % order.len()];
        w.zoomed = false;
    }

    /// Focuses pane `n` of the window (0-based tree order).
    pub fn focus_number(&mut self, n: usize) -> bool {
        let w = self.current_mut();
        match w.tree.leaves().get(n) {
            Some(p) => {
                w.focus = *p;
                w.zoomed = false;
                true
            }
            None => false,
        }
    }

    /// Focuses `pane` if it is in the current window.
    pub fn focus_pane(&mut self, pane: PaneId) -> bool {
        let w = self.current_mut();
        if w.tree.contains(pane) {
            w.focus = pane;
            true
        } else {
            false
        }
    }

    /// Toggles zoom of the focused pane.
    pub fn toggle_zoom(&mut self) {
        let w = self.current_mut();
        w.zoomed = !w.zoomed && w.tree.leaves().len() > 1;
    }

    /// Moves the focused pane's border (tmux resize-pane).
    pub fn resize(&mut self, dir: Direction, cells: u16, area: Rect) -> bool {
        let w = self.current_mut();
        if w.zoomed {
            return false;
        }
        let focus = w.focus;
        w.tree.resize(focus, dir, cells, area)
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
        let l = w.current().layout(area);
        assert_eq!(l.panes, vec![(2, area)]);
        w.toggle_zoom();
        assert_eq!(w.current().layout(area).panes.len(), 2);
    }
}
