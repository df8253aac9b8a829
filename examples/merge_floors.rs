//! The floors of a streaming merge beyond the read floor ([`read_floor`](./read_floor.rs)): what
//! reading the inputs *together*, in genomic order, costs before any test is made.
//!
//! `cargo run --release --example merge_floors -- MODE SUMMARY…` prints the rows read and the
//! seconds. Used by `scripts/bench_merge.sh`. MODE is one of
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

use std::time::Instant;

use dash::merge::window::{batch_rows, default_input_rows};
use dash::merge::{Merged, RowSource, Windows};
use rayon::prelude::*;

fn main() {
    // As `dash` itself does.
    dash::malloc_tuning::keep_freed_memory();
    let mut args = std::env::args_os().skip(1);
    let mode = args
        .next()
        .and_then(|m| m.into_string().ok())
        .unwrap_or_default();
    let paths: Vec<std::path::PathBuf> = args.map(Into::into).collect();
    let started = Instant::now();
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
        _ => {
            eprintln!("usage: merge_floors interleaved|rounds|windows|join SUMMARY…");
            std::process::exit(2);
        }
    };
    println!("{rows} rows in {:.2} s", started.elapsed().as_secs_f64());
}
