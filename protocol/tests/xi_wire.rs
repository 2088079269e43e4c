//! Exact JSON of every xi wire type: each edit method, gesture forms, the core -> client
//! notifications, update ops and the Symphony additions.

use serde_json::{Value, json};
use symphony_protocol::xi::client_messages::CLIENT_NOTIFICATION_METHODS;
use symphony_protocol::xi::edit::{EDIT_NOTIFICATION_METHODS, EDIT_REQUEST_METHODS};
use symphony_protocol::xi::*;

/// Parses `edit` params with the given inner method and params, and checks the exact
/// JSON written back.
fn edit(method: &str, params: Value) -> EditNotification {
    let wire = json!({"view_id": "view-id-1", "method": method, "params": params});
    let n =
        parse_core_notification("edit", wire.clone()).unwrap_or_else(|e| panic!("{method}: {e}"));
    let CoreNotification::Edit(cmd) = n.clone() else {
        panic!("{method}: not an edit")
    };
    assert_eq!(cmd.view_id, "view-id-1");
    assert_eq!(
        n.to_value(),
        json!({"method": "edit", "params": wire}),
        "{method}"
    );
    cmd.cmd
}

/// Sample params for every inner method that takes some.
fn sample_params(method: &str) -> Value {
    match method {
        "insert" | "paste" => json!({"chars": "x"}),
        "scroll" | "request_lines" => json!([0, 20]),
        "resize" => json!({"width": 80, "height": 24}),
        "goto_line" => json!({"line": 7}),
        "click" => json!([1, 2, 0, 2]),
        "drag" => json!([1, 4, 0]),
        "gesture" => json!({"line": 0, "col": 1, "ty": "drag"}),
        "find" => {
            json!({"chars": "a", "case_sensitive": false, "regex": true, "whole_words": false})
        }
        "multi_find" => {
            json!({"queries": [{"id": null, "chars": "a", "case_sensitive": true, "regex": false, "whole_words": true}]})
        }
        "find_next" | "find_previous" => {
            json!({"wrap_around": true, "allow_same": false, "modify_selection": "add"})
        }
        "highlight_find" => json!({"visible": true}),
        "selection_for_find" => json!({"case_sensitive": true}),
        "replace" => json!({"chars": "b", "preserve_case": false}),
        "request_hover" => json!({"request_id": 3, "position": {"line": 1, "column": 2}}),
        "toggle_recording" => json!({"recording_name": null}),
        "play_recording" | "clear_recording" => json!({"recording_name": "r"}),
        _ => json!({}),
    }
}

#[test]
fn every_inner_edit_method_round_trips_with_its_exact_json() {
    assert_eq!(EDIT_NOTIFICATION_METHODS.len(), 84);
    for m in EDIT_NOTIFICATION_METHODS {
        edit(m, sample_params(m));
    }
}

#[test]
fn edit_params_have_upstream_shapes() {
    assert_eq!(
        edit("insert", json!({"chars": "A"})),
        EditNotification::Insert { chars: "A".into() }
    );
    assert_eq!(
        edit("scroll", json!([0, 20])),
        EditNotification::Scroll(LineRange(0, 20))
    );
    assert_eq!(
        edit("request_lines", json!([100, 110])),
        EditNotification::RequestLines(LineRange(100, 110))
    );
    assert_eq!(
        edit("resize", json!({"width": 800, "height": 600})),
        EditNotification::Resize(Size {
            width: 800,
            height: 600
        })
    );
    assert_eq!(
        edit("goto_line", json!({"line": 2500})),
        EditNotification::GotoLine { line: 2500 }
    );
    assert_eq!(
        edit("click", json!([3, 4, 2, 1])),
        EditNotification::Click(MouseAction {
            line: 3,
            column: 4,
            flags: 2,
            click_count: Some(1)
        })
    );
    assert_eq!(
        edit("drag", json!([3, 4, 0])),
        EditNotification::Drag(MouseAction {
            line: 3,
            column: 4,
            flags: 0,
            click_count: None
        })
    );
    assert_eq!(
        edit(
            "find_next",
            json!({"wrap_around": true, "allow_same": false, "modify_selection": "add_removing_current"})
        ),
        EditNotification::FindNext {
            wrap_around: true,
            allow_same: false,
            modify_selection: SelectionModifier::AddRemovingCurrent
        }
    );
}

