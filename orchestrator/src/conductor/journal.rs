//! Runs that survive a restart: each run's journal, one JSON record a line in
//! `<store_dir>/conductor/runs/<run id>.jsonl`.
//!
//! The first line is the run's manifest (the command, the workflow as it was planned, the
//! editor context it read, the conversation it continued). The text the run read is not in
//! it: it is stored once, content-addressed, in `<store_dir>/conductor/sources/`
//! (`sources.rs`), and the manifest names it by id (format 2; format 1 manifests, with the
//! text inline, still load). Then, appended as they happen,
//! `started` (an attempt: the first run or a retry), `node` (a node changed state),
//! `output` (the artifact id of a finished node's output, kind `node-output`) and
//! `finished`. The file is written from the run's tasks, never on the caller's thread; each
//! line is written whole with one `write_all` (no fsync: it survives the process dying, not
//! the machine), so a crash leaves at worst a torn last line (skipped with a warning); a
//! file whose manifest cannot be read is skipped with a warning. On start the
//! Conductor loads the newest [`RECENT_RUNS`] runs; one that has no `finished` after its
//! last `started` was running when the process died: it and its running nodes are
//! [`RunOutcome::Interrupted`] / [`NodeStatus::Interrupted`]. Journals beyond the newest
//! [`KEEP_FILES`] are deleted on start, and then the texts no kept journal refers to.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use symphony_pit::artifacts::private;

use super::sources::{SourceGone, SourceRef, Sources};
use crate::command::{AiCommand, EditorContext};
use crate::events::{NodeInfo, NodeStatus, RunId, RunOutcome};
use crate::workflow::{Plan, WorkflowConfig};

/// Runs loaded on start and listed by `Conductor::recent_runs`.
pub const RECENT_RUNS: usize = 50;
/// Journal files kept on disk (older ones are deleted on start; their artifacts stay).
const KEEP_FILES: usize = 500;
/// Runs whose journal stays in memory.
const IN_MEMORY: usize = 256;
/// Version of the journal format written (2: the text read is in `sources/`, by id).
const VERSION: u32 = 2;
/// Oldest format still read (1: the text read inline in the manifest).
const OLDEST_VERSION: u32 = 1;

/// A run as the DAG pane lists it (see `Conductor::recent_runs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// The run.
    pub run: RunId,
    /// What the user ran ("refactor: extract a helper").
    pub title: String,
    /// The command, as it was run.
    pub command: AiCommand,
    /// The nodes in topological order, with their last known state.
    pub nodes: Vec<NodeSummary>,
    /// How the run ended; `None` while it runs.
    pub outcome: Option<RunOutcome>,
    /// The run was running when Symphony stopped: its outcome is then
    /// [`RunOutcome::Interrupted`], the nodes that were running are
    /// [`NodeStatus::Interrupted`] (they can be retried) and those that had not started
    /// are `Skipped`.
    pub interrupted: bool,
    /// The final answer, if the run finished with one.
    pub answer: Option<String>,
    /// The file the run read.
    pub path: Option<PathBuf>,
    /// The buffer revision the run read (its proposals target it).
    pub revision: Option<u64>,
    /// When the run started (milliseconds since the Unix epoch).
    pub started_ms: i64,
    /// When it last finished, if it did.
    pub finished_ms: Option<i64>,
}

/// A node of a [`RunSummary`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeSummary {
    /// The node as the DAG pane shows it.
    pub info: NodeInfo,
    /// Its last known state.
    pub status: NodeStatus,
    /// Its output is stored (`Conductor::node_output` returns it).
    pub has_output: bool,
}

/// What a run read and ran: the first line of its journal.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Manifest {
    pub version: u32,
    pub run: RunId,
    pub title: String,
    pub command: AiCommand,
    /// The command's name (artifact tag `command:<name>`).
    pub command_name: String,
    /// The workflow as planned (model nodes name their instrument).
    pub workflow: WorkflowConfig,
    pub context: EditorContext,
    /// The conversation a chat run continued.
    pub conversation: Option<String>,
    pub started_ms: i64,
    /// Where the text read is stored (format 2; `None`: inline in `context`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceRef>,
}

