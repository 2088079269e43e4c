//! The native half of the `symphony` module (`symphony._rs`): what a workflow's `ctx`
//! calls. Each call is a node of the run: announced to the DAG pane
//! ([`ConductorEvent::NodeAdded`]), its states journaled, its work done on tokio with
//! the run's cancel token, and its answer handed back to the asyncio loop.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use pyo3::prelude::*;
use pyo3::types::PyModule;
use tokio::sync::oneshot;

use crate::conductor::exec::{RunEnv, emit_proposal_for, log_text, run_sh};
use crate::conductor::policy::{call_with_fallbacks, choose};
use crate::events::{ConductorEvent, NodeInfo, NodeStatus};
use crate::instrument::{ChatMessage, Role};

/// One run's handle, held by its `ctx`.
#[pyclass(frozen, module = "symphony")]
pub(crate) struct Handle(pub Arc<HandleInner>);

pub(crate) struct HandleInner {
    pub env: Arc<RunEnv>,
    pub rt: tokio::runtime::Handle,
    /// Node counter (`model-1`, `run-2`...).
    pub seq: AtomicU32,
    /// The instrument of model calls that name none.
    pub default: Option<String>,
}

impl HandleInner {
    /// Announces a new node, Running.
    fn begin(&self, kind: &str, instrument: Option<String>) -> String {
        let n = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let id = format!("{kind}-{n}");
        let run = self.env.run;
        let _ = self.env.tx.send(ConductorEvent::NodeAdded {
            run,
            node: NodeInfo {
                id: id.clone(),
                kind: kind.to_owned(),
                depends_on: vec!["python".into()],
                instrument,
            },
        });
        self.status(&id, NodeStatus::Running { attempt: 1 });
        id
    }

    fn status(&self, id: &str, status: NodeStatus) {
        self.env.journal.node(id, &status);
        let _ = self.env.tx.send(ConductorEvent::Node {
            run: self.env.run,
            node: id.to_owned(),
            status,
        });
    }

    /// Ends a node: its text output kept, Done or Failed.
    fn end(&self, id: &str, r: &Result<String, String>) {
        match r {
            Ok(text) => {
                self.env.outputs.lock().insert(id.to_owned(), text.clone());
                self.status(id, NodeStatus::Done);
            }
            Err(e) if e == "cancelled" => self.status(id, NodeStatus::Cancelled),
            Err(e) => {
                self.env.errors.lock().insert(id.to_owned(), e.clone());
                self.status(id, NodeStatus::Failed(e.clone()));
            }
        }
    }
}

/// Hands `ok, value` to the asyncio future behind `settle`.
fn settle_with<T>(settle: Py<PyAny>, r: Result<T, String>)
where
    T: for<'py> IntoPyObject<'py> + Send,
{
    Python::attach(|py| {
        let called = match r {
            Ok(v) => settle.call1(py, (true, v)),
            Err(e) => settle.call1(py, (false, e)),
        };
        if let Err(e) = called {
            tracing::warn!(error = %super::traceback_of(py, &e), "python: settle");
        }
    });
}

/// `await ctx.model(prompt, instrument=None)`.
#[pyfunction]
#[pyo3(signature = (handle, prompt, instrument, settle))]
fn model(
    handle: &Bound<'_, Handle>,
    prompt: String,
    instrument: Option<String>,
    settle: Py<PyAny>,
) {
    let h = handle.get().0.clone();
    let rt = h.rt.clone();
    rt.spawn(async move {
        let n = h.seq.load(Ordering::Relaxed) + 1;
        let configured = instrument.or_else(|| h.default.clone());
        let chosen = choose(&h.env, &format!("model-{n}"), &prompt, configured);
        let Some(inst) = chosen else {
            return settle_with::<String>(settle, Err("no instrument configured".into()));
        };
        let id = h.begin("model", Some(inst.clone()));
        h.env.store_with(
            prompt.clone(),
            "prompt",
            "text/plain",
            &id,
            None,
            Vec::new(),
        );
        let messages = vec![ChatMessage::new(Role::User, prompt)];
        let r = call_with_fallbacks(&h.env, &id, inst, messages).await;
        let r = r.map(|(answer, inst)| {
            h.env.store_with(
                answer.clone(),
                "response",
                "text/plain",
                &id,
                Some(inst),
                Vec::new(),
            );
            answer
        });
        h.end(&id, &r);
        settle_with(settle, r);
    });
}

