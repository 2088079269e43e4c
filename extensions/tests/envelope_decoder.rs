//! Property test: the host's envelope decoder never panics on arbitrary bytes and
//! always answers with a typed error or a valid envelope.

use proptest::prelude::*;
use symphony_extensions::host::wire::{DecodeError, decode_line, decode_msgpack, msgpack_frame};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        match decode_line(&bytes) {
            Ok(m) => prop_assert!(m.ensure_compatible().is_ok()),
            Err(DecodeError::Utf8(n)) => prop_assert!(std::str::from_utf8(&bytes).is_err() && n < bytes.len()),
            Err(DecodeError::Json(_) | DecodeError::Version(_)) => prop_assert!(std::str::from_utf8(&bytes).is_ok()),
            Err(e @ (DecodeError::MsgPack(_) | DecodeError::TooLong(_))) => prop_assert!(false, "JSON decoder said {e}"),
        }
    }

    #[test]
    fn arbitrary_msgpack_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(m) = decode_msgpack(&bytes) {
            prop_assert!(m.ensure_compatible().is_ok());
        }
    }

    #[test]
    fn mangled_valid_envelopes_never_panic(cut in 0usize..400, flip in any::<u8>(), at in 0usize..400) {
        let msg = symphony_protocol::envelope::Message::request(serde_json::json!({"method": "ping", "params": {"a": [1, 2]}}))
            .from("ext:x").to("host").ttl_ms(5).build();
        let mut bytes = serde_json::to_vec(&msg).unwrap();
        prop_assert!(decode_line(&bytes).is_ok());
        if !bytes.is_empty() {
            let i = at % bytes.len();
            bytes[i] ^= flip;
        }
        bytes.truncate(cut.min(bytes.len()));
        let _ = decode_line(&bytes);
    }
}

#[test]
fn an_envelope_of_another_major_version_is_a_typed_error() {
    let msg = symphony_protocol::envelope::Message::event(serde_json::json!({"topic": "t"}))
        .version(symphony_protocol::envelope::ProtocolVersion::new(2, 0))
        .build();
    let bytes = serde_json::to_vec(&msg).unwrap();
    assert!(matches!(decode_line(&bytes), Err(DecodeError::Version(_))));
}

#[test]
fn a_msgpack_frame_is_a_big_endian_length_then_the_envelope() {
    let msg = symphony_protocol::envelope::Message::request(serde_json::json!({"method": "ping"}))
        .from("host")
        .to("ext:x")
        .build();
    let frame = msgpack_frame(&msg).unwrap();
    let len = u32::from_be_bytes(frame[..4].try_into().unwrap()) as usize;
    assert_eq!(len, frame.len() - 4);
    assert_eq!(decode_msgpack(&frame[4..]).unwrap(), msg);
}
