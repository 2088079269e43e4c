//! The crash-recovery box as a user sees it: its title reads clearly (theme-derived
//! colours with enough contrast, not grey on yellow), screens and styles as insta
//! snapshots (TestBackend).

mod common;

use common::*;
use symphony_tui::app::session_events::on_session_event;
use symphony_tui::session::{SessionEvent, ViewHandle};

#[test]
fn the_recovery_box_title_is_dark_bold_text_on_the_accent() {
    let (mut state, _calls) = state_with(Some("/x/a.rs"), 60, 12);
    on_session_event(
        &mut state,
        SessionEvent::RecoveryOffered {
            view: ViewHandle(1),
            file_path: "/x/a.rs".into(),
            changed_on_disk: false,
            exact: true,
            more: 0,
        },
    );
    let buf = render(&state);
    let (x, y) = (0..buf.area.height)
        .find_map(|y| {
            let row: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
            row.find("Crash recovery").map(|x| (x as u16, y))
        })
        .expect("the title");
    let cell = &buf[(x, y)];
    let rgb = |c: Option<ratatui::style::Color>| match c {
        Some(ratatui::style::Color::Rgb(r, g, b)) => (r, g, b),
        other => panic!("not an RGB colour: {other:?}"),
    };
    let ratio = symphony_tui::ui::colors::contrast(rgb(cell.style().fg), rgb(cell.style().bg));
    assert!(ratio >= 7.0, "title contrast {ratio:.1}");
    let rows = y..buf.area.height - 1;
    insta::assert_snapshot!(format!("{}\n{}", screen(&state), styles_of(&buf, rows)));
}
