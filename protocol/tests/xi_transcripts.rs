//! Every line of the three upstream xi-core transcripts parses into the typed enums and
//! re-serializes to an equal JSON value.

use serde_json::Value;
use symphony_protocol::xi::{
    RpcMessage, XiError, parse_client_notification, parse_core_notification, parse_core_request,
};

const TRANSCRIPTS: &[(&str, &str)] = &[
    ("transcript.txt", include_str!("data/transcript.txt")),
    (
        "transcript-syntect.txt",
        include_str!("data/transcript-syntect.txt"),
    ),
    (
        "transcript-large.txt",
        include_str!("data/transcript-large.txt"),
    ),
];

/// What a line turned into.
#[derive(Debug, PartialEq)]
enum Outcome {
    RoundTripped,
    Unknown(XiError),
}

fn check_line(file: &str, n: usize, line: &str) -> Outcome {
    let (dir, json) = line.split_at(3);
    let original: Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{file}:{n}: {e}"));
    let msg =
        RpcMessage::from_value(original.clone()).unwrap_or_else(|e| panic!("{file}:{n}: {e}"));
    let reserialized = match (dir, msg) {
        (">> ", RpcMessage::Notification { method, params }) => {
            match parse_core_notification(&method, params) {
                Ok(n) => n.to_value(),
                Err(e) => return Outcome::Unknown(e),
            }
        }
        (">> ", RpcMessage::Request { id, method, params }) => {
            match parse_core_request(&method, params) {
                Ok(r) => r.to_value(id),
                Err(e) => return Outcome::Unknown(e),
            }
        }
        ("<< ", RpcMessage::Notification { method, params }) => {
            parse_client_notification(&method, params)
                .unwrap_or_else(|e| panic!("{file}:{n}: {e}"))
                .to_value()
        }
        ("<< ", resp @ RpcMessage::Response { .. }) => {
            let typed: RpcMessage = serde_json::from_value(original.clone()).unwrap();
            assert_eq!(typed, resp);
            resp.to_value()
        }
        (d, m) => panic!("{file}:{n}: unexpected {d:?} {m:?}"),
    };
    assert_eq!(reserialized, original, "{file}:{n} does not round-trip");
    Outcome::RoundTripped
}

#[test]
fn every_transcript_line_round_trips_through_the_typed_enums() {
    let mut unknown = Vec::new();
    let mut count = 0;
    for (file, text) in TRANSCRIPTS {
        for (i, line) in text.lines().enumerate() {
            assert!(
                line.starts_with(">> ") || line.starts_with("<< "),
                "{file}:{}",
                i + 1
            );
            count += 1;
            if let Outcome::Unknown(e) = check_line(file, i + 1, line) {
                unknown.push(e);
            }
        }
    }
    assert_eq!(count, 143);
    assert_eq!(
        unknown,
        vec![
            XiError::UnknownMethod {
                method: "no_such_request".into()
            },
            XiError::UnknownMethod {
                method: "no_such_notification".into()
            },
        ]
    );
}

#[test]
fn unknown_methods_are_typed_errors_naming_the_method() {
    let e = parse_core_request("no_such_request", serde_json::json!({})).unwrap_err();
    assert_eq!(e.to_string(), "unknown method `no_such_request`");
    let e = parse_core_notification("no_such_notification", serde_json::json!({})).unwrap_err();
    assert_eq!(
        e,
        XiError::UnknownMethod {
            method: "no_such_notification".into()
        }
    );
    let e = parse_client_notification("no_such_thing", serde_json::json!({})).unwrap_err();
    assert_eq!(
        e,
        XiError::UnknownMethod {
            method: "no_such_thing".into()
        }
    );
}

#[test]
fn unknown_request_becomes_the_upstream_error_response() {
    let e = parse_core_request("no_such_request", serde_json::json!({})).unwrap_err();
    let resp = RpcMessage::error_response(4, e.to_rpc_error());
    assert_eq!(
        resp.to_value(),
        serde_json::json!({"id": 4, "error": {"code": -32600, "message": "Invalid request",
            "data": "unknown method `no_such_request`"}})
    );
}
