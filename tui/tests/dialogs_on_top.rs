//! Dialogs draw above everything: nothing of the panes behind them (text,
//! borders between splits) shows through a dialog's box.

mod common;

use std::path::Path;

use common::*;
use symphony_extensions::Manifest;
use symphony_tui::action::Action;
use symphony_tui::app::update;
use symphony_tui::grant::GrantPrompt;

fn word_count() -> Manifest {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../extensions/examples/word-count");
    Manifest::load(&dir.join("extension.toml")).expect("example manifest")
}

#[test]
fn the_permission_prompt_hides_the_split_panes_behind_it() {
    let (mut state, _) = state_with(Some("a.txt"), 64, 14);
    let full: Vec<String> = (0..12).map(|_| "e".repeat(80) + "\n").collect();
    let lines: Vec<&str> = full.iter().map(String::as_str).collect();
    feed(&mut state, 1, plain_lines(&lines));
    update(&mut state, Action::SplitRight);
    feed(&mut state, 2, plain_lines(&lines));
    state.motifs.prompt = Some(GrantPrompt::new(&word_count()));
    let shown = screen(&state);
    // inside the box's frame, only the prompt's own text
    for row in shown
        .lines()
        .filter(|r| r.contains('│') && r.matches('│').count() >= 2)
    {
        let inside: String = row
            .chars()
            .skip_while(|c| *c != '│')
            .skip(1)
            .take_while(|c| *c != '│')
            .collect();
        assert!(
            !inside.contains("ee"),
            "pane text shows through the dialog: {row:?}\n{shown}"
        );
    }
    assert!(
        shown.contains("│ y allow and remember · n refuse"),
        "{shown}"
    );
    insta::assert_snapshot!(shown);
}
