//! The write floor of a merge: the time to BGZF-compress (level 1, as merge writes it) and MD5
//! the text of its GWAS-SSF files, with no formatting, reading or testing.
//!
//! * `cargo run --release --example write_floor -- GWAS.tsv.gz OUT.tsv.gz [THREADS]` inflates
//!   the file into memory (not timed), writes its text again through
//!   [`dash::output::bgzf_writer`] on a pool of THREADS (default: all cores) in pieces of about
//!   a merge window's text, and prints the bytes and the wall and CPU seconds of the write
//!   alone. Used by `scripts/bench_merge.sh`.
//! * `… write_floor --side-by-side OUT_DIR GWAS.tsv.gz…` is the floor of a many-phenotype
//!   merge (`scripts/bench_phenotypes.sh`): every file's text is inflated (not timed), then the
//!   files are written again into OUT_DIR side by side on a pool of all cores, each by one
//!   worker that compresses its own blocks — as merge writes as many phenotypes as it has
//!   threads or more (`PhenotypeWriter::create`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use dash::output::bgzf_writer::BgzfWriter;
use dash::output::meta::Md5Writer;
use rayon::prelude::*;

#[path = "support/cpu_seconds.rs"]
mod cpu_seconds;
#[path = "support/inflate.rs"]
mod inflate;
#[path = "support/threads.rs"]
mod threads;
use cpu_seconds::cpu_seconds;
use inflate::inflate;
use threads::threads;

/// Text handed to the writer at once: about what merge formats before writing (16,384 rows).
const PIECE: usize = 2 << 20;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [flag, out_dir, inputs @ ..] if flag == "--side-by-side" && !inputs.is_empty() => {
            side_by_side(Path::new(out_dir), inputs)
        }
        [input, output, rest @ ..] if !input.starts_with("--") => {
            one_file(input, output, threads(rest.first()))
        }
        _ => {
            eprintln!(
                "usage: write_floor GWAS.tsv.gz OUT.tsv.gz [THREADS]\n       write_floor --side-by-side OUT_DIR GWAS.tsv.gz..."
            );
            std::process::exit(2);
        }
    }
}

/// One file, its blocks compressed on a pool of `threads`.
fn one_file(input: &str, output: &str, threads: usize) {
    let text = inflate(input);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool");
    let (started, cpu_before) = (Instant::now(), cpu_seconds());
    // One phenotype on more than one thread: its blocks are compressed on the pool, as in
    // merge (`PhenotypeWriter::create`).
    let md5 = pool.install(|| write(&text, Path::new(output), threads > 1));
    println!(
        "{} bytes in {:.2} s wall, {:.2} s CPU (md5 {md5})",
        text.len(),
        started.elapsed().as_secs_f64(),
        cpu_seconds() - cpu_before
    );
}

/// Many files side by side, each compressed by the worker writing it.
fn side_by_side(out_dir: &Path, inputs: &[String]) {
    let texts: Vec<(Vec<u8>, PathBuf)> = inputs
        .par_iter()
        .map(|input| {
            let name = Path::new(input)
                .file_name()
                .unwrap_or_else(|| panic!("{input}: not a file name"));
            (inflate(input), out_dir.join(name))
        })
        .collect();
    let bytes: usize = texts.iter().map(|(text, _)| text.len()).sum();
    let (started, cpu_before) = (Instant::now(), cpu_seconds());
    texts.par_iter().for_each(|(text, output)| {
        write(text, output, false);
    });
    println!(
        "{bytes} bytes in {} files in {:.2} s wall, {:.2} s CPU",
        texts.len(),
        started.elapsed().as_secs_f64(),
        cpu_seconds() - cpu_before
    );
}

/// Writes `text` to `output` as merge writes a GWAS-SSF file, in pieces; returns its MD5.
fn write(text: &[u8], output: &Path, parallel: bool) -> String {
    let shown = output.display();
    let file = std::fs::File::create(output).unwrap_or_else(|e| panic!("{shown}: {e}"));
    let mut writer = BgzfWriter::new(Md5Writer::new(file), parallel);
    for piece in text.chunks(PIECE) {
        writer
            .write_all(piece)
            .unwrap_or_else(|e| panic!("{shown}: {e}"));
    }
    let (_, md5) = writer
        .finish()
        .unwrap_or_else(|e| panic!("{shown}: {e}"))
        .finish();
    md5
}
