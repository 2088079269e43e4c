//! The client's state and the one way to change it: events become actions
//! ([`input`]), [`update()`] applies actions, [`session_events`] applies what
//! the editor process says; [`run`] is the `select!` loop around them.

pub mod echo;
pub mod edits;
pub mod effect;
pub mod frame;
pub mod input;
mod mouse;
pub mod port;
pub mod run;
pub mod session_events;
pub mod update;
pub mod views;

use std::collections::HashMap;
use std::path::PathBuf;

use ratatui::layout::Rect;
use symphony_protocol::xi::{StyleDef, ThemeSettings};

use crate::config::Config;
use crate::linecache::LineCache;
use crate::overlays::Overlay;
use crate::panes::{Border, EditorPane, PaneKind, Windows};
use crate::ui::colors::ColorMode;

pub use port::{EditorPort, PortCall, RecordingPort};
pub use update::update;

/// Everything known about one editor view.
#[derive(Debug, Clone, Default)]
pub struct ViewData {
    /// The lines as the core last sent them.
    pub cache: LineCache,
    /// The file, `None` for a new buffer.
    pub path: Option<PathBuf>,
    /// Language name (from `language_changed`).
    pub language: String,
    /// `"LF"` or `"CRLF"` (from `config_changed`).
    pub line_ending: String,
    /// Where the caret is (0-based line, byte column), from `scroll_to`.
    pub caret: (usize, usize),
    /// Matches of the current find, when known.
    pub find_matches: Option<usize>,
    /// The editor is still searching: `find_matches` counts the matches so far.
    pub find_counting: bool,
    /// The editor could not open it: the message.
    pub open_error: Option<String>,
    /// Last `resize` sent (columns, rows).
    pub sent_size: Option<(usize, usize)>,
    /// Last `scroll` range sent.
    pub sent_scroll: Option<(usize, usize)>,
    /// Sequence number of the last update received (orders views of one file).
    pub updated_at: u64,
    /// What its language server says (diagnostics, signature help).
    pub lsp: crate::lsp::ViewLsp,
    /// `"changed"` or `"removed"` while its file changed on disk behind unsaved edits
    /// (`symphony.disk_state`); the status line warns until a save or reload.
    pub disk_state: Option<String>,
    /// A save under a new name in flight: the view takes the name when it is saved.
    pub save_to: Option<PathBuf>,
    /// The name shown for an unnamed buffer, e.g. `notes.txt (recovered)`.
    pub title_hint: Option<String>,
}

impl ViewData {
    /// A view of `path` with nothing received yet.
    pub fn new(path: Option<PathBuf>) -> Self {
        ViewData {
            path,
            cache: LineCache::new(),
            line_ending: "LF".into(),
            ..Default::default()
        }
    }

    /// The name shown for the buffer.
    pub fn title(&self) -> String {
        match &self.path {
            Some(p) => p.display().to_string(),
            None => self.title_hint.clone().unwrap_or_else(|| "[new]".into()),
        }
    }

    /// Unsaved changes, as this view last heard (see [`State::is_dirty`]).
    pub fn dirty(&self) -> bool {
        !self.cache.pristine()
    }
}

/// How many messages "Show messages" keeps.
pub const MESSAGE_LOG: usize = 200;

/// A message for the user; it never takes the focus and goes at the next key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The text.
    pub text: String,
    /// Shown in the error colour.
    pub error: bool,
}

/// A mouse drag in progress.
#[derive(Debug, Clone, PartialEq)]
pub enum Drag {
    /// Moving a border.
    Border(Border),
    /// Selecting text in a pane.
    Select(u64),
}

/// Work for the loop to run off the input path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Task {
    /// List the files under a directory (honouring .gitignore) for the picker.
    ListFiles(PathBuf),
    /// Run a project search, streaming its hits back as actions.
    ProjectSearch(crate::search::Job),
    /// Read a project search hit's surroundings for its preview.
    ProjectSearchPreview(crate::overlays::project_search::PreviewJob),
    /// Commit the staged changes in `dir` with this message (`git commit -F`).
    GitCommit {
        /// The workspace.
        dir: PathBuf,
        /// The commit message.
        message: String,
    },
}

