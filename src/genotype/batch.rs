//! Batches of VCF-family records: read sequentially, decoded in parallel.
//!
//! VCF and BCF differ only in how one record's bytes are read and how its sample fields are
//! decoded; both are a [`RecordFormat`]. [`RecordReader`] does the rest for both: the region
//! filter and index query, splitting multi-allelic sites into one column per ALT, filling blocks
//! of at most `max_variants` columns, and decoding the records of a block with rayon, each into
//! its own disjoint slice of the dosage matrix.
//!
//! Reading (BGZF inflation, splitting records) is sequential. With more than one thread it runs
//! ahead on its own thread, so that inflating the next records overlaps decoding these and the
//! caller's work on the block (compress's GEMM); with `--threads 1` it runs inline.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender};
use std::thread::JoinHandle;

use rayon::prelude::*;

use super::dosage::{AltColumn, Call, Field, RecordSite, SampleError, SkipCounts};
use super::duplicates::DuplicateCheck;
use super::stream::{RegionQuery, Stream};
use super::{BlockReader, GenotypeBlock, Orientation, QcCounts, Region};
use crate::error::{Error, Result};

/// One record format of the VCF family.
///
/// The reading half (`read`) may run on a read-ahead thread while a clone decodes, so `read`
/// may keep state (line numbers) but `decode` must depend only on what the header fixed.
pub trait RecordFormat: Clone + Send + Sync + 'static {
    /// One record's bytes and whatever `decode` needs to find its sample data.
    type Record: Default + Send + Sync + 'static;

    /// The format's name in the summary header (`"vcf"`, `"bcf"`).
    const NAME: &'static str;

    /// Reads the next record into `record` (reusing its buffers) and parses its fixed fields;
    /// `None` at the end of input. Errors name `path` and the record.
    fn read(
        &mut self,
        stream: &mut Stream,
        path: &Path,
        record: &mut Self::Record,
    ) -> Result<Option<RecordSite>>;

    /// The size of the record in bytes, to size read-ahead batches.
    fn size(record: &Self::Record) -> usize;

    /// Whether the record carries the dosage field at all.
    fn has_field(&self, record: &Self::Record) -> bool;

    /// Checks the sample data of a record that will not be decoded (no dosage field, no
    /// testable ALT) as decoding would have: a bad record is refused whatever its FORMAT.
    fn check_undecoded(&self, _record: &Self::Record) -> Result<(), String> {
        Ok(())
    }

    /// Decodes the sample fields of `record` into one column per tested ALT (`alts[k]` is the
    /// allele number of `columns[k]`). Every dosage of every column must be written. Runs in
    /// parallel over records.
    fn decode(
        &self,
        record: &Self::Record,
        alts: &[u32],
        columns: &mut [AltColumn],
    ) -> Result<(), SampleError>;

    /// Where the record is, for errors: e.g. `"line 57 (1:5000)"`.
    fn location(&self, record: &Self::Record, site: &RecordSite) -> String;

    /// Each sample's `GT` call of a record read with the dosage field `GT`, into `calls` (one
    /// per sample, file order), without dosages: what sex inference reads of a call, its
    /// ploidy ([`super::ploidy`]). Formats without `GT` (BGEN) keep this refusal.
    fn gt_calls(&self, _record: &Self::Record, _calls: &mut Vec<Call>) -> Result<(), SampleError> {
        Err(SampleError::record(format!(
            "{} holds no GT calls to read ploidy from",
            Self::NAME
        )))
    }
}

/// A record read but not yet decoded.
#[derive(Debug, Default)]
struct Pending<R> {
    site: RecordSite,
    alts: Vec<u32>,
    record: R,
}

/// The sequential half: reads records from the stream, keeps those to test.
struct Producer<F: RecordFormat> {
    path: PathBuf,
    stream: Stream,
    format: F,
    region: Option<Region>,
    query: Option<RegionQuery>,
    skipped: SkipCounts,
    duplicates: DuplicateCheck,
    field: Field,
    /// Records read, whether kept or not.
    records: u64,
}

impl<F: RecordFormat> Producer<F> {
    /// At the end of input: errors if the file was cut short.
    fn finish(&self) -> Result<()> {
        self.stream
            .check_complete(&self.path)
            .map_err(|e| e.at(format!("at the end, after {} records", self.records)))
    }

    /// The notes of the reading side: alleles skipped, duplicates dropped.
    fn notes(&self) -> Vec<String> {
        let mut notes = self.skipped.notes(self.field);
        notes.extend(self.duplicates.note());
        notes
    }

