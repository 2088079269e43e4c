//! A Python workflow's run: the `python` node of its plan starts the workflow as a task
//! of the interpreter's loop and waits for its answer; the run's cancel (or the node
//! being dropped) cancels the task, interrupting Python code that never awaits.

use std::sync::Arc;
use std::sync::atomic::AtomicU32;

use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::Value as Json;
use tokio::sync::oneshot;

use super::PythonConductor;
use super::bridge::{Done, Handle, HandleInner};
use crate::conductor::exec::RunEnv;

/// Cancels the task unless it ended.
struct CancelOnDrop {
    python: PythonConductor,
    task: Option<Py<PyAny>>,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            self.python.cancel(task);
        }
    }
}

/// Runs Python workflow `name` for the run of `env`; its answer (a `str` or nothing), or
/// the traceback of what went wrong.
pub(crate) async fn execute(
    python: PythonConductor,
    env: Arc<RunEnv>,
    name: String,
    default: Option<String>,
) -> Result<Json, String> {
    let handle = Handle(Arc::new(HandleInner {
        env: env.clone(),
        rt: tokio::runtime::Handle::current(),
        seq: AtomicU32::new(0),
        default,
    }));
    let (tx, rx) = oneshot::channel();
    let host = python.host.clone();
    let started = Python::attach(|py| -> PyResult<Py<PyAny>> {
        let info = PyDict::new(py);
        let vars = &env.vars;
        let get = |k: &str| vars.get(k).cloned().unwrap_or_default();
        info.set_item("selection", get("selection"))?;
        info.set_item("file", get("file"))?;
        info.set_item(
            "path",
            env.ctx.path.as_ref().map(|p| p.display().to_string()),
        )?;
        info.set_item("language", env.ctx.language.clone())?;
        let diags: Vec<Bound<'_, PyDict>> = env
            .ctx
            .diagnostics
            .iter()
            .map(|d| {
                let dict = PyDict::new(py);
                let _ = dict.set_item("line", d.line + 1);
                let _ = dict.set_item("severity", d.severity.to_string());
                let _ = dict.set_item("message", d.message.clone());
                dict
            })
            .collect();
        info.set_item("diagnostics", diags)?;
        info.set_item("workspace", env.ctx.cwd.display().to_string())?;
        let done = Py::new(py, Done(Mutex::new(Some(tx))))?;
        let task = host.module.bind(py).call_method1(
            "_start",
            (
                host.event_loop.bind(py),
                name.as_str(),
                Py::new(py, handle)?,
                info,
                done,
            ),
        )?;
        Ok(task.unbind())
    });
    let task = started.map_err(|e| Python::attach(|py| super::traceback_of(py, &e)))?;
    let mut guard = CancelOnDrop {
        python,
        task: Some(task),
    };
    let token = env.cancel.lock().clone();
    let r = tokio::select! {
        _ = token.cancelled() => return Err("cancelled".into()),
        r = rx => r,
    };
    guard.task = None;
    match r {
        Ok(Ok(answer)) => {
            if let Some(a) = &answer {
                env.outputs.lock().insert("python".into(), a.clone());
            }
            Ok(answer.map_or(Json::Null, Json::String))
        }
        Ok(Err(traceback)) => Err(traceback),
        Err(_) => Err("the Python workflow ended without an answer".into()),
    }
}
