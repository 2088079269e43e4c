//! The host against real misbehaving child processes: crashes, hangs, floods, garbage
//! output, permission denials, lifecycle, TTL.

mod common;

use std::time::Duration;

use common::{START, behave, quick_config};
use serde_json::json;
use symphony_extensions::host::{HostError, State};
use symphony_extensions::{Grant, Host, Permissions};
use symphony_protocol::envelope::{Message, Priority};

fn none() -> Grant {
    Permissions::none()
}

#[tokio::test]
async fn an_extension_that_keeps_exiting_is_restarted_then_failed_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let counter = dir.path().join("starts");
    let m = behave(dir.path(), "exit", &[counter.to_str().unwrap()], "");
    let mut cfg = quick_config(dir.path());
    cfg.max_restarts = 2;
    let host = Host::new(cfg);
    let ext = host.start(m, none());
    let state = ext.wait_for(START, |s| s == State::Failed).await;
    assert_eq!(state, State::Failed);
    let reason = ext.reason().unwrap();
    assert!(reason.contains("exited with status 3"), "{reason}");
    assert!(reason.contains("gave up after 2 restarts"), "{reason}");
    assert_eq!(ext.stats().restarts, 2);
    // First start plus two restarts.
    let starts = std::fs::read_to_string(&counter).unwrap();
    assert_eq!(starts.lines().count(), 3);
    // A failed extension answers nothing, but does not hang the caller.
    assert!(matches!(
        ext.request("ping", json!({})).await,
        Err(HostError::NotRunning(_))
    ));
}

#[tokio::test]
async fn a_crash_while_running_restarts_it_and_it_answers_again() {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new(quick_config(dir.path()));
    let ext = host.start(behave(dir.path(), "ok", &[], ""), none());
    ext.wait_active(START).await.unwrap();
    assert!(matches!(
        ext.request("crash", json!({})).await,
        Err(HostError::Gone(_))
    ));
    ext.wait_active(START).await.unwrap();
    assert_eq!(ext.request("ping", json!({})).await.unwrap(), json!("pong"));
    assert_eq!(ext.stats().restarts, 1);
    assert!(ext.reason().unwrap().contains("exited with status 7"));
}

#[tokio::test]
async fn a_hung_request_times_out_and_the_extension_is_killed_and_restarted() {
    let dir = tempfile::tempdir().unwrap();
    let counter = dir.path().join("starts");
    let host = Host::new(quick_config(dir.path()));
    let ext = host.start(
        behave(dir.path(), "ok", &[counter.to_str().unwrap()], ""),
        none(),
    );
    ext.wait_active(START).await.unwrap();
    let err = ext
        .request_with(
            "hang",
            json!({}),
            Priority::Normal,
            Duration::from_millis(300),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, HostError::Timeout { .. }), "{err}");
    ext.wait_for(START, |s| s != State::Active).await;
    ext.wait_active(START).await.unwrap();
    assert_eq!(ext.request("ping", json!({})).await.unwrap(), json!("pong"));
    let s = ext.stats();
    assert_eq!((s.timeouts, s.restarts), (1, 1));
    assert!(ext.reason().unwrap().contains("unanswered"));
    assert_eq!(
        std::fs::read_to_string(&counter).unwrap().lines().count(),
        2
    );
}

#[tokio::test]
async fn a_flood_is_throttled_and_the_extension_still_answers() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = quick_config(dir.path());
    cfg.rate_per_sec = 50;
    cfg.burst = 100;
    let host = Host::new(cfg);
    let mut sub = host.subscribe("flood.*");
    let ext = host.start(behave(dir.path(), "ok", &[], ""), none());
    ext.wait_active(START).await.unwrap();
    assert_eq!(
        ext.request("flood", json!({"n": 3000})).await.unwrap(),
        json!("done")
    );
    let mut got = 0;
    while sub.try_recv().is_ok() {
        got += 1;
    }
    let s = ext.stats();
    assert!(s.throttled > 2000, "{s:?}");
    assert_eq!(got + s.throttled, 3000);
    assert_eq!(s.events, got);
    assert_eq!(ext.request("ping", json!({})).await.unwrap(), json!("pong"));
}

#[tokio::test]
async fn malformed_output_lines_are_counted_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new(quick_config(dir.path()));
    let ext = host.start(behave(dir.path(), "ok", &[], ""), none());
    ext.wait_active(START).await.unwrap();
    assert_eq!(
        ext.request("garbage", json!({})).await.unwrap(),
        json!("still here")
    );
    assert_eq!(ext.stats().malformed, 4);
    assert_eq!(ext.state(), State::Active);
    assert_eq!(ext.stats().restarts, 0);
}

