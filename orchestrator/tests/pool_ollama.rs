//! The Pool Manager and Ollama's residency API: the pool pane's loaded models, prewarm
//! and unload through the Conductor. The HTTP server on 127.0.0.1 written here STANDS
//! IN FOR OLLAMA: it speaks `/api/ps`, `/api/generate` (keep_alive loads and unloads)
//! and `/api/chat` (NDJSON) byte for byte, and keeps its own list of loaded models.

mod support;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;
use serde_json::{Value, json};
use support::{Conn, Framing, Gate, Request, serve};
use symphony_conductor::backends::ollama::parse_rfc3339;
use symphony_conductor::command::{AiCommand, EditorContext};
use symphony_conductor::conductor::{Conductor, ConductorConfig};
use symphony_conductor::events::{ConductorEvent, InstrumentStatus, RunOutcome};
use tokio::sync::mpsc::UnboundedReceiver;

/// How long a test waits for the pool to reach what it expects.
const WAIT: Duration = Duration::from_secs(20);

/// A loaded model as the fake Ollama keeps it.
#[derive(Clone)]
struct Loaded {
    name: String,
    size: u64,
    size_vram: u64,
    until: SystemTime,
}

/// The fake Ollama's state: what is loaded, and gates that hold keep_alive answers.
#[derive(Clone, Default)]
struct Fake {
    loaded: Arc<Mutex<Vec<Loaded>>>,
    hold_generate: Arc<Mutex<Option<Gate>>>,
    /// Models it has pulled; `None`: any.
    pulled: Arc<Mutex<Option<Vec<String>>>>,
    /// `/api/ps` answers 500 (a server in trouble).
    broken: Arc<Mutex<bool>>,
}

/// RFC 3339 with nanoseconds and a `-07:00` offset, as Ollama writes `expires_at`.
fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).expect("after 1970");
    let secs = d.as_secs() as i64 - 7 * 3600;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // civil_from_days (Howard Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:09}-07:00",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_nanos()
    )
}

fn keep_alive_secs(v: &Value) -> u64 {
    match v {
        Value::Number(n) => n.as_u64().unwrap_or(0),
        Value::String(s) if s.ends_with('m') => s[..s.len() - 1].parse::<u64>().unwrap_or(5) * 60,
        Value::String(s) if s.ends_with('s') => s[..s.len() - 1].parse().unwrap_or(0),
        _ => 300,
    }
}

impl Fake {
    fn load(&self, name: &str, size: u64, size_vram: u64, keep: Duration) {
        self.loaded.lock().push(Loaded {
            name: name.into(),
            size,
            size_vram,
            until: SystemTime::now() + keep,
        });
    }

