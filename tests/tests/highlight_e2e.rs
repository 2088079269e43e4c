//! End to end: a file is coloured all the way down as soon as its styles are
//! ready, without an edit: at open in a tall terminal, and after scrolling.

use std::collections::BTreeSet;
use std::ffi::OsStr;

use anyhow::{Context, Result, bail};
use symphony_tests::{Sandbox, Terminal, WAIT, binaries};

/// A row split into its text and its SGR sequences (`ESC [ ... m`).
fn split_row(row: &str) -> (String, BTreeSet<String>) {
    let mut text = String::new();
    let mut sgr = BTreeSet::new();
    let mut rest = row;
    while let Some(i) = rest.find("\x1b[") {
        text.push_str(&rest[..i]);
        let tail = &rest[i + 2..];
        let Some(end) = tail.find('m') else { break };
        sgr.insert(tail[..end].to_string());
        rest = &tail[end + 1..];
    }
    text.push_str(rest);
    (text, sgr)
}

/// The SGR sequences of the screen row whose text shows `needle`.
fn colours_of_row(screen: &str, needle: &str) -> Option<BTreeSet<String>> {
    screen
        .lines()
        .map(split_row)
        .find(|(text, _)| text.contains(needle))
        .map(|(_, sgr)| sgr)
}

/// Waits until the row of `needle` carries the same colours as the row of
/// `coloured` (every line has the same shape, so the same styles).
fn wait_coloured_like(term: &Terminal, needle: &str, coloured: &str) -> Result<()> {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let screen = term.screen_with_colours()?;
        let want = colours_of_row(&screen, coloured);
        let got = colours_of_row(&screen, needle);
        if let (Some(want), Some(got)) = (&want, &got)
            && want.len() > 2
            && got == want
        {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            bail!(
                "{needle:?} is not coloured like {coloured:?}: {got:?} vs {want:?}; screen:\n{}",
                term.screen()?
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn line_40_of_a_60_line_rust_file_is_coloured_without_an_edit() -> Result<()> {
    let sandbox = Sandbox::new()?;
    let text: String = (0..60)
        .map(|i| format!("fn f{i:02}() -> u32 {{ \"s{i:02}\".len() as u32 }}\n"))
        .collect();
    let file = sandbox.file("long.rs", &text)?;
    let bins = binaries()?;
    let term = Terminal::start(
        &bins.symphony,
        &[OsStr::new(&file)],
        &sandbox.env(&bins),
        &sandbox.work(),
        100,
        50,
    )
    .context("starting symphony")?;
    term.wait_text("fn f40")?;
    wait_coloured_like(&term, "fn f02", "fn f01")?;
    wait_coloured_like(&term, "fn f39", "fn f01")?;
    // scrolled to the end: the lines that come into view are coloured too
    term.keys(&["C-End"])?;
    term.wait_text("fn f59")?;
    wait_coloured_like(&term, "fn f59", "fn f40")?;
    Ok(())
}
