//! End to end: a CRLF file with a BOM, edited at 1:1 and saved with Ctrl-S, keeps its
//! bytes apart from the edit, and the status line says CRLF. Real binaries in tmux.

use std::ffi::OsStr;

use anyhow::Result;
use symphony_tests::{Sandbox, binaries, wait_file};

#[test]
fn a_crlf_file_with_a_bom_shows_crlf_and_is_saved_byte_for_byte() -> Result<()> {
    let sandbox = Sandbox::new()?;
    let file = sandbox.work().join("dos.txt");
    std::fs::write(&file, b"\xEF\xBB\xBFfirst\r\nsecond\nlast")?;
    let term = sandbox.symphony(&binaries()?, &[OsStr::new(&file)])?;
    term.wait_text("second")?;
    term.wait_text("CRLF")?;
    term.type_text("X")?;
    term.wait_text("Xfirst")?;
    term.keys(&["C-s"])?;
    // the BOM first, the typed text after it; each line keeps its ending; no newline added
    let want = "\u{FEFF}Xfirst\r\nsecond\nlast";
    wait_file(&file, want)?;
    term.keys(&["C-q"])?;
    term.wait_exit()
}
