//! Small Python language servers for the LSP tests: each stands in for a real server
//! and is written as a loop over [`PRELUDE`]'s `messages()`, which reads the LSP
//! framing (`Content-Length` headers, then the JSON body) from stdin; `send(msg)` frames
//! an answer on stdout.

use std::path::Path;

/// The framing both ways, for a server script to start with.
pub const PRELUDE: &str = r#"
import json, sys
inp, out = sys.stdin.buffer, sys.stdout.buffer
def send(msg):
    body = json.dumps(msg).encode()
    out.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    out.flush()
def messages():
    # (message, body length) for each message until stdin closes
    while True:
        length = None
        while True:
            line = inp.readline()
            if not line:
                return
            line = line.strip()
            if not line:
                break
            k, _, v = line.partition(b":")
            if k.lower() == b"content-length":
                length = int(v)
        body = inp.read(length)
        yield json.loads(body), length
"#;

/// Writes the server script `body` (a loop over `messages()`) after [`PRELUDE`] to `path`.
pub fn write_server(path: &Path, body: &str) {
    std::fs::write(path, format!("{PRELUDE}{body}")).expect("write the server script");
}
