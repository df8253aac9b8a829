//! The write floor of a merge: the time to BGZF-compress (level 1, as merge writes it) and MD5
//! the text of a GWAS-SSF file, with no formatting, reading or testing.
//!
//! `cargo run --release --example write_floor -- GWAS.tsv.gz OUT.tsv.gz [THREADS]` inflates the
//! file into memory (not timed), writes its text again through [`dash::output::bgzf_writer`]
//! on a pool of THREADS (default: all cores) in pieces of about a merge window's text, and
//! prints the bytes and the wall and CPU seconds of the write alone. Used by
//! `scripts/bench_merge.sh`.

use std::io::Read;
use std::time::Instant;

use dash::output::bgzf_writer::BgzfWriter;
use dash::output::meta::Md5Writer;

/// Text handed to the writer at once: about what merge formats before writing (16,384 rows).
const PIECE: usize = 2 << 20;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output, rest @ ..] = args.as_slice() else {
        eprintln!("usage: write_floor GWAS.tsv.gz OUT.tsv.gz [THREADS]");
        std::process::exit(2);
    };
    let threads = match rest.first() {
        Some(n) => n
            .parse()
            .unwrap_or_else(|_| panic!("THREADS '{n}' is not a number")),
        None => std::thread::available_parallelism().map_or(1, usize::from),
    };
    let mut text = Vec::new();
    dash::report::read::open_text(input.as_ref())
        .unwrap_or_else(|e| panic!("{e}"))
        .read_to_end(&mut text)
        .unwrap_or_else(|e| panic!("{input}: {e}"));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool");
    let (started, cpu_before) = (Instant::now(), cpu_seconds());
    let md5 = pool.install(|| {
        let file = std::fs::File::create(output).unwrap_or_else(|e| panic!("{output}: {e}"));
        // One phenotype on more than one thread: its blocks are compressed on the pool, as in
        // merge (`PhenotypeWriter::create`).
        let mut writer = BgzfWriter::new(Md5Writer::new(file), threads > 1);
        for piece in text.chunks(PIECE) {
            writer
                .write_all(piece)
                .unwrap_or_else(|e| panic!("{output}: {e}"));
        }
        let (_, md5) = writer
            .finish()
            .unwrap_or_else(|e| panic!("{output}: {e}"))
            .finish();
        md5
    });
    println!(
        "{} bytes in {:.2} s wall, {:.2} s CPU (md5 {md5})",
        text.len(),
        started.elapsed().as_secs_f64(),
        cpu_seconds() - cpu_before
    );
}

/// CPU seconds (user + system) of this process so far, from `/proc/self/stat` (Linux; 0 where
/// it cannot be read): the write alone, without the inflate before it.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: u64 = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|field| field.parse::<u64>().ok())
        .sum();
    // Clock ticks are 1/100 s on Linux (USER_HZ).
    ticks as f64 / 100.0
}
