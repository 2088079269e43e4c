//! Tool calling on each backend's own wire, against scripted 127.0.0.1 servers that
//! stand in for a model and write its stream byte for byte: OpenAI `tool_calls`
//! deltas, Anthropic `tool_use` blocks with `input_json_delta`, Ollama
//! `message.tool_calls`; arguments split over many chunks, two parallel calls,
//! malformed arguments, and a stream that dies mid-call.

mod support;

use std::time::Duration;

use serde_json::json;
use support::{Framing, config, serve};
use symphony_conductor::backends::{
    AnthropicInstrument, CommandInstrument, OllamaInstrument, OpenAiInstrument,
};
use symphony_conductor::instrument::{
    AgentMessage, CancellationToken, FinishReason, Instrument, InstrumentError, ToolCall,
    ToolRequest, ToolResult, ToolSpec, ToolTurn,
};

fn tools() -> Vec<ToolSpec> {
    vec![ToolSpec {
        name: "read_file".into(),
        description: "Reads a file".into(),
        parameters: json!({"type": "object", "properties": {"path": {"type": "string"}}}),
    }]
}

fn request(messages: Vec<AgentMessage>) -> ToolRequest {
    ToolRequest {
        messages,
        tools: tools(),
        ..Default::default()
    }
}

fn task() -> Vec<AgentMessage> {
    vec![
        AgentMessage::System {
            content: "You are an agent.".into(),
        },
        AgentMessage::User {
            content: "read a and b".into(),
        },
    ]
}

async fn turn(instrument: &dyn Instrument, req: ToolRequest) -> Result<ToolTurn, InstrumentError> {
    let (tx, mut rx) = tokio::sync::mpsc::channel(256);
    let call = tokio::spawn(instrument.call_with_tools(req, tx, CancellationToken::new()));
    tokio::spawn(async move { while rx.recv().await.is_some() {} });
    tokio::time::timeout(Duration::from_secs(20), call)
        .await
        .expect("the turn ends within 20 s")
        .expect("no panic")
}

/// Sends `text` a few bytes at a time, each piece its own HTTP chunk.
async fn dribble(conn: &mut support::Conn, text: &str) {
    for piece in text.as_bytes().chunks(7) {
        conn.send(piece).await;
    }
}

fn openai_chunk(delta: serde_json::Value, finish: Option<&str>) -> String {
    format!(
        "data: {}\n\n",
        json!({"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":delta,"finish_reason":finish}]})
    )
}

/// Two parallel calls whose arguments come in fragments over many chunks, then
/// `finish_reason: "tool_calls"`; the tools were offered in OpenAI's format.
#[tokio::test]
async fn openai_two_parallel_tool_calls_assemble_from_split_deltas() {
    let server = serve(|_, _req, mut conn| async move {
        conn.head(200, "text/event-stream", Framing::Chunked).await;
        let mut body = openai_chunk(json!({"role":"assistant","content":"Reading."}), None);
        body += &openai_chunk(
            json!({"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"read_file","arguments":""}}]}),
            None,
        );
        for frag in ["{\"pa", "th\": ", "\"a.rs\"}"] {
            body += &openai_chunk(json!({"tool_calls":[{"index":0,"function":{"arguments":frag}}]}), None);
        }
        body += &openai_chunk(
            json!({"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"read_file","arguments":"{\"path\""}}]}),
            None,
        );
        body += &openai_chunk(json!({"tool_calls":[{"index":1,"function":{"arguments":": \"b.rs\"}"}}]}), None);
        body += &openai_chunk(json!({}), Some("tool_calls"));
        body += "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":40,\"completion_tokens\":12}}\n\ndata: [DONE]\n\n";
        dribble(&mut conn, &body).await;
        conn.end().await;
    })
    .await;
    let instrument = OpenAiInstrument::new(&config("openai", &server.url())).unwrap();
    assert!(instrument.supports_tools());
    let t = turn(&instrument, request(task())).await.unwrap();
    assert_eq!(t.completion.text, "Reading.");
    assert_eq!(
        t.completion.finish,
        FinishReason::Other("tool_calls".into())
    );
    assert_eq!(t.completion.usage.prompt_tokens, 40);
    assert_eq!(
        t.tool_calls,
        vec![
            ToolCall {
                id: "call_a".into(),
                name: "read_file".into(),
                arguments: "{\"path\": \"a.rs\"}".into()
            },
            ToolCall {
                id: "call_b".into(),
                name: "read_file".into(),
                arguments: "{\"path\": \"b.rs\"}".into()
            },
        ]
    );
    let body = server.requests()[0].json();
    assert_eq!(body["tools"][0]["type"], "function");
    assert_eq!(body["tools"][0]["function"]["name"], "read_file");
}

