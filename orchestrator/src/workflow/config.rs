//! `[[workflows]]` in config.toml: a user workflow's nodes, and their validation into a
//! Pit workflow (errors name the workflow and the node).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use symphony_pit::dag::{NodeSpec, Workflow};

use super::template;
use super::{Result, WorkflowError};

/// One user workflow.
///
/// ```toml
/// [[workflows]]
/// name = "best-of-two"
/// description = "Ask two models, keep the first answer that compiles"
/// answer = "pick"                 # the node whose text ends the run (optional)
///
/// [[workflows.nodes]]
/// id = "ctx"
/// kind = "context"
///
/// [[workflows.nodes]]
/// id = "ask"
/// kind = "prompt"
/// depends_on = ["ctx"]
/// template = "Rewrite this {{language}} code: {{instruction}}\n{{selection}}"
///
/// [[workflows.nodes]]
/// id = "local"
/// kind = "model"
/// instrument = "local"
/// depends_on = ["ask"]
///
/// [[workflows.nodes]]
/// id = "remote"
/// kind = "model"
/// instrument = "remote"
/// depends_on = ["ask"]
///
/// [[workflows.nodes]]
/// id = "pick"
/// kind = "pick"                   # first candidate whose command exits 0
/// command = "rustfmt --check \"$SYMPHONY_CANDIDATE\""
/// depends_on = ["local", "remote"]
///
/// [[workflows.nodes]]
/// id = "edit"
/// kind = "diff"
/// depends_on = ["pick"]
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowConfig {
    /// Name shown in the palette (and used by `AiCommand::Workflow`).
    pub name: String,
    /// One line shown beside the name.
    #[serde(default)]
    pub description: Option<String>,
    /// The node whose text is the run's answer (`RunFinished { answer }`), if any.
    #[serde(default)]
    pub answer: Option<String>,
    /// The nodes (any order; edges come from `depends_on`).
    #[serde(default)]
    pub nodes: Vec<NodeConfig>,
}

/// What a node does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// Gathers the editor context: selection, file, language, path, diagnostics
    /// (and `git diff --staged` as `{{diff}}` when `command = "git-diff-staged"`).
    Context,
    /// Renders `template` (`{{selection}}`, `{{file}}`, `{{language}}`, `{{instruction}}`,
    /// `{{diagnostics}}`, `{{path}}`, `{{diff}}`, or the text of a dependency by its id).
    Prompt,
    /// Calls an instrument with the prompt it depends on; streams tokens.
    Model,
    /// Keeps the first fenced code block of its input (or the whole input).
    Extract,
    /// Runs `command` with `sh -c` (input on stdin, `$SYMPHONY_INPUT` too); its stdout is
    /// the output; a non-zero exit fails the node.
    Shell,
    /// Turns its input into an edit proposal replacing the selection (or the file).
    Diff,
    /// Turns a unified diff into an edit proposal.
    ApplyDiff,
    /// Keeps one of its inputs: the first whose `command` exits 0 (the candidate's text in
    /// the file named by `$SYMPHONY_CANDIDATE`), or the user's choice when there is no command.
    Pick,
    /// Runs an operator extension: `command` names it as `ext:<id>/<method>` (or
    /// `ext:<id>` for its first capability); its inputs are the nodes it depends on
    /// (see `crate::extension_bridge`).
    Extension,
    /// Runs the Python workflow named by `command` (feature `python`); each of its `ctx`
    /// calls joins the run as a node of its own.
    Python,
}

impl NodeKind {
    /// The name used in config.toml and shown in the DAG pane.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Context => "context",
            NodeKind::Prompt => "prompt",
            NodeKind::Model => "model",
            NodeKind::Extract => "extract",
            NodeKind::Shell => "shell",
            NodeKind::Diff => "diff",
            NodeKind::ApplyDiff => "apply_diff",
            NodeKind::Pick => "pick",
            NodeKind::Extension => "extension",
            NodeKind::Python => "python",
        }
    }
}

/// Where a `diff` node's text goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffTarget {
    /// Replaces the selection (the whole file when nothing is selected).
    #[default]
    Selection,
    /// Replaces the whole file.
    File,
    /// Inserted after the selection (after the file when nothing is selected).
    AfterSelection,
}

