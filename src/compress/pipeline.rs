//! The block pipeline shared by compress and decode: read ahead, work in parallel, consume in
//! order.
//!
//! One thread only reads (I/O); every block is then handed to the thread pool as its own task as
//! soon as it arrives, with a bounded number in flight so memory stays O(N × block); results are
//! consumed on the calling thread in file order. Keeping CPU-heavy decoding out of the reading
//! thread matters: a reader that waits for pool work queued behind long tasks starves the pool.
//! Finished blocks go back to the reader to be filled again: their buffers are tens of MiB, and a
//! fresh allocation per block costs page faults and zero-filling.

use std::collections::BTreeMap;
use std::sync::mpsc::{channel, sync_channel};

use crate::error::Result;
use crate::genotype::{BlockReader, GenotypeBlock};

/// Reads every block of `reader`, runs `work` on each in the pool, and passes the results to
/// `consume` in file order.
pub fn for_each_block<T, W, C>(
    reader: &mut dyn BlockReader,
    block_size: usize,
    work: W,
    mut consume: C,
) -> Result<()>
where
    T: Send,
    W: Fn(&mut GenotypeBlock) -> T + Sync,
    C: FnMut(T) -> Result<()>,
{
    let in_flight_limit = 2 * rayon::current_num_threads().max(1);
    std::thread::scope(|scope| -> Result<()> {
        let (block_sender, blocks) = sync_channel::<Result<GenotypeBlock>>(in_flight_limit);
        let (recycle, recycled) = channel::<GenotypeBlock>();
        scope.spawn(move || loop {
            let mut block = recycled.try_recv().unwrap_or_default();
            let message = match reader.read_block(block_size, &mut block) {
                Ok(true) => Ok(block),
                Ok(false) => break,
                Err(e) => Err(e),
            };
            let failed = message.is_err();
            if block_sender.send(message).is_err() || failed {
                break;
            }
        });
        let (result_sender, finished) = channel::<(usize, T)>();
        let work = &work;
        rayon::in_place_scope(|pool| -> Result<()> {
            let mut pending: BTreeMap<usize, T> = BTreeMap::new();
            let (mut started, mut consumed, mut reading) = (0usize, 0usize, true);
            loop {
                while reading && started - consumed < in_flight_limit {
                    match blocks.recv() {
                        Ok(block) => {
                            let mut block = block?;
                            let (sender, index) = (result_sender.clone(), started);
                            let recycle = recycle.clone();
                            pool.spawn(move |_| {
                                let result = work(&mut block);
                                let _ = recycle.send(block);
                                let _ = sender.send((index, result));
                            });
                            started += 1;
                        }
                        Err(_) => reading = false,
                    }
                }
                if consumed == started {
                    return Ok(());
                }
                let (index, result) = finished.recv().expect("a block task is running");
                pending.insert(index, result);
                while let Some(result) = pending.remove(&consumed) {
                    consume(result)?;
                    consumed += 1;
                }
            }
        })
    })
}
