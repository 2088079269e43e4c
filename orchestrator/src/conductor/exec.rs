//! One run's executor: what each node kind does when the Pit's DAG Tracker runs it
//! (context, prompt, model, extract, shell, diff, apply_diff, pick), with every prompt,
//! response, diff and log stored as an artifact.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;

use parking_lot::Mutex;
use serde_json::Value as Json;
use symphony_pit::dag::{Execution, Executor, NodeError, NodeSpec, Value};
use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::journal::{NODE_OUTPUT_KIND, NodeOutput, RunJournal};
use super::policy::ModelPolicy;
use super::pool::Instruments;
use super::store::{Artifacts, Put};
use crate::command::EditorContext;
use crate::events::{ConductorEvent, RunId};
use crate::instrument::{ChatMessage, Role};
use crate::workflow::config::GIT_DIFF_STAGED;
use crate::workflow::text::{extract_code_block, proposal_diff, value_text};
use crate::workflow::{DiffTarget, NodeConfig, NodeKind, Plan};

/// Largest input passed through `$SYMPHONY_INPUT` (bigger inputs: stdin only).
const ENV_INPUT_LIMIT: usize = 64 * 1024;

/// Everything one run's nodes share.
pub(crate) struct RunEnv {
    pub run: RunId,
    /// The command's name (artifact tag `command:<name>`).
    pub command: String,
    pub plan: Arc<Plan>,
    pub ctx: EditorContext,
    /// Template variables from the editor context.
    pub vars: HashMap<String, String>,
    /// Earlier messages of the conversation (chat).
    pub history: Vec<ChatMessage>,
    pub instruments: Arc<Instruments>,
    pub artifacts: Arc<Artifacts>,
    /// The run's events, forwarded in order by its driver.
    pub tx: mpsc::UnboundedSender<ConductorEvent>,
    /// Cancels model calls, shell commands and pick waits of the current attempt.
    pub cancel: Mutex<CancellationToken>,
    /// Text output of each finished node.
    pub outputs: Mutex<HashMap<String, String>>,
    /// Output value of each node that succeeded (kept for retries).
    pub values: Mutex<HashMap<String, Value>>,
    /// Why each failed node failed.
    pub errors: Mutex<HashMap<String, String>>,
    /// Pick nodes waiting for the user's choice.
    pub choices: Mutex<HashMap<String, oneshot::Sender<usize>>>,
    /// Artifact writes in flight (awaited before the run reports its end).
    pub pending: Mutex<Vec<JoinHandle<()>>>,
    /// Operator extensions for `extension` nodes.
    pub extensions: Option<Arc<crate::extension_bridge::ExtensionCatalog>>,
    /// The run's journal (its node states and outputs survive a restart).
    pub journal: Arc<RunJournal>,
    /// The user's model policy (`None`: the default, in Rust).
    pub policy: Option<Arc<dyn ModelPolicy>>,
    /// The interpreter of `python` nodes.
    #[cfg(feature = "python")]
    pub python: Option<crate::python::PythonConductor>,
}

/// What a run consults besides its plan (see [`RunEnv`]).
pub(crate) struct Hooks {
    pub policy: Option<Arc<dyn ModelPolicy>>,
    #[cfg(feature = "python")]
    pub python: Option<crate::python::PythonConductor>,
}

/// Template variables of an editor context.
pub(crate) fn context_vars(
    ctx: &EditorContext,
    instruction: Option<&str>,
) -> HashMap<String, String> {
    let selection = ctx
        .selection
        .as_ref()
        .map_or_else(|| ctx.file_text.clone(), |s| s.text.clone());
    let diagnostics = ctx
        .diagnostics
        .iter()
        .map(|d| format!("line {}: {}: {}", d.line + 1, d.severity, d.message))
        .collect::<Vec<_>>()
        .join("\n");
    HashMap::from([
        ("selection".to_owned(), selection),
        ("file".to_owned(), ctx.file_text.clone()),
        (
            "language".to_owned(),
            ctx.language.clone().unwrap_or_else(|| "text".into()),
        ),
        (
            "path".to_owned(),
            ctx.path
                .as_ref()
                .map_or_else(|| "untitled".into(), |p| p.display().to_string()),
        ),
        ("diagnostics".to_owned(), diagnostics),
        (
            "instruction".to_owned(),
            instruction.unwrap_or_default().to_owned(),
        ),
        ("diff".to_owned(), String::new()),
    ])
}

