//! `symphony-editor`: serves the xi front-end protocol over stdio or a local socket.
fn main() {}
