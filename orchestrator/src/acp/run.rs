//! One ACP run's state, folded from the agent's `session/update`s: the streamed
//! answer, its thoughts (drawn folded), the plan as a checklist, one [`ToolNode`] per
//! tool call (updated live), the slash commands it offers, token usage, stop reason.
//!
//! Unification note: a [`ToolNode`] is meant to become a node of the run's Pit DAG
//! (`id` the node id, `kind` its operator, `status` its state, `content`/`diffs` its
//! output artifact), and the run's [`crate::acp::WriteProposal`]s its change set, the
//! same shapes Symphony's own agent produces; this module keeps them plain so either
//! side can map onto the other.

use std::path::PathBuf;

use agent_client_protocol_schema::v1::{
    ContentBlock, PlanEntryStatus, SessionUpdate, StopReason, ToolCall, ToolCallContent,
    ToolCallStatus, ToolCallUpdate, ToolKind,
};

/// A tool call of the agent.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolNode {
    /// The agent's tool-call id.
    pub id: String,
    /// Read, edit, execute...
    pub kind: ToolKind,
    /// Its title ("Reading src/main.rs").
    pub title: String,
    /// Pending, in progress, completed, failed.
    pub status: ToolCallStatus,
    /// Files (and lines) it touches.
    pub locations: Vec<(PathBuf, Option<u32>)>,
    /// Its text output.
    pub content: Vec<String>,
    /// Diffs it reports (path, old text, new text): agents that write files themselves.
    pub diffs: Vec<(PathBuf, Option<String>, String)>,
    /// Terminals whose output belongs to it.
    pub terminals: Vec<String>,
}

/// A plan entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanItem {
    /// What to do.
    pub content: String,
    /// Done?
    pub done: bool,
    /// Being worked on?
    pub active: bool,
}

/// A run's state.
#[derive(Debug, Clone, Default)]
pub struct AcpRun {
    /// The streamed answer.
    pub text: String,
    /// Its thoughts.
    pub thought: String,
    /// The latest plan.
    pub plan: Vec<PlanItem>,
    /// Tool calls in the order they started.
    pub nodes: Vec<ToolNode>,
    /// Slash commands offered (name, description).
    pub commands: Vec<(String, String)>,
    /// Context tokens used / context size, as the agent last reported.
    pub usage: Option<(u64, u64)>,
    /// Why the turn ended, once it has.
    pub stop: Option<StopReason>,
    /// Updates of kinds not shown.
    pub ignored: usize,
}

impl AcpRun {
    /// Folds one update in.
    pub fn apply(&mut self, update: &SessionUpdate) {
        match update {
            SessionUpdate::AgentMessageChunk(c) => push_text(&mut self.text, &c.content),
            SessionUpdate::AgentThoughtChunk(c) => push_text(&mut self.thought, &c.content),
            SessionUpdate::ToolCall(call) => self.tool_call(call),
            SessionUpdate::ToolCallUpdate(u) => self.tool_call_update(u),
            SessionUpdate::Plan(plan) => {
                self.plan = plan
                    .entries
                    .iter()
                    .map(|e| PlanItem {
                        content: e.content.clone(),
                        done: e.status == PlanEntryStatus::Completed,
                        active: e.status == PlanEntryStatus::InProgress,
                    })
                    .collect();
            }
            SessionUpdate::AvailableCommandsUpdate(u) => {
                self.commands = u
                    .available_commands
                    .iter()
                    .map(|c| (c.name.clone(), c.description.clone()))
                    .collect();
            }
            SessionUpdate::UsageUpdate(u) => self.usage = Some((u.used, u.size)),
            _ => self.ignored += 1,
        }
    }

    /// The node of tool call `id`.
    pub fn node(&self, id: &str) -> Option<&ToolNode> {
        self.nodes.iter().find(|n| n.id == id)
    }

    fn tool_call(&mut self, call: &ToolCall) {
        let id = call.tool_call_id.0.to_string();
        let mut node = ToolNode {
            id: id.clone(),
            kind: call.kind,
            title: call.title.clone(),
            status: call.status,
            locations: Vec::new(),
            content: Vec::new(),
            diffs: Vec::new(),
            terminals: Vec::new(),
        };
        set_locations(&mut node, &call.locations);
        set_content(&mut node, &call.content);
        match self.nodes.iter_mut().find(|n| n.id == id) {
            Some(n) => *n = node,
            None => self.nodes.push(node),
        }
    }

