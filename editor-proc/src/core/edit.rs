//! Edit commands: view commands change selections; buffer commands compute a delta with a
//! pure function from `edit_ops` and hand it to `apply`, the only place that changes text.

use serde_json::Value;
use xi_rope::{Rope, RopeDelta};

use super::Core;
use crate::buffer::EditKind;
use crate::command::{EditCmd, Gesture};
use crate::edit_ops;
use crate::movement::Movement;
use crate::selection::{InsertDrift, SelRegion, Selection};
use crate::typing;
use crate::view::{SelectionModifier, View};
use crate::view_update;

impl Core {
    /// Handles `edit {view_id, method, params}` and renders the view.
    pub(super) fn edit(&mut self, view_id: &str, cmd: EditCmd) {
        if !self.views.contains_key(view_id) {
            tracing::warn!("edit for unknown view {view_id}");
            return;
        }
        match &cmd {
            EditCmd::ToggleRecording(name) => self.recorder.toggle(name.clone()),
            c if self.recorder.is_recording() && !c.is_special() => self.recorder.record(c),
            _ => {}
        }
        if let EditCmd::RequestLines(first, last) = cmd {
            let Some(view) = self.views.get_mut(view_id) else {
                return;
            };
            let Some(b) = self.buffers.get(&view.buffer) else {
                return;
            };
            let msgs = view_update::request_lines(
                view,
                b.buffer.text(),
                b.buffer.is_pristine(),
                &b.styles,
                first,
                last,
            );
            self.send_all(msgs);
        } else {
            self.dispatch(view_id, cmd);
        }
        self.highlight_lines_in_view(view_id);
        self.render_buffer_views(view_id);
    }

    /// Renders `view_id` and every other view of its buffer whose lines changed.
    fn render_buffer_views(&mut self, view_id: &str) {
        self.render_view(view_id);
        let Some(bid) = self.views.get(view_id).map(|v| v.buffer) else {
            return;
        };
        let others: Vec<String> = self
            .buffers
            .get(&bid)
            .map(|b| b.views.iter().filter(|v| *v != view_id).cloned().collect())
            .unwrap_or_default();
        for v in others {
            let dirty = self
                .views
                .get(&v)
                .is_some_and(|view| view.shadow != Default::default());
            if dirty {
                self.render_view(&v);
            }
        }
    }

    fn text(&self, view_id: &str) -> Option<Rope> {
        self.buffer_of(view_id).map(|b| b.buffer.text().clone())
    }

    fn settings(&self, view_id: &str) -> edit_ops::EditSettings {
        self.views
            .get(view_id)
            .and_then(|v| {
                let b = self.buffers.get(&v.buffer)?;
                Some(self.config.edit_settings(v.buffer, &b.language))
            })
            .unwrap_or_default()
    }

    fn selection(&self, view_id: &str) -> Selection {
        self.views
            .get(view_id)
            .map(|v| v.selection.clone())
            .unwrap_or_default()
    }

    /// Applies a delta made against the current text: the one place where text changes.
    pub(super) fn apply(
        &mut self,
        view_id: &str,
        delta: RopeDelta,
        kind: EditKind,
        drift: InsertDrift,
    ) -> bool {
        let Some(bid) = self.views.get(view_id).map(|v| v.buffer) else {
            return false;
        };
        let Some(b) = self.buffers.get_mut(&bid) else {
            return false;
        };
        let old = b.buffer.text().clone();
        if !b.buffer.apply(delta.clone(), kind, self.force_group) {
            return false;
        }
        self.after_text_change(bid, view_id, &old, &delta, drift);
        true
    }

    /// Brings views (and journal, highlighting) up to date after the buffer's text changed.
    pub(super) fn after_text_change(
        &mut self,
        bid: u64,
        origin: &str,
        old: &Rope,
        delta: &RopeDelta,
        drift: InsertDrift,
    ) {
        let found = self.update_views_after_change(bid, origin, |view, text, is_origin| {
            view.after_edit(text, old, delta, drift, is_origin)
        });
        if found {
            self.text_changed(bid, old, delta);
        }
    }