#[test]
fn find_and_find_next_fill_upstream_defaults() {
    let cmd: EditCommand<EditNotification> = serde_json::from_value(
        json!({"view_id": "v", "method": "find", "params": {"chars": "a", "case_sensitive": true}}),
    )
    .unwrap();
    assert_eq!(
        cmd.cmd,
        EditNotification::Find {
            chars: "a".into(),
            case_sensitive: true,
            regex: false,
            whole_words: false
        }
    );
    for params in [json!({}), json!([])] {
        let cmd: EditCommand<EditNotification> = serde_json::from_value(
            json!({"view_id": "v", "method": "find_next", "params": params}),
        )
        .unwrap();
        assert_eq!(
            cmd.cmd,
            EditNotification::FindNext {
                wrap_around: false,
                allow_same: false,
                modify_selection: SelectionModifier::Set
            }
        );
    }
}

#[test]
fn unit_edit_methods_accept_empty_object_empty_array_or_nothing() {
    for params in [Some(json!({})), Some(json!([])), Some(Value::Null), None] {
        let mut wire = json!({"view_id": "view-id-1", "method": "delete_backward"});
        if let Some(p) = params {
            wire["params"] = p;
        }
        let cmd: EditCommand<EditNotification> = serde_json::from_value(wire).unwrap();
        assert_eq!(cmd.cmd, EditNotification::DeleteBackward);
        assert_eq!(
            serde_json::to_value(&cmd).unwrap(),
            json!({"view_id": "view-id-1", "method": "delete_backward", "params": {}})
        );
    }
}

#[test]
fn gesture_types_new_and_deprecated_forms() {
    let cases = [
        (
            json!({"select": {"granularity": "point", "multi": false}}),
            GestureType::Select {
                granularity: SelectionGranularity::Point,
                multi: false,
            },
        ),
        (
            json!({"select": {"granularity": "word", "multi": true}}),
            GestureType::Select {
                granularity: SelectionGranularity::Word,
                multi: true,
            },
        ),
        (
            json!({"select_extend": {"granularity": "line"}}),
            GestureType::SelectExtend {
                granularity: SelectionGranularity::Line,
            },
        ),
        (json!("drag"), GestureType::Drag),
        (json!("point_select"), GestureType::PointSelect),
        (json!("toggle_sel"), GestureType::ToggleSel),
        (json!("range_select"), GestureType::RangeSelect),
        (json!("line_select"), GestureType::LineSelect),
        (json!("word_select"), GestureType::WordSelect),
        (json!("multi_line_select"), GestureType::MultiLineSelect),
        (json!("multi_word_select"), GestureType::MultiWordSelect),
    ];
    for (ty_json, ty) in cases {
        assert_eq!(
            edit("gesture", json!({"line": 2, "col": 5, "ty": ty_json})),
            EditNotification::Gesture {
                line: 2,
                col: 5,
                ty
            }
        );
    }
}

#[test]
fn edit_requests_copy_and_cut() {
    assert_eq!(EDIT_REQUEST_METHODS, &["cut", "copy"]);
    let r = parse_core_request(
        "edit",
        json!({"view_id": "view-id-1", "method": "copy", "params": {}}),
    )
    .unwrap();
    assert_eq!(
        r,
        CoreRequest::Edit(EditCommand {
            view_id: "view-id-1".into(),
            cmd: EditRequest::Copy,
            seq: None,
        })
    );
    assert_eq!(
        r.to_value(1),
        json!({"id": 1, "method": "edit", "params": {"view_id": "view-id-1", "method": "copy", "params": {}}})
    );
}

