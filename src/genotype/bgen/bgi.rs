//! The `.bgi` index of a BGEN file, as bgenix writes it: an SQLite database whose table
//! `Variant(chromosome, position, rsid, number_of_alleles, allele1, allele2,
//! file_start_position, size_in_bytes)` gives every variant's block offset.
//!
//! A small read-only reader of that one table (the SQLite file format is public: a 100-byte
//! header, b-tree pages of cells holding varint-encoded records, overflow pages for long
//! records). bgenix declares the table `WITHOUT ROWID`, which SQLite stores as an index b-tree
//! whose records hold the primary-key columns first; an ordinary rowid table is read too. The
//! column order is taken from the table's `CREATE TABLE` statement in the schema.
//!
//! Everything read from the file is bounds-checked; a page visited twice (a cycle) or a record
//! that runs past its page is an error naming the `.bgi`, never a panic or a loop.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::Region;
use crate::chrom;
use crate::error::{Error, IoResultExt, Result};

/// The index beside a BGEN file: `FILE.bgi`.
pub fn beside(bgen: &Path) -> PathBuf {
    let mut name = bgen.as_os_str().to_owned();
    name.push(".bgi");
    PathBuf::from(name)
}

/// The file offsets of the variants of `region`, ascending.
pub fn offsets(path: &Path, region: &Region) -> Result<Vec<u64>> {
    let bad = |m: String| Error::input(path, format!("corrupt .bgi index: {m}"));
    let mut db = Database::open(path)?;
    let table = db.table("Variant").map_err(bad)?;
    let column = |name: &str| {
        table
            .columns
            .iter()
            .position(|c| c.eq_ignore_ascii_case(name))
            .ok_or_else(|| bad(format!("the Variant table has no column {name}")))
    };
    let (chrom_at, pos_at, offset_at) = (
        column("chromosome")?,
        column("position")?,
        column("file_start_position")?,
    );
    let mut found = Vec::new();
    db.scan(table.root, table.index_tree, &mut |record| {
        let values = decode_record(record)?;
        let get = |k: usize| {
            values
                .get(k)
                .ok_or_else(|| format!("a Variant row has fewer than {} columns", k + 1))
        };
        let chrom = match get(chrom_at)? {
            Value::Text(t) => chrom::normalize(&String::from_utf8_lossy(t)),
            other => return Err(format!("a chromosome that is not text: {other:?}")),
        };
        let (Value::Int(pos), Value::Int(offset)) = (get(pos_at)?, get(offset_at)?) else {
            return Err("a position or file offset that is not an integer".to_string());
        };
        if *pos >= 0 && *offset >= 0 && region.contains(&chrom, *pos as u64) {
            found.push(*offset as u64);
        }
        Ok(())
    })
    .map_err(bad)?;
    found.sort_unstable();
    found.dedup();
    Ok(found)
}

/// One value of a record.
#[derive(Debug, Clone, PartialEq)]
enum Value<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'a [u8]),
    Blob(&'a [u8]),
}

/// A table found in the schema.
#[derive(Debug)]
struct Table {
    root: u32,
    /// `WITHOUT ROWID`: stored as an index b-tree.
    index_tree: bool,
    /// Column names in the order records store them.
    columns: Vec<String>,
}

/// An SQLite file, read a page at a time.
struct Database {
    file: File,
    page_size: usize,
    usable: usize,
    pages: u32,
}

/// Deepest b-tree walked (SQLite's own trees stay far below this).
const MAX_DEPTH: usize = 40;

impl Database {
    fn open(path: &Path) -> Result<Database> {
        let mut file = File::open(path).with_path(path)?;
        let len = file.metadata().with_path(path)?.len();
        let mut header = [0u8; 100];
        file.read_exact(&mut header).map_err(|_| {
            Error::input(
                path,
                "not an SQLite file (shorter than its 100-byte header)",
            )
        })?;
        if &header[..16] != b"SQLite format 3\0" {
            return Err(Error::input(
                path,
                "not an SQLite file: a .bgi index is one, as bgenix writes it",
            ));
        }
        let page_size = match u16::from_be_bytes([header[16], header[17]]) {
            1 => 65536,
            n => usize::from(n),
        };
        if !page_size.is_power_of_two() || !(512..=65536).contains(&page_size) {
            return Err(Error::input(
                path,
                format!("corrupt .bgi index: page size {page_size}"),
            ));
        }
        let reserved = usize::from(header[20]);
        if page_size - reserved < 480 {
            return Err(Error::input(
                path,
                format!("corrupt .bgi index: {reserved} reserved bytes per page"),
            ));
        }
        Ok(Database {
            file,
            page_size,
            usable: page_size - reserved,
            pages: u32::try_from(len / page_size as u64).unwrap_or(u32::MAX),
        })
    }