    /// Bumps buffer `bid`'s revision and calls `update(view, new text, is the origin view)`
    /// for each of its views. Returns false (doing nothing) when there is no such buffer.
    pub(super) fn update_views_after_change(
        &mut self,
        bid: u64,
        origin: &str,
        mut update: impl FnMut(&mut View, &Rope, bool),
    ) -> bool {
        let Some(b) = self.buffers.get_mut(&bid) else {
            return false;
        };
        b.rev += 1;
        let text = b.buffer.text().clone();
        for v in b.views.clone() {
            if let Some(view) = self.views.get_mut(&v) {
                update(view, &text, v == origin);
            }
        }
        true
    }

    /// Applies `delta` (when it changes anything), then puts the carets at `after`
    /// (offsets in the new text) and scrolls to them.
    fn apply_then_select(
        &mut self,
        view_id: &str,
        delta: RopeDelta,
        kind: EditKind,
        after: Selection,
    ) {
        self.apply(view_id, delta, kind, InsertDrift::Default);
        let Some(t) = self.text(view_id) else { return };
        let clamped = after.iter().fold(Selection::new(), |mut s, r| {
            s.add_region(SelRegion::caret(r.end.min(t.len())));
            s
        });
        if let Some(v) = self.views.get_mut(view_id) {
            v.set_selection(&t, clamped);
        }
    }

    fn break_undo_group(&mut self, view_id: &str) {
        if let Some(bid) = self.views.get(view_id).map(|v| v.buffer)
            && let Some(b) = self.buffers.get_mut(&bid)
        {
            b.buffer.break_group();
        }
    }

    fn with_view(&mut self, view_id: &str, f: impl FnOnce(&mut crate::view::View, &Rope)) {
        let Some(text) = self.text(view_id) else {
            return;
        };
        if let Some(v) = self.views.get_mut(view_id) {
            f(v, &text);
        }
        self.break_undo_group(view_id);
    }