/// The Pit executor of one run (attempt).
pub(crate) struct RunExec {
    pub env: Arc<RunEnv>,
    /// Nodes of an earlier attempt that hand on their outputs instead of running.
    pub restored: Arc<HashMap<String, Value>>,
}

impl Executor for RunExec {
    fn execute(&self, node: &NodeSpec, inputs: &[Arc<Value>]) -> Execution {
        if let Some(v) = self.restored.get(&*node.id) {
            return Execution::done(vec![v.clone()]);
        }
        let env = self.env.clone();
        let Some(cfg) = env.plan.nodes.get(&*node.id).cloned() else {
            return Execution::failed(format!("node `{}` has no settings", node.id));
        };
        let inputs: Vec<Arc<Value>> = inputs.to_vec();
        env.outputs.lock().remove(&cfg.id);
        match cfg.kind {
            NodeKind::Context if cfg.command.as_deref() == Some(GIT_DIFF_STAGED) => {
                Execution::future(async move {
                    let r = git_diff_staged(&env).await;
                    finish(&env, &cfg.id, r)
                })
            }
            NodeKind::Context => {
                let r = Ok(Json::Object(
                    env.vars
                        .iter()
                        .map(|(k, v)| (k.clone(), Json::String(v.clone())))
                        .collect(),
                ));
                Execution::Done(finish(&env, &cfg.id, r))
            }
            NodeKind::Prompt => {
                let r = prompt(&env, &cfg, &inputs);
                Execution::Done(finish(&env, &cfg.id, r))
            }
            NodeKind::Model => Execution::future(async move {
                let r = model(&env, &cfg, &inputs).await;
                finish(&env, &cfg.id, r)
            }),
            NodeKind::Extract => {
                let text = inputs.first().map(|v| value_text(v)).unwrap_or_default();
                let r = Ok(Json::String(extract_code_block(&text)));
                Execution::Done(finish(&env, &cfg.id, r))
            }
            NodeKind::Shell => Execution::future(async move {
                let r = shell(&env, &cfg, &inputs).await;
                finish(&env, &cfg.id, r)
            }),
            NodeKind::Diff => {
                let r = diff(&env, &cfg, &inputs);
                Execution::Done(finish(&env, &cfg.id, r))
            }
            NodeKind::ApplyDiff => {
                let r = apply_diff(&env, &cfg, &inputs);
                Execution::Done(finish(&env, &cfg.id, r))
            }
            NodeKind::Pick => Execution::future(async move {
                let r = pick(&env, &cfg, &inputs).await;
                finish(&env, &cfg.id, r)
            }),
            NodeKind::Extension => Execution::future(async move {
                let inputs: Vec<(String, String)> = (cfg.depends_on.iter().cloned())
                    .zip(inputs.iter().map(|v| value_text(v)))
                    .collect();
                let kind = cfg.command.as_deref().unwrap_or_default();
                let catalog = env.extensions.as_deref();
                let r = crate::extension_bridge::run_workflow_node(catalog, kind, &inputs).await;
                finish(&env, &cfg.id, r)
            }),
            NodeKind::Python => Execution::future(async move {
                let r = python_node(&env, &cfg).await;
                finish(&env, &cfg.id, r)
            }),
        }
    }
}

/// A `python` node: runs the Python workflow its `command` names.
#[cfg(feature = "python")]
async fn python_node(env: &Arc<RunEnv>, cfg: &NodeConfig) -> Result<Json, String> {
    let Some(python) = env.python.clone() else {
        return Err("no Python workflows are loaded".into());
    };
    let name = cfg.command.clone().unwrap_or_default();
    crate::python::execute(python, env.clone(), name, cfg.instrument.clone()).await
}

/// A `python` node without the `python` feature.
#[cfg(not(feature = "python"))]
async fn python_node(_env: &Arc<RunEnv>, _cfg: &NodeConfig) -> Result<Json, String> {
    Err("this build of Symphony has no Python (feature `python`)".into())
}

/// Records a node's text output or its error, as the Pit wants it.
fn finish(env: &RunEnv, node: &str, r: Result<Json, String>) -> Result<Vec<Value>, NodeError> {
    match r {
        Ok(v) => {
            // A node may have set a better text itself (a diff node: the unified diff).
            let text = env
                .outputs
                .lock()
                .entry(node.to_owned())
                .or_insert_with(|| value_text(&v))
                .clone();
            env.errors.lock().remove(node);
            env.values.lock().insert(node.to_owned(), v.clone());
            env.store_output(node, &v, text);
            Ok(vec![v])
        }
        Err(e) => {
            env.errors.lock().insert(node.to_owned(), e.clone());
            Err(NodeError::Failed(e))
        }
    }
}

