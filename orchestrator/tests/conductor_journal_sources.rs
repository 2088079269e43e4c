//! The text a run read is stored once, content-addressed, beside the run journals
//! (`<store>/conductor/sources/`), and the manifests name it by id: ten runs on the same
//! unchanged 2 MB log store it once (checked by hand with 20 MB: the same, but a debug
//! build takes a minute and the runs in memory 2.6 GB, too much for the test suite); pruning old journals removes the texts nobody refers
//! to any more and keeps those a kept journal names; a journal of the old format (text
//! inline) still loads and retries; a text deleted by hand leaves the run listed, and
//! retrying it says the text is gone. Real Conductors on a real store on disk, restarted;
//! the model is an instrument that STANDS IN FOR A MODEL (it answers from a script).

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use parking_lot::Mutex;
use symphony_conductor::command::{AiCommand, EditorContext, SelectionContext};
use symphony_conductor::conductor::{Conductor, ConductorConfig, InstrumentFactory};
use symphony_conductor::events::{ConductorEvent, NodeStatus, RunId, RunOutcome};
use symphony_conductor::instrument::{
    CallFuture, CancellationToken, Completion, CompletionRequest, FinishReason, Instrument,
    InstrumentConfig, InstrumentError, InstrumentEvent, InstrumentKind, Usage,
};
use tokio::sync::mpsc;

/// Stands in for a model: each call takes the next answer (the last one repeats); an
/// `Err` fails the call. Requests are counted, not kept (their prompts may be 20 MB).
struct Model {
    answers: Mutex<VecDeque<Result<String, String>>>,
    calls: AtomicUsize,
}

impl Model {
    fn new(answers: Vec<Result<&str, &str>>) -> Arc<Self> {
        Arc::new(Self {
            answers: Mutex::new(
                answers
                    .into_iter()
                    .map(|a| a.map(str::to_owned).map_err(str::to_owned))
                    .collect(),
            ),
            calls: AtomicUsize::new(0),
        })
    }
}

impl Instrument for Model {
    fn name(&self) -> &str {
        "local"
    }
    fn kind(&self) -> InstrumentKind {
        InstrumentKind::Command
    }
    fn model(&self) -> &str {
        "stand-in"
    }
    fn call(
        &self,
        _request: CompletionRequest,
        events: mpsc::Sender<InstrumentEvent>,
        _cancel: CancellationToken,
    ) -> CallFuture {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let answer = {
            let mut a = self.answers.lock();
            if a.len() > 1 {
                a.pop_front()
            } else {
                a.front().cloned()
            }
        }
        .unwrap_or_else(|| Ok(String::new()));
        Box::pin(async move {
            let text = answer.map_err(|message| InstrumentError::Stream {
                message,
                partial: String::new(),
            })?;
            let _ = events.send(InstrumentEvent::Token(text.clone())).await;
            Ok(Completion {
                usage: Usage {
                    prompt_tokens: 10,
                    completion_tokens: text.len() as u64,
                },
                text,
                finish: FinishReason::Stop,
                time_to_first_token: None,
                elapsed: Duration::from_millis(1),
            })
        })
    }
}

/// A Conductor on `store` whose instrument `local` is `model`.
struct Session {
    conductor: Conductor,
    events: mpsc::UnboundedReceiver<ConductorEvent>,
}

impl Session {
    fn open(store: &Path, model: Arc<Model>) -> Self {
        let instrument: InstrumentConfig =
            toml::from_str("name = \"local\"\nkind = \"command\"\ncommand = [\"true\"]\n")
                .expect("instrument config");
        let config = ConductorConfig {
            instruments: vec![instrument],
            store_dir: store.to_path_buf(),
            ..Default::default()
        };
        let factory: InstrumentFactory =
            Arc::new(move |_: &InstrumentConfig| Ok(model.clone() as Arc<dyn Instrument>));
        let (conductor, events) = Conductor::start_with(config, factory).expect("starts");
        Self { conductor, events }
    }

    /// Events up to the first matching `stop` (panics after 60 s: a hang).
    async fn until(&mut self, stop: impl Fn(&ConductorEvent) -> bool) -> Vec<ConductorEvent> {
        let mut out = Vec::new();
        loop {
            let ev = tokio::time::timeout(Duration::from_secs(60), self.events.recv())
                .await
                .expect("the Conductor went silent")
                .expect("events");
            let done = stop(&ev);
            out.push(ev);
            if done {
                return out;
            }
        }
    }

