//! The `Message<T>` envelope: builder, expiry, version rule, exact JSON, and property
//! tests that any envelope round-trips through the JSON and MessagePack codecs.

use std::collections::BTreeMap;
use std::time::Duration;

use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use symphony_protocol::envelope::{
    Codec, Endpoint, EnvelopeError, JsonCodec, Message, MessageKind, MsgPackCodec, Priority,
    ProtocolVersion,
};
use uuid::Uuid;

#[test]
fn builder_fills_defaults_and_reply_correlates() {
    let req = Message::request(json!({"open": "/f"}))
        .from("tui")
        .to("conductor")
        .priority(Priority::High)
        .ttl(Duration::from_secs(2))
        .metadata("trace", "abc")
        .build();
    assert_eq!(req.id.get_version_num(), 4);
    assert_eq!(req.kind, MessageKind::Request);
    assert_eq!(req.correlation_id, None);
    assert_eq!(req.source, Endpoint::new("tui"));
    assert_eq!(req.target.as_str(), "conductor");
    assert_eq!(req.ttl_ms, Some(2000));
    assert_eq!(req.version, ProtocolVersion::CURRENT);
    assert_eq!(req.metadata.get("trace").map(String::as_str), Some("abc"));
    assert!(
        req.created_at > 1_700_000_000_000,
        "created_at is ms since the epoch"
    );

    let reply = Message::reply_to(&req, "done").build();
    assert_eq!(reply.kind, MessageKind::Response);
    assert_eq!(reply.correlation_id, Some(req.id));
    assert_ne!(reply.id, req.id);
    assert_eq!(
        (reply.source.as_str(), reply.target.as_str()),
        ("conductor", "tui")
    );
    assert_eq!(reply.priority, Priority::High);
    let err = Message::error_reply_to(&req, "boom").build();
    assert_eq!(
        (err.kind, err.correlation_id),
        (MessageKind::Error, Some(req.id))
    );

    let hb = Message::heartbeat(()).build();
    assert!(hb.source.is_any() && hb.target.is_any());
    assert_eq!(hb.priority, Priority::Normal);
}

#[test]
fn ttl_expiry_is_inclusive_and_absent_ttl_never_expires() {
    let m = Message::event(1u8).created_at(1_000).ttl_ms(500).build();
    assert!(!m.is_expired(1_499));
    assert!(m.is_expired(1_500));
    assert_eq!(m.expires_at(), Some(1_500));
    let forever = Message::event(1u8).created_at(1_000).build();
    assert!(!forever.is_expired(u64::MAX));
    let huge = Message::event(1u8)
        .created_at(u64::MAX - 1)
        .ttl_ms(u64::MAX)
        .build();
    assert!(!huge.is_expired(u64::MAX - 1));
}

#[test]
fn priorities_are_ordered_critical_first() {
    let mut ps = vec![
        Priority::Low,
        Priority::Critical,
        Priority::Background,
        Priority::Normal,
        Priority::High,
    ];
    ps.sort_by(|a, b| b.cmp(a));
    assert_eq!(
        ps,
        [
            Priority::Critical,
            Priority::High,
            Priority::Normal,
            Priority::Low,
            Priority::Background
        ]
    );
}

#[test]
fn version_rule_same_major_is_compatible() {
    let newer_minor = Message::event(())
        .version(ProtocolVersion::new(1, 9))
        .build();
    assert!(newer_minor.ensure_compatible().is_ok());
    let next_major = Message::event(())
        .version(ProtocolVersion::new(2, 0))
        .build();
    assert!(matches!(
        next_major.ensure_compatible(),
        Err(EnvelopeError::IncompatibleVersion { .. })
    ));
}

#[test]
fn exact_json_of_an_envelope() {
    let id = Uuid::parse_str("6f1c0f39-2a55-4a8e-9a57-1b0f6e0d4c11").unwrap();
    let corr = Uuid::parse_str("0b9e3b8e-8c55-4f63-a7f5-2d7c7c8e1a00").unwrap();
    let m = Message::builder(MessageKind::Response, json!({"text": "hi"}))
        .id(id)
        .correlation_id(corr)
        .from("editor")
        .to("tui")
        .priority(Priority::Background)
        .created_at(1_700_000_000_123)
        .ttl_ms(30)
        .metadata("k", "v")
        .build();
    let expected = json!({
        "id": "6f1c0f39-2a55-4a8e-9a57-1b0f6e0d4c11",
        "correlation_id": "0b9e3b8e-8c55-4f63-a7f5-2d7c7c8e1a00",
        "kind": "response", "source": "editor", "target": "tui", "priority": "background",
        "created_at": 1_700_000_000_123u64, "ttl_ms": 30,
        "version": {"major": 1, "minor": 0},
        "metadata": {"k": "v"}, "payload": {"text": "hi"}
    });
    assert_eq!(serde_json::to_value(&m).unwrap(), expected);
    // Optional fields are left out when empty, and read back as empty.
    let bare = Message::event(Value::Null).id(id).created_at(5).build();
    let v = serde_json::to_value(&bare).unwrap();
    assert!(
        v.get("correlation_id").is_none()
            && v.get("ttl_ms").is_none()
            && v.get("metadata").is_none()
    );
    assert_eq!(
        JsonCodec
            .decode::<Value>(&JsonCodec.encode(&bare).unwrap())
            .unwrap(),
        bare
    );
}

