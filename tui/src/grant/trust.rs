//! The workspace trust prompt: shown once when a workspace that was never decided
//! about has extensions that would run. Typing cannot answer it: letters are ignored,
//! an arrow (or Tab) picks "Trust" or "Don't trust" and Enter confirms the pick
//! (nothing is picked at first, so a stray Enter does nothing). Esc closes it for this
//! session without deciding (the extensions stay inert, asked again next time).

use std::path::PathBuf;

#[cfg(test)]
use crossterm::event::KeyEvent;

use crate::keymap::context::TrustAction;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};

/// What the user decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustAnswer {
    /// Trust the workspace (remembered).
    Trust,
    /// Do not trust it (remembered; not asked again).
    DontTrust,
    /// Closed without deciding (asked again next session).
    Later,
}

/// The two buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustChoice {
    /// "Trust".
    Trust,
    /// "Don't trust".
    DontTrust,
}

/// The prompt for one workspace.
#[derive(Debug, Clone, PartialEq)]
pub struct TrustPrompt {
    /// The workspace (canonical).
    pub workspace: PathBuf,
    /// The extensions that would run: (id, name).
    pub extensions: Vec<(String, String)>,
    /// The button picked with the arrows, if any.
    pub selected: Option<TrustChoice>,
}

impl TrustPrompt {
    /// The prompt for `workspace` with these extensions (id, name).
    pub fn new(workspace: PathBuf, extensions: Vec<(String, String)>) -> Self {
        TrustPrompt {
            workspace,
            extensions,
            selected: None,
        }
    }

    /// Handles a key: arrows and Tab move the pick, Enter confirms it, Esc closes;
    /// any other key (letters, digits, Enter with nothing picked) does nothing.
    pub fn handle(&mut self, key: TrustAction) -> Option<TrustAnswer> {
        match key {
            TrustAction::ChooseTrust => {
                self.selected = Some(TrustChoice::Trust);
                None
            }
            TrustAction::ChooseDontTrust => {
                self.selected = Some(TrustChoice::DontTrust);
                None
            }
            TrustAction::Toggle => {
                self.selected = Some(match self.selected {
                    Some(TrustChoice::Trust) => TrustChoice::DontTrust,
                    _ => TrustChoice::Trust,
                });
                None
            }
            TrustAction::Accept => self.selected.map(|c| match c {
                TrustChoice::Trust => TrustAnswer::Trust,
                TrustChoice::DontTrust => TrustAnswer::DontTrust,
            }),
            TrustAction::Later => Some(TrustAnswer::Later),
        }
    }

    /// The answer a key gives in the default keymap (tests).
    #[cfg(test)]
    pub fn handle_key(&mut self, key: &KeyEvent) -> Option<TrustAnswer> {
        crate::keymap::Keymap::default_keymap()
            .get(key)
            .and_then(|a| self.handle(a))
    }

    /// The text lines of the box, top first (buttons last).
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![
            "Do you trust the authors of this folder?".to_string(),
            self.workspace.display().to_string(),
            String::new(),
            "It holds extensions that run programs on your computer:".to_string(),
        ];
        for (id, name) in &self.extensions {
            if id == name {
                out.push(format!("  • {id}"));
            } else {
                out.push(format!("  • {name} ({id})"));
            }
        }
        out.push(String::new());
        out.push("Until you trust it they are listed but do not run.".to_string());
        out.push("←/→ pick · Enter confirm · Esc decide later".to_string());
        out
    }
}

const TRUST: &str = "[ Trust ]";
const DONT: &str = "[ Don't trust ]";

/// Draws the prompt as a box centred in `area`.
pub fn render(prompt: &TrustPrompt, area: Rect, buf: &mut Buffer) {
    let lines = prompt.lines();
    let buttons = format!("{TRUST}   {DONT}");
    let widest = lines
        .iter()
        .map(|l| l.chars().count())
        .chain([buttons.chars().count()])
        .max()
        .unwrap_or(0);
    let w = (widest as u16 + 4).min(area.width);
    let h = (lines.len() as u16 + 4).min(area.height);
    if w < 4 || h < 3 {
        return;
    }
    let x = area.x + (area.width - w) / 2;
    let y = area.y + (area.height - h) / 2;
    let rect = Rect::new(x, y, w, h);
    super::draw_frame(rect, " Workspace trust ", buf);
    let inner = usize::from(w.saturating_sub(4));
    for (row, (i, l)) in (rect.y + 1..).zip(lines.iter().enumerate()) {
        if row >= rect.bottom() - 2 {
            break;
        }
        let style = match i {
            0 => Style::default().add_modifier(Modifier::BOLD),
            _ if i + 1 == lines.len() => Style::default().fg(Color::Cyan),
            _ => Style::default(),
        };
        buf.set_stringn(rect.x + 2, row, l, inner, style);
    }
    let row = rect.bottom() - 2;
    let pick = |c: TrustChoice| {
        if prompt.selected == Some(c) {
            Style::default()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::default()
        }
    };
    let bx = rect.x + 2;
    buf.set_stringn(bx, row, TRUST, inner, pick(TrustChoice::Trust));
    let dx = bx + TRUST.chars().count() as u16 + 3;
    if dx < rect.right() - 1 {
        let room = usize::from(rect.right() - 1 - dx);
        buf.set_stringn(dx, row, DONT, room, pick(TrustChoice::DontTrust));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn typing_cannot_answer_the_trust_prompt() {
        let mut p = TrustPrompt::new("/w".into(), vec![("x".into(), "X".into())]);
        for c in "yes trust y\n".chars() {
            assert_eq!(p.handle_key(&key(KeyCode::Char(c))), None);
        }
        assert_eq!(p.handle_key(&key(KeyCode::Enter)), None, "nothing picked");
        assert_eq!(p.handle_key(&key(KeyCode::Left)), None);
        assert_eq!(p.selected, Some(TrustChoice::Trust));
        assert_eq!(p.handle_key(&key(KeyCode::Char('n'))), None);
        assert_eq!(p.handle_key(&key(KeyCode::Enter)), Some(TrustAnswer::Trust));
        assert_eq!(p.handle_key(&key(KeyCode::Right)), None);
        assert_eq!(
            p.handle_key(&key(KeyCode::Enter)),
            Some(TrustAnswer::DontTrust)
        );
        assert_eq!(p.handle_key(&key(KeyCode::Esc)), Some(TrustAnswer::Later));
    }
}
