//! Recordings: named lists of edit commands that `play_recording` replays as one undo group.

use std::collections::HashMap;

use crate::command::EditCmd;

/// The recorder state.
#[derive(Debug, Default)]
pub struct Recorder {
    active: Option<(String, Vec<EditCmd>)>,
    saved: HashMap<String, Vec<EditCmd>>,
}

impl Recorder {
    /// True while recording.
    pub fn is_recording(&self) -> bool {
        self.active.is_some()
    }

    /// Starts recording under `name`, or stops and keeps the current recording.
    pub fn toggle(&mut self, name: Option<String>) {
        match self.active.take() {
            Some((n, cmds)) => {
                self.saved.insert(n, cmds);
            }
            None => self.active = Some((name.unwrap_or_default(), Vec::new())),
        }
    }

    /// Adds a command to the active recording.
    pub fn record(&mut self, cmd: &EditCmd) {
        if let Some((_, cmds)) = self.active.as_mut() {
            cmds.push(cmd.clone());
        }
    }

    /// The commands of a recording.
    pub fn get(&self, name: &str) -> Vec<EditCmd> {
        self.saved.get(name).cloned().unwrap_or_default()
    }

    /// Forgets a recording.
    pub fn clear(&mut self, name: &str) {
        self.saved.remove(name);
    }
}
