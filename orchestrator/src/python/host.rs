//! The embedded interpreter's own thread: an asyncio event loop that runs every Python
//! workflow as a task (so `asyncio.gather` fans out), never on the UI thread. Rust
//! threads attach only for the short calls that hand work to the loop or read the
//! registry; while the loop waits it holds no GIL.

use std::ffi::CString;
use std::sync::mpsc;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyModule;

use super::{PythonError, traceback_of};

/// The Python half of the `symphony` module.
const GLUE: &str = include_str!("glue.py");

/// The interpreter thread's loop and the handles Rust calls through.
pub(crate) struct Host {
    /// The `symphony` module (its registries and helpers).
    pub module: Py<PyModule>,
    /// The asyncio loop running on the interpreter thread.
    pub event_loop: Py<PyAny>,
    /// `threading.get_ident()` of the interpreter thread (for interrupting a busy loop).
    thread_ident: std::ffi::c_long,
}

impl Host {
    /// Starts the interpreter thread and waits until its loop runs.
    pub fn start() -> Result<Host, PythonError> {
        let (tx, rx) = mpsc::channel::<Result<(Py<PyModule>, Py<PyAny>, u64), String>>();
        std::thread::Builder::new()
            .name("symphony-python".into())
            .spawn(move || {
                Python::attach(|py| {
                    let started = (|| -> PyResult<(Py<PyModule>, Py<PyAny>, u64)> {
                        let module = install(py)?;
                        let asyncio = py.import("asyncio")?;
                        let lp = asyncio.call_method0("new_event_loop")?;
                        asyncio.call_method1("set_event_loop", (&lp,))?;
                        let ident: u64 = py
                            .import("threading")?
                            .call_method0("get_ident")?
                            .extract()?;
                        Ok((module.unbind(), lp.unbind(), ident))
                    })();
                    let lp = match started {
                        Ok((m, lp, id)) => {
                            let keep = lp.clone_ref(py);
                            let _ = tx.send(Ok((m, lp, id)));
                            keep
                        }
                        Err(e) => {
                            let _ = tx.send(Err(traceback_of(py, &e)));
                            return;
                        }
                    };
                    // Runs until the process ends; waiting in the selector drops the GIL.
                    if let Err(e) = lp.call_method0(py, "run_forever") {
                        tracing::error!(error = %traceback_of(py, &e), "the Python loop stopped");
                    }
                });
            })
            .map_err(|e| PythonError::Start(e.to_string()))?;
        let (module, event_loop, ident) = rx
            .recv_timeout(Duration::from_secs(60))
            .map_err(|_| PythonError::Start("the interpreter did not start".into()))?
            .map_err(PythonError::Start)?;
        Ok(Host {
            module,
            event_loop,
            thread_ident: ident as std::ffi::c_long,
        })
    }

    /// Interrupts Python code that runs on the loop thread without awaiting (an
    /// infinite loop) by raising `CancelledError` in it, when `task` is the one running.
    pub fn interrupt_if_running(&self, py: Python<'_>, task: &Py<PyAny>) -> bool {
        let module = self.module.bind(py);
        let running = module
            .call_method1("_is_running", (self.event_loop.bind(py), task.bind(py)))
            .and_then(|r| r.extract::<bool>())
            .unwrap_or(false);
        if running {
            let Ok(exc) = py
                .import("asyncio")
                .and_then(|a| a.getattr("CancelledError"))
            else {
                return false;
            };
            // SAFETY: attached to the interpreter; `exc` is a live exception type, and the
            // thread id is the interpreter thread's, which lives as long as the process.
            unsafe {
                pyo3::ffi::PyThreadState_SetAsyncExc(self.thread_ident, exc.as_ptr());
            }
        }
        running
    }
}

/// Builds the `symphony` module (its Rust half as `symphony._rs`) and puts it in
/// `sys.modules`, so user files `import symphony`.
fn install(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    let code =
        CString::new(GLUE).map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    let module = PyModule::from_code(py, &code, c"symphony/__init__.py", c"symphony")?;
    let native = PyModule::new(py, "symphony._rs")?;
    super::bridge::register(&native)?;
    module.setattr("_rs", &native)?;
    py.import("sys")?
        .getattr("modules")?
        .set_item("symphony", &module)?;
    Ok(module)
}
