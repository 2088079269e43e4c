//! The loop: one `select!` over terminal events, the editor session's
//! events, background tasks, signals and a redraw deadline that collapses
//! bursts into one frame. Nothing in it waits on I/O except `select!` itself.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc::unbounded_channel;

use super::edits::simple_edit;
use super::frame::{EchoRows, changes_rows_only};
use super::input::event_to_actions;
use super::session_events::on_session_event;
use super::views::open_view;
use super::{RecordingPort, State, Task, update};
use crate::action::Action;
use crate::config::{Config, ConfigError};
use crate::overlays::pickers::list_files;
use crate::panes::{EditorPane, PaneKind};
use crate::session::{EditorSession, EditorTarget};
use crate::session_server::control::on_control;
use crate::session_server::screens::Screens;
use crate::session_server::{Inputs, Next, SessionMeta};
use crate::terminal::{TerminalGuard, TerminalInput};
use crate::ui::RowPrints;
use crate::ui::colors::ColorMode;
use symphony_protocol::session::ExitReason;

/// The longest a change waits for its frame while events keep arriving.
const MAX_FRAME_DELAY: Duration = Duration::from_millis(16);

/// What `symphony` was started with.
#[derive(Debug)]
pub struct RunOptions {
    /// Settings (defaults if the file was bad).
    pub config: Config,
    /// What was wrong with the config file, shown as a message.
    pub config_error: Option<ConfigError>,
    /// Files to open: the first in the first window, one window each.
    pub files: Vec<PathBuf>,
    /// The editor process to start or connect to.
    pub target: EditorTarget,
}

fn absolute(p: PathBuf, cwd: &std::path::Path) -> PathBuf {
    if p.is_absolute() { p } else { cwd.join(p) }
}

/// Builds the state for the options, with `editor` as the editor port.
pub fn initial_state(opts: &RunOptions, editor: Box<dyn super::EditorPort>) -> State {
    let cwd = std::env::current_dir().unwrap_or_default();
    let (dirs, files): (Vec<PathBuf>, Vec<PathBuf>) = opts
        .files
        .iter()
        .cloned()
        .map(|p| absolute(p, &cwd))
        .partition(|p| p.is_dir());
    let mut files = files.into_iter();
    let mut state = State::new(opts.config.clone(), editor, files.next());
    // `symphony some/dir`: pick a file there.
    state.cwd = dirs.first().cloned().unwrap_or(cwd);
    state.color_mode = ColorMode::from_colorterm(std::env::var("COLORTERM").ok().as_deref());
    if let Some(path) = crate::panes::dock::default_path() {
        state.windows.remember_dock_in(path);
    }
    open_in_windows(&mut state, files);
    state.windows.select_window(0);
    if !dirs.is_empty() {
        super::update(&mut state, Action::OpenFile);
    }
    if let Some(e) = &opts.config_error {
        state.error(format!("{e} (using the defaults)"));
    }
    state
}

/// Opens each file in a window of its own (the last one focused).
pub fn open_in_windows(state: &mut State, files: impl IntoIterator<Item = PathBuf>) {
    for f in files {
        let view = open_view(state, Some(f));
        state.windows.new_window(PaneKind::Editor(EditorPane {
            view,
            ..Default::default()
        }));
    }
}

/// Where the loop runs: in this terminal, or as a session server.
#[derive(Debug)]
pub enum Mode {
    /// In-process, in the terminal on standard input and output.
    Local,
    /// A session server: clients attach on `listener`.
    Server {
        /// The session's socket.
        listener: tokio::net::UnixListener,
        /// The session's name.
        name: String,
    },
}

/// Keystrokes of the focused view drawn ahead of the core.
fn echoed(state: &State) -> usize {
    state
        .focused_data()
        .map_or(0, |d| d.cache.pending_predictions())
}

/// Runs the client until the user quits or a signal arrives.
pub async fn run(opts: RunOptions) -> anyhow::Result<()> {
    run_in(opts, Mode::Local).await
}