#[tokio::test]
async fn host_requests_outside_the_grant_are_denied_with_an_error_reply() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.md"), "hello").unwrap();
    std::fs::write(dir.path().join("secret.env"), "KEY=1").unwrap();
    let perms = "[permissions]\nread = [\"**/*.md\"]\nwrite = [\"out/*.txt\"]\n";
    let m = behave(dir.path(), "ok", &[], perms);
    // The user granted reading markdown only.
    let grant = Permissions {
        read: vec!["**/*.md".into()],
        ..Permissions::none()
    }
    .restricted_to(&m.permissions);
    let host = Host::new(quick_config(dir.path()));
    let ext = host.start(m, grant);
    ext.wait_active(START).await.unwrap();

    let ok = ext
        .request("read", json!({"path": "notes.md"}))
        .await
        .unwrap();
    assert_eq!(ok, json!({"ok": "hello"}));

    let denied = ext
        .request("read", json!({"path": "secret.env"}))
        .await
        .unwrap();
    assert_eq!(denied["denied"], "permission_denied");
    assert!(denied["message"].as_str().unwrap().contains("secret.env"));

    let escape = ext
        .request("read", json!({"path": "../../etc/passwd.md"}))
        .await
        .unwrap();
    assert_eq!(escape["denied"], "permission_denied");

    // Declared but not granted.
    let write = ext
        .request("write", json!({"path": "out/a.txt"}))
        .await
        .unwrap();
    assert_eq!(write["denied"], "permission_denied");
    assert!(!dir.path().join("out/a.txt").exists());

    let edit = ext.request("edit", json!({})).await.unwrap();
    assert_eq!(edit["denied"], "permission_denied");
    assert_eq!(ext.stats().denied, 4);

    // A granted name that is a symlink out of the workspace is refused too.
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("target.md"), "private").unwrap();
    std::os::unix::fs::symlink(outside.path().join("target.md"), dir.path().join("link.md"))
        .unwrap();
    let link = ext
        .request("read", json!({"path": "link.md"}))
        .await
        .unwrap();
    assert_eq!(link["denied"], "failed");
    assert!(
        link["message"]
            .as_str()
            .unwrap()
            .contains("outside the workspace")
    );
}

#[tokio::test]
async fn lifecycle_deactivate_activate_unload() {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new(quick_config(dir.path()));
    let ext = host.start(behave(dir.path(), "ok", &[], ""), none());
    ext.wait_active(START).await.unwrap();
    assert_eq!(ext.deactivate(START).await, State::Inactive);
    assert!(matches!(
        ext.request("ping", json!({})).await,
        Err(HostError::NotRunning(_))
    ));
    ext.activate(START).await.unwrap();
    assert_eq!(ext.request("ping", json!({})).await.unwrap(), json!("pong"));
    assert_eq!(ext.unload(START).await, State::Unloaded);
    // A clean stop is not a restart.
    assert_eq!(ext.stats().restarts, 0);
}

#[tokio::test]
async fn an_unknown_method_gets_a_remote_error_not_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new(quick_config(dir.path()));
    let ext = host.start(behave(dir.path(), "ok", &[], ""), none());
    ext.wait_active(START).await.unwrap();
    let err = ext.request("nope", json!({})).await.unwrap_err();
    assert!(
        matches!(&err, HostError::Remote { code, .. } if code == "unknown_method"),
        "{err}"
    );
    assert_eq!(ext.state(), State::Active);
}

#[tokio::test]
async fn expired_messages_are_dropped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new(quick_config(dir.path()));
    let ext = host.start(behave(dir.path(), "ok", &[], ""), none());
    ext.wait_active(START).await.unwrap();
    let stale = Message::event(json!({"topic": "x", "data": null}))
        .created_at(1_000)
        .ttl_ms(10)
        .build();
    ext.send_message(stale).unwrap();
    // The message ahead in the queue is handled before the next request returns.
    assert_eq!(ext.request("ping", json!({})).await.unwrap(), json!("pong"));
    assert_eq!(ext.stats().expired, 1);
}

#[tokio::test]
async fn expired_events_from_an_extension_are_dropped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new(quick_config(dir.path()));
    let mut sub = host.subscribe("stale.*");
    let ext = host.start(behave(dir.path(), "ok", &[], ""), none());
    ext.wait_active(START).await.unwrap();
    assert_eq!(
        ext.request("stale_event", json!({})).await.unwrap(),
        json!("sent")
    );
    assert_eq!(sub.recv().await.unwrap().topic, "stale.fresh");
    assert!(sub.try_recv().is_err());
    assert_eq!(ext.stats().expired, 1);
}