/// The results go back as `tool` messages after the assistant's `tool_calls`.
#[tokio::test]
async fn openai_tool_results_go_back_as_tool_messages() {
    let server = serve(|_, _req, mut conn| async move {
        conn.head(200, "text/event-stream", Framing::Chunked).await;
        conn.send(openai_chunk(json!({"content":"done"}), Some("stop")))
            .await;
        conn.send("data: [DONE]\n\n").await;
        conn.end().await;
    })
    .await;
    let instrument = OpenAiInstrument::new(&config("openai", &server.url())).unwrap();
    let mut messages = task();
    messages.push(AgentMessage::Assistant {
        content: String::new(),
        tool_calls: vec![ToolCall {
            id: "call_a".into(),
            name: "read_file".into(),
            arguments: "{\"path\":\"a.rs\"}".into(),
        }],
    });
    messages.push(AgentMessage::Tool(ToolResult {
        call_id: "call_a".into(),
        name: "read_file".into(),
        content: "fn a() {}".into(),
        is_error: false,
    }));
    let t = turn(&instrument, request(messages)).await.unwrap();
    assert_eq!(t.completion.text, "done");
    assert!(t.tool_calls.is_empty());
    let body = server.requests()[0].json();
    let msgs = body["messages"].as_array().unwrap();
    assert_eq!(msgs[2]["role"], "assistant");
    assert_eq!(msgs[2]["content"], serde_json::Value::Null);
    assert_eq!(
        msgs[2]["tool_calls"][0]["function"]["arguments"],
        "{\"path\":\"a.rs\"}"
    );
    assert_eq!(
        msgs[3],
        json!({"role":"tool","tool_call_id":"call_a","content":"fn a() {}"})
    );
}

/// Malformed arguments reach the caller as they came (no crash), and parsing them
/// gives a message the model can act on.
#[tokio::test]
async fn openai_malformed_arguments_become_an_error_the_model_can_read() {
    let server = serve(|_, _req, mut conn| async move {
        conn.head(200, "text/event-stream", Framing::Chunked).await;
        conn.send(openai_chunk(
            json!({"tool_calls":[{"index":0,"id":"x","function":{"name":"read_file","arguments":"{\"path\": a.rs"}}]}),
            Some("tool_calls"),
        ))
        .await;
        conn.send("data: [DONE]\n\n").await;
        conn.end().await;
    })
    .await;
    let instrument = OpenAiInstrument::new(&config("openai", &server.url())).unwrap();
    let t = turn(&instrument, request(task())).await.unwrap();
    let err = t.tool_calls[0].parsed_arguments().unwrap_err();
    assert!(err.contains("not valid JSON"), "{err}");
}

/// The connection drops while the model writes a call: a failed turn that says so.
#[tokio::test]
async fn openai_stream_dying_mid_call_is_a_clear_failed_turn() {
    let server = serve(|_, _req, mut conn| async move {
        conn.head(200, "text/event-stream", Framing::Chunked).await;
        conn.send(openai_chunk(
            json!({"tool_calls":[{"index":0,"id":"x","function":{"name":"run_command","arguments":"{\"comm"}}]}),
            None,
        ))
        .await;
        conn.drop_connection().await;
    })
    .await;
    let instrument = OpenAiInstrument::new(&config("openai", &server.url())).unwrap();
    let err = turn(&instrument, request(task())).await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("run_command") && text.contains("not run"),
        "{text}"
    );
}

fn sse(event: &str, data: serde_json::Value) -> String {
    format!("event: {event}\r\ndata: {data}\r\n\r\n")
}