/// Runs the loop in `mode` until the user quits (or, in-process, a signal arrives or
/// the terminal goes).
pub async fn run_in(opts: RunOptions, mode: Mode) -> anyhow::Result<()> {
    let (tx, mut session_rx) = unbounded_channel();
    let session = EditorSession::start(opts.target.clone(), tx);
    let mut state = initial_state(&opts, Box::new(session));
    // Extensions: motif panes' answers and their requests of the client; the
    // instrument extensions the user granted join the Conductor's pool.
    let mut motif_rx = crate::motif::start(&mut state);
    // The Conductor's events join this loop; without it the panes say so. It opens its
    // artifact store on a blocking thread so the first frame does not wait for it.
    let (_no_conductor, mut conductor_rx) = unbounded_channel();
    let (conductor_config, conductor_factory) = crate::motif::conductor_setup(&state);
    let mut conductor_start = Some(tokio::task::spawn_blocking(move || {
        symphony_conductor::conductor::Conductor::start_with(conductor_config, conductor_factory)
    }));
    // The agents (one host per [[agents]] entry) are made on a blocking thread; their
    // runs' events come on their own channel.
    let (agent_tx, mut agent_rx) = unbounded_channel();
    let agent_configs = state.config.clone();
    let agent_root = state.cwd.clone();
    let agent_buffers = state.conductor.agents.buffers.clone();
    state.conductor.agents.starting = true;
    let mut agents_start = Some(tokio::task::spawn_blocking(move || {
        crate::conductor::agents::make_hosts(&agent_configs, &agent_root, agent_tx, agent_buffers)
    }));
    let (guard, mut screens, mut events) = match mode {
        Mode::Local => {
            let guard = TerminalGuard::enter(state.config.mouse)?;
            (
                Some(guard),
                Screens::local()?,
                Inputs::Terminal(TerminalInput::new()),
            )
        }
        Mode::Server { listener, name } => {
            let (tx, rx) = unbounded_channel();
            tokio::spawn(crate::session_server::listen::accept_loop(
                listener,
                name.clone(),
                tx,
            ));
            let meta = SessionMeta {
                name,
                last_input: Instant::now(),
            };
            (
                None,
                Screens::Clients(Vec::new()),
                Inputs::Server { rx, meta },
            )
        }
    };
    let size = screens.area();
    update(&mut state, Action::TerminalResized(size.width, size.height));
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let (task_tx, mut task_rx) = unbounded_channel::<Action>();
    // When the screen last changed without being drawn yet.
    let mut dirty_since: Option<Instant> = Some(Instant::now());
    // The focused pane's rows as the terminal shows them, while only the
    // core's updates of that view came since: the next frame draws just the
    // rows they changed.
    let mut rows_before: Option<RowPrints> = None;
    let result: anyhow::Result<()> = loop {
        for task in state.tasks.drain(..) {
            match task {
                Task::ListFiles(root) => {
                    let tx = task_tx.clone();
                    tokio::task::spawn_blocking(move || {
                        let _ = tx.send(Action::PickerFiles(list_files(&root)));
                    });
                }
                Task::ProjectSearch(job) => {
                    let tx = task_tx.clone();
                    tokio::task::spawn_blocking(move || crate::search::run_job(&job, &tx));
                }
                Task::ProjectSearchPreview(job) => {
                    let tx = task_tx.clone();
                    tokio::task::spawn_blocking(move || {
                        let _ = tx.send(Action::ProjectSearchPreview(job.read()));
                    });
                }
                Task::GitCommit { dir, message } => {
                    let tx = task_tx.clone();
                    tokio::task::spawn_blocking(move || {
                        let result = crate::conductor::git_commit::commit(&dir, &message);
                        let _ = tx.send(Action::AiCommitDone(result));
                    });
                }
            }
        }
        for job in state.ghost.jobs.drain(..) {
            crate::completion::spawn(job, task_tx.clone());
        }
        if state.quit {
            break Ok(());
        }
        // Draw once nothing else is ready (a burst becomes one frame), or
        // when the screen has waited too long behind a flood of events.
        let overdue = dirty_since.is_some_and(|t| t.elapsed() >= MAX_FRAME_DELAY);
        if overdue {
            if let Err(e) = screens.draw_changes(&mut state, rows_before.take()) {
                break Err(e.into());
            }
            dirty_since = None;
        }
        let mut changed = false;
        // The change only moved the focused pane's rows (see `rows_before`).
        let mut rows_only = false;
        // The completion popup's pause while an identifier is typed.
        let auto_complete_at = state.lsp.auto_complete_at;
        // Inline completion's pause after typing.
        let ghost_due_at = state.ghost.due_at;
        tokio::select! {
            biased;
            _ = sigterm.recv() => {
                tracing::info!("SIGTERM: exiting");
                break Ok(());
            }
            _ = sighup.recv() => {
                if events.is_server() {
                    tracing::info!("SIGHUP: a session server has no terminal to lose; running on");
                    continue;
                }
                tracing::info!("SIGHUP (terminal gone): exiting");
                break Ok(());
            }
            ev = events.next() => match ev {
                Next::Event(from, ev) => {
                    tracing::trace!(?ev, ?from, "terminal event");
                    let apply = match from {
                        Some(id) => {
                            let (apply, resized) = screens.on_input(id, &ev);
                            if let Some((w, h)) = resized {
                                update(&mut state, Action::TerminalResized(w, h));
                                changed = true;
                            }
                            apply
                        }
                        None => true,
                    };
                    if apply {
                    // Keys that only send an edit change nothing on screen
                    // until the core answers: no frame for them.
                    // A keystroke drawn ahead of the core (local echo) does.
                    let before = (state.message.is_some(), state.prefix_pending, echoed(&state));
                    let actions = event_to_actions(&state, ev);
                    // A plain keystroke on an up-to-date screen: its character
                    // goes to the terminal first, the rest of its work after.
                    let mut caret_drawn = false;
                    if let [action] = actions.as_slice()
                        && dirty_since.is_none()
                        && !before.0
                        && !before.1
                        && super::echo::predict(&mut state, action)
                    {
                        state.echo_predicted = true;
                        match screens.draw_echo_rows(&mut state, EchoRows::Caret) {
                            Ok(drawn) => caret_drawn = drawn,
                            Err(e) => break Err(e.into()),
                        }
                        // The character is on its way: let whoever reads the
                        // terminal (the emulator, sshd) run before the rest of
                        // this key's work, should it share this CPU.
                        std::thread::yield_now();
                    }
                    // Ghost text shown, consumed or hidden changes the screen.
                    let ghost_before = state.ghost.shown.clone();
                    let mut other = false;
                    for action in actions {
                        other |= !(state.overlays.is_empty() && simple_edit(&action).is_some());
                        update(&mut state, action);
                    }
                    state.echo_predicted = false;
                    other |= state.ghost.shown != ghost_before;
                    let after = (state.message.is_some(), state.prefix_pending, echoed(&state));
                    // Only a keystroke echoed on an up-to-date screen: draw
                    // its rows rather than the whole frame.
                    let echo_only = !other && before.0 == after.0 && before.1 == after.1 && after.2 > before.2;
                    let rest = if caret_drawn { EchoRows::Status } else { EchoRows::Both };
                    let drawn = echo_only
                        && dirty_since.is_none()
                        && match screens.draw_echo_rows(&mut state, rest) {
                            Ok(drawn) => drawn,
                            Err(e) => break Err(e.into()),
                        };
                    changed |= !drawn && (other || before != after);
                    }
                    if std::mem::take(&mut state.detach) {
                        match from {
                            Some(id) => {
                                if let Some((w, h)) = screens.detach(id, ExitReason::Detached) {
                                    update(&mut state, Action::TerminalResized(w, h));
                                }
                            }
                            None => state.say(
                                "Not in a session: this symphony runs in-process \
                                 (--no-server or SYMPHONY_NO_SERVER=1), nothing to detach from",
                            ),
                        }
                        changed = true;
                    }
                }
                Next::Control(input) => {
                    if let Inputs::Server { meta, .. } = &mut events {
                        changed |= on_control(&mut state, &mut screens, meta, input);
                    }
                }
                Next::Failed(e) => break Err(e.into()),
                Next::End => break Ok(()),
            },
            Some(ev) = session_rx.recv() => {
                let started = Instant::now();
                if changes_rows_only(&state, &ev) {
                    rows_only = true;
                    if dirty_since.is_none()
                        && let Some(area) = screens.single_area()
                    {
                        rows_before = RowPrints::take(&state, area);
                    }
                }
                on_session_event(&mut state, ev);
                tracing::trace!(us = started.elapsed().as_micros() as u64, "session event applied");
                changed = true;
            }
            Some(ev) = motif_rx.recv() => {
                crate::motif::on_event(&mut state, ev);
                changed = true;
            }
            started = async {
                match conductor_start.as_mut() {
                    Some(task) => task.await,
                    None => std::future::pending().await,
                }
            }, if conductor_start.is_some() => {
                conductor_start = None;
                match started {
                    Ok(Ok((conductor, rx))) => {
                        crate::conductor::install(&mut state, Box::new(conductor));
                        conductor_rx = rx;
                    }
                    Ok(Err(e)) => {
                        tracing::error!("the Conductor did not start: {e}");
                        state.error(format!("AI is off: {e}"));
                    }
                    Err(e) => {
                        tracing::error!("the Conductor's start task failed: {e}");
                        state.error(format!("AI is off: {e}"));
                    }
                }
                changed = true;
            }
            made = async {
                match agents_start.as_mut() {
                    Some(task) => task.await,
                    None => std::future::pending().await,
                }
            }, if agents_start.is_some() => {
                agents_start = None;
                match made {
                    Ok(hosts) => crate::conductor::agents::install(&mut state, hosts),
                    Err(e) => {
                        tracing::error!("the agents' start task failed: {e}");
                        state.conductor.agents.starting = false;
                        state.error(format!("Agents are off: {e}"));
                    }
                }
                changed = true;
            }
            Some(ev) = agent_rx.recv() => {
                crate::conductor::agents::on_event(&mut state, ev);
                changed = true;
            }
            () = crate::conductor::highlight::LOADED_NOTIFY.notified() => {
                // The AI pane's code can be drawn in colour now.
                changed = true;
            }
            Some(ev) = conductor_rx.recv() => {
                // A token changes the state; it is drawn with the next frame.
                crate::conductor::on_conductor_event(&mut state, ev);
                changed = true;
            }
            Some(action) = task_rx.recv() => {
                update(&mut state, action);
                changed = true;
            }
            () = async {
                match auto_complete_at {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            }, if auto_complete_at.is_some() => {
                update(&mut state, Action::Lsp(crate::lsp::LspAction::AutoComplete));
                changed = true;
            }
            () = async {
                match ghost_due_at {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            }, if ghost_due_at.is_some() => {
                update(&mut state, Action::Ghost(crate::completion::GhostAction::Due));
                changed = true;
            }
            _ = std::future::ready(()), if dirty_since.is_some() => {
                if let Err(e) = screens.draw_changes(&mut state, rows_before.take()) {
                    break Err(e.into());
                }
                dirty_since = None;
            }
        }
        if changed && !rows_only {
            rows_before = None;
        }
        if changed && dirty_since.is_none() {
            dirty_since = Some(Instant::now());
        }
    };
    crate::conductor::agents::shutdown(&state);
    let _ = screens.show_cursor();
    let server = events.is_server();
    screens.end_all().await;
    if server {
        // Let the connection tasks send what they were answering (`killed` to
        // kill-session) before the runtime stops.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(guard);
    // The dock's settings are written by a thread of their own: the last change too.
    crate::panes::dock::flush();
    let editor = std::mem::replace(&mut state.editor, Box::new(RecordingPort::new()));
    editor.shutdown();
    result
}
