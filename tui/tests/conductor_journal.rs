//! Runs of an earlier session in the DAG pane: the Conductor lists them from
//! their journals (orchestrator/src/conductor/journal.rs; the restart itself is
//! tested against a real server in orchestrator/tests/conductor_restart.rs).
//! Here the client shows them on start, a node interrupted by the restart is
//! drawn in its own style (not as a failure) and retried with the usual key,
//! and the retry's RunStarted replaces the listed run rather than adding a
//! second one. End to end with real Conductors on one store: a pick step
//! pending when Symphony stopped offers its candidates again after the
//! restart, each with its diff against the text the run read.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::*;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Color;
use symphony_conductor::command::{AiCommand, EditorContext};
use symphony_conductor::conductor::{
    Conductor, ConductorConfig, InstrumentFactory, NodeSummary, RunSummary,
};
use symphony_conductor::events::{ConductorEvent, NodeInfo, NodeStatus, RunId, RunOutcome};
use symphony_conductor::instrument::{
    CallFuture, CancellationToken, Completion, CompletionRequest, FinishReason, Instrument,
    InstrumentConfig, InstrumentEvent, InstrumentKind, Usage,
};
use symphony_tui::action::Action;
use symphony_tui::app::input::event_to_actions;
use symphony_tui::app::{State, update};
use symphony_tui::conductor::{Canned, ConductorCall, install, on_conductor_event};
use symphony_tui::overlays::Overlay;
use tokio::sync::mpsc;

fn press(state: &mut State, code: KeyCode) {
    for a in event_to_actions(state, Event::Key(KeyEvent::new(code, KeyModifiers::NONE))) {
        update(state, a);
    }
}

fn node(id: &str, kind: &str, deps: &[&str], status: NodeStatus) -> NodeSummary {
    NodeSummary {
        info: NodeInfo {
            id: id.into(),
            kind: kind.into(),
            depends_on: deps.iter().map(|d| (*d).into()).collect(),
            instrument: (kind == "model").then(|| "local".into()),
        },
        status,
        has_output: false,
    }
}

