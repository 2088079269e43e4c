//! A language server is a real child started without the model services' API keys
//! the editor may have inherited (here: a shell standing in for a server dumps its
//! environment to a file).

use std::time::{Duration, Instant};

use symphony_editor::lsp::process::ServerProcess;

#[test]
fn a_language_server_inherits_no_api_key() {
    // SAFETY: the only test in this binary, before any thread is started.
    unsafe {
        std::env::set_var("OPENAI_API_KEY", "sk-lsp-env-openai-0123456789");
        std::env::set_var("SOME_SERVICE_API_KEY", "sk-lsp-env-other-0123456789");
        std::env::set_var("SYMPHONY_LSP_ENV_PLAIN", "kept");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("environ");
    let script = format!(
        "tr '\\0' '\\n' < /proc/self/environ > {}.tmp && mv {0}.tmp {0}; cat > /dev/null",
        out.display()
    );
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let _server = ServerProcess::spawn(
        std::path::Path::new("/bin/sh"),
        &["-c".to_owned(), script],
        dir.path(),
        tx,
        0,
        1,
    )
    .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !out.exists() {
        assert!(
            Instant::now() < deadline,
            "the server never wrote its environment"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let env = std::fs::read_to_string(&out).expect("read");
    assert!(env.contains("SYMPHONY_LSP_ENV_PLAIN=kept"), "{env}");
    assert!(!env.contains("sk-lsp-env-"), "a key was inherited:\n{env}");
}