impl RunEnv {
    /// Stores an artifact in the background and reports it as an event.
    fn store(
        &self,
        text: String,
        kind: &'static str,
        media: &'static str,
        node: &str,
        instrument: Option<String>,
    ) {
        self.store_with(text, kind, media, node, instrument, Vec::new());
    }

    /// [`RunEnv::store`] with any kind and extra tags.
    pub(crate) fn store_with(
        &self,
        text: String,
        kind: &str,
        media: &'static str,
        node: &str,
        instrument: Option<String>,
        extra_tags: Vec<String>,
    ) {
        let kind = kind.to_owned();
        let artifacts = self.artifacts.clone();
        let tx = self.tx.clone();
        let run = self.run;
        let command = self.command.clone();
        let node = node.to_owned();
        let h = tokio::task::spawn_blocking(move || {
            let hit = artifacts.put(
                &text,
                Put {
                    kind: &kind,
                    media_type: media,
                    run,
                    node: &node,
                    command: &command,
                    instrument: instrument.as_deref(),
                    extra_tags,
                },
            );
            if let Some(hit) = hit {
                let _ = tx.send(ConductorEvent::Artifact { run, node, hit });
            }
        });
        self.pending.lock().push(h);
    }

    /// Stores a finished node's output (value and text) as a node-output artifact in the
    /// background, and records it in the run's journal (a retry after a restart hands it on).
    fn store_output(&self, node: &str, value: &Value, text: String) {
        let journal = self.journal.clone();
        let output = NodeOutput::new(node, value, text, &self.vars);
        let artifacts = self.artifacts.clone();
        let command = self.command.clone();
        let run = self.run;
        let h = tokio::task::spawn_blocking(move || {
            let json = match serde_json::to_string(&output) {
                Ok(j) => j,
                Err(e) => {
                    tracing::warn!(error = %e, node = output.node, "node output not stored");
                    return;
                }
            };
            let hit = artifacts.put(
                &json,
                Put {
                    kind: NODE_OUTPUT_KIND,
                    media_type: "application/json",
                    run,
                    node: &output.node,
                    command: &command,
                    instrument: None,
                    extra_tags: Vec::new(),
                },
            );
            if let Some(hit) = hit {
                journal.output(&output.node, hit.id);
            }
        });
        self.pending.lock().push(h);
    }

    fn cwd(&self) -> PathBuf {
        if self.ctx.cwd.as_os_str().is_empty() || !self.ctx.cwd.is_dir() {
            std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))
        } else {
            self.ctx.cwd.clone()
        }
    }

    fn token(&self) -> CancellationToken {
        self.cancel.lock().clone()
    }
}

async fn git_diff_staged(env: &RunEnv) -> Result<Json, String> {
    let mut cmd = tokio::process::Command::new("git");
    cmd.args(["diff", "--staged", "--no-color"])
        .current_dir(env.cwd())
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let out = cmd
        .output()
        .await
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "git diff --staged failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let diff = String::from_utf8_lossy(&out.stdout).into_owned();
    if diff.trim().is_empty() {
        return Err("nothing is staged: stage changes with `git add` first".into());
    }
    let mut vars: serde_json::Map<String, Json> = env
        .vars
        .iter()
        .map(|(k, v)| (k.clone(), Json::String(v.clone())))
        .collect();
    vars.insert("diff".into(), Json::String(diff));
    Ok(Json::Object(vars))
}

fn prompt(env: &RunEnv, cfg: &NodeConfig, inputs: &[Arc<Value>]) -> Result<Json, String> {
    let mut vars = env.vars.clone();
    for (dep, v) in cfg.depends_on.iter().zip(inputs) {
        if let Json::Object(map) = &**v {
            for (k, val) in map {
                if let Json::String(s) = val {
                    vars.insert(k.clone(), s.clone());
                }
            }
        }
        vars.insert(dep.clone(), value_text(v));
    }
    let user = crate::workflow::template::render(cfg.template.as_deref().unwrap_or(""), &vars);
    let system = cfg
        .system
        .as_deref()
        .map(|s| crate::workflow::template::render(s, &vars));
    let mut messages = Vec::new();
    if let Some(s) = &system {
        messages.push(ChatMessage::new(Role::System, s.clone()));
    }
    messages.extend(env.history.iter().cloned());
    messages.push(ChatMessage::new(Role::User, user.clone()));
    let text = match &system {
        Some(s) => format!("[system]\n{s}\n\n[user]\n{user}"),
        None => user,
    };
    env.store(text, "prompt", "text/plain", &cfg.id, None);
    serde_json::to_value(&messages).map_err(|e| e.to_string())
}

