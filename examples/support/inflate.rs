//! The text of a GWAS-SSF file, for the floor examples that time writing it again
//! (`write_floor`, `format_floor`, `merge_floors pipeline`).

use std::io::Read;

/// The text of the (BGZF or plain) file at `input`, inflated.
pub fn inflate(input: &str) -> Vec<u8> {
    let mut text = Vec::new();
    dash::report::read::open_text(input.as_ref())
        .unwrap_or_else(|e| panic!("{e}"))
        .read_to_end(&mut text)
        .unwrap_or_else(|e| panic!("{input}: {e}"));
    text
}