/// The whole client state. Rendering only reads it.
pub struct State {
    /// Settings and keymap.
    pub config: Config,
    /// Windows and panes.
    pub windows: Windows,
    /// Every open view by handle.
    pub views: HashMap<u64, ViewData>,
    /// Views open in the editor but shown in no pane, most recent last.
    pub hidden: Vec<u64>,
    /// Styles from `def_style`.
    pub styles: HashMap<u64, StyleDef>,
    /// The theme's colours.
    pub theme: ThemeSettings,
    /// Truecolor or 256 colours.
    pub color_mode: ColorMode,
    /// Terminal size.
    pub size: (u16, u16),
    /// Prompts, pickers and popups; the last one gets keys first.
    pub overlays: Vec<Overlay>,
    /// The prefix key was pressed; the next key is a pane/window command.
    pub prefix_pending: bool,
    /// The loop drew the next action's keystroke ahead of `update` (which
    /// then does not predict it again).
    pub echo_predicted: bool,
    /// The message shown at the bottom.
    pub message: Option<Message>,
    /// Every message shown this session, oldest first (the last
    /// [`MESSAGE_LOG`]), for "Show messages".
    pub messages: Vec<Message>,
    /// The editor process's state, for the status line.
    pub editor_status: String,
    /// Views whose crash journal cannot be written, with why (shown on the status line
    /// until the editor says it works again).
    pub journal_failures: HashMap<u64, String>,
    /// The internal clipboard.
    pub clipboard: Option<String>,
    /// Counter of updates received, to know which view of a file heard last.
    pub update_seq: u64,
    /// Text to hand the terminal's clipboard (OSC 52), drained by the loop.
    pub osc52: Vec<String>,
    /// Work for the loop, drained by it.
    pub tasks: Vec<Task>,
    /// Mouse drag in progress.
    pub drag: Option<Drag>,
    /// The last left click (time, cell, count) to spot double and triple clicks.
    pub last_click: Option<(std::time::Instant, u16, u16, u8)>,
    /// Set when the client should exit.
    pub quit: bool,
    /// Set when the client that pressed the key should detach from its session.
    pub detach: bool,
    /// The working directory (file picker root, relative paths).
    pub cwd: PathBuf,
    /// Themes the editor offers.
    pub themes: Vec<String>,
    /// The last find query (prefills the find bar).
    pub last_find: String,
    /// The editor process.
    pub editor: Box<dyn EditorPort>,
    /// The Conductor (AI) as the client sees it: runs, chat, reviews.
    pub conductor: crate::conductor::ConductorState,
    /// The id of the next [`State::request`] to the editor.
    pub next_request: u64,
    /// Requests to the editor in flight (request id -> whose answer it is): replies are
    /// routed by it.
    pub replies: std::collections::HashMap<u64, crate::session::ReplyKind>,
    /// `symphony.disk_diff` requests in flight (request id -> view), shown when answered.
    pub disk_diffs: std::collections::HashMap<u64, u64>,
    /// Language intelligence: popups, jump list, requests in flight.
    pub lsp: crate::lsp::LspState,
    /// Extensions: motif panes' clients, the permission prompt, host services.
    pub motifs: crate::motif::MotifState,
    /// Inline completion: the typing pause, the request in flight, the ghost text.
    pub ghost: crate::completion::GhostState,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("windows", &self.windows)
            .field("overlays", &self.overlays.len())
            .finish_non_exhaustive()
    }
}