    fn page(&mut self, number: u32) -> Result<Vec<u8>, String> {
        if number == 0 || number > self.pages {
            return Err(format!(
                "page {number} is outside the file's {} pages",
                self.pages
            ));
        }
        let mut page = vec![0u8; self.page_size];
        self.file
            .seek(SeekFrom::Start(
                u64::from(number - 1) * self.page_size as u64,
            ))
            .and_then(|_| self.file.read_exact(&mut page))
            .map_err(|e| format!("cannot read page {number}: {e}"))?;
        Ok(page)
    }

    /// Finds table `name` in the schema (page 1).
    fn table(&mut self, name: &str) -> Result<Table, String> {
        let mut found = None;
        self.scan(1, false, &mut |record| {
            let values = decode_record(record)?;
            if let [Value::Text(kind), Value::Text(entry), _, Value::Int(root), Value::Text(sql), ..] = values.as_slice() {
                if *kind == b"table" && entry.eq_ignore_ascii_case(name.as_bytes()) {
                    found = Some((*root, String::from_utf8_lossy(sql).into_owned()));
                }
            }
            Ok(())
        })?;
        let (root, sql) = found.ok_or_else(|| format!("no table {name}"))?;
        let root = u32::try_from(root).map_err(|_| format!("table {name} has root page {root}"))?;
        let (columns, index_tree) = storage_order(&sql)
            .ok_or_else(|| format!("cannot read the schema of table {name}: {sql}"))?;
        Ok(Table {
            root,
            index_tree,
            columns,
        })
    }

    /// Calls `each` with the record of every row of the b-tree rooted at `root`, in key order.
    fn scan(
        &mut self,
        root: u32,
        index_tree: bool,
        each: &mut dyn FnMut(&[u8]) -> Result<(), String>,
    ) -> Result<(), String> {
        let mut visited = vec![false; self.pages as usize + 1];
        self.walk(root, index_tree, 0, &mut visited, each)
    }