    fn dispatch(&mut self, view_id: &str, cmd: EditCmd) {
        let Some(text) = self.text(view_id) else {
            return;
        };
        let sel = self.selection(view_id);
        let page = self.views.get(view_id).map(|v| v.height).unwrap_or(10);
        use EditCmd as E;
        match cmd {
            E::Move(m) => self.with_view(view_id, |v, t| v.do_move(t, m, false)),
            E::ModifySelection(m) => self.with_view(view_id, |v, t| v.do_move(t, m, true)),
            E::SelectAll => self.with_view(view_id, |v, t| v.select_all(t)),
            E::Scroll(a, b) => self.with_view(view_id, |v, _| v.set_scroll(a, b)),
            E::Resize | E::Ignored(_) => self.break_undo_group(view_id),
            E::GotoLine(l) => self.with_view(view_id, |v, t| v.goto_line(t, l)),
            E::RequestLines(..) => {}
            E::AddSelectionAbove => self.with_view(view_id, |v, t| {
                v.add_selection_by_movement(t, Movement::UpExactPosition)
            }),
            E::AddSelectionBelow => self.with_view(view_id, |v, t| {
                v.add_selection_by_movement(t, Movement::DownExactPosition)
            }),
            E::Gesture { line, col, ty } => self.with_view(view_id, |v, t| match ty {
                Gesture::Select { granularity, multi } => {
                    v.gesture_select(t, line, col, granularity, multi)
                }
                Gesture::SelectExtend { granularity } => {
                    v.gesture_extend(t, line, col, granularity)
                }
                Gesture::Drag => v.gesture_drag(t, line, col),
            }),
            E::CollapseSelections => self.with_view(view_id, |v, t| v.collapse_selections(t)),
            E::SelectionIntoLines => self.with_view(view_id, |v, t| v.selection_into_lines(t)),
            E::Insert(chars) => {
                let s = self.settings(view_id);
                let pair = s.surrounding_pairs.iter().find(|p| p.0 == chars).cloned();
                let caret = sel.iter().any(SelRegion::is_caret);
                match pair {
                    Some((open, close)) if !caret => {
                        let d = edit_ops::surround(&text, &sel, &open, &close);
                        self.apply(view_id, d, EditKind::Surround, InsertDrift::Outside);
                    }
                    _ if let Some((d, after)) = typing::type_char(&text, &sel, &chars, &s) => {
                        if d.is_identity() {
                            self.lsp_typed_over(view_id, &chars);
                        }
                        self.apply_then_select(view_id, d, EditKind::InsertChars, after);
                    }
                    _ => {
                        let d = edit_ops::insert(&text, &sel, &chars);
                        self.apply(view_id, d, EditKind::InsertChars, InsertDrift::Default);
                    }
                }
            }
            E::Paste(chars) => {
                let d = edit_ops::paste(&text, &sel, &chars);
                self.apply(view_id, d, EditKind::Other, InsertDrift::Default);
            }
            E::DeleteBackward => {
                let d = edit_ops::delete_backward(&text, &sel, &self.settings(view_id));
                self.apply(view_id, d, EditKind::Delete, InsertDrift::Default);
            }
            E::Delete { movement, kill } => {
                let (d, killed) = edit_ops::delete_by_movement(&text, &sel, movement, page);
                if kill {
                    self.kill_ring = killed;
                }
                self.apply(view_id, d, EditKind::Delete, InsertDrift::Default);
            }
            E::InsertNewline => {
                let (d, after) = typing::insert_newline(&text, &sel, &self.settings(view_id));
                self.apply_then_select(view_id, d, EditKind::InsertNewline, after);
            }
            E::InsertTab => {
                let d = edit_ops::insert_tab(&text, &sel, &self.settings(view_id));
                let multi_line = sel.len() > 1
                    || sel.first().is_some_and(|r| {
                        text.line_of_offset(r.min()) != text.line_of_offset(r.max())
                    });
                let kind = if multi_line {
                    EditKind::Indent
                } else {
                    EditKind::InsertChars
                };
                self.apply(view_id, d, kind, InsertDrift::Default);
            }
            E::Yank => {
                let kr = self.kill_ring.clone();
                let d = edit_ops::insert(&text, &sel, &kr);
                self.apply(view_id, d, EditKind::Other, InsertDrift::Default);
            }
            E::Transpose => {
                let d = edit_ops::transpose(&text, &sel);
                self.apply(view_id, d, EditKind::Transpose, InsertDrift::Inside);
            }
            E::Undo | E::Redo => self.undo_redo(view_id, matches!(cmd, E::Redo)),
            E::Uppercase => {
                let d = edit_ops::transform_text(&text, &sel, str::to_uppercase);
                self.apply(view_id, d, EditKind::Other, InsertDrift::Inside);
            }
            E::Lowercase => {
                let d = edit_ops::transform_text(&text, &sel, str::to_lowercase);
                self.apply(view_id, d, EditKind::Other, InsertDrift::Inside);
            }
            E::Capitalize => {
                let (d, after) = edit_ops::capitalize(&text, &sel);
                self.apply(view_id, d, EditKind::Other, InsertDrift::Default);
                let Some(t) = self.text(view_id) else { return };
                // carets end where each region ended, mapped through the edit by length
                let mapped = after.iter().fold(Selection::new(), |mut s, r| {
                    s.add_region(SelRegion::caret(r.end.min(t.len())));
                    s
                });
                if let Some(v) = self.views.get_mut(view_id) {
                    v.set_selection(&t, mapped);
                }
            }
            E::Indent | E::Outdent => {
                let out = matches!(cmd, E::Outdent);
                let d = edit_ops::modify_indent(&text, &sel, &self.settings(view_id), out);
                let kind = if out {
                    EditKind::Delete
                } else {
                    EditKind::InsertChars
                };
                self.apply(view_id, d, kind, InsertDrift::Default);
            }
            E::DuplicateLine => {
                let d = edit_ops::duplicate_line(&text, &sel);
                self.apply(view_id, d, EditKind::Other, InsertDrift::Default);
            }
            E::IncreaseNumber | E::DecreaseNumber => {
                let step = if matches!(cmd, E::IncreaseNumber) {
                    1
                } else {
                    -1
                };
                let d = edit_ops::change_number(&text, &sel, step);
                self.apply(view_id, d, EditKind::Other, InsertDrift::Default);
            }
            E::Reindent => {
                self.break_undo_group(view_id);
                let d = edit_ops::reindent(&text, &sel, &self.settings(view_id));
                if !d.is_identity() {
                    self.apply(view_id, d, EditKind::Other, InsertDrift::Default);
                }
            }
            E::ToggleComment => {
                let d = edit_ops::toggle_comment(&text, &sel, "// ");
                self.apply(view_id, d, EditKind::Other, InsertDrift::Default);
            }
            E::ToggleRecording(_) => self.break_undo_group(view_id),
            E::ClearRecording(name) => self.recorder.clear(&name),
            E::PlayRecording(name) => {
                let cmds = self.recorder.get(&name);
                self.break_undo_group(view_id);
                self.force_group = false;
                let mut first = true;
                for c in cmds {
                    self.dispatch(view_id, c);
                    if first {
                        self.force_group = true;
                        first = false;
                    }
                }
                self.force_group = false;
                self.break_undo_group(view_id);
            }
            E::Find(mut q) => {
                q.id = self
                    .views
                    .get(view_id)
                    .and_then(|v| v.find.first().map(|f| f.id()));
                self.with_view(view_id, |v, t| v.set_find(t, &[q]));
            }
            E::MultiFind(qs) => self.with_view(view_id, |v, t| v.set_find(t, &qs)),
            E::FindNext {
                reverse,
                wrap,
                modifier,
            } => self.with_view(view_id, |v, t| {
                v.find_next(t, reverse, wrap, modifier);
            }),
            E::FindAll => self.with_view(view_id, |v, t| v.find_all(t)),
            E::HighlightFind(visible) => self.with_view(view_id, |v, t| {
                v.highlight_find = visible;
                v.find_changed = crate::view::FindChange::All;
                v.set_dirty(t);
            }),
            E::SelectionForFind(cs) => self.with_view(view_id, |v, t| v.selection_for_find(t, cs)),
            E::Replace {
                chars,
                preserve_case,
            } => self.with_view(view_id, |v, _| {
                v.replace = Some((chars, preserve_case));
                v.replace_changed = true;
            }),
            E::SelectionForReplace => self.with_view(view_id, |v, t| {
                if let Some(w) = v.selection_word(t) {
                    v.replace = Some((w, false));
                    v.replace_changed = true;
                    v.set_dirty(t);
                }
            }),
            E::ReplaceNext | E::ReplaceAll => self.replace(view_id, matches!(cmd, E::ReplaceAll)),
        }
    }