/// Kind of the artifacts holding node outputs ([`NodeOutput`] as JSON).
pub(crate) const NODE_OUTPUT_KIND: &str = "node-output";

/// A finished node's output as stored (artifact kind [`NODE_OUTPUT_KIND`]): what it hands
/// on to the nodes after it, and its text when that differs (a diff node's unified diff).
/// It names no run, so the same output of many runs (a prompt over an unchanged file) is
/// stored once; a context node's copy of the text read is left out (`omitted`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct NodeOutput {
    pub node: String,
    pub value: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Keys of an object value left out because they equal the run's context variables
    /// of that name (the file and selection it read): [`NodeOutput::restore_vars`] puts
    /// them back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub omitted: Vec<String>,
}

/// Context variables a stored node output leaves out (they hold the text read).
const OMITTED_VARS: [&str; 2] = ["file", "selection"];

impl NodeOutput {
    /// The output of `node` as stored: the text read (`file`, `selection`) left out of
    /// an object value when it equals the run's variables `vars`.
    pub fn new(
        node: &str,
        value: &serde_json::Value,
        text: String,
        vars: &HashMap<String, String>,
    ) -> Self {
        let full_text = crate::workflow::text::value_text(value);
        let mut value = value.clone();
        let mut omitted = Vec::new();
        if let serde_json::Value::Object(map) = &mut value {
            for key in OMITTED_VARS {
                let same = matches!((map.get(key), vars.get(key)),
                    (Some(serde_json::Value::String(v)), Some(var)) if v == var && !v.is_empty());
                if same {
                    map.remove(key);
                    omitted.push(key.to_owned());
                }
            }
        }
        Self {
            node: node.to_owned(),
            text: (text != full_text).then_some(text),
            value,
            omitted,
        }
    }

    /// Puts back what [`NodeOutput::new`] left out, from the run's variables.
    pub fn restore_vars(&mut self, vars: &HashMap<String, String>) {
        if let serde_json::Value::Object(map) = &mut self.value {
            for key in self.omitted.drain(..) {
                let v = vars.get(&key).cloned().unwrap_or_default();
                map.insert(key, serde_json::Value::String(v));
            }
        }
    }

    /// The text `node_output` shows.
    pub fn text(&self) -> String {
        self.text
            .clone()
            .unwrap_or_else(|| crate::workflow::text::value_text(&self.value))
    }
}

/// One journal line.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
enum Record {
    Manifest(Box<Manifest>),
    Started {
        ms: i64,
    },
    Node {
        node: String,
        status: NodeStatus,
    },
    Output {
        node: String,
        artifact: String,
    },
    Finished {
        outcome: RunOutcome,
        answer: Option<String>,
        ms: i64,
    },
}

/// What the journal says of a run so far.
struct RunState {
    manifest: Arc<Manifest>,
    nodes: Vec<NodeInfo>,
    statuses: HashMap<String, NodeStatus>,
    /// The node-output artifact of each finished node.
    outputs: HashMap<String, String>,
    outcome: Option<RunOutcome>,
    answer: Option<String>,
    interrupted: bool,
    finished_ms: Option<i64>,
}

impl RunState {
    fn new(manifest: Manifest) -> Self {
        let nodes = manifest
            .workflow
            .nodes
            .iter()
            .map(|n| NodeInfo {
                id: n.id.clone(),
                kind: n.kind.as_str().to_owned(),
                depends_on: n.depends_on.clone(),
                instrument: n.instrument.clone(),
            })
            .collect::<Vec<_>>();
        let statuses = nodes
            .iter()
            .map(|n| (n.id.clone(), NodeStatus::Pending))
            .collect();
        Self {
            manifest: Arc::new(manifest),
            nodes,
            statuses,
            outputs: HashMap::new(),
            outcome: None,
            answer: None,
            interrupted: false,
            finished_ms: None,
        }
    }

