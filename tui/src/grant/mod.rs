//! The first-activation permission prompt: when the extension manager answers
//! `NeedsGrant`, the client shows what the extension asks for; `y` allows it all and
//! the answer is remembered in the extensions settings file (through
//! [`Manager::grant`]), then the extension starts; `n` (or Esc) refuses: it does not
//! start, nothing is saved, and the question comes back at the next activation.
//!
//! Every extension asks once, even one that asks for no permission (it still runs a
//! program), and again when it changed or another extension reuses its id (grants
//! are bound to the extension's identity). Before any of that, a workspace's own
//! extensions need the workspace to be trusted: [`trust`] holds that prompt.

pub mod trust;

use crate::keymap::context::PermissionAction;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Clear, Widget};
use symphony_extensions::config::ConfigError;
use symphony_extensions::{Manager, Manifest, Permissions, StartOutcome};

/// The user's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantAnswer {
    /// Allow what is asked, and remember it.
    Allow,
    /// Refuse (asked again next time).
    Refuse,
}

/// The prompt for one extension.
#[derive(Debug, Clone, PartialEq)]
pub struct GrantPrompt {
    /// The extension's id.
    pub id: String,
    /// Its display name.
    pub name: String,
    /// What its manifest asks for.
    pub asked: Permissions,
    /// Why it is asked (again), shown under the header: it changed since it was
    /// allowed, or it reuses the id of another; it comes with the workspace.
    pub note: Option<String>,
}

impl GrantPrompt {
    /// The prompt for `manifest`.
    pub fn new(manifest: &Manifest) -> Self {
        GrantPrompt {
            id: manifest.id.clone(),
            name: manifest.name.clone(),
            asked: manifest.permissions.clone(),
            note: None,
        }
    }

    /// The prompt with the note `manager` knows for it (see [`GrantPrompt::note`]).
    pub fn noted(mut self, manager: &Manager) -> Self {
        let Some(m) = manager.manifests().iter().find(|m| m.id == self.id) else {
            return self;
        };
        self.note = if manager.config().grant_is_stale(m) {
            Some("Asked again: it changed since you allowed it, or it is another extension with this id.".into())
        } else if m.origin == symphony_extensions::Origin::Workspace {
            Some(format!("It comes with this workspace: {}", m.dir.display()))
        } else {
            None
        };
        self
    }

    /// The prompt for a `NeedsGrant` outcome of the manager (the name looked up in
    /// its manifests).
    pub fn for_outcome(manager: &Manager, outcome: &StartOutcome) -> Option<Self> {
        let StartOutcome::NeedsGrant { id, asked } = outcome else {
            return None;
        };
        let name = manager
            .manifests()
            .iter()
            .find(|m| &m.id == id)
            .map_or_else(|| id.clone(), |m| m.name.clone());
        Some(
            GrantPrompt {
                id: id.clone(),
                name,
                asked: asked.clone(),
                note: None,
            }
            .noted(manager),
        )
    }

    /// What is asked, one permission a line, in words.
    pub fn lines(&self) -> Vec<String> {
        let mut out = self.asked.words();
        if out.is_empty() {
            out.push("run its program (it asks for no editor permission)".to_string());
        }
        out
    }

    /// The answer a `permission` key gives (by default `y` allows, `n` or
    /// Esc refuses).
    pub fn handle(&self, key: PermissionAction) -> GrantAnswer {
        match key {
            PermissionAction::Allow => GrantAnswer::Allow,
            PermissionAction::Refuse => GrantAnswer::Refuse,
        }
    }

    /// The answer a key gives in `keymap`'s `permission` context (`None`:
    /// the key answers nothing).
    pub fn handle_key(
        &self,
        keymap: &crate::keymap::Keymap,
        key: &crossterm::event::KeyEvent,
    ) -> Option<GrantAnswer> {
        keymap.get(key).map(|a| self.handle(a))
    }