    async fn answer(self, req: Request, mut conn: Conn) {
        match (req.method.as_str(), req.path.as_str()) {
            ("GET", "/api/ps") if *self.broken.lock() => {
                conn.respond(
                    500,
                    "application/json; charset=utf-8",
                    &[],
                    r#"{"error":"llama runner process has terminated: signal: killed"}"#,
                )
                .await;
            }
            ("GET", "/api/ps") => {
                let models: Vec<Value> = self
                    .loaded
                    .lock()
                    .iter()
                    .map(|m| {
                        json!({
                            "name": m.name, "model": m.name, "size": m.size,
                            "digest": "2ae6f6dd7a3dd734790bbbf58b8909a606e0e7e97e94b7604e0aa7ae4490e6d8",
                            "details": {"parent_model": "", "format": "gguf", "family": "qwen2",
                                        "families": ["qwen2"], "parameter_size": "7.6B",
                                        "quantization_level": "Q4_K_M"},
                            "expires_at": rfc3339(m.until),
                            "size_vram": m.size_vram,
                        })
                    })
                    .collect();
                let body = json!({ "models": models }).to_string();
                conn.respond(200, "application/json; charset=utf-8", &[], &body)
                    .await;
            }
            ("POST", "/api/generate") => {
                let gate = self.hold_generate.lock().clone();
                if let Some(gate) = gate {
                    gate.wait().await;
                }
                let body = req.json();
                let model = body["model"].as_str().unwrap_or_default().to_owned();
                let missing = self
                    .pulled
                    .lock()
                    .as_ref()
                    .is_some_and(|p| !p.contains(&model));
                if missing {
                    let error = json!({
                        "error": format!("model \"{model}\" not found, try pulling it first")
                    });
                    conn.respond(
                        404,
                        "application/json; charset=utf-8",
                        &[],
                        &error.to_string(),
                    )
                    .await;
                    return;
                }
                let keep = keep_alive_secs(&body["keep_alive"]);
                self.loaded.lock().retain(|m| m.name != model);
                let answer = if keep == 0 {
                    json!({"model": model, "created_at": "2026-11-24T12:40:03.516566Z",
                           "response": "", "done": true, "done_reason": "unload"})
                } else {
                    self.load(
                        &model,
                        5_137_025_024,
                        5_137_025_024,
                        Duration::from_secs(keep),
                    );
                    json!({"model": model, "created_at": "2026-11-24T12:40:07.071755Z",
                           "response": "", "done": true})
                };
                conn.respond(
                    200,
                    "application/json; charset=utf-8",
                    &[],
                    &answer.to_string(),
                )
                .await;
            }
            ("POST", "/api/chat") => {
                let model = req.json()["model"].as_str().unwrap_or_default().to_owned();
                if !self.loaded.lock().iter().any(|m| m.name == model) {
                    self.load(
                        &model,
                        5_137_025_024,
                        5_137_025_024,
                        Duration::from_secs(300),
                    );
                }
                conn.head(200, "application/x-ndjson", Framing::Chunked)
                    .await;
                for t in ["It ", "adds."] {
                    conn.send(format!(
                        "{{\"model\":\"{model}\",\"created_at\":\"2026-11-24T12:40:08.1Z\",\"message\":{{\"role\":\"assistant\",\"content\":\"{t}\"}},\"done\":false}}\n"
                    ))
                    .await;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                conn.send(format!(
                    "{{\"model\":\"{model}\",\"created_at\":\"2026-11-24T12:40:08.2Z\",\"message\":{{\"role\":\"assistant\",\"content\":\"\"}},\"done_reason\":\"stop\",\"done\":true,\"total_duration\":4883583458,\"load_duration\":1334875,\"prompt_eval_count\":26,\"prompt_eval_duration\":342546000,\"eval_count\":2,\"eval_duration\":4535599000}}\n"
                ))
                .await;
                conn.end().await;
            }
            _ => {
                conn.respond(404, "text/plain; charset=utf-8", &[], "404 page not found")
                    .await
            }
        }
    }
}

async fn fake_ollama(fake: &Fake) -> support::Server {
    let fake = fake.clone();
    serve(move |_, req, conn| fake.clone().answer(req, conn)).await
}

/// A Conductor with an Ollama instrument "local" at `ollama` (model
/// qwen2.5-coder:7b) and an openai instrument "remote" nobody listens for.
fn conductor(
    ollama: &str,
    store: &tempfile::TempDir,
) -> (Conductor, UnboundedReceiver<ConductorEvent>) {
    let mut config: ConductorConfig = toml::from_str(&format!(
        r#"
        [[instruments]]
        name = "local"
        kind = "ollama"
        base_url = "{ollama}"
        model = "qwen2.5-coder:7b"
        connect_timeout_secs = 2
        max_retries = 0

        [[instruments]]
        name = "remote"
        kind = "openai"
        base_url = "http://127.0.0.1:9"
        model = "gpt-4o-mini"
        "#
    ))
    .expect("config");
    config.store_dir = store.path().to_path_buf();
    Conductor::start(config).expect("conductor starts")
}

fn status<'a>(pool: &'a [InstrumentStatus], name: &str) -> &'a InstrumentStatus {
    pool.iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no instrument {name} in {pool:?}"))
}

/// Pool events until one satisfies `ok`; every pool seen, in order.
async fn pool_until(
    rx: &mut UnboundedReceiver<ConductorEvent>,
    what: &str,
    ok: impl Fn(&[InstrumentStatus]) -> bool,
) -> Vec<Vec<InstrumentStatus>> {
    let mut seen = Vec::new();
    let found = tokio::time::timeout(WAIT, async {
        while let Some(ev) = rx.recv().await {
            if let ConductorEvent::Pool(pool) = ev {
                let done = ok(&pool);
                seen.push(pool);
                if done {
                    return true;
                }
            }
        }
        false
    })
    .await
    .unwrap_or(false);
    assert!(
        found,
        "the pool never showed {what}; last: {:#?}",
        seen.last()
    );
    seen
}

