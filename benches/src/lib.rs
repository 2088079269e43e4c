//! Shared helpers for Symphony's benches.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Size of the generated file the editor benches open.
pub const BIG_FILE_SIZE: usize = 100 * 1024 * 1024;

/// Writes ~[`BIG_FILE_SIZE`] bytes of text lines (about 60 bytes each) to
/// `dir/big.txt` and returns its path.
pub fn big_file(dir: &Path) -> std::io::Result<PathBuf> {
    let path = dir.join("big.txt");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path)?);
    let mut n = 0usize;
    let mut i = 0u64;
    while n < BIG_FILE_SIZE {
        let line = format!(
            "line {i:>9} the quick brown fox jumps over the lazy dog {}\n",
            i % 97
        );
        n += line.len();
        f.write_all(line.as_bytes())?;
        i += 1;
    }
    f.flush()?;
    Ok(path)
}