    /// The next record with at least one tested ALT inside the region (reusing `slot`'s
    /// buffers); `None` at the end, after checking that the file is complete. A tested ALT that
    /// repeats an earlier variant is dropped ([`super::duplicates`]).
    fn next(&mut self, mut slot: Pending<F::Record>) -> Result<Option<Pending<F::Record>>> {
        loop {
            if let Some(query) = &mut self.query {
                let more = query.advance(&mut self.stream).map_err(|e| {
                    Error::input(&self.path, format!("cannot seek to the region: {e}"))
                })?;
                if !more {
                    self.finish()?;
                    return Ok(None);
                }
            }
            let Some(site) = self
                .format
                .read(&mut self.stream, &self.path, &mut slot.record)?
            else {
                self.finish()?;
                return Ok(None);
            };
            self.records += 1;
            if let Some(region) = &self.region {
                if !region.contains(&site.chrom, site.pos) {
                    continue;
                }
            }
            let format = &self.format;
            let record = &slot.record;
            let refuse = |message: String| {
                Error::input(&self.path, message).at(format.location(record, &site))
            };
            self.duplicates
                .advance(&site.chrom, site.pos)
                .map_err(refuse)?;
            let mut alts = site.tested_alts(&mut self.skipped);
            alts.retain(|&alt| {
                self.duplicates
                    .keep(&site.ref_allele, &site.alts[alt as usize - 1], || {
                        format.location(record, &site)
                    })
            });
            let has_field = format.has_field(record);
            if alts.is_empty() || !has_field {
                format.check_undecoded(record).map_err(refuse)?;
            }
            if alts.is_empty() {
                continue;
            }
            if !has_field {
                self.skipped.without_field += 1;
            }
            slot.alts = alts;
            slot.site = site;
            return Ok(Some(slot));
        }
    }
}

/// What the read-ahead thread sends.
enum Message<R> {
    Records(Vec<Pending<R>>),
    /// The end, with the reading side's notes.
    End(Vec<String>),
    Failed(Error),
}

/// Bytes of records the read-ahead thread sends at once, and batches it may run ahead.
const BATCH_BYTES: usize = 4 << 20;
const BATCHES_AHEAD: usize = 2;

/// Where records come from.
enum Source<F: RecordFormat> {
    /// Read on the calling thread.
    Inline(Box<Producer<F>>),
    /// Read ahead on a thread of its own.
    Thread {
        records: Receiver<Message<F::Record>>,
        recycle: Sender<Pending<F::Record>>,
        handle: JoinHandle<()>,
    },
    /// Ended; the reading side's notes are final.
    Done(Vec<String>),
}

/// The reader of a VCF-family file: a [`RecordFormat`] over a [`Stream`].
pub struct RecordReader<F: RecordFormat> {
    path: PathBuf,
    /// The decoding half (the reading half may be on another thread).
    format: F,
    samples: Vec<String>,
    field: Field,
    source: Option<Source<F>>,
    /// Records read and not yet put in a block.
    queue: VecDeque<Pending<F::Record>>,
    /// The records of the current block.
    pending: Vec<Pending<F::Record>>,
    /// Spent records, their buffers reused (inline reading).
    pool: Vec<Pending<F::Record>>,
    /// Calls of more than two alleles read as missing.
    polyploid: u64,
    /// The header's chrX contig length ([`BlockReader::chrx_length`]).
    chrx_length: Option<u64>,
}

impl<F: RecordFormat> RecordReader<F> {
    /// Records the header's chrX contig length, which tells the genome build.
    pub fn with_chrx_length(mut self, length: Option<u64>) -> RecordReader<F> {
        self.chrx_length = length;
        self
    }

    /// A reader positioned at the first record (after the header).
    ///
    /// With a `query`, only its chunks are read; with a `region`, records outside it are
    /// dropped. Reading runs ahead on its own thread when rayon has more than one.
    pub fn new(
        path: PathBuf,
        stream: Stream,
        format: F,
        samples: Vec<String>,
        field: Field,
        region: Option<Region>,
        query: Option<RegionQuery>,
    ) -> RecordReader<F> {
        let producer = Producer {
            path: path.clone(),
            stream,
            format: format.clone(),
            region,
            query,
            skipped: SkipCounts::default(),
            duplicates: DuplicateCheck::default(),
            field,
            records: 0,
        };
        let source = if rayon::current_num_threads() > 1 {
            spawn(producer)
        } else {
            Source::Inline(Box::new(producer))
        };
        RecordReader {
            path,
            format,
            samples,
            field,
            source: Some(source),
            queue: VecDeque::new(),
            pending: Vec::new(),
            pool: Vec::new(),
            polyploid: 0,
            chrx_length: None,
        }
    }

