//! Agents in the AI pane, at the client's level: "AI: agent task…" picks a host (the
//! last choice remembered), the prompt goes to it with its @-mentions attached, the
//! run's permission box answers through the host, Esc cancels through it, and an
//! `ask_user` question is answered by the next prompt. The hosts here record what the
//! client asks of them (the real hosts, ours and ACP, run in tests/tests/agent_e2e.rs);
//! keys go through the real input path.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use crossterm::event::{KeyCode, KeyModifiers};
use symphony_conductor::agent::{AgentHost, AgentPrompt, Attachment, HostKind};
use symphony_conductor::events::{ConductorEvent, RunId};
use symphony_tui::app::State;
use symphony_tui::conductor::Canned;
use symphony_tui::conductor::agents;

#[derive(Debug, Clone, PartialEq)]
enum HostCall {
    Run(AgentPrompt),
    Choose(RunId, String, usize),
    Answer(RunId, String, String),
    Cancel(RunId),
    NewConversation,
}

struct Recording {
    name: String,
    first_run: u64,
    calls: Arc<Mutex<Vec<HostCall>>>,
}

impl AgentHost for Recording {
    fn name(&self) -> &str {
        &self.name
    }
    fn kind(&self) -> HostKind {
        HostKind::External
    }
    fn run(&self, prompt: AgentPrompt) -> RunId {
        self.calls.lock().unwrap().push(HostCall::Run(prompt));
        RunId(self.first_run)
    }
    fn cancel(&self, run: RunId) {
        self.calls.lock().unwrap().push(HostCall::Cancel(run));
    }
    fn choose(&self, run: RunId, node: &str, index: usize) {
        self.calls
            .lock()
            .unwrap()
            .push(HostCall::Choose(run, node.into(), index));
    }
    fn answer(&self, run: RunId, node: &str, text: String) {
        self.calls
            .lock()
            .unwrap()
            .push(HostCall::Answer(run, node.into(), text));
    }
    fn new_conversation(&self) {
        self.calls.lock().unwrap().push(HostCall::NewConversation);
    }
    fn shutdown(&self) {}
}

type Calls = Arc<Mutex<Vec<HostCall>>>;

fn with_hosts(names: &[&str]) -> (State, Vec<Calls>) {
    let (mut state, _rec) = conductor_state(Canned::default(), 100, 24);
    let mut calls = Vec::new();
    let mut hosts: Vec<Arc<dyn AgentHost>> = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let c: Calls = Arc::default();
        hosts.push(Arc::new(Recording {
            name: (*n).into(),
            first_run: 100 + i as u64,
            calls: c.clone(),
        }));
        calls.push(c);
    }
    agents::install(&mut state, hosts);
    (state, calls)
}

fn prefix(state: &mut State, c: char) {
    press(state, KeyCode::Char('b'), KeyModifiers::CONTROL);
    press(state, KeyCode::Char(c), KeyModifiers::NONE);
}

fn enter(state: &mut State) {
    press(state, KeyCode::Enter, KeyModifiers::NONE);
}

fn taken(c: &Calls) -> Vec<HostCall> {
    std::mem::take(&mut *c.lock().unwrap())
}

#[test]
fn an_agent_task_goes_to_the_host_picked_with_its_mentions_attached() {
    let (mut state, calls) = with_hosts(&["alpha", "beta"]);
    prefix(&mut state, 'I');
    assert!(screen(&state).contains("external agent (ACP)"));
    press(&mut state, KeyCode::Down, KeyModifiers::NONE);
    enter(&mut state);
    let s = screen(&state);
    assert!(s.contains("beta>"), "{s}");
    assert!(s.contains("agent beta · nothing attached"), "{s}");
    typed(&mut state, "explain @diagnostics please");
    assert!(screen(&state).contains("attached: @diagnostics"));
    enter(&mut state);
    assert!(taken(&calls[0]).is_empty());
    let got = taken(&calls[1]);
    let [HostCall::Run(prompt)] = got.as_slice() else {
        panic!("{got:?}");
    };
    assert_eq!(prompt.text, "explain @diagnostics please");
    assert!(matches!(
        prompt.attachments.as_slice(),
        [Attachment::Diagnostics { .. }]
    ));
    // The picker starts on the last choice; the new-conversation key goes to it.
    prefix(&mut state, 'I');
    let Some(symphony_tui::overlays::Overlay::Ai(picker)) = state.overlays.last() else {
        panic!("no agents' picker");
    };
    assert_eq!(picker.current().map(|r| r.label.as_str()), Some("beta"));
    press(&mut state, KeyCode::Esc, KeyModifiers::NONE);
    prefix(&mut state, 'N');
    assert_eq!(taken(&calls[1]), vec![HostCall::NewConversation]);
}

#[test]
fn an_agent_runs_permission_is_answered_and_cancelled_through_its_host() {
    let (mut state, calls) = with_hosts(&["solo"]);
    prefix(&mut state, 'I');
    typed(&mut state, "do it");
    enter(&mut state);
    let run = RunId(100);
    assert!(matches!(taken(&calls[0]).as_slice(), [HostCall::Run(_)]));
    agents::on_event(
        &mut state,
        ConductorEvent::RunStarted {
            run,
            title: "do it".into(),
            nodes: vec![],
        },
    );
    agents::on_event(
        &mut state,
        ConductorEvent::Candidates {
            run,
            node: "permission".into(),
            candidates: vec![
                "Allow once: run_command cargo test".into(),
                "Deny: run_command cargo test".into(),
            ],
        },
    );
    let s = screen(&state);
    assert!(s.contains("the agent asks (permission)"), "{s}");
    assert!(s.contains("1. Allow once: run_command cargo"), "{s}");
    assert!(s.contains("2. Deny: run_command cargo test"), "{s}");
    press(&mut state, KeyCode::Down, KeyModifiers::NONE);
    enter(&mut state);
    assert_eq!(
        taken(&calls[0]),
        vec![HostCall::Choose(run, "permission".into(), 1)]
    );
    // Esc in the AI pane cancels the running agent run through its host.
    press(&mut state, KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(taken(&calls[0]), vec![HostCall::Cancel(run)]);
}

#[test]
fn an_agents_question_is_answered_by_the_next_prompt() {
    let (mut state, calls) = with_hosts(&["solo"]);
    prefix(&mut state, 'I');
    typed(&mut state, "ask me");
    enter(&mut state);
    taken(&calls[0]);
    let run = RunId(100);
    agents::on_event(
        &mut state,
        ConductorEvent::RunStarted {
            run,
            title: "ask me".into(),
            nodes: vec![],
        },
    );
    agents::on_event(
        &mut state,
        ConductorEvent::NodeAdded {
            run,
            node: node("question #1", "question", &[], None),
        },
    );
    agents::on_event(
        &mut state,
        ConductorEvent::Token {
            run,
            node: "question #1".into(),
            text: "Which crate?".into(),
        },
    );
    assert!(screen(&state).contains("Which crate?"));
    typed(&mut state, "the tui one");
    enter(&mut state);
    assert_eq!(
        taken(&calls[0]),
        vec![HostCall::Answer(
            run,
            "question #1".into(),
            "the tui one".into()
        )]
    );
    // The next prompt is a follow-up to the agent again.
    typed(&mut state, "thanks");
    enter(&mut state);
    assert!(matches!(taken(&calls[0]).as_slice(), [HostCall::Run(p)] if p.text == "thanks"));
}
