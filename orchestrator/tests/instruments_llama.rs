//! The `openai` and `anthropic` instruments against a REAL inference server: llama.cpp
//! (llama-cpp-python's server, and the native llama-server with its Anthropic-style
//! `/v1/messages`) running a tiny generated model. Nothing here is scripted: tokenizer,
//! sampling, streaming and wire format are the server's own (the replies are gibberish).
//!
//! Where the servers come from, in order:
//! - `SYMPHONY_LLM_URL` (OpenAI-compatible) / `SYMPHONY_LLM_NATIVE_URL` (llama-server);
//! - otherwise the cache built by `scripts/llm-server.sh install` (`LLM_HOME`, default
//!   `~/.cache/symphony-llm`): the test starts the server itself on a free port.
//!
//! When neither is available each test prints why and passes without checking.

mod support;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use support::start;
use symphony_conductor::backends::{AnthropicInstrument, OpenAiInstrument};
use symphony_conductor::instrument::{
    ChatMessage, CompletionRequest, FinishReason, InstrumentConfig, InstrumentEvent, Role,
};
use tokio::process::{Child, Command};

/// A server for one test: a URL, and the process when this test started it.
struct Llm {
    url: String,
    _child: Option<Child>,
}

#[derive(Clone, Copy)]
enum Engine {
    Python,
    Native,
}

fn llm_home() -> PathBuf {
    match std::env::var_os("LLM_HOME") {
        Some(h) => PathBuf::from(h),
        None => {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/symphony-llm")
        }
    }
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/llm-server.sh")
}

