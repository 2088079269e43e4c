//! The project search picker: a query typed at the top, the matching lines of every file
//! under the working folder streamed in below as the search (off the UI thread, see
//! [`crate::search`]) finds them, a preview of the selected hit's surroundings, Enter
//! jumps there. Each keystroke cancels the running search and starts a new one.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::input::LineInput;
use super::pickers::move_selection;
use super::{Outcome, OverlayInput};
use crate::action::Action;
use crate::keymap::context::PickerAction;
use crate::lsp::{LspAction, Target};
use crate::search::{Hit, Job, Summary};

/// Lines of context the preview reads on each side of the hit.
pub const PREVIEW_CONTEXT: usize = 6;

/// Files larger than this are not previewed (bytes).
const MAX_PREVIEW_FILE: u64 = 8 << 20;

/// Where the current search is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchState {
    /// Nothing typed.
    Idle,
    /// Running.
    Searching,
    /// Finished.
    Done(Summary),
}

/// The project search picker.
#[derive(Debug, Clone)]
pub struct ProjectSearch {
    /// The query.
    pub input: LineInput,
    /// The folder searched.
    pub root: PathBuf,
    /// The hits so far, in the order they were found.
    pub hits: Vec<Hit>,
    /// Index into `hits`.
    pub selected: usize,
    /// The current search's number.
    pub generation: u64,
    /// Where it is.
    pub state: SearchState,
    /// The query was not a valid regex and is searched as text.
    pub literal: bool,
    /// The selected hit's surroundings: (hit index, first line number, lines).
    pub preview: Option<(usize, usize, Vec<String>)>,
    /// The hit whose preview is being read (the preview says "Loading…").
    pub preview_pending: Option<usize>,
    /// A preview read asked for and not handed to the loop yet
    /// ([`Self::take_preview_job`]).
    preview_job: Option<PreviewJob>,
    cancel: Arc<AtomicBool>,
}

/// A preview read for the loop to run off its thread ([`PreviewJob::read`]); its answer
/// comes back as [`Action::ProjectSearchPreview`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewJob {
    /// The search the hit belongs to.
    pub generation: u64,
    /// The hit's index.
    pub index: usize,
    /// The file.
    pub path: PathBuf,
    /// The hit's 0-based line.
    pub line: usize,
}

/// The lines read around a hit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewRead {
    /// The search the hit belongs to.
    pub generation: u64,
    /// The hit's index.
    pub index: usize,
    /// 0-based number of `lines[0]`.
    pub first_line: usize,
    /// The lines (empty when the file could not be read).
    pub lines: Vec<String>,
}

impl PreviewJob {
    /// Reads the lines around the hit (the disk: call it off the UI thread).
    pub fn read(&self) -> PreviewRead {
        PreviewRead {
            generation: self.generation,
            index: self.index,
            first_line: self.line.saturating_sub(PREVIEW_CONTEXT),
            lines: read_around(&self.path, self.line),
        }
    }
}

impl PartialEq for ProjectSearch {
    fn eq(&self, other: &Self) -> bool {
        self.root == other.root
            && self.input == other.input
            && self.generation == other.generation
            && self.hits == other.hits
    }
}

