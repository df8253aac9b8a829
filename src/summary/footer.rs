//! A summary's Parquet footer, kept small for as long as a merge reads the file (issue 12).
//!
//! The parquet crate's metadata holds 424 bytes for every column chunk of every row group; a
//! summary of 10 million variants has about 600 row groups of 28 columns, 7 MB, and a merge of
//! 20 such inputs held 150 MB of footers from its first row to its last: memory that grew with
//! the number of variants. A [`Footer`] keeps what reading a row group needs (where each column
//! chunk lies and how it is compressed: 56 bytes) and builds the crate's metadata for one row
//! group when that row group is read. The row groups' chromosome and position statistics, which
//! `--region` and the merge's segments use, are read from the full metadata once, when the file
//! is opened ([`super::segment::RowGroupSpans`]).

use std::path::Path;
use std::sync::Arc;

use arrow_schema::SchemaRef;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
use parquet::basic::CompressionCodec;
use parquet::file::metadata::{
    ColumnChunkMetaData, FileMetaData, ParquetMetaData, RowGroupMetaData,
};

use crate::error::{Error, Result};

/// Where a summary's row groups lie and how to decode them; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct Footer {
    /// The file's metadata without its key-value pairs (the header, read when the file was
    /// opened): the schema and version a reader needs.
    file: FileMetaData,
    /// The Arrow schema read from the full footer, supplied to every row group's reader.
    schema: SchemaRef,
    groups: Vec<GroupPlace>,
}

/// A row group: its rows and its column chunks.
#[derive(Debug, Clone)]
struct GroupPlace {
    rows: i64,
    bytes: i64,
    chunks: Box<[ChunkPlace]>,
}

/// A column chunk: where its pages lie and how they are compressed.
#[derive(Debug, Clone, Copy)]
struct ChunkPlace {
    codec: CompressionCodec,
    values: i64,
    compressed: i64,
    uncompressed: i64,
    data_page: i64,
    dictionary_page: Option<i64>,
}

impl ChunkPlace {
    fn of(chunk: &ColumnChunkMetaData) -> ChunkPlace {
        ChunkPlace {
            codec: chunk.compression_codec(),
            values: chunk.num_values(),
            compressed: chunk.compressed_size(),
            uncompressed: chunk.uncompressed_size(),
            data_page: chunk.data_page_offset(),
            dictionary_page: chunk.dictionary_page_offset(),
        }
    }

    /// The chunk's first byte and length (its dictionary page's start, when it has one).
    fn byte_range(&self) -> (u64, u64) {
        let start = self.dictionary_page.unwrap_or(self.data_page);
        // Checked non-negative when the footer was read ([`Footer::of`]).
        (start as u64, self.compressed as u64)
    }
}

impl Footer {
    /// The footer of the file at `path` (for errors), from the metadata its reader read.
    ///
    /// A column chunk said to start, or to span, a negative number of bytes is refused: the
    /// parquet crate would panic on it.
    pub fn of(path: &Path, metadata: &ArrowReaderMetadata) -> Result<Footer> {
        let full = metadata.metadata();
        let file = full.file_metadata();
        let slim = FileMetaData::new(
            file.version(),
            file.num_rows(),
            file.created_by().map(str::to_string),
            None,
            file.schema_descr_ptr(),
            file.column_orders().cloned(),
        );
        let mut groups = Vec::with_capacity(full.num_row_groups());
        for (index, group) in full.row_groups().iter().enumerate() {
            let chunks: Box<[ChunkPlace]> = group.columns().iter().map(ChunkPlace::of).collect();
            if chunks.len() != slim.schema_descr().num_columns() {
                return Err(Error::input(
                    path,
                    format!(
                        "corrupt footer: row group {} has {} columns, the schema {}",
                        index + 1,
                        chunks.len(),
                        slim.schema_descr().num_columns()
                    ),
                ));
            }
            for (column, chunk) in chunks.iter().enumerate() {
                let start = chunk.dictionary_page.unwrap_or(chunk.data_page);
                if start < 0 || chunk.compressed < 0 {
                    return Err(Error::input(
                        path,
                        format!(
                            "corrupt footer: row group {} column {} lies at a negative offset or size",
                            index + 1,
                            column + 1
                        ),
                    ));
                }
            }
            groups.push(GroupPlace {
                rows: group.num_rows(),
                bytes: group.total_byte_size(),
                chunks,
            });
        }
        Ok(Footer {
            file: slim,
            schema: metadata.schema().clone(),
            groups,
        })
    }