/// Anthropic: a text block, then two `tool_use` blocks whose input comes as
/// `input_json_delta` fragments; `stop_reason: "tool_use"`.
#[tokio::test]
async fn anthropic_tool_use_blocks_with_input_json_deltas() {
    let server = serve(|_, _req, mut conn| async move {
        conn.head(200, "text/event-stream", Framing::Chunked).await;
        let mut b = sse("message_start", json!({"type":"message_start","message":{"usage":{"input_tokens":30,"output_tokens":1}}}));
        b += &sse("content_block_start", json!({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}));
        b += &sse("content_block_delta", json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Looking."}}));
        b += &sse("content_block_stop", json!({"type":"content_block_stop","index":0}));
        for (i, id, path) in [(1, "toolu_1", "a.rs"), (2, "toolu_2", "b.rs")] {
            b += &sse("content_block_start", json!({"type":"content_block_start","index":i,"content_block":{"type":"tool_use","id":id,"name":"read_file","input":{}}}));
            for frag in ["", "{\"path\":", &format!(" \"{path}\"}}")] {
                b += &sse("content_block_delta", json!({"type":"content_block_delta","index":i,"delta":{"type":"input_json_delta","partial_json":frag}}));
            }
            b += &sse("content_block_stop", json!({"type":"content_block_stop","index":i}));
        }
        b += &sse("message_delta", json!({"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":20}}));
        b += &sse("message_stop", json!({"type":"message_stop"}));
        dribble(&mut conn, &b).await;
        conn.end().await;
    })
    .await;
    let instrument = AnthropicInstrument::new(&config("anthropic", &server.url())).unwrap();
    let mut messages = task();
    messages.push(AgentMessage::Assistant {
        content: "first".into(),
        tool_calls: vec![ToolCall {
            id: "toolu_0".into(),
            name: "read_file".into(),
            arguments: "{\"path\":\"c.rs\"}".into(),
        }],
    });
    messages.push(AgentMessage::Tool(ToolResult {
        call_id: "toolu_0".into(),
        name: "read_file".into(),
        content: "no such file".into(),
        is_error: true,
    }));
    let t = turn(&instrument, request(messages)).await.unwrap();
    assert_eq!(t.completion.text, "Looking.");
    assert_eq!(
        t.completion.finish,
        FinishReason::Other("tool_calls".into())
    );
    assert_eq!(t.tool_calls.len(), 2);
    assert_eq!(t.tool_calls[0].id, "toolu_1");
    assert_eq!(t.tool_calls[1].arguments, "{\"path\": \"b.rs\"}");
    let body = server.requests()[0].json();
    assert_eq!(body["system"], "You are an agent.");
    assert_eq!(body["tools"][0]["input_schema"]["type"], "object");
    let msgs = body["messages"].as_array().unwrap();
    assert_eq!(
        msgs[1]["content"][1],
        json!({"type":"tool_use","id":"toolu_0","name":"read_file","input":{"path":"c.rs"}})
    );
    assert_eq!(msgs[2]["role"], "user");
    assert_eq!(
        msgs[2]["content"][0],
        json!({"type":"tool_result","tool_use_id":"toolu_0","content":"no such file","is_error":true})
    );
}

/// Anthropic stream that dies inside a tool_use block.
#[tokio::test]
async fn anthropic_stream_dying_mid_tool_use_is_a_clear_failed_turn() {
    let server = serve(|_, _req, mut conn| async move {
        conn.head(200, "text/event-stream", Framing::Chunked).await;
        conn.send(sse("content_block_start", json!({"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t","name":"edit_file","input":{}}}))).await;
        conn.send(sse("content_block_delta", json!({"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"pa"}}))).await;
        conn.drop_connection().await;
    })
    .await;
    let instrument = AnthropicInstrument::new(&config("anthropic", &server.url())).unwrap();
    let err = turn(&instrument, request(task())).await.unwrap_err();
    assert!(err.to_string().contains("edit_file"), "{err}");
}

/// Ollama: whole calls in `message.tool_calls` (arguments as an object), then done.
#[tokio::test]
async fn ollama_message_tool_calls_and_tool_messages() {
    let server = serve(|_, _req, mut conn| async move {
        conn.head(200, "application/x-ndjson", Framing::Chunked).await;
        let mut b = String::new();
        b += &format!("{}\n", json!({"model":"tiny","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"read_file","arguments":{"path":"a.rs"}}}]},"done":false}));
        b += &format!("{}\n", json!({"model":"tiny","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"read_file","arguments":{"path":"b.rs"}}}]},"done":false}));
        b += &format!("{}\n", json!({"model":"tiny","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","prompt_eval_count":9,"eval_count":4}));
        dribble(&mut conn, &b).await;
        conn.end().await;
    })
    .await;
    let instrument = OllamaInstrument::new(&config("ollama", &server.url())).unwrap();
    let mut messages = task();
    messages.push(AgentMessage::Tool(ToolResult {
        call_id: "call_0".into(),
        name: "read_file".into(),
        content: "x".into(),
        is_error: false,
    }));
    let t = turn(&instrument, request(messages)).await.unwrap();
    assert_eq!(t.tool_calls.len(), 2);
    assert_eq!(t.tool_calls[0].id, "call_0");
    assert_eq!(t.tool_calls[1].arguments, "{\"path\":\"b.rs\"}");
    let body = server.requests()[0].json();
    assert_eq!(body["tools"][0]["function"]["name"], "read_file");
    assert_eq!(
        body["messages"][2],
        json!({"role":"tool","content":"x","tool_name":"read_file"})
    );
}

/// A `command` instrument cannot take tools and says so.
#[tokio::test]
async fn a_command_instrument_says_it_does_not_support_tools() {
    let cfg: symphony_conductor::instrument::InstrumentConfig =
        toml::from_str("name = \"c\"\nkind = \"command\"\nmodel = \"m\"\ncommand = [\"cat\"]")
            .unwrap();
    let instrument = CommandInstrument::new(&cfg).unwrap();
    assert!(!instrument.supports_tools());
    let err = turn(&instrument, request(task())).await.unwrap_err();
    assert_eq!(err.to_string(), "tool calling is not supported by command");
}
