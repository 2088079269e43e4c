//! Exact JSON of the session messages and the frame format.

use super::*;
use serde_json::json;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

#[test]
fn hello_is_exactly_this_json() {
    let hello = ClientMessage::Hello(Hello {
        version: 1,
        size: Size {
            cols: 100,
            rows: 30,
        },
        term: "tmux-256color".into(),
        colorterm: "truecolor".into(),
        files: vec!["/w/a.txt".into()],
        read_only: false,
    });
    let v = serde_json::to_value(&hello).unwrap();
    assert_eq!(
        v,
        json!({"type": "hello", "version": 1, "size": {"cols": 100, "rows": 30},
               "term": "tmux-256color", "colorterm": "truecolor",
               "files": ["/w/a.txt"], "read_only": false})
    );
    assert_eq!(serde_json::from_value::<ClientMessage>(v).unwrap(), hello);
}

#[test]
fn client_messages_are_exactly_this_json() {
    let cases = [
        (
            ClientMessage::Input {
                event: json!({"Resize": [80, 24]}),
            },
            json!({"type": "input", "event": {"Resize": [80, 24]}}),
        ),
        (ClientMessage::Detach, json!({"type": "detach"})),
        (ClientMessage::Query, json!({"type": "query"})),
        (
            ClientMessage::Kill { force: true },
            json!({"type": "kill", "force": true}),
        ),
    ];
    for (msg, want) in cases {
        assert_eq!(serde_json::to_value(&msg).unwrap(), want);
        assert_eq!(serde_json::from_value::<ClientMessage>(want).unwrap(), msg);
    }
}

#[test]
fn server_messages_are_exactly_this_json() {
    let cases = [
        (
            ServerMessage::Welcome {
                version: 1,
                session: "w-1a2b".into(),
            },
            json!({"type": "welcome", "version": 1, "session": "w-1a2b"}),
        ),
        (
            ServerMessage::Refused {
                reason: "no".into(),
            },
            json!({"type": "refused", "reason": "no"}),
        ),
        (
            ServerMessage::Info(SessionInfo {
                name: "w".into(),
                dir: "/w".into(),
                pid: 7,
                clients: 1,
                buffers: 2,
                unsaved: 1,
                runs: 0,
                idle_secs: 5,
            }),
            json!({"type": "info", "name": "w", "dir": "/w", "pid": 7, "clients": 1,
                   "buffers": 2, "unsaved": 1, "runs": 0, "idle_secs": 5}),
        ),
        (ServerMessage::Killed, json!({"type": "killed"})),
        (
            ServerMessage::Unsaved {
                buffers: vec!["a.txt".into()],
            },
            json!({"type": "unsaved", "buffers": ["a.txt"]}),
        ),
        (
            ServerMessage::Exit {
                reason: ExitReason::Detached,
            },
            json!({"type": "exit", "reason": "detached"}),
        ),
        (
            ServerMessage::Exit {
                reason: ExitReason::SessionEnded,
            },
            json!({"type": "exit", "reason": "session_ended"}),
        ),
    ];
    for (msg, want) in cases {
        assert_eq!(serde_json::to_value(&msg).unwrap(), want);
        assert_eq!(serde_json::from_value::<ServerMessage>(want).unwrap(), msg);
    }
}

#[test]
fn frames_are_a_length_a_kind_and_the_payload() {
    assert_eq!(
        encode_output(b"ab"),
        vec![0, 0, 0, 3, KIND_OUTPUT, b'a', b'b']
    );
    let m = encode_message(&ClientMessage::Detach).unwrap();
    assert_eq!(&m[..5], &[0, 0, 0, 18, KIND_MESSAGE]);
    assert_eq!(&m[5..], br#"{"type":"detach"}"#);
}

#[test]
fn frames_read_back_in_order_and_end_cleanly() {
    let mut bytes = encode_message(&ServerMessage::Killed).unwrap();
    bytes.extend(encode_output(b"\x1b[H"));
    let mut r = &bytes[..];
    rt().block_on(async {
        let a = read_frame::<ServerMessage>(&mut r).await.unwrap();
        assert_eq!(a, Some(Frame::Message(ServerMessage::Killed)));
        let b = read_frame::<ServerMessage>(&mut r).await.unwrap();
        assert_eq!(b, Some(Frame::Output(b"\x1b[H".to_vec())));
        assert!(read_frame::<ServerMessage>(&mut r).await.unwrap().is_none());
    });
}

#[test]
fn a_bad_length_or_kind_is_an_error_not_a_panic() {
    rt().block_on(async {
        let huge = [0xff, 0xff, 0xff, 0xff, 0];
        let e = read_frame::<ServerMessage>(&mut &huge[..])
            .await
            .unwrap_err();
        assert!(matches!(e, SessionError::BadLength(_)), "{e}");
        let zero = [0, 0, 0, 0];
        let e = read_frame::<ServerMessage>(&mut &zero[..])
            .await
            .unwrap_err();
        assert!(matches!(e, SessionError::BadLength(0)), "{e}");
        let kind = [0, 0, 0, 1, 9];
        let e = read_frame::<ServerMessage>(&mut &kind[..])
            .await
            .unwrap_err();
        assert!(matches!(e, SessionError::BadKind(9)), "{e}");
        let json = [0, 0, 0, 2, 0, b'{'];
        let e = read_frame::<ServerMessage>(&mut &json[..])
            .await
            .unwrap_err();
        assert!(matches!(e, SessionError::BadMessage(_)), "{e}");
    });
}