/// A refactor that was running its model when Symphony stopped, as the
/// Conductor reports it after the restart.
fn interrupted_run(now_ms: i64) -> RunSummary {
    RunSummary {
        run: RunId(7),
        title: "refactor: use checked_add".into(),
        command: AiCommand::Refactor {
            instruction: "use checked_add".into(),
        },
        nodes: vec![
            node("context", "context", &[], NodeStatus::Done),
            node("prompt", "prompt", &["context"], NodeStatus::Done),
            node("model", "model", &["prompt"], NodeStatus::Interrupted),
            node("extract", "extract", &["model"], NodeStatus::Skipped),
            node("diff", "diff", &["extract"], NodeStatus::Skipped),
        ],
        outcome: Some(RunOutcome::Interrupted),
        interrupted: true,
        answer: None,
        path: None,
        revision: Some(3),
        started_ms: now_ms - 60_000,
        finished_ms: None,
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[test]
fn an_earlier_sessions_interrupted_run_is_listed_and_its_node_retried() {
    let (mut state, rec) = conductor_state(
        Canned {
            recent_runs: vec![interrupted_run(now_ms())],
            ..Default::default()
        },
        240,
        16,
    );
    assert_eq!(state.conductor.runs.len(), 1);
    update(&mut state, Action::OpenDagPane);
    let buf = render(&state);
    let shown = text_of(&buf);
    // The run says it was interrupted and counts its nodes by how they ended.
    assert!(
        shown.contains("refactor: use checked_add")
            && shown.contains("interrupted (2 done, 1 interrupted, 2 skipped)"),
        "{shown}"
    );
    assert!(!shown.contains("failed"), "{shown}");
    // The interrupted node: its own glyph, word and colour, not a red failure.
    let row = shown
        .lines()
        .position(|l| l.contains("↯ model (model, local)  interrupted by a restart · r retries"))
        .unwrap_or_else(|| panic!("the model node's row: {shown}"));
    let row = u16::try_from(row).expect("row");
    let colours: Vec<Option<Color>> = (0..buf.area.width)
        .map(|x| buf[(x, row)].style().fg)
        .filter(|c| c.is_some())
        .collect();
    assert!(
        colours.contains(&Some(Color::Cyan)) && !colours.contains(&Some(Color::Red)),
        "{colours:?}"
    );
    // Row 0 is the run, then its nodes: the model node is row 3.
    for _ in 0..3 {
        press(&mut state, KeyCode::Down);
    }
    press(&mut state, KeyCode::Char('r'));
    let calls = std::mem::take(&mut *rec.calls.lock().expect("calls"));
    assert_eq!(calls, vec![ConductorCall::Retry(RunId(7), "model".into())]);
    // The Conductor starts the retry under the same id: one run, running again.
    let nodes: Vec<NodeInfo> = interrupted_run(0)
        .nodes
        .into_iter()
        .map(|n| n.info)
        .collect();
    on_conductor_event(
        &mut state,
        ConductorEvent::RunStarted {
            run: RunId(7),
            title: "retry model: refactor: use checked_add".into(),
            nodes,
        },
    );
    assert_eq!(state.conductor.runs.len(), 1);
    assert!(state.conductor.runs[0].outcome.is_none());
}

/// Stands in for a model: every call answers `answer`, and is counted.
struct Model {
    name: String,
    answer: String,
    calls: Arc<AtomicUsize>,
}

impl Instrument for Model {
    fn name(&self) -> &str {
        &self.name
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
        let text = self.answer.clone();
        Box::pin(async move {
            let _ = events.send(InstrumentEvent::Token(text.clone())).await;
            Ok(Completion {
                usage: Usage {
                    prompt_tokens: 10,
                    completion_tokens: 10,
                },
                text,
                finish: FinishReason::Stop,
                time_to_first_token: None,
                elapsed: Duration::from_millis(1),
            })
        })
    }
}

/// Two instruments and a best-of-two workflow whose pick waits for the user.
const BEST_OF_TWO: &str = r#"
[[instruments]]
name = "fast"
kind = "command"
command = ["true"]

[[instruments]]
name = "careful"
kind = "command"
command = ["true"]

[[workflows]]
name = "fix"
answer = "pick"

[[workflows.nodes]]
id = "context"
kind = "context"

[[workflows.nodes]]
id = "ask"
kind = "prompt"
depends_on = ["context"]
template = "Fix: {{selection}}"

[[workflows.nodes]]
id = "quick"
kind = "model"
instrument = "fast"
depends_on = ["ask"]

[[workflows.nodes]]
id = "slow"
kind = "model"
instrument = "careful"
depends_on = ["ask"]

[[workflows.nodes]]
id = "quick_code"
kind = "extract"
depends_on = ["quick"]

[[workflows.nodes]]
id = "slow_code"
kind = "extract"
depends_on = ["slow"]

[[workflows.nodes]]
id = "pick"
kind = "pick"
depends_on = ["quick_code", "slow_code"]
"#;

/// The file the run reads: `add` subtracts.
const BUGGY: &str = "fn add(a: i32, b: i32) -> i32 {\n    a - b\n}\n";

/// Starts a Conductor on `store` with the two stand-in models (their calls
/// counted in `calls`).
fn start_conductor(
    store: &Path,
    calls: &Arc<AtomicUsize>,
) -> (
    ConductorConfig,
    Conductor,
    mpsc::UnboundedReceiver<ConductorEvent>,
) {
    let mut config: ConductorConfig = toml::from_str(BEST_OF_TWO).expect("config");
    config.store_dir = store.to_path_buf();
    let calls = calls.clone();
    let factory: InstrumentFactory = Arc::new(move |cfg: &InstrumentConfig| {
        let answer = if cfg.name == "fast" {
            "```rust\nfn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n```"
        } else {
            "```rust\nfn add(a: i32, b: i32) -> i32 {\n    a.wrapping_add(b)\n}\n```"
        };
        Ok(Arc::new(Model {
            name: cfg.name.clone(),
            answer: answer.into(),
            calls: calls.clone(),
        }) as Arc<dyn Instrument>)
    });
    let (conductor, events) = Conductor::start_with(config.clone(), factory).expect("starts");
    (config, conductor, events)
}

async fn next(events: &mut mpsc::UnboundedReceiver<ConductorEvent>) -> ConductorEvent {
    tokio::time::timeout(Duration::from_secs(30), events.recv())
        .await
        .expect("the Conductor went silent")
        .expect("events")
}

#[test]
fn after_a_restart_a_pending_pick_of_a_reloaded_run_shows_each_candidates_diff() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("artifacts");
    let runtime = || {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime")
    };

    // First session: the pick waits for the user when Symphony stops (its
    // runtime shut down, its tasks gone).
    let first_calls = Arc::new(AtomicUsize::new(0));
    let rt = runtime();
    let run = rt.block_on(async {
        let (_, conductor, mut events) = start_conductor(&store, &first_calls);
        let ctx = EditorContext {
            path: Some("src/add.rs".into()),
            language: Some("Rust".into()),
            revision: Some(5),
            file_text: BUGGY.into(),
            ..Default::default()
        };
        let run = conductor.run(
            AiCommand::Workflow {
                name: "fix".into(),
                instruction: None,
            },
            ctx,
        );
        loop {
            if matches!(next(&mut events).await, ConductorEvent::Candidates { .. }) {
                break;
            }
        }
        // The candidates' outputs reach the journal before Symphony stops.
        let journal = store
            .join("conductor/runs")
            .join(format!("{}.jsonl", run.0));
        for _ in 0..600 {
            let text = std::fs::read_to_string(&journal).unwrap_or_default();
            if text.contains("\"node\":\"quick_code\",\"artifact\"")
                && text.contains("\"node\":\"slow_code\",\"artifact\"")
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        run
    });
    drop(rt);
    assert_eq!(first_calls.load(Ordering::SeqCst), 2);

    // Second session: the client lists the run; its pick was interrupted.
    let calls = Arc::new(AtomicUsize::new(0));
    let rt = runtime();
    rt.block_on(async {
        let (config, conductor, mut events) = start_conductor(&store, &calls);
        let (mut state, _) = state_with(Some("src/add.rs"), 220, 24);
        state.config.conductor = config;
        install(&mut state, Box::new(conductor));
        update(&mut state, Action::OpenDagPane);
        let shown = screen(&state);
        assert!(
            shown.contains("↯ pick (pick)  interrupted · Enter offers its candidates again"),
            "{shown}"
        );
        // Enter on the pick node (row 0 is the run, then its nodes in order).
        let at = state.conductor.runs[0]
            .nodes
            .iter()
            .position(|n| n.info.id == "pick")
            .expect("pick node");
        for _ in 0..=at {
            press(&mut state, KeyCode::Down);
        }
        press(&mut state, KeyCode::Enter);
        // The Conductor offers the candidates again and, asked by the client,
        // the text the run read.
        while state.conductor.choice.is_none() || !state.conductor.source_requests.is_empty() {
            let ev = next(&mut events).await;
            on_conductor_event(&mut state, ev);
        }
        assert_eq!(
            state.conductor.run_selections.get(&run).map(String::as_str),
            Some(BUGGY)
        );
        assert!(
            matches!(state.overlays.last(), Some(Overlay::Ai(_))),
            "the candidates picker is open"
        );
        // Tab: the first candidate against the text the run read.
        press(&mut state, KeyCode::Tab);
        let buf = render(&state);
        let shown = text_of(&buf);
        assert!(
            shown.contains("-     a - b") && shown.contains("+     a + b"),
            "{shown}"
        );
        // The second candidate's diff too.
        press(&mut state, KeyCode::Down);
        let shown = screen(&state);
        assert!(
            shown.contains("-     a - b") && shown.contains("+     a.wrapping_add(b)"),
            "{shown}"
        );
        // The models were not asked again: their answers came from the store.
        assert_eq!(calls.load(Ordering::SeqCst), 0);
        // Esc decides later; Ctrl-b V ("AI: choose a candidate") reopens it, diffs kept.
        press(&mut state, KeyCode::Esc);
        assert!(state.overlays.is_empty());
        update(&mut state, Action::AiChooseCandidate);
        press(&mut state, KeyCode::Tab);
        let shown = screen(&state);
        assert!(
            shown.contains("-     a - b") && shown.contains("+     a + b"),
            "{shown}"
        );
        // Enter chooses; the run finishes with that candidate.
        press(&mut state, KeyCode::Enter);
        loop {
            let ev = next(&mut events).await;
            let done = matches!(&ev, ConductorEvent::RunFinished { run: r, .. } if *r == run);
            on_conductor_event(&mut state, ev);
            if done {
                break;
            }
        }
        assert_eq!(
            state.conductor.run(run).and_then(|r| r.outcome.clone()),
            Some(RunOutcome::Succeeded)
        );
    });
}
