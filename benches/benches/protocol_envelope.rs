//! Envelope encode/decode in JSON and MessagePack, with a small payload and a 4 KiB text.
//!
//! Run: `cargo bench -p symphony-benches --bench protocol_envelope -- --warm-up-time 1 --measurement-time 3`
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use symphony_protocol::envelope::{Codec, JsonCodec, Message, MsgPackCodec, Priority};

fn small() -> Message<Value> {
    Message::request(json!({"view_id": "view-id-1", "method": "insert", "chars": "a"}))
        .from("tui")
        .to("editor")
        .priority(Priority::High)
        .ttl_ms(5_000)
        .metadata("trace", "0af7651916cd43dd")
        .build()
}

fn text_4k() -> Message<String> {
    let line = "fn main() { println!(\"hello, world\"); } // \u{e9}t\u{e9}\n";
    let text: String = line.chars().cycle().take(4096).collect();
    Message::event(text).from("editor").to("conductor").build()
}

/// Benches encode and decode of one envelope; `decode` must decode what `encode` made.
fn bench_pair(c: &mut Criterion, name: &str, encode: impl Fn() -> Vec<u8>, decode: impl Fn(&[u8])) {
    let bytes = encode();
    c.bench_function(
        &format!("envelope/{name}/encode ({} B)", bytes.len()),
        |b| b.iter(|| black_box(encode())),
    );
    c.bench_function(
        &format!("envelope/{name}/decode ({} B)", bytes.len()),
        |b| b.iter(|| decode(black_box(&bytes))),
    );
}

fn envelope(c: &mut Criterion) {
    let small = small();
    let text = text_4k();
    bench_pair(
        c,
        "json/small",
        || JsonCodec.encode(black_box(&small)).unwrap(),
        |b| drop(black_box(JsonCodec.decode::<Value>(b).unwrap())),
    );
    bench_pair(
        c,
        "msgpack/small",
        || MsgPackCodec.encode(black_box(&small)).unwrap(),
        |b| drop(black_box(MsgPackCodec.decode::<Value>(b).unwrap())),
    );
    bench_pair(
        c,
        "json/text_4k",
        || JsonCodec.encode(black_box(&text)).unwrap(),
        |b| drop(black_box(JsonCodec.decode::<String>(b).unwrap())),
    );
    bench_pair(
        c,
        "msgpack/text_4k",
        || MsgPackCodec.encode(black_box(&text)).unwrap(),
        |b| drop(black_box(MsgPackCodec.decode::<String>(b).unwrap())),
    );
}

criterion_group!(benches, envelope);
criterion_main!(benches);