#[test]
fn unknown_inner_edit_method_and_bad_params_are_typed_errors() {
    let e = parse_core_notification(
        "edit",
        json!({"view_id": "v", "method": "teleport", "params": {}}),
    )
    .unwrap_err();
    assert_eq!(
        e,
        XiError::UnknownEditMethod {
            method: "teleport".into()
        }
    );
    let e = parse_core_request(
        "edit",
        json!({"view_id": "v", "method": "insert", "params": {}}),
    )
    .unwrap_err();
    assert_eq!(
        e,
        XiError::UnknownEditMethod {
            method: "insert".into()
        }
    );
    let e = parse_core_notification(
        "edit",
        json!({"view_id": "v", "method": "insert", "params": {"chars": 3}}),
    )
    .unwrap_err();
    assert!(
        matches!(&e, XiError::InvalidParams { method, .. } if method == "edit/insert"),
        "{e:?}"
    );
    let e = parse_core_notification("save", json!({"view_id": "v"})).unwrap_err();
    assert!(
        matches!(&e, XiError::InvalidParams { method, reason } if method == "save" && reason.contains("file_path")),
        "{e:?}"
    );
}

#[test]
fn core_notifications_exact_json() {
    let cases = [
        (
            CoreNotification::ClientStarted {
                config_dir: None,
                client_extras_dir: Some("/x".into()),
            },
            json!({"method": "client_started", "params": {"client_extras_dir": "/x"}}),
        ),
        (
            CoreNotification::CloseView {
                view_id: "v".into(),
            },
            json!({"method": "close_view", "params": {"view_id": "v"}}),
        ),
        (
            CoreNotification::Save {
                view_id: "v".into(),
                file_path: "/f".into(),
                force: false,
            },
            json!({"method": "save", "params": {"view_id": "v", "file_path": "/f"}}),
        ),
        (
            CoreNotification::SetLanguage {
                view_id: "v".into(),
                language_id: "Rust".into(),
            },
            json!({"method": "set_language", "params": {"view_id": "v", "language_id": "Rust"}}),
        ),
        (
            CoreNotification::ModifyUserConfig {
                domain: ConfigDomain::General,
                changes: json!({"tab_size": 2}).as_object().unwrap().clone(),
            },
            json!({"method": "modify_user_config", "params": {"domain": "general", "changes": {"tab_size": 2}}}),
        ),
        (
            CoreNotification::ModifyUserConfig {
                domain: ConfigDomain::Syntax("rust".into()),
                changes: Default::default(),
            },
            json!({"method": "modify_user_config", "params": {"domain": {"syntax": "rust"}, "changes": {}}}),
        ),
        (
            CoreNotification::Plugin(
                json!({"command": "start", "view_id": "v", "plugin_name": "p"}),
            ),
            json!({"method": "plugin", "params": {"command": "start", "view_id": "v", "plugin_name": "p"}}),
        ),
        (
            CoreNotification::SymphonyRecover {
                view_id: "v".into(),
                accept: true,
                action: None,
                into_view_id: None,
            },
            json!({"method": "symphony.recover", "params": {"view_id": "v", "accept": true}}),
        ),
    ];
    for (n, v) in cases {
        assert_eq!(n.to_value(), v);
        let Value::Object(o) = &v else { unreachable!() };
        let method = o["method"].as_str().unwrap();
        assert_eq!(
            parse_core_notification(method, o["params"].clone()).unwrap(),
            n
        );
        assert_eq!(n.to_line(), v.to_string());
    }
}

#[test]
fn core_requests_exact_json() {
    let cases = [
        (
            CoreRequest::NewView {
                file_path: Some("/f".into()),
            },
            json!({"id": 0, "method": "new_view", "params": {"file_path": "/f"}}),
        ),
        (
            CoreRequest::GetConfig {
                view_id: "v".into(),
            },
            json!({"id": 0, "method": "get_config", "params": {"view_id": "v"}}),
        ),
        (
            CoreRequest::DebugGetContents {
                view_id: "v".into(),
            },
            json!({"id": 0, "method": "debug_get_contents", "params": {"view_id": "v"}}),
        ),
    ];
    for (r, v) in cases {
        assert_eq!(r.to_value(0), v);
        assert_eq!(
            parse_core_request(v["method"].as_str().unwrap(), v["params"].clone()).unwrap(),
            r
        );
    }
    // new_view without params at all makes an empty buffer.
    assert_eq!(
        parse_core_request("new_view", json!({})).unwrap(),
        CoreRequest::NewView { file_path: None }
    );
}