    fn apply(&mut self, record: Record) {
        match record {
            Record::Manifest(_) => {}
            Record::Started { .. } => {
                self.outcome = None;
                self.answer = None;
                self.interrupted = false;
            }
            Record::Node { node, status } => {
                if let Some(s) = self.statuses.get_mut(&node) {
                    *s = status;
                }
            }
            Record::Output { node, artifact } => {
                self.outputs.insert(node, artifact);
            }
            Record::Finished {
                outcome,
                answer,
                ms,
            } => {
                self.outcome = Some(outcome);
                self.answer = answer;
                self.finished_ms = Some(ms);
            }
        }
    }

    /// Marks a run that never finished as interrupted.
    fn interrupt(&mut self) {
        if self.outcome.is_some() {
            return;
        }
        self.interrupted = true;
        self.outcome = Some(RunOutcome::Interrupted);
        for s in self.statuses.values_mut() {
            match s {
                NodeStatus::Running { .. } => *s = NodeStatus::Interrupted,
                NodeStatus::Pending => *s = NodeStatus::Skipped,
                _ => {}
            }
        }
    }
}

/// A journal's file.
enum JournalFile {
    /// Not written yet: the first append writes the manifest first (so starting a run
    /// does no file I/O on the caller's thread).
    New,
    /// On disk, not open yet (a run of an earlier session).
    Closed,
    /// Open for appending.
    Open(File),
    /// It could not be written (logged once).
    Failed,
}

/// One run's journal: its state in memory and its file.
pub(crate) struct RunJournal {
    path: PathBuf,
    /// Where the text the run read is stored.
    sources: Arc<Sources>,
    file: Mutex<JournalFile>,
    state: Mutex<RunState>,
}

impl RunJournal {
    /// Appends `record` to the file (a failure is logged: the run goes on) and applies it.
    fn append(&self, record: Record) {
        let mut file = self.file.lock();
        let mut text = String::new();
        if matches!(*file, JournalFile::New) {
            // The text read goes to the sources store; the journal in memory keeps the
            // manifest as written (the run's own context still holds the text).
            let manifest = self.manifest().externalized(&self.sources);
            text = line(&Record::Manifest(Box::new(manifest.clone())));
            self.state.lock().manifest = Arc::new(manifest);
            let created = self
                .path
                .parent()
                .map_or(Ok(()), private::create_dir_all)
                .and_then(|()| private::create_file(&self.path));
            *file = match created {
                Ok(f) => JournalFile::Open(f),
                Err(e) => {
                    tracing::warn!(error = %e, path = %self.path.display(), "run journal not written");
                    JournalFile::Failed
                }
            };
        }
        if matches!(*file, JournalFile::Closed) {
            *file = match OpenOptions::new().append(true).open(&self.path) {
                Ok(f) => JournalFile::Open(f),
                Err(e) => {
                    tracing::warn!(error = %e, path = %self.path.display(), "run journal not writable");
                    JournalFile::Failed
                }
            };
        }
        text.push_str(&line(&record));
        // Nothing a model echoed (an API key) reaches the disk.
        let text = crate::backends::secret::redact(&text);
        if let JournalFile::Open(f) = &mut *file
            && let Err(e) = f.write_all(text.as_bytes())
        {
            tracing::warn!(error = %e, path = %self.path.display(), "run journal write failed");
        }
        drop(file);
        self.state.lock().apply(record);
    }

    /// An attempt starts (the first run or a retry).
    pub fn started(&self) {
        self.append(Record::Started { ms: now_ms() });
    }

    /// A node changed state.
    pub fn node(&self, node: &str, status: &NodeStatus) {
        self.append(Record::Node {
            node: node.to_owned(),
            status: status.clone(),
        });
    }

    /// A finished node's output is stored in `artifact`.
    pub fn output(&self, node: &str, artifact: String) {
        self.append(Record::Output {
            node: node.to_owned(),
            artifact,
        });
    }

    /// The attempt ended.
    pub fn finished(&self, outcome: &RunOutcome, answer: Option<&str>) {
        self.append(Record::Finished {
            outcome: outcome.clone(),
            answer: answer.map(str::to_owned),
            ms: now_ms(),
        });
    }

    /// The manifest (once written, without the text read: see [`RunJournal::context`]).
    pub fn manifest(&self) -> Arc<Manifest> {
        self.state.lock().manifest.clone()
    }