/// Finds or starts a server, or says why not.
async fn server(engine: Engine) -> Result<Llm, String> {
    let (var, name) = match engine {
        Engine::Python => ("SYMPHONY_LLM_URL", "python"),
        Engine::Native => ("SYMPHONY_LLM_NATIVE_URL", "native"),
    };
    if let Ok(url) = std::env::var(var)
        && !url.is_empty()
    {
        return Ok(Llm { url, _child: None });
    }
    let home = llm_home();
    let version = std::env::var("LLM_LLAMA_CPP_PYTHON_VERSION").unwrap_or_else(|_| "0.3.36".into());
    if !home.join("tiny.gguf").exists() {
        return Err(format!(
            "{var} is not set and {} has no tiny.gguf (run scripts/llm-server.sh install)",
            home.display()
        ));
    }
    let ready = match engine {
        Engine::Python => std::process::Command::new(home.join("venv/bin/python"))
            .args(["-c", "import llama_cpp.server"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success()),
        Engine::Native => home
            .join(format!("build-{version}/bin/llama-server"))
            .exists(),
    };
    if !ready {
        return Err(format!(
            "{var} is not set and the {name} engine is not built in {}",
            home.display()
        ));
    }
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        l.local_addr().map_err(|e| e.to_string())?.port()
    };
    let child = Command::new("bash")
        .arg(script())
        .args(["serve", name, &port.to_string()])
        .env("LLM_HOME", &home)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", script().display()))?;
    let url = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..600 {
        if let Ok(r) = client.get(format!("{url}/v1/models")).send().await
            && r.status().is_success()
        {
            return Ok(Llm {
                url,
                _child: Some(child),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!(
        "the {name} server did not answer on {url} within 60 s"
    ))
}

fn config(kind: &str, url: &str) -> InstrumentConfig {
    toml::from_str(&format!(
        "name = \"llama\"\nkind = \"{kind}\"\nbase_url = \"{url}\"\nmodel = \"tiny\"\nidle_timeout_secs = 60\n"
    ))
    .expect("valid config")
}

fn request() -> CompletionRequest {
    CompletionRequest {
        messages: vec![
            ChatMessage::new(Role::System, "You are a test model."),
            ChatMessage::new(Role::User, "Write a few words."),
        ],
        max_tokens: Some(24),
        temperature: Some(0.0), // greedy: deterministic, and the tiny model still ends by itself
        model: None,
    }
}

/// Checks a real streamed answer: several token events, joined = the text, a finish.
fn check_stream(text: &str, finish: &FinishReason, events: &[InstrumentEvent]) -> Vec<String> {
    let tokens = support::tokens(events);
    assert!(!text.is_empty(), "the model said something");
    assert_eq!(tokens.concat(), text, "the tokens make up the answer");
    assert!(
        tokens.len() > 1,
        "the answer streamed in more than one event: {tokens:?}"
    );
    assert!(
        matches!(finish, FinishReason::Stop | FinishReason::Length),
        "{finish:?}"
    );
    eprintln!(
        "real server: {} token events, finish {finish:?}, text {text:?}",
        tokens.len()
    );
    tokens
}

async fn run_all(
    call: support::Call,
) -> (
    symphony_conductor::instrument::Result<symphony_conductor::instrument::Completion>,
    Vec<InstrumentEvent>,
) {
    let mut call = call;
    let mut events = Vec::new();
    while let Ok(Some(e)) = tokio::time::timeout(Duration::from_secs(60), call.events.recv()).await
    {
        events.push(e);
    }
    let (result, rest) = call.finish().await;
    events.extend(rest);
    (result, events)
}

/// The openai instrument against llama-cpp-python's OpenAI-compatible server.
#[tokio::test]
async fn openai_instrument_streams_from_the_python_llama_server() {
    let llm = match server(Engine::Python).await {
        Ok(l) => l,
        Err(why) => {
            eprintln!("SKIPPED openai_instrument_streams_from_the_python_llama_server: {why}");
            return;
        }
    };
    let instrument = OpenAiInstrument::new(&config("openai", &llm.url)).unwrap();
    let (result, events) = run_all(start(&instrument, request())).await;
    let completion = result.expect("a completion from the real server");
    check_stream(&completion.text, &completion.finish, &events);
    assert!(completion.time_to_first_token.is_some());
}

/// The openai instrument against llama.cpp's native llama-server (usage chunk too).
#[tokio::test]
async fn openai_instrument_streams_from_the_native_llama_server_with_usage() {
    let llm = match server(Engine::Native).await {
        Ok(l) => l,
        Err(why) => {
            eprintln!(
                "SKIPPED openai_instrument_streams_from_the_native_llama_server_with_usage: {why}"
            );
            return;
        }
    };
    let instrument = OpenAiInstrument::new(&config("openai", &llm.url)).unwrap();
    let (result, events) = run_all(start(&instrument, request())).await;
    let completion = result.expect("a completion from the real server");
    let tokens = check_stream(&completion.text, &completion.finish, &events);
    assert!(completion.usage.prompt_tokens > 0, "{:?}", completion.usage);
    assert!(completion.usage.completion_tokens as usize >= tokens.len().min(1));
}

/// The anthropic instrument against llama-server's Anthropic-style `/v1/messages`.
#[tokio::test]
async fn anthropic_instrument_streams_from_the_native_llama_server() {
    let llm = match server(Engine::Native).await {
        Ok(l) => l,
        Err(why) => {
            eprintln!("SKIPPED anthropic_instrument_streams_from_the_native_llama_server: {why}");
            return;
        }
    };
    let instrument = AnthropicInstrument::new(&config("anthropic", &llm.url)).unwrap();
    let (result, events) = run_all(start(&instrument, request())).await;
    let completion = result.expect("a completion from the real server");
    check_stream(&completion.text, &completion.finish, &events);
    assert!(
        completion.usage.completion_tokens > 0,
        "{:?}",
        completion.usage
    );
}

/// Inline completion's `/infill` against llama.cpp's native llama-server: the tiny model
/// carries FIM tokens (scripts/llm-server.sh generates them), so the server accepts the
/// request llama.vim's way and answers with its content and timings.
#[tokio::test]
async fn infill_completion_is_answered_by_the_native_llama_server() {
    let generator = llm_home().join("make_tiny_gguf.py");
    let has_fim = std::fs::read_to_string(&generator).is_ok_and(|t| t.contains("fim_prefix"));
    if std::env::var_os("SYMPHONY_LLM_NATIVE_URL").is_none() && !has_fim {
        eprintln!(
            "SKIPPED infill_completion_is_answered_by_the_native_llama_server: {} predates FIM \
             tokens (run scripts/llm-server.sh install to make the model again)",
            generator.display()
        );
        return;
    }
    let llm = match server(Engine::Native).await {
        Ok(l) => l,
        Err(why) => {
            eprintln!("SKIPPED infill_completion_is_answered_by_the_native_llama_server: {why}");
            return;
        }
    };
    use symphony_conductor::completion::{
        CompletionConfig, ExtraChunk, FimClient, FimContext, FimFormat,
    };
    let completion = CompletionConfig {
        enabled: true,
        format: Some(FimFormat::Infill),
        n_predict: 16,
        timeout_secs: 60,
        ..Default::default()
    };
    let client = FimClient::new(&completion, &config("openai", &llm.url)).unwrap();
    let ctx = FimContext {
        prefix: "fn main() {\n".into(),
        middle: "    let x = ".into(),
        suffix: ";\n}\n".into(),
        extra: vec![ExtraChunk {
            filename: "lib.rs".into(),
            text: "pub fn two() -> i32 { 2 }\n".into(),
        }],
        indent: 4,
    };
    let s = client
        .complete(
            &ctx,
            &symphony_conductor::instrument::CancellationToken::new(),
        )
        .await
        .expect("the real server accepts /infill");
    assert!(
        s.usage.prompt_tokens > 0,
        "the server read the prompt: {s:?}"
    );
    assert!(
        s.server_ms.is_some(),
        "the server reports its timings: {s:?}"
    );
    eprintln!("real /infill: {s:?}");
}