    /// Reads every remaining record and hands `each` the `GT` calls of those `keep` selects by
    /// site (records without `GT` are passed over); returns how many were handed over. Nothing
    /// is decoded into dosages: the first pass of sex inference ([`super::ploidy`]), on a
    /// reader opened with the dosage field `GT`.
    pub fn for_each_gt_calls(
        &mut self,
        keep: impl Fn(&RecordSite) -> bool,
        mut each: impl FnMut(&[Call]),
    ) -> Result<u64> {
        let mut calls = Vec::with_capacity(self.samples.len());
        let mut handed = 0;
        self.recycle();
        while !self.queue.is_empty() || self.refill()? {
            let pending = self.queue.pop_front().expect("refilled");
            if keep(&pending.site) && self.format.has_field(&pending.record) {
                self.format
                    .gt_calls(&pending.record, &mut calls)
                    .map_err(|error| {
                        Error::input(&self.path, error.describe(&self.samples))
                            .at(self.format.location(&pending.record, &pending.site))
                    })?;
                each(&calls);
                handed += 1;
            }
            self.pending.push(pending);
            self.recycle();
        }
        Ok(handed)
    }

    /// Moves at least one more record into the queue; `false` at the end.
    fn refill(&mut self) -> Result<bool> {
        match self.source.as_mut().expect("source present") {
            Source::Inline(producer) => {
                let slot = self.pool.pop().unwrap_or_default();
                match producer.next(slot)? {
                    Some(record) => {
                        self.queue.push_back(record);
                        Ok(true)
                    }
                    None => {
                        self.source = Some(Source::Done(producer.notes()));
                        Ok(false)
                    }
                }
            }
            Source::Thread { records, .. } => match records.recv() {
                Ok(Message::Records(batch)) => {
                    self.queue.extend(batch);
                    Ok(true)
                }
                Ok(Message::End(notes)) => {
                    self.finish_thread(notes);
                    Ok(false)
                }
                Ok(Message::Failed(error)) => {
                    self.finish_thread(Vec::new());
                    Err(error)
                }
                Err(_) => Err(Error::input(&self.path, "the reading thread stopped")),
            },
            Source::Done(_) => Ok(false),
        }
    }

    fn finish_thread(&mut self, notes: Vec<String>) {
        if let Some(Source::Thread { handle, .. }) = self.source.replace(Source::Done(notes)) {
            let _ = handle.join();
        }
    }

    /// Returns spent records for reuse.
    fn recycle(&mut self) {
        match self.source.as_ref() {
            Some(Source::Thread { recycle, .. }) => {
                for record in self.pending.drain(..) {
                    let _ = recycle.send(record);
                }
            }
            _ => self.pool.append(&mut self.pending),
        }
    }
}

/// Starts the read-ahead thread.
fn spawn<F: RecordFormat>(mut producer: Producer<F>) -> Source<F> {
    let (send, records) = sync_channel(BATCHES_AHEAD);
    let (recycle, spent) = channel::<Pending<F::Record>>();
    let handle = std::thread::spawn(move || {
        let mut batch = Vec::new();
        let mut bytes = 0;
        loop {
            let slot = spent.try_recv().unwrap_or_default();
            let message = match producer.next(slot) {
                Ok(Some(record)) => {
                    bytes += F::size(&record.record);
                    batch.push(record);
                    if bytes < BATCH_BYTES {
                        continue;
                    }
                    bytes = 0;
                    Message::Records(std::mem::take(&mut batch))
                }
                Ok(None) => {
                    if !batch.is_empty() && send.send(Message::Records(batch)).is_err() {
                        return;
                    }
                    let _ = send.send(Message::End(producer.notes()));
                    return;
                }
                Err(error) => {
                    // Records read before the error are still delivered, in order.
                    if !batch.is_empty() && send.send(Message::Records(batch)).is_err() {
                        return;
                    }
                    let _ = send.send(Message::Failed(error));
                    return;
                }
            };
            // The receiver is gone when the reader was dropped early: stop.
            if send.send(message).is_err() {
                return;
            }
        }
    });
    Source::Thread {
        records,
        recycle,
        handle,
    }
}

impl<F: RecordFormat> Drop for RecordReader<F> {
    fn drop(&mut self) {
        if let Some(Source::Thread {
            records,
            recycle,
            handle,
        }) = self.source.take()
        {
            // Closing the channels ends the thread at its next send.
            drop(records);
            drop(recycle);
            let _ = handle.join();
        }
    }
}

impl<F: RecordFormat> BlockReader for RecordReader<F> {
    fn samples(&self) -> &[String] {
        &self.samples
    }

    fn variant_count_hint(&self) -> Option<u64> {
        None
    }

    fn orientation(&self) -> Orientation {
        Orientation::Reference
    }