    /// The editor context the run read, with its text (read from the sources store).
    pub fn context(&self) -> Result<EditorContext, SourceGone> {
        self.manifest().context(&self.sources)
    }

    /// The text the run read: its selection, else the whole file.
    pub fn read_text(&self) -> Result<String, SourceGone> {
        self.manifest().read_text(&self.sources)
    }

    /// The node-output artifact of `node`, if it finished.
    pub fn output_of(&self, node: &str) -> Option<String> {
        self.state.lock().outputs.get(node).cloned()
    }

    /// Nodes that finished (Done) with a stored output, and its artifact.
    pub fn done_outputs(&self) -> Vec<(String, String)> {
        let state = self.state.lock();
        state
            .outputs
            .iter()
            .filter(|(node, _)| matches!(state.statuses.get(*node), Some(NodeStatus::Done)))
            .map(|(n, o)| (n.clone(), o.clone()))
            .collect()
    }

    /// The run as the DAG pane lists it.
    pub fn summary(&self) -> RunSummary {
        let s = self.state.lock();
        let m = &s.manifest;
        RunSummary {
            run: m.run,
            title: m.title.clone(),
            command: m.command.clone(),
            nodes: s
                .nodes
                .iter()
                .map(|info| NodeSummary {
                    info: info.clone(),
                    status: s
                        .statuses
                        .get(&info.id)
                        .cloned()
                        .unwrap_or(NodeStatus::Pending),
                    has_output: s.outputs.contains_key(&info.id),
                })
                .collect(),
            outcome: s.outcome.clone(),
            interrupted: s.interrupted,
            answer: s.answer.clone(),
            path: m.context.path.clone(),
            revision: m.context.revision,
            started_ms: m.started_ms,
            finished_ms: s.finished_ms,
        }
    }
}

/// Every run journal of a Conductor: the directory, and the recent runs in memory.
pub(crate) struct Journals {
    dir: PathBuf,
    sources: Arc<Sources>,
    runs: Mutex<BTreeMap<RunId, Arc<RunJournal>>>,
    last: u64,
    /// Configured instrument names and the default (to plan a loaded run again).
    pub instruments: Vec<String>,
    pub default_instrument: Option<String>,
}

impl Journals {
    /// Opens `dir` (created on the first run) and loads the newest runs; journals beyond
    /// the newest [`KEEP_FILES`] are deleted, then the texts in `sources` that no kept
    /// journal refers to.
    pub fn open(
        dir: PathBuf,
        sources: Sources,
        instruments: Vec<String>,
        default_instrument: Option<String>,
    ) -> Self {
        let sources = Arc::new(sources);
        let mut files: Vec<(u64, PathBuf)> = std::fs::read_dir(&dir)
            .map(|rd| {
                rd.flatten()
                    .filter_map(|e| {
                        let p = e.path();
                        if p.extension()? != "jsonl" {
                            return None;
                        }
                        let id = p.file_stem()?.to_str()?.parse::<u64>().ok()?;
                        Some((id, p))
                    })
                    .collect()
            })
            .unwrap_or_default();
        files.sort_by_key(|f| std::cmp::Reverse(f.0));
        let last = files.first().map_or(0, |f| f.0);
        for (_, old) in files.iter().skip(KEEP_FILES) {
            if let Err(e) = std::fs::remove_file(old) {
                tracing::warn!(error = %e, path = %old.display(), "old run journal not removed");
            }
        }
        let mut runs = BTreeMap::new();
        let mut referenced = HashSet::new();
        for (id, path) in files.iter().take(KEEP_FILES) {
            if runs.len() >= RECENT_RUNS {
                // Only its texts matter (it is kept on disk, not listed).
                referenced.extend(source_of(path));
                continue;
            }
            match load(path) {
                Ok(mut state) if state.manifest.run.0 == *id => {
                    state.interrupt();
                    referenced.extend(state.manifest.source.as_ref().map(|s| s.file.clone()));
                    runs.insert(
                        RunId(*id),
                        Arc::new(RunJournal {
                            path: path.clone(),
                            sources: sources.clone(),
                            file: Mutex::new(JournalFile::Closed),
                            state: Mutex::new(state),
                        }),
                    );
                }
                Ok(_) => {
                    referenced.extend(source_of(path));
                    tracing::warn!(path = %path.display(), "run journal names another run; skipped")
                }
                Err(e) => {
                    // A journal of a newer format still keeps the text it names.
                    referenced.extend(source_of(path));
                    tracing::warn!(path = %path.display(), error = %e, "unreadable run journal skipped")
                }
            }
        }
        sources.collect(&referenced);
        Self {
            dir,
            sources,
            runs: Mutex::new(runs),
            last,
            instruments,
            default_instrument,
        }
    }