/// One node of a user workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// Unique id within the workflow.
    pub id: String,
    /// What it does.
    pub kind: NodeKind,
    /// For `prompt`: the template.
    #[serde(default)]
    pub template: Option<String>,
    /// For `prompt`: a system message template sent before the prompt.
    #[serde(default)]
    pub system: Option<String>,
    /// For `model`: the instrument (the default instrument when unset).
    #[serde(default)]
    pub instrument: Option<String>,
    /// For `shell` and `pick`: the command (`sh -c`); for `context`: `git-diff-staged`.
    #[serde(default)]
    pub command: Option<String>,
    /// For `diff`: where the text goes.
    #[serde(default)]
    pub target: DiffTarget,
    /// The nodes whose outputs it takes, in order.
    #[serde(default)]
    pub depends_on: Vec<String>,
}

impl NodeConfig {
    /// A node of `kind` with no settings.
    pub fn new(id: impl Into<String>, kind: NodeKind) -> Self {
        Self {
            id: id.into(),
            kind,
            template: None,
            system: None,
            instrument: None,
            command: None,
            target: DiffTarget::Selection,
            depends_on: Vec::new(),
        }
    }

    /// Adds dependencies.
    pub fn after(mut self, ids: &[&str]) -> Self {
        self.depends_on.extend(ids.iter().map(|s| (*s).to_owned()));
        self
    }

    /// Sets the template (and the optional system template).
    pub fn template(mut self, system: Option<&str>, template: &str) -> Self {
        self.system = system.map(str::to_owned);
        self.template = Some(template.to_owned());
        self
    }

    /// Sets the command.
    pub fn command(mut self, c: &str) -> Self {
        self.command = Some(c.to_owned());
        self
    }

    /// Sets the diff target.
    pub fn target(mut self, t: DiffTarget) -> Self {
        self.target = t;
        self
    }
}

/// The `context` node command that also reads `git diff --staged`.
pub const GIT_DIFF_STAGED: &str = "git-diff-staged";

/// Variables every template may use.
pub const CONTEXT_VARS: &[&str] = &[
    "selection",
    "file",
    "language",
    "instruction",
    "diagnostics",
    "path",
    "diff",
];

/// A validated workflow: the Pit's graph plus each node's settings, with every model
/// node's instrument resolved.
#[derive(Debug)]
pub struct Plan {
    /// The workflow's name.
    pub name: String,
    /// The answer node, if any.
    pub answer: Option<String>,
    /// The Pit workflow.
    pub dag: Arc<Workflow>,
    /// Settings by node id.
    pub nodes: HashMap<String, NodeConfig>,
}

