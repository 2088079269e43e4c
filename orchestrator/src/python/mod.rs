//! The Python Conductor (cargo feature `python`): workflows, agent tools and policies
//! written in Python, run by an interpreter embedded through PyO3.
//!
//! - `host.rs`: the interpreter's own thread and its asyncio loop (never the UI thread).
//! - `glue.py` + `bridge.rs`: the `symphony` module users import (decorators, `ctx`);
//!   each `ctx` call becomes a node of the run, reported, journaled and cancelled like
//!   the TOML workflows' nodes.
//! - `loader.rs`: `*.py` files of the user's config folder and (once trusted) of the
//!   workspace's `.symphony/workflows/`, picked up again when they change.
//! - `policy.rs`: Python policies (instrument choice, fallbacks, candidate scores); the
//!   default stays in Rust.
//! - `tools.rs`: `@symphony.tool` functions as (name, description, schema, call).

mod bridge;
mod host;
pub mod loader;
pub mod policy;
mod run;
pub mod tools;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use pyo3::prelude::*;

pub(crate) use self::run::execute;

/// Why Python could not do something.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PythonError {
    /// The interpreter could not start.
    #[error("the Python interpreter did not start: {0}")]
    Start(String),
    /// Python code raised (the traceback).
    #[error("{0}")]
    Raised(String),
    /// A value of the wrong type came back.
    #[error("{0}")]
    Type(String),
}

/// A Python workflow as the palette lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PyWorkflow {
    /// `name=` of its decorator.
    pub name: String,
    /// `description=`.
    pub description: Option<String>,
    /// The file that defines it.
    pub path: PathBuf,
}

/// The embedded interpreter and what the loaded files registered. Cheap to clone.
#[derive(Clone)]
pub struct PythonConductor {
    host: Arc<host::Host>,
    /// The registered workflows as of the last load, read without the GIL (the palette
    /// asks on the UI thread).
    listed: Arc<parking_lot::Mutex<Vec<PyWorkflow>>>,
}

impl PythonConductor {
    /// The process's interpreter, started on its own thread the first time (CPython has
    /// one per process, and so one `symphony` module and one registry).
    pub fn start() -> Result<PythonConductor, PythonError> {
        type Shared = (Arc<host::Host>, Arc<parking_lot::Mutex<Vec<PyWorkflow>>>);
        static HOST: std::sync::OnceLock<Result<Shared, PythonError>> = std::sync::OnceLock::new();
        let (host, listed) = HOST
            .get_or_init(|| host::Host::start().map(|h| (Arc::new(h), Default::default())))
            .clone()?;
        Ok(PythonConductor { host, listed })
    }

    /// Loads (or loads again) a Python file: its earlier registrations are replaced;
    /// a syntax error or an exception at import comes back as its traceback.
    pub fn load(&self, path: &std::path::Path) -> Result<(), PythonError> {
        let path = path.display().to_string();
        let r = Python::attach(|py| {
            let r = self.host.module.bind(py).call_method1("_load", (path,));
            match r.and_then(|v| v.extract::<Option<String>>()) {
                Ok(None) => Ok(()),
                Ok(Some(tb)) => Err(PythonError::Raised(tb)),
                Err(e) => Err(PythonError::Raised(traceback_of(py, &e))),
            }
        });
        *self.listed.lock() = self.read_workflows();
        r
    }

    /// Forgets what a file registered (it was deleted, or its workspace is not trusted).
    pub fn forget(&self, path: &std::path::Path) {
        let path = path.display().to_string();
        Python::attach(|py| {
            if let Err(e) = self.host.module.bind(py).call_method1("_forget", (path,)) {
                tracing::warn!(error = %traceback_of(py, &e), "python: forget");
            }
        });
        *self.listed.lock() = self.read_workflows();
    }

    /// The registered workflows, by name, as of the last load (no GIL taken).
    pub fn workflows(&self) -> Vec<PyWorkflow> {
        self.listed.lock().clone()
    }

    /// The registered workflows, read from Python.
    fn read_workflows(&self) -> Vec<PyWorkflow> {
        Python::attach(|py| {
            let read = || -> PyResult<Vec<PyWorkflow>> {
                let reg = self.host.module.bind(py).getattr("_workflows")?;
                let mut out = Vec::new();
                for item in reg.call_method0("items")?.try_iter()? {
                    let item = item?;
                    let name: String = item.get_item(0)?.extract()?;
                    let entry = item.get_item(1)?;
                    let description: Option<String> = entry.get_item(1)?.extract()?;
                    let path: Option<String> = entry.get_item(2)?.extract()?;
                    out.push(PyWorkflow {
                        name,
                        description,
                        path: path.map(PathBuf::from).unwrap_or_default(),
                    });
                }
                out.sort_by(|a, b| a.name.cmp(&b.name));
                Ok(out)
            };
            read().unwrap_or_else(|e| {
                tracing::warn!(error = %traceback_of(py, &e), "python: workflows");
                Vec::new()
            })
        })
    }

    /// Whether a workflow of that name is registered.
    pub fn has_workflow(&self, name: &str) -> bool {
        self.workflows().iter().any(|w| w.name == name)
    }

    /// Runs `code` in a fresh namespace (tests and the benchmark register functions with
    /// it as a file would).
    pub fn exec(&self, code: &str) -> Result<(), PythonError> {
        let code = std::ffi::CString::new(code).map_err(|e| PythonError::Type(e.to_string()))?;
        Python::attach(|py| {
            py.run(&code, None, None)
                .map_err(|e| PythonError::Raised(traceback_of(py, &e)))
        })
    }

    /// Cancels a run's task; Python code that does not await (an infinite loop) is
    /// interrupted until the task ends.
    fn cancel(&self, task: Py<PyAny>) {
        let host = self.host.clone();
        Python::attach(|py| {
            let _ = host
                .module
                .bind(py)
                .call_method1("_cancel", (host.event_loop.bind(py), task.bind(py)));
        });
        let spawned = std::thread::Builder::new()
            .name("symphony-python-cancel".into())
            .spawn(move || {
                for _ in 0..600 {
                    std::thread::sleep(Duration::from_millis(50));
                    let done = Python::attach(|py| {
                        let done = host
                            .module
                            .bind(py)
                            .call_method1("_done", (task.bind(py),))
                            .and_then(|d| d.extract::<bool>())
                            .unwrap_or(true);
                        if !done {
                            host.interrupt_if_running(py, &task);
                        }
                        done
                    });
                    if done {
                        return;
                    }
                }
                tracing::warn!("python: a cancelled run did not stop within 30 s");
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "python: cannot watch a cancelled run");
        }
    }
}

/// The traceback of a Python exception, as Python prints it.
pub(crate) fn traceback_of(py: Python<'_>, e: &PyErr) -> String {
    let formatted = (|| -> PyResult<String> {
        let tb = py.import("traceback")?;
        let lines = tb.call_method1(
            "format_exception",
            (e.get_type(py), e.value(py), e.traceback(py)),
        )?;
        let lines: Vec<String> = lines.extract()?;
        Ok(lines.concat())
    })();
    formatted.unwrap_or_else(|_| e.to_string())
}