    /// The highest run id on disk (new runs number after it).
    pub fn last_id(&self) -> u64 {
        self.last
    }

    /// Starts the journal of a new run; its file, manifest first, is written by the first
    /// record appended (a file that cannot be written is logged: the run goes on, without
    /// surviving a restart).
    pub fn create(
        &self,
        run: RunId,
        command: &AiCommand,
        command_name: &str,
        plan: &Plan,
        context: &EditorContext,
    ) -> Arc<RunJournal> {
        let conversation = match command {
            AiCommand::Chat { conversation, .. } => conversation.clone(),
            _ => None,
        };
        let manifest = Manifest {
            version: VERSION,
            run,
            title: crate::workflow::builtin::title(command),
            command: command.clone(),
            command_name: command_name.to_owned(),
            workflow: planned_workflow(plan),
            context: context.clone(),
            conversation,
            started_ms: now_ms(),
            source: None,
        };
        let journal = Arc::new(RunJournal {
            path: self.dir.join(format!("{}.jsonl", run.0)),
            sources: self.sources.clone(),
            file: Mutex::new(JournalFile::New),
            state: Mutex::new(RunState::new(manifest)),
        });
        let mut runs = self.runs.lock();
        runs.insert(run, journal.clone());
        while runs.len() > IN_MEMORY {
            runs.pop_first();
        }
        journal
    }

    /// The journal of `run`, if it is recent.
    pub fn get(&self, run: RunId) -> Option<Arc<RunJournal>> {
        self.runs.lock().get(&run).cloned()
    }

    /// The newest runs first.
    pub fn recent(&self, limit: usize) -> Vec<RunSummary> {
        let runs: Vec<Arc<RunJournal>> = self
            .runs
            .lock()
            .values()
            .rev()
            .take(limit)
            .cloned()
            .collect();
        runs.iter().map(|j| j.summary()).collect()
    }
}

/// The workflow a plan runs, nodes in topological order with their instruments resolved.
fn planned_workflow(plan: &Plan) -> WorkflowConfig {
    WorkflowConfig {
        name: plan.name.clone(),
        description: None,
        answer: plan.answer.clone(),
        nodes: plan
            .dag
            .topological_order()
            .filter_map(|spec| plan.nodes.get(&*spec.id).cloned())
            .collect(),
    }
}

/// One record as a journal line.
fn line(record: &Record) -> String {
    match serde_json::to_string(record) {
        Ok(mut l) => {
            l.push('\n');
            l
        }
        Err(e) => {
            tracing::warn!(error = %e, "run journal record not serialisable");
            String::new()
        }
    }
}

/// Reads a journal file: its manifest, then every record it can read.
fn load(path: &Path) -> Result<RunState, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let mut lines = text.lines();
    let first = lines.next().ok_or("empty file")?;
    let manifest = match serde_json::from_str::<Record>(first) {
        Ok(Record::Manifest(m)) => *m,
        Ok(_) => return Err("the first line is not a manifest".into()),
        Err(e) => return Err(format!("manifest: {e}")),
    };
    if !(OLDEST_VERSION..=VERSION).contains(&manifest.version) {
        return Err(format!("journal version {} unknown", manifest.version));
    }
    let mut state = RunState::new(manifest);
    for (i, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Record>(line) {
            Ok(r) => state.apply(r),
            Err(e) => {
                tracing::warn!(path = %path.display(), line = i + 2, error = %e, "run journal line skipped")
            }
        }
    }
    Ok(state)
}