#[tokio::test]
async fn a_missing_program_fails_with_a_clear_reason() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("extension.toml");
    std::fs::write(
        &path,
        "id = \"ghost\"\nname = \"G\"\nversion = \"1.0.0\"\ntype = \"motif\"\ncommand = \"/nonexistent/ghost\"\n",
    )
    .unwrap();
    let m = symphony_extensions::Manifest::load(&path).unwrap();
    let mut cfg = quick_config(dir.path());
    cfg.max_restarts = 1;
    let ext = Host::new(cfg).start(m, none());
    assert_eq!(
        ext.wait_for(START, |s| s == State::Failed).await,
        State::Failed
    );
    assert!(
        ext.reason()
            .unwrap()
            .contains("cannot start /nonexistent/ghost")
    );
}

#[tokio::test]
async fn queued_messages_are_delivered_by_priority() {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new(quick_config(dir.path()));
    let ext = host.start(behave(dir.path(), "ok", &[], ""), none());
    ext.wait_active(START).await.unwrap();
    // Queued together (the test runtime is single-threaded, the writer runs later).
    for (topic, p) in [
        ("low", Priority::Low),
        ("normal", Priority::Normal),
        ("critical", Priority::Critical),
        ("background", Priority::Background),
        ("high", Priority::High),
    ] {
        ext.send_event(topic, json!(null), p, None).unwrap();
    }
    // The (normal) request joins the queue too: it overtakes low and background.
    let seen = ext.request("seen", json!({})).await.unwrap();
    assert_eq!(seen, json!(["critical", "high", "normal"]));
    let seen = ext.request("seen", json!({})).await.unwrap();
    assert_eq!(
        seen,
        json!(["critical", "high", "normal", "low", "background"])
    );
}

#[tokio::test]
async fn resource_limits_are_applied_to_the_extension_process() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = quick_config(dir.path());
    cfg.limits = symphony_extensions::host::Limits {
        address_space: Some(3 << 30),
        cpu_seconds: Some(120),
        open_files: Some(64),
    };
    let ext = Host::new(cfg).start(behave(dir.path(), "ok", &[], ""), none());
    ext.wait_active(START).await.unwrap();
    let l = ext.request("limits", json!({})).await.unwrap();
    assert_eq!(
        l,
        json!({"address_space": 3u64 << 30, "cpu_seconds": 120, "open_files": 64})
    );
}

#[tokio::test]
async fn extensions_subscribe_to_host_events_by_pattern_within_their_grant() {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new(quick_config(dir.path()));
    let m = behave(dir.path(), "ok", &[], "[permissions]\nbuffer_read = true\n");
    let reader = host.start(m.clone(), m.permissions.clone());
    let blind = host.start(m, none());
    reader.wait_active(START).await.unwrap();
    blind.wait_active(START).await.unwrap();

    let ok = reader
        .request("subscribe", json!({"pattern": "buffer.*"}))
        .await
        .unwrap();
    assert_eq!(ok, json!({"ok": null}));
    let denied = blind
        .request("subscribe", json!({"pattern": "buffer.*"}))
        .await
        .unwrap();
    assert_eq!(denied["denied"], "permission_denied");
    // Other topics need no permission.
    let ok = blind
        .request("subscribe", json!({"pattern": "theme.*"}))
        .await
        .unwrap();
    assert_eq!(ok, json!({"ok": null}));

    assert_eq!(
        host.publish("buffer.changed", json!({"id": 1}), Priority::Normal, None),
        1
    );
    assert_eq!(
        host.publish("buffer.saved.extra", json!(null), Priority::Normal, None),
        0
    );
    assert_eq!(
        host.publish("theme.dark", json!(null), Priority::Normal, None),
        1
    );
    assert_eq!(
        reader.request("seen", json!({})).await.unwrap(),
        json!(["buffer.changed"])
    );
    assert_eq!(
        blind.request("seen", json!({})).await.unwrap(),
        json!(["theme.dark"])
    );
}

fn alive(pid: u64) -> bool {
    // A zombie no one reaps (in a container) is dead too.
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        !s.rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z')
    })
}

#[tokio::test]
async fn a_killed_extension_takes_its_own_child_processes_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new(quick_config(dir.path()));
    let ext = host.start(behave(dir.path(), "ok", &[], ""), none());
    ext.wait_active(START).await.unwrap();
    let pid = ext
        .request("spawn_sleeper", json!({}))
        .await
        .unwrap()
        .as_u64()
        .unwrap();
    assert!(alive(pid));
    let _ = ext
        .request_with(
            "hang",
            json!({}),
            Priority::Normal,
            Duration::from_millis(200),
        )
        .await;
    ext.wait_for(START, |s| s != State::Active).await;
    ext.wait_active(START).await.unwrap();
    let mut dead = false;
    for _ in 0..100 {
        if !alive(pid) {
            dead = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(dead, "sleeper {pid} survived its extension");
}