#[test]
fn client_notifications_exact_json() {
    let cases = [
        json!({"method": "alert", "params": {"msg": "cannot open"}}),
        json!({"method": "find_status", "params": {"view_id": "v", "queries": [{"id": 1, "chars": "a", "case_sensitive": false, "is_regex": false, "whole_words": true, "matches": 2, "lines": [1, 3]}]}}),
        json!({"method": "replace_status", "params": {"view_id": "v", "status": {"chars": "b", "preserve_case": true}}}),
        json!({"method": "show_hover", "params": {"view_id": "v", "request_id": 4, "result": "fn main()"}}),
        json!({"method": "add_status_item", "params": {"view_id": "v", "source": "p", "key": "k", "value": "x", "alignment": "left"}}),
        json!({"method": "update_status_item", "params": {"view_id": "v", "key": "k", "value": "y"}}),
        json!({"method": "remove_status_item", "params": {"view_id": "v", "key": "k"}}),
        json!({"method": "update_cmds", "params": {"view_id": "v", "plugin": "p", "cmds": [{"title": "t"}]}}),
        json!({"method": "def_style", "params": {"id": 9, "fg_color": 4286813334u32, "bg_color": 1, "weight": 700, "italic": true, "underline": false}}),
        json!({"method": "symphony.recovery_available", "params": {"view_id": "v", "file_path": "/f", "edits": 3, "recovered_len": 120}}),
        json!({"method": "update", "params": {"view_id": "v", "update": {"ops": [
            {"op": "invalidate", "n": 78}, {"op": "skip", "n": 100},
            {"op": "update", "n": 1, "ln": 2, "lines": [{"ln": 2}]},
            {"op": "ins", "n": 1, "lines": [{"text": "ab\n", "styles": [2, 1, 8, -1, 2, 9], "ln": 3}]}],
            "pristine": false, "annotations": [{"type": "find", "n": 1, "ranges": [[1, 0, 1, 2]], "payloads": [{"id": 1}]}]}}}),
    ];
    let mut seen = Vec::new();
    for v in cases {
        let method = v["method"].as_str().unwrap();
        let n = parse_client_notification(method, v["params"].clone())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(n.to_value(), v, "{method}");
        seen.push(method.to_string());
    }
    assert!(
        seen.iter()
            .all(|m| CLIENT_NOTIFICATION_METHODS.contains(&m.as_str()))
    );
    let e = parse_client_notification("scroll_to", json!({"view_id": "v", "line": -1, "col": 0}))
        .unwrap_err();
    assert!(matches!(e, XiError::InvalidParams { .. }));
}

#[test]
fn symphony_recovery_variant_is_typed() {
    let n = parse_client_notification(
        symphony::RECOVERY_AVAILABLE,
        json!({"view_id": "v", "file_path": "/f", "edits": 3, "recovered_len": 120}),
    )
    .unwrap();
    assert_eq!(
        n,
        ClientNotification::SymphonyRecoveryAvailable {
            view_id: "v".into(),
            file_path: "/f".into(),
            edits: 3,
            recovered_len: 120,
            changed_on_disk: false,
            exact: true,
            journal: String::new(),
            more: 0,
            detached: false,
        }
    );
    assert!(symphony::is_symphony_method(symphony::RECOVER));
    assert!(!symphony::is_symphony_method("save"));
}

#[test]
fn measure_width_request_exact_json() {
    let r = ClientRequest::MeasureWidth(vec![WidthRequest {
        id: 0,
        strings: vec!["a".into(), "bb".into()],
    }]);
    assert_eq!(
        r.to_value(2),
        json!({"id": 2, "method": "measure_width", "params": [{"id": 0, "strings": ["a", "bb"]}]})
    );
    assert_eq!(
        client_messages::parse_client_request(
            "measure_width",
            json!([{"id": 0, "strings": ["a", "bb"]}])
        )
        .unwrap(),
        r
    );
}