    /// The number of row groups.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// Whether the file has no row groups.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The rows of row group `group`.
    pub fn rows(&self, group: usize) -> usize {
        self.groups[group].rows.max(0) as usize
    }

    /// The bytes of row group `group`'s column chunks: from the first one's start to the last
    /// one's end.
    pub fn byte_range(&self, group: usize) -> (u64, u64) {
        let ranges = self.groups[group].chunks.iter().map(ChunkPlace::byte_range);
        let start = ranges.clone().map(|(start, _)| start).min().unwrap_or(0);
        let end = ranges
            .map(|(start, len)| start.saturating_add(len))
            .max()
            .unwrap_or(0);
        (start, end)
    }

    /// The parquet crate's metadata of a file holding row group `group` alone (as its row group
    /// 0), with the file's schema: what a reader of that row group is built from.
    pub fn reader_metadata(&self, group: usize) -> parquet::errors::Result<ArrowReaderMetadata> {
        let place = &self.groups[group];
        let schema = self.file.schema_descr_ptr();
        let columns = place
            .chunks
            .iter()
            .enumerate()
            .map(|(column, chunk)| {
                ColumnChunkMetaData::builder(schema.column(column))
                    .set_compression_codec(chunk.codec)
                    .set_num_values(chunk.values)
                    .set_total_compressed_size(chunk.compressed)
                    .set_total_uncompressed_size(chunk.uncompressed)
                    .set_data_page_offset(chunk.data_page)
                    .set_dictionary_page_offset(chunk.dictionary_page)
                    .build()
            })
            .collect::<parquet::errors::Result<Vec<_>>>()?;
        let group = RowGroupMetaData::builder(schema)
            .set_num_rows(place.rows)
            .set_total_byte_size(place.bytes)
            .set_column_metadata(columns)
            .build()?;
        let metadata = ParquetMetaData::new(self.file.clone(), vec![group]);
        let options = ArrowReaderOptions::new().with_schema(self.schema.clone());
        ArrowReaderMetadata::try_new(Arc::new(metadata), options)
    }
}

#[cfg(test)]
mod tests {
    use std::fs::File;

    use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, UInt64Array};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::arrow::ArrowWriter;
    use parquet::basic::{Compression, ZstdLevel};
    use parquet::file::properties::WriterProperties;

    use super::*;

    /// A file of `rows` rows in row groups of 7: a dictionary-encoded text column, an integer
    /// and a float column, compressed.
    fn write_file(path: &Path, rows: u64) {
        let chrom: ArrayRef = Arc::new(StringArray::from_iter_values(
            (0..rows).map(|r| format!("{}", 1 + r / 10)),
        ));
        let pos: ArrayRef = Arc::new(UInt64Array::from_iter_values((0..rows).map(|r| r * 3)));
        let sum: ArrayRef = Arc::new(Float64Array::from_iter_values(
            (0..rows).map(|r| r as f64 / 7.0),
        ));
        let batch =
            RecordBatch::try_from_iter([("chrom", chrom), ("pos", pos), ("sum", sum)]).unwrap();
        let properties = WriterProperties::builder()
            .set_max_row_group_row_count(Some(7))
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).unwrap()))
            .build();
        let file = File::create(path).unwrap();
        let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(properties)).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
    }

    #[test]
    fn each_row_group_reads_as_from_the_full_footer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("groups.parquet");
        write_file(&path, 40);
        let full = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).unwrap()).unwrap();
        let metadata =
            ArrowReaderMetadata::try_new(full.metadata().clone(), Default::default()).unwrap();
        let footer = Footer::of(&path, &metadata).unwrap();
        assert_eq!(footer.len(), 6);
        let read = |metadata: ArrowReaderMetadata, groups: Vec<usize>| {
            let file = File::open(&path).unwrap();
            let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(file, metadata)
                .with_row_groups(groups)
                .build()
                .unwrap();
            reader.map(Result::unwrap).collect::<Vec<_>>()
        };
        for group in 0..footer.len() {
            let whole = metadata.metadata().row_group(group);
            assert_eq!(footer.rows(group), whole.num_rows() as usize);
            let chunks = whole.columns().iter().map(|c| c.byte_range());
            let start = chunks.clone().map(|(s, _)| s).min().unwrap();
            let end = chunks.map(|(s, l)| s + l).max().unwrap();
            assert_eq!(footer.byte_range(group), (start, end));
            let alone = read(footer.reader_metadata(group).unwrap(), vec![0]);
            assert_eq!(
                alone,
                read(metadata.clone(), vec![group]),
                "row group {group}"
            );
        }
        assert_eq!((0..6).map(|g| footer.rows(g)).sum::<usize>(), 40);
    }
}
