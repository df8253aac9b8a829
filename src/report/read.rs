//! Reading a merge's outputs back for the report: the GWAS-SSF rows (BGZF, gzip or plain
//! text) into plot points and a [`Digest`], and the small TSV tables beside them.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::num::NonZero;
use std::path::Path;

use super::digest::{ln_p_read_back, neg_log10_p_read_back, Digest, DigestOptions};
use super::loci::Hit;
use super::plot::bounded::BoundedPoints;
use super::plot::Points;
use crate::chrom;
use crate::error::{echo, Error, IoResultExt, Result};

/// What the report keeps of one GWAS-SSF file.
#[derive(Debug)]
pub struct Association {
    /// Manhattan plot points of the rows, thinned past a million ([`BoundedPoints`]).
    pub points: Points,
    /// p-values by MAF bin (every row: the QQ plot draws them) and the hits.
    pub digest: Digest,
    /// Largest `n` among the rows (0 if none is given).
    pub max_n: u64,
}

/// The columns read, by GWAS-SSF name; the first three and a p-value are required.
const CHROMOSOME: usize = 0;
const POSITION: usize = 1;
const NEG_LOG10_P: usize = 2;
const P_VALUE: usize = 3;
const EAF: usize = 4;
const EFFECT_ALLELE: usize = 5;
const OTHER_ALLELE: usize = 6;
const BETA: usize = 7;
const SE: usize = 8;
const VARIANT_ID: usize = 9;
const RSID: usize = 10;
const N: usize = 11;
const NAMES: [&str; 12] = [
    "chromosome",
    "base_pair_location",
    "neg_log_10_p_value",
    "p_value",
    "effect_allele_frequency",
    "effect_allele",
    "other_allele",
    "beta",
    "standard_error",
    "variant_id",
    "rsid",
    "n",
];

/// Opens a file that may be BGZF (read on several threads), other gzip, or plain text.
pub fn open_text(path: &Path) -> Result<Box<dyn BufRead + Send>> {
    let mut file = File::open(path).with_path(path)?;
    let mut head = [0u8; 16];
    let mut got = 0;
    while got < head.len() {
        match file.read(&mut head[got..]).with_path(path)? {
            0 => break,
            k => got += k,
        }
    }
    let file = File::open(path).with_path(path)?;
    let head = &head[..got];
    let gzip = head.starts_with(&[0x1f, 0x8b]);
    // BGZF: gzip with the extra field `BC` (SAM spec §4.1).
    let bgzf = gzip && head.len() >= 14 && head[3] & 4 != 0 && &head[12..14] == b"BC";
    Ok(if bgzf {
        let workers = NonZero::new(rayon::current_num_threads()).unwrap_or(NonZero::<usize>::MIN);
        Box::new(BufReader::new(
            noodles_bgzf::io::MultithreadedReader::with_worker_count(workers, file),
        ))
    } else if gzip {
        Box::new(BufReader::new(gzip::Decoder::new(file)))
    } else {
        Box::new(BufReader::new(file))
    })
}