#[test]
fn small_enums_exact_json() {
    for (d, v) in [
        (ConfigDomain::General, json!("general")),
        (
            ConfigDomain::Syntax("rust".into()),
            json!({"syntax": "rust"}),
        ),
        (
            ConfigDomain::Language("Rust".into()),
            json!({"language": "Rust"}),
        ),
        (
            ConfigDomain::UserOverride("view-id-2".into()),
            json!({"user_override": "view-id-2"}),
        ),
    ] {
        assert_eq!(serde_json::to_value(&d).unwrap(), v);
        assert_eq!(serde_json::from_value::<ConfigDomain>(v).unwrap(), d);
    }
    for (m, v) in [
        (SelectionModifier::None, "none"),
        (SelectionModifier::Set, "set"),
        (SelectionModifier::Add, "add"),
        (
            SelectionModifier::AddRemovingCurrent,
            "add_removing_current",
        ),
    ] {
        assert_eq!(serde_json::to_value(m).unwrap(), json!(v));
    }
    for (k, v) in [
        (OpKind::Copy, "copy"),
        (OpKind::Skip, "skip"),
        (OpKind::Invalidate, "invalidate"),
        (OpKind::Ins, "ins"),
        (OpKind::Update, "update"),
    ] {
        assert_eq!(serde_json::to_value(k).unwrap(), json!(v));
    }
    assert_eq!(
        serde_json::to_value(LineRange(3, 9)).unwrap(),
        json!([3, 9])
    );
    assert_eq!(
        serde_json::to_value(Position { line: 1, column: 2 }).unwrap(),
        json!({"line": 1, "column": 2})
    );
    assert_eq!(
        serde_json::to_value(PluginDescription {
            name: "p".into(),
            running: true
        })
        .unwrap(),
        json!({"name": "p", "running": true})
    );
}

#[test]
fn edit_acknowledgement_additions_exact_json() {
    // The negotiation: a request whose params and answer are the capabilities.
    let r = CoreRequest::SymphonyCapabilities(symphony::Capabilities { edit_ack: true });
    let v = json!({"id": 3, "method": "symphony.capabilities", "params": {"edit_ack": true}});
    assert_eq!(r.to_value(3), v);
    assert_eq!(
        parse_core_request("symphony.capabilities", v["params"].clone()).unwrap(),
        r
    );
    // An edit with the client's sequence number, and one without (the xi shape).
    let seq = CoreNotification::Edit(EditCommand {
        view_id: "v".into(),
        cmd: EditNotification::Insert { chars: "a".into() },
        seq: Some(7),
    });
    let v = json!({"method": "edit", "params": {"view_id": "v", "method": "insert",
        "params": {"chars": "a"}, "symphony_seq": 7}});
    assert_eq!(seq.to_value(), v);
    assert_eq!(
        parse_core_notification("edit", v["params"].clone()).unwrap(),
        seq
    );
    let plain = json!({"view_id": "v", "method": "undo", "params": {}});
    match parse_core_notification("edit", plain).unwrap() {
        CoreNotification::Edit(c) => assert_eq!(c.seq, None),
        other => panic!("{other:?}"),
    }
    // The acknowledgement: in the update, or alone when there is no update.
    let update = json!({"method": "update", "params": {"view_id": "v", "update":
        {"ops": [], "pristine": true, "annotations": []}, "symphony_ack": 7}});
    let n = parse_client_notification("update", update["params"].clone()).unwrap();
    assert!(matches!(n, ClientNotification::Update { ack: Some(7), .. }));
    assert_eq!(n.to_value(), update);
    let ack = json!({"method": "symphony.ack", "params": {"seq": 9}});
    let n = parse_client_notification("symphony.ack", ack["params"].clone()).unwrap();
    assert_eq!(n, ClientNotification::SymphonyAck(symphony::Ack { seq: 9 }));
    assert_eq!(n.to_value(), ack);
}
