//! What an agent's session offers beyond one turn, kept current: its modes
//! (`session/new` / `session/load`, then `current_mode_update`), its config options
//! (`configOptions`, then `config_option_update`) and its slash commands
//! (`available_commands_update`), in the host-neutral shapes the pane lists.

use agent_client_protocol_schema::v1::{
    AvailableCommand, AvailableCommandInput, SessionConfigKind, SessionConfigOption,
    SessionConfigSelectOptions, SessionModeState, SessionUpdate,
};

use crate::agent::host::{AgentChoice, AgentCommand, AgentOption};

/// A session's modes, options and commands as the agent last said.
#[derive(Debug, Clone, Default)]
pub struct SessionView {
    /// Its modes, if it has any.
    pub modes: Option<SessionModeState>,
    /// Its config options.
    pub options: Vec<SessionConfigOption>,
    /// Its slash commands.
    pub commands: Vec<AvailableCommand>,
}

impl SessionView {
    /// The view `session/new` (or `session/load`) answered.
    pub fn new(modes: Option<SessionModeState>, options: Option<Vec<SessionConfigOption>>) -> Self {
        SessionView {
            modes,
            options: options.unwrap_or_default(),
            commands: Vec::new(),
        }
    }

    /// Takes the modes and options a session answered with, keeping the commands: the
    /// agent may announce those before its answer to `session/new` has been handled.
    pub fn open(
        &mut self,
        modes: Option<SessionModeState>,
        options: Option<Vec<SessionConfigOption>>,
    ) {
        self.modes = modes;
        self.options = options.unwrap_or_default();
    }

    /// Folds in a session-level update; `true` when it was one.
    pub fn apply(&mut self, update: &SessionUpdate) -> bool {
        match update {
            SessionUpdate::CurrentModeUpdate(u) => {
                self.set_current_mode(&u.current_mode_id.0);
                true
            }
            SessionUpdate::ConfigOptionUpdate(u) => {
                self.options = u.config_options.clone();
                true
            }
            SessionUpdate::AvailableCommandsUpdate(u) => {
                self.commands = u.available_commands.clone();
                true
            }
            _ => false,
        }
    }

    /// Marks mode `id` as the current one.
    pub fn set_current_mode(&mut self, id: &str) {
        if let Some(m) = &mut self.modes {
            m.current_mode_id = id.to_owned().into();
        }
    }

    /// Whether the agent offers mode `id`.
    pub fn has_mode(&self, id: &str) -> bool {
        self.modes
            .as_ref()
            .is_some_and(|m| m.available_modes.iter().any(|a| &*a.id.0 == id))
    }

    /// The modes for the picker.
    pub fn mode_choices(&self) -> Vec<AgentChoice> {
        let Some(m) = &self.modes else {
            return Vec::new();
        };
        m.available_modes
            .iter()
            .map(|a| AgentChoice {
                id: a.id.0.to_string(),
                name: a.name.clone(),
                description: a.description.clone(),
                current: a.id == m.current_mode_id,
            })
            .collect()
    }

    /// The config options for the picker.
    pub fn option_choices(&self) -> Vec<AgentOption> {
        self.options
            .iter()
            .map(|o| AgentOption {
                id: o.id.0.to_string(),
                name: o.name.clone(),
                category: o
                    .category
                    .as_ref()
                    .and_then(|c| serde_json::to_value(c).ok())
                    .and_then(|v| v.as_str().map(str::to_owned)),
                values: values(&o.kind),
            })
            .collect()
    }

    /// The slash commands for the pane.
    pub fn command_list(&self) -> Vec<AgentCommand> {
        self.commands
            .iter()
            .map(|c| AgentCommand {
                name: c.name.clone(),
                description: c.description.clone(),
                hint: c.input.as_ref().map(|i| match i {
                    AvailableCommandInput::Unstructured(u) => u.hint.clone(),
                    _ => String::new(),
                }),
            })
            .collect()
    }
}

fn values(kind: &SessionConfigKind) -> Vec<AgentChoice> {
    match kind {
        SessionConfigKind::Select(s) => {
            let flat: Vec<_> = match &s.options {
                SessionConfigSelectOptions::Ungrouped(o) => o.iter().collect(),
                SessionConfigSelectOptions::Grouped(g) => {
                    g.iter().flat_map(|g| g.options.iter()).collect()
                }
                _ => Vec::new(),
            };
            flat.into_iter()
                .map(|o| AgentChoice {
                    id: o.value.0.to_string(),
                    name: o.name.clone(),
                    description: o.description.clone(),
                    current: o.value == s.current_value,
                })
                .collect()
        }
        SessionConfigKind::Boolean(b) => [true, false]
            .into_iter()
            .map(|v| AgentChoice {
                id: v.to_string(),
                name: if v { "on" } else { "off" }.into(),
                description: None,
                current: b.current_value == v,
            })
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_options_and_commands_follow_the_agents_updates() {
        let answer: agent_client_protocol_schema::v1::NewSessionResponse =
            serde_json::from_value(serde_json::json!({"sessionId": "s",
                "modes": {"currentModeId": "ask", "availableModes": [
                    {"id": "ask", "name": "Ask"}, {"id": "code", "name": "Code", "description": "edits"}]},
                "configOptions": [{"id": "model", "name": "Model", "category": "model",
                    "type": "select", "currentValue": "a",
                    "options": [{"value": "a", "name": "A"}, {"value": "b", "name": "B"}]}]}))
            .unwrap();
        let mut v = SessionView::new(answer.modes, answer.config_options);
        let modes = v.mode_choices();
        assert_eq!(modes.len(), 2);
        assert!(modes[0].current && !modes[1].current);
        assert_eq!(modes[1].description.as_deref(), Some("edits"));
        let opts = v.option_choices();
        assert_eq!(opts[0].category.as_deref(), Some("model"));
        assert_eq!(
            opts[0]
                .values
                .iter()
                .map(|c| (c.id.as_str(), c.current))
                .collect::<Vec<_>>(),
            [("a", true), ("b", false)]
        );
        let up = |j| serde_json::from_value::<SessionUpdate>(j).unwrap();
        assert!(v.apply(&up(
            serde_json::json!({"sessionUpdate": "current_mode_update", "currentModeId": "code"})
        )));
        assert!(v.mode_choices()[1].current);
        assert!(v.apply(&up(serde_json::json!({"sessionUpdate": "available_commands_update",
            "availableCommands": [{"name": "init", "description": "set up", "input": {"hint": "dir"}}]}))));
        assert_eq!(
            v.command_list(),
            [AgentCommand {
                name: "init".into(),
                description: "set up".into(),
                hint: Some("dir".into())
            }]
        );
        assert!(!v.apply(&up(
            serde_json::json!({"sessionUpdate": "agent_message_chunk",
            "content": {"type": "text", "text": "x"}})
        )));
    }

    #[test]
    fn commands_announced_before_the_session_answer_is_handled_are_kept() {
        let mut v = SessionView::default();
        let up: SessionUpdate = serde_json::from_value(serde_json::json!({
            "sessionUpdate": "available_commands_update",
            "availableCommands": [{"name": "init", "description": "set up"}]}))
        .unwrap();
        v.apply(&up);
        v.open(None, None);
        assert_eq!(v.command_list().len(), 1);
    }
}