fn state_of(pool: &[InstrumentStatus], name: &str) -> String {
    status(pool, name).state.clone()
}

#[tokio::test]
async fn the_pool_lists_the_models_ollama_has_loaded() {
    let fake = Fake::default();
    fake.load(
        "qwen2.5-coder:7b",
        5_137_025_024,
        5_137_025_024,
        Duration::from_secs(300),
    );
    fake.load("llama3.2:latest", 2_019_393_189, 0, Duration::from_secs(60));
    let server = fake_ollama(&fake).await;
    let store = tempfile::tempdir().expect("tempdir");
    let (conductor, mut rx) = conductor(&server.url(), &store);

    conductor.watch_pool(true);
    let seen = pool_until(&mut rx, "two loaded models", |p| {
        status(p, "local")
            .residency
            .as_ref()
            .is_some_and(|r| r.checked && r.models.len() == 2)
    })
    .await;
    let pool = seen.last().expect("a pool");
    let local = status(pool, "local");
    let models = &local.residency.as_ref().expect("residency").models;
    assert_eq!(models[0].name, "qwen2.5-coder:7b");
    assert_eq!(
        (models[0].size, models[0].size_vram),
        (5_137_025_024, 5_137_025_024)
    );
    assert!(models[0].configured, "the configured model is marked");
    assert_eq!(models[1].name, "llama3.2:latest");
    assert_eq!(models[1].size_vram, 0);
    assert!(!models[1].configured);
    let in5m = models[0].expires_in.expect("an expiry");
    assert!(
        in5m > Duration::from_secs(200) && in5m <= Duration::from_secs(300),
        "{in5m:?}"
    );
    let in1m = models[1].expires_in.expect("an expiry");
    assert!(in1m <= Duration::from_secs(60), "{in1m:?}");
    // Its configured model is loaded: the instrument is Hot without a call.
    assert_eq!(local.state, "Hot");
    assert_eq!(local.last_error, None);
    // The openai instrument does not report residency and was never asked.
    let remote = status(pool, "remote");
    assert_eq!(remote.residency, None);
    assert_eq!(remote.state, "Cold");
    assert!(server.requests().iter().all(|r| r.path == "/api/ps"));
    assert_eq!(conductor.pool().len(), 2);
}

