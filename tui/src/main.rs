//! `symphony`: the terminal client binary.
fn main() {}
