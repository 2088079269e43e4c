//! Python policies (`@symphony.policy("instrument" | "fallback" | "score")`) as the
//! Conductor's [`ModelPolicy`]: each call attaches to the interpreter for the length of
//! the function only; no policy registered, an exception or a wrong answer keeps the
//! Rust default (logged, the run goes on).

use pyo3::prelude::*;

use super::PythonConductor;
use crate::conductor::policy::ModelPolicy;

impl PythonConductor {
    /// Calls the policy of `kind` with `args`; `None` when there is none or it failed.
    fn call_policy<'py, A, T>(&self, py: Python<'py>, kind: &str, args: A) -> Option<T>
    where
        A: pyo3::call::PyCallArgs<'py>,
        T: FromPyObjectOwned<'py>,
    {
        let module = self.host.module.bind(py);
        let entry = module.getattr("_policies").ok()?.get_item(kind).ok()?;
        let f = entry.get_item(0).ok()?;
        match f
            .call1(args)
            .and_then(|r| r.extract::<T>().map_err(Into::into))
        {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::warn!(kind, error = %super::traceback_of(py, &e), "python policy failed; default kept");
                None
            }
        }
    }

    /// Whether a policy of `kind` is registered.
    pub fn has_policy(&self, kind: &str) -> bool {
        Python::attach(|py| {
            self.host
                .module
                .bind(py)
                .getattr("_policies")
                .and_then(|p| p.contains(kind))
                .unwrap_or(false)
        })
    }
}

impl ModelPolicy for PythonConductor {
    fn instrument(
        &self,
        node: &str,
        prompt: &str,
        configured: Option<&str>,
        instruments: &[String],
    ) -> Option<String> {
        let chosen: Option<String> = Python::attach(|py| {
            self.call_policy::<_, Option<String>>(
                py,
                "instrument",
                (node, prompt, instruments.to_vec(), configured),
            )
        })
        .flatten();
        match chosen {
            Some(c) if instruments.contains(&c) => Some(c),
            Some(c) => {
                tracing::warn!(
                    instrument = c,
                    "python policy named an unknown instrument; default kept"
                );
                None
            }
            None => None,
        }
    }

    fn fallback(
        &self,
        node: &str,
        instrument: &str,
        error: &str,
        attempt: u32,
        instruments: &[String],
    ) -> Option<String> {
        Python::attach(|py| {
            self.call_policy::<_, Option<String>>(
                py,
                "fallback",
                (node, instrument, error, attempt, instruments.to_vec()),
            )
        })
        .flatten()
        .filter(|c| instruments.contains(c))
    }

    fn score(&self, candidates: &[String]) -> Option<Vec<f64>> {
        Python::attach(|py| self.call_policy::<_, Vec<f64>>(py, "score", (candidates.to_vec(),)))
            .filter(|s| s.len() == candidates.len())
    }
}
