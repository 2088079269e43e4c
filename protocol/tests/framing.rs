//! Line framing: every error is followed by a good line, CRLF, EOF without newline,
//! and a real pipe between two tasks.

use serde_json::{Value, json};
use symphony_protocol::framing::{DEFAULT_MAX_LINE, FrameError, LineReader, LineWriter};

fn reader(bytes: &[u8], max: usize) -> LineReader<&[u8]> {
    LineReader::with_max_line(bytes, max)
}

#[tokio::test]
async fn default_limit_is_64_mib() {
    assert_eq!(DEFAULT_MAX_LINE, 64 * 1024 * 1024);
    assert_eq!(LineReader::new(&b""[..]).max_line(), DEFAULT_MAX_LINE);
}

#[tokio::test]
async fn too_long_line_is_skipped_and_the_next_line_is_read() {
    let mut input = vec![b'x'; 100];
    input.extend_from_slice(b"\n{\"ok\":1}\n");
    let mut r = reader(&input, 10);
    match r.next_line().await {
        Some(Err(FrameError::TooLong {
            limit: 10,
            len: 100,
        })) => {}
        other => panic!("{other:?}"),
    }
    let v: Value = r.next_value().await.unwrap().unwrap();
    assert_eq!(v, json!({"ok": 1}));
    assert!(r.next_line().await.is_none());
}

#[tokio::test]
async fn too_long_line_spanning_many_reads_is_not_buffered_and_stream_recovers() {
    // 1 MiB line through an 8 KiB BufReader with a 1 KiB limit: skipped in chunks.
    let mut input = vec![b'a'; 1 << 20];
    input.extend_from_slice(b"\r\nshort\n");
    let (mut tx, rx) = tokio::io::duplex(4096);
    let writer = tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        tx.write_all(&input).await.unwrap();
    });
    let mut r = LineReader::with_max_line(rx, 1024);
    match r.next_line().await {
        Some(Err(FrameError::TooLong { limit: 1024, len })) => assert!(len > 1024),
        other => panic!("{other:?}"),
    }
    assert_eq!(r.next_line().await.unwrap().unwrap(), "short");
    writer.await.unwrap();
    assert!(r.next_line().await.is_none());
}

#[tokio::test]
async fn line_of_exactly_the_limit_is_accepted_even_with_crlf() {
    let mut r = reader(b"0123456789\r\n01234567890\n", 10);
    assert_eq!(r.next_line().await.unwrap().unwrap(), "0123456789");
    assert!(matches!(
        r.next_line().await,
        Some(Err(FrameError::TooLong { len: 11, .. }))
    ));
    assert!(r.next_line().await.is_none());
}

#[tokio::test]
async fn invalid_utf8_is_typed_and_next_line_is_read() {
    let mut r = reader(b"ab\xff\xfe\n{\"a\":2}\n", 1024);
    assert!(matches!(
        r.next_line().await,
        Some(Err(FrameError::InvalidUtf8 { valid_up_to: 2 }))
    ));
    assert_eq!(
        r.next_value::<Value>().await.unwrap().unwrap(),
        json!({"a": 2})
    );
}

#[tokio::test]
async fn invalid_json_is_typed_and_next_line_is_read() {
    let mut r = reader(b"{\"a\":\n[1,2]\n", 1024);
    assert!(matches!(
        r.next_value::<Value>().await,
        Some(Err(FrameError::InvalidJson(_)))
    ));
    assert_eq!(
        r.next_value::<Vec<u8>>().await.unwrap().unwrap(),
        vec![1, 2]
    );
    assert!(r.next_value::<Value>().await.is_none());
}

#[tokio::test]
async fn crlf_lines_and_blank_lines_are_tolerated() {
    let mut r = reader(b"{\"a\":1}\r\n\r\n{\"b\":2}\r\n", 1024);
    assert_eq!(
        r.next_value::<Value>().await.unwrap().unwrap(),
        json!({"a": 1})
    );
    assert_eq!(
        r.next_value::<Value>().await.unwrap().unwrap(),
        json!({"b": 2})
    );
    assert!(r.next_value::<Value>().await.is_none());
}

#[tokio::test]
async fn last_line_without_newline_is_returned_at_eof() {
    let mut r = reader(b"first\n{\"last\":true}", 1024);
    assert_eq!(r.next_line().await.unwrap().unwrap(), "first");
    assert_eq!(
        r.next_value::<Value>().await.unwrap().unwrap(),
        json!({"last": true})
    );
    assert!(r.next_line().await.is_none());
    // A too-long line cut by EOF is still reported.
    let mut r = reader(b"0123456789abc", 5);
    assert!(matches!(
        r.next_line().await,
        Some(Err(FrameError::TooLong { len: 13, .. }))
    ));
    assert!(r.next_line().await.is_none());
}

#[tokio::test]
async fn writer_emits_one_compact_line_per_value_and_refuses_embedded_newlines() {
    let mut out = Vec::new();
    let mut w = LineWriter::new(&mut out);
    w.write_value(&json!({"method": "alert", "params": {"msg": "a\nb"}}))
        .await
        .unwrap();
    w.write_line("{\"id\":1,\"result\":null}").await.unwrap();
    assert!(matches!(
        w.write_line("a\nb").await,
        Err(FrameError::EmbeddedNewline)
    ));
    w.flush().await.unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "{\"method\":\"alert\",\"params\":{\"msg\":\"a\\nb\"}}\n{\"id\":1,\"result\":null}\n"
    );
}

#[tokio::test]
async fn writer_and_reader_talk_over_a_pipe() {
    let (a, b) = tokio::io::duplex(64);
    let sender = tokio::spawn(async move {
        let mut w = LineWriter::new(a);
        for i in 0..200u32 {
            w.write_value(&json!({"id": i, "text": "é".repeat(i as usize)}))
                .await
                .unwrap();
        }
        w.flush().await.unwrap();
    });
    let mut r = LineReader::new(b);
    for i in 0..200u64 {
        let v: Value = r.next_value().await.unwrap().unwrap();
        assert_eq!(v["id"], i);
        assert_eq!(v["text"].as_str().unwrap().chars().count() as u64, i);
    }
    sender.await.unwrap();
    assert!(r.next_line().await.is_none());
}
