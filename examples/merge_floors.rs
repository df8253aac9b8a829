//! The floors of a streaming merge beyond the read floor ([`read_floor`](./read_floor.rs)): what
//! reading the inputs *together*, in genomic order, costs before any test is made, and what
//! the whole merge costs but its statistics.
//!
//! `cargo run --release --example merge_floors -- MODE SUMMARY…` prints the rows read and the
//! wall and CPU seconds from opening the inputs on (what a mode reads before is not timed). Used
//! by `scripts/bench_merge.sh`. MODE is one of
//!
//! * `interleaved`: the inputs shared among the pool's threads, each thread reading its inputs a
//!   batch at a time in turn to their ends, each batch dropped as read: the reading order of a
//!   k-way merge, where the read floor reads one file to its end, then the next.
//! * `rounds`: the same batches read in rounds, one batch of every input per round on the pool
//!   (a parallel loop per round), as the merge's windows read them: each round waits for its
//!   slowest thread.
//! * `windows`: the merge's own windows ([`dash::merge::Windows`], batches of the merge's size),
//!   each handed back on a thread of its own, as merge hands back a window it has written.
//! * `join`: those windows also joined ([`dash::merge::Merged::from_window`]), as merge's
//!   reading thread joins them.
//! * `pipeline GWAS.tsv.gz OUT.tsv.gz SUMMARY…`: merge without its statistics. The rows of a
//!   GWAS-SSF file merge wrote from these summaries are read back into numbers first (not
//!   timed); then the windows are read and joined on a thread of their own, as merge does, and
//!   for each window the next rows (as many as it has sites) are formatted again on the pool and
//!   BGZF-compressed with their MD5 into OUT, as merge writes its file. Everything the merge of
//!   one stream of windows does but pool, test and check each site. (Merge itself splits into
//!   segments merged side by side when it can, `run::merge`, and may then beat this floor.)

use std::time::Instant;

use dash::merge::window::{batch_rows, default_input_rows};
use dash::merge::{Merged, RowSource, Windows};
use rayon::prelude::*;

#[path = "support/cpu_seconds.rs"]
mod cpu_seconds;
#[path = "support/gwas_rows.rs"]
mod gwas_rows;
#[path = "support/inflate.rs"]
mod inflate;

