//! LSP document sync, editor-process side:
//! - `lsp_didchange_one_char_100mb_utf16`: the size of, and the time to compute, the
//!   incremental `didChange` for a one-character edit in a 100 MB buffer (positions
//!   converted to UTF-16, the message serialized and framed as it goes to the server);
//! - `lsp_echo_insert_{off,pylsp}`: one typed character in a 1 MB Python file, from the
//!   `edit` line to the `update` line, through the core's in-process API, without a language
//!   server and with pylsp attached (its answers are handled between keystrokes, untimed).
//!   The pylsp case is skipped (with a message) when pylsp is not installed.
//!
//! `cargo bench -p symphony-benches --bench lsp_didchange -- --warm-up-time 1 --measurement-time 3`

use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use symphony_editor::core::{Core, Services};
use symphony_editor::lsp::jsonrpc::frame_bytes;
use symphony_editor::lsp::position::Encoding;
use symphony_editor::lsp::sync::did_change;
use symphony_editor::lsp::{Lsp, LspConfig, LspEvent};
use tokio::sync::mpsc::UnboundedReceiver;
use xi_rope::{DeltaBuilder, Interval, Rope};

fn big_text(n: usize) -> String {
    let line = "value_with_a_longer_name = compute(alpha, beta, gamma)  # é\n";
    let mut s = String::with_capacity(n + line.len());
    while s.len() < n {
        s.push_str(line);
    }
    s
}

fn didchange(c: &mut Criterion) {
    let text = Rope::from(big_text(100 << 20));
    let at = text.offset_of_line(text.line_of_offset(text.len() / 2)) + 40;
    let mut b = DeltaBuilder::new(text.len());
    b.replace(Interval::new(at, at), Rope::from("x"));
    let delta = b.build();
    let uri = "file:///home/user/project/big.py";
    let size = frame_bytes(&did_change(uri, 2, &text, &delta, Encoding::Utf16)).len();
    println!(
        "lsp_didchange: one-char edit in a {} MB buffer -> didChange of {size} bytes on the wire",
        text.len() >> 20
    );
    c.bench_function("lsp_didchange_one_char_100mb_utf16", |bench| {
        bench.iter(|| frame_bytes(&did_change(uri, 2, &text, &delta, Encoding::Utf16)).len())
    });
}

/// pylsp from `scripts/lsp-deps.sh`'s venv, or on PATH.
fn pylsp() -> Option<PathBuf> {
    let venv = std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".cache/symphony-lsp/venv/bin/pylsp"))
        .filter(|p| p.is_file());
    venv.or_else(|| symphony_editor::lsp::config::find_program("pylsp", &[]))
}

const INSERT: &str = r#"{"method":"edit","params":{"view_id":"view-id-1","method":"insert","params":{"chars":"x"}}}"#;

fn drain(core: &mut Core, rx: &mut Option<UnboundedReceiver<LspEvent>>, out: &mut Vec<String>) {
    if let Some(rx) = rx.as_mut() {
        while let Ok(ev) = rx.try_recv() {
            core.on_lsp(ev, out);
        }
    }
}

fn echo(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join(".git")).expect("mkdir");
    let path = dir.path().join("m.py");
    std::fs::write(&path, big_text(1 << 20)).expect("write");
    for name in ["off", "pylsp"] {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let mut rx = Some(rx);
        let services = match name {
            "off" => {
                rx = None;
                Services::default()
            }
            _ => {
                let Some(p) = pylsp() else {
                    println!("lsp_echo_insert_pylsp: skipped, pylsp is not installed");
                    continue;
                };
                let mut cfg = LspConfig::default();
                if let Some(py) = cfg.languages.get_mut("python") {
                    py.command = p.to_string_lossy().into_owned();
                }
                Services {
                    lsp: Some(Lsp::new(cfg, tx)),
                    ..Default::default()
                }
            }
        };
        let mut core = Core::with_services(services);
        let mut out = Vec::new();
        let open =
            serde_json::json!({"id": 0, "method": "new_view", "params": {"file_path": path}})
                .to_string();
        core.handle_line(&open, &mut out);
        core.handle_line(
            r#"{"method":"edit","params":{"view_id":"view-id-1","method":"scroll","params":[0,40]}}"#,
            &mut out,
        );
        if rx.is_some() {
            // wait for the server to have the document (its first diagnostics)
            let until = Instant::now() + Duration::from_secs(60);
            while !out.iter().any(|l| l.contains("symphony.lsp.diagnostics")) {
                assert!(Instant::now() < until, "pylsp never published diagnostics");
                drain(&mut core, &mut rx, &mut out);
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        c.bench_function(&format!("lsp_echo_insert_{name}"), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    drain(&mut core, &mut rx, &mut out);
                    out.clear();
                    let t = Instant::now();
                    core.handle_line(INSERT, &mut out);
                    total += t.elapsed();
                    assert!(out.iter().any(|l| l.contains("\"update\"")));
                }
                total
            })
        });
    }
}

criterion_group!(benches, didchange, echo);
criterion_main!(benches);
