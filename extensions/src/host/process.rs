//! Starting an extension's process with resource limits (setrlimit in `pre_exec`) and
//! a cleaned environment: only [`PASSED_ENV`] (and `LC_*`, `XDG_*`) of the client's
//! environment, plus the variables its grant names (`env = ["OPENAI_API_KEY"]`), so
//! API keys and other secrets reach no extension that was not allowed them.

use std::process::Stdio;

use tokio::process::{Child, Command};

use crate::manifest::Manifest;

/// Resource limits applied to every extension process; `None` leaves the inherited
/// limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Address space in bytes (`RLIMIT_AS`).
    pub address_space: Option<u64>,
    /// CPU time in seconds (`RLIMIT_CPU`).
    pub cpu_seconds: Option<u64>,
    /// Open files (`RLIMIT_NOFILE`).
    pub open_files: Option<u64>,
}

impl Default for Limits {
    /// 4 GiB of address space, one hour of CPU, 256 open files.
    fn default() -> Self {
        Limits {
            address_space: Some(4 << 30),
            cpu_seconds: Some(3600),
            open_files: Some(256),
        }
    }
}

/// The variables every extension gets from the client's environment (with every
/// `LC_*` and `XDG_*`).
pub const PASSED_ENV: &[&str] = &["PATH", "HOME", "LANG", "TERM", "USER"];

/// Whether variable `name` of the client's environment reaches an extension whose
/// grant names `granted`.
pub fn passes_env(name: &str, granted: &[String]) -> bool {
    PASSED_ENV.contains(&name)
        || name.starts_with("LC_")
        || name.starts_with("XDG_")
        || granted.iter().any(|g| g == name)
}

/// The environment of an extension whose grant names `granted`, taken from `from`.
pub fn child_env(
    from: impl IntoIterator<Item = (std::ffi::OsString, std::ffi::OsString)>,
    granted: &[String],
) -> Vec<(std::ffi::OsString, std::ffi::OsString)> {
    from.into_iter()
        .filter(|(k, _)| k.to_str().is_some_and(|k| passes_env(k, granted)))
        .collect()
}

/// Spawns `manifest`'s command in `cwd` with piped stdio, `limits` and the cleaned
/// environment (plus the `granted_env` variables).
pub fn spawn(
    manifest: &Manifest,
    cwd: &std::path::Path,
    limits: Limits,
    granted_env: &[String],
) -> std::io::Result<Child> {
    let mut cmd = Command::new(manifest.program());
    cmd.args(manifest.resolved_args())
        .current_dir(cwd)
        .env_clear()
        .envs(child_env(std::env::vars_os(), granted_env))
        .env("SYMPHONY_EXTENSION_ID", &manifest.id)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        // Its own process group, so whatever it spawns is killed with it.
        .process_group(0);
    apply_limits(&mut cmd, limits);
    cmd.spawn()
}

/// Makes `cmd`'s process apply `limits` before it execs (used for extensions and for
/// external agents alike).
pub fn apply_limits(cmd: &mut Command, limits: Limits) {
    // SAFETY: the closure runs in the forked child before exec. It only calls
    // `setrlimit` (a plain system call, async-signal-safe) with values computed before
    // the fork, and reads errno through `last_os_error`; it allocates nothing, takes
    // no locks and touches no state shared with the parent.
    unsafe {
        cmd.pre_exec(move || {
            set_limit(libc::RLIMIT_AS, limits.address_space)?;
            set_limit(libc::RLIMIT_CPU, limits.cpu_seconds)?;
            set_limit(libc::RLIMIT_NOFILE, limits.open_files)?;
            Ok(())
        });
    }
}

#[cfg(target_os = "linux")]
type Resource = libc::__rlimit_resource_t;
#[cfg(not(target_os = "linux"))]
type Resource = libc::c_int;

fn set_limit(resource: Resource, value: Option<u64>) -> std::io::Result<()> {
    let Some(v) = value else { return Ok(()) };
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid rlimit the call writes into.
    if unsafe { libc::getrlimit(resource, &mut lim) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // Never ask for more than the hard limit (that would fail unprivileged).
    let v = (v as libc::rlim_t).min(lim.rlim_max);
    lim.rlim_cur = v;
    lim.rlim_max = v;
    // SAFETY: `lim` is a valid, initialised rlimit living across the call.
    let rc = unsafe { libc::setrlimit(resource, &lim) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Kills the process group led by `pid` (the extension and what it spawned).
pub fn kill_group(pid: u32) {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return;
    };
    if pid <= 1 {
        return;
    }
    // SAFETY: kill(2) with a negative pid signals that process group; no memory is
    // involved. The group is the extension's own (process_group(0) at spawn).
    unsafe {
        libc::kill(-pid, libc::SIGKILL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_basic_variables_and_the_granted_ones_pass() {
        let from = [
            ("PATH", "/bin"),
            ("HOME", "/home/me"),
            ("LC_ALL", "C.UTF-8"),
            ("XDG_DATA_HOME", "/d"),
            ("OPENAI_API_KEY", "sk-secret"),
            ("ANTHROPIC_API_KEY", "sk-other"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
            ("LD_PRELOAD", "/evil.so"),
        ]
        .map(|(k, v)| (k.into(), v.into()));
        let names = |granted: &[String]| -> Vec<String> {
            child_env(from.clone(), granted)
                .into_iter()
                .map(|(k, _)| k.to_string_lossy().into_owned())
                .collect()
        };
        assert_eq!(names(&[]), ["PATH", "HOME", "LC_ALL", "XDG_DATA_HOME"]);
        assert_eq!(
            names(&["OPENAI_API_KEY".into()]),
            ["PATH", "HOME", "LC_ALL", "XDG_DATA_HOME", "OPENAI_API_KEY"]
        );
    }
}