#[tokio::test]
async fn prewarm_sends_keep_alive_and_goes_warming_then_hot() {
    let fake = Fake::default();
    let gate = Gate::new();
    *fake.hold_generate.lock() = Some(gate.clone());
    let server = fake_ollama(&fake).await;
    let store = tempfile::tempdir().expect("tempdir");
    let (conductor, mut rx) = conductor(&server.url(), &store);

    conductor.watch_pool(true);
    pool_until(&mut rx, "nothing loaded", |p| {
        status(p, "local")
            .residency
            .as_ref()
            .is_some_and(|r| r.checked && r.models.is_empty())
    })
    .await;
    assert_eq!(state_of(&conductor.pool(), "local"), "Cold");

    conductor.prewarm("local");
    pool_until(&mut rx, "local Warming", |p| {
        state_of(p, "local") == "Warming"
    })
    .await;
    // The keep_alive request is in (held by the server until the gate opens).
    let generate = loop {
        if let Some(r) = server
            .requests()
            .into_iter()
            .find(|r| r.path == "/api/generate")
        {
            break r;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(generate.method, "POST");
    assert_eq!(
        generate.json(),
        json!({"model": "qwen2.5-coder:7b", "prompt": "", "keep_alive": "5m", "stream": false})
    );
    gate.open();
    let seen = pool_until(&mut rx, "local Hot with its model", |p| {
        state_of(p, "local") == "Hot"
            && status(p, "local")
                .residency
                .as_ref()
                .is_some_and(|r| r.models.iter().any(|m| m.configured))
    })
    .await;
    assert_eq!(status(seen.last().expect("pool"), "local").last_error, None);
    // Never Failed or Cold on the way.
    for pool in &seen {
        assert!(
            ["Warming", "Hot"].contains(&state_of(pool, "local").as_str()),
            "{pool:?}"
        );
    }
}

#[tokio::test]
async fn unload_sends_keep_alive_zero_and_goes_cooling_then_cold() {
    let fake = Fake::default();
    fake.load(
        "qwen2.5-coder:7b",
        5_137_025_024,
        5_137_025_024,
        Duration::from_secs(300),
    );
    let server = fake_ollama(&fake).await;
    let store = tempfile::tempdir().expect("tempdir");
    let (conductor, mut rx) = conductor(&server.url(), &store);

    conductor.watch_pool(true);
    pool_until(&mut rx, "local Hot", |p| state_of(p, "local") == "Hot").await;
    let gate = Gate::new();
    *fake.hold_generate.lock() = Some(gate.clone());
    conductor.unload("local");
    pool_until(&mut rx, "local Cooling", |p| {
        state_of(p, "local") == "Cooling"
    })
    .await;
    // While it unloads, a prewarm is refused on the error line, not queued.
    conductor.prewarm("local");
    pool_until(&mut rx, "the refusal", |p| {
        status(p, "local")
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("in progress"))
    })
    .await;
    gate.open();
    pool_until(&mut rx, "local Cold with nothing loaded", |p| {
        state_of(p, "local") == "Cold"
            && status(p, "local")
                .residency
                .as_ref()
                .is_some_and(|r| r.checked && r.models.is_empty())
    })
    .await;
    let bodies: Vec<Value> = server
        .requests()
        .iter()
        .filter(|r| r.path == "/api/generate")
        .map(|r| r.json())
        .collect();
    assert_eq!(
        bodies,
        vec![json!({"model": "qwen2.5-coder:7b", "prompt": "", "keep_alive": 0, "stream": false})]
    );
}

#[tokio::test]
async fn an_ollama_that_is_down_is_an_error_line_not_a_crash() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let store = tempfile::tempdir().expect("tempdir");
    let (conductor, mut rx) = conductor(&format!("http://127.0.0.1:{port}"), &store);

    conductor.watch_pool(true);
    let seen = pool_until(&mut rx, "local Failed", |p| {
        state_of(p, "local") == "Failed"
    })
    .await;
    let local = status(seen.last().expect("pool"), "local");
    let error = local.last_error.clone().unwrap_or_default();
    assert!(
        error.contains(&format!("127.0.0.1:{port}/api/ps")),
        "the error says what could not be reached: {error}"
    );
    assert!(!local.residency.as_ref().expect("residency").checked);
    // Prewarming a dead server fails with the reason, too.
    conductor.prewarm("local");
    pool_until(&mut rx, "the prewarm error", |p| {
        status(p, "local")
            .last_error
            .as_deref()
            .is_some_and(|e| e.starts_with("prewarm: cannot reach"))
    })
    .await;
    // The other instrument is untouched.
    assert_eq!(state_of(&conductor.pool(), "remote"), "Cold");
}

#[tokio::test]
async fn prewarm_of_a_model_ollama_has_not_pulled_fails_with_its_message() {
    let fake = Fake::default();
    *fake.pulled.lock() = Some(vec!["llama3.2:latest".into()]);
    let server = fake_ollama(&fake).await;
    let store = tempfile::tempdir().expect("tempdir");
    let (conductor, mut rx) = conductor(&server.url(), &store);

    conductor.prewarm("local");
    let seen = pool_until(&mut rx, "local Failed", |p| {
        state_of(p, "local") == "Failed"
    })
    .await;
    assert_eq!(
        status(seen.last().expect("pool"), "local")
            .last_error
            .as_deref(),
        Some("prewarm: HTTP 404: model \"qwen2.5-coder:7b\" not found, try pulling it first")
    );
    // It went Warming first, then Failed with the server's own words.
    assert!(
        seen.iter().any(|p| state_of(p, "local") == "Warming"),
        "{seen:?}"
    );
}