fn main() {
    // As `dash` itself does.
    dash::malloc_tuning::keep_freed_memory();
    let mut args = std::env::args_os().skip(1);
    let mode = args
        .next()
        .and_then(|m| m.into_string().ok())
        .unwrap_or_default();
    // The pipeline's rows to write, read before the clock starts.
    let output = (mode == "pipeline").then(|| {
        let (Some(gwas), Some(out)) = (args.next(), args.next()) else {
            panic!("usage: merge_floors pipeline GWAS.tsv.gz OUT.tsv.gz SUMMARY…");
        };
        let gwas = gwas.to_string_lossy().into_owned();
        let text = String::from_utf8(inflate::inflate(&gwas)).expect("UTF-8 text");
        let (_, body) = text.split_once('\n').expect("a header line");
        (
            gwas_rows::parse_all(&gwas, body),
            std::path::PathBuf::from(out),
        )
    });
    let paths: Vec<std::path::PathBuf> = args.map(Into::into).collect();
    let (started, cpu_before) = (Instant::now(), cpu_seconds::cpu_seconds());
    let mut inputs = dash::run::open_inputs(&paths, None).unwrap_or_else(|e| panic!("{e}"));
    let widths: Vec<Vec<usize>> = inputs
        .summaries
        .iter()
        .map(|s| s.header.groups.iter().map(|g| g.fields.len()).collect())
        .collect();
    let batch = batch_rows(default_input_rows(paths.len()));
    let rows = match mode.as_str() {
        "interleaved" | "rounds" => {
            for source in &mut inputs.sources {
                source.set_batch_rows(batch);
            }
            let read = |source: &mut Box<dyn RowSource>| {
                let rows = source.next_rows().unwrap_or_else(|e| panic!("{e}"));
                rows.map_or(0, |r| r.len())
            };
            if mode == "rounds" {
                let mut rows = 0;
                loop {
                    let round: usize = inputs.sources.par_iter_mut().map(read).sum();
                    if round == 0 {
                        break rows;
                    }
                    rows += round;
                }
            } else {
                // Thread k reads inputs k, k + threads, …
                let threads = rayon::current_num_threads();
                let mut shares: Vec<Vec<_>> = (0..threads).map(|_| Vec::new()).collect();
                for (i, source) in inputs.sources.iter_mut().enumerate() {
                    shares[i % threads].push(source);
                }
                shares
                    .into_par_iter()
                    .with_max_len(1)
                    .map(|mut share| {
                        let mut rows = 0;
                        loop {
                            let round: usize = share.iter_mut().map(|s| read(s)).sum();
                            if round == 0 {
                                break rows;
                            }
                            rows += round;
                        }
                    })
                    .sum()
            }
        }
        "windows" | "join" => {
            let mut windows = Windows::new(inputs.sources, &widths, None);
            let recycler = windows.recycler();
            let mut rows = 0;
            while let Some(window) = windows.next_window().unwrap_or_else(|e| panic!("{e}")) {
                rows += window.iter().map(|w| w.len()).sum::<usize>();
                let window = match mode.as_str() {
                    "join" => Merged::from_window(&inputs.summaries, window, inputs.kind)
                        .unwrap_or_else(|e| panic!("{e}"))
                        .into_window(),
                    _ => window,
                };
                // Emptied on a thread of its own, as merge empties a window it has written.
                let recycler = recycler.clone();
                std::thread::spawn(move || recycler.give_back(window));
            }
            rows
        }
        "pipeline" => {
            let (rows_out, out) = output.expect("read above");
            pipeline(inputs, &widths, &rows_out, &out)
        }
        _ => {
            eprintln!("usage: merge_floors interleaved|rounds|windows|join SUMMARY…\n       merge_floors pipeline GWAS.tsv.gz OUT.tsv.gz SUMMARY…");
            std::process::exit(2);
        }
    };
    println!(
        "{rows} rows in {:.2} s wall, {:.2} s CPU",
        started.elapsed().as_secs_f64(),
        cpu_seconds::cpu_seconds() - cpu_before
    );
}

/// The `pipeline` mode: reads and joins windows on a thread of their own and writes `rows` to
/// `out`, window by window, as merge does; returns the input rows read.
fn pipeline(
    inputs: dash::run::Inputs,
    widths: &[Vec<usize>],
    rows: &[gwas_rows::Row],
    out: &std::path::Path,
) -> usize {
    use dash::output::bgzf_writer::BgzfWriter;
    use dash::output::meta::Md5Writer;

    let mut windows = Windows::new(inputs.sources, widths, None);
    let recycler = windows.recycler();
    let (summaries, kind) = (&inputs.summaries, inputs.kind);
    let file = std::fs::File::create(out).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
    let mut writer = BgzfWriter::new(Md5Writer::new(file), true);
    let (mut read, mut written) = (0, 0);
    std::thread::scope(|scope| {
        // As merge: one window queued while one is written.
        let (sender, received) = std::sync::mpsc::sync_channel::<Merged>(1);
        scope.spawn(move || {
            while let Some(window) = windows.next_window().unwrap_or_else(|e| panic!("{e}")) {
                let merged =
                    Merged::from_window(summaries, window, kind).unwrap_or_else(|e| panic!("{e}"));
                if sender.send(merged).is_err() {
                    break;
                }
            }
        });
        for merged in received {
            read += merged.inputs.iter().map(|i| i.rows.len()).sum::<usize>();
            let end = (written + merged.sites.len()).min(rows.len());
            let text = gwas_rows::format_chunks(&rows[written..end]);
            for text in &text {
                writer
                    .write_all(text.as_bytes())
                    .unwrap_or_else(|e| panic!("{}: {e}", out.display()));
            }
            written = end;
            let recycler = recycler.clone();
            scope.spawn(move || recycler.give_back(merged.into_window()));
        }
    });
    let (_, md5) = writer
        .finish()
        .unwrap_or_else(|e| panic!("{}: {e}", out.display()))
        .finish();
    assert_eq!(
        written,
        rows.len(),
        "the windows had fewer sites than the file has rows"
    );
    eprintln!("{written} output rows, md5 {md5}");
    read
}
