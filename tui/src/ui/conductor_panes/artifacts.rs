//! The artifacts pane: a search box (tantivy query; `kind:` and `tag:`
//! filters), the results with their snippets, and a preview of the
//! selected one, rendered by its kind (to the right when the pane is wide,
//! else below).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};

use super::{artifact_preview, title};
use crate::app::State;
use crate::conductor::{ArtifactsFocus, ArtifactsPane};
use crate::keymap::context::{ArtifactsResultsAction, ArtifactsSearchAction};

fn label(pane: &ArtifactsPane) -> &'static str {
    match pane.focus {
        ArtifactsFocus::Tag => "tag: ",
        _ => "search: ",
    }
}

pub(super) fn render(
    state: &State,
    pane: &ArtifactsPane,
    rect: Rect,
    focused: bool,
    buf: &mut Buffer,
) {
    let keys = &state.config.keymap;
    let head = format!(
        " Artifacts · {} search · {} results · {} open · {} pin · {} tag ",
        keys.hint(ArtifactsSearchAction::Search),
        keys.hint(ArtifactsSearchAction::Results),
        keys.hint(ArtifactsResultsAction::Open),
        keys.hint(ArtifactsResultsAction::Pin),
        keys.hint(ArtifactsResultsAction::Tag),
    );
    title(buf, rect, &head, focused);
    if rect.height < 3 {
        return;
    }
    let width = usize::from(rect.width);
    let input = match pane.focus {
        ArtifactsFocus::Tag => &pane.tag.text,
        _ => &pane.query.text,
    };
    let lab = label(pane);
    buf.set_stringn(
        rect.x,
        rect.y + 1,
        lab,
        width,
        Style::default().add_modifier(Modifier::BOLD),
    );
    buf.set_stringn(
        rect.x + lab.len() as u16,
        rect.y + 1,
        input,
        width.saturating_sub(lab.len()),
        Style::default(),
    );
    let body = Rect::new(rect.x, rect.y + 2, rect.width, rect.height - 2);
    if pane.results.is_empty() {
        let msg = if pane.pending_search.is_some() {
            "Searching…"
        } else if pane.searched {
            "No artifact matches."
        } else {
            "Type a query (e.g. refactor kind:diff tag:keep) and press Enter."
        };
        buf.set_stringn(
            body.x,
            body.y,
            msg,
            width,
            Style::default().fg(Color::DarkGray),
        );
        return;
    }
    let (list, preview) = if body.width >= 60 {
        let w = body.width / 2;
        (
            Rect { width: w, ..body },
            Rect::new(body.x + w + 1, body.y, body.width - w - 1, body.height),
        )
    } else {
        let h = body.height / 2;
        (
            Rect { height: h, ..body },
            Rect::new(body.x, body.y + h, body.width, body.height - h),
        )
    };
    // Two rows per result: the title line and the snippet.
    let per_page = usize::from(list.height / 2).max(1);
    let first = pane.selected.saturating_sub(per_page - 1);
    let lw = usize::from(list.width);
    for (i, hit) in pane.results.iter().enumerate().skip(first).take(per_page) {
        let y = list.y + 2 * (i - first) as u16;
        let mut line = format!(
            "{}[{}] {}",
            if hit.pinned { "* " } else { "  " },
            hit.kind,
            hit.title
        );
        for t in &hit.tags {
            line.push_str(&format!(" #{t}"));
        }
        let mut style = Style::default();
        if i == pane.selected {
            style = style.add_modifier(Modifier::BOLD);
            if focused && pane.focus != ArtifactsFocus::Search {
                style = style.add_modifier(Modifier::REVERSED);
            }
        }
        buf.set_stringn(list.x, y, line, lw, style);
        if y + 1 < list.bottom() {
            let snippet = format!("    {}", hit.snippet.replace('\n', " "));
            buf.set_stringn(
                list.x,
                y + 1,
                snippet,
                lw,
                Style::default().fg(Color::DarkGray),
            );
        }
    }
    if pane.pending_preview.is_some() {
        buf.set_stringn(
            preview.x,
            preview.y,
            "Loading…",
            usize::from(preview.width),
            Style::default().fg(Color::DarkGray),
        );
    }
    if let Some(text) = &pane.preview {
        let pw = usize::from(preview.width);
        let kind = pane
            .results
            .get(pane.selected)
            .map_or("", |h| h.kind.as_str());
        for (i, (r, style)) in artifact_preview::rows(kind, text, pw)
            .into_iter()
            .take(usize::from(preview.height))
            .enumerate()
        {
            buf.set_stringn(preview.x, preview.y + i as u16, r, pw, style);
        }
    }
}

pub(super) fn cursor(pane: &ArtifactsPane, rect: Rect) -> Option<(u16, u16)> {
    let input = match pane.focus {
        ArtifactsFocus::Results => return None,
        ArtifactsFocus::Tag => &pane.tag,
        ArtifactsFocus::Search => &pane.query,
    };
    if rect.height < 3 {
        return None;
    }
    let x = rect.x as usize + label(pane).len() + input.cursor_col();
    Some((
        u16::try_from(x).ok()?.min(rect.right().saturating_sub(1)),
        rect.y + 1,
    ))
}