    fn format_name(&self) -> &'static str {
        F::NAME
    }

    fn chrx_length(&self) -> Option<u64> {
        self.chrx_length
    }

    fn dosage_field(&self) -> &str {
        self.field.key()
    }

    fn notes(&self) -> Vec<String> {
        let mut notes = match &self.source {
            Some(Source::Done(notes)) => notes.clone(),
            Some(Source::Inline(producer)) => producer.notes(),
            _ => Vec::new(),
        };
        if self.polyploid > 0 {
            notes.push(format!(
                "{} call(s) of more than two alleles (e.g. triploid) read as missing",
                self.polyploid
            ));
        }
        notes
    }

    fn read_block(&mut self, max_variants: usize, block: &mut GenotypeBlock) -> Result<bool> {
        self.recycle();
        let mut width = 0;
        loop {
            if self.queue.is_empty() && !self.refill()? {
                break;
            }
            let next = self.queue.front().expect("refilled").alts.len();
            // A record's ALT alleles stay in one block; a block holds at least one record.
            if width > 0 && width + next > max_variants {
                break;
            }
            width += next;
            self.pending.push(self.queue.pop_front().expect("refilled"));
            if width >= max_variants {
                break;
            }
        }
        if self.pending.is_empty() {
            block.clear();
            return Ok(false);
        }
        let format = &self.format;
        let polyploid = decode_batch(&self.pending, self.samples.len(), block, |p, columns| {
            if format.has_field(&p.record) {
                format.decode(&p.record, &p.alts, columns)
            } else {
                columns.iter_mut().for_each(AltColumn::all_missing);
                Ok(())
            }
        })
        .map_err(|(index, error)| {
            let p = &self.pending[index];
            Error::input(&self.path, error.describe(&self.samples))
                .at(self.format.location(&p.record, &p.site))
        })?;
        self.polyploid += polyploid;
        Ok(true)
    }
}

/// One record's columns, decoded: the missing samples and QC counts of each, and the record's
/// calls of more than two alleles.
type Decoded = Result<(Vec<(Vec<u32>, QcCounts)>, u64), SampleError>;

/// Decodes a batch of records into `block`, in parallel over records.
///
/// Returns the calls of more than two alleles read as missing. On failure returns the index of
/// the first failing record (in file order) with its error; the block is then unusable.
fn decode_batch<R, D>(
    records: &[Pending<R>],
    n_samples: usize,
    block: &mut GenotypeBlock,
    decode: D,
) -> Result<u64, (usize, SampleError)>
where
    R: Sync,
    D: Fn(&Pending<R>, &mut [AltColumn]) -> Result<(), SampleError> + Sync,
{
    // Decoders write every dosage, so the matrix is resized without clearing: zero-filling
    // ~30 MB per block would cost a sixth of the decoding time.
    let mut dosages = std::mem::take(&mut block.dosages);
    block.clear();
    let width: usize = records.iter().map(|r| r.alts.len()).sum();
    dosages.resize(width * n_samples, 0.0);

    // One disjoint slice of the matrix per record, so records decode independently.
    let mut slices = Vec::with_capacity(records.len());
    let mut rest = dosages.as_mut_slice();
    for record in records {
        let (head, tail) = rest.split_at_mut(record.alts.len() * n_samples);
        slices.push(head);
        rest = tail;
    }
    // A record of few samples costs less than a task hand-off: give each task ~64k genotypes.
    let min_len = ((1 << 16) / n_samples.max(1)).max(1);
    let results: Vec<Decoded> = records
        .par_iter()
        .zip(slices)
        .with_min_len(min_len)
        .map(|(record, slice)| {
            let mut columns: Vec<AltColumn> = slice
                .chunks_exact_mut(n_samples.max(1))
                .map(AltColumn::new)
                .collect();
            decode(record, &mut columns)?;
            // A call counts once, however many ALT columns it was put in.
            let polyploid = columns.first().map_or(0, |c| c.polyploid);
            Ok((
                columns.into_iter().map(|c| (c.missing, c.qc)).collect(),
                polyploid,
            ))
        })
        .collect();
    block.dosages = dosages;
    block.n_samples = n_samples;

    let mut polyploid = 0;
    for (index, (record, result)) in records.iter().zip(results).enumerate() {
        let (columns, count) = result.map_err(|e| (index, e))?;
        polyploid += count;
        for (&alt, (missing, qc)) in record.alts.iter().zip(columns) {
            block.variants.push(record.site.variant(alt));
            block.missing.push(missing);
            block.qc.push(qc);
        }
    }
    // Every decoder counts and sums each column as it writes it (`AltColumn`).
    block.qc_sums_dosages = true;
    Ok(polyploid)
}
