//! The tool-pane dock's settings: which side of the window it sits on, its share
//! of the window, whether it is shown and whether it fills the window; kept in
//! `$XDG_STATE_HOME/symphony/dock.toml` (written whole, then renamed, by a thread of
//! its own: [`save_later`]; the UI thread never waits for the disk).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::tree::{Node, SplitDir};

/// Where the dock sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DockSide {
    /// Below the editor panes (full width: the DAG's and pool's rows fit).
    #[default]
    Bottom,
    /// To the right of the editor panes.
    Right,
}

/// The smallest and largest share of the window the dock takes.
pub const MIN_SIZE: f32 = 0.1;
/// See [`MIN_SIZE`].
pub const MAX_SIZE: f32 = 0.9;
/// How much one grow or shrink key changes the share.
pub const STEP: f32 = 0.05;

/// The dock's settings (the same for every window).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DockPrefs {
    /// Which side.
    pub side: DockSide,
    /// Share of the window (0.1 to 0.9).
    pub size: f32,
    /// Shown (hidden keeps the panes and their state).
    pub visible: bool,
    /// Fills the window.
    pub zoomed: bool,
}

impl Default for DockPrefs {
    fn default() -> DockPrefs {
        DockPrefs {
            side: DockSide::Right,
            size: 0.5,
            visible: true,
            zoomed: false,
        }
    }
}

impl DockPrefs {
    /// Changes the share by `by` (clamped).
    pub fn grow(&mut self, by: f32) {
        self.size = (self.size + by).clamp(MIN_SIZE, MAX_SIZE);
    }

    /// Moves the dock to the other side.
    pub fn flip(&mut self) {
        self.side = match self.side {
            DockSide::Right => DockSide::Bottom,
            DockSide::Bottom => DockSide::Right,
        };
    }

    /// How the window splits between the editor panes and the dock.
    pub fn split_dir(&self) -> SplitDir {
        match self.side {
            DockSide::Right => SplitDir::Horizontal,
            DockSide::Bottom => SplitDir::Vertical,
        }
    }

    /// How the dock's own panes sit beside each other (across the dock's length).
    pub fn inner_dir(&self) -> SplitDir {
        match self.side {
            DockSide::Right => SplitDir::Vertical,
            DockSide::Bottom => SplitDir::Horizontal,
        }
    }

    /// The window's tree with the dock beside `main` (the split's first child is
    /// `main`, the second the dock).
    pub fn compose(&self, main: &Node, dock: &Node) -> Node {
        Node::Split {
            dir: self.split_dir(),
            ratio: 1.0 - self.size,
            first: Box::new(main.clone()),
            second: Box::new(dock.clone()),
        }
    }

    /// Reads the settings from `path`; missing or unreadable gives the defaults
    /// (an unreadable file is logged, never fatal).
    pub fn load(path: &Path) -> DockPrefs {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return DockPrefs::default(),
            Err(e) => {
                tracing::warn!("dock settings {}: {e}", path.display());
                return DockPrefs::default();
            }
        };
        match toml::from_str::<DockPrefs>(&text) {
            Ok(mut p) => {
                if !p.size.is_finite() {
                    p.size = DockPrefs::default().size;
                }
                p.size = p.size.clamp(MIN_SIZE, MAX_SIZE);
                p
            }
            Err(e) => {
                tracing::warn!("dock settings {}: {e}", path.display());
                DockPrefs::default()
            }
        }
    }

    /// Writes the settings to `path` atomically (a temporary file, then a rename).
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let text = toml::to_string(self).map_err(std::io::Error::other)?;
        let tmp = path.with_extension("toml.tmp");
        {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, path)
    }
}

/// What the writer thread is asked.
enum WriterMsg {
    /// Write these settings to this file.
    Save(PathBuf, DockPrefs),
    /// Answer once every save asked before is written.
    Flush(std::sync::mpsc::Sender<()>),
}

/// The writer thread's queue (started on first use).
static WRITER: std::sync::OnceLock<Option<std::sync::mpsc::Sender<WriterMsg>>> =
    std::sync::OnceLock::new();