#[tokio::test]
async fn the_pool_follows_ollama_again_once_it_answers() {
    let fake = Fake::default();
    fake.load(
        "qwen2.5-coder:7b",
        5_137_025_024,
        5_137_025_024,
        Duration::from_secs(300),
    );
    *fake.broken.lock() = true;
    let server = fake_ollama(&fake).await;
    let store = tempfile::tempdir().expect("tempdir");
    let (conductor, mut rx) = conductor(&server.url(), &store);

    conductor.watch_pool(true);
    let seen = pool_until(&mut rx, "local Failed", |p| {
        state_of(p, "local") == "Failed"
    })
    .await;
    assert_eq!(
        status(seen.last().expect("pool"), "local")
            .last_error
            .as_deref(),
        Some("HTTP 500: llama runner process has terminated: signal: killed")
    );
    *fake.broken.lock() = false;
    conductor.refresh_pool();
    let seen = pool_until(&mut rx, "local Hot again", |p| {
        state_of(p, "local") == "Hot"
    })
    .await;
    let local = status(seen.last().expect("pool"), "local");
    assert_eq!(local.last_error, None);
    assert_eq!(local.residency.as_ref().map(|r| r.models.len()), Some(1));
}

#[tokio::test]
async fn prewarm_and_unload_of_an_openai_instrument_are_not_supported() {
    let fake = Fake::default();
    let server = fake_ollama(&fake).await;
    let store = tempfile::tempdir().expect("tempdir");
    let (conductor, mut rx) = conductor(&server.url(), &store);

    conductor.prewarm("remote");
    pool_until(&mut rx, "not supported", |p| {
        status(p, "remote").last_error.as_deref() == Some("prewarm is not supported by openai")
    })
    .await;
    conductor.unload("remote");
    let seen = pool_until(&mut rx, "not supported", |p| {
        status(p, "remote").last_error.as_deref() == Some("unload is not supported by openai")
    })
    .await;
    // A refusal is not a failure.
    assert_eq!(state_of(seen.last().expect("pool"), "remote"), "Cold");
    assert!(server.requests().iter().all(|r| r.path != "/api/generate"));
}

#[tokio::test]
async fn a_run_on_ollama_is_followed_by_the_pool_without_the_pane_open() {
    let fake = Fake::default();
    let server = fake_ollama(&fake).await;
    let store = tempfile::tempdir().expect("tempdir");
    let (conductor, mut rx) = conductor(&server.url(), &store);

    let ctx = EditorContext {
        file_text: "fn add(a: i32, b: i32) -> i32 { a + b }\n".into(),
        ..Default::default()
    };
    let run = conductor.run(AiCommand::Explain, ctx);
    let mut finished = None;
    let mut hot_with_model = false;
    tokio::time::timeout(WAIT, async {
        while let Some(ev) = rx.recv().await {
            match ev {
                ConductorEvent::RunFinished {
                    run: r, outcome, ..
                } if r == run => finished = Some(outcome),
                ConductorEvent::Pool(p) => {
                    hot_with_model = state_of(&p, "local") == "Hot"
                        && status(&p, "local")
                            .residency
                            .as_ref()
                            .is_some_and(|r| r.models.iter().any(|m| m.configured));
                }
                _ => {}
            }
            if finished.is_some() && hot_with_model {
                break;
            }
        }
    })
    .await
    .expect("the run finishes and the pool shows the loaded model");
    assert_eq!(finished, Some(RunOutcome::Succeeded));
    assert!(server.requests().iter().any(|r| r.path == "/api/ps"));
}

#[test]
fn rfc3339_timestamps_as_ollama_writes_them() {
    let at = |s| {
        parse_rfc3339(s).map(|t| {
            t.duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or_else(|e| -e.duration().as_secs_f64())
        })
    };
    assert_eq!(at("1970-01-01T00:00:00Z"), Some(0.0));
    assert_eq!(at("2026-11-24T08:05:00Z"), Some(1_795_507_500.0));
    let t = at("2024-06-04T14:38:31.83753-07:00").expect("parses");
    assert!((t - 1_717_537_111.837_53).abs() < 1e-6, "{t}");
    assert_eq!(at("1969-12-31T23:00:00Z"), Some(-3600.0));
    assert_eq!(at("0001-01-01T00:00:00Z").map(|t| t < 0.0), Some(true));
    for bad in [
        "",
        "2024-06-04",
        "2024-13-04T00:00:00Z",
        "2024-06-04T14:38:31",
        "soon",
    ] {
        assert_eq!(parse_rfc3339(bad), None, "{bad}");
    }
    // The fake server's own timestamps read back.
    let now = SystemTime::now();
    let back = parse_rfc3339(&rfc3339(now)).expect("round trip");
    assert!(back.duration_since(now).unwrap_or_else(|e| e.duration()) < Duration::from_micros(1));
}