fn messages_of(v: &Value) -> Vec<ChatMessage> {
    match v {
        Json::Array(_) => serde_json::from_value(v.clone())
            .unwrap_or_else(|_| vec![ChatMessage::new(Role::User, value_text(v))]),
        other => vec![ChatMessage::new(Role::User, value_text(other))],
    }
}

async fn model(env: &RunEnv, cfg: &NodeConfig, inputs: &[Arc<Value>]) -> Result<Json, String> {
    let mut messages = Vec::new();
    for v in inputs {
        messages.extend(messages_of(v));
    }
    let prompt = messages.last().map_or("", |m| m.content.as_str());
    let instrument = super::policy::choose(env, &cfg.id, prompt, cfg.instrument.clone())
        .ok_or_else(|| "no instrument configured".to_owned())?;
    let (answer, instrument) =
        super::policy::call_with_fallbacks(env, &cfg.id, instrument, messages).await?;
    env.store(
        answer.clone(),
        "response",
        "text/plain",
        &cfg.id,
        Some(instrument),
    );
    Ok(Json::String(answer))
}

pub(crate) async fn run_sh(
    env: &RunEnv,
    command: &str,
    stdin: &str,
    vars: &[(&str, &str)],
) -> Result<std::process::Output, String> {
    let mut cmd = tokio::process::Command::new("sh");
    cmd.arg("-c")
        .arg(command)
        .current_dir(env.cwd())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run `{command}`: {e}"))?;
    if let Some(mut w) = child.stdin.take() {
        let input = stdin.as_bytes().to_vec();
        tokio::spawn(async move {
            let _ = w.write_all(&input).await;
        });
    }
    let token = env.token();
    tokio::select! {
        _ = token.cancelled() => Err("cancelled".into()),
        r = child.wait_with_output() => r.map_err(|e| format!("`{command}`: {e}")),
    }
}

pub(crate) fn log_text(command: &str, out: &std::process::Output) -> String {
    format!(
        "$ {command}\n{}\n--- stderr ---\n{}\n--- {} ---\n",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        out.status
    )
}

