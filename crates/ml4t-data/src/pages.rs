//! Parquet page headers checked before polars reads the pages. Polars trusts a page's value
//! count and reserves memory for it: a corrupt count (2^61, found by fuzzing) makes the
//! allocation fail, which aborts the process; no `catch_unwind` can stop that. So the headers
//! of the columns to be read are walked first (the pages are sliced, not decoded) and checked
//! against their column chunk's totals from the file's footer.

use std::fs::File;
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::path::Path;

use polars_buffer::Buffer;
use polars_parquet::parquet::page::CompressedPage;
use polars_parquet::parquet::read::{PageReader, read_metadata};

use super::DataError;

/// Checks every page header of the named columns of the Parquet file at `path`.
pub(crate) fn check_page_headers(path: &Path, columns: &[String]) -> Result<(), DataError> {
    let corrupt = |detail: String| DataError::CorruptParquet {
        file: path.to_path_buf(),
        detail,
    };
    let mut file = File::open(path).map_err(DataError::io(path))?;
    let file_len = file.metadata().map_err(DataError::io(path))?.len();
    let meta = read_metadata(&mut file).map_err(|e| corrupt(format!("footer: {e}")))?;
    for (g, group) in meta.row_groups.iter().enumerate() {
        for chunk in group.parquet_columns() {
            let name = chunk.descriptor().path_in_schema.join(".");
            if !columns.contains(&name) {
                continue;
            }
            let range = chunk.byte_range();
            if range.start > range.end || range.end > file_len {
                return Err(corrupt(format!(
                    "column '{name}' of row group {g} lies at bytes {}..{}, outside the file's {file_len}",
                    range.start, range.end
                )));
            }
            let len = usize::try_from(range.end - range.start).map_err(|e| corrupt(e.to_string()))?;
            let mut bytes = vec![0u8; len];
            file.seek(SeekFrom::Start(range.start)).map_err(DataError::io(path))?;
            file.read_exact(&mut bytes).map_err(DataError::io(path))?;
            let values = usize::try_from(chunk.num_values()).unwrap_or(0);
            let uncompressed = usize::try_from(chunk.uncompressed_size()).unwrap_or(0);
            let pages = PageReader::new(Cursor::new(Buffer::from(bytes)), chunk, Vec::new(), len);
            for page in pages {
                let page = page.map_err(|e| corrupt(format!("column '{name}' of row group {g}: {e}")))?;
                if let CompressedPage::Data(data) = page
                    && (data.num_values() > values || data.uncompressed_size() > uncompressed)
                {
                    return Err(corrupt(format!(
                        "column '{name}' of row group {g}: a page claims {} values and {} bytes, \
                         its column only {values} values and {uncompressed} bytes",
                        data.num_values(),
                        data.uncompressed_size()
                    )));
                }
            }
        }
    }
    Ok(())
}
