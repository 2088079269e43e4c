//! Screen snapshots (TestBackend + insta): states built from line-cache
//! updates as the core sends them, no editor process involved.

mod common;

use common::*;
use serde_json::json;
use symphony_protocol::xi::Color as XiColor;
use symphony_tui::action::Action;
use symphony_tui::app::session_events::on_session_event;
use symphony_tui::app::update;
use symphony_tui::config::Config;
use symphony_tui::session::SessionEvent;

const KEYWORD: u64 = 2;
const STRING: u64 = 3;
const COMMENT: u64 = 4;

fn theme() -> SessionEvent {
    let c = |r, g, b| Some(XiColor { r, g, b, a: 255 });
    let theme = symphony_protocol::xi::ThemeSettings {
        foreground: c(0xd3, 0xd0, 0xc8),
        background: c(0x2d, 0x2d, 0x2d),
        selection: c(0x51, 0x51, 0x51),
        find_highlight: c(0xff, 0xcc, 0x66),
        find_highlight_foreground: c(0, 0, 0),
        gutter_foreground: c(0x74, 0x73, 0x69),
        ..Default::default()
    };
    SessionEvent::ThemeChanged {
        name: "base16-eighties.dark".into(),
        theme,
    }
}

#[test]
fn highlighted_file() {
    let (mut state, _) = state_with(Some("src/main.rs"), 48, 8);
    on_session_event(&mut state, theme());
    def_style(&mut state, KEYWORD, 0xFFCC99CC, Some(700), None);
    def_style(&mut state, STRING, 0xFF99CC99, None, None);
    def_style(&mut state, COMMENT, 0xFF747369, None, Some(true));
    // styles: start (relative to the previous span's end), length, id.
    feed(
        &mut state,
        1,
        json!({"ops": [{"op": "ins", "n": 5, "lines": [
            {"text": "// Greets.\n", "ln": 1, "styles": [0, 10, COMMENT]},
            {"text": "fn main() {\n", "ln": 2, "styles": [0, 2, KEYWORD], "cursor": [0]},
            {"text": "    let s = \"hi\";\n", "ln": 3, "styles": [4, 3, KEYWORD, 5, 4, STRING]},
            {"text": "}\n", "ln": 4},
            {"text": "", "ln": 5}
        ]}], "pristine": true, "annotations": [
            {"type": "selection", "n": 1, "ranges": [[1, 0, 1, 0]], "payloads": null}
        ]}),
    );
    scroll_to(&mut state, 1, 1, 0);
    on_session_event(
        &mut state,
        SessionEvent::LanguageChanged {
            view: symphony_tui::session::ViewHandle(1),
            language: "Rust".into(),
        },
    );
    let buf = render(&state);
    insta::assert_snapshot!(format!("{}\n{}", text_of(&buf), styles_of(&buf, 0..4)));
}

#[test]
fn split_layout() {
    let (mut state, _) = state_with(Some("a.txt"), 60, 14);
    feed(&mut state, 1, plain_lines(&["left pane\n", "second\n", ""]));
    update(&mut state, Action::SplitRight);
    // The new pane is view 2 (same file); it received the same text.
    feed(&mut state, 2, plain_lines(&["left pane\n", "second\n", ""]));
    update(&mut state, Action::SplitDown);
    feed(&mut state, 3, plain_lines(&["bottom right\n", "", ""]));
    update(&mut state, Action::ResizeLeft);
    insta::assert_snapshot!(screen(&state));
}

#[test]
fn selections_and_several_cursors() {
    let (mut state, _) = state_with(Some("list.txt"), 40, 8);
    on_session_event(&mut state, theme());
    feed(
        &mut state,
        1,
        json!({"ops": [{"op": "ins", "n": 4, "lines": [
            {"text": "alpha beta\n", "ln": 1, "cursor": [5]},
            {"text": "gamma beta\n", "ln": 2, "cursor": [10]},
            {"text": "delta\n", "ln": 3, "cursor": [2]},
            {"text": "beta\n", "ln": 4}
        ]}], "pristine": false, "annotations": [
            {"type": "selection", "n": 3, "ranges": [[0, 0, 0, 5], [1, 6, 1, 10], [2, 2, 2, 2]], "payloads": null},
            {"type": "find", "n": 1, "ranges": [[3, 0, 3, 4]], "payloads": null}
        ]}),
    );
    scroll_to(&mut state, 1, 2, 2);
    let buf = render(&state);
    insta::assert_snapshot!(format!("{}\n{}", text_of(&buf), styles_of(&buf, 0..4)));
}

