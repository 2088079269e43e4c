//! `@symphony.tool` functions for the agent: each one's name, description (the first
//! paragraph of its docstring), JSON schema (from its typed signature and the docstring's
//! `Args:` lines) and a call taking and returning JSON. An adapter to the agent's `Tool`
//! trait is one small file over [`PythonTool`].

use pyo3::prelude::*;
use serde_json::Value as Json;

use super::{PythonConductor, PythonError, traceback_of};

/// One Python tool.
#[derive(Clone)]
pub struct PythonTool {
    /// The tool's name (the function's, or `name=`).
    pub name: String,
    /// What it does, for the model.
    pub description: String,
    /// JSON schema of its arguments (`{"type": "object", "properties": ..., "required": ...}`).
    pub schema: Json,
    python: PythonConductor,
}

impl std::fmt::Debug for PythonTool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PythonTool")
            .field("name", &self.name)
            .field("schema", &self.schema)
            .finish()
    }
}

impl PythonTool {
    /// Calls the tool with a JSON object of arguments; its result as JSON (a value that
    /// is not JSON comes back as its `str()`); an exception comes back as its traceback.
    /// Blocking: call it from a blocking thread.
    pub fn call(&self, args: &Json) -> Result<Json, PythonError> {
        let args = serde_json::to_string(args).map_err(|e| PythonError::Type(e.to_string()))?;
        Python::attach(|py| {
            let run = || -> PyResult<String> {
                let module = self.python.host.module.bind(py);
                let entry = module.getattr("_tools")?.get_item(&self.name)?;
                let json = py.import("json")?;
                let kwargs = json.call_method1("loads", (args,))?;
                let kwargs = kwargs.cast_into::<pyo3::types::PyDict>().map_err(|_| {
                    pyo3::exceptions::PyTypeError::new_err("tool arguments must be a JSON object")
                })?;
                let out = entry.get_item(0)?.call((), Some(&kwargs))?;
                let kw = pyo3::types::PyDict::new(py);
                kw.set_item("default", py.import("builtins")?.getattr("str")?)?;
                json.call_method("dumps", (out,), Some(&kw))?.extract()
            };
            let text = run().map_err(|e| PythonError::Raised(traceback_of(py, &e)))?;
            serde_json::from_str(&text).map_err(|e| PythonError::Type(e.to_string()))
        })
    }
}

impl PythonConductor {
    /// The registered tools, by name.
    pub fn tools(&self) -> Vec<PythonTool> {
        let read = Python::attach(|py| -> PyResult<Vec<(String, String, String)>> {
            let module = self.host.module.bind(py);
            let json = py.import("json")?;
            let mut out = Vec::new();
            for item in module
                .getattr("_tools")?
                .call_method0("items")?
                .try_iter()?
            {
                let item = item?;
                let name: String = item.get_item(0)?.extract()?;
                let entry = item.get_item(1)?;
                let description: String = entry.get_item(1)?.extract()?;
                let schema: String = json
                    .call_method1("dumps", (entry.get_item(2)?,))?
                    .extract()?;
                out.push((name, description, schema));
            }
            Ok(out)
        });
        let mut tools: Vec<PythonTool> = match read {
            Ok(v) => v
                .into_iter()
                .filter_map(|(name, description, schema)| {
                    Some(PythonTool {
                        name,
                        description,
                        schema: serde_json::from_str(&schema).ok()?,
                        python: self.clone(),
                    })
                })
                .collect(),
            Err(e) => {
                tracing::warn!(error = %e, "python: tools");
                Vec::new()
            }
        };
        tools.sort_by(|a, b| a.name.cmp(&b.name));
        tools
    }
}