impl State {
    /// A state with one pane showing a view of `first` (a file or a new buffer).
    pub fn new(config: Config, mut editor: Box<dyn EditorPort>, first: Option<PathBuf>) -> State {
        editor.set_theme(&config.theme);
        let view = editor.open(first.clone());
        let mut views = HashMap::new();
        views.insert(view, ViewData::new(first));
        let pane = PaneKind::Editor(EditorPane {
            view,
            ..Default::default()
        });
        State {
            config,
            windows: Windows::new(pane),
            views,
            hidden: Vec::new(),
            styles: HashMap::new(),
            theme: ThemeSettings::default(),
            color_mode: ColorMode::TrueColor,
            size: (80, 24),
            overlays: Vec::new(),
            prefix_pending: false,
            echo_predicted: false,
            message: None,
            messages: Vec::new(),
            editor_status: "starting".into(),
            journal_failures: HashMap::new(),
            clipboard: None,
            update_seq: 0,
            osc52: Vec::new(),
            tasks: Vec::new(),
            drag: None,
            last_click: None,
            quit: false,
            detach: false,
            cwd: std::env::current_dir().unwrap_or_default(),
            themes: Vec::new(),
            last_find: String::new(),
            editor,
            conductor: crate::conductor::ConductorState::default(),
            next_request: 1,
            replies: std::collections::HashMap::new(),
            disk_diffs: std::collections::HashMap::new(),
            lsp: crate::lsp::LspState::default(),
            motifs: crate::motif::MotifState::default(),
            ghost: crate::completion::GhostState::default(),
        }
    }

    /// Sends a request about `view` to the editor and returns its id; the
    /// answer arrives as `SessionEvent::Reply` with that id.
    pub fn request(&mut self, view: u64, request: crate::session::Request) -> u64 {
        let id = self.next_request;
        self.next_request += 1;
        self.send_request(view, id, request);
        id
    }

    /// Sends `request` about `view` as request `id` (an id a feature took from
    /// [`effect::RequestIds`]); its answer is routed by the request's kind.
    pub fn send_request(&mut self, view: u64, id: u64, request: crate::session::Request) {
        self.next_request = self.next_request.max(id + 1);
        self.replies.insert(id, request.reply_kind());
        self.editor.request(view, id, request);
    }

    /// The rectangle the panes share (the screen less the status line). While an
    /// error message shows, the panes are drawn in its upper part (the message
    /// has the rows above the status line) but keep this size: a message, gone
    /// at the next key, does not resize every view.
    pub fn pane_area(&self) -> Rect {
        Rect::new(0, 0, self.size.0, self.size.1.saturating_sub(1))
    }

    /// The focused pane's editor, if it shows one.
    pub fn focused_editor(&self) -> Option<&EditorPane> {
        match self.windows.focused() {
            Some(PaneKind::Editor(e)) => Some(e),
            _ => None,
        }
    }

    /// The focused view's handle.
    pub fn focused_view(&self) -> Option<u64> {
        self.focused_editor().map(|e| e.view)
    }

    /// The focused view's data.
    pub fn focused_data(&self) -> Option<&ViewData> {
        self.focused_view().and_then(|v| self.views.get(&v))
    }

    /// Shows a message that does not take the focus.
    pub fn say(&mut self, text: impl Into<String>) {
        self.show(Message {
            text: text.into(),
            error: false,
        });
    }

    fn show(&mut self, m: Message) {
        if self.messages.len() >= MESSAGE_LOG {
            self.messages.remove(0);
        }
        self.messages.push(m.clone());
        self.message = Some(m);
    }

    /// Shows an error message that does not take the focus.
    pub fn error(&mut self, text: impl Into<String>) {
        self.show(Message {
            text: text.into(),
            error: true,
        });
    }

    /// Whether the buffer behind `view` has unsaved changes. Several views
    /// of one file share a buffer: the view that heard from the core last
    /// knows its state.
    pub fn is_dirty(&self, view: u64) -> bool {
        let Some(data) = self.views.get(&view) else {
            return false;
        };
        if data.path.is_none() {
            return data.dirty();
        }
        self.views
            .values()
            .filter(|d| d.path == data.path)
            .max_by_key(|d| d.updated_at)
            .is_some_and(|d| d.dirty())
    }

    /// Buffers with unsaved changes, one per file (several views of one
    /// file are one buffer), by title.
    pub fn dirty_buffers(&self) -> Vec<String> {
        let mut ids: Vec<(&u64, &ViewData)> = self
            .views
            .iter()
            .filter(|(id, _)| self.is_dirty(**id))
            .collect();
        ids.sort_by_key(|(id, _)| **id);
        let mut out: Vec<String> = Vec::new();
        for (id, d) in ids {
            let title = match &d.path {
                Some(_) => d.title(),
                None => format!("[new {id}]"),
            };
            if !out.contains(&title) {
                out.push(title);
            }
        }
        out
    }
}