#[test]
fn a_newer_minor_with_an_extra_field_still_decodes() {
    let line = br#"{"id":"6f1c0f39-2a55-4a8e-9a57-1b0f6e0d4c11","kind":"event","source":"a","target":"*","priority":"normal","created_at":1,"version":{"major":1,"minor":3},"payload":7,"added_in_1_3":true}"#;
    let m: Message<u32> = JsonCodec.decode(line).unwrap();
    assert_eq!(m.payload, 7);
    assert!(m.ensure_compatible().is_ok());
}

#[test]
fn codec_errors_are_typed() {
    assert!(matches!(
        JsonCodec.decode::<Value>(b"{not json"),
        Err(EnvelopeError::Json(_))
    ));
    assert!(matches!(
        MsgPackCodec.decode::<Value>(&[0xc1]),
        Err(EnvelopeError::MsgPackDecode(_))
    ));
    let m = Message::event(5u8).build();
    let bytes = MsgPackCodec.encode(&m).unwrap();
    assert!(matches!(
        MsgPackCodec.decode::<String>(&bytes),
        Err(EnvelopeError::MsgPackDecode(_))
    ));
    let mut line = JsonCodec.encode(&m).unwrap();
    assert!(!line.contains(&b'\n'));
    line.extend_from_slice(b"\r\n");
    assert_eq!(JsonCodec.decode::<u8>(&line).unwrap(), m);
}

/// A small struct payload exercising serde attributes through both codecs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Edit {
    path: String,
    offset: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    delta: i32,
    #[serde(default)]
    tags: Vec<String>,
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        prop_oneof![Just(0.5f64), Just(-1.25), Just(1e10)].prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{0,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn edit_payload() -> impl Strategy<Value = Edit> {
    (
        "[^\n]{0,16}",
        any::<u64>(),
        proptest::option::of(".{0,10}"),
        any::<i32>(),
        prop::collection::vec("[a-z]{0,4}", 0..3),
    )
        .prop_map(|(path, offset, text, delta, tags)| Edit {
            path,
            offset,
            text,
            delta,
            tags,
        })
}

fn envelope<T: std::fmt::Debug + Clone>(
    payload: impl Strategy<Value = T>,
) -> impl Strategy<Value = Message<T>> {
    let kinds = prop_oneof![
        Just(MessageKind::Request),
        Just(MessageKind::Response),
        Just(MessageKind::Event),
        Just(MessageKind::Error),
        Just(MessageKind::Heartbeat)
    ];
    let priorities = prop_oneof![
        Just(Priority::Critical),
        Just(Priority::High),
        Just(Priority::Normal),
        Just(Priority::Low),
        Just(Priority::Background)
    ];
    (
        (
            any::<u128>(),
            proptest::option::of(any::<u128>()),
            kinds,
            ".{0,8}",
            ".{0,8}",
            priorities,
        ),
        (
            any::<u64>(),
            proptest::option::of(any::<u64>()),
            any::<(u16, u16)>(),
        ),
        prop::collection::btree_map(".{0,6}", ".{0,6}", 0..4),
        payload,
    )
        .prop_map(
            |(
                (id, corr, kind, src, dst, prio),
                (created, ttl, (major, minor)),
                metadata,
                payload,
            )| {
                let mut b = Message::builder(kind, payload)
                    .id(uuid::Builder::from_random_bytes(id.to_le_bytes()).into_uuid())
                    .from(src)
                    .to(dst)
                    .priority(prio)
                    .created_at(created)
                    .version(ProtocolVersion::new(major, minor));
                if let Some(c) = corr {
                    b = b.correlation_id(Uuid::from_u128(c));
                }
                if let Some(t) = ttl {
                    b = b.ttl_ms(t);
                }
                let metadata: BTreeMap<String, String> = metadata;
                for (k, v) in metadata {
                    b = b.metadata(k, v);
                }
                b.build()
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_envelope_with_a_json_payload_round_trips_through_both_codecs(m in envelope(json_value())) {
        let line = JsonCodec.encode(&m).unwrap();
        prop_assert!(!line.contains(&b'\n'));
        prop_assert_eq!(&JsonCodec.decode::<Value>(&line).unwrap(), &m);
        let packed = MsgPackCodec.encode(&m).unwrap();
        prop_assert_eq!(&MsgPackCodec.decode::<Value>(&packed).unwrap(), &m);
    }

    #[test]
    fn any_envelope_with_a_struct_payload_round_trips_through_both_codecs(m in envelope(edit_payload())) {
        prop_assert_eq!(&JsonCodec.decode::<Edit>(&JsonCodec.encode(&m).unwrap()).unwrap(), &m);
        prop_assert_eq!(&MsgPackCodec.decode::<Edit>(&MsgPackCodec.encode(&m).unwrap()).unwrap(), &m);
    }
}
