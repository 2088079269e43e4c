//! Project-wide search: [`engine`] searches a folder (regex, smart case, `.gitignore`
//! honoured, parallel walk); here is how the client's loop runs it off the UI thread for
//! the project search picker, streaming hits back as actions.

pub mod engine;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub use engine::{Hit, MAX_HITS, Summary, print_search, query_regex, search, search_bytes};

/// A search job for the client's loop: the folder, the query, which search of the
/// picker it is and the flag that cancels it.
#[derive(Debug, Clone)]
pub struct Job {
    /// The folder searched.
    pub root: PathBuf,
    /// What was typed.
    pub query: String,
    /// The picker's search number (answers of older ones are dropped).
    pub generation: u64,
    /// Set when a newer search starts or the picker closes.
    pub cancel: Arc<AtomicBool>,
}

impl PartialEq for Job {
    fn eq(&self, other: &Self) -> bool {
        self.root == other.root && self.query == other.query && self.generation == other.generation
    }
}

impl Eq for Job {}

/// Runs `job`, sending its hits in batches and then its summary to the loop as actions.
pub fn run_job(job: &Job, tx: &tokio::sync::mpsc::UnboundedSender<crate::action::Action>) {
    use crate::action::Action;
    let Some((re, _)) = query_regex(&job.query) else {
        return;
    };
    let generation = job.generation;
    let sink = |hits: Vec<Hit>| {
        if !job.cancel.load(Ordering::Relaxed) {
            let _ = tx.send(Action::ProjectSearchHits(generation, hits));
        }
    };
    let summary = search(&job.root, &re, &job.cancel, &sink);
    let _ = tx.send(Action::ProjectSearchDone(generation, summary));
}