/// Reads the GWAS-SSF file at `path`.
pub fn read_gwas_ssf(path: &Path, options: DigestOptions) -> Result<Association> {
    let mut reader = open_text(path)?;
    let mut line = String::new();
    reader.read_line(&mut line).with_path(path)?;
    let header: Vec<&str> = line.trim_end_matches(['\n', '\r']).split('\t').collect();
    let mut column = [usize::MAX; NAMES.len()];
    for (slot, name) in column.iter_mut().zip(NAMES) {
        if let Some(k) = header.iter().position(|h| *h == name) {
            *slot = k;
        }
    }
    for required in [CHROMOSOME, POSITION] {
        if column[required] == usize::MAX {
            return Err(Error::input(
                path,
                format!("no column '{}' in the header", NAMES[required]),
            )
            .at("line 1"));
        }
    }
    if column[NEG_LOG10_P] == usize::MAX && column[P_VALUE] == usize::MAX {
        return Err(Error::input(
            path,
            "no column 'neg_log_10_p_value' or 'p_value' in the header",
        )
        .at("line 1"));
    }
    // Which slot each field of a row goes to.
    let mut slot_of = vec![usize::MAX; header.len()];
    for (slot, &k) in column.iter().enumerate() {
        if k != usize::MAX {
            slot_of[k] = slot;
        }
    }
    let width = header.len();
    let hit_below = options.clump_p.ln();
    let mut out = Association {
        points: Points::default(),
        digest: Digest::new(options),
        max_n: 0,
    };
    let mut points = BoundedPoints::default();
    let mut number = 1u64;
    loop {
        line.clear();
        if reader.read_line(&mut line).with_path(path)? == 0 {
            break;
        }
        number += 1;
        let text = line.trim_end_matches(['\n', '\r']);
        if text.is_empty() {
            continue;
        }
        let mut fields = [""; NAMES.len()];
        let mut count = 0;
        for (k, field) in text.split('\t').enumerate() {
            if let Some(&slot) = slot_of.get(k) {
                if slot != usize::MAX {
                    fields[slot] = field;
                }
            }
            count = k + 1;
        }
        let at = || format!("line {number}");
        if count != width {
            return Err(
                Error::input(path, format!("{count} fields where the header has {width}")).at(at()),
            );
        }
        let number_in = |slot: usize| -> Result<f64> {
            let text = fields[slot];
            if text == crate::output::MISSING {
                return Ok(f64::NAN);
            }
            text.parse::<f64>().map_err(|_| {
                Error::input(
                    path,
                    format!("{} '{}' is not a number", NAMES[slot], echo(text)),
                )
                .at(at())
            })
        };
        let ln_p = if column[NEG_LOG10_P] != usize::MAX {
            ln_p_read_back(number_in(NEG_LOG10_P)?)
        } else {
            ln_p_from_text(fields[P_VALUE]).ok_or_else(|| {
                Error::input(
                    path,
                    format!("p_value '{}' is not a p-value", echo(fields[P_VALUE])),
                )
                .at(at())
            })?
        };
        if ln_p.is_nan() || ln_p > 0.0 {
            return Err(Error::input(
                path,
                "missing or invalid p-value (dash writes only tested variants)",
            )
            .at(at()));
        }
        let pos: u64 = fields[POSITION].parse().map_err(|_| {
            Error::input(
                path,
                format!(
                    "base_pair_location '{}' is not a position",
                    echo(fields[POSITION])
                ),
            )
            .at(at())
        })?;
        let chromosome = fields[CHROMOSOME];
        let Some(c) = points.chromosome_index(chromosome) else {
            return Err(Error::input(path, "more than 65,536 distinct chromosome names").at(at()));
        };
        let neg_log10_p = neg_log10_p_read_back(ln_p);
        points.push_at(c, pos, neg_log10_p as f32);
        if column[N] != usize::MAX {
            if let Ok(n) = fields[N].parse::<u64>() {
                out.max_n = out.max_n.max(n);
            }
        }
        let eaf = if column[EAF] != usize::MAX {
            number_in(EAF)?
        } else {
            f64::NAN
        };
        // Only hits carry their text into the digest: no allocation for the other rows.
        let hit = if ln_p < hit_below {
            let text = |slot: usize| {
                let v = fields[slot];
                if v == crate::output::MISSING {
                    String::new()
                } else {
                    v.to_string()
                }
            };
            Hit {
                chrom: chrom::normalize(chromosome),
                pos,
                variant_id: text(VARIANT_ID),
                rsid: text(RSID),
                effect_allele: text(EFFECT_ALLELE),
                other_allele: text(OTHER_ALLELE),
                beta: if column[BETA] != usize::MAX {
                    number_in(BETA)?
                } else {
                    f64::NAN
                },
                se: if column[SE] != usize::MAX {
                    number_in(SE)?
                } else {
                    f64::NAN
                },
                neg_log10_p,
            }
        } else {
            Hit::default()
        };
        out.digest.add(ln_p, eaf, || hit);
    }
    out.points = points.finish();
    Ok(out)
}

/// `ln p` of a p-value written as text, also below f64's range (`3.2e-412`).
///
/// ```
/// use dash::report::read::ln_p_from_text;
/// assert!((ln_p_from_text("1e-400").unwrap() + 400.0 * std::f64::consts::LN_10).abs() < 1e-9);
/// assert_eq!(ln_p_from_text("1"), Some(0.0));
/// assert_eq!(ln_p_from_text("x"), None);
/// ```
pub fn ln_p_from_text(text: &str) -> Option<f64> {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(k) => (&text[..k], text[k + 1..].parse::<f64>().ok()?),
        None => (text, 0.0),
    };
    let mantissa: f64 = mantissa.parse().ok()?;
    if mantissa.is_nan() || mantissa <= 0.0 {
        return None;
    }
    Some(mantissa.ln() + exponent * std::f64::consts::LN_10)
}

/// A small TSV table (covariates, skipped list): header and rows as text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    /// Column names.
    pub header: Vec<String>,
    /// Rows, each as long as the header.
    pub rows: Vec<Vec<String>>,
}

/// Reads a TSV table; `None` if the file does not exist.
pub fn read_table(path: &Path) -> Result<Option<Table>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path, e)),
    };
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap_or("")
        .split('\t')
        .map(str::to_string)
        .collect();
    let mut rows = Vec::new();
    for (k, line) in lines.enumerate() {
        if line.is_empty() {
            continue;
        }
        let row: Vec<String> = line.split('\t').map(str::to_string).collect();
        if row.len() != header.len() {
            return Err(Error::input(
                path,
                format!("{} fields where the header has {}", row.len(), header.len()),
            )
            .at(format!("line {}", k + 2)));
        }
        rows.push(row);
    }
    Ok(Some(Table { header, rows }))
}