impl ProjectSearch {
    /// An empty picker over `root`.
    pub fn new(root: PathBuf) -> ProjectSearch {
        ProjectSearch {
            input: LineInput::default(),
            root,
            hits: Vec::new(),
            selected: 0,
            generation: 0,
            state: SearchState::Idle,
            literal: false,
            preview: None,
            preview_pending: None,
            preview_job: None,
            cancel: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Stops the running search (a new query, or the picker closes).
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Starts over for the current query: cancels the old search, clears the hits and
    /// returns the job to run (none for an empty query).
    pub fn restart(&mut self) -> Option<Job> {
        self.cancel();
        self.generation += 1;
        self.hits.clear();
        self.selected = 0;
        self.preview = None;
        self.preview_pending = None;
        self.preview_job = None;
        let query = self.input.text.clone();
        self.literal = crate::search::query_regex(&query).is_some_and(|(_, lit)| lit);
        if query.is_empty() {
            self.state = SearchState::Idle;
            return None;
        }
        self.state = SearchState::Searching;
        self.cancel = Arc::new(AtomicBool::new(false));
        Some(Job {
            root: self.root.clone(),
            query,
            generation: self.generation,
            cancel: Arc::clone(&self.cancel),
        })
    }

    /// Hits of search `generation` arrived (older searches' are dropped).
    pub fn add_hits(&mut self, generation: u64, hits: Vec<Hit>) {
        if generation == self.generation {
            self.hits.extend(hits);
            self.load_preview();
        }
    }

    /// Search `generation` finished.
    pub fn finished(&mut self, generation: u64, summary: Summary) {
        if generation == self.generation {
            self.state = SearchState::Done(summary);
        }
    }

    /// The title line: the count and where the search is.
    pub fn status(&self) -> String {
        let lit = if self.literal { ", as text" } else { "" };
        match &self.state {
            SearchState::Idle => " Search the project (regex, smart case) ".into(),
            SearchState::Searching => {
                format!(" {} matches so far, searching…{lit} ", self.hits.len())
            }
            SearchState::Done(s) => {
                let more = if s.truncated { "+" } else { "" };
                let n = self.hits.len();
                format!(
                    " {n}{more} match{} in {} file{} searched{lit} ",
                    if n == 1 { "" } else { "es" },
                    s.files,
                    if s.files == 1 { "" } else { "s" }
                )
            }
        }
    }

    /// Asks for the selected hit's surroundings once: the read runs off the loop's
    /// thread ([`Self::take_preview_job`]) and the preview says "Loading…" until
    /// [`Self::preview_read`] brings it.
    fn load_preview(&mut self) {
        let Some(hit) = self.hits.get(self.selected) else {
            self.preview = None;
            self.preview_pending = None;
            return;
        };
        if self.preview.as_ref().is_some_and(|p| p.0 == self.selected)
            || self.preview_pending == Some(self.selected)
        {
            return;
        }
        self.preview = None;
        self.preview_pending = Some(self.selected);
        self.preview_job = Some(PreviewJob {
            generation: self.generation,
            index: self.selected,
            path: self.root.join(&hit.path),
            line: hit.line,
        });
    }

    /// The preview read to run, if one was asked for since the last call.
    pub fn take_preview_job(&mut self) -> Option<PreviewJob> {
        self.preview_job.take()
    }

    /// A preview read's answer: shown if it is the selected hit's of this search.
    pub fn preview_read(&mut self, read: PreviewRead) {
        if read.generation != self.generation || self.preview_pending != Some(read.index) {
            return;
        }
        self.preview_pending = None;
        self.preview = Some((read.index, read.first_line, read.lines));
    }

    /// Handles a key; a changed query comes back as [`Action::ProjectSearchRestart`].
    pub fn handle(&mut self, key: OverlayInput) -> Outcome {
        match key {
            OverlayInput::Picker(PickerAction::Close) => {
                self.cancel();
                Outcome::close()
            }
            OverlayInput::Picker(PickerAction::Accept) => match self.hits.get(self.selected) {
                Some(hit) => {
                    self.cancel();
                    Outcome::run(vec![Action::Lsp(LspAction::Jump(Target {
                        path: Some(self.root.join(&hit.path)),
                        line: hit.line,
                        col: hit.col,
                    }))])
                }
                None => Outcome::consumed(),
            },
            _ if move_selection(&mut self.selected, self.hits.len(), key) => {
                self.load_preview();
                Outcome {
                    consumed: true,
                    close: false,
                    actions: vec![Action::ProjectSearchPreviewWanted],
                    edits: Vec::new(),
                }
            }
            OverlayInput::Text(t) if self.input.handle_text(t) => Outcome {
                consumed: true,
                close: false,
                actions: vec![Action::ProjectSearchRestart],
                edits: Vec::new(),
            },
            _ => Outcome::ignored(),
        }
    }
}

/// Up to [`PREVIEW_CONTEXT`] lines before and after 0-based `line` of `path`.
fn read_around(path: &Path, line: usize) -> Vec<String> {
    let small = std::fs::metadata(path).is_ok_and(|m| m.len() <= MAX_PREVIEW_FILE);
    let text = match small.then(|| std::fs::read(path)) {
        Some(Ok(b)) => String::from_utf8_lossy(&b).into_owned(),
        _ => return Vec::new(),
    };
    let first = line.saturating_sub(PREVIEW_CONTEXT);
    text.lines()
        .skip(first)
        .take(line - first + 1 + PREVIEW_CONTEXT)
        .map(|l| l.trim_end_matches('\r').to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::overlays::Press;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn k(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn hit(path: &str, line: usize) -> Hit {
        Hit {
            path: path.into(),
            line,
            col: 2,
            text: "x".into(),
        }
    }

    #[test]
    fn each_keystroke_cancels_the_running_search_and_old_hits_are_dropped() {
        let mut p = ProjectSearch::new("/nowhere".into());
        let out = p.handle_key(&k(KeyCode::Char('a')));
        assert_eq!(out.actions, vec![Action::ProjectSearchRestart]);
        assert!(!out.close);
        let first = p.restart().expect("a job");
        assert_eq!(first.query, "a");
        p.handle_key(&k(KeyCode::Char('b')));
        let second = p.restart().expect("a job");
        assert!(
            first.cancel.load(Ordering::Relaxed),
            "the old search is cancelled"
        );
        assert!(!second.cancel.load(Ordering::Relaxed));
        p.add_hits(first.generation, vec![hit("old.rs", 1)]);
        assert!(p.hits.is_empty());
        p.add_hits(second.generation, vec![hit("new.rs", 3)]);
        p.finished(
            second.generation,
            Summary {
                files: 4,
                hits: 1,
                ..Default::default()
            },
        );
        assert_eq!(p.status(), " 1 match in 4 files searched ");
        let out = p.handle_key(&k(KeyCode::Enter));
        assert_eq!(
            out.actions,
            vec![Action::Lsp(LspAction::Jump(Target {
                path: Some("/nowhere/new.rs".into()),
                line: 3,
                col: 2
            }))]
        );
        assert!(second.cancel.load(Ordering::Relaxed));
    }

    /// Runs the asked-for preview read as the loop does (here, on this thread).
    fn read_preview(p: &mut ProjectSearch) {
        if let Some(job) = p.take_preview_job() {
            p.preview_read(job.read());
        }
    }

    #[test]
    fn the_preview_is_read_off_the_loop_and_says_loading_until_it_arrives() {
        let dir = tempfile::tempdir().unwrap();
        let text: String = (0..30).map(|i| format!("line {i}\n")).collect();
        std::fs::write(dir.path().join("f.txt"), text).unwrap();
        let mut p = ProjectSearch::new(dir.path().to_path_buf());
        p.input = LineInput::with_text("line");
        let job = p.restart().unwrap();
        p.add_hits(job.generation, vec![hit("f.txt", 2), hit("f.txt", 20)]);
        assert_eq!(p.preview, None, "nothing is read on the loop's thread");
        assert_eq!(p.preview_pending, Some(0), "the preview says Loading…");
        let first = p.take_preview_job().expect("a read for the first hit");
        assert_eq!(p.take_preview_job(), None, "asked for once");
        // The selection moves on before the first read is answered: that answer is dropped.
        let out = p.handle_key(&k(KeyCode::Down));
        assert_eq!(out.actions, vec![Action::ProjectSearchPreviewWanted]);
        let second = p.take_preview_job().expect("a read for the second hit");
        p.preview_read(first.read());
        assert_eq!(p.preview, None);
        assert_eq!(p.preview_pending, Some(1));
        p.preview_read(second.read());
        let (index, first_line, lines) = p.preview.clone().unwrap();
        assert_eq!((index, first_line, lines[6].as_str()), (1, 14, "line 20"));
        assert_eq!(p.preview_pending, None);
    }

    #[test]
    fn the_preview_shows_the_lines_around_the_selected_hit() {
        let dir = tempfile::tempdir().unwrap();
        let text: String = (0..30).map(|i| format!("line {i}\n")).collect();
        std::fs::write(dir.path().join("f.txt"), text).unwrap();
        let mut p = ProjectSearch::new(dir.path().to_path_buf());
        p.input = LineInput::with_text("line 2");
        let job = p.restart().unwrap();
        p.add_hits(job.generation, vec![hit("f.txt", 2), hit("f.txt", 20)]);
        read_preview(&mut p);
        let (_, first, lines) = p.preview.clone().unwrap();
        assert_eq!((first, lines[0].as_str(), lines.len()), (0, "line 0", 9));
        p.handle_key(&k(KeyCode::Down));
        read_preview(&mut p);
        let (_, first, lines) = p.preview.clone().unwrap();
        assert_eq!((first, lines[6].as_str(), lines.len()), (14, "line 20", 13));
    }
}