    /// Carries out `answer`: allowing saves the grant and starts the extension (the
    /// manager's outcome is returned); refusing changes nothing (`None`).
    pub fn apply(
        &self,
        answer: GrantAnswer,
        manager: &mut Manager,
    ) -> Result<Option<StartOutcome>, ConfigError> {
        match answer {
            GrantAnswer::Refuse => {
                tracing::info!(ext = %self.id, "permissions refused");
                Ok(None)
            }
            GrantAnswer::Allow => {
                self.grant(manager)?;
                Ok(Some(manager.start(&self.id)))
            }
        }
    }

    /// Remembers that the user allowed what is asked, without starting the
    /// extension (an instrument or operator that starts on first use).
    pub fn grant(&self, manager: &mut Manager) -> Result<(), ConfigError> {
        manager.grant(&self.id, self.asked.clone())?;
        tracing::info!(ext = %self.id, "permissions granted");
        Ok(())
    }
}

/// Draws the prompt as a box centred in `area`.
pub fn render(prompt: &GrantPrompt, area: Rect, buf: &mut Buffer) {
    let items = prompt.lines();
    let header = format!("Extension \"{}\" ({}) asks to:", prompt.name, prompt.id);
    let footer = "y allow and remember · n refuse";
    let widest = items
        .iter()
        .map(|l| l.chars().count() + 4)
        .chain([header.chars().count(), footer.chars().count()])
        .chain(prompt.note.iter().map(|n| n.chars().count()))
        .max()
        .unwrap_or(0);
    let w = (widest as u16 + 4).min(area.width);
    let note_rows = u16::from(prompt.note.is_some());
    let h = (items.len() as u16 + 6 + note_rows).min(area.height);
    if w < 4 || h < 3 {
        return;
    }
    let x = area.x + (area.width - w) / 2;
    let y = area.y + (area.height - h) / 2;
    let rect = Rect::new(x, y, w, h);
    draw_frame(rect, " Permissions ", buf);
    let inner = usize::from(w.saturating_sub(4));
    let mut row = rect.y + 1;
    let mut put = |text: &str, style: Style| {
        if row < rect.bottom() - 1 {
            buf.set_stringn(rect.x + 2, row, text, inner, style);
            row += 1;
        }
    };
    put(&header, Style::default().add_modifier(Modifier::BOLD));
    if let Some(n) = &prompt.note {
        put(n, Style::default().fg(Color::Yellow));
    }
    put("", Style::default());
    for l in &items {
        put(&format!("  • {l}"), Style::default());
    }
    put("", Style::default());
    put(footer, Style::default().fg(Color::Cyan));
}

/// Clears `rect` and draws a yellow box around it with `title` on its top edge.
fn draw_frame(rect: Rect, title: &str, buf: &mut Buffer) {
    let frame = Style::default().fg(Color::Yellow);
    // Nothing drawn before (pane text, borders) may show through the box.
    Clear.render(rect, buf);
    buf.set_style(rect, Style::default().bg(Color::Black).fg(Color::White));
    for cx in rect.x..rect.right() {
        buf.set_stringn(cx, rect.y, "─", 1, frame);
        buf.set_stringn(cx, rect.bottom() - 1, "─", 1, frame);
    }
    for cy in rect.y..rect.bottom() {
        buf.set_stringn(rect.x, cy, "│", 1, frame);
        buf.set_stringn(rect.right() - 1, cy, "│", 1, frame);
    }
    for (cx, cy, c) in [
        (rect.x, rect.y, "┌"),
        (rect.right() - 1, rect.y, "┐"),
        (rect.x, rect.bottom() - 1, "└"),
        (rect.right() - 1, rect.bottom() - 1, "┘"),
    ] {
        buf.set_stringn(cx, cy, c, 1, frame);
    }
    buf.set_stringn(
        rect.x + 2,
        rect.y,
        title,
        usize::from(rect.width.saturating_sub(4)),
        frame,
    );
}