    async fn finish(&mut self, run: RunId) -> Vec<ConductorEvent> {
        self.until(|e| matches!(e, ConductorEvent::RunFinished { run: r, .. } if *r == run))
            .await
    }
}

fn outcome(events: &[ConductorEvent]) -> RunOutcome {
    events
        .iter()
        .find_map(|e| match e {
            ConductorEvent::RunFinished { outcome, .. } => Some(outcome.clone()),
            _ => None,
        })
        .expect("RunFinished")
}

fn ctx(path: &str, text: &str) -> EditorContext {
    EditorContext {
        path: Some(path.into()),
        language: Some("Rust".into()),
        revision: Some(3),
        file_text: text.to_owned(),
        ..Default::default()
    }
}

/// Every file under `dir`, with its size.
fn files(dir: &Path) -> Vec<(PathBuf, u64)> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else if let Ok(m) = e.metadata() {
            out.push((p, m.len()));
        }
    }
    out
}

fn bytes_under(dir: &Path) -> u64 {
    files(dir).iter().map(|f| f.1).sum()
}

fn sources(store: &Path) -> PathBuf {
    store.join("conductor").join("sources")
}

fn journal(store: &Path, run: RunId) -> PathBuf {
    store
        .join("conductor")
        .join("runs")
        .join(format!("{}.jsonl", run.0))
}

/// Makes every stored text look older than the grace period a collection waits for.
fn age_texts(store: &Path) {
    let old = SystemTime::now() - Duration::from_secs(3600);
    for (p, _) in files(&sources(store)) {
        let f = std::fs::File::options()
            .append(true)
            .open(&p)
            .expect("text file");
        f.set_modified(old).expect("set mtime");
    }
}