/// A key as the terminal sends it, through the keymap.
fn press(state: &mut symphony_tui::app::State, key: crossterm::event::KeyEvent) {
    for a in symphony_tui::app::input::event_to_actions(state, crossterm::event::Event::Key(key)) {
        update(state, a);
    }
}

#[test]
fn command_palette() {
    let (mut state, _) = state_with(Some("a.txt"), 70, 14);
    feed(&mut state, 1, plain_lines(&["text\n", ""]));
    update(&mut state, Action::CommandPalette);
    for c in "pane".chars() {
        press(
            &mut state,
            crossterm::event::KeyEvent::new(
                crossterm::event::KeyCode::Char(c),
                crossterm::event::KeyModifiers::NONE,
            ),
        );
    }
    insta::assert_snapshot!(screen(&state));
}

fn tabs_and_wide() -> serde_json::Value {
    plain_lines(&[
        "\tindented\n",
        "a\tb\tc\n",
        "日本語のテキスト\n",
        "emoji 😀 here\n",
        "ctrl\u{1}char\n",
        "",
    ])
}

#[test]
fn wide_characters_and_tabs() {
    let (mut state, _) = state_with(Some("wide.txt"), 30, 8);
    feed(&mut state, 1, tabs_and_wide());
    scroll_to(&mut state, 1, 2, "日本".len());
    insta::assert_snapshot!(screen(&state));
}

#[test]
fn wide_characters_scrolled_sideways() {
    let (mut state, _) = state_with(Some("wide.txt"), 16, 8);
    feed(&mut state, 1, tabs_and_wide());
    // The caret far right: the view scrolls so it is visible.
    scroll_to(&mut state, 1, 2, "日本語のテキ".len());
    insta::assert_snapshot!(screen(&state));
}

#[test]
fn wide_characters_soft_wrapped() {
    let config = Config {
        soft_wrap: true,
        ..Config::default()
    };
    let (mut state, _) = state_with_config(Some("wide.txt"), 13, 12, config);
    feed(&mut state, 1, tabs_and_wide());
    insta::assert_snapshot!(screen(&state));
}

#[test]
fn lines_not_received_draw_blank() {
    let (mut state, _) = state_with(Some("big.txt"), 30, 7);
    feed(
        &mut state,
        1,
        json!({"ops": [
            {"op": "ins", "n": 2, "lines": [{"text": "one\n", "ln": 1}, {"text": "two\n", "ln": 2}]},
            {"op": "invalidate", "n": 2},
            {"op": "ins", "n": 1, "lines": [{"text": "five\n", "ln": 5}]},
            {"op": "invalidate", "n": 995}
        ], "pristine": true}),
    );
    insta::assert_snapshot!(screen(&state));
}

#[test]
fn find_bar_prompt_and_message() {
    let (mut state, _) = state_with(None, 50, 8);
    feed(&mut state, 1, plain_lines(&["foo bar foo\n", ""]));
    update(&mut state, Action::Replace);
    for c in "foo".chars() {
        press(
            &mut state,
            crossterm::event::KeyEvent::new(
                crossterm::event::KeyCode::Char(c),
                crossterm::event::KeyModifiers::NONE,
            ),
        );
    }
    on_session_event(
        &mut state,
        SessionEvent::FindStatus {
            view: symphony_tui::session::ViewHandle(1),
            status: vec![
                serde_json::from_value(
                    json!({"id": 1, "chars": "foo", "matches": 2, "lines": [1, 1]}),
                )
                .unwrap(),
            ],
        },
    );
    on_session_event(&mut state, SessionEvent::Alert("core says hi".into()));
    insta::assert_snapshot!(screen(&state));
}

#[test]
fn tiny_terminals_do_not_panic() {
    for (w, h) in [(0, 0), (1, 1), (2, 2), (3, 2), (10, 3), (5, 10)] {
        let (mut state, _) = state_with(Some("wide.txt"), w, h);
        feed(&mut state, 1, tabs_and_wide());
        scroll_to(&mut state, 1, 2, 3);
        render(&state);
        update(&mut state, Action::SplitRight);
        update(&mut state, Action::SplitDown);
        update(&mut state, Action::ResizeLeft);
        feed(&mut state, 2, tabs_and_wide());
        render(&state);
        update(&mut state, Action::CommandPalette);
        render(&state);
        update(&mut state, Action::CloseOverlay);
        update(&mut state, Action::Replace);
        render(&state);
        update(&mut state, Action::ToggleSoftWrap);
        render(&state);
    }
}