    fn undo_redo(&mut self, view_id: &str, redo: bool) {
        let Some(bid) = self.views.get(view_id).map(|v| v.buffer) else {
            return;
        };
        let Some(b) = self.buffers.get_mut(&bid) else {
            return;
        };
        let old = b.buffer.text().clone();
        let delta = if redo {
            b.buffer.redo()
        } else {
            b.buffer.undo()
        };
        if let Some(d) = delta {
            self.after_text_change(bid, view_id, &old, &d, InsertDrift::Default);
        }
    }

    fn replace(&mut self, view_id: &str, all: bool) {
        let Some(text) = self.text(view_id) else {
            return;
        };
        let Some(view) = self.views.get_mut(view_id) else {
            return;
        };
        let Some((chars, _)) = view.replace.clone() else {
            return;
        };
        let old_sel = view.selection.clone();
        view.finish_search(&text);
        view.collapse_selections(&text);
        if all {
            view.find_all(&text);
        } else {
            view.find_next(&text, false, true, SelectionModifier::Set);
        }
        let sel = view.selection.clone();
        if sel.iter().any(|r| !r.is_caret()) {
            // each match gets its own text: a regex query's `$1` / `${name}` are
            // its capture groups (see `Find::replacement`)
            let mut b = xi_rope::DeltaBuilder::new(text.len());
            for r in sel.iter() {
                let (s, e) = (r.min(), r.max());
                let with = view
                    .find
                    .iter()
                    .find(|f| f.has_match(s, e))
                    .map_or_else(|| chars.clone(), |f| f.replacement(&text, s, e, &chars));
                b.replace(xi_rope::Interval::new(s, e), Rope::from(with));
            }
            let d = b.build();
            self.apply(view_id, d, EditKind::Other, InsertDrift::Default);
        } else if let Some(v) = self.views.get_mut(view_id) {
            v.set_selection(&text, old_sel);
        }
    }

    /// `copy` / `cut`: the selected text (or null); cut also deletes it.
    pub(super) fn copy_cut(&mut self, view_id: &str, cut: bool) -> Option<Value> {
        let text = self.text(view_id)?;
        let sel = self.selection(view_id);
        let copied = edit_ops::extract(&text, &sel);
        if cut {
            let d = edit_ops::delete_selection(&text, &sel);
            self.apply(view_id, d, EditKind::Delete, InsertDrift::Default);
        }
        self.render_buffer_views(view_id);
        Some(copied.map(Value::String).unwrap_or(Value::Null))
    }
}