impl WorkflowConfig {
    /// Checks the workflow and builds its plan. `instruments` are the configured names;
    /// `default_instrument` is used by model nodes that name none.
    ///
    /// ```
    /// use symphony_conductor::workflow::{NodeConfig, NodeKind, WorkflowConfig};
    /// let wf = WorkflowConfig {
    ///     name: "w".into(),
    ///     nodes: vec![NodeConfig::new("p", NodeKind::Prompt)],
    ///     ..Default::default()
    /// };
    /// let err = wf.plan(&["local".to_string()], Some("local")).unwrap_err();
    /// assert_eq!(err.to_string(), "workflow \"w\", node \"p\": a prompt node needs a `template`");
    /// ```
    pub fn plan(&self, instruments: &[String], default_instrument: Option<&str>) -> Result<Plan> {
        let err = |node: Option<&str>, message: String| WorkflowError {
            workflow: self.name.clone(),
            node: node.map(str::to_owned),
            message,
        };
        if self.name.trim().is_empty() {
            return Err(err(None, "a workflow needs a `name`".into()));
        }
        if self.nodes.is_empty() {
            return Err(err(None, "a workflow needs at least one node".into()));
        }
        let ids: BTreeSet<&str> = self.nodes.iter().map(|n| n.id.as_str()).collect();
        let mut seen = BTreeSet::new();
        let mut nodes = HashMap::new();
        let mut specs = Vec::with_capacity(self.nodes.len());
        for n in &self.nodes {
            let id = n.id.as_str();
            let fail = |m: String| err(Some(id), m);
            if id.is_empty() || id.contains('.') || id.contains(char::is_whitespace) {
                return Err(fail(
                    "a node id must be non-empty, without dots or spaces".into(),
                ));
            }
            if !seen.insert(id) {
                return Err(fail("this id is used by two nodes".into()));
            }
            for d in &n.depends_on {
                if !ids.contains(d.as_str()) {
                    return Err(fail(format!("depends on `{d}`, which is not a node")));
                }
                if d == id {
                    return Err(fail("a node cannot depend on itself".into()));
                }
            }
            let mut node = n.clone();
            match n.kind {
                NodeKind::Context => {
                    if let Some(c) = &n.command
                        && c != GIT_DIFF_STAGED
                    {
                        return Err(fail(format!(
                            "a context node's command can only be `{GIT_DIFF_STAGED}`"
                        )));
                    }
                }
                NodeKind::Prompt => {
                    let Some(t) = &n.template else {
                        return Err(fail("a prompt node needs a `template`".into()));
                    };
                    for text in std::iter::once(t).chain(n.system.as_ref()) {
                        for var in template::variables(text) {
                            let known = CONTEXT_VARS.contains(&var)
                                || n.depends_on.iter().any(|d| d == var);
                            if !known {
                                return Err(fail(format!(
                                    "the template uses {{{{{var}}}}}, which is neither a \
                                     context variable ({}) nor a node it depends on",
                                    CONTEXT_VARS.join(", ")
                                )));
                            }
                        }
                    }
                }
                NodeKind::Model => {
                    if n.depends_on.is_empty() {
                        return Err(fail("a model node needs a prompt to depend on".into()));
                    }
                    let name = match n.instrument.as_deref().or(default_instrument) {
                        Some(name) => name,
                        None => {
                            return Err(fail(
                                "no instrument: name one, or configure [[instruments]]".into(),
                            ));
                        }
                    };
                    if !instruments.iter().any(|i| i == name) {
                        return Err(fail(format!(
                            "unknown instrument `{name}` (configured: {})",
                            if instruments.is_empty() {
                                "none".to_string()
                            } else {
                                instruments.join(", ")
                            }
                        )));
                    }
                    node.instrument = Some(name.to_owned());
                }
                NodeKind::Extract | NodeKind::Diff | NodeKind::ApplyDiff => {
                    if n.depends_on.is_empty() {
                        return Err(fail(format!(
                            "a {} node needs an input to depend on",
                            n.kind.as_str()
                        )));
                    }
                }
                NodeKind::Python => {
                    if n.command.as_deref().is_none_or(|c| c.trim().is_empty()) {
                        return Err(fail(
                            "a python node needs a `command`: the Python workflow's name".into(),
                        ));
                    }
                    node.instrument = n
                        .instrument
                        .clone()
                        .or(default_instrument.map(str::to_owned));
                }
                NodeKind::Shell => {
                    if n.command.as_deref().is_none_or(|c| c.trim().is_empty()) {
                        return Err(fail("a shell node needs a `command`".into()));
                    }
                }
                NodeKind::Pick => {
                    if n.depends_on.is_empty() {
                        return Err(fail("a pick node needs candidates to depend on".into()));
                    }
                }
                NodeKind::Extension => {
                    let kind = n.command.as_deref().unwrap_or_default();
                    if crate::extension_bridge::parse_node_kind(kind).is_none() {
                        return Err(fail(
                            "an extension node needs `command = \"ext:<id>/<method>\"`".into(),
                        ));
                    }
                }
            }
            let mut spec = NodeSpec::new(id, n.kind.as_str()).output("out");
            for d in &n.depends_on {
                spec = spec.input(&format!("{d}.out"));
            }
            specs.push(spec);
            nodes.insert(id.to_owned(), node);
        }
        if let Some(a) = &self.answer
            && !ids.contains(a.as_str())
        {
            return Err(err(None, format!("`answer = \"{a}\"` is not a node")));
        }
        let dag = Workflow::new(specs).map_err(|e| err(None, e.to_string()))?;
        Ok(Plan {
            name: self.name.clone(),
            answer: self.answer.clone(),
            dag: Arc::new(dag),
            nodes,
        })
    }
}