    fn walk(
        &mut self,
        number: u32,
        index_tree: bool,
        depth: usize,
        visited: &mut [bool],
        each: &mut dyn FnMut(&[u8]) -> Result<(), String>,
    ) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!("b-tree deeper than {MAX_DEPTH} pages"));
        }
        let page = self.page(number)?;
        let seen = visited
            .get_mut(number as usize)
            .ok_or("page out of range")?;
        if *seen {
            return Err(format!("page {number} is reached twice (a cycle)"));
        }
        *seen = true;
        let start = if number == 1 { 100 } else { 0 };
        let at = |k: usize, n: usize| {
            page.get(start + k..start + k + n)
                .ok_or_else(|| format!("page {number} is cut short"))
        };
        let kind = at(0, 1)?[0];
        let cells = usize::from(u16::from_be_bytes(at(3, 2)?.try_into().expect("2 bytes")));
        let (interior, header_len) = match (kind, index_tree) {
            (0x0d, false) | (0x0a, true) => (false, 8),
            (0x05, false) | (0x02, true) => (true, 12),
            _ => {
                return Err(format!(
                    "page {number} has b-tree page type {kind:#04x}, not a {} page",
                    if index_tree { "index" } else { "table" }
                ))
            }
        };
        let mut pointers = Vec::with_capacity(cells);
        for k in 0..cells {
            let p = at(header_len + 2 * k, 2)?;
            pointers.push(usize::from(u16::from_be_bytes([p[0], p[1]])));
        }
        for cell in pointers {
            let body = page
                .get(cell..)
                .filter(|b| !b.is_empty())
                .ok_or_else(|| format!("a cell of page {number} starts past its end"))?;
            let mut cursor = Cursor { data: body, at: 0 };
            if interior {
                let child = cursor.u32()?;
                self.walk(child, index_tree, depth + 1, visited, each)?;
                if !index_tree {
                    continue; // a table interior cell holds only a key
                }
            }
            let payload = cursor.varint()?;
            if !index_tree {
                cursor.varint()?; // rowid
            }
            let record = self.payload(&mut cursor, payload, index_tree, visited)?;
            each(&record)?;
        }
        if interior {
            let right = u32::from_be_bytes(at(8, 4)?.try_into().expect("4 bytes"));
            self.walk(right, index_tree, depth + 1, visited, each)?;
        }
        Ok(())
    }

    /// A cell's payload of `size` bytes, following overflow pages when it spills.
    fn payload(
        &mut self,
        cursor: &mut Cursor,
        size: u64,
        index_tree: bool,
        visited: &mut [bool],
    ) -> Result<Vec<u8>, String> {
        let u = self.usable as u64;
        let max_local = if index_tree {
            (u - 12) * 64 / 255 - 23
        } else {
            u - 35
        };
        let min_local = (u - 12) * 32 / 255 - 23;
        let local = if size <= max_local {
            size
        } else {
            let k = min_local + (size - min_local) % (u - 4);
            if k <= max_local {
                k
            } else {
                min_local
            }
        };
        if size > u64::from(self.pages) * u {
            return Err(format!("a record of {size} bytes is larger than the file"));
        }
        let mut record = cursor.take(local as usize)?.to_vec();
        if local < size {
            let mut next = cursor.u32()?;
            while (record.len() as u64) < size {
                let page = self.page(next)?;
                let seen = visited.get_mut(next as usize).ok_or("page out of range")?;
                if *seen {
                    return Err(format!("overflow page {next} is reached twice (a cycle)"));
                }
                *seen = true;
                let want = ((size - record.len() as u64) as usize).min(self.usable - 4);
                record.extend_from_slice(&page[4..4 + want]);
                next = u32::from_be_bytes(page[..4].try_into().expect("4 bytes"));
            }
        }
        Ok(record)
    }
}

/// Reads big-endian fields and varints from a byte slice.
struct Cursor<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let bytes = self
            .at
            .checked_add(n)
            .and_then(|end| self.data.get(self.at..end))
            .ok_or("a record runs past its page")?;
        self.at += n;
        Ok(bytes)
    }

    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_be_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }

    /// SQLite's varint: 1–9 bytes, 7 bits each, the ninth byte all 8.
    fn varint(&mut self) -> Result<u64, String> {
        let mut value = 0u64;
        for k in 0..9 {
            let byte = self.take(1)?[0];
            if k == 8 {
                return Ok(value << 8 | u64::from(byte));
            }
            value = value << 7 | u64::from(byte & 0x7f);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        unreachable!("the ninth byte returns")
    }
}

/// Splits a record (header of serial types, then values) into values.
fn decode_record(record: &[u8]) -> Result<Vec<Value<'_>>, String> {
    let mut head = Cursor {
        data: record,
        at: 0,
    };
    let header_len = usize::try_from(head.varint()?).map_err(|_| "record header too long")?;
    if header_len > record.len() {
        return Err("a record header runs past the record".to_string());
    }
    let mut types = Vec::new();
    let mut header = Cursor {
        data: &record[..header_len],
        at: head.at,
    };
    while header.at < header_len {
        types.push(header.varint()?);
    }
    let mut body = Cursor {
        data: record,
        at: header_len,
    };
    let mut values = Vec::with_capacity(types.len());
    for serial in types {
        let int = |bytes: &[u8]| {
            let mut v: i64 = if bytes[0] & 0x80 != 0 { -1 } else { 0 };
            for &b in bytes {
                v = v << 8 | i64::from(b);
            }
            v
        };
        let value = match serial {
            0 => Value::Null,
            1..=4 => Value::Int(int(body.take(serial as usize)?)),
            5 => Value::Int(int(body.take(6)?)),
            6 => Value::Int(int(body.take(8)?)),
            7 => Value::Real(f64::from_bits(u64::from_be_bytes(
                body.take(8)?.try_into().expect("8 bytes"),
            ))),
            8 => Value::Int(0),
            9 => Value::Int(1),
            10 | 11 => return Err(format!("reserved serial type {serial}")),
            n => {
                let len = usize::try_from((n - 12) / 2).map_err(|_| "value too long")?;
                let bytes = body.take(len)?;
                if n % 2 == 0 {
                    Value::Blob(bytes)
                } else {
                    Value::Text(bytes)
                }
            }
        };
        values.push(value);
    }
    Ok(values)
}