/// Counts of a skipped list's `reason` column, most frequent first.
pub fn count_reasons(path: &Path, table: &Table) -> Result<Vec<(String, u64)>> {
    let Some(k) = table.header.iter().position(|h| h == "reason") else {
        return Err(Error::input(path, "no column 'reason' in the header").at("line 1"));
    };
    let mut counts: Vec<(String, u64)> = Vec::new();
    for row in &table.rows {
        match counts.iter_mut().find(|(r, _)| *r == row[k]) {
            Some((_, n)) => *n += 1,
            None => counts.push((row[k].clone(), 1)),
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(counts)
}

mod gzip {
    //! Plain (non-BGZF) gzip, any number of members, through zlib-rs.

    use std::io::{self, Read};

    use zlib_rs::{Inflate, InflateFlush, Status};

    /// A reader of the decompressed bytes.
    pub struct Decoder<R> {
        inner: R,
        inflate: Inflate,
        input: Vec<u8>,
        start: usize,
        end: usize,
        /// The last member ended and no byte followed yet.
        member_done: bool,
    }

    impl<R: Read> Decoder<R> {
        pub fn new(inner: R) -> Decoder<R> {
            Decoder {
                inner,
                inflate: Inflate::new(true, 31), // 15-bit window, gzip wrapper
                input: vec![0; 64 * 1024],
                start: 0,
                end: 0,
                member_done: false,
            }
        }
    }

    impl<R: Read> Read for Decoder<R> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if out.is_empty() {
                return Ok(0);
            }
            loop {
                if self.start == self.end {
                    self.start = 0;
                    self.end = self.inner.read(&mut self.input)?;
                    if self.end == 0 {
                        return if self.member_done {
                            Ok(0)
                        } else {
                            Err(io::Error::new(
                                io::ErrorKind::UnexpectedEof,
                                "gzip stream ends early",
                            ))
                        };
                    }
                }
                if self.member_done {
                    // Another member follows.
                    self.inflate = Inflate::new(true, 31);
                    self.member_done = false;
                }
                let (in_before, out_before) = (self.inflate.total_in(), self.inflate.total_out());
                let status = self
                    .inflate
                    .decompress(
                        &self.input[self.start..self.end],
                        out,
                        InflateFlush::NoFlush,
                    )
                    .map_err(|e| {
                        io::Error::new(io::ErrorKind::InvalidData, format!("gzip: {}", e.as_str()))
                    })?;
                self.start += (self.inflate.total_in() - in_before) as usize;
                let produced = (self.inflate.total_out() - out_before) as usize;
                if status == Status::StreamEnd {
                    self.member_done = true;
                }
                if produced > 0 {
                    return Ok(produced);
                }
                if status == Status::BufError && self.start < self.end {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "gzip: no progress",
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_become_points_and_hits_in_every_compression() {
        let text = "chromosome\tbase_pair_location\teffect_allele\tother_allele\tbeta\tstandard_error\teffect_allele_frequency\tp_value\tvariant_id\trsid\tn\tt_statistic\tneg_log_10_p_value\n\
            1\t100\tA\tG\t0.5\t0.1\t0.3\t1e-9\t1_100_G_A\trs1\t900\t5\t9\n\
            23\t5\tC\tT\t0.1\t0.1\t0.004\t0.5\t23_5_T_C\t#NA\t1000\t1\t0.30102999566398120\n";
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("a.tsv");
        std::fs::write(&plain, text).unwrap();
        // Two gzip members (as `cat a.gz b.gz` makes), compressed by zlib-rs's deflate.
        let gz = dir.path().join("a.tsv.gz");
        let member = |part: &[u8]| {
            let mut buf = vec![0u8; zlib_rs::compress_bound(part.len()) + 64];
            let mut config = zlib_rs::DeflateConfig::new(6);
            config.window_bits = 31;
            let (bytes, _) = zlib_rs::compress_slice(&mut buf, part, config);
            bytes.to_vec()
        };
        let (first, second) = text.as_bytes().split_at(200);
        std::fs::write(&gz, [member(first), member(second)].concat()).unwrap();
        for path in [&plain, &gz] {
            let mut read = read_gwas_ssf(path, DigestOptions::default()).unwrap();
            assert_eq!(read.points.chromosomes, ["1", "23"]);
            assert_eq!(read.points.pos, [100, 5]);
            assert_eq!(read.max_n, 1000);
            let loci = read.digest.loci();
            assert_eq!(loci.len(), 1);
            assert_eq!(
                (loci[0].lead.rsid.as_str(), loci[0].lead.beta),
                ("rs1", 0.5)
            );
            assert_eq!(read.digest.lambda().unwrap()[0].variants, 2);
        }
    }

    #[test]
    fn a_bad_row_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.tsv");
        std::fs::write(
            &path,
            "chromosome\tbase_pair_location\tneg_log_10_p_value\n1\tx\t2\n",
        )
        .unwrap();
        let e = read_gwas_ssf(&path, DigestOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.ends_with("b.tsv: line 2: base_pair_location 'x' is not a position"),
            "{e}"
        );
    }
}