    fn tool_call_update(&mut self, u: &ToolCallUpdate) {
        let id = u.tool_call_id.0.to_string();
        if !self.nodes.iter().any(|n| n.id == id) {
            // An update for a call we never saw announced: start it from the update.
            self.nodes.push(ToolNode {
                id: id.clone(),
                kind: ToolKind::Other,
                title: String::new(),
                status: ToolCallStatus::Pending,
                locations: Vec::new(),
                content: Vec::new(),
                diffs: Vec::new(),
                terminals: Vec::new(),
            });
        }
        let Some(n) = self.nodes.iter_mut().find(|n| n.id == id) else {
            return;
        };
        let f = &u.fields;
        if let Some(k) = f.kind {
            n.kind = k;
        }
        if let Some(s) = f.status {
            n.status = s;
        }
        if let Some(t) = &f.title {
            n.title = t.clone();
        }
        if let Some(l) = &f.locations {
            set_locations(n, l);
        }
        if let Some(c) = &f.content {
            set_content(n, c);
        }
    }
}

fn push_text(to: &mut String, block: &ContentBlock) {
    match block {
        ContentBlock::Text(t) => to.push_str(&t.text),
        ContentBlock::ResourceLink(l) => to.push_str(&format!("[{}]", l.uri)),
        _ => to.push_str("[non-text content]"),
    }
}

fn set_locations(n: &mut ToolNode, l: &[agent_client_protocol_schema::v1::ToolCallLocation]) {
    n.locations = l.iter().map(|l| (l.path.clone(), l.line)).collect();
}

fn set_content(n: &mut ToolNode, content: &[ToolCallContent]) {
    n.content.clear();
    n.diffs.clear();
    n.terminals.clear();
    for c in content {
        match c {
            ToolCallContent::Content(c) => {
                let mut s = String::new();
                push_text(&mut s, &c.content);
                n.content.push(s);
            }
            ToolCallContent::Diff(d) => {
                n.diffs
                    .push((d.path.clone(), d.old_text.clone(), d.new_text.clone()))
            }
            ToolCallContent::Terminal(t) => n.terminals.push(t.terminal_id.0.to_string()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(v: serde_json::Value) -> SessionUpdate {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn updates_fold_into_text_plan_and_live_tool_nodes() {
        let mut run = AcpRun::default();
        for v in [
            serde_json::json!({"sessionUpdate":"agent_message_chunk","content":{"type":"text","text":"Hel"}}),
            serde_json::json!({"sessionUpdate":"agent_message_chunk","content":{"type":"text","text":"lo"}}),
            serde_json::json!({"sessionUpdate":"agent_thought_chunk","content":{"type":"text","text":"hmm"}}),
            serde_json::json!({"sessionUpdate":"plan","entries":[
                {"content":"read","priority":"high","status":"completed"},
                {"content":"edit","priority":"high","status":"in_progress"}]}),
            serde_json::json!({"sessionUpdate":"tool_call","toolCallId":"t1","title":"Read a.txt",
                "kind":"read","status":"pending","locations":[{"path":"/w/a.txt","line":3}]}),
            serde_json::json!({"sessionUpdate":"tool_call_update","toolCallId":"t1","status":"completed",
                "content":[{"type":"content","content":{"type":"text","text":"ok"}},
                           {"type":"diff","path":"/w/a.txt","oldText":"a","newText":"b"}]}),
            serde_json::json!({"sessionUpdate":"available_commands_update","availableCommands":[
                {"name":"init","description":"set up"}]}),
            serde_json::json!({"sessionUpdate":"usage_update","used":120,"size":1000}),
        ] {
            run.apply(&update(v));
        }
        assert_eq!(run.text, "Hello");
        assert_eq!(run.thought, "hmm");
        assert_eq!(run.plan.len(), 2);
        assert!(run.plan[0].done && run.plan[1].active);
        let n = run.node("t1").unwrap();
        assert_eq!(
            (n.kind, n.status),
            (ToolKind::Read, ToolCallStatus::Completed)
        );
        assert_eq!(n.title, "Read a.txt");
        assert_eq!(n.locations, [(PathBuf::from("/w/a.txt"), Some(3))]);
        assert_eq!(n.content, ["ok"]);
        assert_eq!(n.diffs[0].2, "b");
        assert_eq!(run.commands, [("init".to_owned(), "set up".to_owned())]);
        assert_eq!(run.usage, Some((120, 1000)));
    }
}