async fn shell(env: &RunEnv, cfg: &NodeConfig, inputs: &[Arc<Value>]) -> Result<Json, String> {
    let command = cfg.command.clone().unwrap_or_default();
    let input: String = inputs
        .iter()
        .map(|v| value_text(v))
        .collect::<Vec<_>>()
        .join("\n");
    let mut vars = vec![];
    if input.len() <= ENV_INPUT_LIMIT {
        vars.push(("SYMPHONY_INPUT", input.as_str()));
    }
    let out = run_sh(env, &command, &input, &vars).await?;
    env.store(log_text(&command, &out), "log", "text/plain", &cfg.id, None);
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: String = err
            .lines()
            .rev()
            .take(5)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n");
        return Err(format!("`{command}` failed ({}): {tail}", out.status));
    }
    Ok(Json::String(
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}

/// The byte range a diff node replaces and the text to put there.
fn diff_range(ctx: &EditorContext, target: DiffTarget, text: &str) -> (usize, usize, String) {
    let len = ctx.file_text.len();
    let sel = ctx
        .selection
        .as_ref()
        .filter(|s| s.start <= s.end && s.end <= len);
    let (start, end) = match (target, sel) {
        (DiffTarget::File, _) | (DiffTarget::Selection, None) => (0, len),
        (DiffTarget::Selection, Some(s)) => (s.start, s.end),
        (DiffTarget::AfterSelection, Some(s)) => (s.end, s.end),
        (DiffTarget::AfterSelection, None) => (len, len),
    };
    let mut new = text.to_owned();
    if start == end {
        // An insertion: on its own lines.
        if start > 0 && !ctx.file_text[..start].ends_with('\n') {
            new.insert(0, '\n');
        }
        if !new.ends_with('\n') {
            new.push('\n');
        }
        if start > 0 && !new.starts_with('\n') {
            new.insert(0, '\n');
        }
    } else {
        let old = &ctx.file_text[start..end];
        if old.ends_with('\n') && !new.ends_with('\n') {
            new.push('\n');
        } else if !old.ends_with('\n') && new.ends_with('\n') {
            new.pop();
        }
    }
    (start, end, new)
}

fn emit_proposal(
    env: &RunEnv,
    node: &str,
    proposal: crate::proposal::Proposal,
) -> Result<Json, String> {
    emit_proposal_for(env, &env.ctx, node, proposal)
}

/// Sends a proposal against `ctx` (the run's buffer, or a file a Python workflow names),
/// its unified diff the node's output and an artifact.
pub(crate) fn emit_proposal_for(
    env: &RunEnv,
    ctx: &EditorContext,
    node: &str,
    proposal: crate::proposal::Proposal,
) -> Result<Json, String> {
    let label = ctx
        .path
        .as_ref()
        .map_or_else(|| "untitled".to_owned(), |p| p.display().to_string());
    let diff_text = proposal_diff(&ctx.file_text, &proposal, &label);
    env.outputs
        .lock()
        .insert(node.to_owned(), diff_text.clone());
    env.store(diff_text, "diff", "application/x-diff", node, None);
    let json = serde_json::to_value(&proposal).map_err(|e| e.to_string())?;
    if proposal.hunks.is_empty() {
        let _ = env.tx.send(ConductorEvent::Notice(
            "the model proposed no change".into(),
        ));
    } else {
        let _ = env.tx.send(ConductorEvent::Proposal {
            run: env.run,
            proposal,
        });
    }
    Ok(json)
}

fn diff(env: &RunEnv, cfg: &NodeConfig, inputs: &[Arc<Value>]) -> Result<Json, String> {
    let text = inputs.first().map(|v| value_text(v)).unwrap_or_default();
    let (start, end, new) = diff_range(&env.ctx, cfg.target, &text);
    let proposal = crate::proposal::from_replacement(&env.ctx, start, end, &new);
    emit_proposal(env, &cfg.id, proposal)
}

fn apply_diff(env: &RunEnv, cfg: &NodeConfig, inputs: &[Arc<Value>]) -> Result<Json, String> {
    let text = inputs.first().map(|v| value_text(v)).unwrap_or_default();
    let diff = extract_code_block(&text);
    let proposal = crate::proposal::from_unified_diff(&env.ctx, &diff)
        .map_err(|e| format!("the diff does not apply: {e}"))?;
    emit_proposal(env, &cfg.id, proposal)
}

async fn pick(env: &RunEnv, cfg: &NodeConfig, inputs: &[Arc<Value>]) -> Result<Json, String> {
    let candidates: Vec<String> = inputs.iter().map(|v| value_text(v)).collect();
    // A user scoring policy decides for the user: the best-scored candidate.
    if cfg.command.is_none()
        && let Some(scores) = env.policy.as_ref().and_then(|p| p.score(&candidates))
        && let Some((best, _)) = scores
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0)))
    {
        return Ok(Json::String(candidates[best].clone()));
    }
    let Some(command) = cfg.command.clone() else {
        let (tx, rx) = oneshot::channel();
        env.choices.lock().insert(cfg.id.clone(), tx);
        let _ = env.tx.send(ConductorEvent::Candidates {
            run: env.run,
            node: cfg.id.clone(),
            candidates: candidates.clone(),
        });
        let token = env.token();
        let index = tokio::select! {
            _ = token.cancelled() => return Err("cancelled".into()),
            r = rx => r.map_err(|_| "the choice was abandoned".to_owned())?,
        };
        return candidates
            .get(index)
            .cloned()
            .map(Json::String)
            .ok_or_else(|| format!("no candidate {index} (there are {})", candidates.len()));
    };
    let mut log = String::new();
    for (i, c) in candidates.iter().enumerate() {
        let path = std::env::temp_dir().join(format!(
            "symphony-candidate-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4()
        ));
        tokio::fs::write(&path, c)
            .await
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        let p = path.display().to_string();
        let out = run_sh(env, &command, c, &[("SYMPHONY_CANDIDATE", p.as_str())]).await;
        let _ = tokio::fs::remove_file(&path).await;
        let out = out?;
        log.push_str(&format!(
            "candidate {i} ({}):\n",
            cfg.depends_on.get(i).map_or("?", String::as_str)
        ));
        log.push_str(&log_text(&command, &out));
        if out.status.success() {
            env.store(log, "log", "text/plain", &cfg.id, None);
            return Ok(Json::String(c.clone()));
        }
    }
    env.store(log, "log", "text/plain", &cfg.id, None);
    Err(format!(
        "no candidate passed `{command}` ({} tried)",
        candidates.len()
    ))
}