/// A log of `mb` MiB.
fn big_log(mb: usize) -> String {
    let mut s = String::with_capacity(mb * 1024 * 1024 + 64);
    let mut i = 0u64;
    while s.len() < mb * 1024 * 1024 {
        s.push_str(&format!(
            "2026-11-24T15:{:02}:{:02} worker-{} handled request {i} in {} ms\n",
            (i / 60) % 60,
            i % 60,
            i % 7,
            i % 97
        ));
        i += 1;
    }
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_runs_on_one_unchanged_big_file_store_its_text_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("artifacts");
    let mb = std::env::var("SYMPHONY_BIG_FILE_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let text = big_log(mb);
    let mut s = Session::open(&store, Model::new(vec![Ok("It logs requests.")]));
    let first = s.conductor.run(AiCommand::Explain, ctx("big.log", &text));
    assert_eq!(outcome(&s.finish(first).await), RunOutcome::Succeeded);
    let after_one = bytes_under(&store);
    let mut runs = vec![first];
    for _ in 1..10 {
        let run = s.conductor.run(AiCommand::Explain, ctx("big.log", &text));
        assert_eq!(outcome(&s.finish(run).await), RunOutcome::Succeeded);
        runs.push(run);
    }
    // One copy of the text, whole.
    let texts = files(&sources(&store));
    assert_eq!(texts.len(), 1, "{texts:#?}");
    assert_eq!(texts[0].1, text.len() as u64);
    // Journals name it; they do not hold it.
    for run in &runs {
        let len = std::fs::metadata(journal(&store, *run))
            .expect("journal")
            .len();
        assert!(len < 64 * 1024, "journal of {run:?} is {len} bytes");
    }
    // Nine more runs added nothing of the text's size anywhere in the store.
    let grown = bytes_under(&store) - after_one;
    assert!(
        grown < text.len() as u64 / 4,
        "nine more runs on the same file grew the store by {grown} bytes"
    );
    drop(s);

    // After a restart every run still has its text.
    let s = Session::open(&store, Model::new(vec![Ok("unused")]));
    assert_eq!(s.conductor.recent_runs().len(), 10);
    let read = s.conductor.run_source(runs[4]).expect("text");
    assert!(read == text, "the text read back differs");
    // The context node's output opens whole (its copy of the text comes from the store).
    let context = s
        .conductor
        .node_output(runs[9], "context")
        .expect("context output");
    assert!(context.len() >= text.len(), "{}", context.len());
}

/// Turns run `run`'s journal back into the old format: its text inline in the
/// manifest (format 1, no text id), as Symphony wrote it before.
fn to_old_format(store: &Path, run: RunId) {
    let path = journal(store, run);
    let body = std::fs::read_to_string(&path).expect("journal");
    let (first, rest) = body.split_once('\n').expect("lines");
    let mut m: serde_json::Value = serde_json::from_str(first).expect("manifest");
    let id = m["source"]["file"].as_str().expect("text id").to_owned();
    let text =
        std::fs::read_to_string(sources(store).join(&id[..2]).join(&id[2..])).expect("stored text");
    let sel = &mut m["context"]["selection"];
    if sel.is_object() {
        let (start, end) = (
            sel["start"].as_u64().expect("start") as usize,
            sel["end"].as_u64().expect("end") as usize,
        );
        sel["text"] = text[start..end].into();
    }
    m["context"]["file_text"] = text.into();
    m["version"] = 1.into();
    m.as_object_mut().expect("object").remove("source");
    std::fs::write(&path, format!("{m}\n{rest}")).expect("rewrite");
}

const FILE: &str = "fn main() {\n    let x = 1 ;\n}\n";

fn selected() -> EditorContext {
    let start = FILE.find("    let").expect("let");
    let end = FILE.find("}\n").expect("}");
    EditorContext {
        selection: Some(SelectionContext {
            start,
            end,
            text: FILE[start..end].into(),
            first_line: 1,
        }),
        ..ctx("main.rs", FILE)
    }
}

fn refactor() -> AiCommand {
    AiCommand::Refactor {
        instruction: "fix spacing".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_format_journal_with_its_text_inline_still_loads_and_retries() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("artifacts");
    let mut s = Session::open(&store, Model::new(vec![Err("model crashed")]));
    let run = s.conductor.run(refactor(), selected());
    assert!(matches!(
        outcome(&s.finish(run).await),
        RunOutcome::Failed(_)
    ));
    drop(s);
    to_old_format(&store, run);
    std::fs::remove_dir_all(sources(&store)).expect("no text store in the old format");

    let mut s = Session::open(&store, Model::new(vec![Ok("```rust\n    let x = 1;\n```")]));
    let listed = s.conductor.recent_runs();
    assert_eq!(listed.len(), 1, "{listed:#?}");
    assert_eq!(listed[0].title, "refactor: fix spacing");
    assert_eq!(listed[0].revision, Some(3));
    assert_eq!(
        s.conductor.run_source(run).as_deref(),
        Ok("    let x = 1 ;\n")
    );
    s.conductor.retry_node(run, "model");
    let events = s.finish(run).await;
    assert_eq!(outcome(&events), RunOutcome::Succeeded, "{events:#?}");
    let proposal = events
        .iter()
        .find_map(|e| match e {
            ConductorEvent::Proposal { proposal, .. } => Some(proposal.clone()),
            _ => None,
        })
        .expect("a proposal");
    assert_eq!(proposal.base_revision, Some(3));
    let mut out = FILE.to_owned();
    for h in proposal.hunks.iter().rev() {
        out.replace_range(h.start..h.end, &h.new_text);
    }
    assert_eq!(out, "fn main() {\n    let x = 1;\n}\n");
    // Appending to it kept it readable: a third session lists it as succeeded.
    drop(s);
    let s = Session::open(&store, Model::new(vec![Ok("unused")]));
    assert_eq!(
        s.conductor.recent_runs()[0].outcome,
        Some(RunOutcome::Succeeded)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_whose_text_was_deleted_by_hand_is_listed_and_retrying_says_the_text_is_gone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("artifacts");
    let mut s = Session::open(&store, Model::new(vec![Err("model crashed")]));
    let run = s.conductor.run(refactor(), selected());
    assert!(matches!(
        outcome(&s.finish(run).await),
        RunOutcome::Failed(_)
    ));
    drop(s);
    std::fs::remove_dir_all(sources(&store)).expect("the user deletes the texts");

    let model = Model::new(vec![Ok("```rust\n    let x = 1;\n```")]);
    let mut s = Session::open(&store, model.clone());
    let listed = s.conductor.recent_runs();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].title, "refactor: fix spacing");
    assert!(
        matches!(listed[0].nodes.iter().find(|n| n.info.id == "model").map(|n| &n.status),
            Some(NodeStatus::Failed(why)) if why.contains("model crashed")),
        "{listed:#?}"
    );
    let why = s.conductor.run_source(run).expect_err("no text");
    assert!(why.contains("main.rs") && why.contains("is gone"), "{why}");
    s.conductor.retry_node(run, "model");
    let events = s
        .until(|e| matches!(e, ConductorEvent::Notice(n) if n.contains("cannot run again")))
        .await;
    let Some(ConductorEvent::Notice(notice)) = events.last() else {
        unreachable!()
    };
    assert!(
        notice.contains("the text run") && notice.contains("main.rs") && notice.contains("is gone"),
        "{notice}"
    );
    assert_eq!(model.calls.load(Ordering::SeqCst), 0, "nothing ran");
    // The client's request for the text gets the same answer as an event.
    s.conductor.fetch_run_source(run);
    let events = s
        .until(|e| matches!(e, ConductorEvent::RunSource { .. }))
        .await;
    assert!(
        matches!(events.last(), Some(ConductorEvent::RunSource { run: r, text: Err(why) }) if *r == run && why.contains("is gone")),
        "{events:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pruning_old_journals_keeps_texts_kept_journals_name_and_removes_the_others() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("artifacts");
    let mut s = Session::open(&store, Model::new(vec![Ok("It prints.")]));
    let mut runs = Vec::new();
    for (path, text) in [
        ("a.rs", "fn a() {}\n"),
        ("b.rs", "fn b() {}\n"),
        ("c.rs", "fn c() {}\n"),
    ] {
        let run = s.conductor.run(AiCommand::Explain, ctx(path, text));
        assert_eq!(outcome(&s.finish(run).await), RunOutcome::Succeeded);
        runs.push(run);
    }
    // The same text as b.rs, in a fourth run: one more reference to one text.
    let d = s
        .conductor
        .run(AiCommand::Explain, ctx("d.rs", "fn b() {}\n"));
    assert_eq!(outcome(&s.finish(d).await), RunOutcome::Succeeded);
    drop(s);
    assert_eq!(files(&sources(&store)).len(), 3);
    let (a, b, c) = (runs[0], runs[1], runs[2]);
    // The user deletes c's journal by hand: its text is nobody's now.
    std::fs::remove_file(journal(&store, c)).expect("remove c");
    // 499 newer runs (copies of run a's journal): a and b fall out of the newest 500.
    let body = std::fs::read_to_string(journal(&store, a)).expect("a");
    let (first, rest) = body.split_once('\n').expect("lines");
    let mut m: serde_json::Value = serde_json::from_str(first).expect("manifest");
    for id in d.0 + 1..d.0 + 500 {
        m["run"] = id.into();
        m["context"]["file_text"] = "".into();
        std::fs::write(journal(&store, RunId(id)), format!("{m}\n{rest}")).expect("copy");
    }
    // Texts written in the last minutes stay whatever refers to them (another Symphony
    // may be writing the journal that will): these are older.
    age_texts(&store);

    let s = Session::open(&store, Model::new(vec![Ok("unused")]));
    assert!(!journal(&store, a).exists() && !journal(&store, b).exists());
    assert!(journal(&store, d).exists());
    let left: Vec<String> = files(&sources(&store))
        .iter()
        .map(|(p, _)| std::fs::read_to_string(p).expect("text"))
        .collect();
    // a's text stays (the 499 copies name it), b's too (d names it), c's is gone.
    let mut sorted = left.clone();
    sorted.sort();
    assert_eq!(sorted, vec!["fn a() {}\n", "fn b() {}\n"], "{left:#?}");
    // The newest runs (the copies) read a's text.
    let newest = s.conductor.recent_runs()[0].run;
    assert_eq!(s.conductor.run_source(newest).as_deref(), Ok("fn a() {}\n"));
    drop(s);

    // Once no kept journal names a's text, the next start removes it.
    for id in d.0 + 1..d.0 + 500 {
        std::fs::remove_file(journal(&store, RunId(id))).expect("remove copy");
    }
    let s = Session::open(&store, Model::new(vec![Ok("unused")]));
    let left: Vec<String> = files(&sources(&store))
        .iter()
        .map(|(p, _)| std::fs::read_to_string(p).expect("text"))
        .collect();
    assert_eq!(left, vec!["fn b() {}\n"]);
    assert_eq!(s.conductor.recent_runs().len(), 1);
    assert_eq!(s.conductor.run_source(d).as_deref(), Ok("fn b() {}\n"));
}