/// Column names of a `CREATE TABLE` statement in the order its records store them, and
/// whether it is `WITHOUT ROWID` (then the primary-key columns come first).
fn storage_order(sql: &str) -> Option<(Vec<String>, bool)> {
    let open = sql.find('(')?;
    let close = sql.rfind(')')?;
    let body = sql.get(open + 1..close)?;
    let without_rowid = sql[close..]
        .to_ascii_uppercase()
        .replace(char::is_whitespace, "")
        .contains("WITHOUTROWID");
    // Split at top-level commas.
    let (mut parts, mut depth, mut from) = (Vec::new(), 0i32, 0);
    for (k, c) in body.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&body[from..k]);
                from = k + 1;
            }
            _ => {}
        }
    }
    parts.push(&body[from..]);
    let unquote = |name: &str| {
        name.trim_matches(|c| c == '"' || c == '`' || c == '[' || c == ']')
            .to_string()
    };
    let mut columns = Vec::new();
    let mut key = Vec::new();
    for part in parts {
        let part = part.trim();
        let upper = part.to_ascii_uppercase();
        if upper.starts_with("PRIMARY KEY") {
            let inner = part.get(part.find('(')? + 1..part.rfind(')')?)?;
            key = inner
                .split(',')
                .map(|c| unquote(c.split_whitespace().next().unwrap_or("")))
                .collect();
        } else if ["CONSTRAINT", "UNIQUE", "CHECK", "FOREIGN"]
            .iter()
            .any(|w| upper.starts_with(w))
        {
            continue;
        } else {
            let name = unquote(part.split_whitespace().next()?);
            if upper.contains("PRIMARY KEY") {
                key.push(name.clone());
            }
            columns.push(name);
        }
    }
    if without_rowid {
        let mut ordered: Vec<String> = key.clone();
        ordered.extend(columns.into_iter().filter(|c| !key.contains(c)));
        columns = ordered;
    }
    Some((columns, without_rowid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bgenix_schema_order() {
        let sql = "CREATE TABLE Variant (  chromosome TEXT NOT NULL,  position INT NOT NULL,  rsid TEXT NOT NULL,  number_of_alleles INT NOT NULL,  allele1 TEXT NOT NULL,  allele2 TEXT NULL,  file_start_position INT NOT NULL,  size_in_bytes INT NOT NULL,  PRIMARY KEY (chromosome, position, rsid, allele1, allele2, file_start_position )) WITHOUT ROWID";
        let (columns, without_rowid) = storage_order(sql).unwrap();
        assert!(without_rowid);
        assert_eq!(
            columns,
            [
                "chromosome",
                "position",
                "rsid",
                "allele1",
                "allele2",
                "file_start_position",
                "number_of_alleles",
                "size_in_bytes"
            ]
        );
        let (columns, without_rowid) = storage_order("CREATE TABLE t (a INT, b TEXT)").unwrap();
        assert_eq!(
            (columns.as_slice(), without_rowid),
            (&["a".to_string(), "b".to_string()][..], false)
        );
    }

    #[test]
    fn varints_and_records() {
        let mut c = Cursor {
            data: &[0x81, 0x00, 0x7f],
            at: 0,
        };
        assert_eq!((c.varint(), c.varint()), (Ok(128), Ok(127)));
        // header: len 4, types text(1) = 15, int8 = 1, one = 9; body "x", -2
        let record = [4u8, 15, 1, 9, b'x', 0xfe];
        assert_eq!(
            decode_record(&record).unwrap(),
            [Value::Text(b"x"), Value::Int(-2), Value::Int(1)]
        );
        assert!(decode_record(&[5, 15]).is_err());
        assert!(decode_record(&[2, 21]).is_err());
    }
}