/// `await ctx.run(cmd)`: `(code, stdout, stderr)`; a non-zero exit fails the node (the
/// workflow still gets the result).
#[pyfunction]
fn run(handle: &Bound<'_, Handle>, cmd: String, settle: Py<PyAny>) {
    let h = handle.get().0.clone();
    let rt = h.rt.clone();
    rt.spawn(async move {
        let id = h.begin("run", None);
        let r = run_sh(&h.env, &cmd, "", &[]).await;
        let r = r.map(|out| {
            h.env.store_with(
                log_text(&cmd, &out),
                "log",
                "text/plain",
                &id,
                None,
                Vec::new(),
            );
            (
                out.status.code().unwrap_or(-1),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        });
        let node = match &r {
            Ok((0, out, _)) => Ok(out.clone()),
            Ok((code, _, err)) => Err(format!("`{cmd}` exited {code}: {}", err.trim())),
            Err(e) => Err(e.clone()),
        };
        h.end(&id, &node);
        settle_with(settle, r);
    });
}

/// `await ctx.ask(question, choices)`: the user's pick, through the candidates picker.
#[pyfunction]
fn ask(handle: &Bound<'_, Handle>, question: String, choices: Vec<String>, settle: Py<PyAny>) {
    let h = handle.get().0.clone();
    let rt = h.rt.clone();
    rt.spawn(async move {
        let id = h.begin("ask", None);
        let (tx, rx) = oneshot::channel();
        h.env.choices.lock().insert(id.clone(), tx);
        let run = h.env.run;
        let _ = h.env.tx.send(ConductorEvent::Token {
            run,
            node: id.clone(),
            text: question,
        });
        let _ = h.env.tx.send(ConductorEvent::Candidates {
            run,
            node: id.clone(),
            candidates: choices.clone(),
        });
        let token = h.env.cancel.lock().clone();
        let r = tokio::select! {
            _ = token.cancelled() => Err("cancelled".to_owned()),
            r = rx => match r {
                Ok(i) => choices.get(i).cloned().ok_or_else(|| format!("no choice {i}")),
                Err(_) => Err("the question was abandoned".to_owned()),
            },
        };
        h.end(&id, &r);
        settle_with(settle, r);
    });
}

/// `ctx.propose_edit(path, new_text)`: a proposal replacing the file's text, reviewed in
/// the editor (the open buffer when `path` is its file, else the file on disk).
#[pyfunction]
#[pyo3(signature = (handle, path, new_text))]
fn propose_edit(
    handle: &Bound<'_, Handle>,
    path: Option<String>,
    new_text: String,
) -> PyResult<()> {
    let h = &handle.get().0;
    // Artifacts are written on the Conductor's blocking threads.
    let _rt = h.rt.enter();
    let env = &h.env;
    let id = h.begin("edit", None);
    let wanted = path.map(PathBuf::from);
    let same = |p: &PathBuf| {
        env.ctx.path.as_ref().is_some_and(|c| {
            c == p || env.ctx.cwd.join(c) == *p || c.canonicalize().ok() == p.canonicalize().ok()
        })
    };
    let ctx = match wanted {
        None => env.ctx.clone(),
        Some(p) if same(&p) => env.ctx.clone(),
        Some(p) => {
            let full = if p.is_relative() {
                env.ctx.cwd.join(&p)
            } else {
                p.clone()
            };
            match std::fs::read_to_string(&full) {
                Ok(text) => crate::command::EditorContext {
                    path: Some(p),
                    file_text: text,
                    cwd: env.ctx.cwd.clone(),
                    ..Default::default()
                },
                Err(e) => {
                    let why = format!("cannot read {}: {e}", full.display());
                    h.end(&id, &Err(why.clone()));
                    return Err(pyo3::exceptions::PyOSError::new_err(why));
                }
            }
        }
    };
    let proposal = crate::proposal::from_replacement(&ctx, 0, ctx.file_text.len(), &new_text);
    let r = emit_proposal_for(env, &ctx, &id, proposal)
        .map(|_| env.outputs.lock().get(&id).cloned().unwrap_or_default());
    h.end(&id, &r);
    r.map(|_| ()).map_err(node_error)
}

/// `ctx.artifact(kind, text, tags)`: stored in the artifact store.
#[pyfunction]
fn artifact(handle: &Bound<'_, Handle>, kind: String, text: String, tags: Vec<String>) {
    let h = &handle.get().0;
    let _rt = h.rt.enter();
    let id = h.begin("artifact", None);
    h.env
        .store_with(text.clone(), &kind, "text/plain", &id, None, tags);
    h.end(&id, &Ok(text));
}

fn node_error(e: String) -> PyErr {
    pyo3::exceptions::PyRuntimeError::new_err(e)
}

/// A run's end: its answer, or its traceback.
pub(crate) type RunEnd = Result<Option<String>, String>;

/// Receives a run's end from Python: `done(ok, text)`.
#[pyclass(module = "symphony")]
pub(crate) struct Done(pub parking_lot::Mutex<Option<oneshot::Sender<RunEnd>>>);

#[pymethods]
impl Done {
    #[pyo3(signature = (ok, text))]
    fn __call__(&self, ok: bool, text: Option<String>) {
        if let Some(tx) = self.0.lock().take() {
            let _ = tx.send(if ok {
                Ok(text)
            } else {
                Err(text.unwrap_or_default())
            });
        }
    }
}

/// Adds the native functions to `symphony._rs`.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(model, m)?)?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(ask, m)?)?;
    m.add_function(wrap_pyfunction!(propose_edit, m)?)?;
    m.add_function(wrap_pyfunction!(artifact, m)?)?;
    m.add_class::<Handle>()?;
    m.add_class::<Done>()?;
    Ok(())
}
