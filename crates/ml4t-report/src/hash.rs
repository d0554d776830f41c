//! FNV-1a 64: a small non-cryptographic content hash for the data's provenance. It tells two
//! files apart (and the same file unchanged) reliably enough for a report; it does not resist
//! deliberate collisions.

use std::io::Read as _;
use std::path::Path;

use crate::ReportError;

const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

/// An FNV-1a 64 hasher over bytes fed in pieces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fnv1a64(u64);

impl Default for Fnv1a64 {
    fn default() -> Self {
        Fnv1a64(OFFSET)
    }
}

impl Fnv1a64 {
    pub fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(PRIME);
        }
    }

    pub fn finish(&self) -> u64 {
        self.0
    }
}

/// FNV-1a 64 of `bytes`.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h = Fnv1a64::default();
    h.update(bytes);
    h.finish()
}

/// The hash and size in bytes of one file, read in 1 MiB pieces.
pub fn hash_file(path: &Path) -> Result<(u64, u64), ReportError> {
    let io = |source| ReportError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut buf = vec![0u8; 1 << 20];
    let (mut h, mut len) = (Fnv1a64::default(), 0u64);
    loop {
        let n = file.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        len += n as u64;
    }
    Ok((h.finish(), len))
}

/// The files under `path` (itself if it is a file; a folder's files sorted by path, recursively)
/// with their hashes, and one combined hash (see [`hash_files`]).
pub fn hash_path(path: &Path) -> Result<(Vec<crate::DataFile>, u64), ReportError> {
    let mut files = Vec::new();
    collect(path, &mut files)?;
    files.sort();
    hash_files(&files, path)
}

/// Each file's hash and one combined hash: for a single file its own hash (so any FNV-1a tool
/// can check it), else FNV-1a 64 over each file's path relative to `base`, a 0 byte and its
/// hash's 8 little-endian bytes, in the given order.
pub fn hash_files(files: &[std::path::PathBuf], base: &Path) -> Result<(Vec<crate::DataFile>, u64), ReportError> {
    let mut combined = Fnv1a64::default();
    let mut out = Vec::with_capacity(files.len());
    let mut last = 0;
    for f in files {
        let (hash, bytes) = hash_file(f)?;
        last = hash;
        let rel = f.strip_prefix(base).unwrap_or(f).to_string_lossy().into_owned();
        combined.update(rel.as_bytes());
        combined.update(&[0]);
        combined.update(&hash.to_le_bytes());
        out.push(crate::DataFile {
            path: f.display().to_string(),
            bytes,
            fnv1a64: format!("{hash:016x}"),
        });
    }
    let combined = if files.len() == 1 { last } else { combined.finish() };
    Ok((out, combined))
}

fn collect(path: &Path, out: &mut Vec<std::path::PathBuf>) -> Result<(), ReportError> {
    let meta = std::fs::metadata(path).map_err(|source| ReportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let entries = std::fs::read_dir(path).map_err(|source| ReportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    for e in entries {
        let e = e.map_err(|source| ReportError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        collect(&e.path(), out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a64_reference_values() {
        // Published FNV-1a 64 test vectors.
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
        let mut h = Fnv1a64::default();
        h.update(b"foo");
        h.update(b"bar");
        assert_eq!(h.finish(), fnv1a64(b"foobar"));
    }
}