fn writer() -> Option<&'static std::sync::mpsc::Sender<WriterMsg>> {
    WRITER
        .get_or_init(|| {
            let (tx, rx) = std::sync::mpsc::channel::<WriterMsg>();
            let spawned = std::thread::Builder::new()
                .name("dock-prefs".into())
                .spawn(move || write_loop(&rx));
            match spawned {
                Ok(_) => Some(tx),
                Err(e) => {
                    tracing::warn!("the dock settings writer did not start: {e}");
                    None
                }
            }
        })
        .as_ref()
}

/// Writes what arrives, only the newest settings of a burst per file, in order.
fn write_loop(rx: &std::sync::mpsc::Receiver<WriterMsg>) {
    while let Ok(first) = rx.recv() {
        let mut saves: Vec<(PathBuf, DockPrefs)> = Vec::new();
        let mut flushes = Vec::new();
        for msg in std::iter::once(first).chain(rx.try_iter()) {
            match msg {
                WriterMsg::Save(path, prefs) => match saves.iter_mut().find(|(p, _)| *p == path) {
                    Some(s) => s.1 = prefs,
                    None => saves.push((path, prefs)),
                },
                WriterMsg::Flush(done) => flushes.push(done),
            }
        }
        for (path, prefs) in saves {
            if let Err(e) = prefs.save(&path) {
                tracing::warn!("saving the dock settings to {}: {e}", path.display());
            }
        }
        for done in flushes {
            let _ = done.send(());
        }
    }
}

/// Has `prefs` written to `path` by the writer thread (it syncs the file: the UI
/// thread does not wait for that); later calls win.
pub fn save_later(path: &Path, prefs: DockPrefs) {
    let sent =
        writer().is_some_and(|tx| tx.send(WriterMsg::Save(path.to_path_buf(), prefs)).is_ok());
    if !sent && let Err(e) = prefs.save(path) {
        tracing::warn!("saving the dock settings to {}: {e}", path.display());
    }
}

/// Waits until every [`save_later`] asked so far is written (at exit).
pub fn flush() {
    let Some(tx) = WRITER.get().and_then(Option::as_ref) else {
        return;
    };
    let (done, wait) = std::sync::mpsc::channel();
    if tx.send(WriterMsg::Flush(done)).is_ok() {
        let _ = wait.recv();
    }
}

/// `$XDG_STATE_HOME/symphony/dock.toml`.
pub fn default_path() -> Option<PathBuf> {
    crate::config::state_dir().map(|d| d.join("dock.toml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dock_changes_are_written_off_the_callers_thread_the_newest_last() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("state/dock.toml");
        let mut p = DockPrefs::default();
        for _ in 0..5 {
            p.grow(STEP);
            save_later(&path, p);
        }
        p.flip();
        save_later(&path, p);
        flush();
        assert_eq!(DockPrefs::load(&path), p);
        assert!(!path.with_extension("toml.tmp").exists());
    }

    #[test]
    fn dock_settings_survive_a_save_and_load() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("state/dock.toml");
        assert_eq!(DockPrefs::load(&path), DockPrefs::default());
        let mut p = DockPrefs::default();
        p.flip();
        p.grow(-0.2);
        p.visible = false;
        p.save(&path).expect("save");
        assert_eq!(DockPrefs::load(&path), p);
        assert!(!path.with_extension("toml.tmp").exists());
    }

    #[test]
    fn a_damaged_dock_file_gives_the_defaults_and_sizes_are_clamped() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("dock.toml");
        std::fs::write(&path, "side = 7\n").expect("write");
        assert_eq!(DockPrefs::load(&path), DockPrefs::default());
        std::fs::write(&path, "size = 5.0\nside = \"right\"\n").expect("write");
        let p = DockPrefs::load(&path);
        assert_eq!(p.size, MAX_SIZE);
        assert_eq!(p.side, DockSide::Right);
        let mut p = DockPrefs::default();
        p.grow(-5.0);
        assert_eq!(p.size, MIN_SIZE);
    }
}