/// The text id a journal's manifest names, read from its first line only (any version
/// that names one; an unreadable line names none).
fn source_of(path: &Path) -> Option<String> {
    let mut first = String::new();
    BufReader::new(File::open(path).ok()?)
        .read_line(&mut first)
        .ok()?;
    let v: serde_json::Value = serde_json::from_str(&first).ok()?;
    v.get("source")?.get("file")?.as_str().map(str::to_owned)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// A context node's output is stored without the text read and comes back
        /// whole (value and text) once the run's variables put it back.
        #[test]
        fn a_stored_node_output_comes_back_whole_from_the_runs_variables(
            file in "(?s).{0,60}",
            selection in "(?s).{0,30}",
            stale in proptest::option::of("(?s).{0,10}"),
            extra in proptest::option::of("(?s).{0,10}"),
        ) {
            let vars = HashMap::from([
                ("file".to_owned(), file.clone()),
                ("selection".to_owned(), selection.clone()),
                ("language".to_owned(), "Rust".to_owned()),
            ]);
            let mut map = serde_json::Map::new();
            for (k, v) in &vars {
                map.insert(k.clone(), serde_json::Value::String(v.clone()));
            }
            // A value that differs from the variables is kept as it is.
            if let Some(s) = stale {
                map.insert("file".into(), serde_json::Value::String(s));
            }
            if let Some(x) = extra {
                map.insert("diff".into(), serde_json::Value::String(x));
            }
            let value = serde_json::Value::Object(map);
            let text = crate::workflow::text::value_text(&value);
            let out = NodeOutput::new("context", &value, text.clone(), &vars);
            let stored = serde_json::to_string(&out).expect("json");
            if !selection.is_empty() {
                prop_assert!(!out.value.as_object().is_some_and(|m| m.contains_key("selection")));
            }
            let mut back: NodeOutput = serde_json::from_str(&stored).expect("read back");
            back.restore_vars(&vars);
            prop_assert_eq!(&back.value, &value);
            prop_assert_eq!(back.text(), text);
        }
    }

    fn plan() -> Plan {
        crate::workflow::builtin::builtin(&AiCommand::Explain)
            .expect("explain is built in")
            .plan(&["local".to_owned()], Some("local"))
            .expect("plan")
    }

    #[test]
    fn a_restart_lists_the_newest_runs_first_bounded_and_numbers_after_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let runs = dir.path().join("runs");
        let sources = || Sources::new(dir.path().join("sources"));
        let journals = Journals::open(runs.clone(), sources(), vec!["local".into()], None);
        let plan = plan();
        let ctx = EditorContext {
            file_text: "x".into(),
            ..Default::default()
        };
        for id in 1..=60 {
            let j = journals.create(RunId(id), &AiCommand::Explain, "explain", &plan, &ctx);
            j.started();
            if id % 2 == 0 {
                j.node("model", &NodeStatus::Running { attempt: 1 });
            } else {
                j.finished(&RunOutcome::Succeeded, Some("ok"));
            }
        }
        drop(journals);
        let journals = Journals::open(runs, sources(), vec!["local".into()], None);
        assert_eq!(journals.last_id(), 60);
        let recent = journals.recent(100);
        assert_eq!(recent.len(), RECENT_RUNS);
        let ids: Vec<u64> = recent.iter().map(|r| r.run.0).collect();
        assert_eq!(ids, (11..=60).rev().collect::<Vec<_>>());
        // Even runs never finished: interrupted in their model node.
        assert!(recent[0].interrupted);
        assert_eq!(recent[0].outcome, Some(RunOutcome::Interrupted));
        let model = recent[0].nodes.iter().find(|n| n.info.id == "model");
        assert_eq!(
            model.map(|n| n.status.clone()),
            Some(NodeStatus::Interrupted)
        );
        // One text for all sixty runs, read back by each.
        let j = journals.get(RunId(60)).expect("run 60");
        assert_eq!(j.read_text().expect("text"), "x");
        assert!(j.manifest().context.file_text.is_empty());
        assert!(!recent[1].interrupted);
        assert_eq!(recent[1].outcome, Some(RunOutcome::Succeeded));
        assert_eq!(recent[1].answer.as_deref(), Some("ok"));
    }
}
